// Helpers shared by the benchmark scripts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs a whole process and resolves with its wall time in ms; a non-zero exit rejects with its output. */
export function timeProcess(command, args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
        : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

/** `fetch` for the `dcos local` started with this DCOS_DIR: it sends the daemon's token, as the CLI does. */
export function localApi(dcosDir) {
  return (url, init = {}) => {
    const token = readFileSync(join(dcosDir, 'local', 'token'), 'utf8').trim();
    return fetch(url, { ...init, headers: { ...init.headers, authorization: `token=${token}` } });
  };
}

/** Posts `count` apps `/bench/app-<i>` (sleep 1000, 0.1 cpu, 16 MiB) to the cluster's Marathon, one by one. */
export async function postBenchApps(api, clusterUrl, count, instances) {
  for (let index = 0; index < count; index++) {
    const response = await api(`${clusterUrl}/service/marathon/v2/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `/bench/app-${index}`, cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances }),
    });
    if (response.status !== 201)
      throw new Error(`POST app-${index}: ${response.status} ${await response.text()}`);
  }
}
