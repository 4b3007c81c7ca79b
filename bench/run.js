#!/usr/bin/env node
// Startup benchmark: medians of whole-process runs, reported as ratios against `node -e 0` measured in the
// same run (absolute times vary between machines; ratios are what we hold ourselves to).
// Usage: npm run bench [-- --runs N] [-- --write]   (--write updates docs/benchmarks.md)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { median, timeProcess } from './lib.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'run.js');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 21;
const write = args.includes('--write') || process.env.BENCH_WRITE === '1';
const VERSION_TARGET = 2.0;

// A loopback stand-in for three clusters' /dcos-metadata/dcos-version.json, so `cluster list` probes for real.
const server = createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ version: '2.2.0', 'dcos-variant': 'open' }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}`;

const dcosDir = mkdtempSync(join(tmpdir(), 'dcos-bench-'));
for (const name of ['alpha', 'beta', 'gamma']) {
  const dir = join(dcosDir, 'clusters', `bench-${name}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'dcos.toml'), `[cluster]\nname = "${name}"\n\n[core]\ndcos_url = "${url}"\n`, {
    mode: 0o600,
  });
}
writeFileSync(join(dcosDir, 'clusters', 'bench-alpha', 'attached'), '');

const env = { ...process.env, DCOS_DIR: dcosDir, NO_COLOR: '1' };
const cases = [
  { name: 'node -e 0 (baseline)', command: process.execPath, args: ['-e', '0'] },
  { name: 'dcos --version', command: process.execPath, args: [bin, '--version'] },
  { name: 'dcos --help', command: process.execPath, args: [bin, '--help'] },
  {
    name: 'dcos cluster list --json (3 clusters)',
    command: process.execPath,
    args: [bin, 'cluster', 'list', '--json'],
  },
];

const samples = new Map(cases.map((c) => [c.name, []]));
// Interleave the cases so a noisy moment hurts all of them alike; one warm-up round first.
for (let round = 0; round <= runs; round++) {
  for (const c of cases) {
    const ms = await timeProcess(c.command, c.args, env);
    if (round > 0) samples.get(c.name).push(ms);
  }
}
server.close();
rmSync(dcosDir, { recursive: true, force: true });

const baseline = median(samples.get(cases[0].name));
const rows = cases.map((c) => {
  const m = median(samples.get(c.name));
  return { name: c.name, median: m, ratio: m / baseline };
});
const versionRatio = rows[1].ratio;
const table = [
  '| command | median (ms) | ratio to `node -e 0` |',
  '| --- | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${r.median.toFixed(1)} | ${r.ratio.toFixed(2)}x |`),
].join('\n');
const verdict = `\`dcos --version\` target: at most ${VERSION_TARGET.toFixed(1)}x → ${versionRatio.toFixed(2)}x, ${versionRatio <= VERSION_TARGET ? 'met' : 'NOT MET'}`;
console.log(`${runs} runs each, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log(table);
console.log(`\n${verdict}`);

if (write) {
  const path = join(root, 'docs', 'benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const section = `<!-- startup:begin -->\nMeasured ${new Date().toISOString().slice(0, 10)}, ${runs} runs each, Node ${process.version}, 2 cores.\n\n${table}\n\n${verdict}\n<!-- startup:end -->`;
  writeFileSync(path, doc.replace(/<!-- startup:begin -->[\s\S]*<!-- startup:end -->/, section));
  console.log(`\nupdated ${path}`);
}
if (versionRatio > VERSION_TARGET) process.exitCode = 1;
