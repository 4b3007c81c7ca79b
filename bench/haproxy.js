#!/usr/bin/env node
// HAProxy config generation benchmark (target from issue 6, on this 2-core machine): synthetic 1 000 and
// 10 000 apps x 3 tasks; 10 000 apps in at most 400 ms, and time growing about linearly with the app count.
// In-process, median of 5 after a warm-up, on the built generator (`npm run build` first). BENCH_WRITE=1 (or
// --write) updates docs/benchmarks.md.
import { Buffer } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { median } from './lib.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const { generateHaproxyConfig } = await import(join(root, 'dist/lib/haproxy/model.js'));
const TARGET_MS = 400;
const RUNS = 5;

/** As in marathon-lb's own measurements: 3 tasks and an HTTP health check each, half with a vhost, a tenth a path. */
function syntheticApps(count) {
  const apps = [];
  for (let index = 0; index < count; index++) {
    const id = `/bench/group-${index % 50}/app-${index}`;
    const labels = { HAPROXY_GROUP: 'external' };
    if (index % 2 === 0) labels.HAPROXY_0_VHOST = `app-${index}.example.com`;
    if (index % 10 === 0) labels.HAPROXY_0_PATH = `/api/${index}`;
    if (index % 7 === 0) labels.HAPROXY_0_STICKY = 'true';
    apps.push({
      id,
      instances: 3,
      portDefinitions: [{ port: 10_000 + index }],
      labels,
      healthChecks: [
        {
          protocol: 'HTTP',
          path: '/health',
          portIndex: 0,
          intervalSeconds: 5,
          timeoutSeconds: 3,
          maxConsecutiveFailures: 3,
        },
      ],
      tasks: [0, 1, 2].map((n) => ({
        id: `${id.slice(1).replaceAll('/', '_')}.task-${n}`,
        appId: id,
        host: `10.0.${(index + n) % 250}.${(index * 3 + n) % 250}`,
        ports: [31_000 + ((index * 3 + n) % 1000)],
        state: 'TASK_RUNNING',
        startedAt: '2026-11-20T10:00:00.000Z',
        healthCheckResults: [{ alive: true }],
      })),
    });
  }
  return { apps };
}

const OPTIONS = { sslCerts: ['/etc/ssl/cert.pem'], healthCheck: true };

/** Both sizes warm up first (twice each), then alternate, so neither is measured on a colder JIT. */
function measureAll(counts) {
  const inputs = counts.map((count) => syntheticApps(count));
  for (let round = 0; round < 2; round++) for (const input of inputs) generateHaproxyConfig(input, OPTIONS);
  const times = counts.map(() => []);
  const ownerTimes = counts.map(() => []);
  let configs = [];
  for (let run = 0; run < RUNS; run++) {
    configs = inputs.map((input, index) => {
      let started = performance.now();
      const config = generateHaproxyConfig(input, OPTIONS);
      times[index].push(performance.now() - started);
      // Line owners are computed on first use (only mapping `haproxy -c` errors back to apps needs them).
      started = performance.now();
      void config.lineOwners.size;
      ownerTimes[index].push(performance.now() - started);
      return config;
    });
  }
  return counts.map((count, index) => {
    const config = configs[index];
    if (config.report.included.length !== count)
      throw new Error(`only ${config.report.included.length} apps included`);
    return {
      ms: median(times[index]),
      ownersMs: median(ownerTimes[index]),
      lines: config.text.split('\n').length - 1,
      bytes: Buffer.byteLength(config.text),
    };
  });
}

const [small, large] = measureAll([1_000, 10_000]);
const ratio = large.ms / small.ms;
const linear = ratio >= 5 && ratio <= 15;
const fast = large.ms <= TARGET_MS;
if (!linear || !fast) process.exitCode = 1;
const row = (count, result) =>
  `| ${count.toLocaleString('en')} x 3 | ${result.ms.toFixed(1)} ms | ${((result.ms * 1000) / count).toFixed(1)} µs | ` +
  `${result.ownersMs.toFixed(1)} ms | ` +
  `${result.lines.toLocaleString('en')} | ` +
  `${(result.bytes / 1024 / 1024).toFixed(1)} MB |`;
const report = [
  '| apps x tasks | generation (median of 5) | per app | + line owners, when read | config lines | config size |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  row(1_000, small),
  row(10_000, large),
  '',
  `- 10,000 apps: ${large.ms.toFixed(0)} ms (target ${TARGET_MS} ms) → ${fast ? 'met' : 'NOT MET'}`,
  `- 10x the apps took ${ratio.toFixed(1)}x the time (linear: about 10x) → ${linear ? 'linear' : 'NOT LINEAR'}`,
].join('\n');
console.log(`Node ${process.version}\n\n${report}`);
if (write) {
  const docs = join(root, 'docs', 'benchmarks.md');
  const section = `<!-- haproxy:begin -->\nMeasured ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 2 cores.\n\n${report}\n<!-- haproxy:end -->`;
  writeFileSync(
    docs,
    readFileSync(docs, 'utf8').replace(/<!-- haproxy:begin -->[\s\S]*<!-- haproxy:end -->/, section),
  );
}
