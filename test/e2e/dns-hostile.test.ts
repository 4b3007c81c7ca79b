/**
 * `dcos dns serve` (the built CLI, in its own process) against hostile clients on loopback: a TCP client that
 * pipelines queries and never reads, a UDP flood of random-case queries for a 300-task SRV set, a trickling
 * connection, and a UDP flood from one source under response rate limiting. Each time an ordinary client
 * must still be answered. Every loop is bounded; times are only safety nets.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import dnsPacket from 'dns-packet';
import type { Packet } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exchangeUdp } from '../../src/lib/dns/transport.js';
import { tempDcosDir } from '../helpers/cli.js';
import { bigAppState, dig, digSection, startDnsServe, type ServedDns } from '../helpers/dns.js';

const dir = mkdtempSync(join(tmpdir(), 'dcos-dns-hostile-'));
const BIG = join(dir, 'big.json');
const SRV_NAME = '_big._tcp.marathon.mesos';
const running: ServedDns[] = [];

beforeAll(() => {
  writeFileSync(BIG, bigAppState(300));
});

afterAll(() => {
  for (const served of running) if (served.child.exitCode === null) served.child.kill('SIGKILL');
});

async function serve(args: string[]): Promise<ServedDns> {
  const served = await startDnsServe(['--state', BIG, ...args], { DCOS_DIR: tempDcosDir() });
  running.push(served);
  return served;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process, from /proc. */
function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

async function metric(served: ServedDns, line: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${served.http!.port}/metrics`)).text();
  const found = text.split('\n').find((row) => row.startsWith(`${line} `));
  return Number(found?.split(' ')[1] ?? Number.NaN);
}

function query(name: string, type: 'A' | 'SRV', id: number, ednsSize?: number): Buffer {
  const packet: Packet = { type: 'query', id, flags: 1 << 8, questions: [{ name, type, class: 'IN' }] };
  if (ednsSize !== undefined) {
    packet.additionals = [
      {
        name: '.',
        type: 'OPT',
        udpPayloadSize: ednsSize,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ];
  }
  return dnsPacket.encode(packet);
}

/** Every letter in a random case, as a DNS 0x20 resolver (or an attacker dodging a cache) sends it. */
function randomCase(name: string): string {
  return [...name].map((char) => (Math.random() < 0.5 ? char.toUpperCase() : char)).join('');
}

/** One UDP query of an ordinary client (one try, 2 s), and how long it took. */
async function timedAnswer(served: ServedDns, message: Buffer): Promise<{ ms: number; reply: Buffer }> {
  const started = performance.now();
  const reply = await exchangeUdp(
    message,
    { host: '127.0.0.1', port: served.dns.port },
    {
      timeoutMs: 2000,
      retries: 0,
    },
  );
  return { ms: performance.now() - started, reply };
}

describe('a TCP client that pipelines queries and never reads', () => {
  it('leaves the server with bounded memory, and other clients are answered meanwhile', async () => {
    const served = await serve([]);
    const pid = served.child.pid!;
    // Warm up: the answer is cached and the code paths compiled before the baseline is taken.
    for (let i = 0; i < 20; i++) {
      expect(digSection(await dig(served.dns.port, SRV_NAME, 'SRV', '+tcp'), 'ANSWER')).toHaveLength(300);
    }
    const baseline = rssBytes(pid);
    const socket = connect(served.dns.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.pause();
    socket.on('error', () => undefined);
    // 2 MB of pipelined queries, asking for about 1 GB of replies.
    const one = query(SRV_NAME, 'SRV', 1);
    const framedQuery = Buffer.concat([Buffer.from([0, one.length]), one]);
    const count = Math.ceil((2 * 1024 * 1024) / framedQuery.length);
    socket.write(Buffer.concat(Array(count).fill(framedQuery)));
    let highest = baseline;
    for (let sample = 0; sample < 16; sample++) {
      await sleep(250);
      highest = Math.max(highest, rssBytes(pid));
      if (sample % 4 === 0) {
        const udp = await dig(served.dns.port, 'leader.mesos', 'A');
        expect(digSection(udp, 'ANSWER')).toEqual(['leader.mesos. 60 IN A 127.0.0.1']);
        const tcp = await dig(served.dns.port, SRV_NAME, 'SRV', '+tcp');
        expect(digSection(tcp, 'ANSWER')).toHaveLength(300);
      }
    }
    socket.destroy();
    expect(highest - baseline).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});

describe('a UDP flood of random-case queries for a 300-task SRV set', () => {
  it('is served from the cache, and an ordinary client keeps getting answers during it', async () => {
    const served = await serve([]);
    const flooder: UdpSocket = createSocket('udp4');
    await new Promise<void>((resolve) => flooder.connect(served.dns.port, '127.0.0.1', resolve));
    // Its replies are not read: the kernel drops them once its buffer is full.
    const total = 24_000;
    const sizes = [undefined, 512, 1232, 1400, 4096, 65000];
    let sent = 0;
    const flood = (async () => {
      while (sent < total) {
        for (let i = 0; i < 200; i++, sent++) {
          flooder.send(query(randomCase(SRV_NAME), 'SRV', sent & 0xffff, sizes[sent % sizes.length]));
        }
        await sleep(20);
      }
    })();
    const latencies: number[] = [];
    for (let i = 0; i < 400 && sent < total; i++) {
      const name = i % 2 ? 'leader.mesos' : SRV_NAME;
      const { ms, reply } = await timedAnswer(served, query(name, i % 2 ? 'A' : 'SRV', i, 1232));
      expect(dnsPacket.decode(reply).answers!.length).toBeGreaterThan(0);
      latencies.push(ms);
      await sleep(50);
    }
    await flood;
    flooder.close();
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(2000);
    // Every spelling and size shares a few entries: the flood is answered from the cache.
    const misses = await metric(served, 'mesos_dns_cache_lookups_total{result="miss"}');
    const hits = await metric(served, 'mesos_dns_cache_lookups_total{result="hit"}');
    expect(misses).toBeLessThan(100);
    expect(hits).toBeGreaterThan(1000);
  }, 60_000);
});

describe('a connection that trickles bytes', () => {
  it('is closed once it has not completed a query within --tcp-idle-timeout', async () => {
    const served = await serve(['--tcp-idle-timeout', '1']);
    const socket = connect(served.dns.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('error', () => undefined);
    let closed = false;
    socket.once('close', () => (closed = true));
    const one = query('leader.mesos', 'A', 7);
    const framedQuery = Buffer.concat([Buffer.from([0, one.length]), one]);
    // A byte every 100 ms, never the last one: bounded at 10 s against a 1 s deadline.
    for (let i = 0; i < 100 && !closed; i++) {
      socket.write(framedQuery.subarray(i % (framedQuery.length - 1), (i % (framedQuery.length - 1)) + 1));
      await sleep(100);
    }
    expect(closed).toBe(true);
    expect(await metric(served, 'mesos_dns_tcp_closed_total{reason="deadline"}')).toBe(1);
  }, 30_000);
});

describe('response rate limiting', () => {
  /** A UDP client on its own loopback address, collecting replies by kind. */
  async function client(address: string, port: number) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    const seen = { answered: 0, slipped: 0 };
    socket.on('message', (reply) => {
      const decoded = dnsPacket.decode(reply);
      if (decoded.flag_tc && decoded.answers!.length === 0) seen.slipped++;
      else if (decoded.answers!.length > 0) seen.answered++;
    });
    const send = (message: Buffer) =>
      new Promise<void>((resolve) => socket.send(message, port, '127.0.0.1', () => resolve()));
    return { socket, seen, send };
  }

  it('engages on a flood from one /24, not on normal traffic from it or from others', async () => {
    const served = await serve(['--rrl-rate', '20', '--rrl-loopback']);
    const port = served.dns.port;
    const normal = await client('127.0.0.1', port);
    for (let i = 0; i < 10; i++) {
      await normal.send(query('leader.mesos', 'A', i));
      await sleep(20);
    }
    const limited = () => metric(served, 'mesos_dns_rate_limited_total{action="drop"}');
    expect(await limited()).toBe(0);
    // 400 queries at once from 127.0.0.1: far over 20 a second.
    for (let i = 0; i < 400; i++) await normal.send(query('leader.mesos', 'A', 1000 + i));
    await sleep(300);
    const dropped = await limited();
    const slipped = await metric(served, 'mesos_dns_rate_limited_total{action="slip"}');
    expect(dropped).toBeGreaterThan(100);
    expect(Math.abs(slipped - dropped)).toBeLessThanOrEqual(1);
    expect(normal.seen.answered).toBeLessThan(200);
    expect(normal.seen.slipped).toBeGreaterThan(50);
    // Another /24 (127.0.1.0/24 is loopback too on Linux) is not affected.
    const neighbour = await client('127.0.1.1', port);
    for (let i = 0; i < 10; i++) {
      await neighbour.send(query('leader.mesos', 'A', i));
      await sleep(20);
    }
    for (let i = 0; i < 50 && neighbour.seen.answered < 10; i++) await sleep(20);
    expect(neighbour.seen).toEqual({ answered: 10, slipped: 0 });
    normal.socket.close();
    neighbour.socket.close();
  }, 30_000);
});
