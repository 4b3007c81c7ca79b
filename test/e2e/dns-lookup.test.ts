import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir } from '../helpers/cli.js';
import {
  bigAppState,
  digFlags as flags,
  digSection as section,
  digStatus as status,
  startDnsServe,
  type ServedDns,
} from '../helpers/dns.js';

const FAKE = join(ROOT, 'test/fixtures/mesos-dns/fake.json');
const env = { DCOS_DIR: tempDcosDir() };

function lookup(...args: string[]) {
  return runCli(['dns', 'lookup', ...args], { env });
}

describe('dcos dns lookup against a saved state (answered locally)', () => {
  it('prints a dig-like A answer', async () => {
    const result = await lookup('chronos.marathon.mesos', '--state', FAKE);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(status(result.stdout)).toBe('NOERROR');
    expect(flags(result.stdout)).toBe('qr aa rd ra');
    expect(result.stdout).toContain(';; QUESTION SECTION:\n;chronos.marathon.mesos.\t\tIN\tA\n');
    expect(section(result.stdout, 'ANSWER')).toEqual(['chronos.marathon.mesos. 60 IN A 1.2.3.11']);
    expect(result.stdout).toContain('; EDNS: version: 0, flags:; udp: 4096');
    expect(result.stdout).toMatch(
      /;; SERVER: local records of .*fake\.json \(UDP\)\n;; MSG SIZE {2}rcvd: \d+\n$/,
    );
  });

  it('answers SRV with glue in ADDITIONAL (default IP sources: the agent IP)', async () => {
    const result = await lookup('_liquor-store._tcp.marathon.mesos', '--type', 'srv', '--state', FAKE);
    expect(result.code).toBe(0);
    expect(section(result.stdout, 'ANSWER').sort()).toEqual([
      '_liquor-store._tcp.marathon.mesos. 60 IN SRV 0 1 443 liquor-store-4dfjd-0.marathon.mesos.',
      '_liquor-store._tcp.marathon.mesos. 60 IN SRV 0 1 443 liquor-store-zasmd-1.marathon.mesos.',
      '_liquor-store._tcp.marathon.mesos. 60 IN SRV 0 1 80 liquor-store-4dfjd-0.marathon.mesos.',
      '_liquor-store._tcp.marathon.mesos. 60 IN SRV 0 1 80 liquor-store-zasmd-1.marathon.mesos.',
    ]);
    expect(section(result.stdout, 'ADDITIONAL').sort()).toEqual([
      'liquor-store-4dfjd-0.marathon.mesos. 60 IN A 1.2.3.11',
      'liquor-store-zasmd-1.marathon.mesos. 60 IN A 1.2.3.12',
    ]);
  });

  it('follows --ip-sources like the upstream test (docker first)', async () => {
    const result = await lookup(
      '_liquor-store._tcp.marathon.mesos',
      '--type',
      'SRV',
      '--state',
      FAKE,
      '--ip-sources',
      'netinfo,docker,mesos,host',
    );
    expect(section(result.stdout, 'ADDITIONAL').sort()).toEqual([
      'liquor-store-4dfjd-0.marathon.mesos. 60 IN A 10.3.0.1',
      'liquor-store-zasmd-1.marathon.mesos. 60 IN A 10.3.0.2',
    ]);
  });

  it('prints JSON with --json', async () => {
    const result = await lookup('leader.mesos', '--state', FAKE, '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      header: { opcode: 'QUERY', rcode: 'NOERROR', flags: ['qr', 'aa', 'rd', 'ra'] },
      question: [{ name: 'leader.mesos.', class: 'IN', type: 'A' }],
      answer: [{ name: 'leader.mesos.', ttl: 60, class: 'IN', type: 'A', data: '1.2.3.4' }],
      authority: [],
      additional: [],
      edns: { version: 0, flags: [], udp: 4096 },
      transport: 'udp',
      retriedOverTcp: false,
    });
  });

  it('exits 0 for NXDOMAIN, with the SOA in AUTHORITY', async () => {
    const result = await lookup('missing.mesos', '--state', FAKE);
    expect(result.code).toBe(0);
    expect(status(result.stdout)).toBe('NXDOMAIN');
    expect(section(result.stdout, 'ANSWER')).toEqual([]);
    expect(section(result.stdout, 'AUTHORITY')[0]).toMatch(
      /^missing\.mesos\. 60 IN SOA ns1\.mesos\. root\.ns1\.mesos\. \d+ 60 600 86400 60$/,
    );
  });

  it('says where a name outside the domain would be forwarded, or REFUSED as dns serve would', async () => {
    // dns serve forwards only to resolvers it is given; by default it refuses.
    const refused = await lookup('example.org', '--state', FAKE);
    expect(refused.code).toBe(0);
    expect(status(refused.stdout)).toBe('REFUSED');
    const config = join(mkdtempSync(join(tmpdir(), 'dcos-dns-lookup-')), 'config.json');
    writeFileSync(config, JSON.stringify({ resolvers: ['192.0.2.53'] }));
    const forwarded = await lookup('example.org', '--state', FAKE, '--config', config);
    expect(forwarded.code).toBe(0);
    expect(forwarded.stdout).toBe(
      ';; example.org. is outside the domain mesos: the server would forward it to 192.0.2.53\n',
    );
    const off = await lookup('example.org', '--state', FAKE, '--config', config, '--no-external');
    expect(status(off.stdout)).toBe('REFUSED');
  });

  it('retries a truncated UDP answer over TCP and says so, as dig does', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'dcos-dns-lookup-')), 'big.json');
    writeFileSync(state, bigAppState(100));
    const result = await lookup('big.marathon.mesos', '--state', state, '--no-edns');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(';; Truncated, retrying in TCP mode.');
    expect(section(result.stdout, 'ANSWER')).toHaveLength(100);
    expect(flags(result.stdout)).toBe('qr aa rd ra');
    expect(result.stdout).toContain('(TCP)');
    expect(result.stdout).not.toContain('EDNS');
  });

  it('rejects a bad --type, a bad name and --state with --server with exit 1 and one line', async () => {
    const badType = await lookup('leader.mesos', '--type', 'MX', '--state', FAKE);
    expect(badType.code).toBe(1);
    expect(badType.stderr).toBe("Error: unsupported --type 'MX'; use one of A, AAAA, SRV, SOA, NS, ANY\n");
    const badName = await lookup('a..mesos', '--state', FAKE);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toBe("Error: 'a..mesos' has an empty label\n");
    const both = await lookup('leader.mesos', '--state', FAKE, '--server', '127.0.0.1');
    expect(both.code).toBe(1);
    expect(both.stderr.trim().split('\n')).toHaveLength(1);
  });
});

let served: ServedDns | undefined;

describe('dcos dns lookup --server against dcos dns serve', () => {
  let silent: UdpSocket;

  beforeAll(async () => {
    served = await startDnsServe(['--state', FAKE, '--no-external'], env);
    silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  });

  afterAll(() => {
    if (served?.child.exitCode === null) served.child.kill('SIGKILL');
    silent?.close();
  });

  it('asks over UDP', async () => {
    const result = await lookup('CHRONOS.Marathon.MESOS', '--server', `127.0.0.1:${served!.dns.port}`);
    expect(result.code).toBe(0);
    // The server keeps the asker's spelling of the name (RFC 4343), unlike Mesos-DNS.
    expect(section(result.stdout, 'ANSWER')).toEqual(['CHRONOS.Marathon.MESOS. 60 IN A 1.2.3.11']);
    expect(result.stdout).toContain(`;; SERVER: 127.0.0.1#${served!.dns.port}(127.0.0.1) (UDP)`);
  });

  it('asks over TCP with --tcp, SRV with glue', async () => {
    const result = await lookup(
      '_car-store._udp.marathon.mesos',
      '--type',
      'SRV',
      '--tcp',
      '--server',
      `127.0.0.1:${served!.dns.port}`,
    );
    expect(result.code).toBe(0);
    expect(section(result.stdout, 'ANSWER').sort()).toEqual([
      '_car-store._udp.marathon.mesos. 60 IN SRV 0 1 31364 car-store-zinaz-0.marathon.slave.mesos.',
      '_car-store._udp.marathon.mesos. 60 IN SRV 0 1 31365 car-store-zinaz-0.marathon.slave.mesos.',
    ]);
    expect(section(result.stdout, 'ADDITIONAL')).toEqual([
      'car-store-zinaz-0.marathon.slave.mesos. 60 IN A 1.2.3.11',
    ]);
    expect(result.stdout).toContain(`(TCP)`);
  });

  it('exits 0 for NXDOMAIN from the server, and prints JSON', async () => {
    const result = await lookup('missing.mesos', '--server', `127.0.0.1:${served!.dns.port}`, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      header: { rcode: 'NXDOMAIN' },
      transport: 'udp',
      server: `127.0.0.1#${served!.dns.port}(127.0.0.1)`,
    });
  });

  it('exits 1 with one line when nothing listens (UDP and TCP)', async () => {
    // An ephemeral port, bound and released: nothing listens there.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    for (const extra of [[], ['--tcp']]) {
      const result = await lookup('leader.mesos', '--server', `127.0.0.1:${port}`, ...extra);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        new RegExp(
          `^Error: cannot query 127\\.0\\.0\\.1:${port} over (UDP|TCP): connection refused[^\\n]*\\n$`,
        ),
      );
    }
  });

  it('exits 1 with one line when the server never answers', async () => {
    const port = silent.address().port;
    const result = await lookup('leader.mesos', '--server', `127.0.0.1:${port}`, '--timeout', '1');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: no answer from 127.0.0.1:${port} over UDP after 3 tries of 1 s each\n`,
    );
  });

  it('exits 1 for a bad server address', async () => {
    const result = await lookup('leader.mesos', '--server', '127.0.0.1:70000');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error: bad --server '127.0.0.1:70000': the port must be 1-65535; use HOST or HOST:PORT\n",
    );
  });
});
