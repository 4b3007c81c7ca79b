/**
 * Collapsing Marathon's event bursts (a deployment of ten instances is dozens of status and health events)
 * into one regeneration: trailing edge after a quiet period, but never later than a maximum wait after the
 * first event of the burst, so a steady trickle of events cannot postpone an update forever.
 */

export type TimerHandle = unknown;

/** Time and timers, injectable so tests drive them by hand. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface DebounceOptions {
  /** Fire once nothing has arrived for this long. */
  quietMs: number;
  /** ...or this long after the first trigger of the burst, whichever comes first. */
  maxWaitMs: number;
  clock?: Clock;
}

/** What one firing stands for: how many triggers of each reason it collapsed. */
export type Burst = Map<string, number>;

export class Debouncer {
  private readonly clock: Clock;
  private timer: TimerHandle | undefined;
  private firstAt: number | undefined;
  private burst: Burst = new Map();

  constructor(
    private readonly fire: (burst: Burst) => void,
    private readonly options: DebounceOptions,
  ) {
    if (!(options.quietMs >= 0) || !(options.maxWaitMs >= options.quietMs)) {
      throw new RangeError(`need 0 <= quietMs <= maxWaitMs (got ${options.quietMs}, ${options.maxWaitMs})`);
    }
    this.clock = options.clock ?? systemClock;
  }

  get pending(): boolean {
    return this.firstAt !== undefined;
  }

  trigger(reason = 'event'): void {
    const now = this.clock.now();
    this.firstAt ??= now;
    this.burst.set(reason, (this.burst.get(reason) ?? 0) + 1);
    const due = Math.min(now + this.options.quietMs, this.firstAt + this.options.maxWaitMs);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.flush(), Math.max(0, due - now));
  }

  /** Fires now if anything is pending (e.g. a reconnect makes waiting pointless). */
  flush(): void {
    if (this.firstAt === undefined) return;
    const burst = this.burst;
    this.cancel();
    this.fire(burst);
  }

  /** Forgets whatever is pending without firing. */
  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
    this.burst = new Map();
  }
}
