import type { Clock, TimerHandle } from '../../src/lib/haproxy/debounce.js';

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * A clock whose time moves only when the test says so. `advance` runs due timers in time order and lets
 * promises settle after each, so async loops driven by these timers make progress as they would for real.
 */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Timers still scheduled (for asserting that nothing is left behind). */
  get scheduled(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    // Bounded: a timer that keeps rescheduling itself at +0 would otherwise spin forever.
    for (let steps = 0; steps < 10_000; steps++) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id);
      const next = due[0];
      if (!next) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.time = Math.max(this.time, next.at);
      next.callback();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets pending promise chains run (several macrotask turns: async generators hop more than once). */
export async function settle(turns = 5): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}
