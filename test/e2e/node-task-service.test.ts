/**
 * `dcos node|task|service list` and `dcos node log` end to end against a `dcos local` daemon (one per file;
 * the tests run in order and build on each other): the leader and three agents, the seed's shell app as a
 * Mesos task, Marathon as the only framework, and the daemon's own log served as the logging API v2.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir, type CliResult } from '../helpers/cli.js';
import { processAlive, until } from '../helpers/wait.js';
import { jsonOf, linesOf, printed } from './fakes.js';

const dcosDir = tempDcosDir();
const env = { DCOS_DIR: dcosDir };
const SHELL_JSON = join(ROOT, 'examples', 'shell.json');

function dcos(args: string[]): Promise<CliResult> {
  return runCli(args, { env, timeoutMs: 30_000 });
}

let agents: string[] = [];

beforeAll(async () => {
  const start = await dcos(['local', 'start', '--agents', '3', '--json']);
  expect(start.code, printed(start)).toBe(0);
});

afterAll(async () => {
  const daemon = join(dcosDir, 'local', 'daemon.json');
  let pid: number | undefined;
  try {
    pid = (JSON.parse(readFileSync(daemon, 'utf8')) as { pid: number }).pid;
  } catch {
    pid = undefined;
  }
  await runCli(['local', 'stop'], { env });
  if (pid !== undefined) expect(processAlive(pid)).toBe(false);
  await rm(dcosDir, { recursive: true, force: true });
});

describe('dcos node list', () => {
  it('shows the leading master and the three agents', async () => {
    const list = await dcos(['node', 'list']);
    expect(list.code, printed(list)).toBe(0);
    const [header, ...rows] = linesOf(list.stdout);
    expect(header!.split(/\s{2,}/)).toEqual(['HOSTNAME', 'IP', 'ID', 'TYPE', 'REGION', 'ZONE']);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/master \(leader\)/);
    expect(rows.slice(1).every((row) => /\S+-S\d+\s+agent\s/.test(row))).toBe(true);
  });

  it('adds a column per --field and round-trips with --json', async () => {
    const list = await dcos(['node', 'list', '--field', 'attributes.rack', '--field', 'resources.cpus']);
    expect(list.code, printed(list)).toBe(0);
    const lines = linesOf(list.stdout);
    expect(lines[0]).toMatch(/ZONE\s+ATTRIBUTES\.RACK\s+RESOURCES\.CPUS$/);
    expect(lines[1]).toMatch(/---\s+---$/);
    expect(lines[2]).toMatch(/rack-1\s+4$/);
    const json = jsonOf<Array<{ id: string; type: string }>>(await dcos(['node', 'list', '--json']));
    expect(json.map((node) => node.type)).toEqual(['master (leader)', 'agent', 'agent', 'agent']);
    agents = json.slice(1).map((node) => node.id);
  });
});

describe('dcos task list and service list', () => {
  it("lists the shell app's Mesos task", async () => {
    const add = await dcos(['marathon', 'app', 'add', SHELL_JSON, '--wait']);
    expect(add.code, printed(add)).toBe(0);
    const list = await dcos(['task', 'list']);
    expect(list.code, printed(list)).toBe(0);
    const [header, ...rows] = linesOf(list.stdout);
    expect(header!.split(/\s{2,}/)).toEqual([
      'NAME',
      'HOST',
      'USER',
      'STATE',
      'ID',
      'AGENT ID',
      'REGION',
      'ZONE',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^shell\s+127\.0\.0\.\d+\s+root\s+TASK_RUNNING\s+shell\.\S+\s+\S+-S\d/);
  });

  it('filters like the DC/OS CLI and prints the raw tasks with --json', async () => {
    const tasks = jsonOf<Array<{ id: string; name: string; slave_id: string }>>(
      await dcos(['task', 'list', 'shel', '--json']),
    );
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ name: 'shell', state: 'TASK_RUNNING' });
    expect(agents).toContain(tasks[0]!.slave_id);
    const exact = jsonOf<unknown[]>(await dcos(['task', 'list', tasks[0]!.id, '--json']));
    expect(exact).toHaveLength(1);
    const none = await dcos(['task', 'list', 'no-such-task']);
    expect(none.code, printed(none)).toBe(0);
    expect(none.stdout).toBe('No matching tasks.\n');
    expect(jsonOf(await dcos(['task', 'list', 'no-such-task', '--json']))).toEqual([]);
  });

  it('shows marathon as the only service', async () => {
    const list = await dcos(['service', 'list']);
    expect(list.code, printed(list)).toBe(0);
    const [header, ...rows] = linesOf(list.stdout);
    expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'HOST', 'ACTIVE', 'TASKS', 'CPU', 'MEM', 'DISK', 'ID']);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^marathon\s+127\.0\.0\.1\s+True\s+1\s/);
  });
});

describe('dcos node log', () => {
  it('prints exactly the last --lines entries of the leader', async () => {
    const log = await dcos(['node', 'log', '--leader', '--lines', '3']);
    expect(log.code, printed(log)).toBe(0);
    const lines = linesOf(log.stdout);
    expect(lines).toHaveLength(3);
    expect(
      lines.every((line) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC dcos-mesos-master\[\d+\]: /.test(line)),
    ).toBe(true);
    expect(lines[2]).toMatch(/deployment \S+ succeeded$/);
  });

  it("prints an agent's log and says which backend it used with --verbose", async () => {
    const log = await dcos([
      'node',
      'log',
      '--mesos-id',
      agents[0]!,
      '--lines',
      '2',
      '-o',
      'cat',
      '--verbose',
    ]);
    expect(log.code, printed(log)).toBe(0);
    expect(linesOf(log.stdout)).toHaveLength(2);
    expect(log.stderr).toContain(`node log: DC/OS logging API v2 at `);
    expect(log.stderr).toContain(`/system/v1/agent/${agents[0]}/logs/v2/component`);
  });

  it('fails clearly for an unknown agent, and on --leader with --mesos-id', async () => {
    const unknown = await dcos(['node', 'log', '--mesos-id', `${agents[0]!.slice(0, -1)}9`]);
    expect(unknown.code, printed(unknown)).toBe(1);
    expect(unknown.stderr).toBe(
      `Error: agent '${agents[0]!.slice(0, -1)}9' not found; closest: ${[...agents].sort().join(', ')}\n`,
    );
    const both = await dcos(['node', 'log', '--leader', '--mesos-id', agents[0]!]);
    expect(both.code, printed(both)).toBe(1);
    expect(both.stderr).toBe('Error: unable to use --leader and --mesos-id at the same time\n');
    const neither = await dcos(['node', 'log']);
    expect(neither.code, printed(neither)).toBe(1);
  });

  it('--follow prints a new line within 2 s and exits 130 on SIGINT', async () => {
    let child: ChildProcess | undefined;
    let stdout = '';
    const done = runCli(['node', 'log', '--leader', '--follow', '--lines', '1', '-o', 'cat'], {
      env,
      timeoutMs: 30_000,
      onSpawn: (spawned) => {
        child = spawned;
        spawned.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      },
    });
    // The last entry arriving means the stream is open; only then make the daemon log something new.
    await until('the first entry', () => stdout.includes('\n'));
    const before = stdout;
    const scale = await dcos(['marathon', 'app', 'update', '/shell', 'instances=2']);
    expect(scale.code, printed(scale)).toBe(0);
    await until('a new entry', () => stdout.slice(before.length).includes('TASK_RUNNING'), 2_000);
    child!.kill('SIGINT');
    const result = await done;
    expect(result.code, printed(result)).toBe(130);
    expect(result.stdout).toMatch(/^task shell\.\S+ is TASK_\w+ on agent \S+$/m);
  });
});
