/**
 * `dcos haproxy run` against a `dcos local` cluster and the real haproxy: an app of tiny HTTP servers is
 * reached through its service port; scaling it 1 -> 3 -> 2 reloads haproxy while a load loop on fresh
 * connections runs, and not one request may fail. Everything binds to loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HaproxyProcess } from '../../src/lib/haproxy/reload.js';
import { BIN, runCli, tempDcosDir } from '../helpers/cli.js';
import { processAlive, until } from '../helpers/wait.js';
import { fetchWithToken, localToken } from '../helpers/local.js';
import { jsonOf, printed } from './fakes.js';

const dcosDir = tempDcosDir();
/** fetch with the token of the daemon these tests start. */
const api = fetchWithToken(() => localToken(join(dcosDir, 'local')));
const env = { DCOS_DIR: dcosDir };
const work = mkdtempSync(join(tmpdir(), 'dcos-haproxy-run-'));
let url: string;
const configFile = join(work, 'haproxy', 'haproxy.cfg');
let runner: ChildProcess | undefined;
/** HAProxy masters the runner reported starting (own process groups: killing the runner does not reach them). */
const masters = new Set<number>();

interface Action {
  action: string;
  at: string;
  trigger?: string;
  masterPid?: number;
  workerPid?: number;
  previousWorkerPid?: number;
  message?: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One request on a fresh connection, so every request goes through haproxy's accept(). */
function request(port: number, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        agent: false,
        headers: { connection: 'close' },
        timeout: timeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(body)
            : reject(new Error(`HTTP ${response.statusCode}: ${body}`)),
        );
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function tasksOf(appId: string): Promise<string[]> {
  const response = await api(`${url}/service/marathon/v2/apps${appId}?embed=app.tasks`);
  const { app } = (await response.json()) as { app: { tasks: Array<{ id: string; state: string }> } };
  return app.tasks.filter((task) => task.state === 'TASK_RUNNING').map((task) => task.id);
}

function killGroup(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

beforeAll(async () => {
  const start = await runCli(['local', 'start', '--agents', '3', '--json'], { env });
  expect(start.code, printed(start)).toBe(0);
  url = jsonOf<{ url: string }>(start).url;
}, 30_000);

afterAll(async () => {
  // Normally the test has stopped it; after a failure a SIGTERM lets it stop its haproxy as a user's would.
  if (runner && runner.exitCode === null && runner.signalCode === null) {
    const exited = new Promise((resolve) => runner!.once('exit', resolve));
    runner.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  killGroup(runner);
  // A master the runner started but had not reported yet is still found through its socket.
  const status = await new HaproxyProcess({ configFile, masterSocket: `${configFile}.sock` }).status();
  if (status) masters.add(status.master.pid);
  for (const pid of masters) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await runCli(['local', 'stop'], { env, timeoutMs: 30_000 });
  await rm(dcosDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
}, 40_000);

describe('dcos haproxy run against dcos local', () => {
  it('routes by service port and scales 1 -> 3 -> 2 under load with zero failed requests', async () => {
    const [servicePort, httpPort, statsPort] = [await freePort(), await freePort(), await freePort()];
    const appFile = join(work, 'echo.json');
    writeFileSync(
      appFile,
      JSON.stringify({
        id: '/lb/echo',
        instances: 1,
        cpus: 0.1,
        mem: 32,
        // A well-behaved backend: on SIGTERM it keeps serving for 2 s (Marathon's kill grace is 3 s) so the
        // load balancer can drop it first (a killing task is no server), then stops accepting and exits.
        cmd:
          `node -e "const s=require('http').createServer((q,r)=>r.end(process.env.MESOS_TASK_ID))` +
          `.listen(process.env.PORT0,process.env.HOST);` +
          `process.on('SIGTERM',()=>setTimeout(()=>s.close(()=>process.exit(0)),2000))"`,
        portDefinitions: [{ port: servicePort, protocol: 'tcp' }],
        labels: {
          HAPROXY_GROUP: 'external',
          // App templates are off by default: were this honoured, no request would reach a task.
          HAPROXY_0_BACKEND_HEAD:
            '\nbackend {backend}\n  mode {mode}\n  http-request return status 200 content-type text/plain string stolen\n',
        },
        healthChecks: [
          {
            protocol: 'HTTP',
            path: '/',
            portIndex: 0,
            gracePeriodSeconds: 10,
            intervalSeconds: 1,
            timeoutSeconds: 1,
            maxConsecutiveFailures: 3,
          },
        ],
      }),
    );
    const add = await runCli(['marathon', 'app', 'add', appFile, '--wait'], { env, timeoutMs: 30_000 });
    expect(add.code, printed(add)).toBe(0);

    // Its own process group: on a failure afterAll kills haproxy with it.
    runner = spawn(
      process.execPath,
      [
        BIN,
        'haproxy',
        'run',
        '--config-file',
        configFile,
        '--http-port',
        String(httpPort),
        '--stats-port',
        String(statsPort),
        '--bind-address',
        '127.0.0.1',
        '--maxconn',
        '2000',
        '--health-check',
        '--debounce',
        '200',
        '--max-wait',
        '1000',
        '--json',
      ],
      { env: { ...process.env, ...env, NO_COLOR: '1' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    runner.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const match of chunk.matchAll(/"masterPid":(\d+)/g)) masters.add(Number(match[1]));
    });
    runner.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => runner!.once('exit', (code) => resolve(code)));
    const actions = () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Action);
    const context = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;

    const [first] = await tasksOf('/lb/echo');
    await until(
      'haproxy to route the service port to the task',
      () =>
        request(servicePort, 2_000).then(
          (body) => body === first,
          () => false,
        ),
      20_000,
    );
    // haproxy may serve a moment before the runner has printed that it started it.
    await until('the start to be reported', () => actions().some((action) => action.action === 'started'));
    expect(actions(), context()).toContainEqual(
      expect.objectContaining({
        action: 'warning',
        message:
          '/lb/echo: label HAPROXY_0_BACKEND_HEAD ignored: apps may set templates only when the operator allows it (--allow-app-templates)',
      }),
    );

    // Load: four clients, each sequential, fresh connection per request; bounded by count and by a stop flag.
    // The count is far above what the test needs: running out early would starve the last check of traffic.
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let total = 0;
    let stopLoad = false;
    const client = async () => {
      for (let i = 0; i < 50_000 && !stopLoad; i++) {
        total++;
        await request(servicePort).then(
          (body) => seen.set(body, (seen.get(body) ?? 0) + 1),
          (error: Error) => failures.push(error.message),
        );
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);
    try {
      const up = await runCli(['marathon', 'app', 'scale', '/lb/echo', '3', '--wait'], {
        env,
        timeoutMs: 30_000,
      });
      expect(up.code, printed(up)).toBe(0);
      const three = await tasksOf('/lb/echo');
      expect(three).toHaveLength(3);
      seen.clear();
      await until(
        'every one of the 3 tasks to get traffic',
        () => three.every((id) => (seen.get(id) ?? 0) > 0),
        20_000,
      );

      const reloadsBefore = actions().filter((action) => action.action === 'reloaded').length;
      const down = await runCli(['marathon', 'app', 'scale', '/lb/echo', '2', '--wait'], {
        env,
        timeoutMs: 30_000,
      });
      expect(down.code, printed(down)).toBe(0);
      const two = await tasksOf('/lb/echo');
      expect(two).toHaveLength(2);
      await until(
        'a reload after the scale down',
        () => actions().filter((action) => action.action === 'reloaded').length > reloadsBefore,
        20_000,
      );
      seen.clear();
      await until(
        'only the 2 remaining tasks to get traffic',
        () => {
          const total = [...seen.values()].reduce((a, b) => a + b, 0);
          return total >= 50 && [...seen.keys()].every((id) => two.includes(id));
        },
        20_000,
      );
    } finally {
      stopLoad = true;
      await load;
    }
    expect(failures, context()).toEqual([]);
    expect(total).toBeGreaterThan(200);

    const reloads = actions().filter((action) => action.action === 'reloaded');
    expect(reloads.length, context()).toBeGreaterThanOrEqual(2);
    // Debounced: a scale is a burst of events, not one reload per event.
    expect(reloads.length, context()).toBeLessThanOrEqual(8);
    expect(reloads.every((reload) => reload.workerPid !== reload.previousWorkerPid)).toBe(true);

    // SIGTERM: a normal stop, and the haproxy it started goes with it.
    runner.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('hung'), 15_000)),
    ]);
    expect(code, context()).toBe(0);
    const workers = actions().flatMap((action) => (action.workerPid ? [action.workerPid] : []));
    await until('haproxy workers to be gone', () => workers.every((pid) => !processAlive(pid)), 5_000);
    await expect(request(servicePort, 2_000)).rejects.toThrow(/ECONNREFUSED/);
  }, 120_000);

  it('config and check read the attached cluster when there is no --apps', async () => {
    const [httpPort, statsPort] = [await freePort(), await freePort()];
    const ports = ['--http-port', String(httpPort), '--stats-port', String(statsPort), '--maxconn', '2000'];
    const report = await runCli(['haproxy', 'config', ...ports, '--json'], { env, timeoutMs: 30_000 });
    expect(report.code, printed(report)).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ included: ['/lb/echo'], dropped: [] });
    const text = await runCli(['haproxy', 'config', ...ports], { env, timeoutMs: 30_000 });
    expect(text.stdout).toMatch(/^backend lb_echo_\d+$/m);
    const check = await runCli(['haproxy', 'check', ...ports], { env, timeoutMs: 30_000 });
    expect(check.code, printed(check)).toBe(0);
  }, 60_000);
});
