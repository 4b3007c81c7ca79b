/**
 * The Mesos-DNS query handler as a pure function: a decoded query and the current records in, a response
 * (or where to forward it) out. Wire encoding, EDNS0 and truncation are `encodeResponse`'s job.
 * Behaviour follows Mesos-DNS 0.7 resolver.go (shared/reference/mesos-dns.md §3).
 */
import { isIP } from 'node:net';

import type { Answer, OptAnswer, Packet, Question } from 'dns-packet';

import type { DnsConfig, RecordSet } from './types.js';
import {
  encodeMessage,
  encodeMessageWithOffsets,
  FLAG_AA,
  FLAG_CD,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  RCODE,
} from './wire.js';

export interface ResolveContext {
  records: RecordSet;
  config: DnsConfig;
  /** SOA serial: the Unix time of the last good load. */
  serial: number;
  /** For the shuffle; Math.random when absent. Tests inject a seeded one. */
  random?: () => number;
  /**
   * A/AAAA answers owned by the question's name keep the asker's spelling (RFC 4343 case preservation, and
   * what DNS 0x20 clients expect) instead of Mesos-DNS's lowercased owner. SRV, SOA and NS owners always do.
   */
  preserveCase?: boolean;
}

export type Resolution =
  | { kind: 'answer'; response: Packet }
  | { kind: 'forward'; resolvers: string[] }
  | { kind: 'refused'; response: Packet };

export type Transport = 'udp' | 'tcp';

export type Query = Packet & { flags?: number };

const OPCODE_MASK = 0xf << 11;

/** `.*` removed and lowercased, absolute: Mesos-DNS's lookup key. */
export function normaliseName(name: string): string {
  const stripped = name.includes('.*') ? name.replaceAll('.*', '') : name;
  return absolute(stripped.toLowerCase());
}

function absolute(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') ? name : `${name}.`;
}

function inZone(name: string, zone: string): boolean {
  const suffix = absolute(zone.toLowerCase());
  if (suffix === '.') return true;
  return name === suffix || name.endsWith(`.${suffix}`);
}

/** The reply skeleton every answer shares: opcode echoed, RD and CD copied, the question echoed. */
function replyTo(query: Query, flags: number, rcode: number): Packet {
  const queryFlags = query.flags ?? 0;
  return {
    type: 'response',
    id: query.id ?? 0,
    flags: (queryFlags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | flags | rcode,
    questions: query.questions ?? [],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** The REFUSED reply: no AA and no RA (Mesos-DNS's `SetRcode` on a bare reply). */
export function refusedReply(query: Query): Packet {
  return replyTo(query, 0, RCODE.REFUSED);
}

export function errorReply(query: Query, rcode: number): Packet {
  return replyTo(query, 0, rcode);
}

/**
 * Where a name goes: the Mesos domain locally; a ZoneResolvers zone (longest suffix) or the default
 * Resolvers when ExternalOn; REFUSED otherwise. Uses the question as asked (lowercased), like miekg's mux.
 */
export function route(
  qname: string,
  config: DnsConfig,
): { kind: 'local' } | { kind: 'forward'; resolvers: string[] } | { kind: 'refused' } {
  const name = absolute(qname.toLowerCase());
  if (inZone(name, config.Domain)) return { kind: 'local' };
  if (!config.ExternalOn) return { kind: 'refused' };
  let best: string | undefined;
  for (const zone of Object.keys(config.ZoneResolvers)) {
    if (inZone(name, zone) && (best === undefined || absolute(zone).length > absolute(best).length)) {
      best = zone;
    }
  }
  const resolvers = best === undefined ? config.Resolvers : (config.ZoneResolvers[best] ?? []);
  return resolvers.length > 0 ? { kind: 'forward', resolvers } : { kind: 'refused' };
}

export function resolve(query: Query, ctx: ResolveContext): Resolution {
  const question = query.questions?.[0];
  if (!question) return { kind: 'refused', response: errorReply(query, RCODE.FORMERR) };
  const routed = route(question.name, ctx.config);
  if (routed.kind === 'forward') return routed;
  if (routed.kind === 'refused') return { kind: 'refused', response: refusedReply(query) };
  return { kind: 'answer', response: answerLocally(query, question, ctx) };
}

function soaRecord(owner: string, ctx: ResolveContext): Answer {
  const { config } = ctx;
  return {
    name: owner,
    type: 'SOA',
    class: 'IN',
    ttl: config.TTL,
    data: {
      mname: config.SOAMname,
      rname: config.SOARname,
      serial: ctx.serial >>> 0,
      refresh: config.SOARefresh,
      retry: config.SOARetry,
      expire: config.SOAExpire,
      // Mesos-DNS puts TTL here and ignores SOAMinttl (reference §3.2).
      minimum: config.TTL,
    },
  };
}

function addressRecords(
  type: 'A' | 'AAAA',
  name: string,
  values: string[] | undefined,
  ttl: number,
): Answer[] {
  const family = type === 'A' ? 4 : 6;
  const records: Answer[] = [];
  // Mesos-DNS skips values that are not addresses of the right family (a hostname stored as an agent "IP").
  for (const value of values ?? []) {
    if (isIP(value) === family) records.push({ name, type, class: 'IN', ttl, data: value });
  }
  return records;
}

function firstAddress(values: string[] | undefined, family: 4 | 6): string | undefined {
  return values?.find((value) => isIP(value) === family);
}

/** Splits `target.:port` at the last colon. */
function splitSrv(value: string): { target: string; port: number } | undefined {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = Number(value.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { target: value.slice(0, colon), port };
}

function srvRecords(question: Question, name: string, ctx: ResolveContext, response: Packet): void {
  const { records, config } = ctx;
  const glued = new Set<string>();
  for (const value of records.srv.get(name) ?? []) {
    const srv = splitSrv(value);
    if (!srv) continue;
    response.answers!.push({
      // Mesos-DNS answers SRV under the question's own spelling, unlike A/AAAA.
      name: question.name,
      type: 'SRV',
      class: 'IN',
      ttl: config.TTL,
      data: { priority: 0, weight: config.SRVRecordDefaultWeight, port: srv.port, target: srv.target },
    });
    const target = absolute(srv.target);
    if (glued.has(target)) continue;
    const a = firstAddress(records.a.get(target), 4);
    const aaaa = firstAddress(records.aaaa.get(target), 6);
    if (a === undefined && aaaa === undefined) continue;
    if (a !== undefined) response.additionals!.push(...addressRecords('A', target, [a], config.TTL));
    if (aaaa !== undefined) response.additionals!.push(...addressRecords('AAAA', target, [aaaa], config.TTL));
    glued.add(target);
  }
}

function answerLocally(query: Query, question: Question, ctx: ResolveContext): Packet {
  const { records, config } = ctx;
  const response = replyTo(query, FLAG_AA | (config.RecurseOn ? FLAG_RA : 0), RCODE.NOERROR);
  const name = normaliseName(question.name);
  // The key of the records, or the question's own spelling of it when the asker's case is kept.
  const owner = ctx.preserveCase && absolute(question.name.toLowerCase()) === name ? question.name : name;
  const answers = response.answers!;
  const authorities = response.authorities!;
  const type: string = question.type;
  const soa = () => authorities.push(soaRecord(question.name, ctx));
  const ns = () =>
    authorities.push({
      name: question.name,
      type: 'NS',
      class: 'IN',
      ttl: config.TTL,
      data: config.SOAMname,
    });
  switch (type) {
    case 'SRV':
      srvRecords(question, name, ctx, response);
      break;
    case 'A':
      answers.push(...addressRecords('A', owner, records.a.get(name), config.TTL));
      break;
    case 'AAAA':
      answers.push(...addressRecords('AAAA', owner, records.aaaa.get(name), config.TTL));
      break;
    case 'SOA':
      soa();
      break;
    case 'NS':
      ns();
      break;
    case 'ANY':
      srvRecords(question, name, ctx, response);
      answers.push(...addressRecords('A', owner, records.a.get(name), config.TTL));
      answers.push(...addressRecords('AAAA', owner, records.aaaa.get(name), config.TTL));
      soa();
      ns();
      break;
    default:
      break;
  }
  if (answers.length > 0) {
    shuffle(answers, ctx.random ?? Math.random);
    return response;
  }
  if (type === 'SOA' || type === 'NS' || type === 'SRV') return response;
  const exists =
    (records.a.get(name)?.length ?? 0) > 0 ||
    (records.aaaa.get(name)?.length ?? 0) > 0 ||
    (records.srv.get(name)?.length ?? 0) > 0;
  if (!exists) response.flags = (response.flags! & ~0xf) | RCODE.NXDOMAIN;
  // For ANY this is a second SOA, as Mesos-DNS sends.
  soa();
  return response;
}

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const item = items[i]!;
    items[i] = items[j]!;
    items[j] = item;
  }
}

/** The query's EDNS0 OPT record, if any. */
export function queryOpt(query: Packet): OptAnswer | undefined {
  return query.additionals?.find((record): record is OptAnswer => record.type === 'OPT');
}

export const MIN_UDP_SIZE = 512;
export const MAX_UDP_SIZE = 4096;
export const MAX_TCP_SIZE = 65535;

/**
 * The size a reply may have. TCP: 65535. UDP: 512 in compat mode (Mesos-DNS never echoes OPT, so miekg
 * falls back to 512); otherwise the client's advertised EDNS0 size, clamped to 512..4096.
 */
export function sizeLimit(transport: Transport, compat: boolean, ednsSize: number | undefined): number {
  if (transport === 'tcp') return MAX_TCP_SIZE;
  if (compat || ednsSize === undefined) return MIN_UDP_SIZE;
  return Math.min(Math.max(ednsSize, MIN_UDP_SIZE), MAX_UDP_SIZE);
}

export interface EncodeOptions {
  transport: Transport;
  compat: boolean;
  setTruncateBit: boolean;
  /** The query's OPT, if it had one. */
  queryOpt?: OptAnswer | undefined;
  /** An upstream reply being relayed: its own OPT (if any) is kept instead of ours. */
  relayed?: boolean;
}

export interface Encoded {
  message: Buffer;
  truncated: boolean;
}

/** Our OPT: 4096 bytes offered, EDNS version 0, the DO bit copied (RFC 3225), no options. */
export function ourOpt(opt: OptAnswer, extendedRcode = 0): OptAnswer {
  return {
    name: '.',
    type: 'OPT',
    udpPayloadSize: MAX_UDP_SIZE,
    extendedRcode,
    ednsVersion: 0,
    flags: (opt.flags ?? 0) & 0x8000,
    flag_do: opt.flag_do,
    options: [],
  };
}

function isOpt(record: Answer): record is OptAnswer {
  return record.type === 'OPT';
}

/** The message as sent before any truncation: our OPT in place of the client's, TC only if already set. */
function untruncated(
  response: Packet,
  options: Pick<EncodeOptions, 'compat' | 'setTruncateBit' | 'queryOpt' | 'relayed'>,
): { message: Packet; opt: OptAnswer | undefined } {
  const { compat, relayed = false } = options;
  const message: Packet = { ...response, answers: [...(response.answers ?? [])] };
  const original = response.additionals ?? [];
  let opt: OptAnswer | undefined;
  if (relayed) opt = original.find(isOpt);
  else if (!compat && options.queryOpt) opt = ourOpt(options.queryOpt);
  message.additionals = relayed ? [...original] : [...original.filter((record) => !isOpt(record))];
  if (opt && !relayed) message.additionals.push(opt);
  // An upstream TC survives (when TC may be set at all).
  message.flags = withTc(message.flags ?? 0, ((message.flags ?? 0) & FLAG_TC) !== 0, options.setTruncateBit);
  return { message, opt };
}

function withTc(flags: number, on: boolean, setTruncateBit: boolean): number {
  return on && setTruncateBit ? flags | FLAG_TC : flags & ~FLAG_TC;
}

/**
 * Encodes a reply for the transport, truncating like Mesos-DNS (§3.3): when too big, set TC (only with
 * SetTruncateBit; otherwise TC is always cleared), drop ADDITIONAL, then drop the fewest answers from the
 * end until the message is below the limit. Outside compat mode the client's OPT is answered (ours, or the
 * upstream's when relaying), sets the UDP limit, and survives truncation. In compat mode no OPT is added and
 * a relayed reply's own OPT sets the limit, as in Mesos-DNS. `limit` overrides the transport's limit.
 */
export function encodeResponse(response: Packet, options: EncodeOptions & { limit?: number }): Encoded {
  const { compat, relayed = false } = options;
  const { message, opt } = untruncated(response, options);
  const limit =
    options.limit ??
    (compat && relayed && options.transport === 'udp'
      ? Math.max(opt?.udpPayloadSize ?? MIN_UDP_SIZE, MIN_UDP_SIZE)
      : sizeLimit(options.transport, compat, options.queryOpt?.udpPayloadSize));
  let encoded = encodeMessage(message);
  if (encoded.length <= limit) return { message: encoded, truncated: false };
  message.flags = withTc(message.flags ?? 0, true, options.setTruncateBit);
  // RFC 6891 §7 keeps the OPT in a truncated reply; Mesos-DNS drops ADDITIONAL whole.
  message.additionals = opt && !compat ? [opt] : [];
  encoded = encodeMessage(message);
  if (encoded.length < limit) return { message: encoded, truncated: true };
  const answers = message.answers!;
  let low = 0;
  let high = answers.length;
  let best = encodeWith(message, answers, 0);
  // The largest answer count whose message is still below the limit (Mesos-DNS's binary search).
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const candidate = encodeWith(message, answers, mid);
    if (candidate.length < limit) {
      low = mid;
      best = candidate;
    } else {
      high = mid - 1;
    }
  }
  return { message: best, truncated: true };
}

function encodeWith(message: Packet, answers: Answer[], count: number): Buffer {
  return encodeMessage({ ...message, answers: answers.slice(0, count) });
}

/**
 * UDP size classes of locally answered replies: a client's EDNS0 size is rounded down to one of these, so
 * however many sizes clients advertise, a cached answer has at most four cuts (with TCP's 65535).
 * 1232 is the DNS Flag Day 2020 size that avoids IP fragmentation.
 */
export const UDP_SIZE_CLASSES: readonly number[] = [MIN_UDP_SIZE, 1232, MAX_UDP_SIZE];
const ANSWER_SIZE_LIMITS: readonly number[] = [...UDP_SIZE_CLASSES, MAX_TCP_SIZE];

/** The limit of a locally answered reply: `sizeLimit` with the client's EDNS0 size rounded down to its class. */
export function answerSizeLimit(transport: Transport, compat: boolean, ednsSize: number | undefined): number {
  const exact = sizeLimit(transport, compat, ednsSize);
  if (transport === 'tcp') return exact;
  return UDP_SIZE_CLASSES.reduce((chosen, size) => (size <= exact ? size : chosen), MIN_UDP_SIZE);
}

/**
 * A local answer encoded once, whole, and cut to any size limit without encoding again (the cut after the
 * k-th answer is a byte prefix of the whole message plus the OPT). Replies that also carry authority records
 * (ANY) are not prefixes when cut; their cuts for every size class are encoded up front instead.
 */
export interface PreparedAnswer {
  message: Buffer;
  answerEnds: Uint32Array;
  /** The OPT a truncated reply keeps (RFC 6891 §7): empty in compat mode or without EDNS0. */
  opt: Buffer;
  setTruncateBit: boolean;
  cuts: Map<number, Buffer> | undefined;
  /** Answers kept per size limit, worked out on first use. */
  kept: Map<number, number>;
  /** Memory held, for the cache's byte budget. */
  bytes: number;
}

/** Bookkeeping of a prepared answer beyond its buffers: objects, maps and their slots. */
const PREPARED_OVERHEAD_BYTES = 400;

export function prepareAnswer(
  response: Packet,
  options: Pick<EncodeOptions, 'compat' | 'setTruncateBit' | 'queryOpt'>,
): PreparedAnswer {
  const { message, opt } = untruncated(response, options);
  const { message: whole, answerEnds } = encodeMessageWithOffsets(message);
  const keptOpt =
    opt && !options.compat ? encodeMessage({ additionals: [opt] }).subarray(12) : Buffer.alloc(0);
  let cuts: Map<number, Buffer> | undefined;
  let bytes = whole.length + answerEnds.byteLength + keptOpt.length + PREPARED_OVERHEAD_BYTES;
  if ((message.authorities?.length ?? 0) > 0 && (message.answers?.length ?? 0) > 0) {
    cuts = new Map();
    for (const limit of ANSWER_SIZE_LIMITS) {
      if (whole.length <= limit) continue;
      const cut = encodeResponse(response, { ...options, transport: 'udp', limit }).message;
      cuts.set(limit, cut);
      bytes += cut.length;
    }
  }
  return {
    message: whole,
    answerEnds,
    opt: keptOpt,
    setTruncateBit: options.setTruncateBit,
    cuts,
    kept: new Map(),
    bytes,
  };
}

/**
 * The prepared answer within `limit` bytes, as `encodeResponse` would truncate it, in a new buffer the caller
 * may patch. `limit` is one of the size classes (see `answerSizeLimit`).
 */
export function cutAnswer(prepared: PreparedAnswer, limit: number): Encoded {
  const whole = prepared.message;
  if (whole.length <= limit) return { message: Buffer.from(whole), truncated: false };
  if (prepared.cuts) {
    const cut = prepared.cuts.get(limit) ?? [...prepared.cuts.values()][0]!;
    return { message: Buffer.from(cut), truncated: true };
  }
  const ends = prepared.answerEnds;
  const optLength = prepared.opt.length;
  let kept = prepared.kept.get(limit);
  if (kept === undefined) {
    // The most answers that leave the message below the limit; none when not even the question fits.
    let low = 0;
    let high = ends.length - 1;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (ends[mid]! + optLength < limit) low = mid;
      else high = mid - 1;
    }
    kept = low;
    prepared.kept.set(limit, kept);
  }
  const end = ends[kept]!;
  const reply = Buffer.allocUnsafe(end + optLength);
  whole.copy(reply, 0, 0, end);
  prepared.opt.copy(reply, end);
  reply.writeUInt16BE(withTc(whole.readUInt16BE(2), true, prepared.setTruncateBit), 2);
  reply.writeUInt16BE(kept, 6);
  reply.writeUInt16BE(0, 8);
  reply.writeUInt16BE(optLength > 0 ? 1 : 0, 10);
  return { message: reply, truncated: true };
}
