import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, realpath, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { clusterName, type ClusterStore } from '../config/clusters.js';
import type { Settings } from '../config/keys.js';
import { DcosError } from '../errors.js';
import { ensurePrivateDir } from '../fs-atomic.js';
import { killOrphans } from './executor/process.js';
import { processAlive } from '../proc.js';
import { loadState, recordedTaskGroups } from './state-store.js';
import { readToken } from './token.js';

export const DAEMON_FILE = 'daemon.json';
export const LOG_FILE = 'daemon.log';
export const LOCAL_CLUSTER_NAME = 'local';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 20_000;
export const NO_AUTH_WARNING =
  'dcos local runs without authentication (--no-auth): any local user, and any web page that finds its port, can run commands as you';

export interface DaemonInfo {
  pid: number;
  url: string;
  port: number;
  clusterId: string;
  agents: number;
  startedAt: string;
  /** false: started with --no-auth (absent in files written before the token existed: those had none). */
  auth?: boolean;
}

export interface StartOptions {
  dir: string;
  port: number;
  agents: number;
  maxTasks: number;
  /** false: `--no-auth`. */
  auth: boolean;
}

export interface StartResult {
  url: string;
  pid: number;
  clusterId: string;
  agents: number;
  alreadyRunning: boolean;
  auth: boolean;
}

export interface LocalStatus {
  running: boolean;
  dir: string;
  pid?: number;
  url?: string;
  agents?: number;
  startedAt?: string;
  auth?: boolean;
  apps?: number;
  tasks?: number;
  deployments?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The daemon's pid/port file, if a daemon is running for this directory. */
export async function runningDaemon(dir: string): Promise<DaemonInfo | undefined> {
  let info: DaemonInfo;
  try {
    info = JSON.parse(await readFile(join(dir, DAEMON_FILE), 'utf8')) as DaemonInfo;
  } catch {
    return undefined;
  }
  return typeof info.pid === 'number' && processAlive(info.pid) ? info : undefined;
}

/** The build puts shared code in dist/chunks, so the daemon's entry is found from the package root. */
function daemonScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!['dist', 'src'].includes(basename(dir)) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dirname(dir), 'dist', 'lib', 'local', 'daemon-main.js');
}

async function tail(path: string, lines = 5): Promise<string> {
  try {
    return (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .slice(-lines)
      .map((line) => line.replace(/^\S+Z (failed to start: )?/, ''))
      .join(' | ');
  } catch {
    return '';
  }
}

/** Starts the daemon in the background and waits until it answers. */
export async function startDaemon(options: StartOptions, signal?: AbortSignal): Promise<StartResult> {
  const existing = await runningDaemon(options.dir);
  if (existing) {
    return {
      url: existing.url,
      pid: existing.pid,
      clusterId: existing.clusterId,
      agents: existing.agents,
      alreadyRunning: true,
      auth: existing.auth !== false,
    };
  }
  await ensurePrivateDir(options.dir);
  await rm(join(options.dir, DAEMON_FILE), { force: true });
  const logPath = join(options.dir, LOG_FILE);
  const log = openSync(logPath, 'a', 0o600);
  const child = spawn(
    process.execPath,
    [
      daemonScript(),
      '--dir',
      options.dir,
      '--port',
      String(options.port),
      '--agents',
      String(options.agents),
      '--max-tasks',
      String(options.maxTasks),
      ...(options.auth ? [] : ['--no-auth']),
    ],
    { detached: true, stdio: ['ignore', log, log], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  closeSync(log);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (signal?.aborted) {
      process.kill(child.pid as number, 'SIGTERM');
      throw new DcosError('interrupted while starting dcos local', { code: 'interrupted', exitCode: 130 });
    }
    if (exited !== undefined) {
      throw new DcosError(
        `dcos local failed to start: ${(await tail(logPath, 1)) || `exit code ${exited}`}`,
        {
          code: 'local_start_failed',
        },
      );
    }
    const info = await runningDaemon(options.dir);
    if (info)
      return {
        url: info.url,
        pid: info.pid,
        clusterId: info.clusterId,
        agents: info.agents,
        alreadyRunning: false,
        auth: info.auth !== false,
      };
    await sleep(25);
  }
  throw new DcosError(`dcos local did not answer within ${START_TIMEOUT_MS / 1000}s; see ${logPath}`, {
    code: 'local_start_timeout',
  });
}

/**
 * Makes `local` the attached cluster, pointing at the daemon's current URL with its token as
 * `core.dcos_acs_token`, so this CLI and the DC/OS CLI reading the same config both send it.
 */
export async function attachLocalCluster(
  store: ClusterStore,
  dir: string,
  url: string,
  clusterId: string,
): Promise<void> {
  const clusters = await store.list();
  const existing = clusters.find(
    (cluster) =>
      cluster.id === clusterId ||
      (clusterName(cluster) === LOCAL_CLUSTER_NAME && cluster.settings['cluster.type'] === 'local'),
  );
  const token = await readToken(dir);
  const id = existing?.id ?? clusterId;
  await store.update(id, (current) => {
    const settings: Settings = {
      ...current,
      'core.dcos_url': url,
      'core.ssl_verify': 'true',
      'cluster.name': LOCAL_CLUSTER_NAME,
      'cluster.type': 'local',
    };
    if (token) settings['core.dcos_acs_token'] = token;
    else delete settings['core.dcos_acs_token'];
    return settings;
  });
  await store.attach(id);
}

/** Stops the daemon (which stops every task); a daemon that does not stop in time is killed and its tasks cleaned up. */
export async function stopDaemon(dir: string): Promise<{ stopped: boolean; pid?: number }> {
  const info = await runningDaemon(dir);
  if (!info) {
    // A daemon killed with SIGKILL leaves its tasks behind: clean them up anyway.
    await cleanupOrphans(dir);
    return { stopped: false };
  }
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (processAlive(info.pid) && Date.now() < deadline) await sleep(25);
  if (processAlive(info.pid)) {
    process.kill(info.pid, 'SIGKILL');
    await sleep(50);
  }
  await cleanupOrphans(dir);
  await rm(join(dir, DAEMON_FILE), { force: true });
  return { stopped: true, pid: info.pid };
}

/** What a dead daemon left running: every process carrying this directory's DCOS_LOCAL_DIR, and the recorded groups. */
async function cleanupOrphans(dir: string): Promise<number> {
  const stateDir = await realpath(dir).catch(() => undefined);
  if (stateDir === undefined) return 0;
  const state = await loadState(dir).catch(() => undefined);
  return killOrphans({ stateDir, records: recordedTaskGroups(state) });
}

export async function localStatus(dir: string): Promise<LocalStatus> {
  const info = await runningDaemon(dir);
  if (!info) return { running: false, dir };
  const status: LocalStatus = {
    running: true,
    dir,
    pid: info.pid,
    url: info.url,
    agents: info.agents,
    startedAt: info.startedAt,
    auth: info.auth !== false,
  };
  const { HttpClient } = await import('../http/client.js');
  const token = await readToken(dir).catch(() => undefined);
  const client = new HttpClient({
    baseUrl: `${info.url}/service/marathon`,
    timeoutMs: 3_000,
    tries: 1,
    ...(token ? { token } : {}),
  });
  try {
    const [apps, tasks, deployments] = await Promise.all([
      client.get<{ apps: unknown[] }>('/v2/apps'),
      client.get<{ tasks: unknown[] }>('/v2/tasks'),
      client.get<unknown[]>('/v2/deployments'),
    ]);
    status.apps = apps.apps.length;
    status.tasks = tasks.tasks.length;
    status.deployments = deployments.length;
  } catch {
    // Counts are a courtesy; the daemon answering at all is what status reports.
  } finally {
    await client.close();
  }
  return status;
}

/** Stops the daemon, deletes its state and forgets the `local` cluster. */
export async function resetLocal(dir: string, store: ClusterStore): Promise<{ removedCluster: boolean }> {
  await stopDaemon(dir);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const local = (await store.list()).filter(
    (cluster) => clusterName(cluster) === LOCAL_CLUSTER_NAME && cluster.settings['cluster.type'] === 'local',
  );
  for (const cluster of local) await store.remove(cluster.id);
  return { removedCluster: local.length > 0 };
}

/** `$DCOS_DIR/local` unless `--dir` says otherwise. */
export function localDir(flag: string | undefined, dcosRoot: string): string {
  return flag ? resolve(flag) : join(dcosRoot, 'local');
}

/** `dcos local start --foreground`: the cluster runs in this process until the signal aborts. */
export async function runForeground(
  options: StartOptions,
  store: ClusterStore,
  signal: AbortSignal,
  onReady: (result: StartResult) => void,
): Promise<void> {
  const existing = await runningDaemon(options.dir);
  if (existing) {
    throw new DcosError(
      `dcos local already runs in the background (pid ${existing.pid}); run \`dcos local stop\` first`,
      {
        code: 'local_running',
      },
    );
  }
  await ensurePrivateDir(options.dir);
  const { startLocalCluster } = await import('./server.js');
  const cluster = await startLocalCluster(options);
  await attachLocalCluster(store, options.dir, cluster.url, cluster.engine.clusterId);
  onReady({
    url: cluster.url,
    pid: process.pid,
    clusterId: cluster.engine.clusterId,
    agents: cluster.engine.agents.length,
    alreadyRunning: false,
    auth: cluster.token !== undefined,
  });
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    process.once('SIGTERM', () => resolve());
  });
  await cluster.close();
}
