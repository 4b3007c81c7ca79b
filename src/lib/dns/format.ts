/**
 * A decoded DNS message as dig prints it, and as JSON. Pure: no I/O, and no dns-packet import (callers hand
 * in what dns-packet decoded). Every name and string from the wire is escaped, so a hostile reply cannot
 * put control characters on the user's terminal.
 */
import type { Answer, OptAnswer, Packet } from 'dns-packet';

import { FLAG_AA, FLAG_AD, FLAG_CD, FLAG_RA, FLAG_RD, FLAG_TC } from './wire.js';

const RCODES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];
const OPCODES = ['QUERY', 'IQUERY', 'STATUS', 'RESERVED3', 'NOTIFY', 'UPDATE'];

/** dig's order. The QR bit is not in dns-packet's `flags`; it comes from `type`. */
const FLAG_NAMES: [number, string][] = [
  [FLAG_AA, 'aa'],
  [FLAG_TC, 'tc'],
  [FLAG_RD, 'rd'],
  [FLAG_RA, 'ra'],
  [FLAG_AD, 'ad'],
  [FLAG_CD, 'cd'],
];

export interface RecordJson {
  name: string;
  ttl: number;
  class: string;
  type: string;
  /** The record data in dig's presentation form (`0 1 31354 target.` for SRV). */
  data: string;
}

export interface MessageJson {
  header: { id: number; opcode: string; rcode: string; flags: string[] };
  question: { name: string; class: string; type: string }[];
  answer: RecordJson[];
  authority: RecordJson[];
  /** Without the OPT pseudo-record; that is `edns`. */
  additional: RecordJson[];
  edns: { version: number; flags: string[]; udp: number } | null;
}

export function rcodeName(rcode: number): string {
  if (rcode === 16) return 'BADVERS';
  return RCODES[rcode] ?? `RESERVED${rcode}`;
}

function opcodeName(opcode: number): string {
  return OPCODES[opcode] ?? `RESERVED${opcode}`;
}

/** `\DDD` for bytes outside printable ASCII (and for `extra` characters), as in master files. */
function escapeText(text: string, extra: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (byte <= 0x20 || byte >= 0x7f) out += `\\${String(byte).padStart(3, '0')}`;
    else if (extra.includes(char)) out += `\\${char}`;
    else out += char;
  }
  return out;
}

/** Absolute and escaped; dns-packet gives names without the trailing dot and the root as `.`. */
export function presentName(name: string): string {
  if (name === '' || name === '.') return '.';
  const escaped = escapeText(name, '"();@$');
  return escaped.endsWith('.') ? escaped : `${escaped}.`;
}

function quoted(value: string | Buffer): string {
  const text = (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('latin1');
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code >= 0x7f) out += `\\${String(code & 0xff).padStart(3, '0')}`;
    else if (text[i] === '"' || text[i] === '\\') out += `\\${text[i]}`;
    else out += text[i];
  }
  return `"${out}"`;
}

/** dns-packet spells unknown types and classes `UNKNOWN_n`; dig writes TYPEn and CLASSn (RFC 3597). */
function typeName(type: string): string {
  return type.startsWith('UNKNOWN_') ? `TYPE${type.slice(8)}` : type;
}

function className(klass: string | undefined): string {
  if (klass === undefined) return 'IN';
  return klass.startsWith('UNKNOWN_') ? `CLASS${klass.slice(8)}` : klass;
}

function genericData(data: Buffer): string {
  return data.length === 0 ? '\\# 0' : `\\# ${data.length} ${data.toString('hex')}`;
}

/** The data column of one record. */
export function recordData(record: Exclude<Answer, OptAnswer>): string {
  const data: unknown = record.data;
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return escapeText(String(data), '');
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      return presentName(String(data));
    case 'SRV': {
      const srv = record.data;
      return `${srv.priority ?? 0} ${srv.weight ?? 0} ${srv.port} ${presentName(srv.target)}`;
    }
    case 'SOA': {
      const soa = record.data;
      const numbers = [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum].map((n) => n ?? 0);
      return `${presentName(soa.mname)} ${presentName(soa.rname)} ${numbers.join(' ')}`;
    }
    case 'MX':
      return `${record.data.preference ?? 0} ${presentName(record.data.exchange)}`;
    case 'TXT': {
      const strings = Array.isArray(record.data) ? record.data : [record.data];
      return strings.map(quoted).join(' ');
    }
    case 'CAA':
      return `${record.data.flags ?? 0} ${record.data.tag} ${quoted(record.data.value)}`;
    case 'HINFO':
      return `${quoted(record.data.cpu)} ${quoted(record.data.os)}`;
    default:
      break;
  }
  if (Buffer.isBuffer(data)) return genericData(data);
  // Types dns-packet parses but dig users rarely meet here (DNSKEY, RRSIG, ...): fields in order.
  if (data && typeof data === 'object') {
    return Object.values(data as Record<string, unknown>)
      .map((value) =>
        Buffer.isBuffer(value)
          ? value.toString('base64')
          : Array.isArray(value)
            ? value.join(' ')
            : escapeText(String(value), ''),
      )
      .join(' ');
  }
  return escapeText(String(data), '');
}

function isOpt(record: Answer): record is OptAnswer {
  return record.type === 'OPT';
}

function recordJson(record: Exclude<Answer, OptAnswer>): RecordJson {
  return {
    name: presentName(record.name),
    ttl: record.ttl ?? 0,
    class: className(record.class),
    type: typeName(record.type),
    data: recordData(record),
  };
}

function records(list: Answer[] | undefined): RecordJson[] {
  return (list ?? []).filter((record) => !isOpt(record)).map(recordJson);
}

/** The message as data; the status includes the OPT's extended rcode bits (BADVERS is 16). */
export function messageJson(packet: Packet): MessageJson {
  const flags = packet.flags ?? 0;
  const opt = (packet.additionals ?? []).find(isOpt);
  const rcode = (flags & 0xf) | ((opt?.extendedRcode ?? 0) << 4);
  return {
    header: {
      id: packet.id ?? 0,
      opcode: opcodeName((flags >> 11) & 0xf),
      rcode: rcodeName(rcode),
      flags: [
        ...(packet.type === 'response' ? ['qr'] : []),
        ...FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name),
      ],
    },
    question: (packet.questions ?? []).map((question) => ({
      name: presentName(question.name),
      class: className(question.class),
      type: typeName(question.type),
    })),
    answer: records(packet.answers),
    authority: records(packet.authorities),
    additional: records(packet.additionals),
    edns: opt
      ? {
          version: opt.ednsVersion,
          flags: ((opt.flags ?? 0) & 0x8000) !== 0 ? ['do'] : [],
          udp: opt.udpPayloadSize,
        }
      : null,
  };
}

function recordLine(record: RecordJson): string {
  return `${record.name}\t${record.ttl}\t${record.class}\t${record.type}\t${record.data}`;
}

/** The message part of dig's output: header, OPT pseudo-section, then each non-empty section. */
export function formatMessage(packet: Packet): string[] {
  const message = messageJson(packet);
  const { header } = message;
  const counts = [
    packet.questions?.length ?? 0,
    packet.answers?.length ?? 0,
    packet.authorities?.length ?? 0,
    packet.additionals?.length ?? 0,
  ];
  const lines = [
    `;; ->>HEADER<<- opcode: ${header.opcode}, status: ${header.rcode}, id: ${header.id}`,
    `;; flags: ${header.flags.join(' ')}; QUERY: ${counts[0]}, ANSWER: ${counts[1]}, AUTHORITY: ${counts[2]}, ADDITIONAL: ${counts[3]}`,
  ];
  const rd = header.flags.includes('rd');
  if (packet.type === 'response' && rd && !header.flags.includes('ra')) {
    lines.push(';; WARNING: recursion requested but not available');
  }
  lines.push('');
  if (message.edns) {
    const { version, flags, udp } = message.edns;
    lines.push(
      ';; OPT PSEUDOSECTION:',
      `; EDNS: version: ${version}, flags:${flags.map((f) => ` ${f}`).join('')}; udp: ${udp}`,
    );
  }
  if (message.question.length > 0) {
    lines.push(';; QUESTION SECTION:');
    for (const question of message.question)
      lines.push(`;${question.name}\t\t${question.class}\t${question.type}`);
    lines.push('');
  }
  const sections: [string, RecordJson[]][] = [
    ['ANSWER', message.answer],
    ['AUTHORITY', message.authority],
    ['ADDITIONAL', message.additional],
  ];
  for (const [name, list] of sections) {
    if (list.length === 0) continue;
    lines.push(`;; ${name} SECTION:`, ...list.map(recordLine), '');
  }
  return lines;
}

export interface ExchangeInfo {
  /** `127.0.0.1#8053(127.0.0.1)` as dig writes it, or a description for local answers. */
  server: string;
  transport: 'udp' | 'tcp';
  size: number;
  elapsedMs?: number;
}

/** dig's trailer: query time, server and transport, message size. */
export function formatTrailer(info: ExchangeInfo): string[] {
  return [
    ...(info.elapsedMs === undefined ? [] : [`;; Query time: ${Math.round(info.elapsedMs)} msec`]),
    `;; SERVER: ${info.server} (${info.transport.toUpperCase()})`,
    `;; MSG SIZE  rcvd: ${info.size}`,
  ];
}

/** All of dig's output for one exchange: the TCP-retry note, the message, the trailer. */
export function formatExchange(packet: Packet, info: ExchangeInfo & { retriedOverTcp: boolean }): string[] {
  return [
    ...(info.retriedOverTcp ? [';; Truncated, retrying in TCP mode.'] : []),
    ...formatMessage(packet),
    ...formatTrailer(info),
  ];
}

/** What `dns lookup` prints: the JSON form and dig's lines, from one exchange. */
export interface LookupReport {
  json: Record<string, unknown>;
  lines: string[];
}

export function exchangeReport(
  packet: Packet,
  info: ExchangeInfo & { retriedOverTcp: boolean },
): LookupReport {
  return { json: { ...messageJson(packet), ...info }, lines: formatExchange(packet, info) };
}

/** A name outside the domain answered locally: the server would forward it, not answer it. */
export function forwardReport(name: string, type: string, domain: string, resolvers: string[]): LookupReport {
  const question = presentName(name);
  return {
    json: { question: [{ name: question, class: 'IN', type }], forward: { resolvers } },
    lines: [
      `;; ${question} is outside the domain ${domain}: the server would forward it to ${resolvers.join(', ')}`,
    ],
  };
}
