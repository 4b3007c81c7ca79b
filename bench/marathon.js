#!/usr/bin/env node
// `dcos marathon app list --json` against dcos local holding 1 000 apps, as a ratio to `node -e 0` measured
// in the same run (target: at most 3x). Loopback only. BENCH_WRITE=1 (or --write) updates docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { localApi, median, postBenchApps, timeProcess } from './lib.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'run.js');
const write = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const APPS = 1000;
const RUNS = 21;
const TARGET = 3.0;

const dcosDir = mkdtempSync(join(tmpdir(), 'dcos-bench-marathon-'));
const env = { ...process.env, DCOS_DIR: dcosDir, NO_COLOR: '1' };
const api = localApi(dcosDir);
const dcos = (...args) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });

/** Measuring while the daemon still finishes the 1 000 deployments would time the daemon, not the CLI. */
async function settled(url) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const deployments = await (await api(`${url}/service/marathon/v2/deployments`)).json();
    if (deployments.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Warm the daemon's JIT on the request under test: the benchmark is about the CLI, not a cold server.
  for (let request = 0; request < 30; request++) await (await api(`${url}/service/marathon/v2/apps`)).text();
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

try {
  const start = dcos('local', 'start', '--json', '--max-tasks', '2000');
  if (start.status !== 0) throw new Error(start.stderr);
  const { url } = JSON.parse(start.stdout);
  // No instances: the benchmark is about listing 1 000 definitions, not running 1 000 processes.
  await postBenchApps(api, url, APPS, 0);
  await settled(url);

  const baseline = [];
  const list = [];
  await timeProcess(process.execPath, [bin, 'marathon', 'app', 'list', '--json'], env);
  for (let run = 0; run < RUNS; run++) {
    baseline.push(await timeProcess(process.execPath, ['-e', '0'], env));
    list.push(await timeProcess(process.execPath, [bin, 'marathon', 'app', 'list', '--json'], env));
  }
  const ratio = median(list) / median(baseline);
  const table = [
    '| command | median (ms) | ratio to `node -e 0` |',
    '| --- | ---: | ---: |',
    `| node -e 0 (baseline) | ${median(baseline).toFixed(1)} | 1.00x |`,
    `| dcos marathon app list --json (${APPS} apps) | ${median(list).toFixed(1)} | ${ratio.toFixed(2)}x |`,
  ].join('\n');
  const verdict = `target: at most ${TARGET.toFixed(1)}x → ${ratio.toFixed(2)}x, ${ratio <= TARGET ? 'met' : 'NOT MET'}`;
  console.log(`${RUNS} runs each, Node ${process.version}\n\n${table}\n\n${verdict}`);
  if (write) {
    const path = join(root, 'docs', 'benchmarks.md');
    const section = `<!-- marathon:begin -->\nMeasured ${new Date().toISOString().slice(0, 10)}, ${RUNS} runs each, Node ${process.version}, 2 cores.\n\n${table}\n\n${verdict}\n<!-- marathon:end -->`;
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace(/<!-- marathon:begin -->[\s\S]*<!-- marathon:end -->/, section),
    );
  }
  if (ratio > TARGET) process.exitCode = 1;
} finally {
  dcos('local', 'stop');
  rmSync(dcosDir, { recursive: true, force: true });
}
