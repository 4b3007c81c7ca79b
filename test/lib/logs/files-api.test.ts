/**
 * The files API reader against a loopback server that answers `/files/read` with the very code `dcos local`
 * serves (src/lib/local/mesos/files.ts) over a temp file the tests append to, truncate and replace. A
 * `cap` shrinks the server's per-read limit so small files cross many request and window boundaries.
 */
import {
  appendFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { InterruptedError } from '../../../src/lib/errors.js';
import { HttpClient } from '../../../src/lib/http/client.js';
import { FilesError, parseFilesQuery, read } from '../../../src/lib/local/mesos/files.js';
import {
  FilesApiFile,
  MissingFileError,
  sandboxFile,
  sandboxPath,
  type FilesApiOptions,
  type LogSink,
  type ResetReason,
} from '../../../src/lib/logs/files-api.js';
import { rejection, withDeadline } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/servers.js';

const SANDBOX = '/var/lib/mesos/slave/slaves/a1/frameworks/f1/executors/web.1/runs/latest';

let dir: string;
let file: string;
let server: TestServer;
let client: HttpClient;
/** Bytes the server returns per read at most (Mesos: 64 KiB). */
let cap = 64 * 1024;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dcos-files-api-'));
  file = join(dir, 'stdout');
  server = await startServer({
    '/agent/a1/files/read': (request, response) => answerRead(request.path, response),
  });
  client = new HttpClient({ baseUrl: server.url, tries: 1 });
});

/** `dcos local`'s `/files/read` over `file`, each read capped at `cap` bytes. */
async function answerRead(path: string, response: ServerResponse): Promise<void> {
  const parsed = parseFilesQuery(new URL(path, 'http://x').searchParams);
  const reply = (status: number, body: string, type: string) => {
    response.writeHead(status, { 'content-type': type });
    response.end(body);
  };
  if ('error' in parsed) return reply(400, parsed.error, 'text/plain');
  if (parsed.path !== `${SANDBOX}/stdout`) return reply(404, '', 'text/plain');
  try {
    const answer = await read(file, parsed.offset, Math.min(parsed.length ?? cap, cap));
    reply(200, JSON.stringify(answer), 'application/json');
  } catch (error) {
    if (!(error instanceof FilesError)) throw error;
    reply(error.status, error.body, 'text/plain');
  }
}

afterAll(async () => {
  await client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  cap = 64 * 1024;
  server.requests.length = 0;
});

function reader(options: FilesApiOptions = {}, path = `${SANDBOX}/stdout`): FilesApiFile {
  return new FilesApiFile(client, `${server.url}/agent/a1`, path, options);
}

/** Collects what is written, and each write's size. */
function collector(): LogSink & { text(): string; buffer(): Buffer; writes: number[] } {
  const chunks: Buffer[] = [];
  const writes: number[] = [];
  return {
    writes,
    write(chunk: Buffer) {
      chunks.push(Buffer.from(chunk));
      writes.push(chunk.length);
    },
    buffer: () => Buffer.concat(chunks),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

/** What `tail -n N` prints (a last line without its newline stays without one). */
function expectedTail(content: string, lines: number): string {
  if (lines === 0 || content === '') return '';
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  const kept = body.split('\n').slice(-lines).join('\n');
  return content.endsWith('\n') ? `${kept}\n` : kept;
}

describe('sandboxPath in an agent /state', () => {
  const task = { id: 'web.1', frameworkId: 'f1', executorId: 'web.1' };
  const executor = (id: string, directory: string, lists: Record<string, unknown> = {}) => ({
    id,
    directory,
    tasks: [],
    queued_tasks: [],
    completed_tasks: [],
    ...lists,
  });

  it('finds the executor that runs the task in its framework', () => {
    const state = {
      frameworks: [
        { id: 'other', executors: [executor('web.1', '/wrong')] },
        {
          id: 'f1',
          executors: [executor('db.1', '/db'), executor('web.1', '/web', { tasks: [{ id: 'web.1' }] })],
        },
      ],
    };
    expect(sandboxPath(state, task)).toBe('/web');
  });

  it('prefers the run that lists the task over an older run with the same executor id', () => {
    const state = {
      frameworks: [
        {
          id: 'f1',
          executors: [executor('web.1', '/run-2', { tasks: [{ id: 'web.1' }] })],
          completed_executors: [executor('web.1', '/run-1', { completed_tasks: [{ id: 'web.0' }] })],
        },
      ],
    };
    expect(sandboxPath(state, task)).toBe('/run-2');
    const older = { frameworks: [{ id: 'f1', completed_executors: [executor('web.1', '/run-1')] }] };
    expect(sandboxPath(older, task)).toBe('/run-1');
  });

  it('looks in completed executors and completed frameworks', () => {
    const state = {
      frameworks: [],
      completed_frameworks: [
        {
          id: 'f1',
          completed_executors: [executor('web.1', '/done', { completed_tasks: [{ id: 'web.1' }] })],
        },
      ],
    };
    expect(sandboxPath(state, task)).toBe('/done');
  });

  it('puts default-executor (pod) tasks below tasks/<id>', () => {
    const pod = { id: 'pod.web', frameworkId: 'f1', executorId: 'instance-pod.1' };
    const state = {
      frameworks: [
        {
          id: 'f1',
          executors: [
            { ...executor('instance-pod.1', '/pod/'), type: 'DEFAULT', tasks: [{ id: 'pod.web' }] },
          ],
        },
      ],
    };
    expect(sandboxPath(state, pod)).toBe('/pod/tasks/pod.web');
  });

  it('is undefined when the agent no longer has the task (or the state is not one)', () => {
    expect(sandboxPath({ frameworks: [{ id: 'f1', executors: [] }] }, task)).toBeUndefined();
    expect(
      sandboxPath({ frameworks: [{ id: 'f2', executors: [executor('web.1', '/x')] }] }, task),
    ).toBeUndefined();
    expect(sandboxPath('nope', task)).toBeUndefined();
  });

  it('joins sandbox-relative files', () => {
    expect(sandboxFile('/sb/', 'stderr')).toBe('/sb/stderr');
    expect(sandboxFile('/sb', '/logs/app.log')).toBe('/sb/logs/app.log');
  });
});

describe('readLastLines: backward windows', () => {
  it('prints the last N lines and returns the end of the file', async () => {
    const content = Array.from({ length: 20 }, (_, i) => `line ${i + 1}\n`).join('');
    writeFileSync(file, content);
    cap = 10;
    const sink = collector();
    const position = await reader({ windowBytes: 16 }).readLastLines(3, sink);
    expect(sink.text()).toBe('line 18\nline 19\nline 20\n');
    expect(position.end).toBe(Buffer.byteLength(content));
    expect(position.tail.toString()).toBe(content.slice(-16));
  });

  it('handles lines longer than a window, no trailing newline, N beyond the file, empty files and N = 0', async () => {
    const long = `${'a'.repeat(70)}\n${'b'.repeat(55)}\n${'c'.repeat(90)}`;
    writeFileSync(file, long);
    cap = 7;
    const small = reader({ windowBytes: 16 });
    let sink = collector();
    await small.readLastLines(2, sink);
    expect(sink.text()).toBe(`${'b'.repeat(55)}\n${'c'.repeat(90)}`);
    sink = collector();
    await small.readLastLines(50, sink);
    expect(sink.text()).toBe(long);
    sink = collector();
    expect((await small.readLastLines(0, sink)).end).toBe(long.length);
    expect(sink.writes).toEqual([]);

    writeFileSync(file, '');
    sink = collector();
    expect(await small.readLastLines(10, sink)).toEqual({ end: 0, tail: Buffer.alloc(0) });
    expect(sink.writes).toEqual([]);
  });

  const words = ['héllo', 'wörld', '✓ ok', '😀😀', 'plain ascii', '', 'ünïcödé line that is longer'];
  const textOf = (extra: string[]) => {
    const all = [...words, ...extra];
    return Array.from({ length: 40 }, (_, i) => `${i} ${all[i % all.length]}\n`).join('') + 'tail ☃';
  };

  async function expectTails(content: string, combinations: ReadonlyArray<readonly [number, number]>) {
    writeFileSync(file, content);
    for (const [windowBytes, readCap] of combinations) {
      cap = readCap;
      for (const lines of [1, 2, 5, 13, 41, 100]) {
        const sink = collector();
        await reader({ windowBytes }).readLastLines(lines, sink);
        expect(sink.text(), `window ${windowBytes}, cap ${readCap}, ${lines} lines`).toBe(
          expectedTail(content, lines),
        );
      }
    }
  }

  it('matches tail -n exactly for multi-byte text, genuine U+FFFD included, when windows fit the read cap', async () => {
    await expectTails(textOf(['\uFFFD\uFFFD x', '\uFFFD']), [
      [16, 1024],
      [17, 1024],
      [23, 1024],
      [40, 1024],
      [64, 1024],
    ]);
  });

  it('matches tail -n for multi-byte text when the server cuts reads shorter than a window', async () => {
    await expectTails(textOf([]), [
      [16, 5],
      [17, 64],
      [23, 9],
      [40, 13],
    ]);
  });

  it('fails with MissingFileError for a file the agent does not have', async () => {
    const error = await rejection(reader({}, `${SANDBOX}/nope`).readLastLines(10, collector()));
    expect(error).toBeInstanceOf(MissingFileError);
  });
});

describe('readAll: forward copy with read-ahead', () => {
  it('streams a multi-MB file window by window, writing before the whole file has been fetched', async () => {
    const line = 'x'.repeat(99) + '\n';
    const content = Buffer.from(line.repeat(40_000)); // 4 MB
    writeFileSync(file, content);
    let requestsAtFirstWrite = -1;
    const chunks: Buffer[] = [];
    const sink: LogSink = {
      write(chunk) {
        if (requestsAtFirstWrite === -1) requestsAtFirstWrite = server.requests.length;
        chunks.push(chunk);
      },
    };
    const position = await reader({ readAhead: 4 }).readAll(sink);
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    expect(position.end).toBe(content.length);
    // One write per 64 KiB window, and the first while most of the file is still to be asked for.
    expect(chunks.length).toBeGreaterThanOrEqual(60);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(64 * 1024);
    expect(requestsAtFirstWrite).toBeLessThanOrEqual(1 + 4 + 1);
    expect(server.requests.length).toBeGreaterThan(60);
  });

  it('reassembles multi-byte text (U+FFFD included) exactly whatever the read-ahead windows split', async () => {
    const content = Array.from(
      { length: 300 },
      (_, i) => `${i}: ✓ grüße 😀 ${'é'.repeat(i % 7)} ${'\uFFFD'.repeat(i % 5)}\n`,
    ).join('');
    writeFileSync(file, content);
    for (const [windowBytes, readCap, readAhead] of [
      [16, 7, 4],
      [19, 64, 3],
      [31, 12, 8],
      [100, 33, 2],
    ] as const) {
      cap = readCap;
      const sink = collector();
      await reader({ windowBytes, readAhead }).readAll(sink);
      expect(sink.buffer().equals(Buffer.from(content)), `window ${windowBytes} cap ${readCap}`).toBe(true);
    }
  });

  it('prints nothing for an empty file', async () => {
    writeFileSync(file, '');
    const sink = collector();
    expect((await reader().readAll(sink)).end).toBe(0);
    expect(sink.writes).toEqual([]);
  });
});

describe('follow: polling for appended bytes', () => {
  /**
   * Runs a follow whose sleeps play `steps` (one per poll) against the file; the task "ends" once every step
   * ran. Returns what was printed and the reset notes.
   */
  async function followWith(
    initial: string,
    lines: number,
    steps: Array<() => void>,
    options: FilesApiOptions = {},
  ) {
    writeFileSync(file, initial);
    const notes: ResetReason[] = [];
    const sink = collector();
    let step = 0;
    const file_ = reader({
      windowBytes: 16,
      sleep: async () => {
        steps[step++]?.();
      },
      ...options,
    });
    const start = await file_.readLastLines(lines, sink);
    await withDeadline(
      file_.follow(sink, start, {
        endCheckMs: 0,
        ended: async () => step >= steps.length,
        onReset: (reason) => notes.push(reason),
      }),
      5_000,
      'follow',
    );
    return { text: sink.text(), notes, polls: step };
  }

  it('prints appended bytes, including those written as the task ends', async () => {
    const { text, notes } = await followWith('one\ntwo\n', 1, [
      () => appendFileSync(file, 'three\n'),
      () => undefined,
      () => appendFileSync(file, 'four, in two ', 'utf8'),
      () => appendFileSync(file, 'writes ✓\n'),
      () => appendFileSync(file, 'last words\n'),
    ]);
    expect(text).toBe('two\nthree\nfour, in two writes ✓\nlast words\n');
    expect(notes).toEqual([]);
  });

  it('starts over with a note when the file is truncated', async () => {
    cap = 11;
    const { text, notes } = await followWith('old 1\nold 2\nold 3\n', 2, [
      () => appendFileSync(file, 'old 4\n'),
      () => truncateSync(file, 0),
      () => appendFileSync(file, 'new 1\n'),
      () => appendFileSync(file, 'new 2\n'),
    ]);
    expect(text).toBe('old 2\nold 3\nold 4\nnew 1\nnew 2\n');
    expect(notes).toEqual(['truncated']);
  });

  it('starts over with a note when the file is replaced by one that already outgrew the read position', async () => {
    const rotated = join(dir, 'stdout.new');
    const { text, notes } = await followWith('a 1\na 2\n', 5, [
      () => {
        // logrotate-style: a new file moved into place, longer than what was read of the old one.
        writeFileSync(rotated, 'b 1 -- the new file is longer\nb 2\n');
        renameSync(rotated, file);
      },
      () => appendFileSync(file, 'b 3\n'),
    ]);
    expect(text).toBe('a 1\na 2\nb 1 -- the new file is longer\nb 2\nb 3\n');
    expect(notes).toEqual(['replaced']);
  });

  it('waits out a file that is briefly missing (rotation in progress) and reads the new one', async () => {
    const { text, notes } = await followWith('x 1\nx 2\nx 3\n', 1, [
      () => unlinkSync(file),
      () => undefined,
      () => writeFileSync(file, 'y 1\n'),
    ]);
    expect(text).toBe('x 3\ny 1\n');
    expect(notes).toEqual(['truncated']);
  });

  it('stops on the abort signal with InterruptedError', async () => {
    writeFileSync(file, 'a\n');
    const controller = new AbortController();
    let polls = 0;
    const follower = reader({
      signal: controller.signal,
      sleep: async () => {
        if (++polls === 3) controller.abort();
      },
    });
    const error = await rejection(
      withDeadline(
        follower.follow(collector(), { end: 2, tail: Buffer.from('a\n') }, { ended: async () => false }),
        5_000,
        'follow',
      ),
    );
    expect(error).toBeInstanceOf(InterruptedError);
    expect(polls).toBe(3);
  });
});
