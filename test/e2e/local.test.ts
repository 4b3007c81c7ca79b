import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { processAlive, until } from '../helpers/wait.js';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import { fetchWithToken, localToken } from '../helpers/local.js';

const dcosDir = tempDcosDir();
/** fetch with the token of the daemon these tests start. */
const api = fetchWithToken(() => localToken(join(dcosDir, 'local')));
const env = { DCOS_DIR: dcosDir };
const stateDir = join(dcosDir, 'local');

afterAll(async () => {
  await runCli(['local', 'stop'], { env });
});

function daemon(): { pid: number; url: string } {
  return JSON.parse(readFileSync(join(stateDir, 'daemon.json'), 'utf8')) as { pid: number; url: string };
}

/** The process groups the daemon recorded for its tasks (persisted for orphan cleanup). */
function taskPids(): number[] {
  const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
    tasks: Array<{ pgid?: number }>;
  };
  return state.tasks.map((task) => task.pgid).filter((pid): pid is number => typeof pid === 'number');
}

async function runningTasks(url: string, appId: string): Promise<number> {
  const response = await api(`${url}/service/marathon/v2/apps${appId}`);
  if (response.status !== 200) return -1;
  return ((await response.json()) as { app: { tasksRunning: number } }).app.tasksRunning;
}

describe('dcos local start on a busy port', () => {
  it('fails with one clear line and exit 1', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const start = await runCli(['local', 'start', '--port', String(port)], {
        env: { DCOS_DIR: tempDcosDir() },
      });
      expect(start.code).toBe(1);
      expect(start.stderr.trim().split('\n')).toEqual([
        `Error: dcos local failed to start: port ${port} on 127.0.0.1 is already in use; choose another with --port (0 picks a free one)`,
      ]);
    } finally {
      busy.close();
    }
  });
});

describe('dcos local start | status | stop | reset', () => {
  it('starts a daemon, attaches the "local" cluster and reports its status', async () => {
    const start = await runCli(['local', 'start', '--agents', '2', '--json'], { env });
    expect(start.code, start.stderr).toBe(0);
    const started = JSON.parse(start.stdout) as { url: string; agents: number; alreadyRunning: boolean };
    expect(started).toMatchObject({ agents: 2, alreadyRunning: false });
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const list = await runCli(['cluster', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        name: 'local',
        attached: true,
        status: 'AVAILABLE',
        url: started.url,
        type: 'local',
      }),
    ]);

    const again = await runCli(['local', 'start', '--json'], { env });
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyRunning: true, url: started.url });

    const status = await runCli(['local', 'status', '--json'], { env });
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, url: started.url, agents: 2, apps: 0 });
  });

  it('keeps apps across a SIGKILL of the daemon, cleans up the orphaned tasks and relaunches them', async () => {
    const { url, pid } = daemon();
    const created = await api(`${url}/service/marathon/v2/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: '/keep', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2 }),
    });
    expect(created.status).toBe(201);
    await until('2 running tasks', async () => ((await runningTasks(url, '/keep')) === 2 ? true : undefined));
    const orphans = await until('recorded task pids', () =>
      taskPids().length === 2 ? taskPids() : undefined,
    );

    process.kill(pid, 'SIGKILL');
    await until('the daemon to die', () => (processAlive(pid) ? undefined : true));
    expect(orphans.every(processAlive)).toBe(true);

    const restart = await runCli(['local', 'start', '--json'], { env });
    expect(restart.code, restart.stderr).toBe(0);
    const { url: next } = JSON.parse(restart.stdout) as { url: string };
    await until('the orphans to be gone', () => (orphans.some(processAlive) ? undefined : true));
    await until('the app to run again', async () =>
      (await runningTasks(next, '/keep')) === 2 ? true : undefined,
    );
  });

  it('stop leaves no task process behind', async () => {
    const pids = await until('recorded task pids', () => (taskPids().length === 2 ? taskPids() : undefined));
    expect(pids.every(processAlive)).toBe(true);
    const stop = await runCli(['local', 'stop'], { env });
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('dcos local stopped.');
    expect(pids.filter(processAlive)).toEqual([]);
    const status = await runCli(['local', 'status', '--json'], { env });
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false });
  });

  it('reset wipes the state and forgets the cluster', async () => {
    const reset = await runCli(['local', 'reset', '--json'], { env });
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ removedCluster: true });
    expect(existsSync(join(stateDir, 'state.json'))).toBe(false);
    const list = await runCli(['cluster', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
