import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateHaproxyConfig } from '../../src/lib/haproxy/model.js';
import {
  getWithHost as get,
  LOOPBACK,
  namedBackend as backend,
  startHaproxy,
  type ForegroundHaproxy,
} from '../helpers/haproxy.js';
import { closedPort } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

// A real haproxy on loopback with a generated config, in front of two node:http backends.
let backends: Server[] = [];
let haproxy: ForegroundHaproxy | undefined;
const ports = { http: 0, stats: 0, alpha: 0, beta: 0 };

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
  haproxy = startHaproxy(file);
  await until(
    `haproxy to route (${haproxy.output()})`,
    async () => (await get(ports.http, 'alpha.example.com').catch(() => undefined))?.status === 200,
    10_000,
  );
});

afterAll(async () => {
  await haproxy?.stop();
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
