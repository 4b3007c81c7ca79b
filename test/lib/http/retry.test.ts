import { describe, expect, it } from 'vitest';

import {
  backoffDelay,
  Deadline,
  DEFAULT_BACKOFF,
  IDEMPOTENT_METHODS,
  RETRYABLE_STATUS,
  retryAfterMs,
  retryDelay,
} from '../../../src/lib/http/retry.js';

/** A deterministic stand-in for Math.random (Park-Miller; exact in doubles). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48_271) % 2_147_483_647;
    return (state - 1) / 2_147_483_646;
  };
}

describe('backoffDelay', () => {
  it('doubles the window per attempt with equal jitter: half fixed, half random', () => {
    expect(backoffDelay(1, () => 0)).toBe(125);
    expect(backoffDelay(1, () => 0.999_999)).toBe(250);
    expect(backoffDelay(2, () => 0)).toBe(250);
    expect(backoffDelay(2, () => 0.5)).toBe(375);
    expect(backoffDelay(3, () => 0)).toBe(500);
    expect(backoffDelay(4, () => 0.999_999)).toBe(2_000);
  });

  it('never exceeds maxMs and never drops below half of it once capped', () => {
    for (const attempt of [5, 6, 10, 60, 1_000]) {
      expect(backoffDelay(attempt, () => 0)).toBe(DEFAULT_BACKOFF.maxMs / 2);
      expect(backoffDelay(attempt, () => 0.999_999)).toBe(DEFAULT_BACKOFF.maxMs);
    }
  });

  it('stays within [window/2, window] for any random value', () => {
    const random = seeded(42);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const window = Math.min(4_000, 250 * 2 ** (attempt - 1));
      for (let sample = 0; sample < 50; sample++) {
        const delay = backoffDelay(attempt, random);
        expect(delay).toBeGreaterThanOrEqual(window / 2);
        expect(delay).toBeLessThanOrEqual(window);
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it('treats attempt 0 or below like attempt 1, and honours a custom policy', () => {
    expect(backoffDelay(0, () => 0)).toBe(125);
    expect(backoffDelay(-3, () => 0)).toBe(125);
    const policy = { baseMs: 1_000, maxMs: 30_000 };
    expect(backoffDelay(1, () => 0, policy)).toBe(500);
    expect(backoffDelay(3, () => 0, policy)).toBe(2_000);
    expect(backoffDelay(20, () => 0.999_999, policy)).toBe(30_000);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('1.5', now)).toBe(1_500);
  });

  it('reads an HTTP date relative to now', () => {
    expect(retryAfterMs('Wed, 01 May 2024 12:00:07 GMT', now)).toBe(7_000);
  });

  it('caps long waits so a server cannot stall the CLI', () => {
    expect(retryAfterMs('3600', now)).toBe(10_000);
    expect(retryAfterMs('Thu, 02 May 2024 12:00:00 GMT', now)).toBe(10_000);
    expect(retryAfterMs('30', now, 20_000)).toBe(20_000);
    expect(retryAfterMs('15', now, 20_000)).toBe(15_000);
  });

  it('ignores missing, negative, past or unparsable values', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
    expect(retryAfterMs('Wed, 01 May 2024 11:59:00 GMT', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});

describe('retry policy constants', () => {
  it('retries only gateway/unavailable statuses and only idempotent methods', () => {
    expect([...RETRYABLE_STATUS].sort()).toEqual([502, 503, 504]);
    expect([...IDEMPOTENT_METHODS].sort()).toEqual(['GET', 'HEAD']);
  });
});

describe('Deadline', () => {
  it('counts down from the moment it is set, and never below zero', () => {
    const deadline = Deadline.after(5_000, 1_000);
    expect(deadline.remainingMs(1_000)).toBe(5_000);
    expect(deadline.remainingMs(4_500)).toBe(1_500);
    expect(deadline.remainingMs(6_000)).toBe(0);
    expect(deadline.remainingMs(60_000)).toBe(0);
  });

  it('0 means no deadline', () => {
    expect(Deadline.after(0, 1_000).remainingMs(1e15)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('retryDelay: the tries share one budget', () => {
  const base = { tries: 3, random: () => 0, remainingMs: 60_000 };

  it('waits the backoff, or the Retry-After the server asked for', () => {
    expect(retryDelay({ ...base, attempt: 1 })).toBe(125);
    expect(retryDelay({ ...base, attempt: 2 })).toBe(250);
    expect(retryDelay({ ...base, attempt: 1, retryAfterMs: 2_000 })).toBe(2_000);
  });

  it('stops when the tries are used up, whatever is left of the budget', () => {
    expect(retryDelay({ ...base, attempt: 3 })).toBeUndefined();
    expect(retryDelay({ ...base, tries: 1, attempt: 1 })).toBeUndefined();
  });

  it('stops when the wait would use the rest of the budget (no try that cannot be answered)', () => {
    expect(retryDelay({ ...base, attempt: 1, remainingMs: 126 })).toBe(125);
    expect(retryDelay({ ...base, attempt: 1, remainingMs: 125 })).toBeUndefined();
    expect(retryDelay({ ...base, attempt: 1, remainingMs: 0 })).toBeUndefined();
    expect(retryDelay({ ...base, attempt: 1, retryAfterMs: 10_000, remainingMs: 9_000 })).toBeUndefined();
  });

  it('walked with a fake clock: a 5 s budget and Retry-After 2 s allow three tries, not ten', () => {
    let now = 0;
    const deadline = Deadline.after(5_000, now);
    const delays: number[] = [];
    // Each try takes 100 ms to fail; bounded by the tries in any case.
    for (let attempt = 1; attempt <= 10; attempt++) {
      now += 100;
      const delay = retryDelay({
        attempt,
        tries: 10,
        random: () => 0,
        retryAfterMs: 2_000,
        remainingMs: deadline.remainingMs(now),
      });
      if (delay === undefined) break;
      delays.push(delay);
      now += delay;
    }
    expect(delays).toEqual([2_000, 2_000]);
    expect(now).toBeLessThanOrEqual(5_000);
  });
});
