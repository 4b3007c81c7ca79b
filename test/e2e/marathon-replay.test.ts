/**
 * Every `dcos marathon` list/show command against a loopback server replaying Marathon's documented
 * responses (test/fixtures/marathon/*.json, from Marathon's REST API docs): the tables they print and their
 * --json output, which must be the server's data unchanged. Both ways of finding Marathon are covered: a DC/OS
 * cluster from `DCOS_URL` (Marathon at `<url>/service/marathon`) and a plain Marathon cluster (`marathon.url`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir, type CliResult } from '../helpers/cli.js';
import { startServer, type Routes, type TestServer } from '../helpers/servers.js';
import { jsonOf, linesOf, printed } from './fakes.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/marathon');
function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

interface App {
  id: string;
  version: string;
  [field: string]: unknown;
}
interface Group {
  id: string;
  apps: App[];
  groups: Group[];
}

const appList = fixture<{ apps: App[] }>('app_list.json');
const tasks = fixture<{ tasks: Array<{ id: string; appId: string }> }>('tasks.json');
const deployments = fixture<Array<{ id: string }>>('deployments.json');
const info = fixture<Record<string, unknown>>('info.json');
const queue = fixture<{ queue: unknown[] }>('queue.json');
const group = fixture<Group>('group.json');

const myapp = appList.apps[0] as App;
/** Two versions of /myapp: the documented one and an older one with fewer instances. */
const OLDER = '2015-09-01T10:00:00.000Z';
const olderApp = { ...myapp, instances: 1, version: OLDER };
const VERSIONS = [myapp.version, OLDER];

/** Marathon's read endpoints under `prefix`, answered with the documented examples. */
function marathonRoutes(prefix: string): Routes {
  const tools = group.groups[0] as Group;
  return {
    [`GET ${prefix}/v2/apps`]: () => ({ json: appList }),
    [`GET ${prefix}/v2/apps/myapp`]: () => ({ json: { app: myapp } }),
    [`GET ${prefix}/v2/apps/myapp/versions`]: () => ({ json: { versions: VERSIONS } }),
    [`GET ${prefix}/v2/apps/myapp/versions/${encodeURIComponent(myapp.version)}`]: () => ({ json: myapp }),
    [`GET ${prefix}/v2/apps/myapp/versions/${encodeURIComponent(OLDER)}`]: () => ({ json: olderApp }),
    [`GET ${prefix}/v2/tasks`]: () => ({ json: tasks }),
    [`GET ${prefix}/v2/deployments`]: () => ({ json: deployments }),
    [`GET ${prefix}/v2/queue`]: () => ({ json: queue }),
    [`GET ${prefix}/v2/info`]: () => ({ json: info }),
    [`GET ${prefix}/v2/leader`]: () => ({ json: { leader: info.leader } }),
    [`GET ${prefix}/v2/groups`]: () => ({ json: group }),
    [`GET ${prefix}/v2/groups/tools`]: () => ({ json: tools }),
    [`GET ${prefix}/ping`]: () => ({ text: 'pong\n' }),
  };
}

let server: TestServer;
const env = () => ({ DCOS_URL: server.url });
const dcos = (args: string[]) => runCli(['marathon', ...args], { env: env() });

async function ok(args: string[]): Promise<CliResult> {
  const result = await dcos(args);
  expect(result.code, printed(result)).toBe(0);
  expect(result.stderr, printed(result)).toBe('');
  return result;
}

async function json<T = unknown>(args: string[]): Promise<T> {
  return jsonOf<T>(await ok([...args, '--json']));
}

/** Table rows split on the two-space column gap (cells may contain single spaces). */
function table(stdout: string): string[][] {
  return linesOf(stdout).map((line) => line.split(/\s{2,}/));
}

beforeAll(async () => {
  server = await startServer(marathonRoutes('/service/marathon'));
});

afterAll(async () => {
  // Listing and showing never changes anything.
  expect(server.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  await server.close();
});

describe.concurrent('dcos marathon app list | show | version list (DCOS_URL cluster)', () => {
  it('app list: the documented columns, one row per app', async () => {
    const list = await ok(['app', 'list']);
    expect(table(list.stdout)).toEqual([
      ['ID', 'MEM', 'CPUS', 'TASKS', 'HEALTH', 'DEPLOYMENT', 'WAITING', 'CONTAINER', 'CMD'],
      ['/myapp', '5', '0.1', '0/3', '---', '---', 'false', 'MESOS', 'env && sleep 60'],
    ]);
    expect((await ok(['app', 'list', '-q'])).stdout).toBe('/myapp\n');
    const paths = server.requests.map((request) => request.path.split('?')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/service/marathon/v2/apps',
        '/service/marathon/v2/deployments',
        '/service/marathon/v2/queue',
      ]),
    );
  });

  it('app list --json is the apps Marathon returned', async () => {
    expect(await json(['app', 'list'])).toEqual(appList.apps);
  });

  it('app show prints the app as JSON; --json is the same object', async () => {
    const shown = await ok(['app', 'show', 'myapp']);
    expect(JSON.parse(shown.stdout)).toEqual(myapp);
    expect(await json(['app', 'show', '/myapp'])).toEqual(myapp);
  });

  it('app show --app-version: -1 is one version back; an ISO timestamp is that version', async () => {
    expect(await json(['app', 'show', 'myapp', '--app-version', '-1'])).toEqual(olderApp);
    expect(await json(['app', 'show', 'myapp', '--app-version', myapp.version])).toEqual(myapp);
    const tooFar = await dcos(['app', 'show', 'myapp', '--app-version', '-2']);
    expect(tooFar.code, printed(tooFar)).toBe(1);
    expect(tooFar.stderr).toBe('Error: application /myapp only has 2 version(s)\n');
    const bad = await dcos(['app', 'show', 'myapp', '--app-version', 'yesterday']);
    expect(bad.code, printed(bad)).toBe(1);
    expect(linesOf(bad.stderr)).toHaveLength(1);
  });

  it('app version list: newest first, --max-count truncates, --json is the array', async () => {
    expect((await ok(['app', 'version', 'list', 'myapp'])).stdout).toBe(`${VERSIONS.join('\n')}\n`);
    expect((await ok(['app', 'version', 'list', 'myapp', '--max-count', '1'])).stdout).toBe(
      `${VERSIONS[0]}\n`,
    );
    expect(await json(['app', 'version', 'list', 'myapp'])).toEqual(VERSIONS);
    const zero = await dcos(['app', 'version', 'list', 'myapp', '--max-count', '0']);
    expect(zero.code, printed(zero)).toBe(1);
    expect(zero.stderr).toBe('Error: --max-count must be a positive number\n');
  });

  it("an unknown app is Marathon's 404 message, exit 1", async () => {
    server.routes['GET /service/marathon/v2/apps/nope'] = () => ({
      status: 404,
      json: { message: "App '/nope' does not exist" },
    });
    const missing = await dcos(['app', 'show', 'nope']);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: "Error: App '/nope' does not exist\n" });
    const asJson = await dcos(['app', 'show', 'nope', '--json']);
    expect(asJson.code).toBe(1);
    expect(asJson.stdout).toBe('');
    expect(JSON.parse(asJson.stderr)).toEqual({
      error: { code: 'not_found', message: "App '/nope' does not exist" },
    });
  });
});

describe.concurrent('dcos marathon task list | show', () => {
  it('task list: the documented columns; filtered by app; --quiet ids', async () => {
    expect(table((await ok(['task', 'list'])).stdout)).toEqual([
      ['APP', 'HEALTHY', 'STARTED', 'HOST', 'ID'],
      [
        '/frontend-foosball',
        '---',
        '2015-09-17T09:32:42.598Z',
        'srv4.example.com',
        'frontend-foosball.083be411-5d1f-11e5-88f7-56b91e7a505b',
      ],
      [
        '/tools/docker/registry',
        '---',
        '2015-08-19T21:26:50.864Z',
        'srv2.example.com',
        'tools_docker_registry.002b4d28-46b9-11e5-b731-525400cce7ed',
      ],
    ]);
    expect(table((await ok(['task', 'list', 'tools/docker/registry'])).stdout)).toHaveLength(2);
    expect((await ok(['task', 'list', '--quiet'])).stdout).toBe(
      `${tasks.tasks.map((task) => task.id).join('\n')}\n`,
    );
    expect((await ok(['task', 'list', '/nothing'])).stdout).toBe('No tasks for /nothing.\n');
  });

  it('task list --json is the tasks Marathon returned', async () => {
    expect(await json(['task', 'list'])).toEqual(tasks.tasks);
    expect(await json(['task', 'list', '/frontend-foosball'])).toEqual([tasks.tasks[0]]);
    expect(await json(['task', 'list', '/nothing'])).toEqual([]);
  });

  it('task show: the exact id, or a unique prefix of it', async () => {
    const [first, second] = tasks.tasks;
    expect(await json(['task', 'show', (first as { id: string }).id])).toEqual(first);
    expect(await json(['task', 'show', 'tools_docker'])).toEqual(second);
    expect(JSON.parse((await ok(['task', 'show', 'frontend'])).stdout)).toEqual(first);
    const missing = await dcos(['task', 'show', 'backend']);
    expect(missing.code, printed(missing)).toBe(1);
    expect(missing.stderr).toBe("Error: no task 'backend'; `dcos marathon task list` shows the tasks\n");
  });
});

describe.concurrent('dcos marathon deployment list', () => {
  it('the documented columns; several resources prefix the action with the id', async () => {
    expect(table((await ok(['deployment', 'list'])).stdout)).toEqual([
      ['APP', 'POD', 'ACTION', 'PROGRESS', 'ID'],
      ['/foo', '/bla', 'scale /foo', '0/1', '97c136bf-5a28-4821-9d94-480d9fbb01c8'],
    ]);
    expect((await ok(['deployment', 'list', '-q'])).stdout).toBe('97c136bf-5a28-4821-9d94-480d9fbb01c8\n');
  });

  it('--json is the deployments Marathon returned; filtering by app or pod keeps that shape', async () => {
    expect(await json(['deployment', 'list'])).toEqual(deployments);
    expect(await json(['deployment', 'list', 'foo'])).toEqual(deployments);
    expect(await json(['deployment', 'list', '/bla'])).toEqual(deployments);
    expect(await json(['deployment', 'list', '/other'])).toEqual([]);
    expect((await ok(['deployment', 'list', '/other'])).stdout).toBe('No deployments for /other.\n');
  });
});

describe.concurrent('dcos marathon group list | show', () => {
  it('group list: every group with the apps in and below it', async () => {
    expect(table((await ok(['group', 'list'])).stdout)).toEqual([
      ['ID', 'APPS', 'ENFORCE_ROLE'],
      ['/', '3', '---'],
      ['/tools', '3', '---'],
      ['/tools/docker', '1', '---'],
      ['/tools/log', '0', '---'],
    ]);
  });

  it("group list --json is the root group's groups as Marathon returned them", async () => {
    expect(await json(['group', 'list'])).toEqual(group.groups);
  });

  it('group show prints the group as JSON; --json is the same object', async () => {
    expect(JSON.parse((await ok(['group', 'show', '/tools'])).stdout)).toEqual(group.groups[0]);
    expect(await json(['group', 'show', 'tools'])).toEqual(group.groups[0]);
    expect(await json(['group', 'show', '/'])).toEqual(group);
  });
});

describe.concurrent('dcos marathon about | ping | leader show', () => {
  it('about prints /v2/info; --json is it unchanged', async () => {
    expect(JSON.parse((await ok(['about'])).stdout)).toEqual(info);
    expect(await json(['about'])).toEqual(info);
  });

  it('ping prints the answer', async () => {
    expect((await ok(['ping'])).stdout).toMatch(/^Marathon ping response: "pong" \(\d+ ms\)\n$/);
    expect(await json(['ping'])).toEqual({ response: 'pong', ms: expect.any(Number) });
  });

  it('leader show: host and port of the leader', async () => {
    expect(table((await ok(['leader', 'show'])).stdout)).toEqual([
      ['HOST', 'PORT'],
      ['localhost', '8080'],
    ]);
    expect(await json(['leader', 'show'])).toEqual({
      leader: 'localhost:8080',
      host: 'localhost',
      port: 8080,
    });
  });
});

describe('a plain Marathon cluster (marathon.url)', () => {
  let plain: TestServer;
  let dcosDir: string;

  beforeAll(async () => {
    plain = await startServer(marathonRoutes(''));
    // The documented group's apps (docker, health checks) with the documented queue: /tools/datadog-agent is
    // overdue, so WAITING is true.
    const apps: App[] = [];
    const walk = (node: Group) => {
      apps.push(...node.apps);
      node.groups.forEach(walk);
    };
    walk(group);
    plain.routes['GET /v2/apps'] = () => ({ json: { apps } });
    dcosDir = tempDcosDir();
    const clusterDir = join(dcosDir, 'clusters', 'c0ffee00-plain-marathon');
    mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(clusterDir, 'dcos.toml'),
      [
        '[cluster]',
        'name = "plain"',
        'type = "marathon"',
        '',
        '[core]',
        `dcos_url = "${plain.url}"`,
        '',
        '[marathon]',
        `url = "${plain.url}"`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    writeFileSync(join(clusterDir, 'attached'), '', { mode: 0o600 });
  });

  afterAll(async () => {
    await plain.close();
  });

  const run = (args: string[]) => runCli(['marathon', ...args], { env: { DCOS_DIR: dcosDir } });

  it('talks to <marathon.url>/v2/... and renders docker apps, health and the launch queue', async () => {
    const list = await run(['app', 'list']);
    expect(list.code, printed(list)).toBe(0);
    expect(table(list.stdout)).toEqual([
      ['ID', 'MEM', 'CPUS', 'TASKS', 'HEALTH', 'DEPLOYMENT', 'WAITING', 'CONTAINER', 'CMD'],
      ['/tools/datadog-agent', '512', '1', '0/5', '---', '---', 'true', 'DOCKER', '---'],
      ['/tools/docker/registry', '4096', '0.5', '0/1', '---', '---', 'false', 'DOCKER', '---'],
      ['/tools/oauth-server', '1024', '1', '0/2', '0/0', '---', 'false', 'DOCKER', '---'],
    ]);
    const paths = plain.requests.map((request) => request.path.split('?')[0]);
    expect(paths.sort()).toEqual(['/v2/apps', '/v2/deployments', '/v2/queue']);

    const tasksJson = await run(['task', 'list', '--json']);
    expect(jsonOf(tasksJson)).toEqual(tasks.tasks);
    const about = await run(['about', '--json']);
    expect(jsonOf(about)).toEqual(info);
    expect(plain.requests.every((request) => request.path.startsWith('/v2/'))).toBe(true);
  });
});
