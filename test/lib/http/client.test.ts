import { getEventListeners } from 'node:events';

import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

import { DcosError, InterruptedError } from '../../../src/lib/errors.js';
import { releaseBody } from '../../../src/lib/http/body.js';
import { HttpClient, type HttpClientOptions } from '../../../src/lib/http/client.js';
import { HttpError, NetworkError } from '../../../src/lib/http/errors.js';
import {
  closedPort,
  delay,
  dropConnection,
  hang,
  recordingSleep,
  rejection,
  withDeadline,
} from '../../helpers/http.js';
import { startServer, type Routes, type TestServer } from '../../helpers/servers.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(routes: Routes): Promise<TestServer> {
  const started = await startServer(routes);
  cleanups.push(() => started.close());
  return started;
}

function client(options: HttpClientOptions): HttpClient {
  const created = new HttpClient(options);
  cleanups.push(() => created.close());
  return created;
}

/** A handler that answers `status` for the first `failures` requests, then 200 `{ok: true}`. */
function failingThenOk(failures: number, status: number) {
  let seen = 0;
  return () => (++seen <= failures ? { status, json: { message: `down ${seen}` } } : { json: { ok: true } });
}

/** A handler that drops the connection for the first `failures` requests, then answers 200 `{ok: true}`. */
function resetThenOk(failures: number): Routes[string] {
  let seen = 0;
  return (_request, response) => {
    if (++seen <= failures) return dropConnection(response);
    return { json: { ok: true } };
  };
}

describe('HttpClient retries', () => {
  for (const status of [502, 503, 504]) {
    it(`retries a GET answered ${status} twice, then returns the 200`, async () => {
      const api = await server({ '/v2/apps': failingThenOk(2, status) });
      const { sleep, delays } = recordingSleep();
      const http = client({ baseUrl: api.url, sleep, random: () => 0 });
      await expect(http.get('/v2/apps')).resolves.toEqual({ ok: true });
      expect(api.requests).toHaveLength(3);
      expect(delays).toEqual([125, 250]);
    });
  }

  it('retries a HEAD answered 503', async () => {
    const api = await server({ '/ping': failingThenOk(1, 503) });
    const { sleep } = recordingSleep();
    const http = client({ baseUrl: api.url, sleep });
    const response = await http.request('HEAD', '/ping');
    expect(response.status).toBe(200);
    expect(api.requests.map((request) => request.method)).toEqual(['HEAD', 'HEAD']);
  });

  it('retries a GET whose connection the server drops, then succeeds', async () => {
    const api = await server({ '/v2/info': resetThenOk(2) });
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: api.url, sleep });
    await expect(http.get('/v2/info')).resolves.toEqual({ ok: true });
    expect(api.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('retries a GET whose body is cut off half-way', async () => {
    let seen = 0;
    const api = await server({
      '/v2/apps': (_request, response) => {
        if (++seen === 1) {
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
          response.write('{"apps": [');
          setTimeout(() => response.socket?.destroy(), 20);
          return hang(response);
        }
        return { json: { apps: [] } };
      },
    });
    const { sleep } = recordingSleep();
    const http = client({ baseUrl: api.url, sleep });
    await expect(http.get('/v2/apps')).resolves.toEqual({ apps: [] });
    expect(api.requests).toHaveLength(2);
  });

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    it(`never retries ${method} on 503: one request, HttpError`, async () => {
      const api = await server({ '/v2/apps/x': failingThenOk(5, 503) });
      const { sleep, delays } = recordingSleep();
      const http = client({ baseUrl: api.url, sleep });
      const error = await rejection(http.request(method, '/v2/apps/x', { json: { id: '/x' } }));
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(503);
      expect(api.requests).toHaveLength(1);
      expect(delays).toEqual([]);
    });

    it(`never retries ${method} when the connection is dropped: one request, NetworkError`, async () => {
      const api = await server({ '/v2/apps/x': resetThenOk(5) });
      const { sleep, delays } = recordingSleep();
      const http = client({ baseUrl: api.url, sleep });
      const error = await rejection(http.request(method, '/v2/apps/x', { json: { id: '/x' } }));
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).kind).toBe('reset');
      expect(api.requests).toHaveLength(1);
      expect(delays).toEqual([]);
    });
  }

  it('stops after 3 tries in total on a persistent 503 and throws the last HttpError', async () => {
    const api = await server({ '/v2/apps': failingThenOk(100, 503) });
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: api.url, sleep });
    const error = await rejection(http.get('/v2/apps'));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(503);
    expect((error as HttpError).code).toBe('server_error');
    expect((error as HttpError).message).toContain('(down 3)');
    expect(api.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('stops after 3 tries in total on persistent resets and throws a NetworkError', async () => {
    const api = await server({ '/v2/apps': resetThenOk(100) });
    const { sleep } = recordingSleep();
    const http = client({ baseUrl: api.url, sleep });
    const error = await rejection(http.get('/v2/apps'));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).kind).toBe('reset');
    expect((error as NetworkError).message).toContain(api.url);
    expect(api.requests).toHaveLength(3);
  });

  it('honours the tries option', async () => {
    const api = await server({ '/a': failingThenOk(100, 503), '/b': failingThenOk(100, 503) });
    const { sleep } = recordingSleep();
    await rejection(client({ baseUrl: api.url, sleep, tries: 1 }).get('/a'));
    expect(api.requests.filter((request) => request.path === '/a')).toHaveLength(1);
    await rejection(client({ baseUrl: api.url, sleep, tries: 5 }).get('/b'));
    expect(api.requests.filter((request) => request.path === '/b')).toHaveLength(5);
  });

  it('does not retry other errors (500, 404)', async () => {
    const api = await server({ '/500': failingThenOk(100, 500), '/404': failingThenOk(100, 404) });
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: api.url, sleep });
    expect(((await rejection(http.get('/500'))) as HttpError).status).toBe(500);
    expect(((await rejection(http.get('/404'))) as HttpError).status).toBe(404);
    expect(api.requests).toHaveLength(2);
    expect(delays).toEqual([]);
  });

  it('waits as long as Retry-After says, capped at 10 s', async () => {
    let seen = 0;
    const api = await server({
      '/v2/apps': () => {
        seen++;
        if (seen === 1) return { status: 503, text: 'busy', headers: { 'retry-after': '2' } };
        if (seen === 2) return { status: 503, text: 'busy', headers: { 'retry-after': '3600' } };
        return { json: [] };
      },
    });
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: api.url, sleep });
    await expect(http.get('/v2/apps')).resolves.toEqual([]);
    expect(delays).toEqual([2000, 10_000]);
  });

  it('logs each retry', async () => {
    const api = await server({ '/v2/apps': failingThenOk(1, 502) });
    const lines: string[] = [];
    const { sleep } = recordingSleep();
    const http = client({ baseUrl: api.url, sleep, random: () => 0, log: (line) => lines.push(line) });
    await http.get('/v2/apps');
    expect(lines).toContain(`  retrying GET ${api.url}/v2/apps in 125 ms (HTTP 502)`);
  });
});

describe('HttpClient timeouts', () => {
  it('gives up on a server that never answers with a NetworkError of kind timeout', async () => {
    const api = await server({ '/v2/apps': (_request, response) => hang(response) });
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: api.url, timeoutMs: 200, sleep });
    const started = Date.now();
    const error = await withDeadline(rejection(http.get('/v2/apps')), 5_000, 'the timed-out GET');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).kind).toBe('timeout');
    expect((error as NetworkError).code).toBe('network_timeout');
    expect((error as NetworkError).message).toBe(
      `request to ${api.url}/v2/apps timed out after 0.2s; raise core.timeout if the cluster is slow`,
    );
    // A timeout is not a reset: waiting another 3 × timeout would only make the user wait longer.
    expect(api.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('lets one request override the client timeout', async () => {
    const api = await server({ '/slow': (_request, response) => hang(response) });
    const http = client({ baseUrl: api.url, timeoutMs: 60_000 });
    const error = await withDeadline(rejection(http.get('/slow', { timeoutMs: 200 })), 5_000, 'the GET');
    expect((error as NetworkError).kind).toBe('timeout');
  });

  it('times out a plain response whose body stalls', async () => {
    const api = await server({
      '/v2/apps': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"apps": [');
        return hang(response);
      },
    });
    const http = client({ baseUrl: api.url, timeoutMs: 200, tries: 1 });
    const error = await withDeadline(rejection(http.get('/v2/apps')), 5_000, 'the stalled GET');
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).kind).toBe('timeout');
    expect((error as NetworkError).message).toContain('after 0.2s');
  });

  it('does not cut a stream whose body is idle for longer than the request timeout', async () => {
    const api = await server({
      '/v2/events': async (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.flushHeaders();
        await delay(1_500);
        response.end('data: late\n\n');
      },
    });
    const http = client({ baseUrl: api.url, timeoutMs: 200 });
    const started = Date.now();
    const stream = await http.stream('/v2/events');
    expect(stream.status).toBe(200);
    const chunks = (await withDeadline(stream.body.toArray(), 5_000, 'the stream')) as Buffer[];
    expect(Buffer.concat(chunks).toString('utf8')).toBe('data: late\n\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  });

  it('still times out a stream whose headers never come', async () => {
    const api = await server({ '/v2/events': (_request, response) => hang(response) });
    const http = client({ baseUrl: api.url, timeoutMs: 200 });
    const error = await withDeadline(rejection(http.stream('/v2/events')), 5_000, 'the stream');
    expect((error as NetworkError).kind).toBe('timeout');
  });

  it('treats timeoutMs 0 as no timeout at all (not the dispatcher default)', async () => {
    const api = await server({
      '/slow': async (_request, response) => {
        await delay(2_500);
        if (!response.destroyed) response.end('{"done":true}');
      },
    });
    // A dispatcher whose own default timeouts are short: only an explicit "none" can outlast them.
    const dispatcher = new Agent({ headersTimeout: 300, bodyTimeout: 300 });
    cleanups.push(() => dispatcher.close());
    const http = client({ baseUrl: api.url, dispatcher, tries: 1 });
    await expect(withDeadline(http.get('/slow', { timeoutMs: 0 }), 8_000, 'the GET')).resolves.toEqual({
      done: true,
    });
  });

  it('leaves no listener on the Ctrl-C signal once requests and streams are done (long-running loops)', async () => {
    const api = await server({
      '/v2/apps': () => ({ json: [] }),
      '/v2/events': () => ({ text: 'data: x\n\n' }),
    });
    const controller = new AbortController();
    const http = client({ baseUrl: api.url, signal: controller.signal });
    for (let i = 0; i < 20; i++) await http.get('/v2/apps');
    const stream = await http.stream('/v2/events');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await stream.body.toArray();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('stops a request in flight when its own signal is aborted', async () => {
    const api = await server({ '/slow': (_request, response) => hang(response) });
    const http = client({ baseUrl: api.url, timeoutMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await withDeadline(
      rejection(http.get('/slow', { signal: controller.signal })),
      3_000,
      'the aborted GET',
    );
    expect(error).toBeInstanceOf(InterruptedError);
  });

  it('stops a request in flight when the client signal is aborted (Ctrl-C)', async () => {
    const api = await server({ '/slow': (_request, response) => hang(response) });
    const controller = new AbortController();
    const http = client({ baseUrl: api.url, timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await withDeadline(rejection(http.get('/slow')), 3_000, 'the aborted GET');
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(130);
    // Already aborted: nothing is sent.
    await expect(http.get('/slow')).rejects.toBeInstanceOf(InterruptedError);
    expect(api.requests).toHaveLength(1);
  });
});

/** A clock that moves only when the client sleeps (requests take no time), and the sleeps it was asked for. */
function fakeTime() {
  let time = 0;
  const delays: number[] = [];
  return {
    delays,
    now: () => time,
    sleep: (ms: number) => {
      delays.push(ms);
      time += ms;
      return Promise.resolve();
    },
  };
}

describe('HttpClient deadline: core.timeout bounds the whole exchange', () => {
  /** Writes one byte every `everyMs`, for at most `max` bytes, then the JSON; stops when the client leaves. */
  function drip(everyMs: number, max = 100): Routes[string] {
    return async (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < max && !response.destroyed; i++) {
        response.write(' ');
        await delay(everyMs);
      }
      if (!response.destroyed) response.end('{"done":true}');
    };
  }

  it('gives up on a body dripping a byte every 100 ms once the timeout has passed, and does not retry', async () => {
    const api = await server({ '/v2/apps': drip(100) });
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: api.url, timeoutMs: 500, sleep });
    const started = Date.now();
    const error = await withDeadline(rejection(http.get('/v2/apps')), 8_000, 'the dripping GET');
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toBe(
      `request to ${api.url}/v2/apps timed out after 0.5s; raise core.timeout if the cluster is slow`,
    );
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(api.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('lets a slow body through that finishes within the timeout', async () => {
    const api = await server({ '/v2/apps': drip(20, 5) });
    const http = client({ baseUrl: api.url, timeoutMs: 10_000 });
    await expect(withDeadline(http.get('/v2/apps'), 8_000, 'the GET')).resolves.toEqual({ done: true });
  });

  it('retries share the budget: with Retry-After 2 s and 5 s in all, three tries, not ten', async () => {
    const api = await server({
      '/v2/apps': () => ({ status: 503, json: { message: 'busy' }, headers: { 'retry-after': '2' } }),
    });
    const { sleep, delays, now } = fakeTime();
    const http = client({ baseUrl: api.url, timeoutMs: 5_000, tries: 10, sleep, now });
    const error = await rejection(http.get('/v2/apps'));
    // Out of time for a fourth: the server's own answer, not a timeout.
    expect((error as HttpError).status).toBe(503);
    expect(delays).toEqual([2_000, 2_000]);
    expect(api.requests).toHaveLength(3);
  });

  it('backoff after resets stops where the next wait would not fit the budget', async () => {
    const api = await server({ '/v2/apps': (_request, response) => dropConnection(response) });
    const { sleep, delays, now } = fakeTime();
    const http = client({
      baseUrl: api.url,
      timeoutMs: 2_000,
      tries: 10,
      sleep,
      now,
      random: () => 0,
    });
    const error = await rejection(http.get('/v2/apps'));
    expect((error as NetworkError).kind).toBe('reset');
    // 125 + 250 + 500 + 1000 leave 125 ms: too little for the next 2 s wait.
    expect(delays).toEqual([125, 250, 500, 1_000]);
    expect(api.requests).toHaveLength(5);
  });

  it('a bounded stream (a finite read) is cut at the deadline like any response', async () => {
    const api = await server({ '/files/read': drip(100) });
    const http = client({ baseUrl: api.url, timeoutMs: 500 });
    const stream = await http.stream('/files/read', { bounded: true });
    const error = await withDeadline(rejection(stream.body.toArray()), 8_000, 'the bounded stream');
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).kind).toBe('timeout');
  });

  it('an error page that drips is cut at the deadline too', async () => {
    const api = await server({
      '/v2/events': async (_request, response) => {
        response.writeHead(500, { 'content-type': 'text/html' });
        for (let i = 0; i < 100 && !response.destroyed; i++) {
          response.write('<p>');
          await delay(100);
        }
        if (!response.destroyed) response.end();
      },
    });
    const http = client({ baseUrl: api.url, timeoutMs: 500 });
    const error = await withDeadline(rejection(http.stream('/v2/events')), 8_000, 'the stream');
    expect((error as NetworkError).kind).toBe('timeout');
  });
});

describe('HttpClient body limits', () => {
  it('refuses a success past maxResponseBytes while reading it (chunked)', async () => {
    const api = await server({
      '/v2/apps': async (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 64 && !response.destroyed; i++) {
          if (!response.write(Buffer.alloc(16 * 1024, ' '))) await delay(5);
        }
        if (!response.destroyed) response.end('[]');
      },
    });
    const http = client({ baseUrl: api.url, maxResponseBytes: 64 * 1024 });
    const error = await rejection(http.get('/v2/apps'));
    expect(error).toBeInstanceOf(DcosError);
    expect(error).toMatchObject({
      code: 'response_too_large',
      message: `the response from ${api.url}/v2/apps is larger than 64 KiB; raise core.max_response_bytes if an answer this large is expected`,
      details: { url: `${api.url}/v2/apps`, limitBytes: 64 * 1024 },
    });
    expect(api.requests).toHaveLength(1);
  });

  it('refuses a declared Content-Length past the limit before reading any of it', async () => {
    let closed = false;
    const api = await server({
      '/v2/apps': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(1024 ** 3) });
        response.flushHeaders();
        return new Promise<void>((resolve) =>
          response.on('close', () => {
            closed = true;
            resolve();
          }),
        );
      },
    });
    const http = client({ baseUrl: api.url, maxResponseBytes: 1024 * 1024 });
    const error = await withDeadline(rejection(http.get('/v2/apps')), 5_000, 'the GET');
    expect((error as DcosError).code).toBe('response_too_large');
    await withDeadline(
      (async () => {
        while (!closed) await delay(10);
      })(),
      5_000,
      'the server seeing the connection close',
    );
  });

  it('takes a body of exactly the limit', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(1000) });
    const api = await server({ '/v2/info': () => ({ json: JSON.parse(body) as unknown }) });
    const http = client({ baseUrl: api.url, maxResponseBytes: Buffer.byteLength(body) });
    await expect(http.get('/v2/info')).resolves.toEqual(JSON.parse(body));
  });
});

describe('HttpClient: a success must be what the caller expects', () => {
  const LOGIN = '<html><head><title>Sign in</title></head><body><form></form></body></html>';

  it('a 200 HTML page where JSON is expected names the service, the URL and the likely cause', async () => {
    const api = await server({ '*': () => ({ text: LOGIN, headers: { 'content-type': 'text/html' } }) });
    const http = client({ baseUrl: api.url });
    const error = await rejection(http.get('/v2/apps', { service: 'Marathon' }));
    expect(error).toMatchObject({
      code: 'invalid_response',
      message: `expected JSON from Marathon at ${api.url}/v2/apps, got text/html: a login page or proxy in the way?`,
    });
    const post = await rejection(http.post('/v2/apps', { id: '/x' }));
    expect((post as DcosError).message).toBe(
      `expected JSON from ${api.url}/v2/apps, got text/html: a login page or proxy in the way?`,
    );
  });

  it('an empty 200 to a GET is not an empty result; to a write it is nothing to say', async () => {
    const api = await server({ '/v2/apps': () => ({ status: 200 }) });
    const http = client({ baseUrl: api.url });
    expect(((await rejection(http.get('/v2/apps'))) as DcosError).message).toBe(
      `expected JSON from ${api.url}/v2/apps, got an empty body`,
    );
    await expect(http.delete('/v2/apps')).resolves.toBeUndefined();
  });

  it('an error status the caller accepts is handed over as it is (a probe reading a 404 page)', async () => {
    const api = await server({
      '/capabilities': () => ({ status: 404, text: LOGIN, headers: { 'content-type': 'text/html' } }),
    });
    const response = await client({ baseUrl: api.url }).request('GET', '/capabilities', {
      acceptStatus: () => true,
    });
    expect(response).toMatchObject({ status: 404, data: LOGIN });
  });
});

describe('HttpClient connection failures', () => {
  it('reports a refused connection with kind refused and the origin in the message', async () => {
    const port = await closedPort();
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: `http://127.0.0.1:${port}/service/marathon`, sleep });
    const error = await rejection(http.get('/v2/apps'));
    expect(error).toBeInstanceOf(NetworkError);
    const failure = error as NetworkError;
    expect(failure.kind).toBe('refused');
    expect(failure.code).toBe('network_refused');
    expect(failure.message).toBe(`connection refused by http://127.0.0.1:${port}; is the service running?`);
    expect(failure.url).toBe(`http://127.0.0.1:${port}/service/marathon/v2/apps`);
    expect(failure.debug).toContain('ECONNREFUSED');
    expect(delays).toEqual([]);
  });
});

describe('HttpClient credentials', () => {
  async function twoServers() {
    const routes = { '/who': () => ({ json: { ok: true } }) };
    return { base: await server({ ...routes }), other: await server({ ...routes }) };
  }

  it('sends token=<t> to the base origin only', async () => {
    const { base, other } = await twoServers();
    const http = client({ baseUrl: `${base.url}/service/marathon`, token: 'secret-token' });
    await http.get(`${base.url}/who`);
    await http.get(`${other.url}/who`);
    expect(base.requests[0]?.headers.authorization).toBe('token=secret-token');
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('also sends it to trusted origins, however they are spelled', async () => {
    const { base, other } = await twoServers();
    const third = await server({ '/who': () => ({ json: {} }) });
    const http = client({
      baseUrl: base.url,
      token: 't0k',
      trustedOrigins: [`${other.url}/`, `${third.url.toUpperCase()}/mesos`],
    });
    await http.get(`${other.url}/who`);
    await http.get(`${third.url}/who`);
    expect(other.requests[0]?.headers.authorization).toBe('token=t0k');
    expect(third.requests[0]?.headers.authorization).toBe('token=t0k');
  });

  it('does not treat another port on the same host as the same origin', async () => {
    const { base, other } = await twoServers();
    const http = client({ baseUrl: base.url, token: 't0k' });
    await http.get(`http://127.0.0.1:${other.port}/who`);
    await http.get(`http://localhost:${base.port}/who`);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(base.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('applies the same rule to basic auth', async () => {
    const { base, other } = await twoServers();
    const third = await server({ '/who': () => ({ json: {} }) });
    const http = client({
      baseUrl: base.url,
      basicAuth: { username: 'alice', password: 'p@ss:word' },
      trustedOrigins: [third.url],
    });
    await http.get('/who');
    await http.get(`${other.url}/who`);
    await http.get(`${third.url}/who`);
    const expected = `Basic ${Buffer.from('alice:p@ss:word').toString('base64')}`;
    expect(base.requests[0]?.headers.authorization).toBe(expected);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(third.requests[0]?.headers.authorization).toBe(expected);
  });

  it('follows no redirect: the other origin is never asked, let alone given the token', async () => {
    const { base, other } = await twoServers();
    base.routes['/v2/apps'] = () => ({ status: 302, headers: { location: `${other.url}/who` } });
    base.routes['/v2/events'] = () => ({ status: 307, headers: { location: `${other.url}/who` } });
    const http = client({ baseUrl: base.url, token: 'secret-token' });
    const error = await rejection(http.get('/v2/apps'));
    expect((error as HttpError).status).toBe(302);
    // A stream's caller may take the redirect itself; the next hop is judged by its own origin.
    const hop = await http.stream('/v2/events', { acceptStatus: (status) => status < 400 });
    releaseBody(hop.body);
    expect(hop.headers.location).toBe(`${other.url}/who`);
    await http.stream(String(hop.headers.location)).then((next) => next.body.resume());
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(base.requests.every((request) => request.headers.authorization === 'token=secret-token')).toBe(
      true,
    );
  });

  it('prefers the token when both a token and basic auth are configured', async () => {
    const { base } = await twoServers();
    const http = client({ baseUrl: base.url, token: 'tk', basicAuth: { username: 'u', password: 'p' } });
    await http.get('/who');
    expect(base.requests[0]?.headers.authorization).toBe('token=tk');
  });

  it('never writes credentials to the verbose log', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.very-secret-token-value';
    let seen = 0;
    const base = await server({
      '/v2/apps': () => (++seen === 1 ? { status: 503, text: 'busy' } : { json: { apps: [] } }),
      '/v2/groups': () => ({ status: 401, json: { message: 'token expired' } }),
      '/reset': (_request, response) => dropConnection(response),
    });
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const { sleep } = recordingSleep();
    const http = client({ baseUrl: base.url, token, log, sleep, tries: 2 });
    await http.get('/v2/apps');
    await rejection(http.post('/v2/groups', { id: '/g' }));
    await rejection(http.get('/reset'));
    const port = await closedPort();
    await rejection(http.get(`http://127.0.0.1:${port}/x`));
    const basic = client({ baseUrl: base.url, basicAuth: { username: 'bob', password: 'hunter2-pw' }, log });
    await basic.get('/v2/apps');

    expect(lines.some((line) => line.startsWith(`> GET ${base.url}/v2/apps`))).toBe(true);
    expect(lines.some((line) => line.startsWith(`< 200 GET ${base.url}/v2/apps`))).toBe(true);
    expect(lines.some((line) => line.includes('failed:'))).toBe(true);
    const everything = lines.join('\n');
    for (const secret of [
      token,
      'very-secret',
      'hunter2-pw',
      Buffer.from('bob:hunter2-pw').toString('base64'),
    ]) {
      expect(everything).not.toContain(secret);
    }
    // The requests really were authenticated: the log stayed clean, not the wire.
    expect(base.requests[0]?.headers.authorization).toBe(`token=${token}`);
  });
});

describe('HttpClient requests and responses', () => {
  it('resolves relative paths against a base URL with a path, and encodes the query', async () => {
    const api = await server({ '/service/marathon/v2/apps': () => ({ json: { apps: [] } }) });
    const http = client({ baseUrl: `${api.url}/service/marathon/` });
    expect(http.url('v2/apps', { embed: 'apps.tasks', force: true, skip: undefined, n: 2 })).toBe(
      `${api.url}/service/marathon/v2/apps?embed=apps.tasks&force=true&n=2`,
    );
    expect(http.url('HTTPS://example.test/x')).toBe('https://example.test/x');
    await http.get('/v2/apps', { query: { label: 'a b&c' } });
    expect(api.requests[0]?.path).toBe('/service/marathon/v2/apps?label=a+b%26c');
  });

  it('sends JSON bodies with a content type, accept and user agent', async () => {
    const api = await server({ 'POST /v2/apps': () => ({ status: 201, json: { id: '/a' } }) });
    const http = client({ baseUrl: api.url, userAgent: 'dcos-test/1' });
    await expect(http.post('/v2/apps', { id: '/a', cpus: 0.1 })).resolves.toEqual({ id: '/a' });
    const [request] = api.requests;
    expect(request?.body).toBe('{"id":"/a","cpus":0.1}');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('dcos-test/1');
  });

  it('returns text to a caller that asks for text, and empty bodies as undefined', async () => {
    const api = await server({
      '/text': () => ({ text: 'pong' }),
      '/empty': () => ({ status: 204 }),
      '/json-without-type': (_request, response) => {
        response.end('{"a":1}');
      },
    });
    const http = client({ baseUrl: api.url });
    await expect(http.get('/text', { expect: 'text' })).resolves.toBe('pong');
    await expect(http.get('/json-without-type', { expect: 'text' })).resolves.toBe('{"a":1}');
    await expect(http.get('/text', { expect: 'any' })).resolves.toBe('pong');
    await expect(http.delete('/empty')).resolves.toBeUndefined();
    await expect(http.get('/empty')).resolves.toBeUndefined();
    await expect(http.get('/json-without-type')).resolves.toEqual({ a: 1 });
  });

  it('rejects a body labelled JSON that does not parse', async () => {
    const api = await server({
      '/v2/info': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"truncated": ');
      },
    });
    const error = await rejection(client({ baseUrl: api.url }).get('/v2/info'));
    expect(error).toBeInstanceOf(DcosError);
    expect((error as DcosError).code).toBe('invalid_response');
    expect((error as DcosError).message).toMatch(
      new RegExp(`^expected JSON from ${api.url}/v2/info, got invalid JSON \\(.+\\)$`),
    );
  });

  it('lets acceptStatus take over the status check', async () => {
    const api = await server({
      '/v2/apps/missing': () => ({ status: 404, json: { message: 'App not found' } }),
    });
    const response = await client({ baseUrl: api.url }).request('GET', '/v2/apps/missing', {
      acceptStatus: (status) => status === 404,
    });
    expect(response).toMatchObject({ status: 404, data: { message: 'App not found' } });
  });

  it('turns an error status into an HttpError carrying the parsed body', async () => {
    const body = {
      message: 'App is locked by one or more deployments.',
      deployments: [{ id: 'd1' }, { id: 'd2' }],
    };
    const api = await server({ 'PUT /v2/apps/a': () => ({ status: 409, json: body }) });
    const error = await rejection(client({ baseUrl: api.url }).put('/v2/apps/a', { cpus: 1 }));
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({
      status: 409,
      method: 'PUT',
      url: `${api.url}/v2/apps/a`,
      body,
      code: 'conflict',
      details: { deployments: ['d1', 'd2'] },
    });
  });

  it('keeps at most 64 KiB of a huge error page', async () => {
    const api = await server({ '/big': () => ({ status: 500, text: 'x'.repeat(300_000) }) });
    const error = await rejection(client({ baseUrl: api.url, tries: 1 }).get('/big'));
    expect(((error as HttpError).body as string).length).toBe(64 * 1024);
  });

  it('reports a failed stream open as an HttpError with the server reason', async () => {
    const api = await server({
      '/v2/events': () => ({ status: 403, json: { message: 'no events for you' } }),
    });
    const error = await rejection(client({ baseUrl: api.url }).stream('/v2/events'));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).debug).toContain(': no events for you');
  });
});

describe('HttpClient interruption and headers', () => {
  it('Ctrl-C during a retry wait ends the wait at once with InterruptedError', async () => {
    const fake = await server({ '/v2/info': () => ({ status: 503, json: { message: 'down' } }) });
    const controller = new AbortController();
    // A 10 s Retry-After would make the client sleep; aborting must cut that short.
    fake.routes['/v2/info'] = () => ({ status: 503, json: {}, headers: { 'retry-after': '10' } });
    const http = client({ baseUrl: fake.url, signal: controller.signal });
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const error = await http.get('/v2/info').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(InterruptedError);
    expect(fake.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a caller's Content-Type replaces the default instead of being sent twice", async () => {
    const fake = await server({ 'POST /v2/apps': () => ({ status: 201, json: {} }) });
    const http = client({ baseUrl: fake.url });
    await http.post('/v2/apps', { id: '/x' }, { headers: { 'Content-Type': 'application/vnd.test+json' } });
    expect(fake.requests[0]?.headers['content-type']).toBe('application/vnd.test+json');
  });
});
