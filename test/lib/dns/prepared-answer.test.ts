/**
 * Local answers are encoded once and cut to each client's size from the answers' end offsets; these tests
 * hold the cut to exactly what `encodeResponse` (Mesos-DNS's truncation by binary search) produces.
 */
import dnsPacket from 'dns-packet';
import type { Answer, OptAnswer, Packet, Question } from 'dns-packet';
import { describe, expect, it } from 'vitest';

import {
  answerSizeLimit,
  cutAnswer,
  encodeResponse,
  prepareAnswer,
  UDP_SIZE_CLASSES,
} from '../../../src/lib/dns/resolver.js';
import {
  canonicalName,
  canonicalQuestion,
  emptyTruncatedReply,
  FLAG_AA,
  FLAG_CD,
  FLAG_QR,
  FLAG_RD,
  FLAG_TC,
  parseQueryShape,
} from '../../../src/lib/dns/wire.js';

const opt = (udpPayloadSize: number, flags = 0): OptAnswer => ({
  name: '.',
  type: 'OPT',
  udpPayloadSize,
  extendedRcode: 0,
  ednsVersion: 0,
  flags,
  flag_do: flags !== 0,
  options: [],
});

/** A response like the resolver's: `count` SRV answers with one glue A each, or A answers, maybe SOA/NS. */
function response(kind: 'A' | 'SRV' | 'ANY', count: number): Packet {
  const name = kind === 'A' ? 'big.marathon.mesos' : '_big._tcp.marathon.mesos';
  const question: Question = { name, type: kind as Question['type'], class: 'IN' };
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  for (let i = 0; i < count; i++) {
    const ip = `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    if (kind === 'A') {
      answers.push({ name, type: 'A', class: 'IN', ttl: 60, data: ip });
      continue;
    }
    const target = `big-${i.toString(36)}-s0.marathon.slave.mesos.`;
    answers.push({
      name,
      type: 'SRV',
      class: 'IN',
      ttl: 60,
      data: { priority: 0, weight: 1, port: 31000 + i, target },
    });
    additionals.push({ name: target, type: 'A', class: 'IN', ttl: 60, data: ip });
  }
  const authorities: Answer[] =
    kind === 'ANY'
      ? [
          {
            name,
            type: 'SOA',
            class: 'IN',
            ttl: 60,
            data: {
              mname: 'ns1.mesos.',
              rname: 'root.ns1.mesos.',
              serial: 1,
              refresh: 60,
              retry: 600,
              expire: 86400,
              minimum: 60,
            },
          },
          { name, type: 'NS', class: 'IN', ttl: 60, data: 'ns1.mesos.' },
        ]
      : [];
  return {
    type: 'response',
    id: 7,
    flags: FLAG_AA | FLAG_RD,
    questions: [question],
    answers,
    authorities,
    additionals,
  };
}

describe('cutAnswer', () => {
  const limits = [...UDP_SIZE_CLASSES, 65535];
  const cases: [string, Packet][] = [
    ['no answers', response('A', 0)],
    ['one A', response('A', 1)],
    ['300 A', response('A', 300)],
    ['40 SRV with glue', response('SRV', 40)],
    ['300 SRV with glue', response('SRV', 300)],
    ['ANY (answers and authorities)', response('ANY', 120)],
  ];
  const variants = [
    { compat: false, setTruncateBit: true, queryOpt: opt(4096) },
    { compat: false, setTruncateBit: true, queryOpt: opt(4096, 0x8000) },
    { compat: false, setTruncateBit: false, queryOpt: opt(1232) },
    { compat: false, setTruncateBit: true, queryOpt: undefined },
    { compat: true, setTruncateBit: true, queryOpt: opt(4096) },
    { compat: true, setTruncateBit: false, queryOpt: undefined },
  ];

  it('cuts every size class exactly as encodeResponse truncates, with one encoding', () => {
    let compared = 0;
    for (const [label, packet] of cases) {
      for (const options of variants) {
        const prepared = prepareAnswer(packet, options);
        for (const limit of limits) {
          const expected = encodeResponse(packet, { ...options, transport: 'udp', limit });
          const actual = cutAnswer(prepared, limit);
          expect(actual.truncated, `${label} ${JSON.stringify(options)} ${limit}`).toBe(expected.truncated);
          expect(actual.message.equals(expected.message), `${label} ${limit}`).toBe(true);
          compared++;
        }
      }
    }
    expect(compared).toBe(cases.length * variants.length * limits.length);
  });

  it('gives a fresh buffer each time, so patching one reply never touches the cache', () => {
    const prepared = prepareAnswer(response('A', 3), { compat: false, setTruncateBit: true });
    const first = cutAnswer(prepared, 512).message;
    first[0] = 0xff;
    expect(cutAnswer(prepared, 512).message[0]).toBe(0);
    expect(prepared.message[0]).toBe(0);
  });

  it('accounts the bytes it holds', () => {
    const prepared = prepareAnswer(response('SRV', 300), { compat: false, setTruncateBit: true });
    expect(prepared.bytes).toBeGreaterThan(prepared.message.length);
    expect(prepared.bytes).toBeLessThan(prepared.message.length + 4096);
  });
});

describe('answerSizeLimit', () => {
  it('rounds the EDNS0 size down to 512, 1232 or 4096; TCP is 65535; compat is 512', () => {
    expect(answerSizeLimit('udp', false, undefined)).toBe(512);
    expect(answerSizeLimit('udp', false, 100)).toBe(512);
    expect(answerSizeLimit('udp', false, 1231)).toBe(512);
    expect(answerSizeLimit('udp', false, 1232)).toBe(1232);
    expect(answerSizeLimit('udp', false, 1400)).toBe(1232);
    expect(answerSizeLimit('udp', false, 4095)).toBe(1232);
    expect(answerSizeLimit('udp', false, 4096)).toBe(4096);
    expect(answerSizeLimit('udp', false, 65000)).toBe(4096);
    expect(answerSizeLimit('udp', true, 4096)).toBe(512);
    expect(answerSizeLimit('tcp', false, 1232)).toBe(65535);
  });
});

describe('canonical spelling of a question', () => {
  const question = (name: string, type: Question['type'] = 'A') =>
    parseQueryShape(dnsPacket.encode({ type: 'query', id: 1, questions: [{ name, type, class: 'IN' }] }))!
      .question;

  it('keeps a name without capitals as it is, and capitalises every letter of a mixed-case one', () => {
    const lower = question('shell.marathon.mesos');
    expect(canonicalQuestion(lower)).toBe(lower);
    const mixed = canonicalQuestion(question('ShElL.MaRaThOn.MeSoS'));
    expect(mixed.equals(question('SHELL.MARATHON.MESOS'))).toBe(true);
    expect(canonicalQuestion(question('sHeLl.mArAtHoN.mEsOs')).equals(mixed)).toBe(true);
    expect(canonicalName('ShElL.MaRaThOn.MeSoS')).toBe('SHELL.MARATHON.MESOS');
    expect(canonicalName('shell.marathon.mesos')).toBe('shell.marathon.mesos');
  });

  it('never touches the type and class bytes (type 65 is the letter A)', () => {
    const https = question('Web.mesos', 'UNKNOWN_97' as Question['type']);
    const canonical = canonicalQuestion(https);
    expect(canonical.readUInt16BE(canonical.length - 4)).toBe(97);
  });
});

describe('emptyTruncatedReply', () => {
  it('answers a query with TC, its ID, question, opcode, RD and CD, and nothing else', () => {
    const query = dnsPacket.encode({
      type: 'query',
      id: 0xbeef,
      flags: FLAG_RD | FLAG_CD,
      questions: [{ name: '_big._tcp.marathon.mesos', type: 'SRV', class: 'IN' }],
      additionals: [opt(4096)],
    });
    const reply = emptyTruncatedReply(query)!;
    const decoded = dnsPacket.decode(reply);
    expect(decoded.id).toBe(0xbeef);
    expect(reply.readUInt16BE(2)).toBe(FLAG_QR | FLAG_TC | FLAG_RD | FLAG_CD);
    expect(decoded.questions).toEqual([{ name: '_big._tcp.marathon.mesos', type: 'SRV', class: 'IN' }]);
    expect([decoded.answers, decoded.authorities, decoded.additionals]).toEqual([[], [], []]);
    expect(reply.length).toBeLessThan(query.length);
  });

  it('sends a bare header for an unreadable question, nothing for answers and runts', () => {
    const garbage = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([200])]);
    expect(emptyTruncatedReply(garbage)).toHaveLength(12);
    const answer = Buffer.from(garbage);
    answer[2] = answer[2]! | 0x80;
    expect(emptyTruncatedReply(answer)).toBeUndefined();
    expect(emptyTruncatedReply(Buffer.alloc(5))).toBeUndefined();
  });
});
