// `dcos local` as a hostile web page, a hostile local client and the DC/OS tools see it: what the daemon refuses
// before any route runs (docs/security.md), against the real daemon on loopback.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import { localToken } from '../helpers/local.js';
import { until } from '../helpers/wait.js';
import { jsonOf } from './fakes.js';

const dcosDir = tempDcosDir();
const env = { DCOS_DIR: dcosDir };
const stateDir = join(dcosDir, 'local');
let port: number;
let token: string;

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers (fetch would set Host and Origin itself); no `host`, no Host header. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, method, path, headers, setHost: false, timeout: 30_000 },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}

const own = () => ({ host: `127.0.0.1:${port}`, authorization: `token=${token}` });
const appsOf = async () =>
  (JSON.parse((await raw('GET', '/service/marathon/v2/apps', own())).body) as { apps: Array<{ id: string }> })
    .apps;

/** An app whose task would leave a file behind: the proof that a refused request ran nothing. */
function tripwire(name: string): { file: string; body: string } {
  const file = join(tmpdir(), `dcos-tripwire-${process.pid}-${name}`);
  return {
    file,
    body: JSON.stringify({ id: `/${name}`, cmd: `touch ${file}; sleep 1000`, cpus: 0.1, mem: 16 }),
  };
}

beforeAll(async () => {
  const start = await runCli(['local', 'start', '--agents', '1', '--json'], { env });
  expect(start.code, start.stderr).toBe(0);
  port = Number(new URL(jsonOf<{ url: string }>(start).url).port);
  token = localToken(stateDir);
}, 60_000);

afterAll(async () => {
  await runCli(['local', 'stop'], { env });
});

describe('dcos local: the token', () => {
  it('is created 0600 in the state directory and kept as the local cluster core.dcos_acs_token', () => {
    expect(statSync(join(stateDir, 'token')).mode & 0o777).toBe(0o600);
    const [clusterId] = readdirSync(join(dcosDir, 'clusters'));
    const toml = readFileSync(join(dcosDir, 'clusters', clusterId as string, 'dcos.toml'), 'utf8');
    // The DC/OS CLI reads the same file and sends the same header.
    expect(toml).toContain(`dcos_acs_token = "${token}"`);
  });

  it('is required: 401 with DC/OS Admin Router challenge without it or with a wrong one', async () => {
    for (const authorization of [undefined, 'token=wrong', `token=${token}x`, 'Basic Og==']) {
      const reply = await raw('GET', '/service/marathon/v2/apps', {
        host: `127.0.0.1:${port}`,
        ...(authorization ? { authorization } : {}),
      });
      expect(reply.status, authorization).toBe(401);
      expect(reply.headers['www-authenticate']).toBe('oauthjwt');
      expect(JSON.parse(reply.body)).toMatchObject({ title: 'Unauthorized', code: expect.any(String) });
      expect(reply.body).not.toContain(token);
    }
    for (const path of ['/mesos/master/state', '/agent/x/files/browse?path=/', '/package/list', '/']) {
      expect((await raw('GET', path, { host: `127.0.0.1:${port}` })).status, path).toBe(401);
    }
  });

  it('is taken as token=, Bearer, or the password of HTTP basic auth (marathon-lb, Mesos-DNS)', async () => {
    for (const authorization of [
      `token=${token}`,
      `Bearer ${token}`,
      `Basic ${Buffer.from(`marathon-lb:${token}`).toString('base64')}`,
    ]) {
      const reply = await raw('GET', '/mesos/master/state', { host: `localhost:${port}`, authorization });
      expect(reply.status, authorization).toBe(200);
    }
  });

  it('is not needed for the DC/OS version document, as on DC/OS', async () => {
    const reply = await raw('GET', '/dcos-metadata/dcos-version.json', { host: `127.0.0.1:${port}` });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ 'dcos-variant': 'open' });
  });

  it('is sent by this CLI for the attached local cluster', async () => {
    const list = await runCli(['marathon', 'app', 'list', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});

describe('dcos local: what a web page can send', () => {
  it("refuses a browser's cross-origin POST, with or without DNS rebinding, and runs nothing", async () => {
    const { file, body } = tripwire('csrf');
    const attempts: Array<[Record<string, string>, number]> = [
      // A page on another site: the browser sends its own Origin and a text/plain "simple" request.
      [{ host: `127.0.0.1:${port}`, origin: 'http://evil.example', 'content-type': 'text/plain' }, 403],
      // DNS rebinding: the page's own name now points at 127.0.0.1.
      [{ host: 'evil.example', origin: 'http://evil.example', 'content-type': 'text/plain' }, 403],
      [
        { host: `evil.example:${port}`, 'content-type': 'application/json', authorization: `token=${token}` },
        403,
      ],
      // Even with the token (say, under --no-auth), a form or text body is not a Marathon request.
      [{ host: `127.0.0.1:${port}`, 'content-type': 'text/plain', authorization: `token=${token}` }, 415],
      [
        {
          host: `127.0.0.1:${port}`,
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `token=${token}`,
        },
        415,
      ],
      [{ host: `127.0.0.1:${port}`, authorization: `token=${token}` }, 415],
      // Without the token, whatever the type.
      [{ host: `127.0.0.1:${port}`, 'content-type': 'application/json' }, 401],
    ];
    for (const [headers, status] of attempts) {
      const reply = await raw('POST', '/service/marathon/v2/apps', headers, body);
      expect(reply.status, JSON.stringify(headers)).toBe(status);
      expect(Object.keys(reply.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
    // A legitimate app deployed afterwards runs: by then the scheduler has seen every refused request.
    const { body: legitimate } = tripwire('legit');
    expect(
      (
        await raw(
          'POST',
          '/service/marathon/v2/apps',
          { ...own(), 'content-type': 'application/json' },
          legitimate,
        )
      ).status,
    ).toBe(201);
    await until('the legitimate app to run', async () => {
      const reply = await raw('GET', '/service/marathon/v2/apps/legit', own());
      return (JSON.parse(reply.body) as { app: { tasksRunning: number } }).app.tasksRunning === 1;
    });
    expect((await appsOf()).map((app) => app.id)).toEqual(['/legit']);
    expect(existsSync(file)).toBe(false);
    expect((await raw('DELETE', '/service/marathon/v2/apps/legit', own())).status).toBe(200);
  });

  it('refuses a foreign Host on GET and POST, even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1']) {
      for (const method of ['GET', 'POST']) {
        const reply = await raw(
          method,
          '/service/marathon/v2/apps',
          {
            host,
            authorization: `token=${token}`,
            'content-type': 'application/json',
          },
          method === 'POST' ? '{"id":"/x","cmd":"true"}' : undefined,
        );
        expect(reply.status, `${method} Host: ${host}`).toBe(403);
      }
    }
    // No Host at all: HTTP/1.1 requires one, and Node's parser refuses the request before the daemon sees it.
    const { host: _, ...hostless } = own();
    expect((await raw('GET', '/service/marathon/v2/apps', hostless)).status).toBe(400);
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await raw('GET', '/service/marathon/v2/apps', { ...own(), host })).status, host).toBe(200);
    }
  });

  it('grants nothing to a preflight and sends no CORS header', async () => {
    const preflight = await raw('OPTIONS', '/service/marathon/v2/apps', {
      host: `127.0.0.1:${port}`,
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    expect(preflight.status).toBe(403);
    const sameOrigin = await raw('GET', '/service/marathon/v2/apps', {
      ...own(),
      origin: `http://127.0.0.1:${port}`,
    });
    expect(sameOrigin.status).toBe(200);
    for (const reply of [preflight, sameOrigin]) {
      expect(Object.keys(reply.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('dcos local: malformed and oversized requests', () => {
  it('answers 400 to malformed percent-encoding instead of failing inside a route', async () => {
    for (const path of [
      '/service/marathon/v2/apps/%zz',
      '/service/marathon/v2/apps/%E0%A4%A',
      '/agent/%/state',
    ]) {
      const reply = await raw('GET', path, own());
      expect(reply.status, path).toBe(400);
      expect(JSON.parse(reply.body)).toEqual({ message: expect.stringMatching(/percent-encoding/) });
    }
  });

  it('answers 413 to a 100 MB body, declared or chunked, and keeps serving', async () => {
    const big = Buffer.alloc(100 * 1024 * 1024, 0x20);
    const declared = await raw(
      'POST',
      '/service/marathon/v2/apps',
      { ...own(), 'content-type': 'application/json' },
      big,
    );
    expect(declared.status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/service/marathon/v2/apps',
          headers: { ...own(), 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      // 9 MiB in 1 MiB chunks: over the limit, then the client stops as soon as it has the answer.
      let sent = 0;
      const more = () => {
        while (sent < 9 && request.write(big.subarray(0, 1024 * 1024))) sent++;
        if (sent < 9) request.once('drain', () => (sent++, more()));
        else request.end();
      };
      more();
    });
    expect(chunked).toBe(413);
    expect((await raw('GET', '/service/marathon/v2/apps', own())).status).toBe(200);
  });
});

describe('dcos local start --no-auth', () => {
  const noAuthDir = tempDcosDir();
  const noAuthEnv = { DCOS_DIR: noAuthDir };

  afterAll(async () => {
    await runCli(['local', 'stop'], { env: noAuthEnv });
  });

  it('says so loudly, lets requests in without the token, and still refuses foreign hosts and forms', async () => {
    const start = await runCli(['local', 'start', '--agents', '1', '--no-auth', '--json'], {
      env: noAuthEnv,
    });
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toMatch(/without authentication \(--no-auth\)/);
    const url = new URL(jsonOf<{ url: string }>(start).url);
    const status = await runCli(['local', 'status'], { env: noAuthEnv });
    expect(status.stdout).toContain('Authentication is off');
    const get = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        httpRequest(
          { host: '127.0.0.1', port: url.port, path: '/service/marathon/v2/apps', headers, setHost: false },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        )
          .on('error', reject)
          .end();
      });
    expect(await get({ host: url.host })).toBe(200);
    expect(await get({ host: 'evil.example' })).toBe(403);
    expect(await get({ host: url.host, origin: 'http://evil.example' })).toBe(403);
    const list = await runCli(['marathon', 'app', 'list', '--json'], { env: noAuthEnv });
    expect(list.code, list.stderr).toBe(0);
  });
});
