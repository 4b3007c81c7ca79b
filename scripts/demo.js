#!/usr/bin/env node
// The README's first command: start `dcos local`, deploy examples/shell.json, show what the task printed.
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

if (!dcos('marathon', 'app', 'list', '--quiet').split('\n').includes(`/${app.id}`)) {
  console.log(dcos('marathon', 'app', 'add', join(root, 'examples', 'shell.json'), '--wait').trim());
}
console.log(dcos('marathon', 'app', 'list').trim());

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
