import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { Settings } from '../../../src/lib/config/keys.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { HttpClient, type HttpClientOptions } from '../../../src/lib/http/client.js';
import { clusterClient, tlsOptions } from '../../../src/lib/http/cluster-client.js';
import { NetworkError } from '../../../src/lib/http/errors.js';
import { hang, rejection, withDeadline } from '../../helpers/http.js';
import {
  makeSelfSignedCert,
  startHttpsServer,
  startServer,
  type RecordedRequest,
  type SelfSignedCert,
  type TestServer,
} from '../../helpers/servers.js';

let cert: SelfSignedCert;
let otherCert: SelfSignedCert;
let https: TestServer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cert = makeSelfSignedCert();
  otherCert = makeSelfSignedCert();
  https = await startHttpsServer(
    {
      '/v2/info': () => ({ json: { name: 'marathon' } }),
      '/slow': (_request, response) => hang(response),
    },
    cert,
  );
});

afterAll(async () => {
  await https.close();
  for (const dir of [cert.dir, otherCert.dir]) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(options: HttpClientOptions): HttpClient {
  const created = new HttpClient(options);
  cleanups.push(() => created.close());
  return created;
}

async function cluster(settings: Settings, hooks: Parameters<typeof clusterClient>[1] = {}) {
  const created = await clusterClient(settings, hooks);
  cleanups.push(() => created.close());
  return created;
}

function lastRequest(): RecordedRequest | undefined {
  return https.requests.at(-1);
}

describe('TLS with a self-signed certificate', () => {
  it("is rejected by default with the DC/OS CLI's SSL error, --ca-certs in the --verbose detail", async () => {
    const before = https.requests.length;
    const error = await rejection(client({ baseUrl: https.url }).get('/v2/info'));
    expect(error).toBeInstanceOf(NetworkError);
    const failure = error as NetworkError;
    expect(failure.kind).toBe('tls');
    expect(failure.code).toBe('network_tls');
    expect(failure.message).toBe(
      "An SSL error occurred. To configure your SSL settings, please run: 'dcos config set core.ssl_verify <value>'",
    );
    expect(failure.moreLines).toEqual([expect.stringMatching(/^<value>: Whether to verify SSL certs/)]);
    expect(failure.debug).toContain('--ca-certs');
    expect(failure.debug).toContain(https.url);
    expect(failure.debug).toContain('SELF_SIGNED');
    expect(https.requests.length).toBe(before);
  });

  it('is accepted when tls.ca is that certificate', async () => {
    const http = client({ baseUrl: https.url, tls: { verify: true, ca: cert.cert } });
    await expect(http.get('/v2/info')).resolves.toEqual({ name: 'marathon' });
  });

  it('is rejected when tls.ca is some other certificate (the bundle replaces, it does not add "anything")', async () => {
    const error = await rejection(
      client({ baseUrl: https.url, tls: { verify: true, ca: otherCert.cert } }).get('/v2/info'),
    );
    expect((error as NetworkError).kind).toBe('tls');
  });

  it('is accepted with tls.verify false', async () => {
    const http = client({ baseUrl: https.url, tls: { verify: false } });
    await expect(http.get('/v2/info')).resolves.toEqual({ name: 'marathon' });
  });

  it('reports plain HTTP spoken to an HTTPS port as a network failure, not a hang', async () => {
    const plain = https.url.replace('https:', 'http:');
    const error = await withDeadline(
      rejection(client({ baseUrl: plain, tries: 1, timeoutMs: 2_000 }).get('/v2/info')),
      5_000,
      'the GET',
    );
    expect(error).toBeInstanceOf(NetworkError);
  });
});

describe('tlsOptions (core.ssl_verify)', () => {
  it('defaults to verifying with the system roots', async () => {
    await expect(tlsOptions({})).resolves.toEqual({ verify: true });
    await expect(tlsOptions({ 'core.ssl_verify': 'true' })).resolves.toEqual({ verify: true });
    await expect(tlsOptions({ 'core.ssl_verify': true })).resolves.toEqual({ verify: true });
  });

  it('reads a CA bundle path', async () => {
    await expect(tlsOptions({ 'core.ssl_verify': cert.certPath })).resolves.toEqual({
      verify: true,
      ca: cert.cert,
    });
  });

  it('turns verification off for false and warns once', async () => {
    const warnings: string[] = [];
    await expect(tlsOptions({ 'core.ssl_verify': false }, (line) => warnings.push(line))).resolves.toEqual({
      verify: false,
    });
    expect(warnings).toEqual([
      'TLS certificates are not verified for this cluster (core.ssl_verify is false)',
    ]);
  });

  it('throws a ConfigError naming the path when the bundle cannot be read', async () => {
    for (const path of [join(cert.dir, 'missing.pem'), cert.dir]) {
      const error = await rejection(tlsOptions({ 'core.ssl_verify': path }));
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('unreadable_ca');
      expect((error as ConfigError).message).toContain(path);
      expect((error as ConfigError).message).toContain('dcos config set core.ssl_verify');
    }
  });
});

describe('clusterClient', () => {
  it('trusts the CA file named by core.ssl_verify and sends the cluster token', async () => {
    const http = await cluster({
      'core.dcos_url': https.url,
      'core.ssl_verify': cert.certPath,
      'core.dcos_acs_token': 'cluster-token',
    });
    await expect(http.get('/v2/info')).resolves.toEqual({ name: 'marathon' });
    expect(lastRequest()?.headers.authorization).toBe('token=cluster-token');
  });

  it('rejects the self-signed server when core.ssl_verify is unset or true', async () => {
    const warnings: string[] = [];
    const variants: Settings[] = [{}, { 'core.ssl_verify': 'true' }];
    for (const settings of variants) {
      const http = await cluster(
        { 'core.dcos_url': https.url, ...settings },
        { warn: (m) => warnings.push(m) },
      );
      expect(((await rejection(http.get('/v2/info'))) as NetworkError).kind).toBe('tls');
    }
    expect(warnings).toEqual([]);
  });

  it("skips verification for core.ssl_verify 'false' and calls the warn hook", async () => {
    const warnings: string[] = [];
    const http = await cluster(
      { 'core.dcos_url': https.url, 'core.ssl_verify': 'false' },
      { warn: (message) => warnings.push(message) },
    );
    await expect(http.get('/v2/info')).resolves.toEqual({ name: 'marathon' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('not verified');
  });

  it('throws a ConfigError naming an unreadable CA path before any request', async () => {
    const path = join(cert.dir, 'nope', 'ca.pem');
    const error = await rejection(cluster({ 'core.dcos_url': https.url, 'core.ssl_verify': path }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(path);
    expect((error as ConfigError).message).toContain('ENOENT');
  });

  it('lets hooks.tls replace core.ssl_verify (setup holds the CA in memory)', async () => {
    const http = await cluster(
      { 'core.dcos_url': https.url, 'core.ssl_verify': join(cert.dir, 'missing.pem') },
      { tls: { verify: true, ca: cert.cert } },
    );
    await expect(http.get('/v2/info')).resolves.toEqual({ name: 'marathon' });
  });

  it('throws a ConfigError when core.dcos_url is missing', async () => {
    const error = await rejection(cluster({ 'core.dcos_acs_token': 't' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('missing_url');
  });

  it('sends credentials to the service URLs of the cluster but nowhere else', async () => {
    const routes = { '/v2/apps': () => ({ json: { apps: [] } }) };
    const base = await startServer({ ...routes });
    const marathon = await startServer({ ...routes });
    const stranger = await startServer({ ...routes });
    cleanups.push(
      () => base.close(),
      () => marathon.close(),
      () => stranger.close(),
    );
    const http = await cluster({
      'core.dcos_url': base.url,
      'marathon.url': `${marathon.url}/`,
      'core.basic_auth_username': 'ops',
      'core.basic_auth_password': 'pw',
    });
    await http.get('/v2/apps');
    await http.get(`${marathon.url}/v2/apps`);
    await http.get(`${stranger.url}/v2/apps`);
    const basic = `Basic ${Buffer.from('ops:pw').toString('base64')}`;
    expect(base.requests[0]?.headers.authorization).toBe(basic);
    expect(marathon.requests[0]?.headers.authorization).toBe(basic);
    expect(stranger.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('uses core.timeout (seconds) as the request timeout', async () => {
    const http = await cluster({
      'core.dcos_url': https.url,
      'core.ssl_verify': 'false',
      'core.timeout': 0.2,
    });
    const started = Date.now();
    const error = await withDeadline(rejection(http.get('/slow')), 5_000, 'the GET');
    expect((error as NetworkError).kind).toBe('timeout');
    expect((error as NetworkError).message).toContain('after 0.2s');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('passes the log hook through, without the token', async () => {
    const lines: string[] = [];
    const http = await cluster(
      { 'core.dcos_url': https.url, 'core.ssl_verify': cert.certPath, 'core.dcos_acs_token': 'tok-123456' },
      { log: (line) => lines.push(line) },
    );
    await http.get('/v2/info');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.join('\n')).not.toContain('tok-123456');
  });
});
