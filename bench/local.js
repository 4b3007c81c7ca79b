#!/usr/bin/env node
// dcos local benchmarks: time to ready, 100 one-instance apps from POST to all running, and the daemon's
// CPU use while idle. Talks only to the loopback daemon it starts. `--write` updates docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { localApi, median, postBenchApps, timeProcess } from './lib.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'run.js');
const args = process.argv.slice(2);
const write = args.includes('--write') || process.env.BENCH_WRITE === '1';
const STARTS = 5;
const APPS = 100;
const IDLE_SECONDS = 5;

const dcosDir = mkdtempSync(join(tmpdir(), 'dcos-bench-local-'));
const env = { ...process.env, DCOS_DIR: dcosDir, NO_COLOR: '1' };
const api = localApi(dcosDir);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const dcos = (...commandArgs) =>
  spawnSync(process.execPath, [bin, ...commandArgs], { env, encoding: 'utf8' });

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

async function idleCpuPercent(pid) {
  const before = cpuSeconds(pid);
  await sleep(IDLE_SECONDS * 1000);
  return ((cpuSeconds(pid) - before) / IDLE_SECONDS) * 100;
}

try {
  const baselines = [];
  const starts = [];
  for (let run = 0; run < STARTS; run++) {
    baselines.push(await timeProcess(process.execPath, ['-e', '0'], env));
    starts.push(await timeProcess(process.execPath, [bin, 'local', 'start'], env));
    dcos('local', 'stop');
  }
  const baseline = median(baselines);
  const start = median(starts);

  await timeProcess(process.execPath, [bin, 'local', 'start'], env);
  const { url, pid } = JSON.parse(readFileSync(join(dcosDir, 'local', 'daemon.json'), 'utf8'));
  const idleEmpty = await idleCpuPercent(pid);

  const marathon = `${url}/service/marathon`;
  const began = process.hrtime.bigint();
  await postBenchApps(api, url, APPS, 1);

  let running = 0;
  for (let attempt = 0; attempt < 600 && running < APPS; attempt++) {
    const { tasks } = await (await api(`${marathon}/v2/tasks`)).json();
    running = tasks.filter((task) => task.state === 'TASK_RUNNING').length;
    if (running < APPS) await sleep(50);
  }
  const hundred = Number(process.hrtime.bigint() - began) / 1e6;
  if (running < APPS) throw new Error(`only ${running} of ${APPS} apps running after 30 s`);
  await sleep(1000);
  const idleBusy = await idleCpuPercent(pid);
  dcos('local', 'stop');

  const rows = [
    ['`node -e 0` (baseline)', `${baseline.toFixed(0)} ms`, '', ''],
    [
      '`dcos local start` until it answers',
      `${start.toFixed(0)} ms`,
      `${(start / baseline).toFixed(1)}x baseline`,
      `under 1500 ms: ${start < 1500 ? 'met' : 'NOT MET'}`,
    ],
    [
      `${APPS} one-instance apps, first POST to all running`,
      `${(hundred / 1000).toFixed(2)} s`,
      '',
      `under 10 s: ${hundred < 10_000 ? 'met' : 'NOT MET'}`,
    ],
    ['daemon CPU, idle, no apps', `${idleEmpty.toFixed(1)} %`, `${IDLE_SECONDS} s window`, 'near zero'],
    [
      `daemon CPU, idle, ${APPS} tasks running`,
      `${idleBusy.toFixed(1)} %`,
      `${IDLE_SECONDS} s window`,
      'near zero',
    ],
  ];
  const table = [
    '| measure | value | note | target |',
    '| --- | ---: | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  console.log(`dcos local, median of ${STARTS} starts, Node ${process.version}\n\n${table}`);
  if (write) {
    const path = join(root, 'docs', 'benchmarks.md');
    const section = `<!-- local:begin -->\nMeasured ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 2 cores, 3 agents.\n\n${table}\n<!-- local:end -->`;
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace(/<!-- local:begin -->[\s\S]*<!-- local:end -->/, section),
    );
    console.log(`\nupdated ${path}`);
  }
  if (start >= 1500 || hundred >= 10_000) process.exitCode = 1;
} finally {
  dcos('local', 'stop');
  rmSync(dcosDir, { recursive: true, force: true });
}
