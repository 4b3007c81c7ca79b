/**
 * `dcos haproxy run` as a loop with its I/O passed in: Marathon's event stream says *when* to look, a full
 * `GET /v2/apps?embed=apps.tasks` says *what* is there (events are never applied incrementally, so a missed
 * one costs nothing but latency). Bursts are debounced; an unchanged config is skipped; a changed one is
 * validated, written atomically and reloaded. A config HAProxy rejects is never written: the last good one
 * keeps serving, and the apps that broke it are named.
 */
import { DcosError, UsageError } from '../errors.js';
import { backoffDelay, type BackoffPolicy } from '../http/retry.js';
import type { StreamItem } from '../http/sse.js';
import { isRecord } from '../json.js';
import { Debouncer, systemClock, type Burst, type Clock, type TimerHandle } from './debounce.js';
import type { ApplyResult } from './reload.js';
import type { HaproxyConfig, HaproxyOptions, ValidationProblem, ValidationResult } from './types.js';

/** Marathon events that can change which servers a config has (also the server-side `event_type` filter). */
export const RELEVANT_EVENTS: readonly string[] = [
  'api_post_event',
  'app_terminated_event',
  'status_update_event',
  'health_status_changed_event',
  'instance_changed_event',
  'instance_health_changed_event',
  'unhealthy_instance_kill_event',
  'failed_health_check_event',
  'deployment_info',
  'deployment_success',
  'deployment_failed',
  'deployment_step_success',
  'deployment_step_failure',
  'group_change_success',
];
const RELEVANT = new Set(RELEVANT_EVENTS);

export function relevantEvent(type: string): boolean {
  return RELEVANT.has(type);
}

/** Why a sync ran: `startup`, `connected`, `reconnect`, `resync`, `retry`, or the events it collapsed. */
export type Trigger = string;

export type RunnerAction =
  | { action: 'connected'; reconnect: boolean }
  | { action: 'stream-error'; message: string; retryMs: number }
  | { action: 'fetch-failed'; trigger: Trigger; message: string; retryMs: number }
  | { action: 'unchanged'; trigger: Trigger; apps: number }
  | {
      action: 'invalid';
      trigger: Trigger;
      /** Apps haproxy's errors point at. */
      apps: string[];
      problems: ValidationProblem[];
      /** `excluded`: the config without those apps was valid and applied; `kept`: the last good one serves. */
      outcome: 'excluded' | 'kept';
    }
  | { action: 'dropped'; appId: string; reason: string }
  | { action: 'warning'; message: string }
  | {
      action: 'started' | 'reloaded';
      trigger: Trigger;
      apps: number;
      masterPid: number;
      workerPid: number;
      previousWorkerPid?: number;
      oldWorkers: number;
      ms: number;
    }
  | {
      action: 'failed';
      trigger: Trigger;
      stage: 'generate' | 'validate' | 'write' | 'reload';
      message: string;
      retryMs: number;
    };

export type TimedAction = RunnerAction & { at: string };

export interface RunnerOptions {
  configFile: string;
  generateOptions: HaproxyOptions;
  /** Debounce: quiet period and maximum wait (defaults 1 s and 5 s). */
  quietMs?: number;
  maxWaitMs?: number;
  /** Full resync even without events (default 5 min). */
  resyncMs?: number;
  /** Retry after a failed fetch, write or reload (default 1 s doubling up to 30 s). */
  retry?: BackoffPolicy;
}

export interface RunnerDeps {
  fetchApps: (signal: AbortSignal) => Promise<unknown>;
  /** Marathon's events; reconnecting is the source's business (it reports through `onError`). */
  events: (
    signal: AbortSignal,
    onError: (error: unknown, retryMs: number) => void,
  ) => AsyncIterable<StreamItem>;
  generate: (apps: unknown, options: HaproxyOptions) => HaproxyConfig;
  validate: (text: string, lineOwners: Map<number, string>) => Promise<ValidationResult>;
  write: (path: string, text: string) => Promise<void>;
  /** Makes the written file live: starts HAProxy, or reloads the running one. */
  apply: () => Promise<ApplyResult>;
  report: (action: TimedAction) => void;
  clock?: Clock;
  random?: () => number;
}

export interface RunnerSummary {
  syncs: number;
  reloads: number;
  /** The config HAProxy is serving (undefined when none was ever applied). */
  applied: string | undefined;
}

/** `status_update_event x3, health_status_changed_event` for a debounced burst. */
export function describeBurst(burst: Burst): Trigger {
  return [...burst]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([reason, count]) => (count > 1 ? `${reason} x${count}` : reason))
    .join(', ');
}

/** The apps input minus some ids (same shape back: `{apps:[...]}` or an array). */
function withoutApps(apps: unknown, ids: ReadonlySet<string>): unknown {
  const keep = (list: unknown[]) => list.filter((app) => !(isRecord(app) && ids.has(String(app.id))));
  if (Array.isArray(apps)) return keep(apps);
  if (isRecord(apps) && Array.isArray(apps.apps)) return { ...apps, apps: keep(apps.apps) };
  return apps;
}

function appCount(apps: unknown): number {
  if (Array.isArray(apps)) return apps.length;
  if (isRecord(apps) && Array.isArray(apps.apps)) return apps.apps.length;
  return 0;
}

/** Errors that retrying cannot fix: bad flags or templates, no haproxy binary. */
function fatal(error: unknown): boolean {
  return error instanceof UsageError || (error instanceof DcosError && error.code === 'haproxy_not_found');
}

/**
 * Runs until `signal` aborts (resolves) or something retrying cannot fix happens (rejects): the event
 * stream's permanent errors (401, 404), a template error, a missing haproxy.
 */
export async function runHaproxy(
  options: RunnerOptions,
  deps: RunnerDeps,
  signal: AbortSignal,
): Promise<RunnerSummary> {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const retryPolicy = options.retry ?? { baseMs: 1_000, maxMs: 30_000 };
  const summary: RunnerSummary = { syncs: 0, reloads: 0, applied: undefined };
  const report = (action: RunnerAction) =>
    deps.report({ ...action, at: new Date(clock.now()).toISOString() } as TimedAction);

  let pending: Trigger[] = [];
  let wake: (() => void) | undefined;
  let failure: unknown;
  const request = (trigger: Trigger) => {
    if (!pending.includes(trigger)) pending.push(trigger);
    wake?.();
  };
  const debouncer = new Debouncer((burst) => request(describeBurst(burst)), {
    quietMs: options.quietMs ?? 1_000,
    maxWaitMs: options.maxWaitMs ?? 5_000,
    clock,
  });

  // One timer for "look again later": the periodic resync, or a retry after a failure (sooner).
  let laterTimer: TimerHandle | undefined;
  const later = (ms: number, trigger: Trigger) => {
    if (laterTimer !== undefined) clock.clearTimeout(laterTimer);
    laterTimer = clock.setTimeout(() => {
      laterTimer = undefined;
      request(trigger);
    }, ms);
  };
  let failures = 0;
  const failed = (stage: 'generate' | 'validate' | 'write' | 'reload', trigger: Trigger, error: unknown) => {
    if (fatal(error)) throw error;
    failures++;
    const retryMs = backoffDelay(failures, random, retryPolicy);
    report({ action: 'failed', trigger, stage, message: (error as Error).message, retryMs });
    later(retryMs, 'retry');
  };

  let lastRejected: string | undefined;
  let lastWarnings = '';

  async function sync(trigger: Trigger): Promise<void> {
    summary.syncs++;
    let apps: unknown;
    try {
      apps = await deps.fetchApps(signal);
    } catch (error) {
      if (signal.aborted) return;
      failures++;
      const retryMs = backoffDelay(failures, random, retryPolicy);
      report({ action: 'fetch-failed', trigger, message: (error as Error).message, retryMs });
      later(retryMs, 'retry');
      return;
    }
    let config: HaproxyConfig;
    try {
      config = deps.generate(apps, options.generateOptions);
    } catch (error) {
      failed('generate', trigger, error);
      return;
    }
    if (config.text === summary.applied || config.text === lastRejected) {
      failures = 0;
      report({ action: 'unchanged', trigger, apps: appCount(apps) });
      later(options.resyncMs ?? 300_000, 'resync');
      return;
    }
    let validation: ValidationResult;
    let excluded: string[] | undefined;
    let rejectedText: string | undefined;
    try {
      validation = await deps.validate(config.text, config.lineOwners);
      if (!validation.ok) {
        const blamed = [...new Set(validation.problems.flatMap((problem) => problem.appId ?? []))].sort();
        rejectedText = config.text;
        // One more try without the apps HAProxy blamed, so one bad app cannot freeze everyone's updates.
        if (blamed.length > 0) {
          const retried = deps.generate(withoutApps(apps, new Set(blamed)), options.generateOptions);
          const second = await deps.validate(retried.text, retried.lineOwners);
          if (second.ok) {
            report({
              action: 'invalid',
              trigger,
              apps: blamed,
              problems: validation.problems,
              outcome: 'excluded',
            });
            config = retried;
            excluded = blamed;
          }
        }
        if (!excluded) {
          lastRejected = rejectedText;
          report({
            action: 'invalid',
            trigger,
            apps: blamed,
            problems: validation.problems,
            outcome: 'kept',
          });
          later(options.resyncMs ?? 300_000, 'resync');
          return;
        }
      }
    } catch (error) {
      failed('validate', trigger, error);
      return;
    }
    if (config.text === summary.applied) {
      report({ action: 'unchanged', trigger, apps: appCount(apps) });
      later(options.resyncMs ?? 300_000, 'resync');
      return;
    }
    // Warnings belong to a config that is about to serve; repeat them only when they change.
    const warnings = JSON.stringify([config.report.dropped, config.report.conflicts, config.report.warnings]);
    if (warnings !== lastWarnings) {
      lastWarnings = warnings;
      for (const dropped of config.report.dropped) report({ action: 'dropped', ...dropped });
      for (const conflict of config.report.conflicts) {
        report({
          action: 'warning',
          message: `service port ${conflict.port} is claimed more than once: ${conflict.winner} keeps it (${conflict.losers.join(', ')} do not get it)`,
        });
      }
      for (const message of config.report.warnings) report({ action: 'warning', message });
    }
    try {
      await deps.write(options.configFile, config.text);
    } catch (error) {
      failed('write', trigger, error);
      return;
    }
    let result: ApplyResult;
    try {
      result = await deps.apply();
    } catch (error) {
      // The file now holds a config HAProxy has not taken; `applied` still names the one it serves, so the
      // retry (or the next change) writes and reloads again.
      failed('reload', trigger, error);
      return;
    }
    failures = 0;
    // With apps excluded, the full text is still the rejected one: the same apps next time need no new check.
    lastRejected = rejectedText;
    summary.applied = config.text;
    summary.reloads++;
    report({
      action: result.kind,
      trigger,
      apps: config.report.included.length,
      masterPid: result.masterPid,
      workerPid: result.workerPid,
      ...(result.previousWorkerPid !== undefined ? { previousWorkerPid: result.previousWorkerPid } : {}),
      oldWorkers: result.oldWorkers,
      ms: result.ms,
    });
    later(options.resyncMs ?? 300_000, 'resync');
  }

  const stopAll = new AbortController();
  const inner = AbortSignal.any([signal, stopAll.signal]);
  const onAbort = () => wake?.();
  inner.addEventListener('abort', onAbort);

  const events = (async () => {
    const stream = deps.events(inner, (error, retryMs) =>
      report({ action: 'stream-error', message: (error as Error).message, retryMs }),
    );
    for await (const item of stream) {
      if (inner.aborted) break;
      if (item.kind === 'connected') {
        report({ action: 'connected', reconnect: item.reconnect });
        // Whatever happened while disconnected is in the full fetch; no point waiting out a burst.
        debouncer.cancel();
        request(item.reconnect ? 'reconnect' : 'connected');
      } else if (relevantEvent(item.event.event)) {
        debouncer.trigger(item.event.event);
      }
    }
  })().catch((error: unknown) => {
    if (inner.aborted) return;
    failure = error;
    stopAll.abort();
  });

  const worker = (async () => {
    request('startup');
    while (!inner.aborted) {
      if (pending.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const trigger = pending.join(', ');
      pending = [];
      await sync(trigger);
    }
  })().catch((error: unknown) => {
    failure ??= error;
    stopAll.abort();
  });

  try {
    await Promise.all([events, worker]);
  } finally {
    inner.removeEventListener('abort', onAbort);
    debouncer.cancel();
    if (laterTimer !== undefined) clock.clearTimeout(laterTimer);
  }
  if (failure !== undefined && !signal.aborted) throw failure;
  return summary;
}

/** One line for people: what happened, why, and what it means for the running HAProxy. */
export function describeAction(action: RunnerAction): string {
  switch (action.action) {
    case 'connected':
      return action.reconnect ? 'reconnected to Marathon events; full resync' : 'following Marathon events';
    case 'stream-error':
      return `event stream: ${action.message}; reconnecting in ${seconds(action.retryMs)}`;
    case 'fetch-failed':
      return `fetching apps failed (${action.trigger}): ${action.message}; retry in ${seconds(action.retryMs)}`;
    case 'unchanged':
      return `unchanged (${action.trigger}): ${action.apps} apps, nothing to reload`;
    case 'invalid': {
      const apps = action.apps.length > 0 ? action.apps.join(', ') : 'no app identified';
      const first = action.problems[0];
      const detail = first
        ? `: ${first.line !== undefined ? `line ${first.line}: ` : ''}${first.message}`
        : '';
      return action.outcome === 'excluded'
        ? `config rejected by haproxy -c because of ${apps}${detail}; applying without ${action.apps.length === 1 ? 'it' : 'them'}`
        : `config rejected by haproxy -c (${apps})${detail}; keeping the last good config`;
    }
    case 'dropped':
      return `dropped ${action.appId}: ${action.reason}`;
    case 'warning':
      return `warning: ${action.message}`;
    case 'started':
      return `started haproxy (${action.trigger}): ${action.apps} apps, worker ${action.workerPid}, ${action.ms} ms`;
    case 'reloaded': {
      const old = action.oldWorkers > 0 ? `, ${action.oldWorkers} old worker(s) draining` : '';
      const from = action.previousWorkerPid !== undefined ? `${action.previousWorkerPid} -> ` : '';
      return `reloaded haproxy (${action.trigger}): ${action.apps} apps, worker ${from}${action.workerPid}, ${action.ms} ms${old}`;
    }
    case 'failed':
      return `${action.stage} failed (${action.trigger}): ${action.message}; retry in ${seconds(action.retryMs)}`;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
