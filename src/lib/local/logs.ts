/**
 * A subset of the DC/OS logging API v2 (dcos-log) over the `dcos local` daemon's own log, mounted at
 * `/system/v1`, so `dcos node log` has the same backend locally as on DC/OS:
 * - `/logs/v2/component[/<unit>]` (the node answering, i.e. the master), `/leader/mesos/...` and
 *   `/leader/marathon/...` for the leaders, `/agent/<agent-id>/logs/v2/component[/<unit>]` for an agent;
 * - one process is master, Marathon and every agent, so every known unit of a node serves the same file,
 *   `$DCOS_DIR/local/daemon.log`; a unit the node does not run matches nothing (204, as journald would);
 * - `cursor` (`BEG`, `END` or a cursor from an entry), `skip` (negative = that many entries back),
 *   `limit`, `filter=KEY:VALUE` (same key ORed, different keys ANDed, as journald matches);
 * - `Accept: text/event-stream` follows the file (SSE, one JSON entry per `data:`), `application/json` is
 *   newline-delimited entries, anything else the raw lines as text.
 * Memory stays flat: the file is read in windows, never whole.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { ServerResponse } from 'node:http';

import { sendJson, type RouteContext } from './router.js';

/** A handler for part of `/system/v1`; resolves true when it answered the request. */
export type SystemRoute = (context: RouteContext) => Promise<boolean> | boolean;

export interface SystemLogsOptions {
  /** The log every component serves. */
  logFile: string;
  /** Known agent ids; anything else under `/agent/<id>` is a 404. */
  agentIds: () => readonly string[];
  hostname?: string;
  pid?: number;
  /** How often a follow checks the file for new lines. */
  pollMs?: number;
}

export const MASTER_UNITS = ['dcos-mesos-master', 'dcos-marathon', 'dcos-local'];
export const AGENT_UNITS = ['dcos-mesos-slave', 'dcos-mesos-slave-public', 'dcos-local'];
const WINDOW_BYTES = 64 * 1024;
/** Longer lines are cut: one runaway line must not grow the server's memory. */
const MAX_LINE_BYTES = 64 * 1024;
const DEFAULT_POLL_MS = 200;
const HEARTBEAT_MS = 15_000;

export interface LogEntry {
  fields: Record<string, string>;
  cursor: string;
  monotonic_timestamp: number;
  realtime_timestamp: number;
}

interface Query {
  unit: string;
  cursor: 'BEG' | 'END' | number;
  skip: number;
  limit: number | undefined;
  filters: Map<string, Set<string>>;
}

/**
 * The `/system/v1` handler: `routes` (e.g. task logs) are tried first, then the component logs; anything
 * else is a 404. Mount it with `router.mount('/system/v1', systemV1(...))`.
 */
export function systemV1(options: SystemLogsOptions, routes: readonly SystemRoute[] = []) {
  const component = componentLogs(options);
  return async (context: RouteContext): Promise<void> => {
    for (const route of [...routes, component]) {
      if (await route(context)) return;
    }
    sendJson(context.response, 404, { code: 404, error: `no route for /system/v1${context.path}` });
  };
}

/** The component-log routes alone, as a {@link SystemRoute}. */
export function componentLogs(options: SystemLogsOptions): SystemRoute {
  return async (context) => {
    const match =
      /^\/(?:(?:leader\/(?:mesos|marathon))|agent\/([^/]+))?\/?logs\/v2\/component(?:\/([^/]+))?\/?$/.exec(
        context.path,
      );
    if (!match) return false;
    if (context.method !== 'GET') {
      sendJson(context.response, 405, { code: 405, error: 'only GET is supported' });
      return true;
    }
    const agentId = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    if (agentId !== undefined && !options.agentIds().includes(agentId)) {
      sendJson(context.response, 404, { code: 404, error: `agent ${agentId} not found` });
      return true;
    }
    const query = parseQuery(context.query, decodeURIComponent(match[2] ?? ''));
    if (typeof query === 'string') {
      sendJson(context.response, 400, { code: 400, error: query });
      return true;
    }
    const units = agentId === undefined ? MASTER_UNITS : AGENT_UNITS;
    const identifier = query.unit || (agentId === undefined ? 'dcos-mesos-master' : 'dcos-mesos-slave');
    const source: Source = {
      path: options.logFile,
      known: query.unit === '' || units.includes(query.unit),
      fields: {
        SYSLOG_IDENTIFIER: identifier,
        _SYSTEMD_UNIT: `${identifier}.service`,
        _HOSTNAME: options.hostname ?? hostname(),
        _PID: String(options.pid ?? process.pid),
        PRIORITY: '6',
      },
    };
    const accept = String(context.request.headers.accept ?? '');
    if (accept.includes('text/event-stream')) {
      await follow(context.response, source, query, options.pollMs ?? DEFAULT_POLL_MS);
    } else {
      await range(context.response, source, query, accept.includes('application/json'));
    }
    return true;
  };
}

function parseQuery(params: URLSearchParams, rawUnit: string): Query | string {
  const skipText = params.get('skip') ?? params.get('skip_prev');
  const skip = skipText === null ? 0 : Number(skipText);
  if (!Number.isInteger(skip)) return `skip must be an integer, got ${skipText}`;
  const limitText = params.get('limit');
  const limit = limitText === null ? undefined : Number(limitText);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    return `limit must be a non-negative integer, got ${limitText}`;
  }
  const cursorText = params.get('cursor');
  let cursor: Query['cursor'] = skip < 0 ? 'END' : 'BEG';
  if (cursorText === 'BEG' || cursorText === 'END') cursor = cursorText;
  else if (cursorText !== null) {
    const offset = /^o=(\d+)$/.exec(cursorText);
    if (!offset) return `invalid cursor ${cursorText}`;
    cursor = Number(offset[1]);
  }
  const filters = new Map<string, Set<string>>();
  for (const filter of params.getAll('filter')) {
    const colon = filter.indexOf(':');
    if (colon <= 0) return `invalid filter ${filter}, must be KEY:VALUE`;
    const key = filter.slice(0, colon).toUpperCase();
    const values = filters.get(key) ?? new Set<string>();
    values.add(filter.slice(colon + 1));
    filters.set(key, values);
  }
  return { unit: rawUnit.replace(/\.service$/, ''), cursor, skip, limit, filters };
}

interface Source {
  path: string;
  /** False for a unit this node does not run: nothing matches. */
  known: boolean;
  fields: Record<string, string>;
}

/** The daemon writes `<ISO time> <message>`; other lines keep the previous line's time. */
export function logEntry(
  line: string,
  offset: number,
  base: Record<string, string>,
  lastMicros = 0,
): LogEntry {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (.*)$/.exec(line);
  const millis = match ? Date.parse(match[1]!) : NaN;
  const micros = Number.isNaN(millis) ? lastMicros : millis * 1000;
  return {
    fields: { ...base, MESSAGE: match && !Number.isNaN(millis) ? match[2]! : line },
    cursor: `o=${offset}`,
    monotonic_timestamp: 0,
    realtime_timestamp: micros,
  };
}

function matches(entry: LogEntry, filters: Map<string, Set<string>>): boolean {
  for (const [key, values] of filters) {
    const value = entry.fields[key];
    if (value === undefined || !values.has(value)) return false;
  }
  return true;
}

interface Line {
  text: string;
  offset: number;
}

/** Complete lines from `start` up to `end`, in order, a window at a time. */
async function* linesForward(handle: FileHandle, start: number, end: number): AsyncGenerator<Line> {
  const buffer = Buffer.alloc(WINDOW_BYTES);
  let position = start;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineStart = start;
  while (position < end) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(WINDOW_BYTES, end - position), position);
    if (bytesRead === 0) break;
    let from = 0;
    for (let newline = buffer.indexOf(10, 0); newline >= 0 && newline < bytesRead;) {
      if (pendingBytes < MAX_LINE_BYTES) pending.push(Buffer.from(buffer.subarray(from, newline)));
      const text = Buffer.concat(pending).subarray(0, MAX_LINE_BYTES).toString('utf8');
      yield { text, offset: lineStart };
      pending = [];
      pendingBytes = 0;
      from = newline + 1;
      lineStart = position + from;
      newline = buffer.indexOf(10, from);
    }
    if (from < bytesRead && pendingBytes < MAX_LINE_BYTES) {
      pending.push(Buffer.from(buffer.subarray(from, bytesRead)));
      pendingBytes += bytesRead - from;
    }
    position += bytesRead;
  }
}

/** The offset where complete lines end (a half-written last line is left for the next read). */
async function completeEnd(handle: FileHandle, size: number): Promise<number> {
  const buffer = Buffer.alloc(WINDOW_BYTES);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - WINDOW_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, end - start, start);
    const newline = buffer.subarray(0, bytesRead).lastIndexOf(10);
    if (newline >= 0) return start + newline + 1;
    end = start;
  }
  return 0;
}

/** Offsets of the lines before `end`, newest first, a window at a time. */
async function* lineStartsBackward(handle: FileHandle, end: number): AsyncGenerator<number> {
  const buffer = Buffer.alloc(WINDOW_BYTES);
  // `end` is just past a newline (or 0): the line ending there starts after the previous newline.
  let cursor = end - 1;
  while (cursor > 0) {
    const start = Math.max(0, cursor - WINDOW_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, cursor - start, start);
    for (let index = bytesRead - 1; index >= 0; index -= 1) {
      if (buffer[index] === 10) yield start + index + 1;
    }
    cursor = start;
  }
  if (end > 0) yield 0;
}

/** Where reading starts: the cursor moved by `skip` entries that pass the filters. */
async function startOffset(handle: FileHandle, source: Source, query: Query, end: number): Promise<number> {
  let position = query.cursor === 'BEG' ? 0 : query.cursor === 'END' ? end : Math.min(query.cursor, end);
  if (query.skip < 0) {
    let wanted = -query.skip;
    for await (const offset of lineStartsBackward(handle, position)) {
      if (wanted === 0) break;
      if (query.filters.size > 0) {
        const line = await lineAt(handle, offset, position);
        if (!matches(logEntry(line, offset, source.fields), query.filters)) continue;
      }
      position = offset;
      wanted -= 1;
    }
  } else if (query.skip > 0) {
    let skipped = 0;
    for await (const line of linesForward(handle, position, end)) {
      if (skipped === query.skip) return line.offset;
      if (matches(logEntry(line.text, line.offset, source.fields), query.filters)) skipped += 1;
    }
    return end;
  }
  return position;
}

async function lineAt(handle: FileHandle, offset: number, end: number): Promise<string> {
  for await (const line of linesForward(handle, offset, end)) return line.text;
  return '';
}

async function range(response: ServerResponse, source: Source, query: Query, json: boolean): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = source.known ? await open(source.path, 'r') : undefined;
  } catch {
    handle = undefined;
  }
  if (!handle) {
    response.writeHead(204).end();
    return;
  }
  try {
    const end = await completeEnd(handle, (await handle.stat()).size);
    const start = await startOffset(handle, source, query, end);
    let sent = 0;
    let lastMicros = 0;
    for await (const line of linesForward(handle, start, end)) {
      if (query.limit !== undefined && sent >= query.limit) break;
      const entry = logEntry(line.text, line.offset, source.fields, lastMicros);
      lastMicros = entry.realtime_timestamp;
      if (!matches(entry, query.filters)) continue;
      if (sent === 0) {
        response.writeHead(200, {
          'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
          'cache-control': 'no-cache',
        });
      }
      sent += 1;
      const text = json ? `${JSON.stringify(entry)}\n` : `${line.text}\n`;
      if (!response.write(text)) await drained(response);
      if (response.destroyed) return;
    }
    if (sent === 0) response.writeHead(204);
    response.end();
  } finally {
    await handle.close();
  }
}

async function follow(response: ServerResponse, source: Source, query: Query, pollMs: number): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'close',
  });
  // An early comment gets the headers to the client now, not with the first entry (which may be minutes away).
  response.write(': dcos-local logs\n\n');
  let closed = false;
  response.on('close', () => (closed = true));
  let position: number | undefined;
  let lastMicros = 0;
  let lastWrite = Date.now();
  while (!closed) {
    if (source.known) {
      let handle: FileHandle | undefined;
      try {
        handle = await open(source.path, 'r');
        const end = await completeEnd(handle, (await handle.stat()).size);
        // Truncated or replaced by a shorter file: start again from its beginning.
        if (position === undefined || position > end) {
          position = position === undefined ? await startOffset(handle, source, query, end) : 0;
        }
        for await (const line of linesForward(handle, position, end)) {
          const entry = logEntry(line.text, line.offset, source.fields, lastMicros);
          lastMicros = entry.realtime_timestamp;
          if (!matches(entry, query.filters)) continue;
          if (!response.write(`data: ${JSON.stringify(entry)}\n\n`)) await drained(response);
          lastWrite = Date.now();
          if (closed) break;
        }
        position = end;
      } catch {
        // The file may not exist yet (or is being rotated); the next poll tries again.
      } finally {
        await handle?.close();
      }
    }
    if (Date.now() - lastWrite >= HEARTBEAT_MS) {
      response.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
