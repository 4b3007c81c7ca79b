import { describe, expect, it } from 'vitest';

import { ipv6Bytes, isLoopbackAddress } from '../../../src/lib/dns/addresses.js';
import {
  ResponseRateLimiter,
  sourcePrefix,
  type RateLimiterOptions,
  type RateVerdict,
} from '../../../src/lib/dns/rate-limit.js';

function limiter(options: Partial<RateLimiterOptions> = {}) {
  const clock = { now: 1_000_000 };
  const rrl = new ResponseRateLimiter({
    ratePerSecond: 10,
    windowSeconds: 5,
    slip: 2,
    loopback: false,
    maxPrefixes: 1000,
    now: () => clock.now,
    ...options,
  });
  return { rrl, clock };
}

function tally(verdicts: RateVerdict[]): Record<RateVerdict, number> {
  const counts = { answer: 0, slip: 0, drop: 0 };
  for (const verdict of verdicts) counts[verdict]++;
  return counts;
}

describe('ResponseRateLimiter', () => {
  it('answers a burst up to the rate, then slips every 2nd query and drops the rest', () => {
    const { rrl } = limiter();
    const verdicts = Array.from({ length: 30 }, () => rrl.check('192.0.2.7'));
    expect(verdicts.slice(0, 10)).toEqual(Array(10).fill('answer'));
    expect(verdicts.slice(10, 14)).toEqual(['drop', 'slip', 'drop', 'slip']);
    expect(tally(verdicts)).toEqual({ answer: 10, slip: 10, drop: 10 });
  });

  it('lets normal traffic through: a client under the rate is never limited', () => {
    const { rrl, clock } = limiter();
    const verdicts: RateVerdict[] = [];
    // Five queries a second for a minute, against a limit of ten.
    for (let i = 0; i < 300; i++) {
      clock.now += 200;
      verdicts.push(rrl.check('192.0.2.7'));
    }
    expect(tally(verdicts)).toEqual({ answer: 300, slip: 0, drop: 0 });
  });

  it('keeps a sustained flood limited, and forgives it within the window after it stops', () => {
    const { rrl, clock } = limiter();
    const during: RateVerdict[] = [];
    // 100 queries a second for 10 s against a limit of 10: the debt hits the window's floor and stays.
    for (let i = 0; i < 1000; i++) {
      clock.now += 10;
      during.push(rrl.check('192.0.2.7'));
    }
    expect(tally(during.slice(200))).toEqual({ answer: 0, slip: 400, drop: 400 });
    clock.now += 5_000;
    expect(rrl.check('192.0.2.7')).toBe('drop');
    clock.now += 1_000;
    expect(rrl.check('192.0.2.7')).toBe('answer');
  });

  it('limits a whole /24 (or /56) together, and other prefixes not at all', () => {
    const { rrl } = limiter();
    const flood = Array.from({ length: 40 }, (_, i) => rrl.check(`198.51.100.${i % 250}`));
    expect(tally(flood).answer).toBe(10);
    expect(rrl.check('198.51.101.1')).toBe('answer');
    const v6 = Array.from({ length: 40 }, (_, i) => rrl.check(`2001:db8:0:1${(i % 16).toString(16)}::${i}`));
    expect(tally(v6).answer).toBe(10);
    expect(rrl.check('2001:db8:0:100::1')).toBe('answer');
  });

  it('exempts loopback unless told to limit it too', () => {
    const exempt = limiter().rrl;
    expect(new Set(Array.from({ length: 100 }, () => exempt.check('127.0.0.1')))).toEqual(
      new Set(['answer']),
    );
    expect(exempt.check('::1')).toBe('answer');
    const strict = limiter({ loopback: true }).rrl;
    expect(tally(Array.from({ length: 100 }, () => strict.check('127.0.0.1'))).answer).toBe(10);
  });

  it('is off at rate 0, drops everything over the limit with slip 0', () => {
    const off = limiter({ ratePerSecond: 0 }).rrl;
    expect(tally(Array.from({ length: 100 }, () => off.check('192.0.2.1'))).answer).toBe(100);
    const noSlip = limiter({ slip: 0 }).rrl;
    expect(tally(Array.from({ length: 30 }, () => noSlip.check('192.0.2.1')))).toEqual({
      answer: 10,
      slip: 0,
      drop: 20,
    });
  });

  it('tracks a bounded number of prefixes (a spoofed flood from everywhere)', () => {
    const { rrl } = limiter({ maxPrefixes: 100 });
    for (let i = 0; i < 10_000; i++) rrl.check(`10.${(i >> 8) & 255}.${i & 255}.1`);
    expect(rrl.tracked).toBe(100);
  });
});

describe('source prefixes', () => {
  it('groups IPv4 by /24, mapped IPv4 too, and IPv6 by /56', () => {
    expect(sourcePrefix('192.0.2.200')).toBe('192.0.2');
    expect(sourcePrefix('::ffff:192.0.2.9')).toBe('192.0.2');
    expect(sourcePrefix('2001:db8:1:ff::1')).toBe(sourcePrefix('2001:db8:1:0::2'));
    expect(sourcePrefix('2001:db8:1:100::1')).not.toBe(sourcePrefix('2001:db8:1:0::1'));
    expect(ipv6Bytes('fe80::1%eth0')!.toString('hex')).toBe('fe800000000000000000000000000001');
    expect(ipv6Bytes('::ffff:1.2.3.4')!.toString('hex')).toBe('00000000000000000000ffff01020304');
    expect(ipv6Bytes('1.2.3.4')).toBeUndefined();
  });

  it('knows loopback', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['10.0.0.1', '::2', '0.0.0.0', '::'].map(isLoopbackAddress)).toEqual([false, false, false, false]);
  });
});
