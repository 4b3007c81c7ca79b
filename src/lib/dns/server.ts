/**
 * The DNS listeners: UDP and TCP on one port, the resolver behind them, forwarding outside the domain, and
 * an answer cache that keeps the hot path free of dns-packet (a hit is one Map lookup, a copy and a patched
 * ID). Every packet is handled inside try/catch: garbage gets FORMERR or is dropped, never a crash.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';

import dnsPacket from 'dns-packet';
import type { DecodedPacket, OptAnswer, Packet } from 'dns-packet';

import { DcosError } from '../errors.js';
import { forward } from './forward.js';
import {
  encodeResponse,
  errorReply,
  ourOpt,
  queryOpt,
  resolve,
  route,
  sizeLimit,
  type Transport,
} from './resolver.js';
import type { DnsConfig, RecordSet } from './types.js';
import { countsFit, FLAG_QR, FLAG_TC, parseQueryShape, RCODE, RCODE_NAMES, type QueryShape } from './wire.js';

export interface RecordsSnapshot {
  records: RecordSet;
  /** SOA serial: Unix time of the load. */
  serial: number;
}

export interface DnsServerOptions {
  config: DnsConfig;
  /** Mesos-DNS's EDNS0 behaviour: no OPT echoed, UDP replies capped at 512 bytes. */
  compat: boolean;
  /** The records to serve now; undefined before the first good load (in-domain queries get SERVFAIL). */
  getRecords: () => RecordsSnapshot | undefined;
  listen: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  log?: (line: string) => void;
  random?: () => number;
  /** Idle TCP connections are closed after this long. */
  tcpIdleMs?: number;
}

export interface DnsMetrics {
  /** `TYPE RCODE` -> count. */
  queries: Map<string, number>;
  forwarded: number;
  forwardFailures: number;
  truncated: number;
  malformed: number;
  cacheHits: number;
}

export interface DnsServer {
  address: string;
  port: number;
  metrics: DnsMetrics;
  close(): Promise<void>;
}

/** Answer variants kept per cached question: shuffled orders to rotate through (Mesos-DNS shuffles each). */
const SHUFFLE_VARIANTS = 8;
/** Past this many cached questions (say, a flood of random names) the cache starts over. */
const CACHE_LIMIT = 50_000;

interface CacheEntry {
  variants: Buffer[];
  shuffled: boolean;
  label: string;
  truncated: boolean;
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
  return { queries: new Map(), forwarded: 0, forwardFailures: 0, truncated: 0, malformed: 0, cacheHits: 0 };
}

/** Handles one message from either transport; `send` may be called later (forwarding) or never (drop). */
export class DnsHandler {
  readonly metrics = newMetrics();
  private cache = new Map<string, CacheEntry>();
  private cachedFor: RecordsSnapshot | undefined;

  constructor(private readonly options: Omit<DnsServerOptions, 'listen' | 'port'>) {}

  private count(label: string): void {
    this.metrics.queries.set(label, (this.metrics.queries.get(label) ?? 0) + 1);
  }

  handle(message: Buffer, transport: Transport, send: (reply: Buffer) => void): void {
    try {
      const shape = parseQueryShape(message);
      const snapshot = this.options.getRecords();
      if (shape && snapshot && shape.ednsVersion === 0) {
        const key = this.cacheKey(shape, transport);
        if (this.cachedFor !== snapshot) {
          this.cache = new Map();
          this.cachedFor = snapshot;
        }
        const entry = this.cache.get(key);
        if (entry && (!entry.shuffled || entry.variants.length >= SHUFFLE_VARIANTS)) {
          this.metrics.cacheHits++;
          this.count(entry.label);
          if (entry.truncated) this.metrics.truncated++;
          const variant = entry.variants[Math.floor(Math.random() * entry.variants.length)]!;
          return send(patch(variant, message));
        }
        return this.slow(message, transport, send, shape, key, entry);
      }
      this.slow(message, transport, send, shape, undefined, undefined);
    } catch {
      this.metrics.malformed++;
      const reply = headerOnlyError(message, RCODE.SERVFAIL);
      if (reply) send(reply);
    }
  }

  private cacheKey(shape: QueryShape, transport: Transport): string {
    const { compat } = this.options;
    const limit = sizeLimit(transport, compat, shape.ednsSize);
    const edns = !compat && shape.ednsSize !== undefined ? (shape.dnssecOk ? 'D' : 'E') : '-';
    return `${limit}${edns}${shape.opcode}${shape.question.toString('latin1')}`;
  }

  private slow(
    message: Buffer,
    transport: Transport,
    send: (reply: Buffer) => void,
    shape: QueryShape | undefined,
    key: string | undefined,
    entry: CacheEntry | undefined,
  ): void {
    const { config, compat } = this.options;
    let query: DecodedPacket;
    try {
      if (!countsFit(message)) throw new Error('section counts larger than the message');
      query = dnsPacket.decode(message);
    } catch {
      this.metrics.malformed++;
      const reply = headerOnlyError(message, RCODE.FORMERR);
      if (reply) send(reply);
      return;
    }
    // Never answer an answer: that is how reflection loops start.
    if (query.type === 'response') {
      this.metrics.malformed++;
      return;
    }
    const opt = queryOpt(query);
    const encodeOptions = { transport, compat, setTruncateBit: config.SetTruncateBit, queryOpt: opt };
    const question = query.questions?.[0];
    if (!question || query.questions!.length !== 1) {
      this.metrics.malformed++;
      this.count('OTHER FORMERR');
      return send(encodeResponse(errorReply(query, RCODE.FORMERR), encodeOptions).message);
    }
    const label = typeLabel(question.type);
    if (opt && opt.ednsVersion > 0 && !compat) {
      // RFC 6891 §6.1.3: BADVERS is extended rcode 16 (1 in the OPT, 0 in the header).
      const reply: Packet = { ...errorReply(query, 0), additionals: [ourOpt(opt, 1)] };
      this.count(`${label} BADVERS`);
      return send(encodeResponse(reply, { ...encodeOptions, relayed: true }).message);
    }
    const routed = route(question.name, config);
    if (routed.kind === 'forward')
      return this.forward(message, query, opt, routed.resolvers, transport, send);
    const snapshot = this.options.getRecords();
    if (routed.kind === 'local' && !snapshot) {
      this.count(`${label} SERVFAIL`);
      return send(encodeResponse(errorReply(query, RCODE.SERVFAIL), encodeOptions).message);
    }
    const resolution = resolve(query, {
      records: snapshot?.records ?? {
        domain: config.Domain,
        a: new Map(),
        aaaa: new Map(),
        srv: new Map(),
        warnings: [],
      },
      config,
      serial: snapshot?.serial ?? 0,
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    if (resolution.kind === 'forward') return; // route() above already sent these on
    const encoded = encodeResponse(resolution.response, encodeOptions);
    const rcode = RCODE_NAMES[(resolution.response.flags ?? 0) & 0xf] ?? 'OTHER';
    const entryLabel = `${label} ${rcode}`;
    this.count(entryLabel);
    if (encoded.truncated) this.metrics.truncated++;
    if (key !== undefined && shape && snapshot && this.cachedFor === snapshot) {
      const shuffled = (resolution.response.answers?.length ?? 0) > 1;
      if (entry) entry.variants.push(encoded.message);
      else {
        if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
        this.cache.set(key, {
          variants: [encoded.message],
          shuffled,
          label: entryLabel,
          truncated: encoded.truncated,
        });
      }
    }
    send(encoded.message);
  }

  private forward(
    message: Buffer,
    query: DecodedPacket,
    opt: OptAnswer | undefined,
    resolvers: string[],
    transport: Transport,
    send: (reply: Buffer) => void,
  ): void {
    const { config, compat } = this.options;
    const label = typeLabel(query.questions![0]!.type);
    this.metrics.forwarded++;
    const timeoutMs = (config.Timeout > 0 ? config.Timeout : 5) * 1000;
    const encodeOptions = { transport, compat, setTruncateBit: config.SetTruncateBit, queryOpt: opt };
    forward(message, resolvers, {
      transport,
      timeoutMs,
      onError: (resolver, error) => this.options.log?.(`forwarding to ${resolver} failed: ${error.message}`),
    })
      .then((reply) => {
        if (!reply) {
          this.metrics.forwardFailures++;
          this.count(`${label} SERVFAIL`);
          return send(encodeResponse(errorReply(query, RCODE.SERVFAIL), encodeOptions).message);
        }
        this.count(`${label} ${RCODE_NAMES[reply.length >= 4 ? reply[3]! & 0xf : 2] ?? 'OTHER'}`);
        send(this.relay(reply, opt, transport));
      })
      .catch(() => {
        // A reply too broken to relay.
        this.metrics.forwardFailures++;
        const reply = headerOnlyError(message, RCODE.SERVFAIL);
        if (reply) send(reply);
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

/** The cached reply with the query's ID, RD and CD. */
function patch(cached: Buffer, query: Buffer): Buffer {
  const reply = Buffer.allocUnsafe(cached.length);
  cached.copy(reply);
  reply[0] = query[0]!;
  reply[1] = query[1]!;
  reply[2] = (reply[2]! & 0xfe) | (query[2]! & 0x01);
  reply[3] = (reply[3]! & 0xef) | (query[3]! & 0x10);
  return reply;
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
  const idleMs = options.tcpIdleMs ?? 10_000;
  const connections = new Set<Socket>();
  const tcp = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // Several framed queries may arrive in one chunk (pipelining, RFC 7766).
      while (pending.length >= 2) {
        const size = pending.readUInt16BE(0);
        if (pending.length < size + 2) break;
        const message = pending.subarray(2, size + 2);
        pending = pending.subarray(size + 2);
        handler.handle(message, 'tcp', (reply) => {
          if (socket.destroyed) return;
          const length = Buffer.allocUnsafe(2);
          length.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([length, reply]));
        });
      }
    });
  });
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
  socket.on('message', (message, remote) => {
    handler.handle(message, 'udp', (reply) =>
      socket.send(reply, remote.port, remote.address, () => undefined),
    );
  });
  socket.on('error', (error) => options.log?.(`DNS UDP socket error: ${error.message}`));
  return {
    address: options.listen,
    port,
    metrics: handler.metrics,
    close: async () => {
      for (const connection of connections) connection.destroy();
      await Promise.all([
        new Promise<void>((resolve) => socket.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
