/**
 * `dcos marathon ...` end to end against a `dcos local` daemon (one per file, shared by the tests below, which
 * run in order and build on each other): the seed's shell app from add to remove, a slow rolling restart
 * and its rollback, a failing app that makes --wait fail with the reason, and the group commands.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ROOT,
  runCli,
  runCliOnTerminal,
  tempDcosDir,
  type CliOptions,
  type CliResult,
} from '../helpers/cli.js';
import { processAlive, until } from '../helpers/wait.js';
import { fetchWithToken, localToken } from '../helpers/local.js';
import { jsonOf, linesOf, printed } from './fakes.js';

const dcosDir = tempDcosDir();
/** fetch with the token of the daemon these tests start. */
const authorizedFetch = fetchWithToken(() => localToken(join(dcosDir, 'local')));
const env = { DCOS_DIR: dcosDir };
const stateDir = join(dcosDir, 'local');
const SHELL_JSON = join(ROOT, 'examples', 'shell.json');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

interface Task {
  id: string;
  appId: string;
  host: string;
  state: string;
  version: string;
}

interface App {
  id: string;
  cmd: string;
  cpus: number;
  instances: number;
  tasksRunning: number;
  version: string;
  deployments: Array<{ id: string }>;
  tasks: Task[];
  healthChecks?: unknown[];
}

interface Deployment {
  id: string;
  affectedApps: string[];
  currentActions: Array<{ action: string; app?: string }>;
}

function dcos(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(['marathon', ...args], { env, timeoutMs: 30_000, ...options });
}

/** Runs a command that must succeed and returns its --json output. */
async function json<T>(args: string[], options: CliOptions = {}): Promise<T> {
  const result = await dcos([...args, '--json'], options);
  expect(result.code, printed(result)).toBe(0);
  return jsonOf<T>(result);
}

let url: string;

/** Marathon's own answer, for checking state (the CLI's output is checked where it is what the test is about). */
async function api<T>(path: string): Promise<T> {
  const response = await authorizedFetch(`${url}/service/marathon${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

const show = async (id: string) => (await api<{ app: App }>(`/v2/apps/${id.replace(/^\/+/, '')}`)).app;
const tasksOf = async (id: string) =>
  (await api<{ tasks: Task[] }>('/v2/tasks')).tasks.filter((task) => task.appId === id);

/** Task process groups the daemon persisted for `appId` (for orphan cleanup; here: to check none survive). */
function taskPgids(appId: string): number[] {
  const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
    tasks: Array<{ appId: string; pgid?: number }>;
  };
  return state.tasks
    .filter((task) => task.appId === appId)
    .map((task) => task.pgid)
    .filter((pgid): pgid is number => typeof pgid === 'number');
}

beforeAll(async () => {
  const start = await runCli(['local', 'start', '--agents', '3', '--json'], { env });
  expect(start.code, printed(start)).toBe(0);
  url = jsonOf<{ url: string }>(start).url;
});

afterAll(async () => {
  await runCli(['local', 'stop'], { env });
  await rm(dcosDir, { recursive: true, force: true });
});

describe('dcos marathon against dcos local: the seed shell app', () => {
  it('adds examples/shell.json with --wait and returns once its task runs', async () => {
    const add = await dcos(['app', 'add', SHELL_JSON, '--wait']);
    expect(add.code, printed(add)).toBe(0);
    expect(add.stdout).toMatch(new RegExp(`^Deployment ${UUID.source} finished in [\\d.]+s\\n$`));

    const app = await json<App>(['app', 'show', '/shell/']);
    expect(app).toMatchObject({ id: '/shell', instances: 1, tasksRunning: 1, deployments: [] });
    expect(app.tasks).toHaveLength(1);
    expect(app.tasks[0]?.state).toBe('TASK_RUNNING');

    const list = await dcos(['app', 'list']);
    expect(linesOf(list.stdout)).toEqual([
      expect.stringMatching(/^ID\s+MEM\s+CPUS\s+TASKS\s+HEALTH\s+DEPLOYMENT\s+WAITING\s+CONTAINER\s+CMD$/),
      expect.stringMatching(/^\/shell\s+10\s+0\.1\s+1\/1\s+---\s+---\s+false\s+MESOS\s+while \[ true \]/),
    ]);
    expect((await dcos(['app', 'list', '--quiet'])).stdout).toBe('/shell\n');
  });

  it('refuses to add the same app again, pointing at app update', async () => {
    const again = await dcos(['app', 'add', SHELL_JSON]);
    expect(again.code, printed(again)).toBe(1);
    expect(again.stderr).toBe(
      'Error: application /shell already exists; change it with `dcos marathon app update /shell`\n',
    );
  });

  it('scales to 10 instances with --wait', async () => {
    const scaled = await json<{ deploymentId: string; seconds: number }>([
      'app',
      'scale',
      'shell',
      '10',
      '--wait',
    ]);
    expect(scaled.deploymentId).toMatch(UUID);
    expect(typeof scaled.seconds).toBe('number');
    const tasks = await json<Task[]>(['task', 'list', 'shell']);
    expect(tasks).toHaveLength(10);
    expect(new Set(tasks.map((task) => task.id)).size).toBe(10);
    expect(tasks.every((task) => task.state === 'TASK_RUNNING')).toBe(true);
    expect((await show('shell')).tasksRunning).toBe(10);
  });

  it('shows a task by a unique prefix of its id; an ambiguous prefix exits 1 listing the candidates', async () => {
    const tasks = await tasksOf('/shell');
    const wanted = tasks[0] as Task;
    const prefix = wanted.id.slice(0, wanted.id.indexOf('-') + 9);
    expect(tasks.filter((task) => task.id.startsWith(prefix))).toHaveLength(1);
    expect((await json<Task>(['task', 'show', prefix])).id).toBe(wanted.id);

    const ambiguous = await dcos(['task', 'show', 'shell.instance-']);
    expect(ambiguous.code, printed(ambiguous)).toBe(1);
    expect(ambiguous.stdout).toBe('');
    expect(linesOf(ambiguous.stderr)).toHaveLength(1);
    expect(ambiguous.stderr).toMatch(/^Error: task id 'shell\.instance-' matches 10 tasks: /);
    for (const task of tasks) expect(ambiguous.stderr).toContain(task.id);

    const asJson = await dcos(['task', 'show', 'shell.instance-', '--json']);
    expect(asJson.code).toBe(1);
    const error = JSON.parse(asJson.stderr) as { error: { code: string; details: { candidates: string[] } } };
    expect(error.error.code).toBe('ambiguous_task');
    expect(error.error.details.candidates.sort()).toEqual(tasks.map((task) => task.id).sort());

    const unknown = await dcos(['task', 'show', 'nosuchtask']);
    expect(unknown.code, printed(unknown)).toBe(1);
    expect(unknown.stderr).toBe("Error: no task 'nosuchtask'; `dcos marathon task list` shows the tasks\n");
  });

  it('task kill <id> --scale --wait leaves 9 instances, without the killed task', async () => {
    const [victim] = await tasksOf('/shell');
    const kill = await dcos(['task', 'kill', (victim as Task).id, '--scale', '--wait']);
    expect(kill.code, printed(kill)).toBe(0);
    expect(kill.stdout).toMatch(/^Deployment \S+ finished in/);
    const app = await show('shell');
    expect(app).toMatchObject({ instances: 9, tasksRunning: 9, deployments: [] });
    expect(app.tasks.map((task) => task.id)).not.toContain((victim as Task).id);
  });

  it('app update shell cpus=0.2 --wait restarts every task with the new resources', async () => {
    const before = await show('shell');
    const update = await dcos(['app', 'update', 'shell', 'cpus=0.2', '--wait']);
    expect(update.code, printed(update)).toBe(0);
    const after = await show('shell');
    expect(after).toMatchObject({ cpus: 0.2, instances: 9, tasksRunning: 9, deployments: [] });
    expect(after.version).not.toBe(before.version);
    const oldIds = new Set(before.tasks.map((task) => task.id));
    expect(after.tasks.filter((task) => oldIds.has(task.id))).toEqual([]);
    expect(after.tasks.every((task) => task.version === after.version)).toBe(true);
  });

  it('a slow rolling restart shows in deployment list, blocks other changes (409) and is rolled back', async () => {
    // New tasks never become healthy (the check fails, but within its grace period nothing is killed), so
    // the restart cannot finish: --wait gives up after --timeout with where it was.
    const never = JSON.stringify([
      {
        protocol: 'COMMAND',
        command: { value: 'exit 1' },
        gracePeriodSeconds: 300,
        intervalSeconds: 1,
        delaySeconds: 0,
        maxConsecutiveFailures: 0,
      },
    ]);
    const slow = await dcos([
      'app',
      'update',
      'shell',
      'cpus=0.3',
      `healthChecks=${never}`,
      '--wait',
      '--timeout',
      '2',
    ]);
    expect(slow.code, printed(slow)).toBe(1);
    expect(linesOf(slow.stderr)).toEqual([
      expect.stringMatching(
        /^Error: deployment \S+ did not finish within 2s \(step 1\/1: RestartApplication \/shell\)$/,
      ),
    ]);

    const deployments = await json<Deployment[]>(['deployment', 'list']);
    expect(deployments).toHaveLength(1);
    const deployment = deployments[0] as Deployment;
    expect(deployment.affectedApps).toEqual(['/shell']);
    expect(deployment.currentActions).toEqual([
      expect.objectContaining({ action: 'RestartApplication', app: '/shell' }),
    ]);
    expect(slow.stderr).toContain(deployment.id);
    const table = await dcos(['deployment', 'list', 'shell']);
    expect(linesOf(table.stdout)).toEqual([
      expect.stringMatching(/^APP\s+POD\s+ACTION\s+PROGRESS\s+ID$/),
      expect.stringMatching(new RegExp(`^/shell\\s+---\\s+restart\\s+0/1\\s+${deployment.id}$`)),
    ]);
    expect((await dcos(['deployment', 'list', '--quiet'])).stdout).toBe(`${deployment.id}\n`);
    const listed = await dcos(['app', 'list']);
    expect(listed.stdout).toMatch(/\/shell\s+10\s+0\.3\s+\d+\/9\s+0\/\d+\s+restart\s+false/);

    // Another change to the locked app: Marathon's 409, naming the deployment and suggesting --force.
    const blocked = await dcos(['app', 'scale', 'shell', '3']);
    expect(blocked.code, printed(blocked)).toBe(1);
    expect(linesOf(blocked.stderr)).toHaveLength(1);
    expect(blocked.stderr).toContain(deployment.id);
    expect(blocked.stderr).toContain('--force');
    const blockedJson = await dcos(['app', 'scale', 'shell', '3', '--json']);
    expect(blockedJson.code).toBe(1);
    expect(JSON.parse(blockedJson.stderr)).toEqual({
      error: expect.objectContaining({ code: 'conflict', details: { deployments: [deployment.id] } }),
    });

    const rollback = await dcos(['deployment', 'rollback', deployment.id, '--wait']);
    expect(rollback.code, printed(rollback)).toBe(0);
    expect(rollback.stdout).toMatch(/^Deployment \S+ finished in/);
    expect(await json<Deployment[]>(['deployment', 'list'])).toEqual([]);
    const none = await dcos(['deployment', 'list']);
    expect(none).toMatchObject({ code: 0, stdout: 'No deployments.\n' });

    const back = await show('shell');
    expect(back).toMatchObject({ cpus: 0.2, instances: 9, tasksRunning: 9, deployments: [] });
    expect(back.healthChecks ?? []).toEqual([]);
  });

  it('shows older versions (--app-version -1) and lists versions (--max-count 1)', async () => {
    const versions = await json<string[]>(['app', 'version', 'list', 'shell']);
    expect(versions.length).toBeGreaterThanOrEqual(4);
    expect([...versions].sort().reverse()).toEqual(versions);
    const newest = await dcos(['app', 'version', 'list', 'shell', '--max-count', '1']);
    expect(newest).toMatchObject({ code: 0, stdout: `${versions[0]}\n` });

    // The rollback stored the restored definition as the newest version (as Marathon does), so -1 is the
    // rolled-back cpus=0.3 one.
    const previous = await json<App>(['app', 'show', 'shell', '--app-version', '-1']);
    expect(previous.version).toBe(versions[1]);
    expect(previous.cpus).toBe(0.3);
    expect(await json<App>(['app', 'show', 'shell', '--app-version', versions[1] as string])).toEqual(
      previous,
    );
    const latest = await json<App>(['app', 'show', 'shell', '--app-version', versions[0] as string]);
    expect(latest.cpus).toBe(0.2);
    const oldest = await json<App>(['app', 'show', 'shell', '--app-version', versions.at(-1) as string]);
    expect(oldest).toMatchObject({ cpus: 0.1, instances: 1 });

    const tooFar = await dcos(['app', 'show', 'shell', '--app-version', `-${versions.length}`]);
    expect(tooFar.code, printed(tooFar)).toBe(1);
    expect(tooFar.stderr).toBe(`Error: application /shell only has ${versions.length} version(s)\n`);
    const positive = await dcos(['app', 'show', 'shell', '--app-version', '2']);
    expect(positive.code, printed(positive)).toBe(1);
    expect(positive.stderr).toBe('Error: relative versions must be negative: 2\n');
    const zero = await dcos(['app', 'version', 'list', 'shell', '--max-count', '0']);
    expect(zero.code, printed(zero)).toBe(1);
  });

  it('app kill --scale --host kills only the tasks on that host and lowers instances by as many', async () => {
    const tasks = await tasksOf('/shell');
    const host = (tasks[0] as Task).host;
    const onHost = tasks.filter((task) => task.host === host);
    expect(onHost.length).toBeGreaterThan(0);
    expect(onHost.length).toBeLessThan(tasks.length);

    const kill = await dcos(['app', 'kill', '/shell', '--scale', '--host', host, '--wait']);
    expect(kill.code, printed(kill)).toBe(0);
    const app = await show('shell');
    expect(app.instances).toBe(tasks.length - onHost.length);
    expect(app.tasksRunning).toBe(app.instances);
    expect(app.tasks.filter((task) => task.host === host)).toEqual([]);
    const survivors = new Set(app.tasks.map((task) => task.id));
    expect(tasks.filter((task) => task.host !== host).every((task) => survivors.has(task.id))).toBe(true);
  });

  it('app kill --host without --scale kills the tasks there and Marathon replaces them', async () => {
    const tasks = await tasksOf('/shell');
    const host = (tasks[0] as Task).host;
    const onHost = tasks.filter((task) => task.host === host).map((task) => task.id);

    const kill = await json<{ killed: string[] }>(['app', 'kill', 'shell', '--host', host]);
    expect(kill.killed.sort()).toEqual([...onHost].sort());
    const replaced = await until('the killed tasks to be replaced', async () => {
      const app = await show('shell');
      return app.tasksRunning === tasks.length && app.tasks.every((task) => !onHost.includes(task.id))
        ? app
        : undefined;
    });
    expect(replaced.instances).toBe(tasks.length);

    const nothing = await dcos(['app', 'kill', 'shell', '--host', '127.0.0.250']);
    expect(nothing).toMatchObject({ code: 0, stdout: 'No tasks to kill.\n' });
  });

  it('restart, stop and start follow their deployments with --wait', async () => {
    const before = await show('shell');
    const restart = await dcos(['app', 'restart', 'shell', '--wait']);
    expect(restart.code, printed(restart)).toBe(0);
    expect(restart.stderr, 'no progress lines in a pipe').toBe('');
    const restarted = await show('shell');
    expect(restarted.tasksRunning).toBe(before.instances);
    expect(restarted.tasks.some((task) => before.tasks.some((old) => old.id === task.id))).toBe(false);

    const stop = await dcos(['app', 'stop', 'shell', '--wait']);
    expect(stop.code, printed(stop)).toBe(0);
    expect(await show('shell')).toMatchObject({ instances: 0, tasksRunning: 0 });

    const start = await dcos(['app', 'start', 'shell', '2', '--wait']);
    expect(start.code, printed(start)).toBe(0);
    expect(await show('shell')).toMatchObject({ instances: 2, tasksRunning: 2 });
  });

  it('on a terminal, --wait shows the deployment starting, each step and the result', async () => {
    const result = await runCliOnTerminal(['marathon', 'app', 'restart', 'shell', '--wait'], {
      env,
      timeoutMs: 30_000,
    });
    expect(result.code, printed(result)).toBe(0);
    const lines = linesOf(result.stdout);
    const id = /^Deployment (\S+) started$/.exec(lines[0] ?? '')?.[1];
    expect(id, result.stdout).toMatch(UUID);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}step 1\/1: RestartApplication \/shell$/));
    expect(lines.at(-1)).toMatch(new RegExp(`^Deployment ${id} finished in [0-9.]+s$`));
  });

  it('app remove --wait leaves no task process behind', async () => {
    const pgids = await until('recorded task process groups', () =>
      taskPgids('/shell').length === 2 ? taskPgids('/shell') : undefined,
    );
    expect(pgids.every(processAlive)).toBe(true);

    const remove = await dcos(['app', 'remove', 'shell', '--wait']);
    expect(remove.code, printed(remove)).toBe(0);
    await until('the task processes to be gone', () => (pgids.some(processAlive) ? undefined : true), 10_000);
    expect(taskPgids('/shell')).toEqual([]);
    expect(await json<unknown[]>(['app', 'list'])).toEqual([]);
    const gone = await dcos(['app', 'show', 'shell']);
    expect(gone.code, printed(gone)).toBe(1);
    expect(gone.stderr).toBe("Error: App '/shell' does not exist\n");
  });
});

describe('dcos marathon against dcos local: failures', () => {
  it('--wait on an app whose tasks exit 1 fails with the reason well within its --timeout', async () => {
    const failing = JSON.stringify({
      id: '/failing',
      cmd: 'exit 1',
      cpus: 0.1,
      mem: 10,
      instances: 1,
      healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' } }],
    });
    const started = Date.now();
    const add = await dcos(['app', 'add', '--wait', '--timeout', '30'], { input: failing });
    const seconds = (Date.now() - started) / 1000;
    expect(add.code, printed(add)).toBe(1);
    expect(seconds).toBeLessThan(30);
    expect(add.stdout).toBe('');
    expect(linesOf(add.stderr)).toHaveLength(1);
    expect(add.stderr).toMatch(/^Error: deployment \S+ cannot finish: \d+ tasks of \/failing failed/);
    expect(add.stderr).toContain('exited with status 1');
    expect(add.stderr).toContain('dcos marathon deployment rollback');

    // The deployment keeps going; `deployment watch` tells the same story, as JSON with --json.
    const [deployment] = await json<Deployment[]>(['deployment', 'list', '/failing']);
    expect(add.stderr).toContain((deployment as Deployment).id);
    const watch = await dcos([
      'deployment',
      'watch',
      (deployment as Deployment).id,
      '--timeout',
      '30',
      '--json',
    ]);
    expect(watch.code, printed(watch)).toBe(1);
    expect(watch.stdout).toBe('');
    const error = JSON.parse(watch.stderr) as { error: { code: string; message: string } };
    expect(error.error.code).toMatch(/^deployment_(failing|timeout)$/);
    expect(error.error.message).toContain('exited with status 1');

    const stop = await dcos(['deployment', 'stop', (deployment as Deployment).id]);
    expect(stop).toMatchObject({ code: 0, stdout: `Stopped deployment ${(deployment as Deployment).id}.\n` });
    expect(await json<Deployment[]>(['deployment', 'list'])).toEqual([]);
    const remove = await dcos(['app', 'remove', 'failing', '--wait']);
    expect(remove.code, printed(remove)).toBe(0);
  }, 60_000);

  it('deployment watch of an unknown id exits 0 at once (it is not running)', async () => {
    const watch = await dcos([
      'deployment',
      'watch',
      '00000000-0000-0000-0000-000000000000',
      '--timeout',
      '5',
    ]);
    expect(watch.code, printed(watch)).toBe(0);
  });
});

describe('dcos marathon against dcos local: groups', () => {
  const group = {
    id: '/grp',
    apps: [
      { id: '/grp/a', cmd: 'sleep 1000', cpus: 0.1, mem: 10, instances: 1 },
      { id: '/grp/b', cmd: 'sleep 1000', cpus: 0.1, mem: 10, instances: 1, dependencies: ['/grp/a'] },
    ],
  };

  it('adds a group from stdin, lists, shows, scales, updates and removes it', async () => {
    const add = await dcos(['group', 'add', '--wait'], { input: JSON.stringify(group) });
    expect(add.code, printed(add)).toBe(0);

    const list = await dcos(['group', 'list']);
    expect(list.code, printed(list)).toBe(0);
    expect(linesOf(list.stdout)[0]).toMatch(/^ID\s+APPS/);
    expect(list.stdout).toMatch(/^\/grp\s+2\b/m);

    const shown = await json<{ id: string; apps: App[] }>(['group', 'show', 'grp']);
    expect(shown.id).toBe('/grp');
    expect(shown.apps.map((app) => app.id).sort()).toEqual(['/grp/a', '/grp/b']);

    const scale = await dcos(['group', 'scale', '/grp', '2', '--wait']);
    expect(scale.code, printed(scale)).toBe(0);
    expect((await show('/grp/a')).tasksRunning).toBe(2);
    expect((await show('/grp/b')).tasksRunning).toBe(2);

    const apps = group.apps.map((app) => ({ ...app, instances: 1 }));
    const update = await dcos(['group', 'update', 'grp', `apps=${JSON.stringify(apps)}`, '--wait']);
    expect(update.code, printed(update)).toBe(0);
    expect((await show('/grp/a')).tasksRunning).toBe(1);

    const badFactor = await dcos(['group', 'scale', '/grp', 'lots']);
    expect(badFactor.code).toBe(1);

    const remove = await dcos(['group', 'remove', '/grp', '--wait']);
    expect(remove.code, printed(remove)).toBe(0);
    expect(await json<unknown[]>(['app', 'list'])).toEqual([]);
  }, 40_000);
});
