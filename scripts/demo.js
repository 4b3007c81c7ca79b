#!/usr/bin/env node
// The README's first command: start `dcos local`, deploy examples/shell.json, show what its task printed.
// Everything goes through the CLI, as a user would type it (the daemon wants its token, which the CLI sends).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dcos = (...args) =>
  execFileSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], { encoding: 'utf8' });
const shellJson = join(root, 'examples', 'shell.json');
const app = JSON.parse(readFileSync(shellJson, 'utf8'));

console.log(dcos('local', 'start').trim());
if (!dcos('marathon', 'app', 'list', '--quiet').split('\n').includes(`/${app.id}`)) {
  console.log(dcos('marathon', 'app', 'add', shellJson, '--wait').trim());
}
console.log(dcos('marathon', 'app', 'list').trim());
console.log(dcos('task', 'list', app.id).trim());

let printed = '';
for (let attempt = 0; attempt < 100 && !printed; attempt++) {
  printed = dcos('task', 'log', app.id, '--lines', '1').trim();
  if (!printed) await new Promise((resolve) => setTimeout(resolve, 100));
}
if (!printed) throw new Error('the task printed nothing within 10 s');
console.log(`its stdout: ${printed}`);
console.log('Stop it with: ./bin/run.js local stop');
