import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import dnsPacket from 'dns-packet';
import type { Packet, Question } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildQuery, lookup } from '../../../src/lib/dns/client.js';
import { parseDnsConfig } from '../../../src/lib/dns/config.js';
import { generateRecords } from '../../../src/lib/dns/records.js';
import { resolve } from '../../../src/lib/dns/resolver.js';
import {
  DnsHandler,
  startDnsServer,
  type DnsServer,
  type RecordsSnapshot,
} from '../../../src/lib/dns/server.js';
import { countsFit, FLAG_QR } from '../../../src/lib/dns/wire.js';
import { ROOT } from '../../helpers/cli.js';
import { prng } from '../../helpers/random.js';

const TOTAL = 100_000;
const BATCH = 500;
const SEED = 0x5eed_d115;

const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/mesos-dns/fake.json'), 'utf8')) as unknown;
const config = parseDnsConfig({ externalOn: false, listener: '127.0.0.1', port: 0 }, 'fuzz');
const snapshot: RecordsSnapshot = {
  records: generateRecords(fixture, config, { hosts: new Map([['localhost', ['127.0.0.1']]]) }),
  serial: 1234,
};

const NAMES = [
  'chronos.marathon.mesos',
  '_liquor-store._tcp.marathon.mesos',
  'leader.mesos',
  'slave.mesos',
  'mesos',
  'missing.mesos',
  'toy-store.ipv6-framework.mesos',
  'chronos.*.marathon.mesos',
  'example.org',
  '.',
];
const TYPES: Question['type'][] = [
  'A',
  'AAAA',
  'SRV',
  'SOA',
  'NS',
  'TXT',
  'MX',
  'PTR',
  'CAA',
  'AXFR',
  'ANY' as Question['type'],
];

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const label = () => {
    const length = 1 + int(20);
    return Array.from({ length }, () => 'abcdefghijklmnopqrstuvwxyz0123456789-_'[int(38)]).join('');
  };

  function validQuery(): Buffer {
    const name = random() < 0.7 ? pick(NAMES) : `${label()}.${random() < 0.5 ? 'mesos' : label()}`;
    const packet: Packet = {
      type: 'query',
      id: int(0x10000),
      flags: int(0x10000) & 0x7ff0 & ~(0xf << 11),
      questions: [{ name, type: pick(TYPES), class: 'IN' }],
    };
    if (random() < 0.5) {
      packet.additionals = [
        {
          name: '.',
          type: 'OPT',
          udpPayloadSize: int(0x10000),
          extendedRcode: 0,
          ednsVersion: random() < 0.9 ? 0 : int(256),
          flags: random() < 0.5 ? 0x8000 : 0,
          flag_do: false,
          options: [],
        },
      ];
    }
    const encoded = dnsPacket.encode(packet);
    // Unknown qtypes and classes too: straight into the question's type/class bytes.
    if (random() < 0.1) encoded.writeUInt16BE(int(0x10000), encoded.length - (packet.additionals ? 15 : 4));
    return encoded;
  }

  function mutate(message: Buffer): Buffer {
    // A second mutation may meet a truncated message: pad it to a header and a byte of name.
    const copy = Buffer.concat([message, bytes(Math.max(0, 14 - message.length))]);
    switch (int(9)) {
      case 0: {
        for (let i = 1 + int(4); i > 0; i--) copy[int(copy.length)] = int(256);
        return copy;
      }
      case 1:
        return copy.subarray(0, int(copy.length));
      case 2:
        return Buffer.concat([copy, bytes(1 + int(64))]);
      case 3: {
        // Random section counts: decoders must not trust them.
        copy.writeUInt16BE(int(0x10000), 4 + 2 * int(4));
        return copy;
      }
      case 4: {
        // The name starts with a pointer to itself (or just after the header): a loop.
        copy[12] = 0xc0;
        copy[13] = pick([12, 13, 0, 2]);
        return copy;
      }
      case 5: {
        // A label length with the reserved 0x40/0x80 bits, or longer than the message.
        copy[12] = pick([0x40, 0x7f, 0x80, 0xbf, 63, 255]);
        return copy;
      }
      case 6: {
        // A huge label and name: 63-byte labels up to and past 255 bytes.
        const labels = Array.from({ length: 1 + int(6) }, () =>
          Buffer.concat([Buffer.from([63]), bytes(63)]),
        );
        return Buffer.concat([copy.subarray(0, 12), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
      }
      case 7: {
        copy[2] = copy[2]! | (FLAG_QR >> 8); // an answer, never to be answered
        return copy;
      }
      default: {
        copy[2] = (copy[2]! & 0x87) | (int(16) << 3); // random opcode
        return copy;
      }
    }
  }

  return (): Buffer => {
    const kind = random();
    if (kind < 0.15) return bytes(int(600));
    if (kind < 0.3) return validQuery();
    let message = mutate(validQuery());
    if (random() < 0.3) message = mutate(message);
    return message;
  };
}

function packets(): Buffer[] {
  const next = generator(prng(SEED));
  return Array.from({ length: TOTAL }, next);
}

let server: DnsServer;
let corpus: Buffer[];

beforeAll(async () => {
  corpus = packets();
  server = await startDnsServer({
    config,
    compat: false,
    getRecords: () => snapshot,
    listen: '127.0.0.1',
    port: 0,
  });
});

afterAll(async () => {
  await server?.close();
});

describe('fuzzing the DNS handler', () => {
  it('the pure handler never throws, never answers an answer, and replies with the query ID', () => {
    const handler = new DnsHandler({ config, compat: false, getRecords: () => snapshot });
    let replies = 0;
    let resolved = 0;
    // Plain checks, one expect at the end: 100 000 expect() calls alone would take most of the budget.
    const problems: string[] = [];
    const resolveErrors: string[] = [];
    corpus.forEach((message, index) => {
      const sent: Buffer[] = [];
      try {
        handler.handle(message, 'udp', (reply) => reply && sent.push(reply));
      } catch (error) {
        problems.push(`#${index}: handle threw ${(error as Error).message}`);
      }
      for (const reply of sent) {
        replies++;
        if (message.length < 12 || message.readUInt16BE(2) & FLAG_QR) problems.push(`#${index}: answered`);
        else if (reply.length < 12 || reply.length > 4096) problems.push(`#${index}: ${reply.length} bytes`);
        else if (reply.readUInt16BE(0) !== message.readUInt16BE(0)) problems.push(`#${index}: wrong ID`);
        else if (!(reply.readUInt16BE(2) & FLAG_QR)) problems.push(`#${index}: reply without QR`);
      }
      // The pure resolver on whatever dns-packet can decode.
      let decoded: Packet;
      try {
        if (!countsFit(message)) return;
        decoded = dnsPacket.decode(message);
      } catch {
        return;
      }
      try {
        resolve(decoded, { records: snapshot.records, config, serial: 1, random: () => 0.5 });
        resolved++;
      } catch (error) {
        resolveErrors.push(`#${index}: ${(error as Error).message}`);
      }
    });
    expect(problems.slice(0, 10)).toEqual([]);
    expect(resolveErrors.slice(0, 10)).toEqual([]);
    // The corpus really mixes both kinds (a generator bug would make it all garbage or all valid).
    expect(replies).toBeGreaterThan(TOTAL / 4);
    expect(resolved).toBeGreaterThan(TOTAL / 4);
    expect(handler.metrics.malformed).toBeGreaterThan(TOTAL / 20);
  });

  it('survives the same packets over UDP and still answers correctly afterwards', async () => {
    const socket = createSocket('udp4');
    // Connected: no address lookup per datagram, and only the server's replies come back.
    await new Promise<void>((done) => socket.connect(server.port, '127.0.0.1', done));
    let waiting: { id: number; done: () => void } | undefined;
    socket.on('message', (reply) => {
      if (waiting && reply.length >= 12 && reply.readUInt16BE(0) === waiting.id) waiting.done();
    });
    const send = (message: Buffer) => new Promise<void>((done) => socket.send(message, () => done()));
    /** A query after the batch: once it is answered, the server has read everything sent before it. */
    const probe = async (id: number) => {
      const message = dnsPacket.encode({
        type: 'query',
        id,
        questions: [{ name: 'leader.mesos', type: 'A' }],
      });
      for (let attempt = 0; attempt < 20; attempt++) {
        const answered = new Promise<boolean>((done) => {
          const timer = setTimeout(() => done(false), 250);
          waiting = {
            id,
            done: () => {
              clearTimeout(timer);
              done(true);
            },
          };
        });
        await send(message);
        if (await answered) return;
      }
      throw new Error(`the server stopped answering (probe ${id})`);
    };
    try {
      for (let start = 0, batch = 0; start < corpus.length; start += BATCH, batch++) {
        await Promise.all(corpus.slice(start, start + BATCH).map(send));
        await probe(batch & 0xffff);
      }
    } finally {
      socket.close();
    }
    expect(server.metrics.malformed).toBeGreaterThan(TOTAL / 20);
    for (const tcp of [false, true]) {
      const result = await lookup({
        server: { host: '127.0.0.1', port: server.port },
        query: buildQuery('chronos.marathon.mesos', 'A'),
        tcp,
        timeoutMs: 2000,
      });
      expect(result.packet.answers).toMatchObject([
        { name: 'chronos.marathon.mesos', type: 'A', data: '1.2.3.11' },
      ]);
    }
  }, 30_000);
});

describe('countsFit', () => {
  it('turns away headers claiming more than the message can hold, and keeps real messages', () => {
    const query = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [{ name: 'leader.mesos', type: 'A' }],
    });
    expect(countsFit(query)).toBe(true);
    const rootQuestion = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: '.', type: 'A' }] });
    expect(rootQuestion).toHaveLength(17);
    expect(countsFit(rootQuestion)).toBe(true);
    const huge = Buffer.from(query);
    huge.writeUInt16BE(0xffff, 6);
    expect(countsFit(huge)).toBe(false);
    expect(countsFit(Buffer.alloc(11))).toBe(false);
    expect(countsFit(Buffer.alloc(12))).toBe(true);
  });
});
