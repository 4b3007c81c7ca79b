/**
 * The DNS listeners: UDP and TCP on one port, the resolver behind them, forwarding outside the domain, and
 * an answer cache that keeps the hot path free of dns-packet (a hit is one Map lookup, a copy and a patched
 * ID). Every packet is handled inside try/catch: garbage gets FORMERR or is dropped, never a crash. What a
 * client may cost is bounded (limits.ts): the cache in bytes, forwards in flight, TCP connections and their
 * unsent replies, and UDP responses per source prefix.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server } from 'node:net';

import dnsPacket from 'dns-packet';
import type { DecodedPacket, OptAnswer, Packet } from 'dns-packet';

import { DcosError } from '../errors.js';
import { AnswerCache } from './answer-cache.js';
import { forward } from './forward.js';
import { DEFAULT_DNS_LIMITS, type DnsLimits } from './limits.js';
import { ResponseRateLimiter } from './rate-limit.js';
import {
  answerSizeLimit,
  cutAnswer,
  encodeResponse,
  errorReply,
  ourOpt,
  prepareAnswer,
  queryOpt,
  resolve,
  route,
  sizeLimit,
  type PreparedAnswer,
  type Transport,
} from './resolver.js';
import { TcpConnections } from './tcp-connections.js';
import type { DnsConfig, RecordSet } from './types.js';
import {
  canonicalName,
  canonicalQuestion,
  countsFit,
  emptyTruncatedReply,
  FLAG_QR,
  FLAG_TC,
  parseQueryShape,
  RCODE,
  RCODE_NAMES,
  type QueryShape,
} from './wire.js';

export interface RecordsSnapshot {
  records: RecordSet;
  /** SOA serial: Unix time of the load. */
  serial: number;
}

export interface DnsHandlerOptions {
  config: DnsConfig;
  /** Mesos-DNS's EDNS0 behaviour: no OPT echoed, UDP replies capped at 512 bytes. */
  compat: boolean;
  /** The records to serve now; undefined before the first good load (in-domain queries get SERVFAIL). */
  getRecords: () => RecordsSnapshot | undefined;
  log?: (line: string) => void;
  random?: () => number;
  /** Defaults: DEFAULT_DNS_LIMITS. */
  limits?: Partial<DnsLimits>;
}

export interface DnsServerOptions extends DnsHandlerOptions {
  listen: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  /** The rate limiter's clock; Date.now when absent. */
  now?: () => number;
}

export interface DnsMetrics {
  /** `TYPE RCODE` -> count. */
  queries: Map<string, number>;
  forwarded: number;
  forwardFailures: number;
  /** Forwards refused because `maxForwards` were already pending (answered SERVFAIL). */
  forwardsRejected: number;
  truncated: number;
  malformed: number;
  cacheHits: number;
  cacheMisses: number;
  /** Gauges of the answer cache. */
  cacheBytes: number;
  cacheEntries: number;
  /** UDP queries over their prefix's rate: answered with an empty TC reply, or not at all. */
  rrlSlipped: number;
  rrlDropped: number;
  /** Gauge: open TCP connections. */
  tcpConnections: number;
  tcpTimedOut: number;
  tcpEvicted: number;
  tcpRefused: number;
}

export interface DnsServer {
  address: string;
  port: number;
  metrics: DnsMetrics;
  close(): Promise<void>;
}

/** Answer variants kept per cached question: shuffled orders to rotate through (Mesos-DNS shuffles each). */
const SHUFFLE_VARIANTS = 8;

interface CachedAnswer {
  variants: PreparedAnswer[];
  shuffled: boolean;
  label: string;
}

/** A query the cache can serve: its cheap parse, its canonical question and the key that gives. */
interface Cacheable {
  shape: QueryShape;
  canonical: Buffer;
  key: string;
  entry: CachedAnswer | undefined;
  snapshot: RecordsSnapshot;
}

const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  252: 'AXFR',
  255: 'ANY',
};

function typeLabel(type: number | string): string {
  if (typeof type === 'string') return type.startsWith('UNKNOWN_') ? 'OTHER' : type;
  return TYPE_NAMES[type] ?? 'OTHER';
}

export function newMetrics(): DnsMetrics {
  return {
    queries: new Map(),
    forwarded: 0,
    forwardFailures: 0,
    forwardsRejected: 0,
    truncated: 0,
    malformed: 0,
    cacheHits: 0,
    cacheMisses: 0,
    cacheBytes: 0,
    cacheEntries: 0,
    rrlSlipped: 0,
    rrlDropped: 0,
    tcpConnections: 0,
    tcpTimedOut: 0,
    tcpEvicted: 0,
    tcpRefused: 0,
  };
}

/**
 * Handles one message from either transport; `respond` is called once, maybe later (forwarding), with
 * undefined when nothing is to be sent (the message is dropped).
 */
export class DnsHandler {
  readonly metrics = newMetrics();
  readonly limits: DnsLimits;
  private readonly cache: AnswerCache<CachedAnswer>;
  private cachedFor: RecordsSnapshot | undefined;
  private forwarding = 0;

  constructor(private readonly options: DnsHandlerOptions) {
    this.limits = { ...DEFAULT_DNS_LIMITS, ...options.limits };
    this.cache = new AnswerCache({ maxBytes: this.limits.cacheBytes, maxEntries: this.limits.cacheEntries });
  }

  private count(label: string): void {
    this.metrics.queries.set(label, (this.metrics.queries.get(label) ?? 0) + 1);
  }

  handle(message: Buffer, transport: Transport, respond: (reply: Buffer | undefined) => void): void {
    let responded = false;
    const once = (reply: Buffer | undefined) => {
      if (responded) return;
      responded = true;
      respond(reply);
    };
    try {
      const shape = parseQueryShape(message);
      const snapshot = this.options.getRecords();
      if (shape && snapshot && shape.ednsVersion === 0) {
        if (this.cachedFor !== snapshot) {
          this.cache.clear();
          this.cachedFor = snapshot;
          this.updateCacheGauges();
        }
        const canonical = canonicalQuestion(shape.question);
        const key = this.cacheKey(shape, canonical);
        const entry = this.cache.get(key);
        if (entry && (!entry.shuffled || entry.variants.length >= SHUFFLE_VARIANTS)) {
          this.metrics.cacheHits++;
          this.count(entry.label);
          const variant = entry.variants[Math.floor(Math.random() * entry.variants.length)]!;
          return once(this.reply(variant, transport, message, shape.ednsSize, shape.question));
        }
        this.metrics.cacheMisses++;
        return this.slow(message, transport, once, { shape, canonical, key, entry, snapshot });
      }
      this.slow(message, transport, once, undefined);
    } catch {
      this.metrics.malformed++;
      once(headerOnlyError(message, RCODE.SERVFAIL));
    }
  }

  /**
   * Every spelling of a question shares one key (see `canonicalQuestion`), and every transport and EDNS0 size
   * shares the one encoding that is cut to size per reply; only whether OPT (and DO) is echoed differs.
   */
  private cacheKey(shape: QueryShape, canonical: Buffer): string {
    const edns = !this.options.compat && shape.ednsSize !== undefined ? (shape.dnssecOk ? 'D' : 'E') : '-';
    return `${edns}${shape.opcode}${canonical.toString('latin1')}`;
  }

  /**
   * A prepared answer cut to this asker's size and patched with its ID and flags, and with its spelling of
   * the question when the answer was prepared under the canonical one.
   */
  private reply(
    prepared: PreparedAnswer,
    transport: Transport,
    query: Buffer,
    ednsSize: number | undefined,
    askedQuestion: Buffer | undefined,
  ): Buffer {
    const limit = answerSizeLimit(transport, this.options.compat, ednsSize);
    const { message, truncated } = cutAnswer(prepared, limit);
    if (truncated) this.metrics.truncated++;
    patch(message, query, askedQuestion);
    return message;
  }

  private updateCacheGauges(): void {
    this.metrics.cacheBytes = this.cache.bytes;
    this.metrics.cacheEntries = this.cache.size;
  }

  private slow(
    message: Buffer,
    transport: Transport,
    respond: (reply: Buffer | undefined) => void,
    cacheable: Cacheable | undefined,
  ): void {
    const { config, compat } = this.options;
    let query: DecodedPacket;
    try {
      if (!countsFit(message)) throw new Error('section counts larger than the message');
      query = dnsPacket.decode(message);
    } catch {
      this.metrics.malformed++;
      return respond(headerOnlyError(message, RCODE.FORMERR));
    }
    // Never answer an answer: that is how reflection loops start.
    if (query.type === 'response') {
      this.metrics.malformed++;
      return respond(undefined);
    }
    const opt = queryOpt(query);
    const encodeOptions = { transport, compat, setTruncateBit: config.SetTruncateBit, queryOpt: opt };
    const question = query.questions?.[0];
    if (!question || query.questions!.length !== 1) {
      this.metrics.malformed++;
      this.count('OTHER FORMERR');
      return respond(encodeResponse(errorReply(query, RCODE.FORMERR), encodeOptions).message);
    }
    const label = typeLabel(question.type);
    if (opt && opt.ednsVersion > 0 && !compat) {
      // RFC 6891 §6.1.3: BADVERS is extended rcode 16 (1 in the OPT, 0 in the header).
      const reply: Packet = { ...errorReply(query, 0), additionals: [ourOpt(opt, 1)] };
      this.count(`${label} BADVERS`);
      return respond(encodeResponse(reply, { ...encodeOptions, relayed: true }).message);
    }
    const routed = route(question.name, config);
    if (routed.kind === 'forward')
      return this.forward(message, query, opt, routed.resolvers, transport, respond);
    const snapshot = cacheable?.snapshot ?? this.options.getRecords();
    if (routed.kind === 'local' && !snapshot) {
      this.count(`${label} SERVFAIL`);
      return respond(encodeResponse(errorReply(query, RCODE.SERVFAIL), encodeOptions).message);
    }
    // Answered under the canonical spelling, so that the asker's spelling can be patched in by the cache.
    let answer = this.answerLocally(
      query,
      cacheable ? canonicalName(question.name) : question.name,
      snapshot,
    );
    if (
      cacheable &&
      !answer.prepared.message.subarray(12, 12 + cacheable.canonical.length).equals(cacheable.canonical)
    ) {
      // A name that does not come back from decoding and encoding byte for byte: answered as asked, uncached.
      cacheable = undefined;
      answer = this.answerLocally(query, question.name, snapshot);
    }
    const entryLabel = `${label} ${answer.rcode}`;
    this.count(entryLabel);
    if (cacheable && this.cachedFor === cacheable.snapshot) {
      const { key, entry } = cacheable;
      if (entry && this.cache.has(key)) {
        entry.variants.push(answer.prepared);
        this.cache.grow(key, answer.prepared.bytes);
      } else {
        const fresh = { variants: [answer.prepared], shuffled: answer.shuffled, label: entryLabel };
        this.cache.set(key, fresh, answer.prepared.bytes);
      }
      this.updateCacheGauges();
    }
    respond(this.reply(answer.prepared, transport, message, opt?.udpPayloadSize, cacheable?.shape.question));
  }

  /** The local answer (or REFUSED) to `query` asked as `spelling`, encoded once for every size. */
  private answerLocally(
    query: DecodedPacket,
    spelling: string,
    snapshot: RecordsSnapshot | undefined,
  ): { prepared: PreparedAnswer; rcode: string; shuffled: boolean } {
    const { config, compat } = this.options;
    const question = query.questions![0]!;
    const resolution = resolve(
      { ...query, questions: [{ ...question, name: spelling }] },
      {
        records: snapshot?.records ?? {
          domain: config.Domain,
          a: new Map(),
          aaaa: new Map(),
          srv: new Map(),
          warnings: [],
        },
        config,
        serial: snapshot?.serial ?? 0,
        preserveCase: !compat,
        ...(this.options.random ? { random: this.options.random } : {}),
      },
    );
    // route() sent names to forward elsewhere before this; REFUSED stands in should that ever change.
    const response = resolution.kind === 'forward' ? errorReply(query, RCODE.REFUSED) : resolution.response;
    return {
      prepared: prepareAnswer(response, {
        compat,
        setTruncateBit: config.SetTruncateBit,
        queryOpt: queryOpt(query),
      }),
      rcode: RCODE_NAMES[(response.flags ?? 0) & 0xf] ?? 'OTHER',
      shuffled: (response.answers?.length ?? 0) > 1,
    };
  }

  private forward(
    message: Buffer,
    query: DecodedPacket,
    opt: OptAnswer | undefined,
    resolvers: string[],
    transport: Transport,
    respond: (reply: Buffer | undefined) => void,
  ): void {
    const { config, compat } = this.options;
    const label = typeLabel(query.questions![0]!.type);
    const encodeOptions = { transport, compat, setTruncateBit: config.SetTruncateBit, queryOpt: opt };
    if (this.forwarding >= this.limits.maxForwards) {
      // Each pending forward holds a socket: past the cap, fail fast rather than run out of descriptors.
      this.metrics.forwardsRejected++;
      this.count(`${label} SERVFAIL`);
      return respond(encodeResponse(errorReply(query, RCODE.SERVFAIL), encodeOptions).message);
    }
    this.forwarding++;
    this.metrics.forwarded++;
    const timeoutMs = (config.Timeout > 0 ? config.Timeout : 5) * 1000;
    forward(message, resolvers, {
      transport,
      timeoutMs,
      onError: (resolver, error) => this.options.log?.(`forwarding to ${resolver} failed: ${error.message}`),
    })
      .finally(() => this.forwarding--)
      .then((reply) => {
        if (!reply) {
          this.metrics.forwardFailures++;
          this.count(`${label} SERVFAIL`);
          return respond(encodeResponse(errorReply(query, RCODE.SERVFAIL), encodeOptions).message);
        }
        this.count(`${label} ${RCODE_NAMES[reply.length >= 4 ? reply[3]! & 0xf : 2] ?? 'OTHER'}`);
        respond(this.relay(reply, opt, transport));
      })
      .catch(() => {
        // A reply too broken to relay.
        this.metrics.forwardFailures++;
        respond(headerOnlyError(message, RCODE.SERVFAIL));
      });
  }

  /** An upstream reply passes as-is when it fits; otherwise it is truncated like ours. */
  private relay(reply: Buffer, opt: OptAnswer | undefined, transport: Transport): Buffer {
    const { config, compat } = this.options;
    // In compat mode the reply's own OPT may allow more than 512; encodeResponse works that out.
    if (reply.length <= sizeLimit(transport, compat, opt?.udpPayloadSize)) {
      if (!config.SetTruncateBit && reply.length >= 4 && reply[2]! & (FLAG_TC >> 8)) {
        const copy = Buffer.from(reply);
        copy[2] = copy[2]! & ~(FLAG_TC >> 8);
        return copy;
      }
      return reply;
    }
    const decoded = dnsPacket.decode(reply);
    const encoded = encodeResponse(decoded, {
      transport,
      compat,
      setTruncateBit: config.SetTruncateBit,
      queryOpt: opt,
      relayed: true,
    });
    if (encoded.truncated) this.metrics.truncated++;
    return encoded.message;
  }
}

/** Makes a cut of a cached reply this asker's: its ID, RD and CD, and its own spelling of the question. */
function patch(reply: Buffer, query: Buffer, question: Buffer | undefined): void {
  reply[0] = query[0]!;
  reply[1] = query[1]!;
  reply[2] = (reply[2]! & 0xfe) | (query[2]! & 0x01);
  reply[3] = (reply[3]! & 0xef) | (query[3]! & 0x10);
  if (question && reply.length >= 12 + question.length) question.copy(reply, 12);
}

/** A bare reply (header only) when at least the header is readable and it is a query; else undefined. */
function headerOnlyError(message: Buffer, rcode: number): Buffer | undefined {
  if (message.length < 12) return undefined;
  const flags = message.readUInt16BE(2);
  if (flags & FLAG_QR) return undefined;
  const reply = Buffer.alloc(12);
  reply.writeUInt16BE(message.readUInt16BE(0), 0);
  reply.writeUInt16BE(FLAG_QR | (flags & ((0xf << 11) | (1 << 8) | (1 << 4))) | rcode, 2);
  return reply;
}

function bindUdp(address: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', recvBufferSize: 1 << 22 });
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function listenTcp(server: Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function listenError(address: string, port: number, error: NodeJS.ErrnoException): DcosError {
  const where = `${address}:${port}`;
  if (error.code === 'EADDRINUSE') {
    return new DcosError(`cannot serve DNS on ${where}: the port is in use; choose another with --port`, {
      code: 'port_in_use',
    });
  }
  if (error.code === 'EACCES') {
    return new DcosError(
      `cannot serve DNS on ${where}: ports below 1024 need root; choose another with --port`,
      { code: 'port_denied' },
    );
  }
  return new DcosError(`cannot serve DNS on ${where}: ${error.message}`, { code: 'listen_failed' });
}

/** Starts the UDP and TCP listeners on one address and port. */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const handler = new DnsHandler(options);
  const { limits, metrics } = handler;
  const connections = new TcpConnections(
    {
      maxConnections: limits.tcpConnections,
      idleMs: limits.tcpIdleMs,
      maxInFlight: limits.tcpInFlight,
      maxUnsentBytes: limits.tcpUnsentBytes,
    },
    (message, transport, respond) => handler.handle(message, transport, respond),
    metrics,
  );
  const tcp = createServer((socket) => connections.accept(socket));
  let udp: UdpSocket | undefined;
  let port = options.port;
  // With port 0 the UDP port is chosen first; TCP may find it taken, so try a few times.
  for (let attempt = 0; ; attempt++) {
    try {
      udp = await bindUdp(options.listen, port);
      port = udp.address().port;
      await listenTcp(tcp, options.listen, port);
      break;
    } catch (error) {
      udp?.close();
      udp = undefined;
      if (options.port !== 0 || attempt >= 10)
        throw listenError(options.listen, port, error as NodeJS.ErrnoException);
      port = 0;
    }
  }
  const socket = udp;
  const limiter = new ResponseRateLimiter({
    ratePerSecond: limits.rrlRate,
    windowSeconds: limits.rrlWindowSeconds,
    slip: limits.rrlSlip,
    loopback: limits.rrlLoopback,
    maxPrefixes: limits.rrlPrefixes,
    now: options.now ?? Date.now,
  });
  const send = (reply: Buffer, port: number, address: string) =>
    socket.send(reply, port, address, () => undefined);
  socket.on('message', (message, remote) => {
    // Decided before any work: a flood over its limit costs one Map lookup per packet.
    const verdict = limiter.check(remote.address);
    if (verdict === 'drop') {
      metrics.rrlDropped++;
      return;
    }
    if (verdict === 'slip') {
      metrics.rrlSlipped++;
      const reply = emptyTruncatedReply(message);
      if (reply) send(reply, remote.port, remote.address);
      return;
    }
    handler.handle(message, 'udp', (reply) => {
      if (reply) send(reply, remote.port, remote.address);
    });
  });
  socket.on('error', (error) => options.log?.(`DNS UDP socket error: ${error.message}`));
  return {
    address: options.listen,
    port,
    metrics,
    close: async () => {
      connections.closeAll();
      await Promise.all([
        new Promise<void>((resolve) => socket.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
