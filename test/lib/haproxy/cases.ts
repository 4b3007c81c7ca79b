import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { HaproxyOptions } from '../../../src/lib/haproxy/types.js';
import { CERTS, HAPROXY_FIXTURES } from '../../helpers/haproxy.js';
import { ROOT } from '../../helpers/cli.js';

/** What `checkAppCertificates` finds for ssl.json's certificate in a --ssl-cert-dir (kept relative here). */
export const APP_CERTIFICATES = new Map([['certs/app.pem', { path: 'certs/app.pem' }]]);

/** One golden config: the apps document it is generated from and the options. */
export interface GoldenCase {
  name: string;
  apps: string;
  options: HaproxyOptions;
}

export const GOLDEN_CASES: GoldenCase[] = [
  { name: 'service-port', apps: 'apps/service-port.json', options: {} },
  { name: 'vhost', apps: 'apps/vhost.json', options: { sslCerts: CERTS } },
  { name: 'sticky', apps: 'apps/sticky.json', options: { sslCerts: CERTS } },
  { name: 'redirect', apps: 'apps/redirect.json', options: { sslCerts: CERTS } },
  { name: 'ssl', apps: 'apps/ssl.json', options: { sslCerts: CERTS, appCertificates: APP_CERTIFICATES } },
  { name: 'path', apps: 'apps/path.json', options: { sslCerts: CERTS } },
  { name: 'tcp', apps: 'apps/tcp.json', options: {} },
  { name: 'groups', apps: 'apps/groups.json', options: { groups: ['internal'] } },
  { name: 'unhealthy', apps: 'apps/unhealthy.json', options: { healthCheck: true } },
  { name: 'marathon15', apps: 'marathon15_apps.json', options: { sslCerts: CERTS, healthCheck: true } },
];

export function fixturePath(name: string): string {
  return join(ROOT, HAPROXY_FIXTURES, name);
}

export function readApps(name: string): { apps: Array<Record<string, unknown>> } {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as { apps: Array<Record<string, unknown>> };
}

export function goldenPath(name: string): string {
  return fixturePath(join('golden', `${name}.cfg`));
}

export type App = Record<string, unknown>;

/** A running task of `appId` on `host`. */
export function task(appId: string, n: number, host: string, ports: number[], extra: App = {}): App {
  return {
    id: `${appId.slice(1).replaceAll('/', '_')}.task-${n}`,
    appId,
    host,
    ports,
    state: 'TASK_RUNNING',
    startedAt: '2026-11-20T10:00:05.000Z',
    ...extra,
  };
}

/** An app in group external with one task on 10.0.0.1 (task port = service port + 20000). */
export function app(id: string, ports: number[], labels: Record<string, string>, extra: App = {}): App {
  return {
    id,
    instances: 1,
    portDefinitions: ports.map((port) => ({ port })),
    labels: { HAPROXY_GROUP: 'external', ...labels },
    tasks: [
      task(
        id,
        1,
        '10.0.0.1',
        ports.map((port) => port + 20_000),
      ),
    ],
    ...extra,
  };
}

/** The lines of `text` inside the section `header` (`backend x_1`), header included. */
export function section(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) return [];
  const end = lines.findIndex((line, index) => index > start && line === '');
  return lines.slice(start, end < 0 ? undefined : end);
}
