/**
 * Marathon health checks, for `dcos local`: runs an app's `healthChecks` against one task and keeps Marathon's
 * per-check `Health` record (`HealthResult`).
 *
 * Semantics (Marathon 1.10 `HealthCheckActor` / `HealthCheckWorker`, `Health.update`):
 * - Every check runs on its own timer, one attempt at a time, every `intervalSeconds` (measured from the
 *   start of the previous attempt; a slow attempt delays the next, never overlaps it), each attempt bounded
 *   by `timeoutSeconds`. Fractional seconds are allowed everywhere (tests use 0.1 s).
 * - First attempt: for checks Marathon runs itself (HTTP, HTTPS, TCP) after min(intervalSeconds, 5 s)
 *   (Marathon's DefaultFirstHealthCheckAfter; `delaySeconds` does not apply to them); for checks the Mesos
 *   agent runs (COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP) after `delaySeconds`, default 15 (Mesos'
 *   delay_seconds). Otherwise the MESOS_* protocols behave exactly like HTTP/HTTPS/TCP.
 * - HTTP(S): GET <scheme>://host:port/path, a fresh connection each time, port = `port` or
 *   `ports[portIndex ?? 0]`; 200–399 is healthy; 100–199 with `ignoreHttp1xx` is *ignored* (no change, as in
 *   Marathon), other statuses fail with cause e.g. "503 Service Unavailable". HTTPS does not verify the
 *   certificate. TCP: healthy when a connection opens. COMMAND: `/bin/sh -c <command.value>` in the sandbox
 *   with the daemon's inherited environment plus `task.env`, healthy on exit status 0; its process group is
 *   SIGKILLed on timeout and after it exits.
 * - Only loopback addresses are ever connected to (names must resolve to loopback only), as everywhere in
 *   `dcos local`; anything else is a failed check.
 * - Healthy: firstSuccess (once), lastSuccess, consecutiveFailures = 0. Failure: lastFailure,
 *   lastFailureCause, consecutiveFailures + 1 — except that failures are ignored (no change at all) while
 *   there has been no success yet and `startedAt + gracePeriodSeconds` is still in the future.
 *   alive = the last counted attempt succeeded.
 * - Kill rule: Marathon checks the consecutive failures from *before* the failing attempt
 *   (`checkConsecutiveFailures(instance, health)` with the old Health) against `>= maxConsecutiveFailures`,
 *   i.e. the task is unhealthy when consecutiveFailures exceeds maxConsecutiveFailures (with 3: on the 4th
 *   failure in a row). 0 never kills. Then `onUnhealthy(taskId, lastFailureCause)` is called once and the
 *   task's checks stop (the owner kills it and calls `unwatch`).
 * - `onResult(taskId, results, alive)` follows every counted attempt (not ignored ones): `results` has one
 *   HealthResult per check, in order; `alive` is false when any check that has a result is failing, true when
 *   every check has a result and all are alive, otherwise undefined (not known yet).
 * - Timers are unref'd; `unwatch`/`stopAll` clear them and abort attempts in flight (no callback after that).
 */
import { spawn } from 'node:child_process';
import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import { connect, isIP } from 'node:net';

import type { HealthCheck, HealthResult } from '../types.js';
import { isLoopbackAddress, loopbackLookup } from './fetch.js';
import { inheritedEnv } from './process.js';

export interface HealthMonitorOptions {
  onResult(taskId: string, result: HealthResult[], alive: boolean | undefined): void;
  onUnhealthy(taskId: string, cause: string): void;
  now?: () => Date;
}

export interface WatchedTask {
  taskId: string;
  instanceId: string;
  host: string;
  ports: number[];
  startedAt: Date;
  sandbox: string;
  env: Record<string, string>;
}

/** Marathon's HealthCheck.DefaultFirstHealthCheckAfter. */
const FIRST_CHECK_AFTER_MS = 5_000;
/** Mesos' default delay_seconds. */
const DEFAULT_DELAY_SECONDS = 15;
/** Floor for intervals and timeouts, so a zero or negative value cannot spin. */
const MIN_MS = 10;

type Outcome = { kind: 'healthy' } | { kind: 'unhealthy'; cause: string } | { kind: 'ignored' };

interface CheckState {
  check: HealthCheck;
  health: HealthResult;
  counted: boolean;
  timer?: NodeJS.Timeout;
  abort?: () => void;
}

interface Watch {
  task: WatchedTask;
  checks: CheckState[];
  stopped: boolean;
}

export class HealthMonitor {
  private readonly watches = new Map<string, Watch>();
  private readonly now: () => Date;

  constructor(private readonly options: HealthMonitorOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Starts checking `task` (replacing an earlier watch of the same task id). No checks: nothing happens. */
  watch(task: WatchedTask, checks: HealthCheck[]): void {
    this.unwatch(task.taskId);
    if (checks.length === 0) return;
    const watch: Watch = {
      task,
      stopped: false,
      checks: checks.map((check) => ({
        check,
        counted: false,
        health: {
          alive: false,
          consecutiveFailures: 0,
          firstSuccess: null,
          lastSuccess: null,
          lastFailure: null,
          lastFailureCause: null,
          instanceId: task.instanceId,
        },
      })),
    };
    this.watches.set(task.taskId, watch);
    for (const state of watch.checks) this.schedule(watch, state, firstDelayMs(state.check));
  }

  unwatch(taskId: string): void {
    const watch = this.watches.get(taskId);
    if (watch === undefined) return;
    this.watches.delete(taskId);
    this.stop(watch);
  }

  stopAll(): void {
    for (const taskId of [...this.watches.keys()]) this.unwatch(taskId);
  }

  private stop(watch: Watch): void {
    watch.stopped = true;
    for (const state of watch.checks) {
      if (state.timer !== undefined) clearTimeout(state.timer);
      state.timer = undefined;
      state.abort?.();
      state.abort = undefined;
    }
  }

  private schedule(watch: Watch, state: CheckState, delayMs: number): void {
    if (watch.stopped) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.attempt(watch, state);
    }, delayMs);
    state.timer.unref();
  }

  private async attempt(watch: Watch, state: CheckState): Promise<void> {
    if (watch.stopped) return;
    const started = Date.now();
    let running: Running;
    try {
      running = runCheck(watch.task, state.check);
    } catch (error) {
      // e.g. a port out of range, which net/http reject synchronously
      running = settled({ kind: 'unhealthy', cause: error instanceof Error ? error.message : String(error) });
    }
    const { promise, abort } = running;
    state.abort = abort;
    const outcome = await promise;
    state.abort = undefined;
    if (watch.stopped) return;
    this.record(watch, state, outcome);
    if (watch.stopped) return;
    const interval = secondsToMs(state.check.intervalSeconds);
    this.schedule(watch, state, Math.max(0, interval - (Date.now() - started)));
  }

  private record(watch: Watch, state: CheckState, outcome: Outcome): void {
    if (outcome.kind === 'ignored') return;
    const now = this.now();
    const at = now.toISOString();
    const health = state.health;
    if (outcome.kind === 'healthy') {
      health.firstSuccess ??= at;
      health.lastSuccess = at;
      health.consecutiveFailures = 0;
      health.alive = true;
    } else {
      const graceEnds = watch.task.startedAt.getTime() + secondsToMs(state.check.gracePeriodSeconds, 0);
      if (health.firstSuccess === null && graceEnds > now.getTime()) return;
      health.lastFailure = at;
      health.lastFailureCause = outcome.cause;
      health.consecutiveFailures += 1;
      health.alive = false;
    }
    state.counted = true;

    const results = watch.checks.map((each) => ({ ...each.health }));
    try {
      this.options.onResult(watch.task.taskId, results, aggregateAlive(watch.checks));
    } catch {
      // a listener's problem must not stop the checks
    }
    const max = state.check.maxConsecutiveFailures;
    if (outcome.kind === 'unhealthy' && max > 0 && health.consecutiveFailures > max && !watch.stopped) {
      this.stop(watch);
      try {
        this.options.onUnhealthy(watch.task.taskId, outcome.cause);
      } catch {
        // as above
      }
    }
  }
}

function aggregateAlive(checks: CheckState[]): boolean | undefined {
  if (checks.some((state) => state.counted && !state.health.alive)) return false;
  if (checks.every((state) => state.counted)) return true;
  return undefined;
}

function secondsToMs(seconds: number | undefined, floor = MIN_MS): number {
  const ms = typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : 0;
  return Math.max(floor, Math.round(ms));
}

function isMesosSide(check: HealthCheck): boolean {
  return check.protocol === 'COMMAND' || check.protocol.startsWith('MESOS_');
}

function firstDelayMs(check: HealthCheck): number {
  if (isMesosSide(check)) return secondsToMs(check.delaySeconds ?? DEFAULT_DELAY_SECONDS, 0);
  return Math.min(secondsToMs(check.intervalSeconds), FIRST_CHECK_AFTER_MS);
}

interface Running {
  promise: Promise<Outcome>;
  abort: () => void;
}

function runCheck(task: WatchedTask, check: HealthCheck): Running {
  const timeoutMs = secondsToMs(check.timeoutSeconds);
  switch (check.protocol) {
    case 'COMMAND':
      return commandCheck(task, check, timeoutMs);
    case 'HTTP':
    case 'MESOS_HTTP':
    case 'HTTPS':
    case 'MESOS_HTTPS':
    case 'TCP':
    case 'MESOS_TCP': {
      const port = check.port ?? task.ports[check.portIndex ?? 0];
      if (port === undefined) {
        return settled({
          kind: 'unhealthy',
          cause: "Health check failed: unable to get the task's effectivePort",
        });
      }
      if (isIP(task.host) !== 0 && !isLoopbackAddress(task.host)) {
        return settled({
          kind: 'unhealthy',
          cause: `refusing to connect to ${task.host}: dcos local only talks to loopback addresses`,
        });
      }
      if (check.protocol === 'TCP' || check.protocol === 'MESOS_TCP')
        return tcpCheck(task.host, port, timeoutMs);
      const secure = check.protocol === 'HTTPS' || check.protocol === 'MESOS_HTTPS';
      return httpCheck(task.host, port, check, secure, timeoutMs);
    }
    default:
      return settled({
        kind: 'unhealthy',
        cause: `unsupported health check protocol ${String(check.protocol)}`,
      });
  }
}

function settled(outcome: Outcome): Running {
  return { promise: Promise.resolve(outcome), abort: () => undefined };
}

/** A promise settled once by whichever of result, timeout or abort comes first. */
function outcomeRace(timeoutMs: number, onEnd: () => void) {
  let resolveOutcome!: (outcome: Outcome) => void;
  let done = false;
  const promise = new Promise<Outcome>((resolve) => (resolveOutcome = resolve));
  const settle = (outcome: Outcome) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    onEnd();
    resolveOutcome(outcome);
  };
  const timer = setTimeout(
    () => settle({ kind: 'unhealthy', cause: `Timed out after ${timeoutMs / 1000} seconds` }),
    timeoutMs,
  );
  timer.unref();
  return { promise, settle };
}

function httpCheck(
  host: string,
  port: number,
  check: HealthCheck,
  secure: boolean,
  timeoutMs: number,
): Running {
  const rawPath = check.path ?? '';
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  const client = secure ? https : http;
  const request = client.request({
    method: 'GET',
    host,
    port,
    path,
    agent: false,
    lookup: loopbackLookup,
    rejectUnauthorized: false,
    headers: { 'user-agent': 'dcos-local-health-check' },
  });
  const { promise, settle } = outcomeRace(timeoutMs, () => request.destroy());
  request.on('error', (error) => settle({ kind: 'unhealthy', cause: error.message }));
  request.on('response', (response) => {
    response.resume();
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 400) settle({ kind: 'healthy' });
    else if (check.ignoreHttp1xx === true && status >= 100 && status < 200) settle({ kind: 'ignored' });
    else settle({ kind: 'unhealthy', cause: `${status} ${STATUS_CODES[status] ?? ''}`.trim() });
  });
  request.end();
  return { promise, abort: () => settle({ kind: 'ignored' }) };
}

function tcpCheck(host: string, port: number, timeoutMs: number): Running {
  const socket = connect({ host, port, lookup: loopbackLookup });
  const { promise, settle } = outcomeRace(timeoutMs, () => socket.destroy());
  socket.on('connect', () => settle({ kind: 'healthy' }));
  socket.on('error', (error) => settle({ kind: 'unhealthy', cause: error.message }));
  return { promise, abort: () => settle({ kind: 'ignored' }) };
}

function commandCheck(task: WatchedTask, check: HealthCheck, timeoutMs: number): Running {
  const value = check.command?.value;
  if (value === undefined || value === '') {
    return settled({ kind: 'unhealthy', cause: 'COMMAND health check without command.value' });
  }
  let pgid: number | undefined;
  const killGroup = () => {
    if (pgid === undefined) return;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const { promise, settle } = outcomeRace(timeoutMs, killGroup);
  try {
    const child = spawn('/bin/sh', ['-c', value], {
      cwd: task.sandbox,
      env: { ...inheritedEnv(), ...task.env },
      stdio: 'ignore',
      detached: true,
    });
    pgid = child.pid;
    child.on('error', (error) =>
      settle({ kind: 'unhealthy', cause: `Failed to run the command: ${error.message}` }),
    );
    child.on('exit', (code, signal) => {
      if (code === 0) settle({ kind: 'healthy' });
      else if (code !== null) settle({ kind: 'unhealthy', cause: `Command exited with status ${code}` });
      else settle({ kind: 'unhealthy', cause: `Command terminated with signal ${signal ?? 'unknown'}` });
    });
  } catch (error) {
    settle({ kind: 'unhealthy', cause: `Failed to run the command: ${(error as Error).message}` });
  }
  return { promise, abort: () => settle({ kind: 'ignored' }) };
}
