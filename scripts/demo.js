#!/usr/bin/env node
// The README's first command: start `dcos local`, deploy examples/shell.json, show what the task printed.
// (Until `dcos marathon app add` exists, the app is posted to the cluster's Marathon API directly.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dcos = (...args) =>
  execFileSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], { encoding: 'utf8' });

console.log(dcos('local', 'start').trim());
const { url } = JSON.parse(dcos('local', 'start', '--json'));
const marathon = `${url}/service/marathon`;
const app = JSON.parse(readFileSync(join(root, 'examples', 'shell.json'), 'utf8'));

const existing = await fetch(`${marathon}/v2/apps/${app.id}`);
if (existing.status === 404) {
  const created = await fetch(`${marathon}/v2/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(app),
  });
  console.log(
    `POST /v2/apps -> ${created.status}, deployment ${created.headers.get('marathon-deployment-id')}`,
  );
}

let task;
for (let attempt = 0; attempt < 100 && !task; attempt++) {
  const info = await (await fetch(`${marathon}/v2/apps/${app.id}`)).json();
  task = info.app.tasks.find((candidate) => candidate.state === 'TASK_RUNNING');
  if (!task) await new Promise((resolve) => setTimeout(resolve, 100));
}
if (!task) throw new Error('the app did not start within 10 s');
console.log(`task ${task.id} runs on ${task.host}`);

const state = await (await fetch(`${url}/agent/${task.slaveId}/state`)).json();
const executor = state.frameworks
  .flatMap((framework) => framework.executors)
  .find((each) => each.id === task.id);
for (let attempt = 0; attempt < 50; attempt++) {
  const query = new URLSearchParams({ path: `${executor.directory}/stdout`, offset: '0' });
  const { data } = await (await fetch(`${url}/agent/${task.slaveId}/files/read?${query}`)).json();
  if (data) {
    console.log(`its stdout: ${data.trim().split('\n').at(-1)}`);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
console.log('Stop it with: ./bin/run.js local stop');
