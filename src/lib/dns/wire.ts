/**
 * DNS wire format helpers the server needs and dns-packet lacks: a message encoder with name compression
 * (dns-packet never compresses, and Mesos-DNS's truncation sizes assume compression), and a cheap parse of a
 * query's header and question for the answer cache.
 */
import dnsPacket from 'dns-packet';
import type { Answer, OptAnswer, Packet, Question } from 'dns-packet';

export const FLAG_QR = 1 << 15;
export const FLAG_AA = 1 << 10;
export const FLAG_TC = 1 << 9;
export const FLAG_RD = 1 << 8;
export const FLAG_RA = 1 << 7;
export const FLAG_AD = 1 << 5;
export const FLAG_CD = 1 << 4;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

export const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export const OPCODE_NAMES = ['QUERY', 'IQUERY', 'STATUS', 'OPCODE3', 'NOTIFY', 'UPDATE'];

const TYPE_CODES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  AXFR: 252,
  ANY: 255,
};

const CLASS_CODES: Record<string, number> = { IN: 1, CS: 2, CH: 3, HS: 4, ANY: 255 };

export function typeCode(type: string): number {
  const known = TYPE_CODES[type];
  if (known !== undefined) return known;
  const unknown = /^UNKNOWN_(\d+)$/.exec(type);
  if (unknown) return Number(unknown[1]);
  // dns-packet maps the long tail (CAA, DNSKEY, ...): the type of a one-question message for the root.
  return dnsPacket.encode({ questions: [{ name: '.', type: type as Question['type'] }] }).readUInt16BE(13);
}

/** dns-packet's single-record encoder: exported at runtime, missing from @types/dns-packet. */
const encodeRecord = (dnsPacket as unknown as { answer: { encode(record: Answer): Buffer } }).answer.encode;

function classCode(klass: string | undefined): number {
  if (klass === undefined) return 1;
  const known = CLASS_CODES[klass];
  if (known !== undefined) return known;
  const unknown = /^UNKNOWN_(\d+)$/.exec(klass);
  return unknown ? Number(unknown[1]) : 1;
}

/** A growable buffer that writes names with RFC 1035 compression (case-sensitive, like miekg/dns). */
class Writer {
  buf: Buffer;
  offset = 0;
  private readonly names = new Map<string, number>();

  constructor(size = 512) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(bytes: number): void {
    if (this.offset + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.offset + bytes));
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.offset++] = value & 0xff;
  }

  u16(value: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(value & 0xffff, this.offset);
    this.offset += 2;
  }

  u32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(value >>> 0, this.offset);
    this.offset += 4;
  }

  bytes(data: Buffer): void {
    this.ensure(data.length);
    data.copy(this.buf, this.offset);
    this.offset += data.length;
  }

  name(name: string, compress = true): void {
    const trimmed = name.replace(/^\.|\.$/g, '');
    if (trimmed === '') return this.u8(0);
    const labels = trimmed.split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = i === 0 ? trimmed : labels.slice(i).join('.');
      const pointer = compress ? this.names.get(suffix) : undefined;
      if (pointer !== undefined) return this.u16(0xc000 | pointer);
      if (this.offset < 0x3fff) this.names.set(suffix, this.offset);
      const label = Buffer.from(labels[i]!, 'utf8');
      if (label.length === 0 || label.length > 63) throw new Error(`bad label in ${name}`);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  result(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
}

function writeQuestion(writer: Writer, question: Question): void {
  writer.name(question.name);
  writer.u16(typeCode(question.type));
  writer.u16(classCode(question.class));
}

const OWN_TYPES = new Set(['A', 'AAAA', 'NS', 'CNAME', 'PTR', 'SRV', 'MX', 'SOA']);

function writeRecord(writer: Writer, record: Answer): void {
  if (!OWN_TYPES.has(record.type)) {
    // OPT and the long tail (only in relayed upstream replies): dns-packet's own uncompressed encoding.
    writer.bytes(encodeRecord(record));
    return;
  }
  writer.name(record.name);
  writer.u16(typeCode(record.type));
  const common = record as Exclude<Answer, OptAnswer>;
  writer.u16(classCode(common.class));
  writer.u32(common.ttl ?? 0);
  const lengthAt = writer.offset;
  writer.u16(0);
  const dataStart = writer.offset;
  switch (record.type) {
    case 'A':
    case 'AAAA': {
      writer.bytes(encodeRecord(record).subarray(record.type === 'A' ? -4 : -16));
      break;
    }
    case 'NS':
    case 'CNAME':
    case 'PTR':
      writer.name(record.data);
      break;
    case 'SRV':
      writer.u16(record.data.priority ?? 0);
      writer.u16(record.data.weight ?? 0);
      writer.u16(record.data.port);
      // RFC 2782: the target is never compressed.
      writer.name(record.data.target, false);
      break;
    case 'MX':
      writer.u16(record.data.preference ?? 0);
      writer.name(record.data.exchange);
      break;
    case 'SOA':
      writer.name(record.data.mname);
      writer.name(record.data.rname);
      writer.u32(record.data.serial ?? 0);
      writer.u32(record.data.refresh ?? 0);
      writer.u32(record.data.retry ?? 0);
      writer.u32(record.data.expire ?? 0);
      writer.u32(record.data.minimum ?? 0);
      break;
  }
  writer.buf.writeUInt16BE(writer.offset - dataStart, lengthAt);
}

/** Encodes a message like dns-packet's `encode`, but compressing names. `flags` carries opcode and rcode. */
export function encodeMessage(packet: Packet): Buffer {
  return Buffer.from(encodeWithWriter(packet).result());
}

export interface EncodedWithOffsets {
  /** Not from Node's shared buffer pool: a cached reply must not pin an 8 KB pool slab. */
  message: Buffer;
  /**
   * `answerEnds[0]` is where the question section ends, `answerEnds[k]` where the k-th answer ends. A message
   * cut after answer k is a byte prefix: compression pointers only ever point backwards.
   */
  answerEnds: Uint32Array;
}

/** `encodeMessage`, also reporting where each answer ends, so truncation needs no further encoding. */
export function encodeMessageWithOffsets(packet: Packet): EncodedWithOffsets {
  const answerEnds = new Uint32Array((packet.answers?.length ?? 0) + 1);
  const result = encodeWithWriter(packet, answerEnds).result();
  const message = Buffer.allocUnsafeSlow(result.length);
  result.copy(message);
  return { message, answerEnds };
}

function encodeWithWriter(packet: Packet, answerEnds?: Uint32Array): Writer {
  const writer = new Writer();
  const questions = packet.questions ?? [];
  const answers = packet.answers ?? [];
  const authorities = packet.authorities ?? [];
  const additionals = packet.additionals ?? [];
  writer.u16(packet.id ?? 0);
  writer.u16(((packet.flags ?? 0) & 0x7fff) | (packet.type === 'response' ? FLAG_QR : 0));
  writer.u16(questions.length);
  writer.u16(answers.length);
  writer.u16(authorities.length);
  writer.u16(additionals.length);
  for (const question of questions) writeQuestion(writer, question);
  if (answerEnds) answerEnds[0] = writer.offset;
  answers.forEach((record, index) => {
    writeRecord(writer, record);
    if (answerEnds) answerEnds[index + 1] = writer.offset;
  });
  for (const record of authorities) writeRecord(writer, record);
  for (const record of additionals) writeRecord(writer, record);
  return writer;
}

/** What the cache needs from a query without a full decode. Undefined when anything is unusual. */
export interface QueryShape {
  /** The question's bytes exactly as sent (name, type, class). */
  question: Buffer;
  qtype: number;
  opcode: number;
  flags: number;
  /** The OPT record's advertised UDP size, or undefined without EDNS0. */
  ednsSize: number | undefined;
  ednsVersion: number;
  dnssecOk: boolean;
}

/**
 * Parses the common query shape: one question, no answer/authority records, at most one additional which is
 * an OPT, nothing trailing. Returns undefined for anything else (the slow path then decodes it fully).
 */
export function parseQueryShape(message: Buffer): QueryShape | undefined {
  if (message.length < 17) return undefined;
  const flags = message.readUInt16BE(2);
  if (flags & FLAG_QR) return undefined;
  if (message.readUInt16BE(4) !== 1 || message.readUInt16BE(6) !== 0 || message.readUInt16BE(8) !== 0) {
    return undefined;
  }
  const additional = message.readUInt16BE(10);
  if (additional > 1) return undefined;
  let offset = 12;
  for (;;) {
    if (offset >= message.length) return undefined;
    const length = message[offset]!;
    if (length === 0) break;
    if (length > 63) return undefined;
    offset += length + 1;
  }
  offset += 1;
  if (offset + 4 > message.length || offset - 12 > 255) return undefined;
  const qtype = message.readUInt16BE(offset);
  const question = message.subarray(12, offset + 4);
  offset += 4;
  let ednsSize: number | undefined;
  let ednsVersion = 0;
  let dnssecOk = false;
  if (additional === 1) {
    if (offset + 11 > message.length || message[offset] !== 0) return undefined;
    if (message.readUInt16BE(offset + 1) !== 41) return undefined;
    ednsSize = message.readUInt16BE(offset + 3);
    ednsVersion = message[offset + 6]!;
    dnssecOk = (message.readUInt16BE(offset + 7) & 0x8000) !== 0;
    offset += 11 + message.readUInt16BE(offset + 9);
  }
  if (offset !== message.length) return undefined;
  return { question, qtype, opcode: (flags >> 11) & 0xf, flags, ednsSize, ednsVersion, dnssecOk };
}

/**
 * Whether the header's section counts can fit in the message: a question takes at least 5 bytes, a record
 * 11. dns-packet allocates arrays of the claimed sizes before reading a byte (up to 4 x 65535 slots, about
 * half a millisecond), so garbage must be turned away before it gets there.
 */
export function countsFit(message: Buffer): boolean {
  if (message.length < 12) return false;
  const questions = message.readUInt16BE(4);
  const records = message.readUInt16BE(6) + message.readUInt16BE(8) + message.readUInt16BE(10);
  return questions * 5 + records * 11 <= message.length - 12;
}

const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const LOWER_A = 0x61;
const LOWER_Z = 0x7a;

/**
 * The spelling a question is answered and cached under: as asked when its name has no capital letters (the
 * common case; the reply is then byte for byte what it always was), otherwise with every ASCII letter of the
 * name in capitals, so all mixed-case spellings of a name share one cache entry (DNS 0x20 randomises case).
 * Only the name's bytes change (label lengths are at most 63, below 'A'), never the type and class.
 */
export function canonicalQuestion(question: Buffer): Buffer {
  const nameEnd = question.length - 4;
  let mixed = false;
  for (let i = 0; i < nameEnd && !mixed; i++) mixed = question[i]! >= UPPER_A && question[i]! <= UPPER_Z;
  if (!mixed) return question;
  const canonical = Buffer.from(question);
  for (let i = 0; i < nameEnd; i++) {
    if (canonical[i]! >= LOWER_A && canonical[i]! <= LOWER_Z) canonical[i] = canonical[i]! - 0x20;
  }
  return canonical;
}

/** The same canonical spelling for a decoded name (see `canonicalQuestion`). */
export function canonicalName(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[a-z]+/g, (letters) => letters.toUpperCase()) : name;
}

/**
 * An empty reply with TC set, the question echoed when it is a plain one: what response rate limiting "slips"
 * to a client over its limit, so a real client retries over TCP while a spoofed victim gets nothing larger
 * than the query. Undefined for anything that is not a query with a readable header.
 */
export function emptyTruncatedReply(message: Buffer): Buffer | undefined {
  if (message.length < 12) return undefined;
  const flags = message.readUInt16BE(2);
  if (flags & FLAG_QR) return undefined;
  let end = 12;
  if (message.readUInt16BE(4) === 1) {
    for (;;) {
      const length = message[end];
      if (length === undefined || length > 63) {
        end = 12;
        break;
      }
      end += length + 1;
      if (length === 0) break;
    }
    end = end > 12 && end + 4 <= message.length ? end + 4 : 12;
  }
  const reply = Buffer.alloc(end);
  message.copy(reply, 0, 0, end);
  reply.writeUInt16BE(FLAG_QR | FLAG_TC | (flags & ((0xf << 11) | FLAG_RD | FLAG_CD)), 2);
  reply.writeUInt16BE(end > 12 ? 1 : 0, 4);
  reply.writeUInt32BE(0, 6);
  reply.writeUInt16BE(0, 10);
  return reply;
}
