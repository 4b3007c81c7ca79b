#!/usr/bin/env node
// Mesos-DNS benchmarks (targets from issue 5, on this 2-core machine):
//   record generation for 10 000 tasks / 1 000 agents <= 200 ms; 100 000 tasks / 5 000 agents <= 1.2 s and
//   <= 400 MB peak RSS; `dnsperf` against `dcos dns serve` on loopback for 10 s >= 50 000 queries/s.
// Loopback only; every run is bounded. BENCH_WRITE=1 (or --write) updates docs/benchmarks.md.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { writeSyntheticState } from './dns-state.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const work = mkdtempSync(join(tmpdir(), 'dcos-bench-dns-'));
const SIZES = [
  { tasks: 10_000, agents: 1_000, targetMs: 200 },
  { tasks: 100_000, agents: 5_000, targetMs: 1_200, targetMb: 400 },
];
const QPS_TARGET = 50_000;
const DNSPERF_SECONDS = 10;

async function stateFile({ tasks, agents }) {
  const path = join(work, `state-${tasks}.json`);
  const out = createWriteStream(path);
  let buffer = '';
  writeSyntheticState({ tasks, agents }, (text) => {
    buffer += text;
    if (buffer.length > 1 << 20) {
      out.write(buffer);
      buffer = '';
    }
  });
  out.end(buffer);
  await new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject));
  return path;
}

// Runs in a fresh process so peak RSS is this size's alone: parse once, generate three times (median time);
// peak RSS is read after the first generation (a later one may run before the GC frees the earlier sets).
const PROBE = `
const { readFileSync } = await import('node:fs');
const { generateRecords } = await import(${JSON.stringify(join(root, 'dist/lib/dns/records.js'))});
const { DEFAULT_DNS_CONFIG } = await import(${JSON.stringify(join(root, 'dist/lib/dns/config.js'))});
const config = { ...DEFAULT_DNS_CONFIG, Masters: ['127.0.0.1:5050'], Listener: '127.0.0.1' };
let started = performance.now();
const state = JSON.parse(readFileSync(process.argv[1], 'utf8'));
const parseMs = performance.now() - started;
const times = [];
let records;
let peakMb;
for (let run = 0; run < 3; run++) {
  started = performance.now();
  records = generateRecords(state, config);
  times.push(performance.now() - started);
  // What one \`dcos dns records\` run needs: the parsed document plus one generation.
  peakMb ??= process.resourceUsage().maxRSS / 1024;
}
times.sort((a, b) => a - b);
const values = (map) => [...map.values()].reduce((sum, list) => sum + list.length, 0);
console.log(JSON.stringify({
  parseMs, generateMs: times[1],
  names: records.a.size + records.aaaa.size + records.srv.size,
  values: values(records.a) + values(records.aaaa) + values(records.srv),
  peakMb,
}));
`;

function measureGeneration(path) {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE, path], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** 70 % A names of tasks, 20 % SRV, 10 % names that do not exist (NXDOMAIN). */
function queryFile({ tasks }) {
  const lines = [];
  const apps = tasks / 10;
  for (let index = 0; index < 10_000; index++) {
    const app = (index * 7919) % apps;
    const label = app % 3 === 0 ? `web-${app}-group-${app % 50}` : `app-${app}`;
    const kind = index % 10;
    if (kind < 7) lines.push(`${label}.marathon.mesos A`);
    else if (kind < 9) lines.push(`_${label}._tcp.marathon.mesos SRV`);
    else lines.push(`missing-${index}.marathon.mesos A`);
  }
  const path = join(work, 'queries.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function measureQps(statePath, size) {
  const port = await freePort();
  const httpPort = await freePort();
  const server = spawn(
    process.execPath,
    [
      join(root, 'bin', 'run.js'),
      'dns',
      'serve',
      '--state',
      statePath,
      '--listen',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      String(httpPort),
      '--no-external',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
  );
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('dns serve did not start within 30 s')), 30_000);
      server.stdout.once('data', () => (clearTimeout(timer), resolve()));
      server.once('exit', (code) => reject(new Error(`dns serve exited ${code}`)));
    });
    const run = spawnSync(
      'dnsperf',
      [
        '-s',
        '127.0.0.1',
        '-p',
        String(port),
        '-d',
        queryFile(size),
        '-l',
        String(DNSPERF_SECONDS),
        '-c',
        '4',
        '-Q',
        '200000',
      ],
      { encoding: 'utf8', timeout: (DNSPERF_SECONDS + 20) * 1000 },
    );
    if (run.status !== 0) throw new Error(`dnsperf failed: ${run.stderr || run.error}`);
    const field = (label) => Number(new RegExp(`${label}:\\s+([0-9.]+)`).exec(run.stdout)?.[1]);
    return {
      qps: field('Queries per second'),
      lost: Number(/Queries lost:\s+(\d+)/.exec(run.stdout)?.[1]),
      latencyMs: field('Average Latency \\(s\\)') * 1000,
    };
  } finally {
    server.kill('SIGTERM');
  }
}

try {
  const rows = [];
  const verdicts = [];
  let tenK;
  for (const size of SIZES) {
    const path = await stateFile(size);
    if (size.tasks === 10_000) tenK = { path, size };
    const result = measureGeneration(path);
    rows.push(
      `| ${size.tasks.toLocaleString('en')} tasks / ${size.agents.toLocaleString('en')} agents | ` +
        `${result.parseMs.toFixed(0)} ms | ${result.generateMs.toFixed(0)} ms | ${result.peakMb.toFixed(0)} MB | ` +
        `${result.names.toLocaleString('en')} names, ${result.values.toLocaleString('en')} values |`,
    );
    const timeOk = result.generateMs <= size.targetMs;
    const memoryOk = size.targetMb === undefined || result.peakMb <= size.targetMb;
    verdicts.push(
      `${size.tasks.toLocaleString('en')} tasks: generation ${result.generateMs.toFixed(0)} ms (target ${size.targetMs} ms)` +
        (size.targetMb ? `, peak ${result.peakMb.toFixed(0)} MB (target ${size.targetMb} MB)` : '') +
        ` → ${timeOk && memoryOk ? 'met' : 'NOT MET'}`,
    );
    if (!timeOk || !memoryOk) process.exitCode = 1;
  }
  const perf = await measureQps(tenK.path, tenK.size);
  const qpsOk = perf.qps >= QPS_TARGET;
  if (!qpsOk) process.exitCode = 1;
  verdicts.push(
    `dnsperf: ${perf.qps.toFixed(0)} queries/s (target ${QPS_TARGET}) → ${qpsOk ? 'met' : 'NOT MET'}`,
  );
  const report = [
    '| state | JSON parse | record generation (median of 3) | peak RSS (parse + one generation) | records |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    `dnsperf, ${DNSPERF_SECONDS} s, 4 clients, on the 10 000-task zone (70 % A, 20 % SRV, 10 % NXDOMAIN): ` +
      `${perf.qps.toFixed(0)} queries/s, ${perf.lost} lost, average latency ${perf.latencyMs.toFixed(2)} ms.`,
    '',
    ...verdicts.map((line) => `- ${line}`),
  ].join('\n');
  console.log(`Node ${process.version}\n\n${report}`);
  if (write) {
    const docs = join(root, 'docs', 'benchmarks.md');
    const section = `<!-- dns:begin -->\nMeasured ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 2 cores.\n\n${report}\n<!-- dns:end -->`;
    writeFileSync(
      docs,
      readFileSync(docs, 'utf8').replace(/<!-- dns:begin -->[\s\S]*<!-- dns:end -->/, section),
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
