/**
 * The files API of dcos local's agents serves a task's sandbox and nothing else, whatever symlinks the task
 * puts there: a real cluster on loopback whose task plants links to /etc/passwd, to / and inside its sandbox.
 */
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fetchWithToken } from '../../helpers/local.js';
import { until } from '../../helpers/wait.js';

import { startLocalCluster, type RunningCluster } from '../../../src/lib/local/server.js';

let cluster: RunningCluster;
let dir: string;
let agentId: string;
let otherAgent: string;
let sandbox: string;
const fetch = fetchWithToken(() => cluster?.token);

/** What the task plants before it sleeps. */
const PLANT = [
  'echo hello > stdout-copy',
  'ln -s /etc/passwd passwd-link',
  'ln -s / root-link',
  'ln -s stdout-copy inner-link',
  'mkdir -p inner/deeper && echo deep > inner/deeper/file',
  'ln -s inner dir-link',
  'ln -s ../../../../../../../../.. up-link',
  'mkfifo fifo',
  'touch planted',
  'exec sleep 1000',
].join(' && ');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dcos-files-'));
  cluster = await startLocalCluster({ dir, port: 0, agents: 2, maxTasks: 10, tickMs: 50 });
  const created = await fetch(`${cluster.url}/service/marathon/v2/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: '/planter', cmd: PLANT, cpus: 0.01, mem: 8, instances: 1 }),
  });
  expect(created.status).toBe(201);
  const task = await until('the task to plant its links', async () => {
    const [running] = cluster.engine.activeTasks('/planter');
    if (running?.state !== 'TASK_RUNNING') return undefined;
    return (await readFile(join(running.sandbox, 'planted')).catch(() => undefined)) ? running : undefined;
  });
  agentId = task.agentId;
  otherAgent = cluster.engine.agents.find((agent) => agent.id !== agentId)!.id;
  sandbox = task.sandbox;
});

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

async function files(action: string, path: string, agent = agentId) {
  const response = await fetch(
    `${cluster.url}/agent/${agent}/files/${action}?path=${encodeURIComponent(path)}&offset=0`,
  );
  return { status: response.status, text: await response.text() };
}

const inaccessible = (path: string) => ({ status: 400, text: `'${path}' is inaccessible.\n` });

describe('dcos local files API: symlinks out of the sandbox are refused', () => {
  it('a link to /etc/passwd: read and download are 400 inaccessible, as Mesos answers', async () => {
    const path = join(sandbox, 'passwd-link');
    expect(await files('read', path)).toEqual(inaccessible(path));
    expect(await files('download', path)).toEqual(inaccessible(path));
    expect(await files('read.json', path)).toEqual(inaccessible(path));
  });

  it('a link to /: browse, and read or download through it, are refused', async () => {
    for (const [action, path] of [
      ['browse', join(sandbox, 'root-link')],
      ['browse', join(sandbox, 'up-link')],
      ['read', join(sandbox, 'root-link', 'etc', 'passwd')],
      ['download', join(sandbox, 'root-link', 'etc', 'passwd')],
    ] as const) {
      expect(await files(action, path), `${action} ${path}`).toEqual(inaccessible(path));
    }
  });

  it('browsing the sandbox shows the outward links as links, not what they point at', async () => {
    const { status, text } = await files('browse', sandbox);
    expect(status).toBe(200);
    const listing = JSON.parse(text) as Array<{ path: string; mode: string; size: number }>;
    const entry = (name: string) => listing.find((item) => item.path === join(sandbox, name));
    expect(entry('passwd-link')).toMatchObject({ mode: 'lrwxrwxrwx', size: '/etc/passwd'.length });
    expect(entry('root-link')).toMatchObject({ mode: 'lrwxrwxrwx', size: 1 });
    expect(entry('up-link')?.mode).toBe('lrwxrwxrwx');
    // Links inside the sandbox are followed, as Mesos does.
    expect(entry('inner-link')).toMatchObject({ mode: expect.stringMatching(/^-/), size: 'hello\n'.length });
    expect(entry('dir-link')?.mode).toMatch(/^d/);
  });

  it('links that stay inside the sandbox work for read, download and browse', async () => {
    expect(JSON.parse((await files('read', join(sandbox, 'inner-link'))).text)).toEqual({
      data: 'hello\n',
      offset: 0,
    });
    expect(await files('download', join(sandbox, 'dir-link', 'deeper', 'file'))).toEqual({
      status: 200,
      text: 'deep\n',
    });
    const listing = JSON.parse((await files('browse', join(sandbox, 'dir-link'))).text) as Array<{
      path: string;
    }>;
    expect(listing.map((item) => item.path)).toEqual([join(sandbox, 'dir-link', 'deeper')]);
  });

  it('a FIFO is not read (it would block the daemon): 400', async () => {
    const path = join(sandbox, 'fifo');
    expect(await files('read', path)).toEqual({ status: 400, text: `'${path}' is not a regular file.\n` });
  });

  it('paths outside this agent’s directory are 404, whatever their spelling', async () => {
    expect((await files('read', '/etc/passwd')).status).toBe(404);
    expect((await files('read', '../../../../../../../../etc/passwd')).status).toBe(404);
    expect((await files('browse', join(dir, 'work'))).status).toBe(404);
    expect((await files('browse', dir)).status).toBe(404);
    // Another agent does not serve this agent's sandbox.
    expect((await files('read', join(sandbox, 'stdout-copy'), otherAgent)).status).toBe(404);
    // The relative spelling, the `/slave/` mount and `.json` name reach the same sandbox.
    const fromWork = relative(join(dir, 'work'), join(sandbox, 'stdout-copy'));
    expect(JSON.parse((await files('read', fromWork)).text)).toEqual({ data: 'hello\n', offset: 0 });
    const viaSlave = await fetch(
      `${cluster.url}/slave/${agentId}/slave(1)/files/read.json?path=${encodeURIComponent(join(sandbox, 'passwd-link'))}`,
    );
    expect(viaSlave.status).toBe(400);
    await viaSlave.body?.cancel();
  });

  it('a sandbox or agent directory entry that is itself a symlink out leads nowhere', async () => {
    const runs = dirname(sandbox);
    await symlink('/', join(runs, 'evil-run'));
    const agentDir = join(dir, 'work', 'slaves', agentId);
    await mkdir(join(agentDir, 'frameworks'), { recursive: true });
    await symlink('/etc', join(agentDir, 'frameworks', 'etc-link'));
    for (const path of [
      join(runs, 'evil-run', 'etc', 'passwd'),
      join(runs, 'evil-run'),
      join(agentDir, 'frameworks', 'etc-link', 'passwd'),
    ]) {
      const action = path.endsWith('passwd') ? 'read' : 'browse';
      expect(await files(action, path), path).toEqual(inaccessible(path));
    }
    // The agent's own directories can still be browsed.
    expect((await files('browse', agentDir)).status).toBe(200);
  });
});
