import type { HttpClient, RequestOptions } from './client.js';
import { backoffDelay, type BackoffPolicy } from './retry.js';
import { InterruptedError } from '../errors.js';

export interface ServerSentEvent {
  /** `message` when the server gave no `event:` line. */
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental text/event-stream parser (WHATWG rules): feed it chunks as they arrive, get whole events back.
 * Handles CRLF, CR and LF line ends (Marathon sends CRLF), comments, multi-line data and `retry:`.
 */
export class SseParser {
  private buffer = '';
  private eventType = '';
  private dataLines: string[] = [];
  private lastId: string | undefined;
  retryMs: number | undefined;

  get lastEventId(): string | undefined {
    return this.lastId;
  }

  feed(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    const events: ServerSentEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone CR at the end may be the first half of CRLF: wait for the next chunk.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
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
    else if (field === 'data') this.dataLines.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const hadData = this.dataLines.length > 0;
    const event: ServerSentEvent = { event: this.eventType || 'message', data: this.dataLines.join('\n') };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.eventType = '';
    this.dataLines = [];
    return hadData ? event : undefined;
  }
}

export type StreamItem =
  { kind: 'event'; event: ServerSentEvent } | { kind: 'connected'; reconnect: boolean };

export interface EventStreamOptions extends Pick<RequestOptions, 'query' | 'headers'> {
  signal?: AbortSignal;
  /** Give up after this many consecutive failed connects (default: never). */
  maxConnectFailures?: number;
  backoff?: BackoffPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  onError?: (error: unknown, delayMs: number) => void;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Follows an SSE endpoint forever, reconnecting with backoff (sending Last-Event-ID). Each (re)connection
 * yields a `connected` item first so consumers can resynchronise state they may have missed while away.
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
  while (!options.signal?.aborted) {
    let parser: SseParser | undefined;
    try {
      const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const response = await client.stream(path, { query: options.query, headers });
      failures = 0;
      yield { kind: 'connected', reconnect: connections++ > 0 };
      parser = new SseParser();
      response.body.setEncoding('utf8');
      for await (const chunk of response.body) {
        for (const event of parser.feed(chunk as string)) yield { kind: 'event', event };
        lastEventId = parser.lastEventId ?? lastEventId;
        if (options.signal?.aborted) {
          response.body.destroy();
          return;
        }
      }
      throw new Error('event stream ended');
    } catch (error) {
      if (error instanceof InterruptedError || options.signal?.aborted) return;
      failures++;
      if (options.maxConnectFailures !== undefined && failures > options.maxConnectFailures) throw error;
      const delay = parser?.retryMs ?? backoffDelay(failures, random, backoff);
      options.onError?.(error, delay);
      await sleep(delay, options.signal);
    }
  }
}
