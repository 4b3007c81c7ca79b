import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildQuery, lookup } from '../../../src/lib/dns/client.js';
import { parseDnsConfig } from '../../../src/lib/dns/config.js';
import { MAX_BODY_BYTES } from '../../../src/lib/dns/http-api.js';
import { startDnsService, type RunningDnsService } from '../../../src/lib/dns/service.js';
import { ROOT } from '../../helpers/cli.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/mesos-dns/fake.json'), 'utf8')) as unknown;

/** resolver_test.go's fakeDNS setup (TestHTTP), on loopback with free ports, plus basic-auth credentials. */
const config = parseDnsConfig(
  {
    masters: ['144.76.157.37:5050'],
    recurseOn: false,
    IPSources: ['netinfo', 'docker', 'mesos', 'host'],
    EnforceRFC952: true,
    externalOn: false,
    listener: '127.0.0.1',
    port: 0,
    httpListener: '127.0.0.1',
    httpport: 0,
    mesosAuthentication: 'basic',
    mesosCredentials: { principal: 'dns', secret: 'hunter2' },
  },
  '/etc/mesos-dns/config.json',
);

const NOW = 1_700_000_000_000;
const stop = new AbortController();
let service: RunningDnsService;
let base: string;
let loads = 0;

async function get(path: string) {
  const response = await fetch(`${base}${path}`, { headers: { accept: 'application/json' } });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text };
}

async function getJson(path: string): Promise<unknown> {
  const { status, text } = await get(path);
  expect(status, path).toBe(200);
  return JSON.parse(text);
}

beforeAll(async () => {
  service = await startDnsService(
    {
      config,
      compat: false,
      // The first load fails, so the API can be seen before any records exist.
      load: async () => {
        if (++loads === 1) throw new Error('master not reachable yet');
        return { state: fixture, hosts: new Map([['localhost', ['127.0.0.1']]]) };
      },
      interfaceAddresses: [],
      version: '1.2.3-test',
      log: () => undefined,
      now: () => NOW,
    },
    stop.signal,
  );
  base = `http://127.0.0.1:${service.http!.port}`;
});

afterAll(async () => {
  stop.abort();
  await service.done;
});

describe('HTTP API before the first good load', () => {
  it('/health is 503 with the error, record endpoints are 503, version and config work', async () => {
    const health = await get('/health');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text)).toMatchObject({
      healthy: false,
      serial: null,
      refreshes: { successes: 0, failures: 1 },
      lastError: 'master not reachable yet',
    });
    expect((await get('/v1/hosts/leader.mesos')).status).toBe(503);
    expect((await get('/v1/version')).status).toBe(200);
  });
});

describe('HTTP API after a load (resolver_test.go TestHTTP)', () => {
  beforeAll(async () => {
    expect(await service.store.refresh(stop.signal)).toBe(true);
  });

  it('/v1/version', async () => {
    expect(await getJson('/v1/version')).toEqual({
      Service: 'Mesos-DNS',
      URL: 'https://github.com/mesosphere/mesos-dns',
      Version: '1.2.3-test',
    });
  });

  it('/v1/config: Go field names, pretty-printed, the secret redacted', async () => {
    const { text, type } = await get('/v1/config');
    expect(type).toContain('application/json');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('\n "RefreshSeconds": 60');
    const shown = JSON.parse(text) as Record<string, unknown>;
    expect(shown).toMatchObject({
      Masters: ['144.76.157.37:5050'],
      Domain: 'mesos',
      SOAMname: 'ns1.mesos.',
      RecurseOn: false,
      File: '/etc/mesos-dns/config.json',
      MesosCredentials: { Principal: 'dns', Secret: '******' },
    });
  });

  it('/v1/services/_leader._tcp.mesos.', async () => {
    expect(await getJson('/v1/services/_leader._tcp.mesos.')).toEqual([
      { service: '_leader._tcp.mesos.', host: 'leader.mesos.', ip: '1.2.3.4', port: '5050' },
    ]);
  });

  it('an unknown service gives one entry with every field empty', async () => {
    expect(await getJson('/v1/services/_nope._tcp.mesos.')).toEqual([
      { service: '', host: '', ip: '', port: '' },
    ]);
  });

  it('/v1/hosts/leader.mesos (and its case and wildcard variants)', async () => {
    const expected = [{ host: 'leader.mesos.', ip: '1.2.3.4' }];
    expect(await getJson('/v1/hosts/leader.mesos')).toEqual(expected);
    expect(await getJson('/v1/hosts/LEADER.*.mesos')).toEqual(expected);
    expect(await getJson('/v1/hosts/nothing.mesos')).toEqual([{ host: '', ip: '' }]);
    const ports = await get('/v1/hosts/leader.mesos/ports');
    expect([ports.status, ports.text]).toEqual([501, 'To be implemented...']);
  });

  it('/v1/enumerate lists every framework and the records of running tasks', async () => {
    const body = (await getJson('/v1/enumerate')) as {
      frameworks: { name: string; tasks: { name: string; id: string; records: unknown[] }[] }[];
    };
    expect(body.frameworks.map((framework) => framework.name).sort()).toEqual(
      ['chronos with a space AND MIXED CASE-2.0.1', 'ipv6-framework', 'marathon', 'no pid'].sort(),
    );
    expect(body.frameworks.find((framework) => framework.name === 'no pid')!.tasks).toEqual([]);
    const marathon = body.frameworks.find((framework) => framework.name === 'marathon')!;
    expect(marathon.tasks.map((task) => task.name)).not.toContain('poseidon');
    const chronos = marathon.tasks.find((task) => task.name === 'chronos')!;
    expect(chronos.records).toContainEqual({ name: 'chronos.marathon.mesos.', host: '1.2.3.11', rtype: 'A' });
  });

  it('/v1/axfr has Mesos-DNS shape with the load time as serial', async () => {
    const body = (await getJson('/v1/axfr')) as Record<string, unknown> & {
      Records: {
        As: Record<string, string[]>;
        AAAAs: Record<string, string[]>;
        SRVs: Record<string, string[]>;
      };
    };
    expect(Object.keys(body).sort()).toEqual([
      'Domain',
      'Mname',
      'Records',
      'RefreshSeconds',
      'Rname',
      'Serial',
      'TTL',
    ]);
    expect(body).toMatchObject({
      TTL: 60,
      Serial: NOW / 1000,
      RefreshSeconds: 60,
      Mname: 'ns1.mesos.',
      Rname: 'root.ns1.mesos.',
      Domain: 'mesos',
    });
    expect(body.Records.As['leader.mesos.']).toEqual(['1.2.3.4']);
    expect(body.Records.AAAAs['toy-store.ipv6-framework.mesos.']).toEqual(['fd01:b::1:8000:2']);
    expect(body.Records.SRVs['_leader._tcp.mesos.']).toEqual(['leader.mesos.:5050']);
  });

  it('answers unknown paths with a 404 text', async () => {
    const missing = await get('/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('text/plain');
    expect(missing.text).toBe('404: Page Not Found');
  });

  it('/health is 200 once records are loaded', async () => {
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({
      healthy: true,
      serial: NOW / 1000,
      lastRefresh: new Date(NOW).toISOString(),
      refreshes: { successes: 1, failures: 1 },
      lastError: null,
    });
  });

  it('/metrics counts DNS queries by type and rcode, refreshes and records, in Prometheus text', async () => {
    const server = { host: '127.0.0.1', port: service.dns!.port };
    await lookup({ server, query: buildQuery('leader.mesos', 'A'), timeoutMs: 2000 });
    await lookup({ server, query: buildQuery('leader.mesos', 'A'), timeoutMs: 2000 });
    await lookup({ server, query: buildQuery('missing.mesos', 'A'), timeoutMs: 2000 });
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toContain('text/plain; version=0.0.4');
    const lines = metrics.text.split('\n');
    expect(lines).toContain('# TYPE mesos_dns_queries_total counter');
    expect(lines).toContain('mesos_dns_queries_total{type="A",rcode="NOERROR"} 2');
    expect(lines).toContain('mesos_dns_queries_total{type="A",rcode="NXDOMAIN"} 1');
    expect(lines).toContain('mesos_dns_refresh_total{result="success"} 1');
    expect(lines).toContain('mesos_dns_refresh_total{result="failure"} 1');
    expect(lines).toContain(`mesos_dns_last_refresh_timestamp_seconds ${NOW / 1000}`);
    expect(lines.find((line) => line.startsWith('mesos_dns_records{type="A"}'))).toMatch(/ [1-9]\d*$/);
  });

  it('refuses methods other than GET', async () => {
    expect((await fetch(`${base}/v1/version`, { method: 'POST' })).status).toBe(405);
  });
});

/** One request over a raw socket: the whole head and body are written before a byte is read back. */
async function rawRequest(head: string, bodyBytes: number): Promise<{ statusLine: string; error?: string }> {
  const socket = connect(service.http!.port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  const statusLine = new Promise<{ statusLine: string; error?: string }>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) resolve({ statusLine: received.split('\r\n')[0]! });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ statusLine: '', error: error.code }));
    socket.on('close', () => resolve({ statusLine: received.split('\r\n')[0]! }));
  });
  socket.pause();
  const closed = once(socket, 'close').catch(() => undefined);
  const writes = async () => {
    socket.write(head);
    for (let sent = 0; sent < bodyBytes && !socket.destroyed;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, bodyBytes - sent));
      sent += chunk.length;
      if (!socket.write(chunk)) await Promise.race([once(socket, 'drain'), closed]);
    }
  };
  await writes().catch(() => undefined);
  socket.resume();
  const result = await statusLine;
  socket.destroy();
  return result;
}

describe('HTTP API against hostile requests', () => {
  it('answers malformed percent-encoding with 400, and goes on serving', async () => {
    const bad = await get('/v1/hosts/%E0%A4%A');
    expect([bad.status, bad.text]).toEqual([
      400,
      '400: Bad Request (malformed percent-encoding in the path)',
    ]);
    expect((await get('/v1/services/%')).status).toBe(400);
    expect((await get('/v1/version')).status).toBe(200);
  });

  it('answers a 100 MB body with 413 that the client reads, not a connection reset', async () => {
    const declared = await rawRequest(
      'GET /v1/version HTTP/1.1\r\nHost: dns\r\nContent-Length: 104857600\r\n\r\n',
      100 * 1024 * 1024,
    );
    expect(declared).toEqual({ statusLine: 'HTTP/1.1 413 Payload Too Large' });
    const chunked = await fetch(`${base}/v1/version`, {
      method: 'POST',
      body: new Blob([new Uint8Array(MAX_BODY_BYTES + 1)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.text()).toContain('413: Request Entity Too Large');
  }, 30_000);

  it('reads and ignores a small body', async () => {
    const small = await rawRequest(
      'GET /v1/version HTTP/1.1\r\nHost: dns\r\nContent-Length: 1024\r\n\r\n',
      1024,
    );
    expect(small).toEqual({ statusLine: 'HTTP/1.1 200 OK' });
  });

  it('never grants cross-origin access', async () => {
    const origin = { origin: 'http://attacker.example' };
    const simple = await fetch(`${base}/v1/config`, { headers: origin });
    expect(simple.status).toBe(200);
    const preflight = await fetch(`${base}/v1/config`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(405);
    for (const response of [simple, preflight]) {
      expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});
