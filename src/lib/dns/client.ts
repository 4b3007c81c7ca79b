/**
 * The DNS client behind `dcos dns lookup`: dig's defaults in small (RD set, EDNS0 offering 1232 bytes, UDP
 * with retries, TCP when the UDP answer is truncated), plus `lookupLocal`, which answers the same query from
 * records exactly as `dcos dns serve` would put it on the wire.
 */
import { randomInt } from 'node:crypto';
import { lookup as lookupHost } from 'node:dns/promises';
import { isIP } from 'node:net';

import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet, Question } from 'dns-packet';

import { DcosError, UsageError } from '../errors.js';
export type { ServerAddress } from './transport.js';
import {
  answerSizeLimit,
  encodeResponse,
  queryOpt,
  resolve,
  type ResolveContext,
  type Transport,
} from './resolver.js';
import { exchangeTcp, exchangeUdp, serverLabel, type ServerAddress } from './transport.js';
import { countsFit, FLAG_RD, FLAG_TC } from './wire.js';

export const QUERY_TYPES = ['A', 'AAAA', 'SRV', 'SOA', 'NS', 'ANY'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

/** 1232 bytes: the DNS Flag Day 2020 size, which avoids IP fragmentation on practically every path. */
export const EDNS_UDP_SIZE = 1232;

export function parseQueryType(value: string): QueryType {
  const type = value.toUpperCase();
  if ((QUERY_TYPES as readonly string[]).includes(type)) return type as QueryType;
  throw new UsageError(`unsupported --type '${value}'; use one of ${QUERY_TYPES.join(', ')}`);
}

/** The name as it goes on the wire (no trailing dot); labels 1-63 bytes, 255 bytes in all (RFC 1035). */
export function checkQueryName(name: string): string {
  if (name === '.' || name === '') return '.';
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = trimmed.split('.');
  for (const label of labels) {
    const bytes = Buffer.byteLength(label);
    if (bytes === 0) throw new UsageError(`'${name}' has an empty label`);
    if (bytes > 63) throw new UsageError(`'${name}' has a label longer than 63 bytes`);
  }
  if (Buffer.byteLength(trimmed) + 2 > 255) throw new UsageError(`'${name}' is longer than 255 bytes`);
  return trimmed;
}

const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address; port 53 by default. */
export function parseServer(spec: string): ServerAddress {
  const bad = (why: string) => new UsageError(`bad --server '${spec}': ${why}; use HOST or HOST:PORT`);
  let host = spec;
  let port = '53';
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(spec);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] ?? '53';
    if (isIP(host) !== 6) throw bad('only an IPv6 address goes in brackets');
  } else if (isIP(spec) !== 6 && spec.includes(':')) {
    const colon = spec.lastIndexOf(':');
    host = spec.slice(0, colon);
    port = spec.slice(colon + 1);
  }
  if (host === '') throw bad('no host');
  if (isIP(host) === 0 && !HOSTNAME_RE.test(host)) throw bad('not an IP address or host name');
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    throw bad('the port must be 1-65535');
  return { host, port: Number(port) };
}

export interface QueryOptions {
  /** Random when absent. */
  id?: number;
  /** Add an EDNS0 OPT record offering EDNS_UDP_SIZE bytes (default true). */
  edns?: boolean;
}

/** A standard query with RD set, as dig sends it. */
export function buildQuery(name: string, type: QueryType, options: QueryOptions = {}): Packet {
  return {
    type: 'query',
    id: options.id ?? randomInt(0, 0x10000),
    flags: FLAG_RD,
    questions: [{ name: checkQueryName(name), type: type as Question['type'], class: 'IN' }],
    additionals:
      options.edns === false
        ? []
        : [
            {
              name: '.',
              type: 'OPT',
              udpPayloadSize: EDNS_UDP_SIZE,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ],
  };
}

export interface LookupOptions {
  server: ServerAddress;
  query: Packet;
  /** Straight to TCP (dig +tcp); otherwise UDP, and TCP only when the UDP answer is truncated. */
  tcp?: boolean;
  /** Per UDP try, and for the whole TCP exchange. */
  timeoutMs: number;
  /** UDP retries after the first try (dig's default is 2). */
  retries?: number;
  signal?: AbortSignal;
}

export interface LookupResult {
  packet: DecodedPacket;
  /** Bytes of the reply as received. */
  size: number;
  /** dig's `address#port(name)`. */
  server: string;
  transport: Transport;
  /** The UDP answer had TC set; `packet` is the answer of the retry over TCP. */
  retriedOverTcp: boolean;
  elapsedMs: number;
}

function decodeReply(reply: Buffer, server: ServerAddress): DecodedPacket {
  try {
    if (!countsFit(reply)) throw new Error('section counts larger than the message');
    return dnsPacket.decode(reply);
  } catch (error) {
    throw new DcosError(`${serverLabel(server)} sent a malformed reply: ${(error as Error).message}`, {
      code: 'dns_malformed',
    });
  }
}

function isTruncated(reply: Buffer): boolean {
  return (reply.readUInt16BE(2) & FLAG_TC) !== 0;
}

/** Sends the query and returns the decoded answer; a truncated UDP answer is asked again over TCP, as dig does. */
export async function lookup(options: LookupOptions): Promise<LookupResult> {
  const started = performance.now();
  let address = options.server.host;
  if (isIP(address) === 0) {
    try {
      address = (await lookupHost(address)).address;
    } catch (error) {
      throw new DcosError(
        `cannot resolve the server name ${options.server.host}: ${(error as Error).message}`,
        {
          code: 'dns_unreachable',
        },
      );
    }
  }
  const server = { host: address, port: options.server.port };
  const message = dnsPacket.encode(options.query);
  const signal = options.signal ? { signal: options.signal } : {};
  let transport: Transport = options.tcp ? 'tcp' : 'udp';
  let reply =
    transport === 'tcp'
      ? await exchangeTcp(message, server, { timeoutMs: options.timeoutMs, ...signal })
      : await exchangeUdp(message, server, {
          timeoutMs: options.timeoutMs,
          retries: options.retries ?? 2,
          ...signal,
        });
  let retriedOverTcp = false;
  if (transport === 'udp' && isTruncated(reply)) {
    transport = 'tcp';
    retriedOverTcp = true;
    reply = await exchangeTcp(message, server, { timeoutMs: options.timeoutMs, ...signal });
  }
  return {
    packet: decodeReply(reply, server),
    size: reply.length,
    server: `${address}#${server.port}(${options.server.host})`,
    transport,
    retriedOverTcp,
    elapsedMs: performance.now() - started,
  };
}

export type LocalLookup =
  | {
      kind: 'answer';
      packet: DecodedPacket;
      size: number;
      transport: Transport;
      retriedOverTcp: boolean;
    }
  | { kind: 'forward'; resolvers: string[] };

/**
 * The reply `dcos dns serve` would send for this query, from these records: the query goes through the wire
 * format both ways, the answer through the server's own encoder (EDNS0, truncation), so what is printed is
 * what a client would receive. Over UDP a truncated reply is followed by the TCP one, as `lookup` does.
 */
export function lookupLocal(query: Packet, ctx: ResolveContext, options: { tcp: boolean }): LocalLookup {
  const asReceived = dnsPacket.decode(dnsPacket.encode(query));
  const resolution = resolve(asReceived, { ...ctx, preserveCase: true });
  if (resolution.kind === 'forward') return { kind: 'forward', resolvers: resolution.resolvers };
  const opt = queryOpt(asReceived);
  const encode = (transport: Transport) =>
    encodeResponse(resolution.response, {
      transport,
      compat: false,
      setTruncateBit: ctx.config.SetTruncateBit,
      queryOpt: opt,
      limit: answerSizeLimit(transport, false, opt?.udpPayloadSize),
    }).message;
  let transport: Transport = options.tcp ? 'tcp' : 'udp';
  let reply = encode(transport);
  let retriedOverTcp = false;
  if (transport === 'udp' && isTruncated(reply)) {
    transport = 'tcp';
    retriedOverTcp = true;
    reply = encode(transport);
  }
  return { kind: 'answer', packet: dnsPacket.decode(reply), size: reply.length, transport, retriedOverTcp };
}
