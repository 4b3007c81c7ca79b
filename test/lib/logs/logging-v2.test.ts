/**
 * The logging API v2 reader against a loopback server speaking dcos-log's task routes: the master's discovery
 * path answers 303 to the agent path (query kept), which serves text (`skip=-N`, `cursor=BEG`) or SSE
 * (`id:` = byte offset after the line, `Last-Event-ID` honoured over the query), 204 for a missing file.
 */
import type { ServerResponse } from 'node:http';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { InterruptedError } from '../../../src/lib/errors.js';
import { HttpClient } from '../../../src/lib/http/client.js';
import { HttpError } from '../../../src/lib/http/errors.js';
import { MissingFileError, type LogSink } from '../../../src/lib/logs/files-api.js';
import { LoggingV2TaskFile, rangeQuery, taskLogPath } from '../../../src/lib/logs/logging-v2.js';
import { rejection, withDeadline } from '../../helpers/http.js';
import { startServer, type RecordedRequest, type TestServer } from '../../helpers/servers.js';

const TASK = 'web.1234';
const AGENT_PATH = '/system/v1/agent/a1/logs/v2/task/frameworks/f1/executors/web.1234/runs/c1/stdout';

let server: TestServer;
let client: HttpClient;
/** The file's lines; SSE streams lines from the resume point, then `live` ones. */
let lines: string[];
/** Per SSE connection: how many lines it sends before the server drops it (undefined: keeps it open). */
let dropAfter: Array<number | undefined>;
let connections: number;

function offsets(): number[] {
  let offset = 0;
  return lines.map((line) => (offset += Buffer.byteLength(line) + 1));
}

function serveText(request: RecordedRequest, response: ServerResponse): void {
  const query = new URL(request.path, 'http://x').searchParams;
  const skip = Number(query.get('skip') ?? 0);
  const chosen = query.get('cursor') === 'BEG' ? lines : skip < 0 ? lines.slice(skip) : [];
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end(chosen.map((line) => `${line}\n`).join(''));
}

function serveEvents(request: RecordedRequest, response: ServerResponse): Promise<void> {
  const query = new URL(request.path, 'http://x').searchParams;
  const ends = offsets();
  const resume = request.headers['last-event-id'];
  let from: number;
  if (typeof resume === 'string') from = ends.findIndex((end) => end > Number(resume));
  else {
    const skip = Number(query.get('skip') ?? 0);
    from = query.get('cursor') === 'BEG' ? 0 : Math.max(0, lines.length + Math.min(0, skip));
  }
  if (from === -1) from = lines.length;
  const limit = dropAfter[connections++];
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  const sent = lines.slice(from, limit === undefined ? undefined : from + limit);
  response.write(sent.map((line, index) => `id: ${ends[from + index]}\ndata: ${line}\n\n`).join(''));
  if (limit !== undefined) {
    response.end();
    return Promise.resolve();
  }
  return new Promise((resolve) => response.on('close', () => resolve()));
}

beforeAll(async () => {
  server = await startServer({
    [taskLogPath(TASK, 'stdout')]: (request, response) => {
      response.writeHead(303, { location: `${AGENT_PATH}${request.path.slice(request.path.indexOf('?'))}` });
      response.end();
    },
    [taskLogPath(TASK, 'missing')]: () => ({ status: 204 }),
    [taskLogPath(TASK, 'forbidden')]: () => ({ status: 403, json: { message: 'nope' } }),
    [AGENT_PATH]: (request, response) =>
      request.headers.accept === 'text/event-stream'
        ? serveEvents(request, response)
        : serveText(request, response),
  });
  client = new HttpClient({ baseUrl: server.url, tries: 1 });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

beforeEach(() => {
  lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1} ✓`);
  dropAfter = [];
  connections = 0;
  server.requests.length = 0;
});

function collector(): LogSink & { text(): string } {
  const chunks: Buffer[] = [];
  return {
    write: (chunk) => void chunks.push(Buffer.from(chunk)),
    text: () => Buffer.concat(chunks).toString(),
  };
}

/** No waiting, but a turn of the event loop, so polling loops cannot starve I/O. */
const noSleep = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LoggingV2TaskFile', () => {
  it('builds the discovery path and range queries the DC/OS CLI sends', () => {
    expect(taskLogPath('a b', 'logs/app.log')).toBe('/system/v1/logs/v2/task/a%20b/file/logs/app.log');
    expect(rangeQuery(10)).toEqual({ cursor: 'END', skip: -10 });
    expect(rangeQuery('all')).toEqual({ cursor: 'BEG' });
    expect(rangeQuery(0)).toEqual({ cursor: 'END' });
  });

  it('reads the last N lines as text, following the redirect to the agent', async () => {
    const sink = collector();
    await new LoggingV2TaskFile(client, TASK, 'stdout').read(3, sink);
    expect(sink.text()).toBe('line 18 ✓\nline 19 ✓\nline 20 ✓\n');
    expect(server.requests.map((request) => request.path)).toEqual([
      `${taskLogPath(TASK, 'stdout')}?cursor=END&skip=-3`,
      `${AGENT_PATH}?cursor=END&skip=-3`,
    ]);
    expect(server.requests[1]?.headers.accept).toBe('text/plain');
  });

  it('reads the whole file with cursor=BEG, and nothing for 0 lines', async () => {
    const all = collector();
    await new LoggingV2TaskFile(client, TASK, 'stdout').read('all', all);
    expect(all.text()).toBe(lines.map((line) => `${line}\n`).join(''));
    const none = collector();
    server.requests.length = 0;
    await new LoggingV2TaskFile(client, TASK, 'stdout').read(0, none);
    expect(none.text()).toBe('');
    expect(server.requests).toEqual([]);
  });

  it('maps 204 to MissingFileError and keeps other errors', async () => {
    expect(
      await rejection(new LoggingV2TaskFile(client, TASK, 'missing').read(5, collector())),
    ).toBeInstanceOf(MissingFileError);
    const forbidden = await rejection(new LoggingV2TaskFile(client, TASK, 'forbidden').read(5, collector()));
    expect(forbidden).toBeInstanceOf(HttpError);
    expect((forbidden as HttpError).status).toBe(403);
  });

  it('follows over SSE, reconnecting with Last-Event-ID without repeating or losing lines, until the task ends', async () => {
    // The first stream breaks after 2 lines, the second after 1; the third stays open.
    dropAfter = [2, 1];
    const sink = collector();
    let checks = 0;
    const reader = new LoggingV2TaskFile(client, TASK, 'stdout', { sleep: noSleep, random: () => 0 });
    const follow = reader.follow(4, sink, {
      endCheckMs: 0,
      drainMs: 0,
      ended: async () => {
        // Lines written while following arrive on the open stream's successor only after a reconnect here;
        // the task "ends" once every line made it out.
        await new Promise((resolve) => setTimeout(resolve, 20));
        return ++checks > 3 && sink.text().split('\n').length > 4;
      },
    });
    await withDeadline(follow, 5_000, 'follow');
    expect(sink.text()).toBe('line 17 ✓\nline 18 ✓\nline 19 ✓\nline 20 ✓\n');
    const streams = server.requests.filter((request) => request.path.startsWith(AGENT_PATH));
    expect(streams.length).toBeGreaterThanOrEqual(3);
    expect(streams[0]?.headers['last-event-id']).toBeUndefined();
    expect(streams[0]?.path).toBe(`${AGENT_PATH}?cursor=END&skip=-4`);
    expect(streams[1]?.headers['last-event-id']).toBe(String(offsets()[17]));
    expect(streams[2]?.headers['last-event-id']).toBe(String(offsets()[18]));
  });

  it('throws InterruptedError on the abort signal while a stream is open', async () => {
    const controller = new AbortController();
    const sink = collector();
    const follow = new LoggingV2TaskFile(client, TASK, 'stdout', { signal: controller.signal }).follow(
      1,
      sink,
      {
        ended: async () => false,
      },
    );
    setTimeout(() => controller.abort(), 100);
    expect(await rejection(withDeadline(follow, 5_000, 'follow'))).toBeInstanceOf(InterruptedError);
    expect(sink.text()).toBe('line 20 ✓\n');
  });

  it('gives up after maxConnectFailures failed connects in a row', async () => {
    const reader = new LoggingV2TaskFile(client, TASK, 'stdout', { sleep: noSleep, maxConnectFailures: 3 });
    server.routes[AGENT_PATH] = () => ({ status: 503, text: 'busy' });
    try {
      const error = await rejection(
        withDeadline(reader.follow(1, collector(), { ended: async () => false }), 5_000, 'follow'),
      );
      expect(error).toBeInstanceOf(HttpError);
      expect(server.requests.filter((request) => request.path.startsWith(AGENT_PATH))).toHaveLength(3);
    } finally {
      server.routes[AGENT_PATH] = (request, response) =>
        request.headers.accept === 'text/event-stream'
          ? serveEvents(request, response)
          : serveText(request, response);
    }
  });
});
