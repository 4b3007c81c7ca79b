import { releaseBody } from './body.js';
import type { HttpClient, RequestOptions } from './client.js';
import { abortableSleep, backoffDelay, type BackoffPolicy } from './retry.js';
import { DcosError, InterruptedError } from '../errors.js';
import { HttpError } from './errors.js';

/**
 * A stream has no whole-body cap, but one event is held in memory until it is complete: a server sending a
 * line that never ends must not take all of it. Marathon's largest events (a deployment's full plan) are a few MB.
 */
export const MAX_EVENT_CHARS = 64 * 1024 * 1024;

export interface ServerSentEvent {
  /** `message` when the server gave no `event:` line. */
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental text/event-stream parser (WHATWG rules): feed it chunks as they arrive, get whole events back.
 * Handles CRLF, CR and LF line ends (Marathon sends CRLF), comments, multi-line data, `id:` and `retry:`.
 */
export class SseParser {
  private buffer = '';
  private started = false;
  /** The previous chunk ended in CR: a LF opening the next chunk is the second half of that CRLF. */
  private pendingCr = false;
  private eventType = '';
  private dataLines: string[] = [];
  private idBuffer: string | undefined;
  private lastId: string | undefined;
  /** Characters held for the event being built (its data lines and the unfinished line). */
  private held = 0;
  retryMs: number | undefined;

  constructor(private readonly maxEventChars = MAX_EVENT_CHARS) {}

  /** The id of the last event dispatched (an `id:` line only counts once its event is complete). */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  feed(chunk: string): ServerSentEvent[] {
    let text = chunk;
    if (text !== '' && this.pendingCr) {
      this.pendingCr = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    if (text !== '' && !this.started) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    this.buffer += text;
    const events: ServerSentEvent[] = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match; match = lineEnd.exec(this.buffer)) {
      const line = this.buffer.slice(start, match.index);
      start = match.index + match[0].length;
      // A CR ending the chunk is a line end now (CR-only streams must not stall); remember to drop its LF.
      if (match[0] === '\r' && start === this.buffer.length) this.pendingCr = true;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    if (this.held + this.buffer.length > this.maxEventChars) {
      throw new DcosError(`the event stream sent an event of more than ${this.maxEventChars} characters`, {
        code: 'response_too_large',
      });
    }
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') {
      this.dataLines.push(value);
      this.held += value.length + 1;
    } else if (field === 'id' && !value.includes('\0')) this.idBuffer = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    this.lastId = this.idBuffer;
    const hadData = this.dataLines.length > 0;
    const event: ServerSentEvent = { event: this.eventType || 'message', data: this.dataLines.join('\n') };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.eventType = '';
    this.dataLines = [];
    this.held = 0;
    return hadData ? event : undefined;
  }
}

export type StreamItem =
  { kind: 'event'; event: ServerSentEvent } | { kind: 'connected'; reconnect: boolean };

export interface EventStreamOptions extends Pick<RequestOptions, 'query' | 'headers'> {
  signal?: AbortSignal;
  /** Throw the error of the Nth consecutive failed connect (default: never give up). */
  maxConnectFailures?: number;
  backoff?: BackoffPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  onError?: (error: unknown, delayMs: number) => void;
}

/** Statuses worth reconnecting after; anything else (401, 403, 404, ...) will not fix itself. */
function retryableStreamStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Follows an SSE endpoint forever, reconnecting with backoff (sending Last-Event-ID). Each (re)connection
 * yields a `connected` item first so consumers can resynchronise state they may have missed while away.
 * A stream the server closes is reopened (after its `retry:` time if it sent one); only failed connects
 * count towards `maxConnectFailures`. HTTP errors that retrying cannot fix (4xx) are thrown at once.
 */
export async function* followEvents(
  client: HttpClient,
  path: string,
  options: EventStreamOptions = {},
): AsyncGenerator<StreamItem> {
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const backoff = options.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
  let failures = 0;
  let connections = 0;
  let lastEventId: string | undefined;
  let retryMs: number | undefined;
  while (!options.signal?.aborted) {
    let connected = false;
    try {
      const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream' };
      if (lastEventId) headers['last-event-id'] = lastEventId;
      // The signal also ends an idle stream at once (undici destroys the body when it fires).
      const response = await client.stream(path, { query: options.query, headers, signal: options.signal });
      connected = true;
      failures = 0;
      try {
        yield { kind: 'connected', reconnect: connections++ > 0 };
        const parser = new SseParser();
        // undici's body ignores setEncoding (chunks stay Buffers): decode here so a UTF-8 character split
        // across two chunks survives.
        const decoder = new TextDecoder('utf-8');
        for await (const chunk of response.body) {
          for (const event of parser.feed(decoder.decode(chunk as Buffer, { stream: true }))) {
            yield { kind: 'event', event };
          }
          lastEventId = parser.lastEventId ?? lastEventId;
          retryMs = parser.retryMs ?? retryMs;
          if (options.signal?.aborted) return;
        }
      } finally {
        // Free the connection however we leave (consumer stopped, abort, parse error). undici reports
        // destroying an unfinished body as an 'error' event, which must not become an uncaught exception.
        releaseBody(response.body);
      }
      throw new Error('event stream ended');
    } catch (error) {
      if (error instanceof InterruptedError || options.signal?.aborted) return;
      if (error instanceof HttpError && !retryableStreamStatus(error.status)) throw error;
      if (!connected) {
        failures++;
        if (options.maxConnectFailures !== undefined && failures >= options.maxConnectFailures) throw error;
      }
      const delay = connected
        ? (retryMs ?? backoffDelay(1, random, backoff))
        : backoffDelay(failures, random, backoff);
      options.onError?.(error, delay);
      await sleep(delay, options.signal);
    }
  }
}
