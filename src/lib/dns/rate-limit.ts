/**
 * Response rate limiting for UDP, after BIND's RRL: a spoofed-source flood would turn the server into an
 * amplifier aimed at the spoofed address, so each source prefix (/24 IPv4, /56 IPv6: one site) has a budget of
 * responses per second. Over it, every n-th query gets an empty TC reply (a real client retries over TCP,
 * which cannot be spoofed) and the rest get nothing. Pure: the clock is injected.
 */
import { ipv6Bytes, isLoopbackAddress, mappedIpv4 } from './addresses.js';

export type RateVerdict = 'answer' | 'slip' | 'drop';

export interface RateLimiterOptions {
  /** Responses per second per prefix; 0 turns limiting off. Also the burst a quiet prefix may send at once. */
  ratePerSecond: number;
  /** Seconds of debt a prefix may run up: a flood stays limited this long after it stops. */
  windowSeconds: number;
  /** Every n-th query over the limit slips through as an empty TC reply; 0 drops them all. */
  slip: number;
  /** Limit loopback sources too. */
  loopback: boolean;
  /** Prefixes tracked at once; beyond, the longest tracked is forgotten (a spoofed flood of prefixes). */
  maxPrefixes: number;
  now: () => number;
}

interface Account {
  /** Responses still allowed now; negative is debt. */
  balance: number;
  updatedAt: number;
  overLimit: number;
}

export class ResponseRateLimiter {
  private readonly accounts = new Map<string, Account>();

  constructor(private readonly options: RateLimiterOptions) {}

  /** Prefixes being tracked (for tests and metrics). */
  get tracked(): number {
    return this.accounts.size;
  }

  /** What to do with a query from `address`: answer it, slip an empty TC reply, or drop it. */
  check(address: string): RateVerdict {
    const { ratePerSecond: rate, windowSeconds, slip } = this.options;
    if (rate <= 0) return 'answer';
    if (!this.options.loopback && isLoopbackAddress(address)) return 'answer';
    const key = sourcePrefix(address);
    const now = this.options.now();
    let account = this.accounts.get(key);
    if (account) {
      account.balance = Math.min(rate, account.balance + ((now - account.updatedAt) * rate) / 1000);
      account.updatedAt = now;
    } else {
      if (this.accounts.size >= this.options.maxPrefixes) {
        this.accounts.delete(this.accounts.keys().next().value!);
      }
      account = { balance: rate, updatedAt: now, overLimit: 0 };
      this.accounts.set(key, account);
    }
    // Queries over the limit are debited too, so a sustained flood stays limited rather than getting a
    // steady `rate` of amplified answers.
    account.balance = Math.max(account.balance - 1, -rate * windowSeconds);
    if (account.balance >= 0) return 'answer';
    account.overLimit++;
    return slip > 0 && account.overLimit % slip === 0 ? 'slip' : 'drop';
  }
}

/** The /24 of an IPv4 address (also IPv4-mapped IPv6), the /56 of an IPv6 one; other strings as they are. */
export function sourcePrefix(address: string): string {
  const v4 = mappedIpv4(address);
  if (v4) return v4.slice(0, v4.lastIndexOf('.'));
  const bytes = ipv6Bytes(address);
  if (!bytes) return address;
  return bytes.subarray(0, 7).toString('hex');
}
