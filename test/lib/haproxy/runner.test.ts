import { afterEach, describe, expect, it } from 'vitest';

import { DcosError, UsageError } from '../../../src/lib/errors.js';
import type { StreamItem } from '../../../src/lib/http/sse.js';
import type { ApplyResult } from '../../../src/lib/haproxy/reload.js';
import {
  describeAction,
  runHaproxy,
  type RunnerDeps,
  type RunnerOptions,
  type TimedAction,
} from '../../../src/lib/haproxy/runner.js';
import type { HaproxyConfig, ValidationResult } from '../../../src/lib/haproxy/types.js';
import { FakeClock, settle } from '../../helpers/fake-clock.js';

interface App {
  id: string;
  tasks: string[];
}

/** Marathon's event stream as the test drives it; ends when the runner's signal aborts. */
class FakeEvents {
  private queue: StreamItem[] = [];
  private wake: (() => void) | undefined;
  private error: unknown;

  push(item: StreamItem): void {
    this.queue.push(item);
    this.wake?.();
  }

  event(type: string): void {
    this.push({ kind: 'event', event: { event: type, data: '{}' } });
  }

  fail(error: unknown): void {
    this.error = error;
    this.wake?.();
  }

  async *stream(signal: AbortSignal): AsyncGenerator<StreamItem> {
    const onAbort = () => this.wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        if (this.error !== undefined) throw this.error;
        const item = this.queue.shift();
        if (item) {
          yield item;
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** A stand-in generator: one line per app, in id order; an app whose task is `BAD` writes a bad line. */
function generate(input: unknown): HaproxyConfig {
  const apps = [...(input as { apps: App[] }).apps].sort((a, b) => (a.id < b.id ? -1 : 1));
  const lineOwners = new Map<number, string>();
  const lines = ['global'];
  for (const app of apps) {
    lines.push(`backend ${app.id} ${app.tasks.join(' ')}`);
    lineOwners.set(lines.length, app.id);
  }
  return {
    text: `${lines.join('\n')}\n`,
    lineOwners,
    report: { included: apps.map((app) => app.id), dropped: [], conflicts: [], warnings: [] },
  };
}

/** A stand-in `haproxy -c`: rejects lines with BAD, naming the owner when the line has one. */
async function validate(text: string, lineOwners: Map<number, string>): Promise<ValidationResult> {
  const problems = text
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.includes('BAD') || line.includes('UNOWNED'))
    .map(({ number }) => ({
      line: number,
      message: 'unknown keyword',
      ...(lineOwners.has(number) && !text.includes('UNOWNED') ? { appId: lineOwners.get(number)! } : {}),
    }));
  return { ok: problems.length === 0, problems };
}

function setup(overrides: Partial<RunnerDeps> = {}, options: Partial<RunnerOptions> = {}) {
  const clock = new FakeClock();
  const events = new FakeEvents();
  const marathon: { apps: App[] } = { apps: [{ id: '/web', tasks: ['10.0.0.1:31000'] }] };
  const actions: TimedAction[] = [];
  const writes: string[] = [];
  const validated: string[] = [];
  let fetches = 0;
  let applies = 0;
  let worker = 100;
  const controller = new AbortController();
  const deps: RunnerDeps = {
    fetchApps: async () => {
      fetches++;
      return structuredClone(marathon);
    },
    events: (signal) => events.stream(signal),
    generate,
    validate: (text, owners) => {
      validated.push(text);
      return validate(text, owners);
    },
    write: async (_path, text) => {
      writes.push(text);
    },
    apply: async (): Promise<ApplyResult> => {
      applies++;
      const previous = worker;
      worker++;
      return {
        kind: applies === 1 ? 'started' : 'reloaded',
        masterPid: 1,
        workerPid: worker,
        ...(applies > 1 ? { previousWorkerPid: previous } : {}),
        oldWorkers: 0,
        ms: 5,
      };
    },
    report: (action) => actions.push(action),
    clock,
    random: () => 0,
    ...overrides,
  };
  const run = runHaproxy(
    { configFile: '/tmp/haproxy.cfg', generateOptions: {}, ...options },
    deps,
    controller.signal,
  );
  const stop = async () => {
    controller.abort();
    return run;
  };
  stops.push(stop);
  return {
    clock,
    events,
    marathon,
    actions,
    writes,
    validated,
    run,
    stop,
    counts: () => ({ fetches, applies }),
    kinds: () => actions.map((action) => action.action),
  };
}

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.allSettled(stops.splice(0).map((stop) => stop()));
});

describe('runHaproxy', () => {
  it('writes and starts haproxy at startup, then skips the same config after connecting', async () => {
    const t = setup();
    await settle();
    expect(t.writes).toEqual(['global\nbackend /web 10.0.0.1:31000\n']);
    expect(t.actions[0]).toMatchObject({ action: 'started', trigger: 'startup', apps: 1, workerPid: 101 });
    t.events.push({ kind: 'connected', reconnect: false });
    await settle();
    expect(t.kinds()).toEqual(['started', 'connected', 'unchanged']);
    expect(t.counts()).toEqual({ fetches: 2, applies: 1 });
    expect(t.writes).toHaveLength(1);
    expect(t.validated).toHaveLength(1);
    const summary = await t.stop();
    expect(summary).toMatchObject({ reloads: 1, syncs: 2, applied: t.writes[0] });
    expect(t.clock.scheduled).toBe(0);
  });

  it('collapses a burst of events into one reload, and ignores events that cannot change the config', async () => {
    const t = setup();
    await settle();
    t.events.event('event_stream_attached');
    t.events.event('framework_message_event');
    await t.clock.advance(10_000);
    expect(t.counts().fetches).toBe(1);

    // A deployment: 40 status updates 100 ms apart (4 s) while tasks come up one by one.
    for (let i = 0; i < 40; i++) {
      t.marathon.apps[0]!.tasks.push(`10.0.0.2:${31000 + i}`);
      t.events.event(i % 10 === 9 ? 'health_status_changed_event' : 'status_update_event');
      await t.clock.advance(100);
    }
    await t.clock.advance(1_000);
    expect(t.counts()).toEqual({ fetches: 2, applies: 2 });
    expect(t.actions.at(-1)).toMatchObject({
      action: 'reloaded',
      trigger: 'health_status_changed_event x4, status_update_event x36',
      previousWorkerPid: 101,
      workerPid: 102,
    });
    expect(t.writes.at(-1)).toContain('10.0.0.2:31039');
  });

  it('reloads at the latest maxWait after the first event of an endless trickle', async () => {
    const t = setup({}, { quietMs: 1_000, maxWaitMs: 3_000 });
    await settle();
    for (let i = 0; i < 20; i++) {
      t.marathon.apps[0]!.tasks = [`10.0.0.3:${32000 + i}`];
      t.events.event('status_update_event');
      await t.clock.advance(500);
    }
    // 10 s of events every 500 ms: a reload every 3 s, not one per event and not none until it stops.
    expect(t.counts().applies).toBe(1 + 3);
  });

  it('skips a config identical to the one haproxy serves', async () => {
    const t = setup();
    await settle();
    t.events.event('status_update_event');
    await t.clock.advance(1_000);
    expect(t.kinds()).toEqual(['started', 'unchanged']);
    expect(t.actions[1]).toMatchObject({ trigger: 'status_update_event', apps: 1 });
    expect(t.counts()).toEqual({ fetches: 2, applies: 1 });
    expect(t.writes).toHaveLength(1);
  });

  it('applies the config without the app haproxy -c blames, and names it', async () => {
    const t = setup();
    await settle();
    t.marathon.apps.push({ id: '/broken', tasks: ['BAD'] }, { id: '/api', tasks: ['10.0.0.9:31000'] });
    t.events.event('api_post_event');
    await t.clock.advance(1_000);
    expect(t.actions.slice(1)).toMatchObject([
      {
        action: 'invalid',
        apps: ['/broken'],
        outcome: 'excluded',
        problems: [{ line: 3, appId: '/broken' }],
      },
      { action: 'reloaded', apps: 2 },
    ]);
    expect(t.writes.at(-1)).toBe('global\nbackend /api 10.0.0.9:31000\nbackend /web 10.0.0.1:31000\n');
    expect(describeAction(t.actions[1]!)).toBe(
      'config rejected by haproxy -c because of /broken: line 3: unknown keyword; applying without it',
    );

    // Same apps again: nothing new to check or reload.
    const checks = t.validated.length;
    t.events.event('status_update_event');
    await t.clock.advance(1_000);
    expect(t.kinds().at(-1)).toBe('unchanged');
    expect(t.validated).toHaveLength(checks);
  });

  it('keeps the last good config (no write, no reload) when the failure cannot be pinned on an app', async () => {
    const t = setup();
    await settle();
    t.marathon.apps.push({ id: '/odd', tasks: ['UNOWNED'] });
    t.events.event('api_post_event');
    await t.clock.advance(1_000);
    expect(t.actions.at(-1)).toMatchObject({ action: 'invalid', apps: [], outcome: 'kept' });
    expect(describeAction(t.actions.at(-1)!)).toMatch(/keeping the last good config$/);
    expect(t.writes).toHaveLength(1);
    expect(t.counts().applies).toBe(1);

    // The same broken config is not re-checked on every event; a fix goes through.
    t.events.event('status_update_event');
    await t.clock.advance(1_000);
    expect(t.kinds().at(-1)).toBe('unchanged');
    expect(t.validated).toHaveLength(2);
    t.marathon.apps.pop();
    t.marathon.apps[0]!.tasks = ['10.0.0.1:31001'];
    t.events.event('status_update_event');
    await t.clock.advance(1_000);
    expect(t.kinds().at(-1)).toBe('reloaded');
    expect(t.writes).toHaveLength(2);
  });

  it('resyncs fully and at once on every reconnect, catching what changed while disconnected', async () => {
    const t = setup();
    await settle();
    t.events.push({ kind: 'connected', reconnect: false });
    await settle();
    t.events.event('status_update_event'); // debounce pending when the stream drops...
    t.marathon.apps[0]!.tasks = ['10.0.0.5:31005']; // ...and this change's events are lost
    t.events.push({ kind: 'connected', reconnect: true });
    await settle();
    expect(t.kinds().slice(-2)).toEqual(['connected', 'reloaded']);
    expect(t.actions.at(-1)).toMatchObject({ trigger: 'reconnect' });
    expect(t.writes.at(-1)).toContain('10.0.0.5:31005');
    // The pending burst was absorbed by the resync: no second fetch a second later.
    const fetches = t.counts().fetches;
    await t.clock.advance(5_000);
    expect(t.counts().fetches).toBe(fetches);
  });

  it('resyncs every resyncMs without events', async () => {
    const t = setup({}, { resyncMs: 60_000 });
    await settle();
    t.marathon.apps[0]!.tasks = ['10.0.0.6:31006'];
    await t.clock.advance(59_000);
    expect(t.counts().fetches).toBe(1);
    await t.clock.advance(1_000);
    expect(t.counts().fetches).toBe(2);
    expect(t.actions.at(-1)).toMatchObject({ action: 'reloaded', trigger: 'resync' });
  });

  it('retries a failed fetch with backoff and keeps haproxy as it is meanwhile', async () => {
    let down = 2;
    const t = setup({
      fetchApps: async () => {
        if (down-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:8080');
        return { apps: [{ id: '/web', tasks: ['10.0.0.1:31000'] }] };
      },
    });
    await settle();
    expect(t.actions[0]).toMatchObject({ action: 'fetch-failed', trigger: 'startup', retryMs: 500 });
    await t.clock.advance(500);
    expect(t.actions[1]).toMatchObject({ action: 'fetch-failed', trigger: 'retry', retryMs: 1_000 });
    await t.clock.advance(999);
    expect(t.actions).toHaveLength(2);
    await t.clock.advance(1);
    expect(t.actions[2]).toMatchObject({ action: 'started', trigger: 'retry' });
  });

  it('retries a refused reload; the config counts as applied only once haproxy took it', async () => {
    let refuse = true;
    let applies = 0;
    const t = setup({
      apply: async () => {
        applies++;
        if (refuse && applies === 2) throw new DcosError('haproxy refused the new config', { code: 'x' });
        return {
          kind: applies === 1 ? 'started' : 'reloaded',
          masterPid: 1,
          workerPid: applies,
          oldWorkers: 0,
          ms: 1,
        };
      },
    });
    await settle();
    t.marathon.apps[0]!.tasks = ['10.0.0.7:31007'];
    t.events.event('status_update_event');
    await t.clock.advance(1_000);
    expect(t.actions.at(-1)).toMatchObject({ action: 'failed', stage: 'reload', retryMs: 500 });
    refuse = false;
    await t.clock.advance(500);
    expect(t.actions.at(-1)).toMatchObject({ action: 'reloaded', trigger: 'retry' });
    expect(t.writes).toHaveLength(3);
  });

  it('ends with the error when the event stream fails for good, or at once on a template error', async () => {
    const t = setup();
    await settle();
    t.events.fail(new DcosError('HTTP 401', { code: 'unauthorized' }));
    await expect(t.run).rejects.toThrow('HTTP 401');

    const u = setup({
      generate: () => {
        throw new UsageError('template HAPROXY_HEAD: unknown placeholder {nope}');
      },
    });
    await expect(u.run).rejects.toThrow(/unknown placeholder/);
    expect(u.clock.scheduled).toBe(0);
  });

  it('stops when the signal aborts, leaving no timer behind', async () => {
    const t = setup();
    await settle();
    t.events.event('status_update_event');
    const summary = await t.stop();
    expect(summary.syncs).toBe(1);
    expect(t.clock.scheduled).toBe(0);
  });
});
