import dnsPacket from 'dns-packet';
import type { OptAnswer, Packet, Question } from 'dns-packet';
import { describe, expect, it } from 'vitest';

import {
  formatExchange,
  formatMessage,
  formatTrailer,
  messageJson,
  presentName,
  rcodeName,
} from '../../../src/lib/dns/format.js';
import { FLAG_AA, FLAG_RA, FLAG_RD, FLAG_TC, RCODE } from '../../../src/lib/dns/wire.js';

/** Through the wire and back, so the tests see what dns-packet hands the formatter in real use. */
function wire(packet: Packet): Packet {
  return dnsPacket.decode(dnsPacket.encode(packet));
}

const opt = (udpPayloadSize: number, flags = 0, extendedRcode = 0): OptAnswer => ({
  name: '.',
  type: 'OPT',
  udpPayloadSize,
  extendedRcode,
  ednsVersion: 0,
  flags,
  flag_do: (flags & 0x8000) !== 0,
  options: [],
});

const srvReply = wire({
  type: 'response',
  id: 4242,
  flags: FLAG_AA | FLAG_RD | FLAG_RA,
  questions: [{ name: '_car-store._udp.marathon.mesos', type: 'SRV', class: 'IN' }],
  answers: [
    {
      name: '_car-store._udp.marathon.mesos',
      type: 'SRV',
      class: 'IN',
      ttl: 60,
      data: { priority: 0, weight: 1, port: 31364, target: 'car-store-zinaz-0.marathon.slave.mesos' },
    },
  ],
  additionals: [
    { name: 'car-store-zinaz-0.marathon.slave.mesos', type: 'A', class: 'IN', ttl: 60, data: '1.2.3.11' },
    opt(4096),
  ],
});

describe('formatMessage (dig-like text)', () => {
  it('prints header, OPT pseudo-section, question and non-empty sections like dig', () => {
    expect(formatMessage(srvReply)).toEqual([
      ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4242',
      ';; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 2',
      '',
      ';; OPT PSEUDOSECTION:',
      '; EDNS: version: 0, flags:; udp: 4096',
      ';; QUESTION SECTION:',
      ';_car-store._udp.marathon.mesos.\t\tIN\tSRV',
      '',
      ';; ANSWER SECTION:',
      '_car-store._udp.marathon.mesos.\t60\tIN\tSRV\t0 1 31364 car-store-zinaz-0.marathon.slave.mesos.',
      '',
      ';; ADDITIONAL SECTION:',
      'car-store-zinaz-0.marathon.slave.mesos.\t60\tIN\tA\t1.2.3.11',
      '',
    ]);
  });

  it('prints NXDOMAIN with the SOA in AUTHORITY, no OPT section and no empty ANSWER', () => {
    const reply = wire({
      type: 'response',
      id: 7,
      flags: FLAG_AA | RCODE.NXDOMAIN,
      questions: [{ name: 'missing.mesos', type: 'A', class: 'IN' }],
      authorities: [
        {
          name: 'missing.mesos',
          type: 'SOA',
          class: 'IN',
          ttl: 60,
          data: {
            mname: 'ns1.mesos',
            rname: 'root.ns1.mesos',
            serial: 1234,
            refresh: 60,
            retry: 600,
            expire: 86400,
            minimum: 60,
          },
        },
      ],
    });
    const lines = formatMessage(reply);
    expect(lines[0]).toBe(';; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 7');
    expect(lines[1]).toBe(';; flags: qr aa; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 0');
    expect(lines).not.toContain(';; ANSWER SECTION:');
    expect(lines).not.toContain(';; OPT PSEUDOSECTION:');
    expect(lines.slice(-3)).toEqual([
      ';; AUTHORITY SECTION:',
      'missing.mesos.\t60\tIN\tSOA\tns1.mesos. root.ns1.mesos. 1234 60 600 86400 60',
      '',
    ]);
  });

  it('warns when recursion was asked for but is not available, and shows tc', () => {
    const reply = wire({
      type: 'response',
      id: 1,
      flags: FLAG_RD | FLAG_TC | RCODE.REFUSED,
      questions: [{ name: 'example.org', type: 'A' }],
    });
    const lines = formatMessage(reply);
    expect(lines.slice(0, 3)).toEqual([
      ';; ->>HEADER<<- opcode: QUERY, status: REFUSED, id: 1',
      ';; flags: qr tc rd; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0',
      ';; WARNING: recursion requested but not available',
    ]);
  });

  it('shows the DO flag and folds the extended rcode into the status (BADVERS)', () => {
    const reply = wire({
      type: 'response',
      id: 2,
      flags: 0,
      questions: [{ name: 'leader.mesos', type: 'A' }],
      additionals: [opt(1232, 0x8000, 1)],
    });
    const lines = formatMessage(reply);
    expect(lines[0]).toBe(';; ->>HEADER<<- opcode: QUERY, status: BADVERS, id: 2');
    expect(lines).toContain('; EDNS: version: 0, flags: do; udp: 1232');
  });

  it('prints AAAA, NS, MX, TXT, CNAME, PTR and unknown types in presentation form', () => {
    const reply = wire({
      type: 'response',
      id: 3,
      flags: 0,
      questions: [{ name: 'x.mesos', type: 'ANY' as Question['type'] }],
      answers: [
        { name: 'x.mesos', type: 'AAAA', ttl: 5, data: 'fd01:b::1:8000:2' },
        { name: 'x.mesos', type: 'NS', ttl: 5, data: 'ns1.mesos' },
        { name: 'x.mesos', type: 'MX', ttl: 5, data: { preference: 10, exchange: 'mail.mesos' } },
        { name: 'x.mesos', type: 'TXT', ttl: 5, data: ['a "quoted" \\ word', Buffer.from([0x07, 0x41])] },
        { name: 'x.mesos', type: 'CNAME', ttl: 5, data: 'y.mesos' },
        { name: 'x.mesos', type: 'PTR', ttl: 5, data: 'z.mesos' },
        { name: 'x.mesos', type: 'UNKNOWN_65280' as 'NULL', ttl: 5, data: Buffer.from([0xde, 0xad]) },
      ],
    });
    const data = messageJson(reply).answer.map((record) => `${record.type} ${record.data}`);
    expect(data).toEqual([
      'AAAA fd01:b::1:8000:2',
      'NS ns1.mesos.',
      'MX 10 mail.mesos.',
      'TXT "a \\"quoted\\" \\\\ word" "\\007A"',
      'CNAME y.mesos.',
      'PTR z.mesos.',
      'TYPE65280 \\# 2 dead',
    ]);
  });

  it('escapes control characters and spaces in names from the wire', () => {
    expect(presentName('evil\u001b[31m.mesos')).toBe('evil\\027[31m.mesos.');
    expect(presentName('a b.mesos')).toBe('a\\032b.mesos.');
    expect(presentName('.')).toBe('.');
    expect(presentName('')).toBe('.');
    expect(presentName('done.')).toBe('done.');
  });

  it('names rcodes like dig', () => {
    expect(rcodeName(0)).toBe('NOERROR');
    expect(rcodeName(3)).toBe('NXDOMAIN');
    expect(rcodeName(16)).toBe('BADVERS');
    expect(rcodeName(12)).toBe('RESERVED12');
  });
});

describe('messageJson', () => {
  it('gives header, question, sections and EDNS apart from ADDITIONAL', () => {
    expect(messageJson(srvReply)).toEqual({
      header: { id: 4242, opcode: 'QUERY', rcode: 'NOERROR', flags: ['qr', 'aa', 'rd', 'ra'] },
      question: [{ name: '_car-store._udp.marathon.mesos.', class: 'IN', type: 'SRV' }],
      answer: [
        {
          name: '_car-store._udp.marathon.mesos.',
          ttl: 60,
          class: 'IN',
          type: 'SRV',
          data: '0 1 31364 car-store-zinaz-0.marathon.slave.mesos.',
        },
      ],
      authority: [],
      additional: [
        {
          name: 'car-store-zinaz-0.marathon.slave.mesos.',
          ttl: 60,
          class: 'IN',
          type: 'A',
          data: '1.2.3.11',
        },
      ],
      edns: { version: 0, flags: [], udp: 4096 },
    });
  });

  it('has no qr for a query and edns null without OPT', () => {
    const json = messageJson(
      wire({ type: 'query', id: 9, flags: FLAG_RD, questions: [{ name: 'a.mesos', type: 'A' }] }),
    );
    expect(json.header.flags).toEqual(['rd']);
    expect(json.edns).toBeNull();
  });
});

describe('formatTrailer', () => {
  it('prints query time, server with transport and size', () => {
    expect(
      formatTrailer({ server: '127.0.0.1#53(127.0.0.1)', transport: 'tcp', size: 67, elapsedMs: 2.6 }),
    ).toEqual([';; Query time: 3 msec', ';; SERVER: 127.0.0.1#53(127.0.0.1) (TCP)', ';; MSG SIZE  rcvd: 67']);
    expect(formatTrailer({ server: 'local', transport: 'udp', size: 1 })).toHaveLength(2);
  });
});

describe('formatExchange', () => {
  it('notes a TCP retry first, then the message, then the trailer', () => {
    const lines = formatExchange(srvReply, { server: 's', transport: 'tcp', size: 99, retriedOverTcp: true });
    expect(lines[0]).toBe(';; Truncated, retrying in TCP mode.');
    expect(lines[1]).toMatch(/^;; ->>HEADER<<- /);
    expect(lines.slice(-2)).toEqual([';; SERVER: s (TCP)', ';; MSG SIZE  rcvd: 99']);
    expect(
      formatExchange(srvReply, { server: 's', transport: 'udp', size: 1, retriedOverTcp: false })[0],
    ).toMatch(/^;; ->>HEADER<<- /);
  });
});
