#!/usr/bin/env node
// `dcos task log` benchmark: a task of a `dcos local` cluster writes 1 GiB of log lines to its stdout, then
// `dcos task log <task> --lines all` reads the whole file through the agent's files API (the same code
// path as any Mesos cluster without the logging API v2) with stdout on /dev/null. Measures throughput and
// the CLI's peak RSS (/usr/bin/time -f %M). Talks only to the loopback daemon it starts; the 1 GiB sandbox
// is deleted at the end. `--write` or BENCH_WRITE=1 updates docs/benchmarks.md.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { localApi, median } from './lib.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'run.js');
const write = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const SIZE = 1024 ** 3;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGET_MBPS = 50;
const TARGET_RSS_MB = 150;
// 100-byte lines (99 characters and the newline), like a busy service's log.
const LINE = `dcos task log benchmark ${'0123456789'.repeat(7)}xxxx`;

const dcosDir = mkdtempSync(join(tmpdir(), 'dcos-bench-logs-'));
const env = { ...process.env, DCOS_DIR: dcosDir, NO_COLOR: '1' };
const api = localApi(dcosDir);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const dcos = (...args) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });

/** Runs the CLI under /usr/bin/time with stdout on /dev/null: wall ms and peak RSS in MB. */
function timedRead(task) {
  return new Promise((resolve, reject) => {
    const devNull = openSync('/dev/null', 'w');
    const started = process.hrtime.bigint();
    const child = spawn(
      '/usr/bin/time',
      ['-f', 'maxrss_kb=%M', process.execPath, bin, 'task', 'log', task, '--lines', 'all'],
      { env, stdio: ['ignore', devNull, 'pipe'] },
    );
    closeSync(devNull);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const rss = /maxrss_kb=(\d+)/.exec(stderr);
      if (code !== 0 || !rss) reject(new Error(`dcos task log exited ${code}: ${stderr}`));
      else resolve({ ms, rssMb: Number(rss[1]) / 1024 });
    });
  });
}

async function json(url) {
  const response = await api(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

/** The task's stdout size on its agent, through the files API (what the CLI reads). */
async function stdoutSize(url, taskId) {
  const state = await json(`${url}/mesos/master/state`);
  const task = state.frameworks.flatMap((framework) => framework.tasks).find((entry) => entry.id === taskId);
  const agent = await json(`${url}/agent/${task.slave_id}/state`);
  const executor = agent.frameworks
    .flatMap((framework) => framework.executors)
    .find((entry) => entry.id === taskId);
  const read = await json(
    `${url}/agent/${task.slave_id}/files/read?path=${encodeURIComponent(`${executor.directory}/stdout`)}&offset=-1`,
  );
  return read.offset;
}

try {
  const start = dcos('local', 'start', '--agents', '1', '--json');
  if (start.status !== 0) throw new Error(`dcos local start: ${start.stderr}`);
  const { url } = JSON.parse(start.stdout);
  const app = {
    id: '/biglog',
    cmd: `yes '${LINE}' | head -c ${SIZE}; sleep 3600`,
    cpus: 0.1,
    mem: 32,
    instances: 1,
  };
  const post = await api(`${url}/service/marathon/v2/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(app),
  });
  if (post.status !== 201) throw new Error(`POST /v2/apps: ${post.status} ${await post.text()}`);

  let taskId;
  let size = 0;
  const generating = Date.now();
  for (let attempt = 0; attempt < 1200 && size < SIZE; attempt++) {
    const { tasks } = await json(`${url}/service/marathon/v2/tasks`);
    taskId = tasks.find((task) => task.appId === '/biglog' && task.state === 'TASK_RUNNING')?.id;
    if (taskId) size = await stdoutSize(url, taskId);
    if (size < SIZE) await sleep(100);
  }
  if (size !== SIZE) throw new Error(`the task wrote ${size} of ${SIZE} bytes in 120 s`);
  console.log(`1 GiB written by the task in ${((Date.now() - generating) / 1000).toFixed(1)} s`);

  const tail = dcos('task', 'log', taskId, '--lines', '2');
  // 1 GiB is not a whole number of lines: the last one is cut, and the CLI ends it with a newline.
  if (tail.status !== 0 || tail.stdout.split('\n')[0] !== LINE) {
    throw new Error(`unexpected tail: ${JSON.stringify(tail.stdout)} ${tail.stderr}`);
  }

  const runs = [];
  for (let run = 0; run < RUNS; run++) runs.push(await timedRead(taskId));
  const ms = median(runs.map((run) => run.ms));
  const rssMb = Math.max(...runs.map((run) => run.rssMb));
  const mbps = SIZE / 1e6 / (ms / 1000);
  const table = [
    '| measure | value | target |',
    '| --- | ---: | --- |',
    `| \`dcos task log <task> --lines all > /dev/null\`, 1 GiB (median of ${RUNS}) | ${(ms / 1000).toFixed(2)} s | |`,
    `| throughput | ${mbps.toFixed(0)} MB/s | at least ${TARGET_MBPS} MB/s: ${mbps >= TARGET_MBPS ? 'met' : 'NOT MET'} |`,
    `| peak RSS of the CLI process (highest of ${RUNS}) | ${rssMb.toFixed(0)} MB | under ${TARGET_RSS_MB} MB: ${rssMb < TARGET_RSS_MB ? 'met' : 'NOT MET'} |`,
  ].join('\n');
  console.log(`dcos task log, 1 GiB through the files API, Node ${process.version}\n\n${table}`);
  if (write) {
    const path = join(root, 'docs', 'benchmarks.md');
    const section = `<!-- logs:begin -->\nMeasured ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 2 cores.\n\n${table}\n<!-- logs:end -->`;
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace(/<!-- logs:begin -->[\s\S]*<!-- logs:end -->/, section),
    );
    console.log(`\nupdated ${path}`);
  }
  if (mbps < TARGET_MBPS || rssMb >= TARGET_RSS_MB) process.exitCode = 1;
} finally {
  dcos('local', 'stop');
  rmSync(dcosDir, { recursive: true, force: true });
}
