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
