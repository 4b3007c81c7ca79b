import { afterEach, describe, expect, it } from 'vitest';

import { HttpClient } from '../../../src/lib/http/client.js';
import { HttpError } from '../../../src/lib/http/errors.js';
import { MarathonClient, normalizeId } from '../../../src/lib/marathon/client.js';
import { rejectionOf } from '../../helpers/errors.js';
import { startServer, type Routes, type TestServer } from '../../helpers/servers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const RESULT = { deploymentId: '5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43', version: '2015-09-29T15:59:51.164Z' };

async function marathon(routes: Routes, prefix = '/service/marathon'): Promise<[MarathonClient, TestServer]> {
  const server = await startServer(
    Object.fromEntries(
      Object.entries(routes).map(([key, handler]) => [key.replace(' /', ` ${prefix}/`), handler]),
    ),
  );
  const http = new HttpClient({ baseUrl: server.url });
  cleanups.push(() => server.close());
  cleanups.push(() => http.close());
  return [new MarathonClient(http, `${server.url}${prefix}`), server];
}

const seen = (server: TestServer) => server.requests.map((request) => `${request.method} ${request.path}`);

describe('normalizeId', () => {
  it.each([
    ['web', '/web'],
    ['/web', '/web'],
    ['web/', '/web'],
    ['//prod/web//', '/prod/web'],
    [' prod/web ', '/prod/web'],
    ['/', '/'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeId(input)).toBe(expected);
  });
});

describe('MarathonClient', () => {
  it('reads apps, versions and one version with ids normalised and path segments escaped', async () => {
    const app = { id: '/prod/my app', instances: 1, cpus: 1, mem: 32 };
    const [client, server] = await marathon({
      'GET /v2/apps': () => ({ json: { apps: [app] } }),
      'GET /v2/apps/prod/my%20app': () => ({ json: { app } }),
      'GET /v2/apps/prod/my%20app/versions': () => ({ json: { versions: ['v2', 'v1'] } }),
      'GET /v2/apps/prod/my%20app/versions/2015-09-29T15%3A59%3A51.164Z': () => ({ json: app }),
    });
    expect(await client.listApps(['apps.tasks', 'apps.deployments'])).toEqual([app]);
    expect(await client.getApp('prod/my app/')).toEqual(app);
    expect(await client.appVersions('/prod/my app')).toEqual(['v2', 'v1']);
    expect(await client.appVersion('prod/my app', '2015-09-29T15:59:51.164Z')).toEqual(app);
    expect(seen(server)).toEqual([
      'GET /service/marathon/v2/apps?embed=apps.tasks&embed=apps.deployments',
      'GET /service/marathon/v2/apps/prod/my%20app',
      'GET /service/marathon/v2/apps/prod/my%20app/versions',
      'GET /service/marathon/v2/apps/prod/my%20app/versions/2015-09-29T15%3A59%3A51.164Z',
    ]);
  });

  it('findApp is undefined on 404 and rethrows other failures', async () => {
    const [client] = await marathon({
      'GET /v2/apps/gone': () => ({ status: 404, json: { message: "App '/gone' does not exist" } }),
      'GET /v2/apps/broken': () => ({ status: 403, json: { message: 'no' } }),
    });
    expect(await client.findApp('gone')).toBeUndefined();
    const error = await rejectionOf(client.findApp('broken'), HttpError);
    expect(error.status).toBe(403);
  });

  it('takes the deployment id from the body, else the Marathon-Deployment-Id header, else deployments[0]', async () => {
    const [client, server] = await marathon({
      'PUT /v2/apps/a': () => ({ json: RESULT }),
      'POST /v2/apps': () => ({
        status: 201,
        json: { id: '/b', deployments: [{ id: 'from-body-list' }] },
        headers: { 'Marathon-Deployment-Id': 'from-header' },
      }),
      'POST /v2/groups': () => ({ status: 201, json: { version: 'v9', deployments: [{ id: 'only-list' }] } }),
    });
    expect(await client.updateApp('a', { cpus: 1 }, { force: true })).toEqual(RESULT);
    expect(await client.createApp({ id: '/b' })).toEqual({ deploymentId: 'from-header', version: '' });
    expect(await client.createGroup({ id: '/g' })).toEqual({ deploymentId: 'only-list', version: 'v9' });
    expect(seen(server)).toEqual([
      'PUT /service/marathon/v2/apps/a?force=true',
      'POST /service/marathon/v2/apps',
      'POST /service/marathon/v2/groups',
    ]);
    expect(server.requests.map((request) => request.body)).toEqual([
      '{"cpus":1}',
      '{"id":"/b"}',
      '{"id":"/g"}',
    ]);
  });

  it('remove, restart and group changes send force only when asked', async () => {
    const [client, server] = await marathon({
      'DELETE /v2/apps/a': () => ({ json: RESULT }),
      'POST /v2/apps/a/restart': () => ({ json: RESULT }),
      'PUT /v2/groups/g': () => ({ json: RESULT }),
      'DELETE /v2/groups/g': () => ({ json: RESULT }),
    });
    await client.removeApp('a');
    await client.restartApp('/a', { force: true });
    await client.updateGroup('g', { scaleBy: 2 });
    await client.removeGroup('/g/', { force: true });
    expect(seen(server)).toEqual([
      'DELETE /service/marathon/v2/apps/a',
      'POST /service/marathon/v2/apps/a/restart?force=true',
      'PUT /service/marathon/v2/groups/g',
      'DELETE /service/marathon/v2/groups/g?force=true',
    ]);
  });

  it('killAppTasks: the killed tasks, or with scale the deployment; host and scale in the query', async () => {
    const task = { id: 'a.1', appId: '/a', host: '127.0.0.2' };
    const [client, server] = await marathon({
      'DELETE /v2/apps/a/tasks': (request) =>
        request.path.includes('scale=true') ? { json: RESULT } : { json: { tasks: [task] } },
    });
    expect(await client.killAppTasks('a', { host: '127.0.0.2' })).toEqual({ tasks: [task] });
    expect(await client.killAppTasks('a', { scale: true, host: '127.0.0.2' })).toEqual(RESULT);
    expect(seen(server)).toEqual([
      'DELETE /service/marathon/v2/apps/a/tasks?host=127.0.0.2',
      'DELETE /service/marathon/v2/apps/a/tasks?scale=true&host=127.0.0.2',
    ]);
  });

  it('killTasks posts the ids; scale and wipe go in the query', async () => {
    const task = { id: 'a.1', appId: '/a', host: 'h' };
    const [client, server] = await marathon({
      'POST /v2/tasks/delete': (request) =>
        request.path.includes('scale=true') ? { json: RESULT } : { json: { tasks: [task] } },
    });
    expect(await client.killTasks(['a.1'], { wipe: true })).toEqual({ tasks: [task] });
    expect(await client.killTasks(['a.1', 'a.2'], { scale: true })).toEqual(RESULT);
    expect(seen(server)).toEqual([
      'POST /service/marathon/v2/tasks/delete?wipe=true',
      'POST /service/marathon/v2/tasks/delete?scale=true',
    ]);
    expect(server.requests.map((request) => JSON.parse(request.body) as unknown)).toEqual([
      { ids: ['a.1'] },
      { ids: ['a.1', 'a.2'] },
    ]);
  });

  it('deleteDeployment: a rollback returns the new deployment; with force it is only cancelled', async () => {
    const [client, server] = await marathon({
      'DELETE /v2/deployments/d-1': (request) =>
        request.path.includes('force=true') ? { status: 202, text: '' } : { json: RESULT },
    });
    expect(await client.deleteDeployment('d-1')).toEqual(RESULT);
    expect(await client.deleteDeployment('d-1', { force: true })).toBeUndefined();
    expect(seen(server)).toEqual([
      'DELETE /service/marathon/v2/deployments/d-1',
      'DELETE /service/marathon/v2/deployments/d-1?force=true',
    ]);
  });

  it('groups: the root is /v2/groups, others by id', async () => {
    const root = { id: '/', apps: [], groups: [] };
    const [client, server] = await marathon({
      'GET /v2/groups': () => ({ json: root }),
      'GET /v2/groups/prod': () => ({ json: { ...root, id: '/prod' } }),
    });
    expect(await client.getGroup()).toEqual(root);
    expect(await client.getGroup('/')).toEqual(root);
    expect((await client.getGroup('prod')).id).toBe('/prod');
    expect(seen(server)).toEqual([
      'GET /service/marathon/v2/groups',
      'GET /service/marathon/v2/groups',
      'GET /service/marathon/v2/groups/prod',
    ]);
  });

  it('works at a plain Marathon root (marathon.url) as well', async () => {
    const [client, server] = await marathon(
      {
        'GET /ping': () => ({ text: 'pong\n' }),
        'GET /v2/queue': () => ({ json: { queue: [] } }),
        'GET /v2/tasks': () => ({ json: { tasks: [] } }),
      },
      '',
    );
    expect(await client.ping()).toBe('pong');
    expect(await client.queue()).toEqual([]);
    expect(await client.listTasks()).toEqual([]);
    expect(seen(server)).toEqual(['GET /ping', 'GET /v2/queue', 'GET /v2/tasks']);
  });
});
