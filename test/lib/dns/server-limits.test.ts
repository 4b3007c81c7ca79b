/**
 * The DNS server against clients that cost it too much, on real loopback sockets: the cache (DNS 0x20
 * spellings share an entry, bounded in bytes), TCP (backpressure, completion deadline, connection cap) and the
 * cap on forwards. Limits are set small so each takes little time; every loop is bounded.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';

import { buildQuery, lookup } from '../../../src/lib/dns/client.js';
import { parseDnsConfig } from '../../../src/lib/dns/config.js';
import type { DnsLimits } from '../../../src/lib/dns/limits.js';
import { generateRecords } from '../../../src/lib/dns/records.js';
import { startDnsServer, type DnsServer, type RecordsSnapshot } from '../../../src/lib/dns/server.js';
import { startDnsService } from '../../../src/lib/dns/service.js';
import { exchangeUdp } from '../../../src/lib/dns/transport.js';
import type { DnsConfig } from '../../../src/lib/dns/types.js';
import { bigAppState } from '../../helpers/dns.js';

const LOCAL = parseDnsConfig({ externalOn: false }, 'test');
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function snapshotOf(stateJson: string, config: DnsConfig = LOCAL): RecordsSnapshot {
  return { records: generateRecords(JSON.parse(stateJson), config, { hosts: new Map() }), serial: 1 };
}

async function serve(
  stateJson: string,
  options: { limits?: Partial<DnsLimits>; compat?: boolean; config?: DnsConfig } = {},
): Promise<DnsServer> {
  const config = options.config ?? LOCAL;
  const snapshot = snapshotOf(stateJson, config);
  const server = await startDnsServer({
    config,
    compat: options.compat ?? false,
    getRecords: () => snapshot,
    listen: '127.0.0.1',
    port: 0,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  cleanups.push(() => server.close());
  return server;
}

const ask = (server: DnsServer, name: string, type: 'A' | 'SRV', tcp = false) =>
  lookup({
    server: { host: '127.0.0.1', port: server.port },
    query: buildQuery(name, type),
    tcp,
    timeoutMs: 2000,
    retries: 0,
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function framed(name: string, type: 'A' | 'SRV', id: number): Buffer {
  const message = dnsPacket.encode({ type: 'query', id, questions: [{ name, type, class: 'IN' }] });
  const frame = Buffer.alloc(message.length + 2);
  frame.writeUInt16BE(message.length);
  message.copy(frame, 2);
  return frame;
}

/** A TCP client that collects the IDs of the replies it reads (when it reads). */
async function tcpClient(
  port: number,
): Promise<{ socket: Socket; replies: number[]; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(() => void socket.destroy());
  await once(socket, 'connect');
  const replies: number[] = [];
  let unread = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    unread = Buffer.concat([unread, chunk]);
    while (unread.length >= 2 && unread.length >= unread.readUInt16BE(0) + 2) {
      replies.push(unread.readUInt16BE(2));
      unread = unread.subarray(unread.readUInt16BE(0) + 2);
    }
  });
  socket.on('error', () => undefined);
  // A reset from the server is a close too (events.once would reject on the 'error' before it).
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, replies, closed };
}

/** Polls `condition` every 20 ms, at most `tries` times. */
async function until(condition: () => boolean, tries = 250): Promise<boolean> {
  for (let i = 0; i < tries && !condition(); i++) await sleep(20);
  return condition();
}

/** UDP and TCP on one loopback port that accept queries and never answer: an upstream that hangs. */
async function blackHole(): Promise<{ port: number }> {
  const held: Socket[] = [];
  for (let attempt = 0; attempt < 10; attempt++) {
    const udp: UdpSocket = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const tcp: Server = createServer((socket) => held.push(socket.on('error', () => undefined)));
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      udp.close();
      continue;
    }
    cleanups.push(() => {
      udp.close();
      for (const socket of held) socket.destroy();
      tcp.close();
    });
    return { port };
  }
  throw new Error('no free port pair');
}

describe('the answer cache and DNS 0x20', () => {
  const shell = bigAppState(1, 'shell');

  it("keeps the asker's case in the question and owner names, and serves other spellings from the cache", async () => {
    const server = await serve(shell);
    const first = await ask(server, 'ShElL.MaRaThOn.MeSoS.', 'A');
    expect(first.packet.questions).toEqual([{ name: 'ShElL.MaRaThOn.MeSoS', type: 'A', class: 'IN' }]);
    expect(first.packet.answers).toMatchObject([
      { name: 'ShElL.MaRaThOn.MeSoS', type: 'A', data: '10.1.0.1' },
    ]);
    expect([server.metrics.cacheHits, server.metrics.cacheMisses]).toEqual([0, 1]);
    const second = await ask(server, 'sHeLl.mArAtHoN.mEsOs.', 'A');
    expect(second.packet.questions![0]!.name).toBe('sHeLl.mArAtHoN.mEsOs');
    expect(second.packet.answers).toMatchObject([{ name: 'sHeLl.mArAtHoN.mEsOs', data: '10.1.0.1' }]);
    expect([server.metrics.cacheHits, server.metrics.cacheMisses]).toEqual([1, 1]);
    // All lowercase is its own entry, answered exactly as before this cache learnt about case.
    const lower = await ask(server, 'shell.marathon.mesos', 'A');
    expect(lower.packet.answers).toMatchObject([{ name: 'shell.marathon.mesos', data: '10.1.0.1' }]);
  });

  it('keeps the case of SRV owners too, while glue names stay as generated; over TCP the same', async () => {
    const server = await serve(shell);
    for (const [spelling, tcp] of [
      ['_ShElL._TcP.MaRaThOn.MeSoS', false],
      ['_sHeLl._tCp.mArAtHoN.mEsOs', true],
    ] as const) {
      const { packet } = await ask(server, spelling, 'SRV', tcp);
      expect(packet.questions![0]!.name).toBe(spelling);
      expect(packet.answers).toMatchObject([{ name: spelling, type: 'SRV', data: { port: 31000 } }]);
      expect(packet.additionals!.filter((record) => record.type === 'A')).toMatchObject([
        { name: expect.stringMatching(/^shell-[a-z0-9]{5}-s0\.marathon\.slave\.mesos$/), data: '127.0.0.2' },
      ]);
    }
    expect(server.metrics.cacheHits).toBe(1);
  });

  it('lowercases A owners in compat mode (Mesos-DNS), still one cache entry for every spelling', async () => {
    const server = await serve(shell, { compat: true });
    await ask(server, 'ShElL.MaRaThOn.MeSoS', 'A');
    const { packet } = await ask(server, 'SHELL.marathon.MESOS', 'A');
    expect(packet.questions![0]!.name).toBe('SHELL.marathon.MESOS');
    expect(packet.answers).toMatchObject([{ name: 'shell.marathon.mesos', data: '10.1.0.1' }]);
    expect(server.metrics.cacheHits).toBe(1);
  });

  it('cuts a reply to the EDNS0 size of a query the cache does not take (an extra record), uncached', async () => {
    const server = await serve(bigAppState(300));
    const message = dnsPacket.encode({
      type: 'query',
      id: 77,
      questions: [{ name: 'big.marathon.mesos', type: 'A', class: 'IN' }],
      additionals: [
        { name: 'extra.mesos', type: 'A', class: 'IN', ttl: 0, data: '192.0.2.1' },
        {
          name: '.',
          type: 'OPT',
          udpPayloadSize: 4096,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ],
    });
    const reply = dnsPacket.decode(
      await exchangeUdp(message, { host: '127.0.0.1', port: server.port }, { timeoutMs: 2000, retries: 0 }),
    );
    expect(reply.id).toBe(77);
    // 12 header + 24 question + 11 OPT + 253 x 16 = 4095 bytes, as for a plain query of 4096.
    expect(reply.answers).toHaveLength(253);
    expect([server.metrics.cacheHits, server.metrics.cacheMisses, server.metrics.cacheEntries]).toEqual([
      0, 0, 0,
    ]);
  });

  it('stays within its byte budget, as /metrics reports it', async () => {
    const state = JSON.parse(bigAppState(300)) as unknown;
    const stop = new AbortController();
    const service = await startDnsService(
      {
        config: parseDnsConfig(
          { externalOn: false, listener: '127.0.0.1', port: 0, httpListener: '127.0.0.1', httpport: 0 },
          'test',
        ),
        compat: false,
        load: async () => ({ state, hosts: new Map() }),
        interfaceAddresses: [],
        version: 'test',
        log: () => undefined,
        limits: { cacheBytes: 64 * 1024 },
      },
      stop.signal,
    );
    cleanups.push(async () => {
      stop.abort();
      await service.done;
    });
    const dns = service.dns!;
    let highest = 0;
    for (let i = 0; i < 300; i++) {
      await ask(
        dns,
        i % 10 === 0 ? '_big._tcp.marathon.mesos' : `missing-${i}.mesos`,
        i % 10 ? 'A' : 'SRV',
        i % 20 === 0,
      );
      highest = Math.max(highest, dns.metrics.cacheBytes);
    }
    expect(highest).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(64 * 1024);
    const metrics = await (await fetch(`http://127.0.0.1:${service.http!.port}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(gauge('mesos_dns_cache_bytes')).toBeLessThanOrEqual(64 * 1024);
    expect(gauge('mesos_dns_cache_entries')).toBeGreaterThan(0);
    expect(metrics).toContain('mesos_dns_cache_lookups_total{result="miss"}');
  });
});

describe('TCP clients that cost too much', () => {
  it('stops reading a connection whose replies pile up unread, and catches up once it reads', async () => {
    const server = await serve(bigAppState(300), { limits: { tcpUnsentBytes: 64 * 1024 } });
    const client = await tcpClient(server.port);
    client.socket.pause();
    const count = 3000;
    // About 63 MB of replies asked for: far more than the kernel's socket buffers hold.
    client.socket.write(
      Buffer.concat(Array.from({ length: count }, (_, id) => framed('_big._tcp.marathon.mesos', 'SRV', id))),
    );
    const answered = () => server.metrics.queries.get('SRV NOERROR') ?? 0;
    // Wait until the server has stopped taking queries (the count holds still).
    let last = -1;
    for (let i = 0; i < 100 && answered() !== last; i++) {
      last = answered();
      await sleep(100);
    }
    expect(answered()).toBeLessThan(count / 2);
    client.socket.resume();
    expect(await until(() => client.replies.length === count, 1500)).toBe(true);
    expect(new Set(client.replies).size).toBe(count);
  }, 60_000);

  it('takes no more than tcpInFlight queries of one connection at once', async () => {
    const upstream = await blackHole();
    const config = parseDnsConfig({ resolvers: [`127.0.0.1:${upstream.port}`], timeout: 1 }, 'test');
    const server = await serve(bigAppState(1), { config, limits: { tcpInFlight: 4 } });
    const client = await tcpClient(server.port);
    client.socket.write(Buffer.concat(Array.from({ length: 8 }, (_, id) => framed('example.org', 'A', id))));
    expect(await until(() => server.metrics.forwarded === 4)).toBe(true);
    await sleep(200);
    expect(server.metrics.forwarded).toBe(4);
    // The upstream never answers: SERVFAIL after the 1 s timeout frees room for the next four.
    expect(await until(() => client.replies.length === 8)).toBe(true);
    expect(server.metrics.forwarded).toBe(8);
  });

  it('closes a connection that trickles bytes but never completes a query', async () => {
    const server = await serve(bigAppState(1), { limits: { tcpIdleMs: 300 } });
    const client = await tcpClient(server.port);
    let closed = false;
    void client.closed.then(() => (closed = true));
    const query = framed('big.marathon.mesos', 'A', 1);
    // One byte every 50 ms: always active, never a whole query. Bounded at 5 s (the deadline is 0.3 s).
    let sent = 0;
    for (; sent < 100 && !closed; sent++) {
      client.socket.write(query.subarray(sent % (query.length - 1), (sent % (query.length - 1)) + 1));
      await sleep(50);
    }
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(100);
    expect(server.metrics.tcpTimedOut).toBe(1);
  });

  it('keeps a connection open as long as it completes queries', async () => {
    const server = await serve(bigAppState(1), { limits: { tcpIdleMs: 300 } });
    const client = await tcpClient(server.port);
    for (let id = 0; id < 12; id++) {
      client.socket.write(framed('big.marathon.mesos', 'A', id));
      await sleep(100);
    }
    expect(client.socket.destroyed).toBe(false);
    expect(client.replies).toHaveLength(12);
    expect(server.metrics.tcpTimedOut).toBe(0);
  });

  it('at the connection cap closes the least recently active idle connection for a new one', async () => {
    const server = await serve(bigAppState(1), { limits: { tcpConnections: 3 } });
    const clients: Awaited<ReturnType<typeof tcpClient>>[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await tcpClient(server.port);
      client.socket.write(framed('big.marathon.mesos', 'A', i));
      expect(await until(() => client.replies.length === 1)).toBe(true);
      clients.push(client);
    }
    // The first one asks again, so the second is now the least recently active.
    clients[0]!.socket.write(framed('big.marathon.mesos', 'A', 9));
    expect(await until(() => clients[0]!.replies.length === 2)).toBe(true);
    const newcomer = await tcpClient(server.port);
    newcomer.socket.write(framed('big.marathon.mesos', 'A', 4));
    await clients[1]!.closed;
    expect(await until(() => newcomer.replies.length === 1)).toBe(true);
    expect([clients[0]!.socket.destroyed, clients[2]!.socket.destroyed]).toEqual([false, false]);
    expect(server.metrics.tcpEvicted).toBe(1);
    expect(server.metrics.tcpConnections).toBe(3);
  });

  it('turns a new connection away when every open one is busy', async () => {
    const upstream = await blackHole();
    const config = parseDnsConfig({ resolvers: [`127.0.0.1:${upstream.port}`], timeout: 1 }, 'test');
    const server = await serve(bigAppState(1), { config, limits: { tcpConnections: 2 } });
    for (let i = 0; i < 2; i++) {
      const busy = await tcpClient(server.port);
      busy.socket.write(framed('example.org', 'A', i));
    }
    expect(await until(() => server.metrics.forwarded === 2)).toBe(true);
    const turnedAway = await tcpClient(server.port);
    await turnedAway.closed;
    expect(server.metrics.tcpRefused).toBe(1);
  });
});

describe('forwarding', () => {
  it('answers SERVFAIL at once past the cap on pending forwards, instead of opening more sockets', async () => {
    const upstream = await blackHole();
    const config = parseDnsConfig({ resolvers: [`127.0.0.1:${upstream.port}`], timeout: 1 }, 'test');
    const server = await serve(bigAppState(1), { config, limits: { maxForwards: 2 } });
    const rcodes = await Promise.all(
      Array.from({ length: 6 }, () =>
        ask(server, 'example.org', 'A').then(({ packet }) => (packet.flags ?? 0) & 0xf),
      ),
    );
    expect(rcodes).toEqual(Array(6).fill(2));
    expect(server.metrics.forwarded).toBe(2);
    expect(server.metrics.forwardsRejected).toBe(4);
    expect(server.metrics.forwardFailures).toBe(2);
  });
});
