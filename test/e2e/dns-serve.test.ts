import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir } from '../helpers/cli.js';
import {
  bigAppState as bigState,
  dig as digAt,
  digFlags as flags,
  digSection as section,
  digStatus as status,
  startDnsServe,
  type ServedDns,
} from '../helpers/dns.js';

const FAKE = join(ROOT, 'test/fixtures/mesos-dns/fake.json');
const dir = mkdtempSync(join(tmpdir(), 'dcos-dns-serve-'));

type Served = ServedDns;
const running: Served[] = [];

async function serve(args: string[]): Promise<Served> {
  const served = await startDnsServe(args, { DCOS_DIR: tempDcosDir() });
  running.push(served);
  return served;
}

const dig = (server: Served, ...args: string[]) => digAt(server.dns.port, ...args);

let main: Served;

beforeAll(async () => {
  main = await serve(['--state', FAKE, '--no-external']);
});

afterAll(async () => {
  for (const served of running) if (served.child.exitCode === null) served.child.kill('SIGKILL');
});

describe('dcos dns serve answered by real dig', () => {
  it("answers A with aa and ra, the owner in the asker's case", async () => {
    const out = await dig(main, 'CHRONOS.Marathon.MESOS', 'A');
    expect(status(out)).toBe('NOERROR');
    expect(flags(out)).toBe('qr aa rd ra');
    expect(section(out, 'QUESTION')).toEqual([';CHRONOS.Marathon.MESOS. IN A']);
    expect(section(out, 'ANSWER')).toEqual(['CHRONOS.Marathon.MESOS. 60 IN A 1.2.3.11']);
  });

  it('answers AAAA', async () => {
    const out = await dig(main, 'toy-store.ipv6-framework.mesos', 'AAAA');
    expect(section(out, 'ANSWER')).toContain('toy-store.ipv6-framework.mesos. 60 IN AAAA fd01:b::1:8000:2');
  });

  it('answers SRV with glue in ADDITIONAL', async () => {
    const out = await dig(main, '_car-store._udp.marathon.mesos', 'SRV');
    expect(section(out, 'ANSWER').sort()).toEqual([
      '_car-store._udp.marathon.mesos. 60 IN SRV 0 1 31364 car-store-zinaz-0.marathon.slave.mesos.',
      '_car-store._udp.marathon.mesos. 60 IN SRV 0 1 31365 car-store-zinaz-0.marathon.slave.mesos.',
    ]);
    expect(section(out, 'ADDITIONAL')).toEqual(['car-store-zinaz-0.marathon.slave.mesos. 60 IN A 1.2.3.11']);
  });

  it('puts SOA and NS in AUTHORITY', async () => {
    const soa = await dig(main, 'mesos', 'SOA');
    expect(status(soa)).toBe('NOERROR');
    expect(section(soa, 'ANSWER')).toEqual([]);
    expect(section(soa, 'AUTHORITY')[0]).toMatch(
      /^mesos\. 60 IN SOA ns1\.mesos\. root\.ns1\.mesos\. \d+ 60 600 86400 60$/,
    );
    const ns = await dig(main, 'mesos', 'NS');
    expect(section(ns, 'AUTHORITY')).toEqual(['mesos. 60 IN NS ns1.mesos.']);
  });

  it('tells NXDOMAIN from NODATA', async () => {
    const missing = await dig(main, 'missing.mesos', 'A');
    expect(status(missing)).toBe('NXDOMAIN');
    expect(section(missing, 'AUTHORITY')[0]).toContain('IN SOA');
    const nodata = await dig(main, 'chronos.marathon.mesos', 'AAAA');
    expect(status(nodata)).toBe('NOERROR');
    expect(section(nodata, 'ANSWER')).toEqual([]);
    const srv = await dig(main, '_missing._tcp.mesos', 'SRV');
    expect(status(srv)).toBe('NOERROR');
    expect(section(srv, 'AUTHORITY')).toEqual([]);
  });

  it('refuses names outside the domain with external off (no aa, no ra)', async () => {
    const out = await dig(main, 'example.org', 'A');
    expect(status(out)).toBe('REFUSED');
    expect(flags(out)).toBe('qr rd');
  });

  it('echoes EDNS0 and answers over TCP too', async () => {
    const udp = await dig(main, 'leader.mesos', 'A', '+bufsize=1232');
    expect(udp).toContain('; EDNS: version: 0');
    const tcp = await dig(main, 'leader.mesos', 'A', '+tcp');
    expect(section(tcp, 'ANSWER')).toEqual(['leader.mesos. 60 IN A 1.2.3.4']);
  });

  it('serves /v1/hosts and /health over HTTP', async () => {
    const base = `http://127.0.0.1:${main.http!.port}`;
    expect(await (await fetch(`${base}/v1/hosts/leader.mesos`)).json()).toEqual([
      { host: 'leader.mesos.', ip: '1.2.3.4' },
    ]);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe('dcos dns serve: truncation and EDNS0 with 300 instances', () => {
  let normal: Served;
  let compat: Served;
  beforeAll(async () => {
    const state = join(dir, 'big.json');
    writeFileSync(state, bigState(300));
    [normal, compat] = await Promise.all([
      serve(['--state', state, '--no-external']),
      serve(['--state', state, '--no-external', '--compat']),
    ]);
  });

  it('truncates over UDP without EDNS0 and answers in full over TCP', async () => {
    const udp = await dig(normal, 'big.marathon.mesos', 'A', '+noedns', '+ignore');
    expect(flags(udp)).toContain('tc');
    expect(section(udp, 'ANSWER')).toHaveLength(29);
    const tcp = await dig(normal, 'big.marathon.mesos', 'A', '+tcp');
    expect(section(tcp, 'ANSWER')).toHaveLength(300);
    expect(flags(tcp)).not.toContain('tc');
  });

  it('honours +bufsize, but not in --compat mode (512 bytes, no OPT)', async () => {
    const large = await dig(normal, 'big.marathon.mesos', 'A', '+bufsize=4096', '+ignore');
    // 12 header + 24 question + 11 OPT + 253 x 16 = 4095 bytes, just below 4096.
    expect(section(large, 'ANSWER')).toHaveLength(253);
    expect(large).toContain('; EDNS: version: 0');
    const old = await dig(compat, 'big.marathon.mesos', 'A', '+bufsize=4096', '+ignore');
    expect(flags(old)).toContain('tc');
    expect(section(old, 'ANSWER')).toHaveLength(29);
    expect(old).not.toContain('EDNS:');
  });

  it('lowercases the A owner in --compat mode, as Mesos-DNS does', async () => {
    const out = await dig(compat, 'BIG.Marathon.mesos', 'A', '+tcp');
    expect(section(out, 'QUESTION')).toEqual([';BIG.Marathon.mesos. IN A']);
    expect(new Set(section(out, 'ANSWER').map((row) => row.split(' ')[0]))).toEqual(
      new Set(['big.marathon.mesos.']),
    );
  });
});

describe('dcos dns serve: forwarding', () => {
  it('forwards other zones to a second server and reports SERVFAIL when the upstream is dead', async () => {
    const upstreamState = join(dir, 'upstream.json');
    writeFileSync(
      upstreamState,
      JSON.stringify({ leader: 'master@127.0.0.9:5050', slaves: [], frameworks: [] }),
    );
    const upstream = await serve(['--state', upstreamState, '--domain', 'cluster', '--no-external']);
    const config = join(dir, 'forwarding.json');
    writeFileSync(
      config,
      JSON.stringify({
        externalon: true,
        resolvers: [`127.0.0.1:${upstream.dns.port}`],
        zoneresolvers: { dead: ['127.0.0.1:9'] },
        timeout: 1,
      }),
    );
    const front = await serve(['--state', FAKE, '--config', config]);
    const forwarded = await dig(front, 'leader.cluster', 'A');
    expect(status(forwarded)).toBe('NOERROR');
    expect(section(forwarded, 'ANSWER')).toEqual(['leader.cluster. 60 IN A 127.0.0.9']);
    const viaTcp = await dig(front, 'leader.cluster', 'A', '+tcp');
    expect(section(viaTcp, 'ANSWER')).toEqual(['leader.cluster. 60 IN A 127.0.0.9']);
    const refused = await dig(front, 'example.org', 'A');
    expect(status(refused)).toBe('REFUSED');
    const dead = await dig(front, 'x.dead', 'A');
    expect(status(dead)).toBe('SERVFAIL');
  });
});

describe('dcos dns serve: safe defaults', () => {
  it('listens on 127.0.0.1 (DNS and HTTP) and refuses names outside the domain unless given resolvers', async () => {
    const served = await startDnsServe(
      ['--state', FAKE],
      { DCOS_DIR: tempDcosDir() },
      { listenFlags: false },
    );
    running.push(served);
    expect(served.dns.address).toBe('127.0.0.1');
    expect(served.http!.address).toBe('127.0.0.1');
    const out = await digAt(served.dns.port, 'example.org', 'A');
    expect(status(out)).toBe('REFUSED');
    expect(served.stderr()).toBe('');
  });

  it("rejects a resolver that is the server's own listener, with one line", async () => {
    const port = String(main.dns.port);
    const result = await runCli(
      [
        'dns',
        'serve',
        '--state',
        FAKE,
        '--port',
        port,
        '--http-port',
        '0',
        '--resolver',
        `127.0.0.1:${port}`,
      ],
      { env: { DCOS_DIR: tempDcosDir() } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `Error: resolvers: "127.0.0.1:${port}" is this server's own DNS listener (127.0.0.1:${port}); forwarding to it would loop`,
    );
  });

  it('rejects --external without resolvers', async () => {
    const result = await runCli(['dns', 'serve', '--state', FAKE, '--port', '0', '--external'], {
      env: { DCOS_DIR: tempDcosDir() },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('forwarding names outside "mesos" needs resolvers');
  });
});

describe('dcos dns serve lifecycle', () => {
  it('re-reads --state on refresh and exits 0 on SIGTERM', async () => {
    const state = join(dir, 'changing.json');
    writeFileSync(state, JSON.stringify({ leader: 'master@127.0.0.5:5050', slaves: [], frameworks: [] }));
    const served = await serve(['--state', state, '--no-external', '--refresh', '1']);
    expect(section(await dig(served, 'leader.mesos', 'A'), 'ANSWER')).toEqual([
      'leader.mesos. 60 IN A 127.0.0.5',
    ]);
    writeFileSync(state, JSON.stringify({ leader: 'master@127.0.0.6:5050', slaves: [], frameworks: [] }));
    let answer: string[] = [];
    for (let i = 0; i < 40 && answer[0] !== 'leader.mesos. 60 IN A 127.0.0.6'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = section(await dig(served, 'leader.mesos', 'A'), 'ANSWER');
    }
    expect(answer).toEqual(['leader.mesos. 60 IN A 127.0.0.6']);
    served.child.kill('SIGTERM');
    expect(await served.exit).toBe(0);
  });

  it('fails with one line on a port in use', async () => {
    const result = await runCli(
      [
        'dns',
        'serve',
        '--state',
        FAKE,
        '--no-external',
        '--listen',
        '127.0.0.1',
        '--port',
        String(main.dns.port),
        '--http-port',
        '0',
      ],
      { env: { DCOS_DIR: tempDcosDir() } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `Error: cannot serve DNS on 127.0.0.1:${main.dns.port}: the port is in use; choose another with --port`,
    );
  });
});
