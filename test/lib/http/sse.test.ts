import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

import { afterEach, describe, expect, it } from 'vitest';

import { HttpClient, type HttpClientOptions } from '../../../src/lib/http/client.js';
import { HttpError, NetworkError } from '../../../src/lib/http/errors.js';
import {
  followEvents,
  SseParser,
  type EventStreamOptions,
  type ServerSentEvent,
  type StreamItem,
} from '../../../src/lib/http/sse.js';
import {
  closedPort,
  delay,
  hang,
  recordingSleep,
  rejection,
  take,
  withDeadline,
} from '../../helpers/http.js';
import { startServer, type RecordedRequest, type TestServer } from '../../helpers/servers.js';

/** Marathon's documented `GET /v2/events` transcript (LF line ends; a live Marathon sends CRLF). */
const TRANSCRIPT = readFileSync(new URL('../../fixtures/marathon/events.txt', import.meta.url), 'utf8');
const CRLF = TRANSCRIPT.replace(/\n/g, '\r\n');
const CR = TRANSCRIPT.replace(/\n/g, '\r');

function parseAll(chunks: readonly string[]): { events: ServerSentEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events = chunks.flatMap((chunk) => parser.feed(chunk));
  return { events, parser };
}

describe('SseParser on the Marathon transcript', () => {
  const expected = parseAll([TRANSCRIPT]).events;

  it('reads the three events with their names and JSON payloads', () => {
    expect(expected.map((event) => event.event)).toEqual([
      'event_stream_attached',
      'status_update_event',
      'status_update_event',
    ]);
    const payloads = expected.map((event) => JSON.parse(event.data) as Record<string, unknown>);
    expect(payloads.map((payload) => payload.eventType)).toEqual(expected.map((event) => event.event));
    expect(payloads[1]).toMatchObject({ taskStatus: 'TASK_FAILED', appId: '/foo', ports: [31776] });
    expect(payloads[2]).toMatchObject({ taskStatus: 'TASK_RUNNING', appId: '/test-app' });
    expect(expected.every((event) => event.id === undefined)).toBe(true);
  });

  it('gives the same events for LF, CRLF and CR line ends', () => {
    expect(parseAll([CRLF]).events).toEqual(expected);
    expect(parseAll([CR]).events).toEqual(expected);
  });

  it('gives the same events however the CRLF stream is chunked, including a CR|LF split', () => {
    for (let cut = 0; cut <= CRLF.length; cut++) {
      expect(parseAll([CRLF.slice(0, cut), CRLF.slice(cut)]).events).toEqual(expected);
    }
    expect(parseAll([...CRLF]).events).toEqual(expected);
    expect(parseAll([...CR]).events).toEqual(expected);
    const sizes = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
    const chunks: string[] = [];
    for (let at = 0, index = 0; at < CRLF.length; at += sizes[index++ % sizes.length] ?? 1) {
      chunks.push(CRLF.slice(at, at + (sizes[index % sizes.length] ?? 1)));
    }
    expect(chunks.join('')).toBe(CRLF);
    expect(parseAll(chunks).events).toEqual(expected);
  });

  it('emits each event as soon as its blank line arrives', () => {
    const parser = new SseParser();
    const [first, rest] = [
      CRLF.slice(0, CRLF.indexOf('\r\n\r\n') + 4),
      CRLF.slice(CRLF.indexOf('\r\n\r\n') + 4),
    ];
    expect(parser.feed(first).map((event) => event.event)).toEqual(['event_stream_attached']);
    expect(parser.feed(rest)).toHaveLength(2);
  });
});

describe('SseParser rules', () => {
  it('treats a CRLF split across chunks (CR | LF) as one line end', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\r')).toEqual([]);
    expect(parser.feed('\n\r')).toEqual([{ event: 'message', data: 'a' }]);
    expect(parser.feed('\ndata: b\r\n\r\n')).toEqual([{ event: 'message', data: 'b' }]);
  });

  it('dispatches a CR-only event when its final CR arrives, without waiting for more data', () => {
    const parser = new SseParser();
    expect(parser.feed('data: x\r\r')).toEqual([{ event: 'message', data: 'x' }]);
    // The next chunk opening with LF completes that CRLF: it must not count as another (empty) line.
    expect(parser.feed('\ndata: y\r')).toEqual([]);
    expect(parser.feed('\r')).toEqual([{ event: 'message', data: 'y' }]);
  });

  it('joins multi-line data with LF and strips exactly one leading space', () => {
    const parser = new SseParser();
    expect(parser.feed('data: first\ndata:second\ndata:  indented\n\n')).toEqual([
      { event: 'message', data: 'first\nsecond\n indented' },
    ]);
    expect(parser.feed('data\n\ndata:\n\n')).toEqual([
      { event: 'message', data: '' },
      { event: 'message', data: '' },
    ]);
    expect(parser.feed('data: a:b: c\n\n')).toEqual([{ event: 'message', data: 'a:b: c' }]);
  });

  it('ignores comments, unknown fields and blocks without data', () => {
    const parser = new SseParser();
    expect(parser.feed(': keep-alive\n\n:another\nfoo: bar\n\nevent: lonely\n\n')).toEqual([]);
    // The event name of a block without data does not leak into the next event.
    expect(parser.feed('data: after\n\n')).toEqual([{ event: 'message', data: 'after' }]);
  });

  it('names events and resets the name after each dispatch', () => {
    const parser = new SseParser();
    expect(parser.feed('event: deployment_success\ndata: {}\n\ndata: plain\n\nevent:\ndata: x\n\n')).toEqual([
      { event: 'deployment_success', data: '{}' },
      { event: 'message', data: 'plain' },
      { event: 'message', data: 'x' },
    ]);
  });

  it('keeps the last id for later events and ignores ids containing NUL', () => {
    const parser = new SseParser();
    expect(parser.feed('id: 41\ndata: a\n\ndata: b\n\nid: bad\0id\ndata: c\n\nid\ndata: d\n\n')).toEqual([
      { event: 'message', data: 'a', id: '41' },
      { event: 'message', data: 'b', id: '41' },
      { event: 'message', data: 'c', id: '41' },
      { event: 'message', data: 'd', id: '' },
    ]);
    expect(parser.lastEventId).toBe('');
  });

  it('only counts an id once its event is complete', () => {
    const parser = new SseParser();
    parser.feed('id: 1\ndata: one\n\nid: 2\ndata: tw');
    expect(parser.lastEventId).toBe('1');
    parser.feed('o\n\n');
    expect(parser.lastEventId).toBe('2');
    // An id-only block still moves the last event id (WHATWG), though no event is dispatched.
    expect(parser.feed('id: 3\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('3');
  });

  it('reads retry only when it is all digits', () => {
    const parser = new SseParser();
    parser.feed('retry: 5000\n\n');
    expect(parser.retryMs).toBe(5000);
    parser.feed('retry: 5s\nretry: -1\nretry:\n\n');
    expect(parser.retryMs).toBe(5000);
  });

  it('strips a byte-order mark at the start of the stream only', () => {
    const parser = new SseParser();
    expect(parser.feed('')).toEqual([]);
    expect(parser.feed('\uFEFFdata: a\n\n')).toEqual([{ event: 'message', data: 'a' }]);
    expect(parser.feed('\uFEFFdata: b\n\n')).toEqual([]);
  });

  it('does not emit an unfinished event', () => {
    const parser = new SseParser();
    expect(parser.feed('data: never finished\n')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// followEvents against a loopback SSE server

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An SSE endpoint at /v2/events; `connection(n, request, response)` scripts the n-th connection (1-based). */
async function sseServer(
  connection: (n: number, request: RecordedRequest, response: ServerResponse) => void | Promise<void>,
): Promise<TestServer> {
  let count = 0;
  const server = await startServer({
    '/v2/events': async (request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      response.flushHeaders();
      await connection(++count, request, response);
    },
  });
  cleanups.push(() => server.close());
  return server;
}

function client(options: HttpClientOptions): HttpClient {
  const created = new HttpClient(options);
  cleanups.push(() => created.close());
  return created;
}

function follow(http: HttpClient, options: EventStreamOptions = {}) {
  // maxConnectFailures keeps every test bounded even if reconnection logic breaks.
  return followEvents(http, '/v2/events', { maxConnectFailures: 5, ...options });
}

function summary(items: readonly StreamItem[]): string[] {
  return items.map((item) =>
    item.kind === 'connected'
      ? `connected${item.reconnect ? ' again' : ''}`
      : `${item.event.event}:${item.event.data}`,
  );
}

describe('followEvents', () => {
  it('reads the Marathon transcript sent in small CRLF chunks', async () => {
    const server = await sseServer(async (_n, _request, response) => {
      for (let at = 0; at < CRLF.length; at += 7) {
        response.write(CRLF.slice(at, at + 7));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await hang(response);
    });
    const http = client({ baseUrl: server.url });
    const { items } = await withDeadline(take(follow(http), { max: 4 }), 5_000, 'reading the transcript');
    expect(items[0]).toEqual({ kind: 'connected', reconnect: false });
    expect(items.slice(1)).toEqual(parseAll([TRANSCRIPT]).events.map((event) => ({ kind: 'event', event })));
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('reconnects when the server closes the stream, sending the last complete event id', async () => {
    const server = await sseServer((n, _request, response) => {
      if (n === 1) {
        // Event 3 is cut off: it was never delivered, so it must not be acknowledged via Last-Event-ID.
        response.end('id: 1\r\nevent: a\r\ndata: one\r\n\r\nid: 2\r\ndata: two\r\n\r\nid: 3\r\ndata: thr');
        return;
      }
      response.write('data: three\r\n\r\n');
      return hang(response);
    });
    const { sleep, delays } = recordingSleep();
    const errors: unknown[] = [];
    const http = client({ baseUrl: server.url });
    const { items, ended } = await withDeadline(
      take(follow(http, { sleep, onError: (error) => errors.push(error) }), {
        max: 10,
        until: (item) => item.kind === 'event' && item.event.data === 'three',
      }),
      5_000,
      'following the stream',
    );
    expect(ended).toBe(false);
    expect(summary(items)).toEqual(['connected', 'a:one', 'message:two', 'connected again', 'message:three']);
    expect(items[1]).toEqual({ kind: 'event', event: { event: 'a', data: 'one', id: '1' } });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.headers['last-event-id']).toBeUndefined();
    expect(server.requests[1]?.headers['last-event-id']).toBe('2');
    expect(delays).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('event stream ended');
  });

  it("waits the server's retry: time before reconnecting, else one backoff step", async () => {
    const server = await sseServer((n, _request, response) => {
      if (n === 1) response.end('data: plain\n\n');
      else if (n === 2) response.end('retry: 1234\ndata: with retry\n\n');
      else response.end('data: later\n\n');
    });
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: server.url });
    const { items } = await withDeadline(
      take(follow(http, { sleep, random: () => 0, backoff: { baseMs: 100, maxMs: 1_000 } }), {
        max: 20,
        until: (_item, all) => all.filter((item) => item.kind === 'connected').length === 4,
      }),
      5_000,
      'following the stream',
    );
    expect(summary(items)).toEqual([
      'connected',
      'message:plain',
      'connected again',
      'message:with retry',
      'connected again',
      'message:later',
      'connected again',
    ]);
    // The retry: time, once sent, stays in force for later reconnections.
    expect(delays).toEqual([50, 1234, 1234]);
  });

  it('backs off exponentially on failed connects and resets after a success', async () => {
    let seen = 0;
    const server = await startServer({
      '/v2/events': (_request, response) => {
        if (++seen <= 3) return { status: 503, json: { message: 'no leader' } };
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end('data: up\n\n');
      },
    });
    cleanups.push(() => server.close());
    const { sleep, delays } = recordingSleep();
    const errors: unknown[] = [];
    const http = client({ baseUrl: server.url });
    const { items } = await withDeadline(
      take(
        follow(http, {
          sleep,
          random: () => 0,
          backoff: { baseMs: 100, maxMs: 1_000 },
          onError: (error) => errors.push(error),
        }),
        { max: 10, until: (item) => item.kind === 'event' },
      ),
      5_000,
      'following the stream',
    );
    expect(summary(items)).toEqual(['connected', 'message:up']);
    expect(delays).toEqual([50, 100, 200]);
    expect(errors.every((error) => error instanceof HttpError && error.status === 503)).toBe(true);
  });

  it('stops when the signal is aborted while the stream is idle', async () => {
    const server = await sseServer(async (_n, _request, response) => {
      response.write('data: hello\n\n');
      await hang(response);
    });
    const controller = new AbortController();
    const http = client({ baseUrl: server.url });
    const started = Date.now();
    const { items, ended } = await withDeadline(
      take(follow(http, { signal: controller.signal }), {
        max: 10,
        until: (item) => {
          if (item.kind === 'event') setTimeout(() => controller.abort(), 50);
        },
      }),
      3_000,
      'the aborted stream',
    );
    expect(ended).toBe(true);
    expect(summary(items)).toEqual(['connected', 'message:hello']);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it('stops when the signal is aborted while connecting', async () => {
    const server = await startServer({ '/v2/events': (_request, response) => hang(response) });
    cleanups.push(() => server.close());
    const controller = new AbortController();
    const http = client({ baseUrl: server.url, timeoutMs: 60_000 });
    setTimeout(() => controller.abort(), 100);
    const { items, ended } = await withDeadline(
      take(follow(http, { signal: controller.signal }), { max: 5 }),
      3_000,
      'the aborted connect',
    );
    expect(ended).toBe(true);
    expect(items).toEqual([]);
  });

  it('stops when the signal is aborted during the backoff wait (default sleep)', async () => {
    const port = await closedPort();
    const controller = new AbortController();
    const errors: unknown[] = [];
    const http = client({ baseUrl: `http://127.0.0.1:${port}` });
    const { ended } = await withDeadline(
      take(
        follow(http, {
          signal: controller.signal,
          backoff: { baseMs: 60_000, maxMs: 60_000 },
          onError: (error) => {
            errors.push(error);
            setTimeout(() => controller.abort(), 50);
          },
        }),
        { max: 5 },
      ),
      3_000,
      'the aborted backoff',
    );
    expect(ended).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('does not start at all when the signal is already aborted', async () => {
    const server = await sseServer(() => undefined);
    const http = client({ baseUrl: server.url });
    const { items, ended } = await take(follow(http, { signal: AbortSignal.abort() }), { max: 5 });
    expect({ items, ended }).toEqual({ items: [], ended: true });
    expect(server.requests).toHaveLength(0);
  });

  it('throws the last error after maxConnectFailures consecutive failed connects', async () => {
    const port = await closedPort();
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: `http://127.0.0.1:${port}` });
    const error = await withDeadline(
      rejection(take(follow(http, { sleep, maxConnectFailures: 3 }), { max: 5 })),
      5_000,
      'the failing stream',
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).kind).toBe('refused');
    // Three connects, two waits between them.
    expect(delays).toHaveLength(2);
  });

  it('counts failed connects (503s) towards maxConnectFailures', async () => {
    const server = await startServer({ '/v2/events': () => ({ status: 503, text: 'unavailable' }) });
    cleanups.push(() => server.close());
    const { sleep } = recordingSleep();
    const http = client({ baseUrl: server.url });
    const error = await withDeadline(
      rejection(take(follow(http, { sleep, maxConnectFailures: 2 }), { max: 5 })),
      5_000,
      'the failing stream',
    );
    expect((error as HttpError).status).toBe(503);
    expect(server.requests).toHaveLength(2);
  });

  it('does not count streams the server closes as failed connects', async () => {
    const server = await sseServer((n, _request, response) => {
      response.end(`data: ${n}\n\n`);
    });
    const { sleep } = recordingSleep();
    const http = client({ baseUrl: server.url });
    const { items } = await withDeadline(
      take(follow(http, { sleep, maxConnectFailures: 1 }), {
        max: 20,
        until: (item) => item.kind === 'event' && item.event.data === '4',
      }),
      5_000,
      'following the stream',
    );
    expect(items.filter((item) => item.kind === 'connected')).toHaveLength(4);
  });

  it('gives up at once on errors a retry cannot fix (401, 404)', async () => {
    for (const status of [401, 404]) {
      const server = await startServer({ '/v2/events': () => ({ status, json: { message: 'nope' } }) });
      cleanups.push(() => server.close());
      const { sleep, delays } = recordingSleep();
      const http = client({ baseUrl: server.url });
      const error = await withDeadline(
        rejection(take(follow(http, { sleep }), { max: 5 })),
        5_000,
        'the refused stream',
      );
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(status);
      expect(server.requests).toHaveLength(1);
      expect(delays).toEqual([]);
    }
  });

  it('passes the query and extra headers, with its own Accept', async () => {
    const server = await sseServer((_n, _request, response) => {
      response.end('data: x\n\n');
    });
    const http = client({ baseUrl: server.url, token: 'tk' });
    await withDeadline(
      take(
        follow(http, { query: { event_type: 'deployment_info' }, headers: { accept: 'x/y', 'x-a': 'b' } }),
        {
          max: 2,
        },
      ),
      5_000,
      'the stream',
    );
    const [request] = server.requests;
    expect(request?.path).toBe('/v2/events?event_type=deployment_info');
    expect(request?.headers).toMatchObject({
      accept: 'text/event-stream',
      'x-a': 'b',
      authorization: 'token=tk',
    });
  });

  it('decodes a UTF-8 character split across two TCP chunks', async () => {
    const bytes = Buffer.from('data: {"appId":"/café","message":"✓ ok"}\n\n', 'utf8');
    const cut = bytes.indexOf(Buffer.from('é', 'utf8')) + 1;
    const server = await sseServer(async (_n, _request, response) => {
      response.write(bytes.subarray(0, cut));
      await delay(50);
      response.write(bytes.subarray(cut));
      await hang(response);
    });
    const http = client({ baseUrl: server.url });
    const { items } = await withDeadline(take(follow(http), { max: 2 }), 5_000, 'the stream');
    expect(items[1]).toEqual({
      kind: 'event',
      event: { event: 'message', data: '{"appId":"/café","message":"✓ ok"}' },
    });
  });

  it('closes the connection when the consumer stops, without an uncaught error', async () => {
    let closed!: Promise<void>;
    const server = await sseServer((_n, _request, response) => {
      closed = hang(response);
      return closed;
    });
    const http = client({ baseUrl: server.url });
    const { items } = await withDeadline(take(follow(http), { max: 1 }), 5_000, 'the stream');
    expect(summary(items)).toEqual(['connected']);
    // The server sees its response closed: the stream did not leak.
    await withDeadline(closed, 3_000, 'the server-side close');
    await delay(20);
  });

  it('keeps a quiet stream open past the client request timeout', async () => {
    const server = await sseServer(async (_n, _request, response) => {
      await delay(1_500);
      response.write('data: finally\n\n');
      await hang(response);
    });
    const { sleep, delays } = recordingSleep();
    const http = client({ baseUrl: server.url, timeoutMs: 200 });
    const { items } = await withDeadline(
      take(follow(http, { sleep }), { max: 2 }),
      5_000,
      'the quiet stream',
    );
    expect(summary(items)).toEqual(['connected', 'message:finally']);
    expect(delays).toEqual([]);
  });
});

describe('SseParser memory bound', () => {
  it('refuses an event that grows past the limit, as one unfinished line or as many data lines', () => {
    const endless = new SseParser(1_000);
    endless.feed('data: ');
    const line = () => endless.feed('x'.repeat(400));
    line();
    line();
    expect(line).toThrow(/more than 1000 characters/);

    const many = new SseParser(1_000);
    const lines = () => many.feed('data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'.repeat(10));
    lines();
    lines();
    expect(lines).toThrow(expect.objectContaining({ code: 'response_too_large' }));
  });

  it('counts each event afresh: a long stream of small events is fine', () => {
    const parser = new SseParser(1_000);
    let events = 0;
    for (let i = 0; i < 500; i++) events += parser.feed(`data: ${'y'.repeat(100)}\n\n`).length;
    expect(events).toBe(500);
  });
});
