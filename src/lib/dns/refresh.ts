/**
 * Keeping the served records fresh: poll Mesos like Mesos-DNS (masters in order, first success wins, one
 * hop to the reported leader), rebuild the records, swap them in whole. A failed refresh keeps the last good
 * records. Fetch, clock and sleep are injectable so tests need no real timers.
 */
import { DcosError } from '../errors.js';
import type { RecordsSnapshot } from './server.js';
import type { RecordSet } from './types.js';

export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export interface PollOptions {
  https?: boolean;
  timeoutMs: number;
  headers?: Record<string, string>;
  fetch?: FetchLike;
  signal?: AbortSignal;
}

/** `host:port`, `[v6]:port` or a URL (`http://host:port/...`) as `host:port`. */
export function masterAddress(master: string): string {
  const url = /^[a-z]+:\/\//i.test(master) ? new URL(master) : undefined;
  return url ? url.host : master;
}

function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(address);
  if (bracketed) return bracketed[1]!;
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}

function portOf(address: string): string | undefined {
  const match = /:(\d+)$/.exec(address);
  return match ? match[1] : undefined;
}

function join(host: string, port: string | undefined): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  return port ? `${shown}:${port}` : shown;
}

async function fetchState(address: string, options: PollOptions): Promise<unknown> {
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const url = `${options.https ? 'https' : 'http'}://${address}/master/state`;
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  const response = await doFetch(url, {
    signal: AbortSignal.any(signals),
    headers: { 'content-type': 'application/json', 'user-agent': 'Mesos-DNS', ...options.headers },
  });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.json();
}

/** The leader's host from `master@host:port`, or undefined. */
export function leaderHost(state: unknown): string | undefined {
  const leader = (state as { leader?: unknown } | null)?.leader;
  if (typeof leader !== 'string') return undefined;
  const at = leader.indexOf('@');
  if (at < 0) return undefined;
  return hostOf(leader.slice(at + 1));
}

/**
 * Mesos-DNS's poll: each master in order until one answers; when the answer names another leader, the state
 * is fetched once more from the leader's host with the polled master's port, and that answer is used.
 */
export async function pollMasters(masters: readonly string[], options: PollOptions): Promise<unknown> {
  if (masters.length === 0) throw new DcosError('no Mesos masters to poll', { code: 'no_masters' });
  let lastError: Error | undefined;
  for (const master of masters) {
    const address = masterAddress(master);
    let state: unknown;
    try {
      state = await fetchState(address, options);
    } catch (error) {
      lastError = error as Error;
      continue;
    }
    const leader = leaderHost(state);
    if (leader && leader !== hostOf(address)) return fetchState(join(leader, portOf(address)), options);
    return state;
  }
  throw new DcosError(`no Mesos master answered: ${lastError?.message ?? 'unknown error'}`, {
    code: 'masters_unreachable',
  });
}

export interface RefreshStatus {
  successes: number;
  failures: number;
  /** Unix ms of the last good load. */
  lastSuccessAt: number | undefined;
  lastError: string | undefined;
}

export interface RecordStoreOptions {
  /** Fetch (or read) the state. */
  load: (signal: AbortSignal) => Promise<unknown>;
  /** Turn a state into records (throws when the state is unusable). */
  build: (state: unknown) => Promise<RecordSet> | RecordSet;
  intervalMs: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  log?: (line: string) => void;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The current records plus the loop that refreshes them. */
export class RecordStore {
  current: RecordsSnapshot | undefined;
  readonly status: RefreshStatus = {
    successes: 0,
    failures: 0,
    lastSuccessAt: undefined,
    lastError: undefined,
  };

  constructor(private readonly options: RecordStoreOptions) {}

  /** One refresh; true when new records are in place. */
  async refresh(signal: AbortSignal): Promise<boolean> {
    const now = this.options.now ?? Date.now;
    try {
      const records = await this.options.build(await this.options.load(signal));
      const at = now();
      // A fresh object per load: the server's answer cache is keyed on it.
      this.current = { records, serial: Math.floor(at / 1000) };
      this.status.successes++;
      this.status.lastSuccessAt = at;
      this.status.lastError = undefined;
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      this.status.failures++;
      this.status.lastError = (error as Error).message;
      const kept = this.current ? 'keeping the previous records' : 'no records yet';
      this.options.log?.(`DNS refresh failed (${kept}): ${(error as Error).message}`);
      return false;
    }
  }

  /** Refreshes every interval until the signal aborts (the first refresh is the caller's). */
  async run(signal: AbortSignal): Promise<void> {
    const sleep = this.options.sleep ?? defaultSleep;
    while (!signal.aborted) {
      await sleep(this.options.intervalMs, signal);
      if (signal.aborted) return;
      await this.refresh(signal);
    }
  }
}
