/**
 * The HAProxy trust model end to end: `dcos haproxy config|check` (the built CLI) on apps whose owners attack
 * the shared load balancer, and a real haproxy on loopback serving the result. Needs `npm run build` first.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import {
  getWithHost,
  haproxyCertDir,
  LOOPBACK,
  namedBackend,
  startHaproxy,
  type ForegroundHaproxy,
} from '../helpers/haproxy.js';
import { closedPort } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

const env = () => ({ DCOS_DIR: tempDcosDir() });
const work = mkdtempSync(join(tmpdir(), 'haproxy-trust-e2e-'));
const appsFile = join(work, 'apps.json');
/** Stands for a root-only file on the load balancer host. */
const secretFile = join(work, 'secret.txt');
const ports = { http: 0, stats: 0, victim: 0, thief: 0, binder: 0 };
let backends: Server[] = [];
let haproxy: ForegroundHaproxy | undefined;

function app(id: string, servicePort: number, taskPort: number, labels: Record<string, string>) {
  return {
    id,
    portDefinitions: [{ port: servicePort }],
    labels: { HAPROXY_GROUP: 'external', ...labels },
    tasks: [
      {
        id: `${id.slice(1)}.1`,
        host: LOOPBACK,
        ports: [taskPort],
        state: 'TASK_RUNNING',
        startedAt: '2026-11-20T10:00:00Z',
      },
    ],
  };
}

const frontendFlags = () => [
  '--http-port',
  String(ports.http),
  '--stats-port',
  String(ports.stats),
  '--bind-address',
  LOOPBACK,
  '--maxconn',
  '1000',
];

/** `dcos haproxy config --apps apps.json --json` with these flags: the report, the config and stderr. */
async function generate(...flags: string[]) {
  const output = join(mkdtempSync(join(work, 'cfg-')), 'haproxy.cfg');
  const result = await runCli(
    ['haproxy', 'config', '--apps', appsFile, ...frontendFlags(), '--output', output, '--json', ...flags],
    { env: env() },
  );
  expect(result.code, result.stderr).toBe(0);
  const warnings = result.stderr
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).warning as string);
  return { report: JSON.parse(result.stdout), file: output, text: readFileSync(output, 'utf8'), warnings };
}

async function serve(file: string): Promise<void> {
  await haproxy?.stop();
  const started = startHaproxy(file);
  haproxy = started;
  await until(
    'haproxy to route victim.example.com',
    async () => (await getWithHost(ports.http, 'victim.example.com').catch(() => undefined))?.status === 200,
    10_000,
  ).catch((error) => {
    throw new Error(`${(error as Error).message}\n${started.output()}`);
  });
}

/** Who answered each of `count` requests for the victim's virtual host. */
async function victimRequests(count: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < count; i++) {
    answers.push((await getWithHost(ports.http, 'victim.example.com', `/r${i}`)).body.split(' ')[0]!);
  }
  return answers;
}

beforeAll(async () => {
  writeFileSync(secretFile, 'SECRET-CONTENT\n', { mode: 0o600 });
  backends = await Promise.all([namedBackend('victim'), namedBackend('thief')]);
  const [victimTask, thiefTask] = backends.map((server) => (server.address() as AddressInfo).port);
  for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await closedPort();
  const apps = [
    app('/victim', ports.victim, victimTask!, { HAPROXY_0_VHOST: 'victim.example.com' }),
    app('/thief', ports.thief, thiefTask!, {
      HAPROXY_0_VHOST: 'thief.example.com',
      // Routing takeover: every request on the shared HTTP frontend, whatever its Host.
      HAPROXY_0_HTTP_FRONTEND_ROUTING_ONLY: '  use_backend {backend}\n',
      // File read: the load balancer serves a file of the app's choosing.
      HAPROXY_0_BACKEND_HEAD:
        '\nbackend {backend}\n  balance {balance}\n  mode {mode}\n' +
        `  http-request return status 200 content-type text/plain file ${secretFile}\n`,
    }),
    app('/binder', ports.binder, thiefTask!, {
      HAPROXY_0_MODE: 'http',
      // Connection theft: a second listener on the shared HTTP port (SO_REUSEPORT shares its connections).
      HAPROXY_0_FRONTEND_HEAD: `\nfrontend {backend}\n  bind {bindAddr}:{servicePort}\n  bind {bindAddr}:${ports.http}\n  mode {mode}\n`,
    }),
  ];
  writeFileSync(appsFile, JSON.stringify({ apps }));
});

afterAll(async () => {
  await haproxy?.stop();
  await Promise.all(backends.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('a real haproxy serving apps whose owners attack it', () => {
  it('by default: the templates are ignored and reported; no takeover, no stolen connections, no file', async () => {
    const { report, file, text, warnings } = await generate();
    expect(report.included).toEqual(['/binder', '/thief', '/victim']);
    expect(report.ignoredLabels.map((ignored: { label: string }) => ignored.label)).toEqual([
      'HAPROXY_0_FRONTEND_HEAD',
      'HAPROXY_0_BACKEND_HEAD',
      'HAPROXY_0_HTTP_FRONTEND_ROUTING_ONLY',
    ]);
    expect(warnings).toContain(
      '/thief: label HAPROXY_0_BACKEND_HEAD ignored: apps may set templates only when the operator allows it (--allow-app-templates)',
    );
    expect(text).not.toContain(secretFile);
    await serve(file);
    expect(await victimRequests(20)).toEqual(Array(20).fill('victim'));
    expect(await getWithHost(ports.http, 'thief.example.com', '/x')).toEqual({
      status: 200,
      body: `thief /x ${ports.http}`,
    });
  });

  it('with --allow-app-templates: the backend template works, the shared-frontend one and the extra bind do not', async () => {
    const { report, file } = await generate('--allow-app-templates');
    expect(report.included).toEqual(['/thief', '/victim']);
    expect(report.dropped).toEqual([
      {
        appId: '/binder',
        reason: `label HAPROXY_0_FRONTEND_HEAD binds "${LOOPBACK}:${ports.http}"; an app may only repeat its own bind (bind ${LOOPBACK}:${ports.binder})`,
      },
    ]);
    expect(report.ignoredLabels).toEqual([
      {
        appId: '/thief',
        label: 'HAPROXY_0_HTTP_FRONTEND_ROUTING_ONLY',
        reason:
          'HAPROXY_HTTP_FRONTEND_ROUTING_ONLY writes into the shared frontend marathon_http_in; apps may set it ' +
          'only if the operator lists it in SHARED_FRONTEND_APP_TEMPLATES (--templates DIR)',
      },
    ]);
    await serve(file);
    expect(await victimRequests(20)).toEqual(Array(20).fill('victim'));
    // The operator trusted app owners with their own backends: this one serves the file it names.
    expect((await getWithHost(ports.http, 'thief.example.com')).body).toBe('SECRET-CONTENT\n');
  });
});

describe('the flags', () => {
  it('SHARED_FRONTEND_APP_TEMPLATES in --templates DIR lets apps set the templates it lists (and take over)', async () => {
    const dir = mkdtempSync(join(work, 'templates-'));
    writeFileSync(
      join(dir, 'SHARED_FRONTEND_APP_TEMPLATES'),
      '# apps may route on the HTTP frontend\nHAPROXY_HTTP_FRONTEND_ROUTING_ONLY\n',
    );
    const { report, file, text } = await generate('--allow-app-templates', '--templates', dir);
    expect(report.ignoredLabels).toEqual([]);
    expect(text).toContain(`  use_backend thief_${ports.thief}\n`);
    // What the defaults prevent, once the operator allows it: the app takes the victim's virtual host (its
    // backend answers every request with the file).
    await serve(file);
    expect(await victimRequests(20)).toEqual(Array(20).fill('SECRET-CONTENT\n'));
    writeFileSync(join(dir, 'SHARED_FRONTEND_APP_TEMPLATES'), 'HAPROXY_BACKEND_HEAD\n');
    const wrong = await runCli(['haproxy', 'config', '--apps', appsFile, '--templates', dir], { env: env() });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^Error: SHARED_FRONTEND_APP_TEMPLATES: "HAPROXY_BACKEND_HEAD" is not a template of a shared frontend/,
    );
  });

  it('check reports the ignored labels on stderr and takes the generation flags only without FILE', async () => {
    const result = await runCli(['haproxy', 'check', '--apps', appsFile, ...frontendFlags()], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`generated from ${appsFile}: valid\n`);
    expect(result.stderr).toContain(
      'Warning: /thief: label HAPROXY_0_HTTP_FRONTEND_ROUTING_ONLY ignored: apps may set templates only when the operator allows it (--allow-app-templates)\n',
    );
    const both = await runCli(['haproxy', 'check', join(work, 'any.cfg'), '--allow-app-templates'], {
      env: env(),
    });
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/^Error: pass a config FILE to check, or --apps/);
  });

  it('--ssl-cert-dir: a certificate inside is used by its real path; one outside, or none allowed, drops the app', async () => {
    const certDir = haproxyCertDir();
    const certs = join(certDir, 'certs');
    const elsewhere = join(certDir, 'tenant-b');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'key.pem'), readFileSync(join(certs, 'app.pem')));
    const apps = (path: string) => ({
      apps: [app('/tls', ports.victim, 31_000, { HAPROXY_0_SSL_CERT: path })],
    });
    const config = async (path: string, ...flags: string[]) => {
      const output = join(mkdtempSync(join(work, 'tls-')), 'haproxy.cfg');
      const result = await runCli(
        ['haproxy', 'config', '--apps', '-', '--json', '--output', output, ...flags],
        { env: env(), input: JSON.stringify(apps(path)) },
      );
      if (result.code !== 0) return { code: result.code, error: JSON.parse(result.stderr).error };
      return { code: 0, report: JSON.parse(result.stdout), text: readFileSync(output, 'utf8') };
    };
    const inside = await config(`${certs}/./app.pem`, '--ssl-cert-dir', certs);
    expect(inside.report.included).toEqual(['/tls']);
    expect(inside.text).toContain(
      `  bind *:${ports.victim} ssl crt ${realpathSync(join(certs, 'app.pem'))}\n`,
    );
    const outside = await config(`${certs}/../tenant-b/key.pem`, '--ssl-cert-dir', certs);
    expect(outside.report.dropped).toEqual([
      {
        appId: '/tls',
        reason: `label HAPROXY_0_SSL_CERT: "${certs}/../tenant-b/key.pem" leads to ${realpathSync(join(elsewhere, 'key.pem'))}, outside the directories allowed by --ssl-cert-dir`,
      },
    ]);
    expect(outside.text).not.toContain('tenant-b');
    const unallowed = await config(join(certs, 'app.pem'));
    expect(unallowed.report.dropped[0].reason).toMatch(
      /apps may name certificates only in directories the operator allows/,
    );
    const missing = await config(join(certs, 'app.pem'), '--ssl-cert-dir', join(certDir, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.error).toMatchObject({ message: `--ssl-cert-dir ${join(certDir, 'nope')}: ENOENT` });
  });
});
