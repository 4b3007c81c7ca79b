/**
 * A task's sandbox file through the DC/OS logging API v2 (dcos-log, reference §3.1), the backend the DC/OS CLI
 * uses when the cluster has it: `GET /system/v1/logs/v2/task/<task id>/file/<file>` on the master, which
 * answers 303 See Other to the agent's `/system/v1/agent/<agent id>/logs/v2/task/frameworks/.../<file>`.
 * - A range is `Accept: text/plain` with `cursor=END&skip=-N` (the last N lines) or `cursor=BEG` (the whole
 *   file): the body is the raw lines, copied to the sink chunk by chunk.
 * - Following is `Accept: text/event-stream`: one line per event's `data:`, `id:` being the byte offset after
 *   it. A dropped stream is reopened with `Last-Event-ID` (dcos-log then ignores `cursor`/`skip`), which the
 *   DC/OS CLI never did and which is why its `--follow` went silent (reference §6.3).
 * dcos-log answers 204 when the file does not exist.
 */
import { DcosError, InterruptedError } from '../errors.js';
import { headerValue, type HttpClient, type StreamResponse } from '../http/client.js';
import { releaseBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { abortableSleep, backoffDelay, type BackoffPolicy } from '../http/retry.js';
import { SseParser } from '../http/sse.js';
import { MissingFileError, type LogSink } from './files-api.js';

/** How many lines from the end; 'all' for the whole file. */
export type LineCount = number | 'all';

export interface LoggingV2Options {
  /** Ctrl-C: requests and waits stop, the reader throws InterruptedError. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Between reconnects of a follow (default 1 s doubling to 30 s). */
  backoff?: BackoffPolicy;
  /** A follow gives up after this many reconnects in a row that fail to connect (default 10). */
  maxConnectFailures?: number;
  /** Told before each reconnect (for --verbose). */
  onReconnect?: (error: unknown, delayMs: number) => void;
}

export interface V2FollowOptions {
  /** True once the task is over; following then stops after a short drain. */
  ended: () => Promise<boolean>;
  /** How often `ended` is asked (default 2 s). */
  endCheckMs?: number;
  /** How long lines may still arrive after the task ended (dcos-log polls the file once a second). */
  drainMs?: number;
}

const MAX_REDIRECTS = 5;

/** The master's discovery path for a task file (`file` is sandbox-relative; each segment is escaped). */
export function taskLogPath(taskId: string, file: string): string {
  const segments = file.split('/').filter((segment) => segment !== '');
  return `/system/v1/logs/v2/task/${encodeURIComponent(taskId)}/file/${segments.map(encodeURIComponent).join('/')}`;
}

/** The query for the first request: `lines` back from the end, or from the beginning for 'all'. */
export function rangeQuery(lines: LineCount): Record<string, string | number> {
  return lines === 'all'
    ? { cursor: 'BEG' }
    : lines > 0
      ? { cursor: 'END', skip: -lines }
      : { cursor: 'END' };
}

/** Statuses a reconnect may fix; anything else (401, 403, 404...) will not fix itself. */
function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export class LoggingV2TaskFile {
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly http: HttpClient,
    readonly taskId: string,
    readonly file: string,
    private readonly options: LoggingV2Options = {},
  ) {
    this.sleep = options.sleep ?? abortableSleep;
  }

  /** The discovery URL, for --verbose. */
  get url(): string {
    return this.http.url(taskLogPath(this.taskId, this.file));
  }

  /** Prints the last `lines` lines (or all), as the server sends them. */
  async read(lines: LineCount, sink: LogSink): Promise<void> {
    if (lines === 0) return;
    const response = await this.open(rangeQuery(lines), { accept: 'text/plain' }, this.options.signal, true);
    try {
      for await (const chunk of response.body) await sink.write(chunk as Buffer);
    } catch (error) {
      if (this.options.signal?.aborted) throw new InterruptedError();
      throw error;
    } finally {
      release(response);
    }
  }

  /**
   * Prints the last `lines` lines, then every line as it is written, until the task ends (returns) or the
   * signal fires (throws InterruptedError). Streams the server closes or that break are reopened from the
   * last event id with backoff; `maxConnectFailures` failed connects in a row end it with the error.
   */
  async follow(lines: LineCount, sink: LogSink, options: V2FollowOptions): Promise<void> {
    const stop = new AbortController();
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, stop.signal]) : stop.signal;
    const watcher = this.watchEnd(options, stop, signal);
    try {
      await this.stream(lines, sink, signal);
    } finally {
      stop.abort();
      await watcher;
    }
    if (this.options.signal?.aborted) throw new InterruptedError();
  }

  private async stream(lines: LineCount, sink: LogSink, signal: AbortSignal): Promise<void> {
    const random = this.options.random ?? Math.random;
    const backoff = this.options.backoff ?? { baseMs: 1_000, maxMs: 30_000 };
    const maxFailures = this.options.maxConnectFailures ?? 10;
    let lastEventId: string | undefined;
    let printed = false;
    let failures = 0;
    // Ends when the signal fires (Ctrl-C or the task ended) or connecting keeps failing.
    while (!signal.aborted) {
      let connected = false;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
        // Without an event id to resume from, going back `lines` again would print them twice.
        const response = await this.open(rangeQuery(printed ? 0 : lines), headers, signal);
        connected = true;
        failures = 0;
        try {
          const parser = new SseParser();
          // A UTF-8 character split across two chunks must survive: decode with state.
          const decoder = new TextDecoder('utf-8');
          for await (const chunk of response.body) {
            for (const event of parser.feed(decoder.decode(chunk as Buffer, { stream: true }))) {
              await sink.write(Buffer.from(`${event.data}\n`, 'utf8'));
              printed = true;
            }
            lastEventId = parser.lastEventId ?? lastEventId;
          }
        } finally {
          release(response);
        }
        throw new DcosError('the log stream ended');
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof MissingFileError) throw error;
        if (error instanceof HttpError && !retryableStatus(error.status)) throw error;
        if (!connected && ++failures >= maxFailures) throw error;
        const delay = backoffDelay(connected ? 1 : failures, random, backoff);
        this.options.onReconnect?.(error, delay);
        await this.sleep(delay, signal);
      }
    }
  }

  private async watchEnd(
    options: V2FollowOptions,
    stop: AbortController,
    signal: AbortSignal,
  ): Promise<void> {
    const every = options.endCheckMs ?? 2_000;
    // Runs until the follow stops (signal) or the task ends.
    while (!signal.aborted) {
      await this.sleep(every, signal);
      if (signal.aborted) return;
      if (await options.ended().catch(() => false)) {
        await this.sleep(options.drainMs ?? 1_500, signal);
        stop.abort();
        return;
      }
    }
  }

  /** GET the task file, taking the master's redirect to the agent (undici does not follow redirects). */
  private async open(
    query: Record<string, string | number> | undefined,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    /** A read without --follow: finite, so due within core.timeout. */
    bounded = false,
  ): Promise<StreamResponse> {
    let target = taskLogPath(this.taskId, this.file);
    let params = query;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      let response: StreamResponse;
      try {
        response = await this.http.stream(target, {
          ...(params ? { query: params } : {}),
          headers,
          acceptStatus: (status) => status >= 200 && status < 400,
          bounded,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (error instanceof HttpError && error.status === 404) throw new MissingFileError(this.file);
        throw error;
      }
      const location = headerValue(response.headers.location);
      if (response.status >= 300 && location) {
        release(response);
        // The agent URL carries the query already (dcos-log appends it).
        target = new URL(location, response.url).toString();
        params = undefined;
        continue;
      }
      if (response.status === 204 || response.status >= 300) {
        release(response);
        if (response.status === 204) throw new MissingFileError(this.file);
        throw new DcosError(`${response.url} answered ${response.status} without a Location to follow`, {
          code: 'invalid_response',
        });
      }
      return response;
    }
    throw new DcosError(`more than ${MAX_REDIRECTS} redirects for ${this.url}`, { code: 'invalid_response' });
  }
}

/** Frees the connection; undici reports destroying an unread body as an error nobody must see. */
function release(response: StreamResponse): void {
  releaseBody(response.body);
}
