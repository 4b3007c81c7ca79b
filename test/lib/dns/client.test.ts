import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

import dnsPacket from 'dns-packet';
import type { Packet } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';

import {
  buildQuery,
  checkQueryName,
  EDNS_UDP_SIZE,
  lookup,
  lookupLocal,
  parseQueryType,
  parseServer,
} from '../../../src/lib/dns/client.js';
import { parseDnsConfig } from '../../../src/lib/dns/config.js';
import type { RecordSet } from '../../../src/lib/dns/types.js';
import { FLAG_QR, FLAG_RD, FLAG_TC } from '../../../src/lib/dns/wire.js';
import { DcosError, UsageError } from '../../../src/lib/errors.js';

type Reply = (query: Packet, raw: Buffer) => Buffer[];

interface FakeDns {
  port: number;
  udpQueries: Packet[];
  tcpQueries: Packet[];
  close(): Promise<void>;
}

const servers: FakeDns[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function answer(query: Packet, addresses: string[], flags = 0): Buffer {
  const question = query.questions![0]!;
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: (query.flags ?? 0) | flags,
    questions: query.questions,
    answers: addresses.map((data) => ({ name: question.name, type: 'A', class: 'IN', ttl: 60, data })),
  });
}

/** UDP and TCP on one loopback port; each handler returns the datagrams/messages to send back, in order. */
async function fakeDns(udp: Reply, tcp: Reply = udp): Promise<FakeDns> {
  const udpQueries: Packet[] = [];
  const tcpQueries: Packet[] = [];
  const sockets = new Set<Socket>();
  const tcpServer: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= pending.readUInt16BE(0) + 2) {
        const raw = pending.subarray(2, pending.readUInt16BE(0) + 2);
        pending = pending.subarray(raw.length + 2);
        const query = dnsPacket.decode(raw);
        tcpQueries.push(query);
        for (const reply of tcp(query, raw)) {
          const length = Buffer.alloc(2);
          length.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([length, reply]));
        }
      }
    });
  });
  let udpSocket: UdpSocket | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 10 && port === 0; attempt++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const candidate = socket.address().port;
    const listened = await new Promise<boolean>((resolve) => {
      tcpServer.once('error', () => resolve(false));
      tcpServer.listen(candidate, '127.0.0.1', () => resolve(true));
    });
    if (listened) {
      udpSocket = socket;
      port = candidate;
    } else socket.close();
  }
  if (!udpSocket) throw new Error('no free port pair');
  const bound = udpSocket;
  bound.on('message', (raw, remote) => {
    const query = dnsPacket.decode(raw);
    udpQueries.push(query);
    for (const reply of udp(query, raw)) bound.send(reply, remote.port, remote.address);
  });
  const server: FakeDns = {
    port,
    udpQueries,
    tcpQueries,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => bound.close(() => resolve())),
        new Promise<void>((resolve) => tcpServer.close(() => resolve())),
      ]);
    },
  };
  servers.push(server);
  return server;
}

/** A loopback port with nothing listening (bound, read, released). */
async function closedPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

const query = () => buildQuery('leader.mesos', 'A', { id: 0x1234 });

describe('lookup over UDP', () => {
  it('sends RD and EDNS0 (1232) and returns the decoded answer with size and server', async () => {
    const dns = await fakeDns((q) => [answer(q, ['1.2.3.4'])]);
    const result = await lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      timeoutMs: 1000,
    });
    expect(result.transport).toBe('udp');
    expect(result.retriedOverTcp).toBe(false);
    expect(result.server).toBe(`127.0.0.1#${dns.port}(127.0.0.1)`);
    expect(result.packet.id).toBe(0x1234);
    expect(result.packet.answers).toMatchObject([{ name: 'leader.mesos', type: 'A', data: '1.2.3.4' }]);
    expect(result.size).toBe(answer(dns.udpQueries[0]!, ['1.2.3.4']).length);
    const sent = dns.udpQueries[0]!;
    expect((sent.flags ?? 0) & FLAG_RD).toBe(FLAG_RD);
    expect(sent.additionals).toMatchObject([{ type: 'OPT', udpPayloadSize: EDNS_UDP_SIZE }]);
    expect(dns.tcpQueries).toHaveLength(0);
  });

  it('ignores replies with another ID and non-responses, then takes the matching one', async () => {
    const dns = await fakeDns((q, raw) => {
      const wrongId = answer({ ...q, id: (q.id! + 1) & 0xffff }, ['6.6.6.6']);
      const echo = Buffer.from(raw); // QR clear: the query itself, not an answer
      return [wrongId, echo, answer(q, ['1.2.3.4'])];
    });
    const result = await lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      timeoutMs: 1000,
    });
    expect(result.packet.answers).toMatchObject([{ data: '1.2.3.4' }]);
  });

  it('retries after a timeout and accepts the answer to the retry', async () => {
    let seen = 0;
    const dns = await fakeDns((q) => (++seen === 1 ? [] : [answer(q, ['1.2.3.4'])]));
    const result = await lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      timeoutMs: 100,
    });
    expect(dns.udpQueries).toHaveLength(2);
    expect(result.packet.answers).toMatchObject([{ data: '1.2.3.4' }]);
  });

  it('gives up after three tries with one clear error', async () => {
    const dns = await fakeDns(() => []);
    const error = await lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      timeoutMs: 80,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DcosError);
    expect((error as DcosError).code).toBe('dns_timeout');
    expect((error as DcosError).exitCode).toBe(1);
    expect((error as Error).message).toBe(
      `no answer from 127.0.0.1:${dns.port} over UDP after 3 tries of 80 ms each`,
    );
    expect(dns.udpQueries).toHaveLength(3);
  });

  it('reports a refused port at once', async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await lookup({
      server: { host: '127.0.0.1', port },
      query: query(),
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect((error as DcosError).code).toBe('dns_unreachable');
    expect((error as Error).message).toMatch(/^cannot query 127\.0\.0\.1:\d+ over UDP: connection refused/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('retries over TCP when the UDP answer is truncated, like dig', async () => {
    const dns = await fakeDns(
      (q) => [answer(q, [], FLAG_TC)],
      (q) => [answer(q, ['1.2.3.4', '1.2.3.5'])],
    );
    const result = await lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      timeoutMs: 1000,
    });
    expect(result.retriedOverTcp).toBe(true);
    expect(result.transport).toBe('tcp');
    expect(result.packet.answers).toHaveLength(2);
    expect(dns.udpQueries).toHaveLength(1);
    expect(dns.tcpQueries).toHaveLength(1);
  });

  it('rejects an answer it cannot decode', async () => {
    const dns = await fakeDns((q) => {
      const reply = Buffer.alloc(14);
      reply.writeUInt16BE(q.id!, 0);
      reply.writeUInt16BE(FLAG_QR, 2);
      reply.writeUInt16BE(1, 4); // one question that is not there
      return [reply];
    });
    const error = await lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      timeoutMs: 1000,
    }).catch((e: unknown) => e);
    expect((error as DcosError).code).toBe('dns_malformed');
  });
});

describe('lookup over TCP', () => {
  it('frames the query, skips replies with another ID and returns the answer', async () => {
    const dns = await fakeDns(
      () => [],
      (q) => [answer({ ...q, id: 1 }, ['6.6.6.6']), answer(q, ['1.2.3.4'])],
    );
    const result = await lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      tcp: true,
      timeoutMs: 1000,
    });
    expect(result.transport).toBe('tcp');
    expect(result.retriedOverTcp).toBe(false);
    expect(result.packet.answers).toMatchObject([{ data: '1.2.3.4' }]);
    expect(dns.udpQueries).toHaveLength(0);
  });

  it('times out when the server never answers', async () => {
    const dns = await fakeDns(
      () => [],
      () => [],
    );
    const error = await lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      tcp: true,
      timeoutMs: 100,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`no answer from 127.0.0.1:${dns.port} over TCP in 100 ms`);
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();
    const error = await lookup({
      server: { host: '127.0.0.1', port },
      query: query(),
      tcp: true,
      timeoutMs: 1000,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `cannot query 127.0.0.1:${port} over TCP: connection refused (is a DNS server listening there?)`,
    );
  });

  it('stops when aborted', async () => {
    const dns = await fakeDns(
      () => [],
      () => [],
    );
    const controller = new AbortController();
    const pending = lookup({
      server: { host: '127.0.0.1', port: dns.port },
      query: query(),
      tcp: true,
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});

describe('query building and argument checks', () => {
  it('builds an RD query, with or without EDNS0', () => {
    const withEdns = buildQuery('leader.mesos.', 'SRV', { id: 7 });
    expect(withEdns).toMatchObject({
      id: 7,
      flags: FLAG_RD,
      questions: [{ name: 'leader.mesos', type: 'SRV' }],
    });
    expect(withEdns.additionals).toHaveLength(1);
    expect(buildQuery('leader.mesos', 'A', { edns: false }).additionals).toEqual([]);
  });

  it('accepts types case-insensitively and rejects others as usage errors', () => {
    expect(parseQueryType('srv')).toBe('SRV');
    expect(() => parseQueryType('MX')).toThrow(UsageError);
    expect(() => parseQueryType('MX')).toThrow(
      "unsupported --type 'MX'; use one of A, AAAA, SRV, SOA, NS, ANY",
    );
  });

  it('checks names: empty labels, labels over 63 bytes, names over 255 bytes', () => {
    expect(checkQueryName('.')).toBe('.');
    expect(checkQueryName('a.mesos.')).toBe('a.mesos');
    expect(() => checkQueryName('a..mesos')).toThrow(UsageError);
    expect(() => checkQueryName(`${'x'.repeat(64)}.mesos`)).toThrow('longer than 63 bytes');
    expect(checkQueryName(`${'x'.repeat(63)}.mesos`)).toHaveLength(69);
    expect(() => checkQueryName(Array.from({ length: 5 }, () => 'y'.repeat(60)).join('.'))).toThrow(
      'longer than 255 bytes',
    );
  });

  it('parses server addresses', () => {
    expect(parseServer('10.0.0.1')).toEqual({ host: '10.0.0.1', port: 53 });
    expect(parseServer('10.0.0.1:8053')).toEqual({ host: '10.0.0.1', port: 8053 });
    expect(parseServer('[::1]:8053')).toEqual({ host: '::1', port: 8053 });
    expect(parseServer('fd01::1')).toEqual({ host: 'fd01::1', port: 53 });
    expect(parseServer('master.example.com:53')).toEqual({ host: 'master.example.com', port: 53 });
    for (const bad of [
      '',
      ':53',
      '10.0.0.1:0',
      '10.0.0.1:65536',
      '10.0.0.1:x',
      'a b',
      '[nope]:53',
      'x:y:z',
    ]) {
      expect(() => parseServer(bad), bad).toThrow(UsageError);
    }
  });
});

describe('lookupLocal', () => {
  const many = Array.from({ length: 300 }, (_, i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  const records: RecordSet = {
    domain: 'mesos',
    a: new Map([
      ['big.mesos.', many],
      ['leader.mesos.', ['1.2.3.4']],
    ]),
    aaaa: new Map(),
    srv: new Map(),
    warnings: [],
  };
  const ctx = { records, config: parseDnsConfig({}, 'test'), serial: 99, random: () => 0 };

  it("answers as the server would over UDP, with its EDNS0 OPT and the asker's case", () => {
    const result = lookupLocal(buildQuery('LEADER.mesos', 'A'), ctx, { tcp: false });
    if (result.kind !== 'answer') throw new Error('forwarded');
    expect(result.transport).toBe('udp');
    expect(result.packet.answers).toMatchObject([{ name: 'LEADER.mesos', data: '1.2.3.4' }]);
    expect(result.packet.additionals).toMatchObject([{ type: 'OPT', udpPayloadSize: 4096 }]);
  });

  it('follows a truncated UDP answer with the TCP one', () => {
    const udpOnly = lookupLocal(buildQuery('big.mesos', 'A', { edns: false }), ctx, { tcp: false });
    if (udpOnly.kind !== 'answer') throw new Error('forwarded');
    expect(udpOnly.retriedOverTcp).toBe(true);
    expect(udpOnly.transport).toBe('tcp');
    expect(udpOnly.packet.answers).toHaveLength(300);
  });

  it('says where a name outside the domain would go, or refuses it with external off', () => {
    expect(lookupLocal(buildQuery('example.org', 'A'), ctx, { tcp: false })).toEqual({
      kind: 'forward',
      resolvers: ['8.8.8.8'],
    });
    const refused = lookupLocal(
      buildQuery('example.org', 'A'),
      { ...ctx, config: parseDnsConfig({ externalOn: false }, 'test') },
      { tcp: true },
    );
    if (refused.kind !== 'answer') throw new Error('forwarded');
    expect((refused.packet.flags ?? 0) & 0xf).toBe(5);
  });
});
