import { describe, expect, it } from 'vitest';

import { Debouncer, type Burst } from '../../../src/lib/haproxy/debounce.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function setup(quietMs = 1_000, maxWaitMs = 5_000) {
  const clock = new FakeClock();
  const start = clock.now();
  const fired: Array<{ at: number; burst: Burst }> = [];
  const debouncer = new Debouncer((burst) => fired.push({ at: clock.now() - start, burst }), {
    quietMs,
    maxWaitMs,
    clock,
  });
  return { clock, fired, debouncer };
}

describe('Debouncer', () => {
  it('fires once, a quiet period after the last trigger', async () => {
    const { clock, fired, debouncer } = setup();
    debouncer.trigger('a');
    await clock.advance(600);
    debouncer.trigger('b');
    await clock.advance(999);
    expect(fired).toHaveLength(0);
    expect(debouncer.pending).toBe(true);
    await clock.advance(1);
    expect(fired.map((f) => f.at)).toEqual([1_600]);
    expect(debouncer.pending).toBe(false);
    await clock.advance(10_000);
    expect(fired).toHaveLength(1);
  });

  it('never waits longer than maxWait after the first trigger, however steady the trickle', async () => {
    const { clock, fired, debouncer } = setup(1_000, 5_000);
    for (let i = 0; i < 30; i++) {
      debouncer.trigger('status_update_event');
      await clock.advance(500);
    }
    // Events every 500 ms for 15 s: without the cap the 1 s quiet period would never come.
    expect(fired.map((f) => f.at)).toEqual([5_000, 10_000, 15_000]);
    expect(fired.every((f) => (f.burst.get('status_update_event') ?? 0) === 10)).toBe(true);
  });

  it('collapses a burst into one firing that counts each reason', async () => {
    const { clock, fired, debouncer } = setup();
    for (let i = 0; i < 200; i++)
      debouncer.trigger(i % 4 === 0 ? 'health_status_changed_event' : 'status_update_event');
    await clock.advance(5_000);
    expect(fired).toHaveLength(1);
    expect(Object.fromEntries(fired[0]!.burst)).toEqual({
      health_status_changed_event: 50,
      status_update_event: 150,
    });
    expect(clock.scheduled).toBe(0);
  });

  it('starts a new burst (with a fresh max wait) after firing', async () => {
    const { clock, fired, debouncer } = setup(1_000, 1_500);
    debouncer.trigger();
    await clock.advance(1_000);
    debouncer.trigger();
    await clock.advance(900);
    debouncer.trigger();
    await clock.advance(900);
    // The second burst started at 1000, so its cap is 2500; a cap kept from the first burst would give 1500.
    expect(fired.map((f) => f.at)).toEqual([1_000, 2_500]);
  });

  it('flush fires at once, cancel drops the burst, and neither leaves a timer behind', async () => {
    const { clock, fired, debouncer } = setup();
    debouncer.flush();
    expect(fired).toHaveLength(0);
    debouncer.trigger('x');
    debouncer.flush();
    expect(fired.map((f) => f.at)).toEqual([0]);
    debouncer.trigger('y');
    debouncer.cancel();
    expect(clock.scheduled).toBe(0);
    await clock.advance(10_000);
    expect(fired).toHaveLength(1);
  });

  it('rejects a max wait shorter than the quiet period', () => {
    expect(() => new Debouncer(() => undefined, { quietMs: 2_000, maxWaitMs: 1_000 })).toThrow(RangeError);
  });
});
