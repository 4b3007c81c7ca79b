/**
 * The built CLI against servers that misbehave on purpose (all on 127.0.0.1): one dripping a byte at a time,
 * one sending a body of 1 GiB, a login page answering 200 for Marathon, control characters in a 422, a 409 to a
 * read-only command. Each must end with one clear line on stderr and exit 1, within its deadline. Timing bounds
 * are generous on purpose (a busy 2-core machine); what they catch is a command that hangs or retries for ever.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';

import { afterEach, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir, type CliResult } from '../helpers/cli.js';
import { dropConnection } from '../helpers/http.js';
import { startServer, type Routes, type TestServer } from '../helpers/servers.js';
import { linesOf, printed } from './fakes.js';

const M = '/service/marathon';
const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(routes: Routes): Promise<TestServer> {
  const server = await startServer(routes);
  servers.push(server);
  return server;
}

interface Run extends CliResult {
  ms: number;
  /** Peak resident memory of the CLI process (VmHWM), in bytes; 0 when /proc could not be read. */
  peakRssBytes: number;
}

/** Runs `dcos <args>` against `server` as an environment-described cluster, timing it and watching its memory. */
async function dcos(server: TestServer, args: string[], env: Record<string, string> = {}): Promise<Run> {
  let peakRssBytes = 0;
  let watcher: NodeJS.Timeout | undefined;
  const started = Date.now();
  const result = await runCli(args, {
    env: { DCOS_DIR: tempDcosDir(), DCOS_URL: server.url, ...env },
    timeoutMs: 60_000,
    onSpawn: (child) => {
      // VmHWM only grows; the last reading before the process ends is its peak.
      watcher = setInterval(() => {
        try {
          const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
          const kib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
          peakRssBytes = Math.max(peakRssBytes, kib * 1024);
        } catch {
          // Gone already.
        }
      }, 20);
    },
  });
  clearInterval(watcher);
  return { ...result, ms: Date.now() - started, peakRssBytes };
}

/**
 * One error line on stderr, nothing on stdout, exit 1; returns it as the human form would show it (a --json
 * run's `{"error":{...}}` line becomes `Error: <message>`).
 */
function oneError(result: CliResult): string {
  expect(result.code, printed(result)).toBe(1);
  expect(result.stdout, printed(result)).toBe('');
  expect(linesOf(result.stderr), printed(result)).toHaveLength(1);
  if (result.stderr.startsWith('{')) {
    return `Error: ${(JSON.parse(result.stderr) as { error: { message: string } }).error.message}`;
  }
  expect(result.stderr, printed(result)).toMatch(/^Error: /);
  return result.stderr.trim();
}

/** Writes `total` bytes of `chunk`s, each after the client took the last one, until done or the client leaves. */
async function writeLazily(response: ServerResponse, chunk: Buffer, total: number): Promise<number> {
  let sent = 0;
  while (sent < total && !response.destroyed) {
    const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
    sent += piece.length;
    if (!response.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          response.off('drain', done);
          response.off('close', done);
          resolve();
        };
        response.on('drain', done).on('close', done);
      });
    }
  }
  if (!response.destroyed) response.end();
  return sent;
}

const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action="/login">' +
  '<input name="user"><input name="password" type="password"></form></body></html>';

describe('core.timeout is a deadline for the whole exchange', () => {
  it('a server dripping one byte every 300 ms is given up on after DCOS_TIMEOUT=2, once, not retried', async () => {
    const server = await serve({
      [`GET ${M}/v2/apps/drip`]: async (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        // Bounded: 200 bytes at most (a minute), or until the CLI hangs up.
        for (let i = 0; i < 200 && !response.destroyed; i++) {
          response.write(' ');
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        if (!response.destroyed) response.end('{"app": {"id": "/drip"}}');
      },
    });

    const result = await dcos(server, ['marathon', 'app', 'show', 'drip'], { DCOS_TIMEOUT: '2' });

    expect(oneError(result)).toBe(
      `Error: request to ${server.url}${M}/v2/apps/drip timed out after 2s; raise core.timeout if the cluster is slow`,
    );
    expect(result.ms, printed(result)).toBeLessThan(30_000);
    expect(server.requests).toHaveLength(1);
    console.info(`drip with DCOS_TIMEOUT=2: failed after ${result.ms} ms (process start included)`);
  }, 60_000);

  it('retries share the deadline: connections dropped after 1 s each end in one 2 s timeout', async () => {
    const server = await serve({
      [`GET ${M}/v2/apps`]: async (_request, response) => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        dropConnection(response);
      },
    });

    const result = await dcos(server, ['marathon', 'app', 'list', '--json'], { DCOS_TIMEOUT: '2' });

    // Each try with a fresh 2 s would have made all three and ended on the third reset.
    expect(oneError(result)).toMatch(/timed out after 2s; raise core\.timeout/);
    expect(server.requests.length).toBeLessThanOrEqual(2);
    expect(result.ms, printed(result)).toBeLessThan(30_000);
  }, 60_000);
});

describe('bodies are capped', () => {
  it('refuses a 1 GiB answer to app list at the 256 MiB default, without holding the body', async () => {
    let served = 0;
    const server = await serve({
      [`GET ${M}/v2/apps`]: async (_request, response) => {
        // Chunked (no Content-Length): the cap has to be found while reading, not announced.
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"apps": [');
        served = await writeLazily(response, Buffer.alloc(MiB, '{"id": "/a"}, '), GiB);
      },
    });

    const result = await dcos(server, ['marathon', 'app', 'list', '--json']);

    expect(oneError(result)).toBe(
      `Error: the response from ${server.url}${M}/v2/apps is larger than 256 MiB; ` +
        'raise core.max_response_bytes if an answer this large is expected',
    );
    expect(served).toBeLessThan(GiB);
    expect(result.peakRssBytes, 'VmHWM was read').toBeGreaterThan(0);
    expect(result.peakRssBytes).toBeLessThan(768 * MiB);
    console.info(
      `1 GiB body, default cap: peak RSS ${Math.round(result.peakRssBytes / MiB)} MiB, ` +
        `${Math.round(served / MiB)} MiB served, ${result.ms} ms`,
    );
  }, 60_000);

  it('core.max_response_bytes (DCOS_MAX_RESPONSE_BYTES) lowers the cap; a declared size over it is not read', async () => {
    const server = await serve({
      [`GET ${M}/v2/apps`]: (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(GiB) });
        return writeLazily(response, Buffer.alloc(MiB, ' '), GiB).then(() => undefined);
      },
    });

    const result = await dcos(server, ['marathon', 'app', 'list', '--json'], {
      DCOS_MAX_RESPONSE_BYTES: '2MiB',
    });

    expect(oneError(result)).toBe(
      `Error: the response from ${server.url}${M}/v2/apps is larger than 2 MiB; ` +
        'raise core.max_response_bytes if an answer this large is expected',
    );
    expect(result.peakRssBytes).toBeLessThan(256 * MiB);
  }, 60_000);
});

describe('a 200 that is not JSON is an error, not a result', () => {
  async function loginPageProxy(routes: Routes = {}): Promise<TestServer> {
    return serve({
      ...routes,
      '*': () => ({ text: LOGIN_PAGE, headers: { 'content-type': 'text/html; charset=utf-8' } }),
    });
  }

  it.each([
    ['app list', ['marathon', 'app', 'list'], '/v2/apps'],
    ['app list --json', ['marathon', 'app', 'list', '--json'], '/v2/apps'],
    ['app show', ['marathon', 'app', 'show', 'web'], '/v2/apps/web'],
    ['deployment list', ['marathon', 'deployment', 'list'], '/v2/deployments'],
  ])('%s names the URL and what came back', async (_what, args, path) => {
    const server = await loginPageProxy();

    const result = await dcos(server, args);

    expect(oneError(result)).toBe(
      `Error: expected JSON from Marathon at ${server.url}${M}${path}, ` +
        'got text/html: a login page or proxy in the way?',
    );
  });

  it('app add: a login page answering the POST creates nothing and says so', async () => {
    const server = await loginPageProxy({
      [`GET ${M}/v2/apps/web`]: () => ({ status: 404, json: { message: "App '/web' does not exist" } }),
    });
    const file = join(tempDcosDir(), 'web.json');
    writeFileSync(file, JSON.stringify({ id: '/web', cmd: 'sleep 100', cpus: 0.1, mem: 32, instances: 1 }));

    const result = await dcos(server, ['marathon', 'app', 'add', file]);

    expect(oneError(result)).toBe(
      `Error: expected JSON from Marathon at ${server.url}${M}/v2/apps, ` +
        'got text/html: a login page or proxy in the way?',
    );
    expect(server.requests.map((request) => request.method)).toEqual(['GET', 'POST']);
  });

  it('--json renders it as one JSON error with code invalid_response', async () => {
    const server = await loginPageProxy();

    const result = await dcos(server, ['marathon', 'deployment', 'list', '--json']);

    expect(result.code, printed(result)).toBe(1);
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: 'invalid_response',
        message: expect.stringContaining('got text/html'),
        details: { url: `${server.url}${M}/v2/deployments` },
      },
    });
  });
});

describe('server text reaches the terminal escaped', () => {
  it('a 422 with a newline and ESC[31m in its message and details is one line without control bytes', async () => {
    const server = await serve({
      [`GET ${M}/v2/apps/web`]: () => ({ status: 404, json: { message: 'nope' } }),
      [`POST ${M}/v2/apps`]: () => ({
        status: 422,
        json: {
          message: 'Object is not valid\n\u001b[31mError: this line is fake\u001b[0m',
          details: [{ path: '/cmd', errors: ['bad\r\u001b[2Kwiped', 'bell\u0007'] }],
        },
      }),
    });
    const file = join(tempDcosDir(), 'web.json');
    writeFileSync(file, JSON.stringify({ id: '/web', cmd: 'sleep 100', cpus: 0.1, mem: 32, instances: 1 }));

    const result = await dcos(server, ['marathon', 'app', 'add', file]);

    expect(oneError(result)).toBe(
      'Error: Object is not valid\\n\\x1b[31mError: this line is fake\\x1b[0m: ' +
        '/cmd: bad\\r\\x1b[2Kwiped, bell\\x07',
    );
    // eslint-disable-next-line no-control-regex
    expect(result.stderr.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('app ids and commands in a table cannot add rows or colour the screen', async () => {
    const hostile = {
      id: '/web\n/fake-row',
      cmd: '\u001b[31mred\u001b[0m',
      instances: 1,
      cpus: 0.1,
      mem: 32,
    };
    const server = await serve({
      [`GET ${M}/v2/apps`]: () => ({ json: { apps: [hostile] } }),
      [`GET ${M}/v2/deployments`]: () => ({ json: [] }),
      [`GET ${M}/v2/queue`]: () => ({ json: { queue: [] } }),
    });

    const table = await dcos(server, ['marathon', 'app', 'list']);
    const quiet = await dcos(server, ['marathon', 'app', 'list', '--quiet']);
    const json = await dcos(server, ['marathon', 'app', 'list', '--json']);

    expect(table.code, printed(table)).toBe(0);
    expect(linesOf(table.stdout), printed(table)).toHaveLength(2);
    expect(table.stdout).toContain('/web\\n/fake-row');
    expect(table.stdout).not.toContain('\u001b');
    expect(quiet.stdout).toBe('/web\\n/fake-row\n');
    // --json is JSON-escaped already, and stays exactly the server's data.
    expect((JSON.parse(json.stdout) as Array<{ id: string }>)[0]?.id).toBe(hostile.id);
  });
});

describe('a 409 advises --force only where --force exists', () => {
  const LOCKED = {
    message: 'App is locked by one or more deployments.',
    deployments: [{ id: 'd-409' }],
  };

  it.each([
    ['app list', ['marathon', 'app', 'list', '--json'], `GET ${M}/v2/apps`],
    ['deployment list', ['marathon', 'deployment', 'list'], `GET ${M}/v2/deployments`],
    ['package search', ['package', 'search', 'hello'], 'POST /package/search'],
  ])('read-only %s: the 409 without the advice', async (_what, args, route) => {
    const server = await serve({ [route]: () => ({ status: 409, json: LOCKED }) });

    const result = await dcos(server, args);

    expect(oneError(result)).toBe(
      'Error: blocked by deployment d-409 in progress; wait for it (`dcos marathon deployment watch d-409`)',
    );
  });

  it('app stop, which takes --force, keeps the advice', async () => {
    const server = await serve({
      [`GET ${M}/v2/apps/web`]: () => ({ json: { app: { id: '/web', instances: 1 } } }),
      [`PUT ${M}/v2/apps/web`]: () => ({ status: 409, json: LOCKED }),
    });

    const result = await dcos(server, ['marathon', 'app', 'stop', 'web']);

    expect(oneError(result)).toBe(
      'Error: blocked by deployment d-409 in progress; wait for it ' +
        '(`dcos marathon deployment watch d-409`) or retry with --force',
    );
  });
});
