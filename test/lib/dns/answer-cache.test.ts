import { describe, expect, it } from 'vitest';

import { AnswerCache } from '../../../src/lib/dns/answer-cache.js';

describe('AnswerCache', () => {
  it('stays under its byte limit however many values arrive, evicting the least recently used', () => {
    const cache = new AnswerCache<string>({ maxBytes: 64 * 1024, maxEntries: 1_000_000 });
    let highest = 0;
    for (let i = 0; i < 10_000; i++) {
      cache.set(`name-${i}`, `value-${i}`, 100 + (i % 7) * 1000);
      highest = Math.max(highest, cache.bytes);
    }
    expect(highest).toBeLessThanOrEqual(64 * 1024);
    expect(cache.size).toBeGreaterThan(5);
    expect(cache.get('name-9999')).toBe('value-9999');
    expect(cache.get('name-0')).toBeUndefined();
  });

  it('keeps what is used: a read makes an entry the youngest', () => {
    const cache = new AnswerCache<number>({ maxBytes: 1_000_000, maxEntries: 3 });
    cache.set('a', 1, 10);
    cache.set('b', 2, 10);
    cache.set('c', 3, 10);
    expect(cache.get('a')).toBe(1);
    cache.set('d', 4, 10);
    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.has('d')]).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });

  it('counts growth in place, and drops an entry that alone outgrows the limit', () => {
    const cache = new AnswerCache<string[]>({ maxBytes: 10_000, maxEntries: 100 });
    const variants = ['first'];
    cache.set('big', variants, 1_000);
    const before = cache.bytes;
    variants.push('second');
    cache.grow('big', 2_000);
    expect(cache.bytes).toBe(before + 2_000);
    cache.grow('big', 20_000);
    expect(cache.has('big')).toBe(false);
    expect(cache.bytes).toBe(0);
  });

  it('replacing and clearing give the bytes back', () => {
    const cache = new AnswerCache<string>({ maxBytes: 10_000, maxEntries: 100 });
    cache.set('k', 'one', 500);
    const once = cache.bytes;
    cache.set('k', 'two', 500);
    expect(cache.bytes).toBe(once);
    cache.delete('k');
    expect(cache.bytes).toBe(0);
    cache.set('k', 'three', 500);
    cache.clear();
    expect([cache.bytes, cache.size]).toEqual([0, 0]);
  });
});
