import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { HealthMonitor } from '../../../../src/lib/local/executor/health.js';
import type { WatchedTask } from '../../../../src/lib/local/executor/health.js';
import type { HealthCheck, HealthResult } from '../../../../src/lib/local/types.js';
import { closedPort, hang } from '../../../helpers/http.js';
import { makeSelfSignedCert, startHttpsServer, startServer } from '../../../helpers/servers.js';
import type { TestServer } from '../../../helpers/servers.js';
import { removeTempDirs, tempDir } from '../../config/helpers.js';
import { killTracked, pidAlive, readPidFile, waitFor } from './helpers.js';

const monitors: HealthMonitor[] = [];
const servers: TestServer[] = [];
const tcpServers: Server[] = [];

afterEach(async () => {
  for (const monitor of monitors.splice(0)) monitor.stopAll();
  await killTracked();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(
    tcpServers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
  await removeTempDirs();
});

interface Call {
  taskId: string;
  results: HealthResult[];
  alive: boolean | undefined;
}

function monitor(now?: () => Date) {
  const calls: Call[] = [];
  const unhealthy: Array<{ taskId: string; cause: string }> = [];
  const health = new HealthMonitor({
    onResult: (taskId, results, alive) => calls.push({ taskId, results, alive }),
    onUnhealthy: (taskId, cause) => unhealthy.push({ taskId, cause }),
    ...(now ? { now } : {}),
  });
  monitors.push(health);
  return { health, calls, unhealthy };
}

function check(fields: Partial<HealthCheck>): HealthCheck {
  return {
    protocol: 'HTTP',
    path: '/health',
    portIndex: 0,
    gracePeriodSeconds: 0,
    intervalSeconds: 0.1,
    timeoutSeconds: 1,
    maxConsecutiveFailures: 2,
    ...fields,
  };
}

function task(fields: Partial<WatchedTask> = {}): WatchedTask {
  return {
    taskId: 'app.t1',
    instanceId: 'app.marathon-i1',
    host: '127.0.0.1',
    ports: [],
    startedAt: new Date(),
    sandbox: '/tmp',
    env: {},
    ...fields,
  };
}

/** An HTTP server whose /health answers `state.status`. */
async function healthServer(state: { status: number }): Promise<TestServer> {
  const server = await startServer({ 'GET /health': () => ({ status: state.status, text: 'ok' }) });
  servers.push(server);
  return server;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('HealthMonitor: HTTP', () => {
  it('goes healthy, then reports onUnhealthy once failures exceed maxConsecutiveFailures', async () => {
    const state = { status: 200 };
    const server = await healthServer(state);
    const { health, calls, unhealthy } = monitor();
    health.watch(task({ ports: [server.port] }), [check({ maxConsecutiveFailures: 2 })]);

    await waitFor(() => calls.length > 0, 5000, 'a first result');
    const first = calls[0]!;
    expect(first.taskId).toBe('app.t1');
    expect(first.alive).toBe(true);
    expect(first.results).toHaveLength(1);
    expect(first.results[0]).toMatchObject({
      alive: true,
      consecutiveFailures: 0,
      lastFailure: null,
      lastFailureCause: null,
      instanceId: 'app.marathon-i1',
    });
    expect(first.results[0]!.firstSuccess).toMatch(ISO);
    expect(first.results[0]!.lastSuccess).toBe(first.results[0]!.firstSuccess);
    expect(server.requests[0]!.path).toBe('/health');

    state.status = 503;
    await waitFor(() => unhealthy.length > 0, 5000, 'onUnhealthy');
    expect(unhealthy).toEqual([{ taskId: 'app.t1', cause: '503 Service Unavailable' }]);
    const failures = calls.filter((call) => call.results[0]!.consecutiveFailures > 0);
    // Marathon kills when the failures before this one reached the maximum: on the 3rd failure with max 2.
    expect(failures.map((call) => call.results[0]!.consecutiveFailures)).toEqual([1, 2, 3]);
    expect(failures.every((call) => call.alive === false)).toBe(true);
    expect(failures[2]!.results[0]).toMatchObject({
      alive: false,
      lastFailureCause: '503 Service Unavailable',
      firstSuccess: first.results[0]!.firstSuccess,
    });

    // After onUnhealthy the task's checks stop.
    const requests = server.requests.length;
    const results = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(server.requests.length).toBe(requests);
    expect(calls.length).toBe(results);
  });

  it('never calls onUnhealthy when maxConsecutiveFailures is 0', async () => {
    const server = await healthServer({ status: 500 });
    const { health, calls, unhealthy } = monitor();
    health.watch(task({ ports: [server.port] }), [check({ maxConsecutiveFailures: 0, path: 'health' })]);
    await waitFor(() => calls.length >= 5, 5000, 'five failures');
    expect(calls[4]!.results[0]!.consecutiveFailures).toBe(5);
    expect(calls[4]!.results[0]!.lastFailureCause).toBe('500 Internal Server Error');
    expect(unhealthy).toEqual([]);
  });

  it('uses check.port over portIndex, and the port at portIndex otherwise', async () => {
    const server = await healthServer({ status: 204 });
    const closed = await closedPort();
    const { health, calls } = monitor();
    health.watch(task({ taskId: 'a', ports: [closed, server.port] }), [check({ portIndex: 1 })]);
    health.watch(task({ taskId: 'b', ports: [closed] }), [check({ port: server.port })]);
    await waitFor(
      () => ['a', 'b'].every((id) => calls.some((call) => call.taskId === id)),
      5000,
      'results for both tasks',
    );
    expect(calls.filter((call) => ['a', 'b'].includes(call.taskId)).every((call) => call.alive)).toBe(true);
  });

  it('fails a check that times out, and one whose port does not exist', async () => {
    const server = await startServer({ 'GET /health': (_request, response) => hang(response) });
    servers.push(server);
    const { health, calls } = monitor();
    health.watch(task({ taskId: 'slow', ports: [server.port] }), [
      check({ timeoutSeconds: 0.2, maxConsecutiveFailures: 0 }),
    ]);
    health.watch(task({ taskId: 'noport', ports: [] }), [check({ maxConsecutiveFailures: 0 })]);
    await waitFor(
      () => ['slow', 'noport'].every((id) => calls.some((call) => call.taskId === id)),
      5000,
      'results for both tasks',
    );
    expect(calls.find((call) => call.taskId === 'slow')!.results[0]!.lastFailureCause).toBe(
      'Timed out after 0.2 seconds',
    );
    expect(calls.find((call) => call.taskId === 'noport')!.results[0]!.lastFailureCause).toBe(
      "Health check failed: unable to get the task's effectivePort",
    );
  });

  it('checks HTTPS without verifying the certificate', async () => {
    const cert = makeSelfSignedCert();
    try {
      const server = await startHttpsServer({ 'GET /ready': () => ({ status: 200 }) }, cert);
      servers.push(server);
      const { health, calls } = monitor();
      health.watch(task({ ports: [server.port] }), [
        check({ protocol: 'MESOS_HTTPS', path: '/ready', delaySeconds: 0 }),
      ]);
      await waitFor(() => calls.length > 0, 5000, 'a result');
      expect(calls[0]!.alive).toBe(true);
    } finally {
      await rm(cert.dir, { recursive: true, force: true });
    }
  });

  it('fails, without throwing, on a port out of range', async () => {
    const { health, calls } = monitor();
    health.watch(task({ ports: [70000] }), [check({ maxConsecutiveFailures: 0 })]);
    health.watch(task({ taskId: 'tcp', ports: [70000] }), [
      check({ protocol: 'TCP', maxConsecutiveFailures: 0 }),
    ]);
    await waitFor(
      () => calls.some((c) => c.taskId === 'app.t1') && calls.some((c) => c.taskId === 'tcp'),
      5000,
      'results',
    );
    expect(calls.every((call) => call.alive === false)).toBe(true);
  });

  it('refuses to check a task on a non-loopback address', async () => {
    const { health, calls } = monitor();
    health.watch(task({ host: '192.0.2.10', ports: [80] }), [check({ maxConsecutiveFailures: 0 })]);
    await waitFor(() => calls.length > 0, 5000, 'a result');
    expect(calls[0]!.results[0]!.lastFailureCause).toBe(
      'refusing to connect to 192.0.2.10: dcos local only talks to loopback addresses',
    );
  });
});

describe('HealthMonitor: grace period', () => {
  it('ignores failures until the grace period ends, then counts them', async () => {
    const server = await healthServer({ status: 503 });
    let now = new Date('2024-05-01T10:00:00.000Z');
    const { health, calls, unhealthy } = monitor(() => now);
    health.watch(task({ ports: [server.port], startedAt: new Date(now) }), [
      check({ gracePeriodSeconds: 60, maxConsecutiveFailures: 1 }),
    ]);
    await waitFor(() => server.requests.length >= 3, 5000, 'three attempts');
    expect(calls).toEqual([]);

    now = new Date('2024-05-01T10:01:00.001Z');
    await waitFor(() => unhealthy.length > 0, 5000, 'onUnhealthy');
    expect(calls.map((call) => call.results[0]!.consecutiveFailures)).toEqual([1, 2]);
    expect(calls[0]!.results[0]!.lastFailure).toBe('2024-05-01T10:01:00.001Z');
  });

  it('counts failures inside the grace period once the task has been healthy', async () => {
    const state = { status: 200 };
    const server = await healthServer(state);
    const { health, calls, unhealthy } = monitor();
    health.watch(task({ ports: [server.port] }), [
      check({ gracePeriodSeconds: 3600, maxConsecutiveFailures: 1 }),
    ]);
    await waitFor(() => calls.length > 0, 5000, 'a success');
    state.status = 500;
    await waitFor(() => unhealthy.length > 0, 5000, 'onUnhealthy');
    expect(unhealthy[0]!.cause).toBe('500 Internal Server Error');
  });
});

describe('HealthMonitor: TCP and COMMAND', () => {
  it('TCP is healthy when a connection opens, failing when refused', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    tcpServers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const open = (server.address() as AddressInfo).port;
    const closed = await closedPort();
    const { health, calls } = monitor();
    health.watch(task({ taskId: 'up', ports: [open] }), [check({ protocol: 'TCP' })]);
    health.watch(task({ taskId: 'down', ports: [closed] }), [
      check({ protocol: 'MESOS_TCP', delaySeconds: 0, maxConsecutiveFailures: 0 }),
    ]);
    await waitFor(
      () => ['up', 'down'].every((id) => calls.some((call) => call.taskId === id)),
      5000,
      'results for both tasks',
    );
    expect(calls.find((call) => call.taskId === 'up')!.alive).toBe(true);
    const down = calls.find((call) => call.taskId === 'down')!;
    expect(down.alive).toBe(false);
    expect(down.results[0]!.lastFailureCause).toContain('ECONNREFUSED');
    for (const socket of sockets) socket.destroy();
  });

  it('COMMAND runs in the sandbox with the task environment; exit 0 is healthy', async () => {
    const sandbox = await tempDir('dcos-health-');
    await writeFile(join(sandbox, 'ready'), '');
    const { health, calls, unhealthy } = monitor();
    health.watch(task({ sandbox, env: { EXPECTED: 'yes' } }), [
      check({
        protocol: 'COMMAND',
        command: { value: 'test "$EXPECTED" = yes && test -f ready' },
        delaySeconds: 0,
        maxConsecutiveFailures: 1,
      }),
    ]);
    await waitFor(() => calls.length > 0, 5000, 'a success');
    expect(calls[0]!.alive).toBe(true);
    await rm(join(sandbox, 'ready'));
    await waitFor(() => unhealthy.length > 0, 5000, 'onUnhealthy');
    expect(unhealthy[0]).toEqual({ taskId: 'app.t1', cause: 'Command exited with status 1' });
  });

  it('COMMAND that outlives its timeout fails, and its whole process group is killed', async () => {
    const sandbox = await tempDir('dcos-health-');
    const { health, calls } = monitor();
    health.watch(task({ sandbox }), [
      check({
        protocol: 'COMMAND',
        command: { value: 'echo $$ > sh.pid; sleep 1000 & echo $! > sleep.pid; wait' },
        delaySeconds: 0,
        timeoutSeconds: 0.3,
        intervalSeconds: 60,
        maxConsecutiveFailures: 0,
      }),
    ]);
    const shell = await readPidFile(join(sandbox, 'sh.pid'));
    const sleeper = await readPidFile(join(sandbox, 'sleep.pid'));
    await waitFor(() => calls.length > 0, 5000, 'a result');
    expect(calls[0]!.results[0]!.lastFailureCause).toBe('Timed out after 0.3 seconds');
    await waitFor(() => !pidAlive(shell) && !pidAlive(sleeper), 2000, 'the command to be killed');
  });

  it('unwatch kills a COMMAND check in flight', async () => {
    const sandbox = await tempDir('dcos-health-');
    const { health, calls } = monitor();
    health.watch(task({ sandbox }), [
      check({
        protocol: 'COMMAND',
        command: { value: 'sleep 1000 & echo $! > sleep.pid; wait' },
        delaySeconds: 0,
        timeoutSeconds: 60,
      }),
    ]);
    const sleeper = await readPidFile(join(sandbox, 'sleep.pid'));
    health.unwatch('app.t1');
    await waitFor(() => !pidAlive(sleeper), 2000, 'the command to be killed');
    expect(calls).toEqual([]);
  });

  it('COMMAND waits delaySeconds before the first attempt', async () => {
    const sandbox = await tempDir('dcos-health-');
    const { health, calls } = monitor();
    health.watch(task({ sandbox }), [
      check({ protocol: 'COMMAND', command: { value: 'true' }, delaySeconds: 0.4, intervalSeconds: 0.05 }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toEqual([]);
    await waitFor(() => calls.length > 0, 5000, 'a result');
  });
});

describe('HealthMonitor: several checks, unwatch', () => {
  it('reports one result per check; alive only when all checks are alive', async () => {
    const server = await healthServer({ status: 200 });
    const closed = await closedPort();
    const { health, calls } = monitor();
    health.watch(task({ ports: [server.port, closed] }), [
      check({ maxConsecutiveFailures: 0 }),
      check({ protocol: 'TCP', portIndex: 1, maxConsecutiveFailures: 0 }),
    ]);
    await waitFor(
      () => calls.some((call) => call.results.every((result) => result.lastSuccess ?? result.lastFailure)),
      5000,
      'both checks to report',
    );
    const both = calls.find((call) =>
      call.results.every((result) => result.lastSuccess ?? result.lastFailure),
    )!;
    expect(both.results).toHaveLength(2);
    expect(both.results[0]!.alive).toBe(true);
    expect(both.results[1]!.alive).toBe(false);
    expect(both.alive).toBe(false);
  });

  it('stops checking after unwatch and stopAll', async () => {
    const server = await healthServer({ status: 200 });
    const { health, calls } = monitor();
    health.watch(task({ ports: [server.port] }), [check({})]);
    health.watch(task({ taskId: 'other', ports: [server.port] }), [check({})]);
    await waitFor(() => calls.length >= 2, 5000, 'some results');
    health.unwatch('app.t1');
    health.stopAll();
    const requests = server.requests.length;
    const results = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(server.requests.length).toBeLessThanOrEqual(requests + 2); // at most the attempts already in flight
    expect(calls.length).toBe(results);
  });
});
