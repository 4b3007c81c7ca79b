import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  buildTaskEnv,
  DOCKER_UNSUPPORTED,
  IMAGE_UNSUPPORTED,
  killOrphans,
  orphanGroups,
  type ProcessEntry,
  TaskRunner,
  unsupportedContainer,
} from '../../../../src/lib/local/executor/process.js';
import { hang, withDeadline } from '../../../helpers/http.js';
import { startServer } from '../../../helpers/servers.js';
import { removeTempDirs, tempDir } from '../../config/helpers.js';
import { killTracked, pidAlive, readPidFile, recorder, spec, track, waitFor } from './helpers.js';

const runners: TaskRunner[] = [];

function newRunner(options?: { killGraceMs?: number }) {
  const rec = recorder();
  const runner = new TaskRunner(rec.events, options);
  runners.push(runner);
  return { runner, ...rec };
}

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.killAll()));
  await killTracked();
  await removeTempDirs();
});

function envLines(stdout: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

describe('TaskRunner: launching', () => {
  it('runs cmd through the shell in the sandbox with Marathon’s environment, and finishes on status 0', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, statesOf, last, pids, waitForTerminal } = newRunner();
    const saved = { secret: process.env.DCOS_TEST_SECRET, nodeOptions: process.env.NODE_OPTIONS };
    process.env.DCOS_TEST_SECRET = 'do-not-leak';
    process.env.NODE_OPTIONS = '--max-old-space-size=64';
    try {
      runner.launch(
        spec(root, 'app.t1', {
          cmd: 'env; pwd >&2',
          host: '127.0.0.2',
          ports: [31000, 31001, 31002],
          portNames: ['http', undefined, 'admin'],
          requestedPorts: [10000, 0, 10002],
          env: { FOO: 'bar', PORT1: 'app-wins' },
        }),
      );
    } finally {
      if (saved.secret === undefined) delete process.env.DCOS_TEST_SECRET;
      else process.env.DCOS_TEST_SECRET = saved.secret;
      if (saved.nodeOptions === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved.nodeOptions;
    }
    expect(runner.isRunning('app.t1')).toBe(true);
    const end = await waitForTerminal('app.t1');
    expect(statesOf('app.t1')).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    expect(end.message).toBe('Command exited with status 0');
    expect(last('app.t1')?.state).toBe('TASK_FINISHED');
    expect(pids.get('app.t1')).toBeGreaterThan(1);
    expect(runner.isRunning('app.t1')).toBe(false);
    expect(runner.running()).toEqual([]);

    const sandbox = join(root, 'app.t1');
    const env = envLines(await readFile(join(sandbox, 'stdout'), 'utf8'));
    expect(
      Object.fromEntries([...env].filter(([key]) => /^(PORT|HOST|MESOS_|MARATHON_|FOO)/.test(key))),
    ).toEqual({
      HOST: '127.0.0.2',
      PORT: '31000',
      PORTS: '31000,31001,31002',
      PORT0: '31000',
      PORT1: 'app-wins',
      PORT2: '31002',
      PORT_10000: '31000',
      PORT_31001: '31001',
      PORT_10002: '31002',
      PORT_HTTP: '31000',
      PORT_ADMIN: '31002',
      MESOS_TASK_ID: 'app.t1',
      MESOS_SANDBOX: sandbox,
      MESOS_DIRECTORY: sandbox,
      MARATHON_APP_ID: '/test/app',
      MARATHON_APP_VERSION: '2024-01-02T03:04:05.678Z',
      MARATHON_APP_LABELS: '',
      FOO: 'bar',
    });
    expect(env.get('DCOS_LOCAL_TASK_ID')).toBe('app.t1');
    expect(env.get('DCOS_LOCAL_NODE')).toBe(process.execPath);
    expect(env.get('DCOS_LOCAL_CLI')).toMatch(/[/\\]bin[/\\]run\.js$/);
    expect([...env.keys()].filter((key) => key.startsWith('DCOS_')).sort()).toEqual([
      'DCOS_LOCAL_CLI',
      'DCOS_LOCAL_NODE',
      'DCOS_LOCAL_TASK_ID',
    ]);
    expect(env.has('NODE_OPTIONS')).toBe(false);
    expect(env.get('PATH')).toBe(process.env.PATH);
    expect((await readFile(join(sandbox, 'stderr'), 'utf8')).trim()).toBe(sandbox);
  });

  it('builds resource and label variables like Marathon', () => {
    const env = buildTaskEnv(
      {
        ...spec('/sandboxes', 't'),
        resources: { cpus: 0.5, mem: 128, disk: 0, gpus: 0 },
        ports: [31005],
        portNames: ['admin-api'],
        labels: { HAPROXY_GROUP: 'external', 'a.b-c': 'x' },
        env: { MARATHON_APP_ID: 'the app may override this' },
      },
      { PATH: '/bin', DCOS_URL: 'https://x', MESOS_TASK_ID: 'inherited', PORT7: '1', NODE_CHANNEL_FD: '3' },
    );
    expect(env).toMatchObject({
      PATH: '/bin',
      MESOS_TASK_ID: 't',
      MARATHON_APP_ID: 'the app may override this',
      MARATHON_APP_RESOURCE_CPUS: '0.5',
      MARATHON_APP_RESOURCE_MEM: '128.0',
      MARATHON_APP_RESOURCE_DISK: '0.0',
      MARATHON_APP_RESOURCE_GPUS: '0',
      MARATHON_APP_LABELS: 'HAPROXY_GROUP A_B_C',
      MARATHON_APP_LABEL_HAPROXY_GROUP: 'external',
      MARATHON_APP_LABEL_A_B_C: 'x',
    });
    expect(env.DCOS_URL).toBeUndefined();
    expect(env.PORT7).toBeUndefined();
    expect(env.NODE_CHANNEL_FD).toBeUndefined();
    // Marathon upper-cases port names as they are (its names allow '-'; a POSIX shell will not pass those on).
    expect(env['PORT_ADMIN-API']).toBe('31005');
    expect(buildTaskEnv(spec('/sandboxes', 't'), {}).PORT).toBeUndefined(); // no ports, no PORT variables
  });

  it("gives the cluster's URL and token, never the daemon's own DCOS_ACS_TOKEN", () => {
    const env = buildTaskEnv(
      { ...spec('/sandboxes', 't'), clusterUrl: 'http://127.0.0.1:1234', clusterToken: 'the-token' },
      { PATH: '/bin', DCOS_ACS_TOKEN: 'the user token for another cluster' },
    );
    expect(env).toMatchObject({ DCOS_LOCAL_URL: 'http://127.0.0.1:1234', DCOS_LOCAL_TOKEN: 'the-token' });
    expect(env.DCOS_ACS_TOKEN).toBeUndefined();
    expect(buildTaskEnv(spec('/sandboxes', 't'), {}).DCOS_LOCAL_TOKEN).toBeUndefined();
  });

  it('appends stdout and stderr to files in the sandbox', async () => {
    const root = await tempDir('dcos-exec-');
    const sandbox = join(root, 'io.t');
    await mkdir(sandbox, { recursive: true });
    await writeFile(join(sandbox, 'stdout'), 'earlier run\n');
    const { runner, waitForTerminal } = newRunner();
    runner.launch(spec(root, 'io.t', { cmd: 'echo to-out; echo to-err >&2; echo more-out' }));
    await waitForTerminal('io.t');
    expect(await readFile(join(sandbox, 'stdout'), 'utf8')).toBe('earlier run\nto-out\nmore-out\n');
    expect(await readFile(join(sandbox, 'stderr'), 'utf8')).toBe('to-err\n');
  });

  it('execs args directly, without a shell', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, statesOf, waitForTerminal } = newRunner();
    runner.launch(spec(root, 'args.t', { args: ['/bin/echo', 'a  b', '$HOME', '`id`'] }));
    const end = await waitForTerminal('args.t');
    expect(end.state).toBe('TASK_FINISHED');
    expect(statesOf('args.t')).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    expect(await readFile(join(root, 'args.t', 'stdout'), 'utf8')).toBe('a  b $HOME `id`\n');
  });

  it('reports a non-zero exit as TASK_FAILED with the status', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, waitForTerminal } = newRunner();
    runner.launch(spec(root, 'fail.t', { cmd: 'echo bye; exit 3' }));
    const end = await waitForTerminal('fail.t');
    expect(end).toMatchObject({ state: 'TASK_FAILED', message: 'Command exited with status 3' });

    runner.launch(spec(root, 'nocmd.t', { cmd: 'no-such-command-dcos-local' }));
    expect(await waitForTerminal('nocmd.t')).toMatchObject({
      state: 'TASK_FAILED',
      message: 'Command exited with status 127',
    });
  });

  it('fails a task whose args[0] cannot be executed, without TASK_RUNNING', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, statesOf, pids, waitForTerminal } = newRunner();
    runner.launch(spec(root, 'enoent.t', { args: ['/no/such/binary', 'x'] }));
    const end = await waitForTerminal('enoent.t');
    expect(end.state).toBe('TASK_FAILED');
    expect(end.message).toBe("Failed to execute '/no/such/binary': No such file or directory");
    expect(statesOf('enoent.t')).toEqual(['TASK_STARTING', 'TASK_FAILED']);
    expect(pids.has('enoent.t')).toBe(false);
    expect(await readFile(join(root, 'enoent.t', 'stderr'), 'utf8')).toContain('/no/such/binary');
    expect(runner.isRunning('enoent.t')).toBe(false);
  });

  it('reports a signal nobody asked for as TASK_FAILED', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, waitForTerminal } = newRunner();
    runner.launch(spec(root, 'sig.t', { cmd: 'kill -KILL $$' }));
    expect(await waitForTerminal('sig.t')).toMatchObject({
      state: 'TASK_FAILED',
      message: 'Command terminated with signal Killed',
    });
  });

  it('kills what the task left in its process group when it exits by itself', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, waitForTerminal } = newRunner();
    runner.launch(spec(root, 'bg.t', { cmd: 'sleep 1000 & echo $! > child.pid' }));
    const child = await readPidFile(join(root, 'bg.t', 'child.pid'));
    expect(await waitForTerminal('bg.t')).toMatchObject({ state: 'TASK_FINISHED' });
    expect(pidAlive(child)).toBe(false);
  });
});

describe('TaskRunner: containers', () => {
  it('refuses Docker containers with TASK_FAILED and runs nothing', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, statuses, pids, waitForTerminal } = newRunner();
    runner.launch(
      spec(root, 'docker.t', {
        cmd: 'touch ran',
        container: { type: 'DOCKER', docker: { image: 'nginx:1.25' } },
      }),
    );
    const end = await waitForTerminal('docker.t');
    expect(statuses).toEqual([{ taskId: 'docker.t', state: 'TASK_FAILED', message: DOCKER_UNSUPPORTED }]);
    expect(end.message).toContain('Docker containers are not supported by dcos local');
    expect(pids.size).toBe(0);
    expect(await readFile(join(root, 'docker.t', 'stderr'), 'utf8')).toBe(`${DOCKER_UNSUPPORTED}\n`);
    await expect(readFile(join(root, 'docker.t', 'ran'))).rejects.toThrow();
  });

  it('refuses a MESOS container with an image, and runs one without an image', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, waitForTerminal } = newRunner();
    runner.launch(
      spec(root, 'ucr.t', { cmd: 'true', container: { type: 'MESOS', docker: { image: 'busybox' } } }),
    );
    const end = await waitForTerminal('ucr.t');
    expect(end.state).toBe('TASK_FAILED');
    expect(end.message).toBe(`${IMAGE_UNSUPPORTED} (image 'busybox')`);

    runner.launch(spec(root, 'mesos.t', { cmd: 'echo plain', container: { type: 'MESOS', volumes: [] } }));
    expect((await waitForTerminal('mesos.t')).state).toBe('TASK_FINISHED');
    expect(await readFile(join(root, 'mesos.t', 'stdout'), 'utf8')).toBe('plain\n');
  });

  it('classifies containers', () => {
    expect(unsupportedContainer(undefined)).toBeUndefined();
    expect(unsupportedContainer({ type: 'MESOS' })).toBeUndefined();
    expect(unsupportedContainer({ type: 'DOCKER' })).toBe(DOCKER_UNSUPPORTED);
    expect(unsupportedContainer({ docker: { image: 'x' } })).toBe(DOCKER_UNSUPPORTED);
    expect(unsupportedContainer({ type: 'MESOS', appc: { image: 'coreos.com/etcd' } })).toContain(
      "image 'coreos.com/etcd'",
    );
  });
});

describe('TaskRunner: fetch', () => {
  it('fetches URIs into the sandbox before starting, and fails the task naming the URI', async () => {
    const root = await tempDir('dcos-exec-');
    const source = join(root, 'tool.sh');
    await writeFile(source, '#!/bin/sh\necho from-tool\n');
    const { runner, statesOf, waitForTerminal } = newRunner();
    runner.launch(
      spec(root, 'fetch.t', { cmd: './tool.sh', fetch: [{ uri: `file://${source}`, executable: true }] }),
    );
    expect((await waitForTerminal('fetch.t')).state).toBe('TASK_FINISHED');
    expect(await readFile(join(root, 'fetch.t', 'stdout'), 'utf8')).toBe('from-tool\n');

    runner.launch(spec(root, 'nofetch.t', { cmd: 'true', fetch: [{ uri: 'http://example.com/x.tgz' }] }));
    const end = await waitForTerminal('nofetch.t');
    expect(end.state).toBe('TASK_FAILED');
    expect(end.message).toContain("Failed to fetch 'http://example.com/x.tgz'");
    expect(statesOf('nofetch.t')).toEqual(['TASK_STARTING', 'TASK_FAILED']);
    expect(await readFile(join(root, 'nofetch.t', 'stderr'), 'utf8')).toContain('http://example.com/x.tgz');
  });

  it('fails the task, saying why, when a fetched archive would lead out of the sandbox', async () => {
    const root = await tempDir('dcos-exec-');
    const outside = await tempDir('dcos-outside-');
    const layer = join(root, 'layer');
    await mkdir(layer);
    await symlink(outside, join(layer, 'link'));
    const archive = join(root, 'evil.tar');
    execFileSync('tar', ['-cf', archive, '-C', layer, 'link']);
    const { runner, statesOf, waitForTerminal } = newRunner();
    runner.launch(spec(root, 'evil.t', { cmd: 'touch ran', fetch: [{ uri: archive }] }));
    const end = await waitForTerminal('evil.t');
    const reason = `Failed to fetch '${archive}': evil.tar holds the symbolic link 'link' -> '${outside}', which points outside the sandbox`;
    expect(end).toMatchObject({ state: 'TASK_FAILED', message: reason });
    expect(statesOf('evil.t')).toEqual(['TASK_STARTING', 'TASK_FAILED']);
    expect(await readFile(join(root, 'evil.t', 'stderr'), 'utf8')).toBe(`${reason}\n`);
    expect(existsSync(join(root, 'evil.t', 'ran'))).toBe(false);
  });
});

describe('TaskRunner: kill', () => {
  it('kills the whole process tree: TASK_KILLING, then TASK_KILLED', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, statesOf, pids, waitForState, last } = newRunner({ killGraceMs: 5000 });
    runner.launch(spec(root, 'tree.t', { cmd: 'sleep 1000 & echo $! > child.pid; wait' }));
    await waitForState('tree.t', 'TASK_RUNNING');
    const child = await readPidFile(join(root, 'tree.t', 'child.pid'));
    const leader = pids.get('tree.t')!;
    expect(pidAlive(leader)).toBe(true);
    expect(pidAlive(child)).toBe(true);

    await runner.kill('tree.t');
    expect(statesOf('tree.t')).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
    expect(last('tree.t')?.message).toBe('Command terminated with signal Terminated');
    expect(pidAlive(leader)).toBe(false);
    expect(pidAlive(child)).toBe(false);
    expect(runner.isRunning('tree.t')).toBe(false);
    await runner.kill('tree.t'); // a second kill is a no-op
    expect(statesOf('tree.t')).toHaveLength(4);
  });

  it('escalates to SIGKILL after the grace period when TERM is ignored', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, statesOf, pids, waitForState } = newRunner();
    runner.launch(
      spec(root, 'stubborn.t', { cmd: "trap '' TERM; sleep 1000 & echo $! > child.pid; wait; wait; wait" }),
    );
    await waitForState('stubborn.t', 'TASK_RUNNING');
    const child = await readPidFile(join(root, 'stubborn.t', 'child.pid'));
    const leader = pids.get('stubborn.t')!;

    const started = Date.now();
    await runner.kill('stubborn.t', 400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(statesOf('stubborn.t').slice(-2)).toEqual(['TASK_KILLING', 'TASK_KILLED']);
    expect(pidAlive(leader)).toBe(false);
    expect(pidAlive(child)).toBe(false);
  });

  it('stops a task that has not started yet', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, statesOf, pids } = newRunner();
    runner.launch(spec(root, 'early.t', { cmd: 'touch ran; sleep 1000' }));
    await runner.kill('early.t');
    expect(statesOf('early.t')).toEqual(['TASK_KILLING', 'TASK_KILLED']);
    expect(pids.has('early.t')).toBe(false);
    await expect(readFile(join(root, 'early.t', 'ran'))).rejects.toThrow();
  });

  it('stops a task whose fetch is still downloading', async () => {
    const server = await startServer({ 'GET /slow.tgz': (_request, response) => hang(response) });
    try {
      const root = await tempDir('dcos-exec-');
      const { runner, statesOf, pids, waitForState } = newRunner();
      runner.launch(
        spec(root, 'slowfetch.t', { cmd: 'touch ran', fetch: [{ uri: `${server.url}/slow.tgz` }] }),
      );
      await waitForState('slowfetch.t', 'TASK_STARTING');
      await waitFor(() => server.requests.length > 0, 5000, 'the download to start');
      await withDeadline(runner.kill('slowfetch.t'), 5000, 'kill during fetch');
      expect(statesOf('slowfetch.t')).toEqual(['TASK_STARTING', 'TASK_KILLING', 'TASK_KILLED']);
      expect(pids.has('slowfetch.t')).toBe(false);
      await expect(readFile(join(root, 'slowfetch.t', 'ran'))).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('killAll kills every running task in parallel', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, pids, waitForState, last } = newRunner();
    const ids = ['all.a', 'all.b', 'all.c'];
    for (const id of ids) runner.launch(spec(root, id, { cmd: 'sleep 1000' }));
    for (const id of ids) await waitForState(id, 'TASK_RUNNING');
    expect(runner.running().sort()).toEqual(ids);
    await runner.killAll();
    expect(runner.running()).toEqual([]);
    for (const id of ids) {
      expect(last(id)?.state).toBe('TASK_KILLED');
      expect(pidAlive(pids.get(id)!)).toBe(false);
    }
  });

  it('refuses to launch a task id that is still running', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, waitForState } = newRunner();
    runner.launch(spec(root, 'dup.t', { cmd: 'sleep 1000' }));
    expect(() => runner.launch(spec(root, 'dup.t', { cmd: 'sleep 1000' }))).toThrow(/already running/);
    await waitForState('dup.t', 'TASK_RUNNING');
    await runner.kill('dup.t');
  });
});

/** A state directory no process carries: only the recorded groups count. */
const NO_DIR = '/nonexistent/dcos-local-state';

describe('killOrphans', () => {
  /** A detached process group, like a task left behind by a daemon that was SIGKILLed. */
  function orphan(env: Record<string, string>): number {
    const child = spawn('/bin/sh', ['-c', 'sleep 1000 & wait'], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    });
    child.unref();
    track(child.pid);
    return child.pid!;
  }

  it('kills a recorded group whose environment carries the task id', async () => {
    const pgid = orphan({ MESOS_TASK_ID: 'orphan.t1' });
    await waitFor(() => pidAlive(pgid), 2000, 'the orphan to start');
    expect(
      await killOrphans({ stateDir: NO_DIR, records: [{ pgid, taskId: 'orphan.t1' }] }, { graceMs: 2000 }),
    ).toBe(1);
    expect(pidAlive(pgid)).toBe(false);
  });

  it('leaves alone a group whose task id does not match, and groups that are gone', async () => {
    const pgid = orphan({ MESOS_TASK_ID: 'someone-else' });
    await waitFor(() => pidAlive(pgid), 2000, 'the process to start');
    const gone = orphan({ MESOS_TASK_ID: 'gone.t' });
    process.kill(-gone, 'SIGKILL');
    await waitFor(() => !pidAlive(gone), 2000, 'the group to go');

    expect(
      await killOrphans({
        stateDir: NO_DIR,
        records: [
          { pgid, taskId: 'orphan.t2' },
          { pgid: gone, taskId: 'gone.t' },
          { pgid: process.pid, taskId: 'orphan.t2' },
          { pgid: 1, taskId: 'orphan.t2' },
        ],
      }),
    ).toBe(0);
    expect(pidAlive(pgid)).toBe(true);
    expect(pidAlive(process.pid)).toBe(true);
  });

  it('recognises a task the runner launched, even when the app overrides MESOS_TASK_ID', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, pids, waitForState, waitForTerminal } = newRunner();
    runner.launch(spec(root, 'own.t', { cmd: 'sleep 1000', env: { MESOS_TASK_ID: 'overridden' } }));
    await waitForState('own.t', 'TASK_RUNNING');
    expect(
      await killOrphans({ stateDir: NO_DIR, records: [{ pgid: pids.get('own.t')!, taskId: 'own.t' }] }),
    ).toBe(1);
    expect(await waitForTerminal('own.t')).toMatchObject({
      state: 'TASK_FAILED',
      message: 'Command terminated with signal Terminated',
    });
    expect(pidAlive(pids.get('own.t')!)).toBe(false);
  });

  it('kills every group carrying this daemon’s DCOS_LOCAL_DIR, recorded or not, and no other daemon’s', async () => {
    const mine = await tempDir('dcos-local-mine-');
    const lost = orphan({ DCOS_LOCAL_DIR: mine, DCOS_LOCAL_TASK_ID: 'lost.t' });
    const other = orphan({ DCOS_LOCAL_DIR: `${mine}-other`, DCOS_LOCAL_TASK_ID: 'other.t' });
    const nested = orphan({ DCOS_LOCAL_DIR: join(mine, 'nested') });
    await waitFor(() => [lost, other, nested].every(pidAlive), 2000, 'the processes to start');
    expect(await killOrphans({ stateDir: mine }, { graceMs: 2000 })).toBe(1);
    expect(pidAlive(lost)).toBe(false);
    expect(pidAlive(other)).toBe(true);
    expect(pidAlive(nested)).toBe(true);
  });

  it('a task the runner launches carries the daemon’s directory, whatever the app’s env says', async () => {
    const root = await tempDir('dcos-exec-');
    const { runner, pids, waitForState } = newRunner();
    runner.launch(
      spec(root, 'marked.t', { cmd: 'sleep 1000', stateDir: root, env: { DCOS_LOCAL_DIR: '/elsewhere' } }),
    );
    await waitForState('marked.t', 'TASK_RUNNING');
    const environ = (await readFile(`/proc/${pids.get('marked.t')!}/environ`, 'utf8')).split('\0');
    expect(environ).toContain(`DCOS_LOCAL_DIR=${root}`);
    expect(await killOrphans({ stateDir: root })).toBe(1);
    expect(pidAlive(pids.get('marked.t')!)).toBe(false);
  });
});

describe('orphanGroups', () => {
  const entry = (pid: number, pgrp: number, environ: string[], state = 'S'): ProcessEntry => ({
    pid,
    pgrp,
    state,
    environ,
  });
  const self = { pid: 100, pgid: 100 };

  it('picks the groups of live processes that carry the directory, never the caller’s own', () => {
    const table = [
      entry(100, 100, ['DCOS_LOCAL_DIR=/s']), // the daemon itself, started from a task of the same dir
      entry(101, 100, ['DCOS_LOCAL_DIR=/s']), // in the daemon's own group
      entry(200, 200, ['DCOS_LOCAL_DIR=/s', 'DCOS_LOCAL_TASK_ID=a']),
      entry(201, 200, ['DCOS_LOCAL_DIR=/s']),
      entry(300, 300, ['DCOS_LOCAL_DIR=/s/other']),
      entry(400, 400, ['DCOS_LOCAL_DIR=/s'], 'Z'),
      entry(500, 1, ['DCOS_LOCAL_DIR=/s']),
      entry(600, 600, ['DCOS_LOCAL_DIR=/s2']),
      entry(700, 650, ['X=1', 'DCOS_LOCAL_DIR=/s']),
    ];
    expect(orphanGroups(table, { stateDir: '/s' }, self)).toEqual([200, 650]);
  });

  it('adds a recorded group only when a live member carries the recorded task id', () => {
    const table = [
      entry(800, 800, ['MESOS_TASK_ID=old.t']),
      entry(900, 900, ['DCOS_LOCAL_TASK_ID=reused-pid']),
      entry(950, 950, ['DCOS_LOCAL_TASK_ID=zombie.t'], 'Z'),
    ];
    const records = [
      { pgid: 800, taskId: 'old.t' },
      { pgid: 900, taskId: 'old.t2' },
      { pgid: 950, taskId: 'zombie.t' },
      { pgid: 100, taskId: 'old.t' },
    ];
    expect(orphanGroups(table, { stateDir: '/s', records }, self)).toEqual([800]);
  });
});
