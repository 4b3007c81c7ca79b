/**
 * What `dcos dns serve` lets one client, or all of them together, cost it. docs/dns.md lists each value with
 * its flag and why it was chosen.
 */
export interface DnsLimits {
  /** Memory the answer cache may hold (encoded replies and their bookkeeping). */
  cacheBytes: number;
  /** Questions the answer cache may hold, however small their answers. */
  cacheEntries: number;
  /** Queries being forwarded at once (each holds a socket); more are answered SERVFAIL. */
  maxForwards: number;
  /** Open TCP connections; at the cap the least recently active idle one is closed, else the new one is. */
  tcpConnections: number;
  /** A TCP connection must complete a query this often (not just send bytes), or it is closed. */
  tcpIdleMs: number;
  /** Queries of one TCP connection being answered at once (only forwarded ones take time). */
  tcpInFlight: number;
  /** Reply bytes queued for one TCP connection before it is no longer read from. */
  tcpUnsentBytes: number;
  /** UDP responses per second to one source prefix (/24 IPv4, /56 IPv6); 0 turns rate limiting off. */
  rrlRate: number;
  /** How many seconds of debt a flooding prefix may run up, i.e. how long it stays limited after it stops. */
  rrlWindowSeconds: number;
  /** Every n-th response over the limit is an empty TC reply (the client retries over TCP); 0 drops all. */
  rrlSlip: number;
  /** Rate-limit loopback sources too (they cannot be spoofed from another host, so by default they are not). */
  rrlLoopback: boolean;
  /** Source prefixes tracked by the rate limiter; past it the oldest is forgotten. */
  rrlPrefixes: number;
}

export const DEFAULT_DNS_LIMITS: Readonly<DnsLimits> = Object.freeze({
  cacheBytes: 16 * 1024 * 1024,
  cacheEntries: 50_000,
  maxForwards: 256,
  tcpConnections: 256,
  tcpIdleMs: 10_000,
  tcpInFlight: 16,
  tcpUnsentBytes: 64 * 1024,
  rrlRate: 1000,
  rrlWindowSeconds: 5,
  rrlSlip: 2,
  rrlLoopback: false,
  rrlPrefixes: 65_536,
});
