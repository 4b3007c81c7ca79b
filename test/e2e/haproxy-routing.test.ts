import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateHaproxyConfig } from '../../src/lib/haproxy/model.js';
import { closedPort } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

// A real haproxy on loopback with a generated config, in front of two node:http backends.
const LOOPBACK = '127.0.0.1';
let backends: Server[] = [];
let haproxy: ChildProcess | undefined;
let haproxyOutput = '';
const ports = { http: 0, stats: 0, alpha: 0, beta: 0 };

function backend(name: string): Promise<Server> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`${name} ${req.url} ${req.headers['x-forwarded-port'] ?? '-'}`);
  });
  return new Promise((resolve) => server.listen(0, LOOPBACK, () => resolve(server)));
}

function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: LOOPBACK, port, path, headers: { host }, timeout: 2_000, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function app(
  id: string,
  servicePort: number,
  host: string,
  taskPort: number,
  labels: Record<string, string>,
) {
  return {
    id,
    portDefinitions: [{ port: servicePort }],
    labels: { HAPROXY_GROUP: 'external', ...labels },
    healthChecks: [
      { protocol: 'HTTP', path: '/health', portIndex: 0, intervalSeconds: 1, maxConsecutiveFailures: 2 },
    ],
    tasks: [
      {
        id: `${id.slice(1)}.1`,
        host,
        ports: [taskPort],
        state: 'TASK_RUNNING',
        startedAt: '2026-11-20T10:00:00Z',
      },
    ],
  };
}

beforeAll(async () => {
  backends = await Promise.all([backend('alpha'), backend('beta')]);
  const [alphaTask, betaTask] = backends.map((server) => (server.address() as AddressInfo).port);
  for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await closedPort();
  const { text, report } = generateHaproxyConfig(
    [
      app('/alpha', ports.alpha, LOOPBACK, alphaTask!, { HAPROXY_0_VHOST: 'alpha.example.com' }),
      app('/beta', ports.beta, LOOPBACK, betaTask!, {
        HAPROXY_0_VHOST: 'beta.example.com,www.beta.example.com',
      }),
    ],
    { httpPort: ports.http, statsPort: ports.stats, bindAddress: LOOPBACK, maxconn: 1_000 },
  );
  expect(report.included).toEqual(['/alpha', '/beta']);
  const file = join(mkdtempSync(join(tmpdir(), 'haproxy-routing-')), 'haproxy.cfg');
  writeFileSync(file, text);
  haproxy = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout!.on('data', (chunk) => (haproxyOutput += chunk));
  haproxy.stderr!.on('data', (chunk) => (haproxyOutput += chunk));
  await until(
    `haproxy to route (${haproxyOutput})`,
    async () => (await get(ports.http, 'alpha.example.com').catch(() => undefined))?.status === 200,
    10_000,
  );
});

afterAll(async () => {
  if (haproxy && haproxy.exitCode === null) {
    const exited = new Promise((resolve) => haproxy!.once('exit', resolve));
    haproxy.kill('SIGTERM');
    const timer = setTimeout(() => haproxy!.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
  await Promise.all(backends.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('a running haproxy with a generated config', () => {
  it('routes by Host header on the HTTP frontend', async () => {
    expect(await get(ports.http, 'alpha.example.com', '/a')).toEqual({
      status: 200,
      body: `alpha /a ${ports.http}`,
    });
    expect(await get(ports.http, 'beta.example.com', '/b')).toEqual({
      status: 200,
      body: `beta /b ${ports.http}`,
    });
    expect((await get(ports.http, 'WWW.Beta.Example.com')).body).toMatch(/^beta /);
    expect((await get(ports.http, 'nobody.example.com')).status).toBe(503);
  });

  it('routes by service port', async () => {
    expect(await get(ports.alpha, 'anything')).toEqual({ status: 200, body: `alpha / ${ports.alpha}` });
    expect(await get(ports.beta, 'anything')).toEqual({ status: 200, body: `beta / ${ports.beta}` });
  });

  it('answers its own health check on the stats port', async () => {
    expect((await get(ports.stats, 'lb', '/_haproxy_health_check')).status).toBe(200);
  });
});
