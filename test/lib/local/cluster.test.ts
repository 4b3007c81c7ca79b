import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fetchWithToken } from '../../helpers/local.js';
import { processAlive, until } from '../../helpers/wait.js';

import type { MarathonEvent } from '../../../src/lib/local/events.js';
import { startLocalCluster, type RunningCluster } from '../../../src/lib/local/server.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/marathon');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as unknown;

let cluster: RunningCluster;
let dir: string;
const events: MarathonEvent[] = [];
const fetch = fetchWithToken(() => cluster?.token);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dcos-local-'));
  cluster = await startLocalCluster({ dir, port: 0, agents: 3, maxTasks: 60, tickMs: 50 });
  cluster.engine.events.listen((event) => events.push(event));
});

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply<T>> {
  const response = await fetch(`${cluster.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}

const marathon = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  call<T>(method, `/service/marathon${path}`, body);

interface AppInfo {
  id: string;
  instances: number;
  tasksRunning: number;
  tasksHealthy: number;
  deployments: Array<{ id: string }>;
  tasks: Array<{ id: string; host: string; slaveId: string; state: string; version: string }>;
  cmd?: string;
  version: string;
}

async function app(id: string): Promise<AppInfo> {
  return (await marathon<{ app: AppInfo }>('GET', `/v2/apps${id}`)).body.app;
}

/** Waits until the app runs `count` tasks and no deployment holds it. */
async function settled(id: string, count: number, timeoutMs = 15_000): Promise<AppInfo> {
  return until(
    `${id} to run ${count} tasks`,
    async () => {
      const info = await app(id);
      return info.tasksRunning === count && info.deployments.length === 0 && info.tasks.length === count
        ? info
        : undefined;
    },
    timeoutMs,
  );
}

function pidsAlive(): number[] {
  return [...cluster.engine.tasks.values()]
    .map((task) => task.pgid)
    .filter((pid): pid is number => typeof pid === 'number')
    .filter(processAlive);
}

const SHELL = {
  id: 'shell',
  cmd: "while [ true ] ; do echo 'Hello Marathon' ; sleep 5 ; done",
  cpus: 0.1,
  mem: 10,
  instances: 1,
};

function typeOf(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

/** Every field the documented example has, we have too, with the same JSON type (null/absent allowed). */
function expectSameShape(
  ours: Record<string, unknown>,
  documented: Record<string, unknown>,
  skip: string[] = [],
) {
  for (const [key, value] of Object.entries(documented)) {
    if (skip.includes(key) || value === null) continue;
    expect(ours, `field ${key}`).toHaveProperty(key);
    expect(typeOf(ours[key]), `type of ${key}`).toBe(typeOf(value));
  }
}

describe('dcos local: the seed example', () => {
  it('runs the shell app, writes Hello Marathon to its sandbox, and scales to 10 processes', async () => {
    const created = await marathon('POST', '/v2/apps', SHELL);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v2/apps/shell');
    expect(created.headers.get('marathon-deployment-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toMatchObject({ id: '/shell', instances: 1, tasksRunning: 0 });

    const running = await settled('/shell', 1);
    const task = running.tasks[0] as AppInfo['tasks'][number];
    const state = (
      await call<{ frameworks: Array<{ executors: Array<{ id: string; directory: string }> }> }>(
        'GET',
        `/agent/${task.slaveId}/state`,
      )
    ).body;
    const executor = state.frameworks[0]?.executors.find((candidate) => candidate.id === task.id);
    expect(executor?.directory).toBeTruthy();
    const stdout = await until('Hello Marathon in stdout', async () => {
      const read = await call<{ data: string }>(
        'GET',
        `/agent/${task.slaveId}/files/read?path=${encodeURIComponent(`${executor?.directory}/stdout`)}&offset=0`,
      );
      return read.body.data.includes('Hello Marathon') ? read.body.data : undefined;
    });
    expect(stdout).toContain('Hello Marathon');

    const scaled = await marathon('PUT', '/v2/apps/shell', { instances: 10 });
    expect(scaled.status).toBe(200);
    expect(scaled.body).toHaveProperty('deploymentId');
    const ten = await settled('/shell', 10);
    expect(new Set(ten.tasks.map((each) => each.host)).size).toBe(3);
    expect(pidsAlive()).toHaveLength(10);
  });

  it('kill --scale of one task leaves 9, and a plain kill is replaced', async () => {
    const before = await app('/shell');
    const victim = before.tasks[0]?.id as string;
    const scaled = await marathon('DELETE', `/v2/apps/shell/tasks/${victim}?scale=true`);
    expect(scaled.status).toBe(200);
    const nine = await settled('/shell', 9);
    expect(nine.instances).toBe(9);
    expect(nine.tasks.map((task) => task.id)).not.toContain(victim);

    const replaced = nine.tasks[0]?.id as string;
    const killed = await marathon<{ task: { id: string } }>('DELETE', `/v2/apps/shell/tasks/${replaced}`);
    expect(killed.body.task.id).toBe(replaced);
    const again = await until('a replacement task', async () => {
      const info = await app('/shell');
      return info.tasksRunning === 9 && !info.tasks.some((task) => task.id === replaced) ? info : undefined;
    });
    expect(again.instances).toBe(9);
  });

  it('removing the app leaves no process', async () => {
    const pids = pidsAlive();
    expect(pids.length).toBeGreaterThan(0);
    const removed = await marathon('DELETE', '/v2/apps/shell');
    expect(removed.status).toBe(200);
    await until('the app to disappear', async () =>
      (await marathon('GET', '/v2/apps/shell')).status === 404 ? true : undefined,
    );
    await until('every task process to exit', () => !pids.some(processAlive));
  });
});

describe('dcos local: Marathon API shapes match the documented examples', () => {
  beforeAll(async () => {
    await marathon('POST', '/v2/apps', {
      id: '/shape/web',
      cmd: 'sleep 1000',
      cpus: 0.1,
      mem: 16,
      instances: 1,
    });
    await settled('/shape/web', 1);
  });

  it('GET /v2/apps carries the fields and types of app_list.json', async () => {
    const documented = (fixture('app_list.json') as { apps: Array<Record<string, unknown>> })
      .apps[0] as Record<string, unknown>;
    const ours = (await marathon<{ apps: Array<Record<string, unknown>> }>('GET', '/v2/apps')).body
      .apps[0] as Record<string, unknown>;
    // Deprecated inputs (ports, uris) and omitEmpty fields are not written out by Marathon 1.10 either.
    expectSameShape(ours, documented, [
      'ports',
      'uris',
      'args',
      'user',
      'env',
      'constraints',
      'container',
      'healthChecks',
      'dependencies',
      'acceptedResourceRoles',
    ]);
  });

  it('GET /v2/tasks carries the fields and types of tasks.json', async () => {
    const documented = (fixture('tasks.json') as { tasks: Array<Record<string, unknown>> })
      .tasks[0] as Record<string, unknown>;
    const ours = (await marathon<{ tasks: Array<Record<string, unknown>> }>('GET', '/v2/tasks')).body
      .tasks[0] as Record<string, unknown>;
    expectSameShape(ours, documented, ['region', 'zone']);
  });

  it('GET /v2/info carries the top-level fields of info.json', async () => {
    const documented = fixture('info.json') as Record<string, unknown>;
    const ours = (await marathon('GET', '/v2/info')).body;
    for (const key of [
      'name',
      'version',
      'elected',
      'leader',
      'frameworkId',
      'marathon_config',
      'http_config',
    ]) {
      expect(typeOf(ours[key]), key).toBe(typeOf(documented[key]));
    }
  });

  it('GET /v2/deployments during a deployment has the fields of deployments.json', async () => {
    const slow = await marathon<{ deploymentId: string }>('PUT', '/v2/apps/shape/web', {
      cmd: 'sleep 1001',
      healthChecks: [
        { protocol: 'COMMAND', command: { value: 'false' }, intervalSeconds: 60, gracePeriodSeconds: 300 },
      ],
    });
    const list = (await marathon<Array<Record<string, unknown>>>('GET', '/v2/deployments')).body;
    const ours = list.find((deployment) => deployment.id === slow.body.deploymentId) as Record<
      string,
      unknown
    >;
    const documented = (fixture('deployments.json') as Array<Record<string, unknown>>)[0] as Record<
      string,
      unknown
    >;
    expectSameShape(ours, documented);
    expect(ours.currentStep).toBe(1);
    expect(ours.affectedApps).toEqual(['/shape/web']);
    await marathon('DELETE', `/v2/deployments/${slow.body.deploymentId}?force=true`);
  });

  it('PATCH with app_patch.json changes only the fields it names', async () => {
    const patch = fixture('app_patch.json') as Record<string, unknown>;
    const before = await app('/shape/web');
    const reply = await marathon('PATCH', '/v2/apps/shape/web', patch);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('marathon-deployment-id')).toBe(reply.body.deploymentId);
    const after = (await marathon<{ app: Record<string, unknown> }>('GET', '/v2/apps/shape/web')).body.app;
    // The id in the body is ignored: the path names the app, as in Marathon.
    for (const [key, value] of Object.entries(patch))
      if (key !== 'id') expect(after[key], key).toEqual(value);
    expect(after.id).toBe('/shape/web');
    expect(after.cmd).toBe(before.cmd);
    await marathon('DELETE', `/v2/deployments/${String(reply.body.deploymentId)}?force=true`);
  });

  it('GET /v2/queue explains why a task waits', async () => {
    const huge = await marathon('POST', '/v2/apps', {
      id: '/shape/huge',
      cmd: 'sleep 1000',
      cpus: 64,
      mem: 16,
    });
    expect(huge.status).toBe(201);
    const entry = await until('a queue entry with a reason', async () => {
      const queue = (await marathon<{ queue: Array<Record<string, unknown>> }>('GET', '/v2/queue')).body
        .queue;
      const found = queue.find((item) => (item.app as { id: string }).id === '/shape/huge');
      return found &&
        (found.processedOffersSummary as { processedOffersCount: number }).processedOffersCount > 0
        ? found
        : undefined;
    });
    expect(entry.count).toBe(1);
    const summary = entry.processedOffersSummary as {
      rejectSummaryLastOffers: Array<{ reason: string; declined: number }>;
    };
    expect(summary.rejectSummaryLastOffers.find((row) => row.reason === 'InsufficientCpus')?.declined).toBe(
      3,
    );
    const documented = (fixture('queue.json') as { queue: Array<Record<string, unknown>> })
      .queue[0] as Record<string, unknown>;
    expectSameShape(entry, documented, ['pod', 'lastUnusedOffers']);
    await marathon('DELETE', '/v2/apps/shape/huge');
  });
});

describe('dcos local: deployments', () => {
  it('deploys a group with dependencies in order (apps_create.json)', async () => {
    const apps = (fixture('apps_create.json') as Array<Record<string, unknown>>).map((each) => ({
      ...each,
      instances: 1,
      // The example's second dependency does not exist; keep the real one.
      dependencies: (each.dependencies as string[] | undefined)?.filter((id) => id.startsWith('/test')),
    }));
    const mark = events.length;
    const reply = await marathon<{ deploymentId: string }>('PUT', '/v2/apps', apps);
    expect(reply.status).toBe(200);
    await settled('/test/sleep60', 1);
    const started = events
      .slice(mark)
      .filter((event) => event.eventType === 'status_update_event' && event.taskStatus === 'TASK_RUNNING')
      .map((event) => event.appId);
    expect(started.indexOf('/test/sleep120')).toBeGreaterThanOrEqual(0);
    expect(started.indexOf('/test/sleep120')).toBeLessThan(started.indexOf('/test/sleep60'));
    const stepEvents = events.slice(mark).filter((event) => event.eventType === 'deployment_step_success');
    expect(stepEvents.length).toBeGreaterThanOrEqual(3);
  });

  it('restarts with a rolling upgrade, visible in /v2/deployments while it runs', async () => {
    await marathon('POST', '/v2/apps', { id: '/roll', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2 });
    const before = await settled('/roll', 2);
    const reply = await marathon<{ deploymentId: string }>('PUT', '/v2/apps/roll', { cmd: 'sleep 1001' });
    const listed = (await marathon<Array<{ id: string }>>('GET', '/v2/deployments')).body.map(
      (deployment) => deployment.id,
    );
    expect(listed).toContain(reply.body.deploymentId);
    let most = 0;
    const after = await until('the restart to finish', async () => {
      most = Math.max(most, cluster.engine.activeTasks('/roll').length);
      const info = await app('/roll');
      return info.deployments.length === 0 && info.tasksRunning === 2 && info.cmd === 'sleep 1001'
        ? info
        : undefined;
    });
    const oldIds = new Set(before.tasks.map((task) => task.id));
    expect(after.tasks.every((task) => !oldIds.has(task.id))).toBe(true);
    // maximumOverCapacity 1 allows up to 4 tasks of a 2-instance app during the restart.
    expect(most).toBeLessThanOrEqual(4);
  });

  it('refuses a change to a locked app with 409 naming the deployment, and --force overrides', async () => {
    const stuck = await marathon<{ deploymentId: string }>('PUT', '/v2/apps/roll', {
      cmd: 'sleep 1002',
      healthChecks: [
        { protocol: 'COMMAND', command: { value: 'false' }, intervalSeconds: 60, gracePeriodSeconds: 300 },
      ],
    });
    const blocked = await marathon<{ message: string; deployments: Array<{ id: string }> }>(
      'PUT',
      '/v2/apps/roll',
      {
        instances: 3,
      },
    );
    expect(blocked.status).toBe(409);
    expect(blocked.body.message).toContain('App is locked by one or more deployments');
    expect(blocked.body.deployments).toEqual([{ id: stuck.body.deploymentId }]);
    const forced = await marathon<{ deploymentId: string }>('PUT', '/v2/apps/roll?force=true', {
      cmd: 'sleep 1003',
      healthChecks: [],
    });
    expect(forced.status).toBe(200);
    const ids = (await marathon<Array<{ id: string }>>('GET', '/v2/deployments')).body.map(
      (deployment) => deployment.id,
    );
    expect(ids).not.toContain(stuck.body.deploymentId);
    await until('the forced deployment to finish', async () =>
      (await app('/roll')).deployments.length === 0 ? true : undefined,
    );
  });

  it('rolls a deployment back as a new deployment, and force-cancels with 202', async () => {
    const original = await app('/roll');
    const stuck = await marathon<{ deploymentId: string }>('PUT', '/v2/apps/roll', {
      cmd: 'sleep 1004',
      healthChecks: [
        { protocol: 'COMMAND', command: { value: 'false' }, intervalSeconds: 60, gracePeriodSeconds: 300 },
      ],
    });
    const rollback = await marathon<{ deploymentId: string; version: string }>(
      'DELETE',
      `/v2/deployments/${stuck.body.deploymentId}`,
    );
    expect(rollback.status).toBe(200);
    expect(rollback.headers.get('marathon-deployment-id')).toBe(rollback.body.deploymentId);
    expect(rollback.body.deploymentId).not.toBe(stuck.body.deploymentId);
    const restored = await until('the rollback to finish', async () => {
      const info = await app('/roll');
      return info.deployments.length === 0 && info.tasksRunning === 2 && info.cmd === original.cmd
        ? info
        : undefined;
    });
    expect(restored.cmd).toBe(original.cmd);

    const again = await marathon<{ deploymentId: string }>('PUT', '/v2/apps/roll', {
      cmd: 'sleep 1005',
      healthChecks: [
        { protocol: 'COMMAND', command: { value: 'false' }, intervalSeconds: 60, gracePeriodSeconds: 300 },
      ],
    });
    const cancel = await fetch(
      `${cluster.url}/service/marathon/v2/deployments/${again.body.deploymentId}?force=true`,
      {
        method: 'DELETE',
      },
    );
    expect(cancel.status).toBe(202);
    expect(await cancel.text()).toBe('');
    const missing = await marathon('DELETE', `/v2/deployments/${again.body.deploymentId}`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe(`DeploymentPlan ${again.body.deploymentId} does not exist`);
    await marathon('DELETE', '/v2/apps/roll');
  });
});

describe('dcos local: errors as Marathon sends them', () => {
  it('422 lists each invalid field with its path', async () => {
    const reply = await marathon<{ message: string; details: Array<{ path: string; errors: string[] }> }>(
      'POST',
      '/v2/apps',
      {
        id: '/Bad_ID',
        cmd: 'sleep 1',
        cpus: -1,
      },
    );
    expect(reply.status).toBe(422);
    expect(reply.body.message).toBe('Object is not valid');
    const paths = reply.body.details.map((detail) => detail.path);
    expect(paths).toContain('/id');
    expect(paths).toContain('/cpus');
  });

  it('400 for a body that is not JSON, 404 for an unknown app, 409 for a duplicate', async () => {
    const broken = await fetch(`${cluster.url}/service/marathon/v2/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id": ',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toBe('Invalid JSON');
    const missing = await marathon('GET', '/v2/apps/nope');
    expect(missing).toMatchObject({ status: 404, body: { message: "App '/nope' does not exist" } });
    await marathon('POST', '/v2/apps', { id: '/dup', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 0 });
    const duplicate = await marathon('POST', '/v2/apps', { id: '/dup', cmd: 'sleep 1000' });
    expect(duplicate).toMatchObject({
      status: 409,
      body: { message: 'An app with id [/dup] already exists.' },
    });
    await marathon('DELETE', '/v2/apps/dup');
  });

  it('refuses more tasks than the cap with a clear 422', async () => {
    const reply = await marathon<{ details: Array<{ errors: string[] }> }>('POST', '/v2/apps', {
      id: '/too-many',
      cmd: 'sleep 1',
      cpus: 0.01,
      mem: 1,
      instances: 500,
    });
    expect(reply.status).toBe(422);
    expect(reply.body.details[0]?.errors[0]).toMatch(/at most 60 tasks/);
  });
});

describe('dcos local: failures and health', () => {
  it('relaunches a task that exits', async () => {
    await marathon('POST', '/v2/apps', {
      id: '/flaky',
      cmd: 'sleep 0.3; exit 1',
      cpus: 0.1,
      mem: 16,
      backoffSeconds: 1,
    });
    const failure = await until('a failed task to be replaced', async () => {
      const info = (
        await marathon<{ app: AppInfo & { lastTaskFailure?: { state: string; message: string } } }>(
          'GET',
          '/v2/apps/flaky',
        )
      ).body.app;
      const launches = events.filter(
        (event) =>
          event.eventType === 'status_update_event' &&
          event.appId === '/flaky' &&
          event.taskStatus === 'TASK_RUNNING',
      );
      return info.lastTaskFailure && launches.length >= 2 ? info.lastTaskFailure : undefined;
    });
    expect(failure.state).toBe('TASK_FAILED');
    expect(failure.message).toContain('exited with status 1');
    await marathon('DELETE', '/v2/apps/flaky');
  });

  it('replaces a task whose HTTP health check starts failing', async () => {
    const server = [
      "const http=require('http');let healthy=true;",
      'setTimeout(()=>{healthy=false},2500);',
      'http.createServer((q,r)=>{r.statusCode=healthy?200:503;r.end()}).listen(process.env.PORT0,process.env.HOST);',
    ].join('');
    await marathon('POST', '/v2/apps', {
      id: '/sick',
      cmd: `${process.execPath} -e "${server}"`,
      cpus: 0.1,
      mem: 32,
      healthChecks: [
        {
          protocol: 'HTTP',
          path: '/',
          portIndex: 0,
          gracePeriodSeconds: 5,
          intervalSeconds: 1,
          timeoutSeconds: 1,
          maxConsecutiveFailures: 1,
        },
      ],
    });
    const first = await until('the task to be healthy', async () => {
      const info = await app('/sick');
      return info.tasksHealthy === 1 ? info.tasks[0]?.id : undefined;
    });
    const replaced = await until(
      'the unhealthy task to be killed and replaced',
      async () => {
        const killed = events.some(
          (event) => event.eventType === 'unhealthy_instance_kill_event' && event.taskId === first,
        );
        const info = await app('/sick');
        return killed && info.tasks.length > 0 && info.tasks.every((task) => task.id !== first)
          ? info
          : undefined;
      },
      20_000,
    );
    expect(replaced.tasks.map((task) => task.id)).not.toContain(first);
    await marathon('DELETE', '/v2/apps/sick');
  });
});

describe('dcos local: Mesos view', () => {
  it('/mesos/master/state lists agents with loopback pids and tasks with network infos', async () => {
    const state = (
      await call<{
        slaves: Array<{ pid: string; hostname: string; resources: { ports: string } }>;
        frameworks: Array<{
          name: string;
          tasks: Array<{
            name: string;
            statuses: Array<{
              container_status: { network_infos: Array<{ ip_addresses: Array<{ ip_address: string }> }> };
            }>;
          }>;
        }>;
      }>('GET', '/mesos/master/state')
    ).body;
    expect(state.slaves.map((agent) => agent.pid)).toEqual([
      'slave(1)@127.0.0.2:5051',
      'slave(1)@127.0.0.3:5051',
      'slave(1)@127.0.0.4:5051',
    ]);
    expect(state.slaves[0]?.resources.ports).toMatch(/^\[\d+-\d+(, \d+-\d+)*\]$/);
    const web = state.frameworks[0]?.tasks.find((task) => task.name === 'web.shape');
    expect(web?.statuses.at(-1)?.container_status.network_infos[0]?.ip_addresses[0]?.ip_address).toMatch(
      /^127\.0\.0\.\d$/,
    );
  });
});

describe('dcos local: groups', () => {
  it('creates a group (201 + Location), refuses a duplicate (409) and a dependency cycle (422)', async () => {
    const created = await marathon('POST', '/v2/groups', {
      id: '/grp',
      apps: [{ id: 'a', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 0 }],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v2/groups/grp');
    const again = await marathon('POST', '/v2/groups', { id: '/grp' });
    expect(again).toMatchObject({
      status: 409,
      body: { message: 'Group /grp is already created. Use PUT to change this group.' },
    });
    const cycle = await marathon('PUT', '/v2/groups/cyc', {
      apps: [
        { id: 'x', cmd: 'sleep 1', cpus: 0.1, mem: 16, instances: 0, dependencies: ['/cyc/y'] },
        { id: 'y', cmd: 'sleep 1', cpus: 0.1, mem: 16, instances: 0, dependencies: ['/cyc/x'] },
      ],
    });
    expect(cycle).toMatchObject({
      status: 422,
      body: { message: 'Dependency graph has cyclic dependencies.' },
    });
    const group = (await marathon<{ id: string; apps: Array<{ id: string }> }>('GET', '/v2/groups/grp')).body;
    expect(group.apps.map((each) => each.id)).toEqual(['/grp/a']);
    const removed = await marathon('DELETE', '/v2/groups/grp');
    expect(removed.status).toBe(200);
    expect((await marathon('GET', '/v2/groups/grp')).status).toBe(404);
  });
});

describe('dcos local: events, versions and restart', () => {
  it('streams Marathon events over SSE: attached first, filtered by event_type', async () => {
    const { HttpClient } = await import('../../../src/lib/http/client.js');
    const { followEvents } = await import('../../../src/lib/http/sse.js');
    const client = new HttpClient({ baseUrl: `${cluster.url}/service/marathon`, token: cluster.token });
    const controller = new AbortController();
    const seen: Array<{ event: string; data: Record<string, unknown> }> = [];
    const reading = (async () => {
      for await (const item of followEvents(client, '/v2/events', {
        query: { event_type: 'status_update_event' },
        signal: controller.signal,
        maxConnectFailures: 1,
      })) {
        if (item.kind !== 'event') continue;
        seen.push({ event: item.event.event, data: JSON.parse(item.event.data) as Record<string, unknown> });
        if (seen.some((each) => each.data.appId === '/evented' && each.data.taskStatus === 'TASK_RUNNING'))
          break;
        if (seen.length > 200) break;
      }
    })();
    await until('the stream to attach', () => (seen.length > 0 ? true : undefined));
    await marathon('POST', '/v2/apps', { id: '/evented', cmd: 'sleep 1000', cpus: 0.1, mem: 16 });
    await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    controller.abort();
    await client.close();
    expect(seen[0]?.event).toBe('event_stream_attached');
    expect(seen.slice(1).every((each) => each.event === 'status_update_event')).toBe(true);
    expect(
      seen.some((each) => each.data.appId === '/evented' && each.data.taskStatus === 'TASK_RUNNING'),
    ).toBe(true);
  });

  it('answers 405 to /v2/events without Accept: text/event-stream, as Jetty does', async () => {
    const response = await fetch(`${cluster.url}/service/marathon/v2/events`);
    expect(response.status).toBe(405);
  });

  it('lists versions, serves an old version, and restart replaces every task', async () => {
    await settled('/evented', 1);
    await marathon('PUT', '/v2/apps/evented', { cmd: 'sleep 1001' });
    const after = await settled('/evented', 1);
    const versions = (await marathon<{ versions: string[] }>('GET', '/v2/apps/evented/versions')).body
      .versions;
    expect(versions).toHaveLength(2);
    expect(versions[0]).toBe(after.version);
    const old = (await marathon<{ cmd: string }>('GET', `/v2/apps/evented/versions/${versions[1]}`)).body;
    expect(old.cmd).toBe('sleep 1000');

    const before = after.tasks.map((task) => task.id);
    const restart = await marathon<{ deploymentId: string }>('POST', '/v2/apps/evented/restart');
    expect(restart.status).toBe(200);
    const restarted = await until('the restart to replace the task', async () => {
      const info = await app('/evented');
      return info.deployments.length === 0 &&
        info.tasksRunning === 1 &&
        !before.includes(info.tasks[0]?.id ?? '')
        ? info
        : undefined;
    });
    expect(restarted.cmd).toBe('sleep 1001');
    await marathon('DELETE', '/v2/apps/evented');
  });
});

describe('dcos local: shutting down', () => {
  it('close() stops every task itself and launches no replacement (no orphan sweep needed)', async () => {
    const ownDir = await mkdtemp(join(tmpdir(), 'dcos-local-close-'));
    const own = await startLocalCluster({ dir: ownDir, port: 0, agents: 1, maxTasks: 10, tickMs: 50 });
    try {
      await fetchWithToken(() => own.token)(`${own.url}/service/marathon/v2/apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: '/stay', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2 }),
      });
      const pids = await until('2 task processes', () => {
        const recorded = [...own.engine.tasks.values()]
          .map((task) => task.pgid)
          .filter((pid) => pid !== undefined);
        return recorded.length === 2 ? (recorded as number[]) : undefined;
      });
      await own.close();
      const survivors = pids.filter(processAlive);
      expect(survivors).toEqual([]);
      expect(own.engine.tasks.size).toBe(0);
    } finally {
      await own.close();
      await rm(ownDir, { recursive: true, force: true });
    }
  });
});
