/**
 * The Mesos command executor, for `dcos local`: runs one Marathon task as a local process tree.
 *
 * Lifecycle of a launch (statuses go to `TaskEvents.onStatus`):
 * 1. the sandbox directory is created (`mkdir -p`);
 * 2. an app with a Docker container, or a MESOS container with an image, reports TASK_FAILED at once (there is
 *    no container runtime here; see `unsupportedContainer`);
 * 3. TASK_STARTING; the `fetch` URIs are put into the sandbox (fetch.ts); a fetch error is TASK_FAILED;
 * 4. the command is spawned: `cmd` through `/bin/sh -c`, `args` exec'd directly (no shell), cwd = sandbox,
 *    stdin /dev/null, stdout/stderr appended to `<sandbox>/stdout` and `<sandbox>/stderr` through file
 *    descriptors the task owns (so output keeps landing if the daemon dies), in a process group of its own
 *    (pgid = pid, reported through `onPid`); TASK_RUNNING once the process exists; a failed exec
 *    (missing or non-executable `args[0]`) is TASK_FAILED;
 * 5. when the process exits: status 0 → TASK_FINISHED, other → TASK_FAILED "Command exited with status N",
 *    killed by a signal nobody asked for → TASK_FAILED "Command terminated with signal X", after `kill()` →
 *    TASK_KILLED. Whatever is left of the process group is then SIGKILLed, as Mesos destroys the container.
 *
 * Failure reasons are also appended to `<sandbox>/stderr`, where `dcos task log` finds them.
 *
 * Environment (see `buildTaskEnv`), lowest precedence first:
 * 1. the daemon's own environment minus what belongs to it or would mislead the task (`inheritedEnv`):
 *    DCOS_*, NODE_OPTIONS and Node's IPC/cluster variables, and any MESOS_*, MARATHON_*, PORT, PORTn,
 *    PORTS, PORT_* it may itself have inherited;
 * 2. what the Mesos agent gives every executor: MESOS_SANDBOX and MESOS_DIRECTORY (= the sandbox);
 * 3. Marathon's task context (`TaskBuilder.taskContextEnv`): MESOS_TASK_ID, MARATHON_APP_ID,
 *    MARATHON_APP_VERSION, MARATHON_APP_RESOURCE_{CPUS,MEM,DISK,GPUS} (when `resources` is given),
 *    MARATHON_APP_LABELS and MARATHON_APP_LABEL_<NAME>;
 * 4. Marathon's ports (`EnvironmentHelper.portsEnv`) and HOST: PORT0..n, PORT_<requested port>, PORT_<NAME>,
 *    PORT (the first) and PORTS (comma list);
 * 5. what only dcos local gives, so a task can drive this CLI against this cluster whatever is on PATH or in
 *    ~/.dcos (the bundled packages run `dcos dns serve` and `dcos haproxy run` this way): DCOS_LOCAL_NODE (this
 *    node binary), DCOS_LOCAL_CLI (this installation's bin/run.js) and DCOS_LOCAL_URL (the cluster's URL, when
 *    the spec has `clusterUrl`) and DCOS_LOCAL_TOKEN (the token its API wants, when the spec has `clusterToken`:
 *    a task runs as the user, who can read the token file anyway, so this gives it nothing new);
 * 6. the app's `env` (spec.env) — it wins over all of the above, as in Marathon, whose command builder is
 *    `taskContextEnv ++ portsEnv ++ HOST ++ app.env` (later keys win);
 * 7. DCOS_LOCAL_TASK_ID = taskId and DCOS_LOCAL_DIR = the daemon's state directory (`stateDir`, when given),
 *    which the app cannot override: `killOrphans` finds what a dead daemon left running by them (every process
 *    a task starts inherits them), and tells one `dcos local` from another by the directory.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { cliScript } from '../install-paths.js';
import type { AppDefinition, FetchUri, MesosTaskState } from '../types.js';
import { fetchUris } from './fetch.js';
import type { FetchOptions } from './fetch.js';

export interface LaunchSpec {
  taskId: string;
  appId: string;
  version: string;
  cmd?: string;
  args?: string[];
  env: Record<string, string>;
  sandbox: string;
  fetch?: FetchUri[];
  container?: AppDefinition['container'];
  host: string;
  ports: number[];
  portNames?: (string | undefined)[];
  /**
   * Optional: the ports the app asked for, index for index with `ports` (portDefinitions[].port, i.e. the
   * service ports after normalisation, or container ports). Each non-zero one adds PORT_<requested>=<host port>;
   * a zero (or a missing list) adds PORT_<host port>=<host port>, as Marathon does for random ports.
   */
  requestedPorts?: number[];
  /** Optional: adds MARATHON_APP_RESOURCE_CPUS/MEM/DISK/GPUS. */
  resources?: { cpus: number; mem: number; disk: number; gpus: number };
  /** Optional: the app's labels, for MARATHON_APP_LABELS and MARATHON_APP_LABEL_<NAME>. */
  labels?: Record<string, string>;
  /** Optional: the local cluster's URL, for DCOS_LOCAL_URL. */
  clusterUrl?: string;
  /** Optional: the local cluster's token, for DCOS_LOCAL_TOKEN. */
  clusterToken?: string;
  /** Optional: the daemon's state directory (canonical), for DCOS_LOCAL_DIR. */
  stateDir?: string;
}

export interface TaskEvents {
  onStatus(taskId: string, state: MesosTaskState, message?: string): void;
  onPid?(taskId: string, pgid: number): void;
}

export interface TaskRunnerOptions {
  /** Time between SIGTERM and SIGKILL in `kill()` (default 3000 ms, Marathon's taskKillGracePeriodSeconds: 3). */
  killGraceMs?: number;
  /** Passed to fetchUris (e.g. a narrower `allowHost`). */
  fetch?: Omit<FetchOptions, 'signal'>;
}

/** Stops polling for a process group to disappear after SIGKILL: a process stuck in the kernel may never go. */
const AFTER_SIGKILL_WAIT_MS = 5_000;
const POLL_MS = 25;

export const DOCKER_UNSUPPORTED =
  'Docker containers are not supported by dcos local (there is no Docker engine here); ' +
  'drop "container" or use a MESOS container without an image, and run the app with cmd or args';
export const IMAGE_UNSUPPORTED =
  'Container images are not supported by dcos local (there is no image provisioner here); ' +
  'remove the image from the MESOS container, or drop "container", and run the app with cmd or args';

/** Why this container cannot run here, or undefined when the command can run directly on the host. */
export function unsupportedContainer(container: AppDefinition['container']): string | undefined {
  if (container === undefined || container === null) return undefined;
  const type = typeof container.type === 'string' ? container.type.toUpperCase() : undefined;
  if (type === 'DOCKER') return DOCKER_UNSUPPORTED;
  const image = (field: unknown): string | undefined => {
    if (typeof field !== 'object' || field === null) return undefined;
    const value = (field as Record<string, unknown>).image;
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  if (type === undefined && container.docker !== undefined && container.docker !== null)
    return DOCKER_UNSUPPORTED;
  const name = image(container.docker) ?? image(container.appc);
  if (name !== undefined) return `${IMAGE_UNSUPPORTED} (image '${name}')`;
  return undefined;
}

/** Marks every process of a daemon's tasks with the daemon's state directory. */
export const STATE_DIR_VARIABLE = 'DCOS_LOCAL_DIR';

const DROPPED_ENV = [
  /^DCOS_/,
  /^NODE_OPTIONS$/,
  /^NODE_CHANNEL_FD$/,
  /^NODE_CHANNEL_SERIALIZATION_MODE$/,
  /^NODE_UNIQUE_ID$/,
  /^MESOS_/,
  /^MARATHON_/,
  /^PORT\d*$/,
  /^PORTS$/,
  /^PORT_/,
];

/** The daemon's environment as a task inherits it (see the module comment). */
export function inheritedEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || DROPPED_ENV.some((pattern) => pattern.test(key))) continue;
    env[key] = value;
  }
  return env;
}

/** Scala's Double.toString for the numbers Marathon prints here: 1 → "1.0", 0.5 → "0.5". */
function scalaDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** Marathon's `EnvironmentHelper.labelsToEnvVars`. */
function labelsEnv(labels: Record<string, string>): Record<string, string> {
  const maxLength = 512;
  const prefix = 'MARATHON_APP_LABEL_';
  const env: Record<string, string> = {};
  const names: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (key.length >= maxLength - prefix.length || value.length >= maxLength) continue;
    const name = key.replace(/[^a-zA-Z0-9_]+/g, '_').toUpperCase();
    names.push(name);
    env[prefix + name] = value;
  }
  env.MARATHON_APP_LABELS = names.join(' ');
  return env;
}

/** Marathon's and Mesos' variables for a task, plus the app's env; without the inherited environment. */
export function marathonTaskEnv(spec: LaunchSpec): Record<string, string> {
  const env: Record<string, string> = {
    MESOS_SANDBOX: spec.sandbox,
    MESOS_DIRECTORY: spec.sandbox,
    MESOS_TASK_ID: spec.taskId,
    MARATHON_APP_ID: spec.appId,
    MARATHON_APP_VERSION: spec.version,
  };
  const image = spec.container?.docker?.image;
  if (typeof image === 'string') env.MARATHON_APP_DOCKER_IMAGE = image;
  if (spec.resources) {
    env.MARATHON_APP_RESOURCE_CPUS = scalaDouble(spec.resources.cpus);
    env.MARATHON_APP_RESOURCE_MEM = scalaDouble(spec.resources.mem);
    env.MARATHON_APP_RESOURCE_DISK = scalaDouble(spec.resources.disk);
    env.MARATHON_APP_RESOURCE_GPUS = String(spec.resources.gpus);
  }
  Object.assign(env, labelsEnv(spec.labels ?? {}));
  if (spec.ports.length > 0) {
    spec.ports.forEach((port, index) => {
      env[`PORT${index}`] = String(port);
      const requested = spec.requestedPorts?.[index] ?? 0;
      env[`PORT_${requested === 0 ? port : requested}`] = String(port);
      const name = spec.portNames?.[index];
      if (name) env[`PORT_${name.toUpperCase()}`] = String(port);
    });
    env.PORT = String(spec.ports[0]);
    env.PORTS = spec.ports.join(',');
  }
  env.HOST = spec.host;
  env.DCOS_LOCAL_NODE = process.execPath;
  env.DCOS_LOCAL_CLI = cliScript();
  if (spec.clusterUrl !== undefined) env.DCOS_LOCAL_URL = spec.clusterUrl;
  if (spec.clusterToken !== undefined) env.DCOS_LOCAL_TOKEN = spec.clusterToken;
  Object.assign(env, spec.env);
  env.DCOS_LOCAL_TASK_ID = spec.taskId;
  if (spec.stateDir !== undefined) env[STATE_DIR_VARIABLE] = spec.stateDir;
  return env;
}

/** The whole environment the task's process gets. */
export function buildTaskEnv(
  spec: LaunchSpec,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  return { ...inheritedEnv(base), ...marathonTaskEnv(spec) };
}

interface Entry {
  spec: LaunchSpec;
  child?: ChildProcess;
  pgid?: number;
  killRequested: boolean;
  killingReported: boolean;
  leaderExited: boolean;
  terminal: boolean;
  done: Promise<void>;
  resolveDone: () => void;
  /** The SIGTERM → SIGKILL sequence of `kill()`, once started. */
  terminating?: Promise<void>;
  /** Aborts the fetch when the task is killed before it starts. */
  fetchAbort: AbortController;
}

export class TaskRunner {
  private readonly tasks = new Map<string, Entry>();
  private readonly killGraceMs: number;
  private readonly fetchOptions: Omit<FetchOptions, 'signal'>;

  constructor(
    private readonly events: TaskEvents,
    options: TaskRunnerOptions = {},
  ) {
    this.killGraceMs = options.killGraceMs ?? 3000;
    this.fetchOptions = options.fetch ?? {};
  }

  /** Starts the launch sequence; statuses arrive through the events. Throws if the task id is already active. */
  launch(spec: LaunchSpec): void {
    if (this.tasks.has(spec.taskId)) throw new Error(`task ${spec.taskId} is already running`);
    let resolveDone!: () => void;
    const entry: Entry = {
      spec,
      killRequested: false,
      killingReported: false,
      leaderExited: false,
      terminal: false,
      done: new Promise<void>((resolve) => (resolveDone = resolve)),
      resolveDone: () => resolveDone(),
      fetchAbort: new AbortController(),
    };
    this.tasks.set(spec.taskId, entry);
    this.run(entry).catch((error: unknown) => {
      this.finish(
        entry,
        'TASK_FAILED',
        `Executor error: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  isRunning(taskId: string): boolean {
    const entry = this.tasks.get(taskId);
    return entry !== undefined && !entry.terminal;
  }

  /** Ids of the tasks launched and not yet terminal (including those still fetching). */
  running(): string[] {
    return [...this.tasks.values()].filter((entry) => !entry.terminal).map((entry) => entry.spec.taskId);
  }

  /**
   * TASK_KILLING, SIGTERM to the task's process group, SIGKILL to it after `graceMs` if anything in it is still
   * alive; resolves once the task is terminal (TASK_KILLED reported). A task still fetching is stopped before
   * it starts. Unknown or finished tasks resolve at once.
   */
  async kill(taskId: string, graceMs: number = this.killGraceMs): Promise<void> {
    const entry = this.tasks.get(taskId);
    if (entry === undefined || entry.terminal) return;
    if (entry.leaderExited) {
      // Already on its way out by itself; let the exit path report it.
      await entry.done;
      return;
    }
    entry.killRequested = true;
    entry.fetchAbort.abort();
    if (!entry.killingReported) {
      entry.killingReported = true;
      this.emitStatus(entry.spec.taskId, 'TASK_KILLING');
    }
    if (entry.child !== undefined && entry.pgid !== undefined) {
      entry.terminating ??= this.terminate(entry, graceMs);
      await entry.terminating;
      // The main process should be gone by now; if the kernel still holds it (uninterruptible sleep), wait a
      // little more, then call the task killed anyway so that kill() always returns.
      await Promise.race([entry.done, sleep(AFTER_SIGKILL_WAIT_MS, undefined, { ref: false })]);
      this.finish(entry, 'TASK_KILLED', 'Command did not exit after SIGKILL');
    }
    await entry.done;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.running().map((taskId) => this.kill(taskId)));
  }

  private async run(entry: Entry): Promise<void> {
    const { spec } = entry;
    const stderrPath = join(spec.sandbox, 'stderr');
    const fail = async (message: string) => {
      await appendFile(stderrPath, `${message}\n`).catch(() => undefined);
      this.finish(entry, 'TASK_FAILED', message);
    };

    try {
      await mkdir(spec.sandbox, { recursive: true });
    } catch (error) {
      this.finish(entry, 'TASK_FAILED', `Failed to create the sandbox ${spec.sandbox}: ${messageOf(error)}`);
      return;
    }
    const unsupported = unsupportedContainer(spec.container);
    if (unsupported !== undefined) {
      await fail(unsupported);
      return;
    }
    if (entry.killRequested) {
      this.finish(entry, 'TASK_KILLED', 'Task killed before it was started');
      return;
    }
    this.emitStatus(spec.taskId, 'TASK_STARTING');

    if (spec.fetch !== undefined && spec.fetch.length > 0) {
      try {
        await fetchUris(spec.fetch, spec.sandbox, { ...this.fetchOptions, signal: entry.fetchAbort.signal });
      } catch (error) {
        if (entry.killRequested) this.finish(entry, 'TASK_KILLED', 'Task killed before it was started');
        else await fail(messageOf(error));
        return;
      }
    }
    if (entry.killRequested) {
      this.finish(entry, 'TASK_KILLED', 'Task killed before it was started');
      return;
    }

    let command: string;
    let argv: string[];
    if (spec.args !== undefined && spec.args.length > 0) {
      command = spec.args[0]!;
      argv = spec.args.slice(1);
    } else if (spec.cmd !== undefined && spec.cmd !== '') {
      command = '/bin/sh';
      argv = ['-c', spec.cmd];
    } else {
      await fail('The app has neither cmd nor args: nothing to run');
      return;
    }

    let stdoutFd: number | undefined;
    let stderrFd: number | undefined;
    let child: ChildProcess;
    try {
      stdoutFd = openSync(join(spec.sandbox, 'stdout'), 'a');
      stderrFd = openSync(stderrPath, 'a');
      child = spawn(command, argv, {
        cwd: spec.sandbox,
        env: buildTaskEnv(spec),
        stdio: ['ignore', stdoutFd, stderrFd],
        detached: true,
      });
    } catch (error) {
      await fail(`Failed to execute '${command}': ${messageOf(error)}`);
      return;
    } finally {
      // The child has its own copies now (spawn is synchronous up to the exec).
      if (stdoutFd !== undefined) closeSync(stdoutFd);
      if (stderrFd !== undefined) closeSync(stderrFd);
    }

    entry.child = child;
    entry.pgid = child.pid;
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined && entry.pgid !== undefined) return; // a later error (e.g. kill failing): ignore
      void fail(`Failed to execute '${command}': ${describeErrno(error)}`);
    });
    child.once('spawn', () => {
      if (entry.pgid === undefined || entry.terminal) return;
      try {
        this.events.onPid?.(spec.taskId, entry.pgid);
      } catch {
        // a listener's problem must not break the task's state machine
      }
      if (!entry.leaderExited) this.emitStatus(spec.taskId, 'TASK_RUNNING');
    });
    child.once('exit', (code, signal) => {
      void this.onExit(entry, code, signal);
    });
    // From the killRequested check above to here nothing awaits, so kill() cannot have slipped in between.
  }

  private async onExit(entry: Entry, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const killed = entry.killRequested;
    entry.leaderExited = true;
    const pgid = entry.pgid!;
    if (killed) {
      await entry.terminating;
    } else {
      // Like Mesos destroying the container: nothing of the task outlives its main process.
      signalGroup(pgid, 'SIGKILL');
      await waitUntil(async () => !(await groupAlive(pgid)), AFTER_SIGKILL_WAIT_MS);
    }
    const how =
      code !== null
        ? `Command exited with status ${code}`
        : `Command terminated with signal ${signalText(signal)}`;
    if (killed) this.finish(entry, 'TASK_KILLED', how);
    else if (code === 0) this.finish(entry, 'TASK_FINISHED', how);
    else this.finish(entry, 'TASK_FAILED', how);
  }

  /** SIGTERM the group, wait up to graceMs for all of it to go, then SIGKILL what is left. */
  private async terminate(entry: Entry, graceMs: number): Promise<void> {
    const pgid = entry.pgid!;
    const gone = async () => entry.leaderExited && !(await groupAlive(pgid));
    signalGroup(pgid, 'SIGTERM');
    if (await waitUntil(gone, graceMs)) return;
    signalGroup(pgid, 'SIGKILL');
    await waitUntil(gone, AFTER_SIGKILL_WAIT_MS);
  }

  private finish(entry: Entry, state: MesosTaskState, message: string): void {
    if (entry.terminal) return;
    entry.terminal = true;
    if (this.tasks.get(entry.spec.taskId) === entry) this.tasks.delete(entry.spec.taskId);
    this.emitStatus(entry.spec.taskId, state, message);
    entry.resolveDone();
  }

  private emitStatus(taskId: string, state: MesosTaskState, message?: string): void {
    try {
      this.events.onStatus(taskId, state, message);
    } catch {
      // a listener's problem must not break the task's state machine
    }
  }
}

export interface OrphanSearch {
  /** The daemon's state directory, as its tasks carry it in DCOS_LOCAL_DIR. */
  stateDir: string;
  /** Process groups recorded in the state file, for tasks started before tasks carried DCOS_LOCAL_DIR. */
  records?: Array<{ pgid: number; taskId: string }>;
}

/** One line of the process table, with the environment the process started with. */
export interface ProcessEntry {
  pid: number;
  pgrp: number;
  /** `/proc/<pid>/stat`'s state letter (`Z` = zombie). */
  state: string;
  /** `KEY=value` entries; empty when they cannot be read (another user's process). */
  environ: string[];
}

/**
 * The process groups a dead (or stopping) daemon left behind: every group with a live process carrying
 * `DCOS_LOCAL_DIR=<stateDir>`, and every recorded group one of whose live members carries its task id
 * (DCOS_LOCAL_TASK_ID or MESOS_TASK_ID, so a reused pid is never mistaken for a task). Never the caller's own
 * process or process group, nor groups 0 and 1. Pure: the process table comes in.
 */
export function orphanGroups(
  table: readonly ProcessEntry[],
  search: OrphanSearch,
  self: { pid: number; pgid: number | undefined },
): number[] {
  const eligible = (pgrp: number) =>
    Number.isInteger(pgrp) && pgrp > 1 && pgrp !== self.pid && pgrp !== self.pgid;
  const live = table.filter((entry) => entry.state !== 'Z' && entry.pid !== self.pid && eligible(entry.pgrp));
  const marker = `${STATE_DIR_VARIABLE}=${search.stateDir}`;
  const groups = new Set(live.filter((entry) => entry.environ.includes(marker)).map((entry) => entry.pgrp));
  for (const { pgid, taskId } of search.records ?? []) {
    const ids = [`DCOS_LOCAL_TASK_ID=${taskId}`, `MESOS_TASK_ID=${taskId}`];
    const carries = live.some(
      (entry) => entry.pgrp === pgid && entry.environ.some((variable) => ids.includes(variable)),
    );
    if (carries) groups.add(pgid);
  }
  return [...groups].sort((a, b) => a - b);
}

/**
 * Kills what a daemon SIGKILLed (or lost track of) left running: the {@link orphanGroups} of the live process
 * table, TERM first, KILL after `graceMs` (default 3000). Without a readable /proc nothing is killed. Returns how
 * many groups were killed.
 */
export async function killOrphans(search: OrphanSearch, options: { graceMs?: number } = {}): Promise<number> {
  const graceMs = options.graceMs ?? 3000;
  const table = await processTable();
  if (table === undefined) return 0;
  const own = table.find((entry) => entry.pid === process.pid)?.pgrp;
  const groups = orphanGroups(table, search, { pid: process.pid, pgid: own });
  await Promise.all(
    groups.map(async (pgid) => {
      signalGroup(pgid, 'SIGTERM');
      if (await waitUntil(async () => !(await groupAlive(pgid)), graceMs)) return;
      signalGroup(pgid, 'SIGKILL');
      await waitUntil(async () => !(await groupAlive(pgid)), AFTER_SIGKILL_WAIT_MS);
    }),
  );
  return groups.length;
}

/** The pids in /proc, or undefined when /proc cannot be listed. */
async function procPids(): Promise<number[] | undefined> {
  const names = await readdir('/proc').catch(() => undefined);
  return names?.filter((name) => /^\d+$/.test(name)).map(Number);
}

/** Every process in /proc with its environment, or undefined when /proc cannot be listed. */
async function processTable(): Promise<ProcessEntry[] | undefined> {
  const pids = await procPids();
  if (pids === undefined) return undefined;
  const entries = await Promise.all(
    pids.map(async (pid): Promise<ProcessEntry | undefined> => {
      const info = await procStat(pid);
      if (info === undefined) return undefined;
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
      return { ...info, environ: environ.split('\0').filter(Boolean) };
    }),
  );
  return entries.filter((entry): entry is ProcessEntry => entry !== undefined);
}

interface ProcInfo {
  pid: number;
  pgrp: number;
  state: string;
}

/** Parses /proc/<pid>/stat ("pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses). */
async function procStat(pid: number): Promise<ProcInfo | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    const pgrp = Number(rest[2]);
    if (state === undefined || !Number.isInteger(pgrp)) return undefined;
    return { pid, pgrp, state };
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) members of a process group, or undefined when /proc cannot be listed. */
async function groupMembers(pgid: number): Promise<ProcInfo[] | undefined> {
  const pids = await procPids();
  if (pids === undefined) return undefined;
  const infos = await Promise.all(pids.map(procStat));
  return infos.filter(
    (info): info is ProcInfo => info !== undefined && info.pgrp === pgid && info.state !== 'Z',
  );
}

/** Whether anything but zombies is left in the group (zombies still answer kill(-pgid, 0)). */
export async function groupAlive(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    // EPERM: the group exists but is not ours to signal; count it as alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const members = await groupMembers(pgid);
  return members === undefined || members.length > 0;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Polls `condition` until it holds (true) or `ms` pass (false). Always bounded. */
async function waitUntil(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(POLL_MS, left));
  }
}

const SIGNAL_TEXT: Partial<Record<NodeJS.Signals, string>> = {
  SIGTERM: 'Terminated',
  SIGKILL: 'Killed',
  SIGINT: 'Interrupt',
  SIGHUP: 'Hangup',
  SIGQUIT: 'Quit',
  SIGABRT: 'Aborted',
  SIGSEGV: 'Segmentation fault',
  SIGPIPE: 'Broken pipe',
  SIGUSR1: 'User defined signal 1',
  SIGUSR2: 'User defined signal 2',
};

/** strsignal(3)-style text, as in Mesos' "Command terminated with signal Killed". */
function signalText(signal: NodeJS.Signals | null): string {
  if (signal === null) return 'Unknown';
  return SIGNAL_TEXT[signal] ?? signal;
}

function describeErrno(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EACCES':
      return 'Permission denied';
    case 'ENOEXEC':
      return 'Exec format error';
    default:
      return error.message;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
