export const RETRYABLE_STATUS = new Set([502, 503, 504]);
export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD']);

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 4_000 };

/**
 * Exponential backoff with "equal jitter": half the window is fixed so retries never fire back-to-back,
 * half is random so many clients hitting one recovering server spread out.
 */
export function backoffDelay(attempt: number, random: () => number, policy = DEFAULT_BACKOFF): number {
  const window = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(window / 2 + random() * (window / 2));
}

/** `Retry-After` in seconds or as an HTTP date; capped so a server cannot stall the CLI. */
export function retryAfterMs(header: string | undefined, now: number, capMs = 10_000): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, capMs);
}

/** Waits `ms`, or less when the signal fires (Ctrl-C must not sit out a retry or reconnect delay). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** setTimeout fires at once beyond this (about 24.8 days), so longer deadlines are held at it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The end of one exchange's time budget (core.timeout): every try of a request and every wait between tries
 * must fit before it. Pure: the caller passes the time, so tests can drive it with a fake clock.
 */
export class Deadline {
  private constructor(private readonly at: number) {}

  /** `ms` 0 (or less) means no deadline at all. */
  static after(ms: number, now: number): Deadline {
    return new Deadline(ms > 0 ? now + ms : Number.POSITIVE_INFINITY);
  }

  remainingMs(now: number): number {
    return Math.max(0, this.at - now);
  }
}

export interface RetryInput {
  /** Tries made so far (1 after the first failed). */
  attempt: number;
  tries: number;
  /** The server's Retry-After, already capped; backoff when it sent none. */
  retryAfterMs?: number | undefined;
  /** What is left of the exchange's deadline. */
  remainingMs: number;
  random: () => number;
  backoff?: BackoffPolicy;
}

/**
 * How long to wait before the next try, or undefined when there is no next try: the tries are used up, or the
 * wait would eat the rest of the budget and leave the next try no time to be answered (failing now with the
 * server's own error beats failing later with a timeout).
 */
export function retryDelay(input: RetryInput): number | undefined {
  if (input.attempt >= input.tries) return undefined;
  const delay = input.retryAfterMs ?? backoffDelay(input.attempt, input.random, input.backoff);
  return delay < input.remainingMs ? delay : undefined;
}
