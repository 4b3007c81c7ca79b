/**
 * HAProxy process control in master-worker mode: `haproxy -W -db -f CFG -S MASTER_SOCKET`. A reload asks the
 * master (CLI `reload`) to re-exec with the file's new contents; the master hands the listening sockets to
 * the new worker (`-x sockpair@`), so no connection is refused, and the old worker finishes its connections.
 * Success is confirmed on the master CLI (`show proc`: the master's reload counter moved, no new failure, a
 * new current worker), never by `pidof` polling, and always within a timeout.
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';

import { abortableSleep } from '../http/retry.js';
import { DcosError } from '../errors.js';

/** Unix socket paths longer than this do not fit `sockaddr_un` on Linux. */
const MAX_SOCKET_PATH = 107;
/** Keep this many of haproxy's own stderr lines, to explain a failed start or reload. */
const STDERR_LINES = 20;

export interface ProcInfo {
  pid: number;
  /** For the master: reloads so far; for a worker: reloads since it was forked (0 = the current one). */
  reloads: number;
  uptime: string;
}

export interface MasterStatus {
  master: ProcInfo & { failedReloads: number };
  /** Workers serving the current config (normally one). */
  workers: ProcInfo[];
  /** Workers of previous configs still finishing their connections. */
  oldWorkers: ProcInfo[];
}

/** Parses the master CLI's `show proc` (HAProxy 2.x). */
export function parseShowProc(text: string): MasterStatus {
  let section: 'head' | 'workers' | 'old' | 'other' = 'head';
  let master: MasterStatus['master'] | undefined;
  const workers: ProcInfo[] = [];
  const oldWorkers: ProcInfo[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (/^#\s*workers/.test(line)) section = 'workers';
      else if (/^#\s*old workers/.test(line)) section = 'old';
      else if (/^#\s*programs/.test(line)) section = 'other';
      continue;
    }
    const match = /^(\d+)\s+(\S+)\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?\s+(\S+)/.exec(line);
    if (!match) continue;
    const info: ProcInfo = { pid: Number(match[1]), reloads: Number(match[3]), uptime: match[5]! };
    if (match[2] === 'master') master = { ...info, failedReloads: Number(match[4] ?? 0) };
    else if (match[2] === 'worker' && section === 'workers') workers.push(info);
    else if (match[2] === 'worker' && section === 'old') oldWorkers.push(info);
  }
  if (!master)
    throw new DcosError('unexpected answer to `show proc` (no master line)', { code: 'haproxy_cli' });
  return { master, workers, oldWorkers };
}

/**
 * One command on the master CLI. `; quit` makes the master close the connection after answering, so the end
 * of the answer is the end of the stream.
 */
export function masterCommand(socketPath: string, command: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DcosError(`no answer from the HAProxy master CLI ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(`${command}; quit\n`));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface HaproxyProcessOptions {
  configFile: string;
  /** The master CLI socket (`-S`); also how an already running master is found again. */
  masterSocket: string;
  haproxyBin?: string;
  pidFile?: string;
  /** How long a start or a reload may take to be confirmed (default 10 s). */
  timeoutMs?: number;
  /** How long a stop may take before the process group is killed (default 5 s). */
  stopTimeoutMs?: number;
  spawn?: SpawnFn;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** HAProxy's own output lines (alerts and notices), as they come. */
  log?: (line: string) => void;
}

export interface ApplyResult {
  /** `started`: we launched it; `reloaded`: a running master took the new config. */
  kind: 'started' | 'reloaded';
  masterPid: number;
  workerPid: number;
  previousWorkerPid?: number;
  /** Workers of earlier configs still draining connections. */
  oldWorkers: number;
  ms: number;
}

/** Starts, reloads and stops one HAProxy master; finds a master already listening on the socket. */
export class HaproxyProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private readonly stderr: string[] = [];
  private readonly spawn: SpawnFn;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: HaproxyProcessOptions) {
    if (Buffer.byteLength(options.masterSocket) > MAX_SOCKET_PATH) {
      throw new DcosError(
        `master socket path is too long for a Unix socket (${Buffer.byteLength(options.masterSocket)} > ${MAX_SOCKET_PATH} bytes): ${options.masterSocket}`,
        { code: 'usage' },
      );
    }
    this.spawn = options.spawn ?? nodeSpawn;
    this.sleep = options.sleep ?? abortableSleep;
  }

  /** True when we launched the running master (and so must stop it), false for one we found running. */
  get owned(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The master's view, or undefined when nothing answers on the socket. */
  async status(): Promise<MasterStatus | undefined> {
    let answer: string;
    try {
      answer = await masterCommand(this.options.masterSocket, 'show proc');
    } catch {
      return undefined;
    }
    return parseShowProc(answer);
  }

  /** Makes the config file live: reloads a running master, else starts one. */
  async apply(): Promise<ApplyResult> {
    const status = await this.status();
    return status ? this.reload(status) : this.start();
  }

  private timeoutMs(): number {
    return this.options.timeoutMs ?? 10_000;
  }

  private recentOutput(): string {
    const alerts = this.stderr.filter((line) => /\[ALERT\]/.test(line));
    return (alerts.length > 0 ? alerts : this.stderr.slice(-3)).join('\n');
  }

  async start(): Promise<ApplyResult> {
    const started = Date.now();
    const { configFile, masterSocket, pidFile } = this.options;
    const bin = this.options.haproxyBin ?? 'haproxy';
    const args = ['-W', '-db', '-f', configFile, '-S', masterSocket, ...(pidFile ? ['-p', pidFile] : [])];
    this.stderr.length = 0;
    // Its own process group: Ctrl-C on the terminal must reach us, not haproxy; we decide when it stops.
    // cwd: relative paths in the config (certificates, sockets) mean the same as they did for `haproxy -c`.
    const child = this.spawn(bin, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dirname(configFile),
    });
    this.child = child;
    // 'exit', not 'close': workers inherit the pipes, so they close only when the last worker is gone.
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          this.stderr.push(line);
          if (this.stderr.length > STDERR_LINES) this.stderr.shift();
          this.options.log?.(line);
        }
      });
    }
    const deadline = started + this.timeoutMs();
    while (Date.now() < deadline) {
      const failure = await Promise.race([
        spawnError,
        this.exited.then(() => undefined),
        this.sleep(50).then(() => null),
      ]);
      if (failure instanceof Error) {
        const code = (failure as NodeJS.ErrnoException).code;
        throw new DcosError(`cannot run ${bin}: ${failure.message}`, {
          code: code === 'ENOENT' ? 'haproxy_not_found' : 'haproxy_start_failed',
          cause: failure,
        });
      }
      if (failure === undefined || child.exitCode !== null || child.signalCode !== null) {
        this.child = undefined;
        const why = child.signalCode ? `signal ${child.signalCode}` : `status ${child.exitCode}`;
        throw new DcosError(`haproxy exited at start (${why}): ${this.recentOutput() || 'no output'}`, {
          code: 'haproxy_start_failed',
        });
      }
      const status = await this.status();
      const worker = status?.workers[0];
      if (status && worker) {
        return {
          kind: 'started',
          masterPid: status.master.pid,
          workerPid: worker.pid,
          oldWorkers: status.oldWorkers.length,
          ms: Date.now() - started,
        };
      }
    }
    await this.kill();
    throw new DcosError(`haproxy did not come up within ${this.timeoutMs()} ms: ${this.recentOutput()}`, {
      code: 'haproxy_start_failed',
    });
  }

  /**
   * Reloads a running master and waits for the verdict. A config the master rejects leaves the old worker
   * serving (HAProxy's own behaviour); that is reported as a failure with HAProxy's alerts.
   */
  async reload(before?: MasterStatus): Promise<ApplyResult> {
    const started = Date.now();
    const previous = before ?? (await this.status());
    if (!previous) return this.start();
    const oldPids = new Set(previous.workers.map((worker) => worker.pid));
    this.stderr.length = 0;
    try {
      await masterCommand(this.options.masterSocket, 'reload');
    } catch {
      // The master may drop the connection as it re-execs; `show proc` below gives the verdict either way.
    }
    const deadline = started + this.timeoutMs();
    while (Date.now() < deadline) {
      await this.sleep(50);
      // While the master re-execs, its socket briefly answers nothing: keep polling.
      const status = await this.status();
      if (!status || status.master.reloads <= previous.master.reloads) continue;
      if (status.master.failedReloads > previous.master.failedReloads) {
        throw new DcosError(
          `haproxy refused the new config and keeps serving the previous one${this.owned ? `: ${this.recentOutput()}` : ''}`,
          { code: 'haproxy_reload_failed' },
        );
      }
      const worker = status.workers.find((candidate) => !oldPids.has(candidate.pid));
      if (worker) {
        return {
          kind: 'reloaded',
          masterPid: status.master.pid,
          workerPid: worker.pid,
          ...(previous.workers[0] ? { previousWorkerPid: previous.workers[0].pid } : {}),
          oldWorkers: status.oldWorkers.length,
          ms: Date.now() - started,
        };
      }
    }
    throw new DcosError(`haproxy did not confirm the reload within ${this.timeoutMs()} ms`, {
      code: 'haproxy_reload_timeout',
    });
  }

  /**
   * Stops the master we started: SIGUSR1 lets workers finish their connections, then SIGTERM, then SIGKILL to
   * the whole process group, each after a timeout. A master we found running is left alone.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.exited || child.pid === undefined) return;
    const pid = child.pid;
    const exited = this.exited;
    const stepMs = (this.options.stopTimeoutMs ?? 5_000) / 2;
    for (const signal of ['SIGUSR1', 'SIGTERM'] as const) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        process.kill(pid, signal);
      } catch {
        break;
      }
      const stopped = await Promise.race([exited.then(() => true), this.sleep(stepMs).then(() => false)]);
      if (stopped) break;
    }
    await this.kill();
    this.child = undefined;
    // HAProxy leaves its socket file behind; a stale one would only confuse the next `status()`.
    await rm(this.options.masterSocket, { force: true });
  }

  /** Kills whatever is left of the process group (workers included); then waits for the master's exit. */
  private async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await Promise.race([this.exited, this.sleep(2_000)]);
  }
}
