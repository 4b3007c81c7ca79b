/**
 * The server's answer cache: least recently used first out, bounded by the memory its values hold as well as
 * by their number (a flood of distinct questions, or a few huge answers, must not grow the process).
 */
export interface AnswerCacheLimits {
  maxBytes: number;
  maxEntries: number;
}

/** A Map slot, its key string and the entry object, beyond the bytes the value reports. */
const ENTRY_OVERHEAD_BYTES = 160;

interface Slot<V> {
  value: V;
  bytes: number;
}

export class AnswerCache<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private held = 0;

  constructor(private readonly limits: AnswerCacheLimits) {}

  /** Bytes accounted for: values plus per-entry overhead. Never above `maxBytes` between calls. */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.slots.size;
  }

  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    // Re-inserting moves the key to the young end of the Map's order.
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.value;
  }

  /** Stores `value`, which holds `bytes`; evicts the least recently used to make room. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    const slot = { value, bytes: bytes + key.length * 2 + ENTRY_OVERHEAD_BYTES };
    this.slots.set(key, slot);
    this.held += slot.bytes;
    this.evict();
  }

  /** The value of `key` grew by `bytes` (mutated in place); it may be evicted itself if now too big. */
  grow(key: string, bytes: number): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.bytes += bytes;
    this.held += bytes;
    this.evict();
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    this.held -= slot.bytes;
  }

  clear(): void {
    this.slots.clear();
    this.held = 0;
  }

  private evict(): void {
    while (this.held > this.limits.maxBytes || this.slots.size > this.limits.maxEntries) {
      const oldest = this.slots.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }
}
