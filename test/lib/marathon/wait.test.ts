import type { ServerResponse } from 'node:http';

import { afterEach, describe, expect, it } from 'vitest';

import { DcosError, InterruptedError } from '../../../src/lib/errors.js';
import { HttpClient } from '../../../src/lib/http/client.js';
import { MarathonClient } from '../../../src/lib/marathon/client.js';
import type { MarathonDeployment } from '../../../src/lib/marathon/types.js';
import { waitForDeployment, type DeploymentProgress } from '../../../src/lib/marathon/wait.js';
import { rejectionOf } from '../../helpers/errors.js';
import { hang, withDeadline } from '../../helpers/http.js';
import { startServer, type Routes, type TestServer } from '../../helpers/servers.js';
import { until } from '../../helpers/wait.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ID = 'd3b07384-d9a0-4c9b-8f3a-000000000001';

function deployment(overrides: Partial<MarathonDeployment> = {}): MarathonDeployment {
  return {
    id: ID,
    version: '2026-01-01T00:00:00.000Z',
    affectedApps: ['/web'],
    steps: [
      { actions: [{ action: 'StartApplication', app: '/web' }] },
      { actions: [{ action: 'ScaleApplication', app: '/web' }] },
    ],
    currentActions: [{ action: 'StartApplication', app: '/web' }],
    currentStep: 1,
    totalSteps: 2,
    ...overrides,
  };
}

interface Fake {
  server: TestServer;
  marathon: MarathonClient;
  /** Sends one event to every connected /v2/events stream. */
  send(type: string, data: Record<string, unknown>): void;
  streams: ServerResponse[];
}

/** A Marathon whose /v2/deployments answers come from `deployments(n)` (n = 1-based poll count). */
async function fake(deployments: (n: number) => MarathonDeployment[], extra: Routes = {}): Promise<Fake> {
  let polls = 0;
  const streams: ServerResponse[] = [];
  const server = await startServer({
    'GET /v2/deployments': () => ({ json: deployments(++polls) }),
    'GET /v2/events': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(':connected\n\n');
      streams.push(response);
      return hang(response);
    },
    ...extra,
  });
  const http = new HttpClient({ baseUrl: server.url });
  cleanups.push(() => server.close());
  cleanups.push(() => http.close());
  return {
    server,
    marathon: new MarathonClient(http, server.url),
    streams,
    send(type, data) {
      for (const stream of streams) stream.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    },
  };
}

const polls = (server: TestServer) => server.requests.filter((r) => r.path === '/v2/deployments').length;

describe('waitForDeployment by polling', () => {
  it('resolves once the deployment is no longer listed, reporting each new step once', async () => {
    const { marathon, server } = await fake((n) =>
      n === 1
        ? [deployment()]
        : n === 2
          ? [deployment()]
          : n === 3
            ? [deployment({ currentStep: 2, currentActions: [{ action: 'ScaleApplication', app: '/web' }] })]
            : [],
    );
    const progress: DeploymentProgress[] = [];
    const result = await waitForDeployment(marathon, ID, {
      timeoutMs: 5_000,
      intervalMs: 10,
      useEvents: false,
      onProgress: (step) => progress.push(step),
    });
    expect(result.deploymentId).toBe(ID);
    expect(result.seconds).toBeGreaterThanOrEqual(0);
    expect(progress).toEqual([
      { step: 1, totalSteps: 2, actions: ['StartApplication /web'] },
      { step: 2, totalSteps: 2, actions: ['ScaleApplication /web'] },
    ]);
    expect(polls(server)).toBe(4);
    expect(server.requests.some((request) => request.path.startsWith('/v2/events'))).toBe(false);
  });

  it('resolves at once for a deployment that is not running (already finished, or never existed)', async () => {
    const { marathon } = await fake(() => [deployment({ id: 'someone-else', affectedApps: ['/db'] })]);
    await expect(
      waitForDeployment(marathon, ID, { timeoutMs: 1_000, useEvents: false }),
    ).resolves.toMatchObject({
      deploymentId: ID,
    });
  });

  it('fails when another deployment of the same apps replaced it (rolled back or forced)', async () => {
    const { marathon } = await fake((n) => (n === 1 ? [deployment()] : [deployment({ id: 'the-rollback' })]));
    const error = await rejectionOf(
      waitForDeployment(marathon, ID, { timeoutMs: 5_000, intervalMs: 10, useEvents: false }),
      DcosError,
    );
    expect(error.code).toBe('deployment_replaced');
    expect(error.message).toBe(
      `deployment ${ID} was replaced by deployment the-rollback (rolled back or forced by someone else)`,
    );
    expect(error.exitCode).toBe(1);
  });

  it('times out with where the deployment was', async () => {
    const { marathon } = await fake(() => [deployment()]);
    const started = Date.now();
    const error = await rejectionOf(
      waitForDeployment(marathon, ID, { timeoutMs: 300, intervalMs: 50, useEvents: false }),
      DcosError,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.code).toBe('deployment_timeout');
    expect(error.message).toBe(
      `deployment ${ID} did not finish within 0.3s (step 1/2: StartApplication /web)`,
    );
  });

  it("fails once the app's lastTaskFailure shows tasks failing since the wait began", async () => {
    let failure = 0;
    const { marathon } = await fake(() => [deployment()], {
      'GET /v2/apps/web': () => ({
        json: {
          app: {
            id: '/web',
            instances: 1,
            cpus: 0.1,
            mem: 16,
            lastTaskFailure: {
              taskId: `web.instance-${++failure}._app.1`,
              state: 'TASK_FAILED',
              message: 'Command exited with status 1',
              timestamp: new Date(Date.now() + 1).toISOString(),
            },
          },
        },
      }),
    });
    const error = await rejectionOf(
      waitForDeployment(marathon, ID, { timeoutMs: 5_000, intervalMs: 10, useEvents: false }),
      DcosError,
    );
    expect(error.code).toBe('deployment_failing');
    expect(error.message).toBe(
      `deployment ${ID} cannot finish: 3 tasks of /web failed since it started ` +
        '(last: TASK_FAILED, Command exited with status 1); it keeps running: ' +
        `\`dcos marathon deployment rollback ${ID}\` undoes it`,
    );
  });

  it('ignores a lastTaskFailure from before the wait began', async () => {
    const { marathon } = await fake((n) => (n < 6 ? [deployment()] : []), {
      'GET /v2/apps/web': () => ({
        json: {
          app: {
            id: '/web',
            lastTaskFailure: { taskId: 'old', state: 'TASK_FAILED', timestamp: '2020-01-01T00:00:00.000Z' },
          },
        },
      }),
    });
    await expect(
      waitForDeployment(marathon, ID, { timeoutMs: 5_000, intervalMs: 10, useEvents: false }),
    ).resolves.toMatchObject({ deploymentId: ID });
  });

  it('stops with InterruptedError as soon as its signal is aborted, even between two polls', async () => {
    const { marathon } = await fake(() => [deployment()]);
    const controller = new AbortController();
    const waiting = waitForDeployment(marathon, ID, {
      timeoutMs: 60_000,
      intervalMs: 60_000,
      useEvents: false,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new InterruptedError()), 100);
    await withDeadline(rejectionOf(waiting, InterruptedError), 2_000, 'the aborted wait');
  });
});

describe('waitForDeployment with the event stream', () => {
  it('wakes on deployment_success without waiting for the next poll', async () => {
    let done = false;
    const fakeMarathon = await fake(() => (done ? [] : [deployment()]));
    const started = Date.now();
    const waiting = waitForDeployment(fakeMarathon.marathon, ID, { timeoutMs: 30_000, intervalMs: 20_000 });
    await until('the event stream and the first poll', () =>
      fakeMarathon.streams.length > 0 && polls(fakeMarathon.server) > 0 ? true : undefined,
    );
    done = true;
    fakeMarathon.send('deployment_success', { id: ID });
    await expect(waiting).resolves.toMatchObject({ deploymentId: ID });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports deployment_failed with its reason', async () => {
    let gone = false;
    const fakeMarathon = await fake(() => (gone ? [] : [deployment()]));
    const waiting = waitForDeployment(fakeMarathon.marathon, ID, { timeoutMs: 30_000, intervalMs: 20_000 });
    await until('the event stream and the first poll', () =>
      fakeMarathon.streams.length > 0 && polls(fakeMarathon.server) > 0 ? true : undefined,
    );
    gone = true;
    fakeMarathon.send('deployment_failed', { id: ID, reason: 'canceled by a forced deployment' });
    const error = await withDeadline(rejectionOf(waiting, DcosError), 10_000, 'the failed wait');
    expect(error.code).toBe('deployment_failed');
    expect(error.message).toBe(`deployment ${ID} failed: canceled by a forced deployment`);
  });

  it("fails after 3 failed tasks of the deployment's apps, with the last failure's message", async () => {
    const fakeMarathon = await fake(() => [deployment()]);
    const waiting = waitForDeployment(fakeMarathon.marathon, ID, { timeoutMs: 30_000, intervalMs: 20_000 });
    await until('the event stream and the first poll', () =>
      fakeMarathon.streams.length > 0 && polls(fakeMarathon.server) > 0 ? true : undefined,
    );
    // Failures of other apps do not count.
    fakeMarathon.send('status_update_event', { appId: '/db', taskId: 'db.1', taskStatus: 'TASK_FAILED' });
    for (const n of [1, 2, 3]) {
      fakeMarathon.send('status_update_event', {
        appId: '/web',
        taskId: `web.${n}`,
        taskStatus: 'TASK_FAILED',
        message: 'Command exited with status 1',
      });
    }
    const error = await withDeadline(rejectionOf(waiting, DcosError), 10_000, 'the failing wait');
    expect(error.code).toBe('deployment_failing');
    expect(error.message).toContain('3 tasks of /web failed since it started');
    expect(error.message).toContain('Command exited with status 1');
    expect((error.details as { failures: unknown[] }).failures).toHaveLength(3);
  });

  it('counts health-check kills (unhealthy_instance_kill_event) as failures too', async () => {
    const fakeMarathon = await fake(() => [deployment()]);
    const waiting = waitForDeployment(fakeMarathon.marathon, ID, {
      timeoutMs: 30_000,
      intervalMs: 20_000,
      failureThreshold: 2,
    });
    await until('the event stream and the first poll', () =>
      fakeMarathon.streams.length > 0 && polls(fakeMarathon.server) > 0 ? true : undefined,
    );
    for (const n of [1, 2]) {
      fakeMarathon.send('unhealthy_instance_kill_event', {
        appId: '/web',
        taskId: `web.${n}`,
        reason: '503 Service Unavailable',
      });
    }
    const error = await withDeadline(rejectionOf(waiting, DcosError), 10_000, 'the failing wait');
    expect(error.message).toContain('2 tasks of /web failed');
    expect(error.message).toContain('unhealthy, 503 Service Unavailable');
  });
});
