import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

import { DcosError, InterruptedError } from '../errors.js';
import { type BodyExpectation, decodeBody, releaseBody } from './body.js';
import {
  describeNetworkFailure,
  HttpError,
  NetworkError,
  responseTooLarge,
  timeoutFailure,
  unexpectedBody,
} from './errors.js';
import { loadUndici } from './undici.js';
import {
  abortableSleep,
  Deadline,
  IDEMPOTENT_METHODS,
  MAX_TIMER_MS,
  RETRYABLE_STATUS,
  retryAfterMs,
  retryDelay,
} from './retry.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TlsOptions {
  /** false = accept any certificate (the caller warns the user). */
  verify: boolean;
  /** PEM bundle trusted in addition to nothing else (like curl --cacert). */
  ca?: string;
}

export interface HttpClientOptions {
  /** Relative request paths are resolved against this URL (the cluster's `core.dcos_url`). */
  baseUrl: string;
  token?: string;
  basicAuth?: { username: string; password: string };
  /** Origins that may receive credentials; the base URL's origin is always included. */
  trustedOrigins?: readonly string[];
  tls?: TlsOptions;
  /**
   * core.timeout: the deadline of a whole exchange, from connecting to the last byte of the body, every retry
   * and wait included (0 = none). A stream only has to deliver its headers in this time.
   */
  timeoutMs?: number;
  /** Connecting has its own, shorter limit inside that deadline. */
  connectTimeoutMs?: number;
  /** core.max_response_bytes: the largest success body read into memory. */
  maxResponseBytes?: number;
  /** Total tries for GET/HEAD on connection resets and 502/503/504, as long as the deadline allows. */
  tries?: number;
  dispatcher?: Dispatcher;
  /** Verbose request log; never receives credentials. */
  log?: (line: string) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** The clock the retry budget is reckoned by (tests pair it with `sleep`). */
  now?: () => number;
  /** Aborting it (Ctrl-C) stops any request in flight. */
  signal?: AbortSignal;
  userAgent?: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Overrides the client's request timeout; 0 = none. */
  timeoutMs?: number;
  /** Leave the status check to the caller (e.g. probes that accept 404). */
  acceptStatus?: (status: number) => boolean;
  /** What a success must carry (default `json`: anything else is an error naming the URL and what came). */
  expect?: BodyExpectation;
  /** Who answers, for those errors: "expected JSON from Marathon at <url>". */
  service?: string;
  /** Aborts this request only (e.g. a watch the user stopped), on top of the client's signal. */
  signal?: AbortSignal;
}

export interface StreamOptions extends RequestOptions {
  /**
   * A finite read through the stream API (a log without --follow, a files API chunk): the deadline covers its
   * body too, until the body closes. Without it the stream may last as long as it likes once it has started.
   */
  bounded?: boolean;
}

export interface HttpResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: T;
  url: string;
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  url: string;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 180_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class HttpClient {
  readonly baseUrl: string;
  private readonly options: HttpClientOptions;
  private readonly trusted: Set<string>;
  private dispatcherPromise: Promise<Dispatcher> | undefined;

  constructor(options: HttpClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.trusted = new Set([new URL(this.baseUrl).origin, ...(options.trustedOrigins ?? []).map(originOf)]);
  }

  url(path: string, query?: RequestOptions['query']): string {
    const url = /^https?:\/\//i.test(path)
      ? new URL(path)
      : new URL(this.baseUrl + (path.startsWith('/') ? path : `/${path}`));
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  async get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('GET', path, options)).data;
  }

  async post<T>(path: string, json?: unknown, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('POST', path, { ...options, json })).data;
  }

  async put<T>(path: string, json?: unknown, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('PUT', path, { ...options, json })).data;
  }

  async patch<T>(path: string, json?: unknown, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('PATCH', path, { ...options, json })).data;
  }

  async delete<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('DELETE', path, options)).data;
  }

  /** A JSON (or text) request: retried when idempotent, bounded by one deadline, errors mapped. */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const url = this.url(path, options.query);
    const exchange = this.exchange(url, options);
    try {
      return await this.tryUntilDone<T>(method, url, options, exchange);
    } finally {
      exchange.end();
    }
  }

  /**
   * Opens a long-lived response (SSE, log follow): it must start (headers) within the timeout, then its body
   * may last and idle as long as it likes, unless `bounded`. `acceptStatus` lets a caller take e.g. a redirect
   * itself (the body is then the caller's to destroy).
   */
  async stream(path: string, options: StreamOptions = {}): Promise<StreamResponse> {
    const url = this.url(path, options.query);
    const exchange = this.exchange(url, options);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.send('GET', url, options, exchange);
      if (!(options.acceptStatus?.(response.statusCode) ?? isSuccess(response.statusCode))) {
        const text = await this.readBody(response, url, 'GET', options, exchange);
        throw new HttpError({
          status: response.statusCode,
          method: 'GET',
          url,
          body: errorBody(text, headerValue(response.headers['content-type'])),
        });
      }
    } catch (error) {
      exchange.end();
      throw error;
    }
    // A long-lived stream had only to start in time; Ctrl-C still ends it, until its body closes.
    if (!options.bounded) exchange.stopClock();
    response.body.once('close', () => exchange.end());
    return { status: response.statusCode, headers: response.headers, body: response.body, url };
  }

  async close(): Promise<void> {
    if (this.dispatcherPromise && !this.options.dispatcher) await (await this.dispatcherPromise).close();
  }

  private async dispatcher(): Promise<Dispatcher> {
    if (this.options.dispatcher) return this.options.dispatcher;
    this.dispatcherPromise ??= loadUndici().then(
      ({ Agent }) =>
        new Agent({
          connect: {
            timeout: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
            rejectUnauthorized: this.options.tls?.verify ?? true,
            ...(this.options.tls?.ca ? { ca: this.options.tls.ca } : {}),
          },
          keepAliveTimeout: 4_000,
        }),
    );
    return this.dispatcherPromise;
  }

  private headersFor(url: string, options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'dcos-cli',
    };
    // Header names are case-insensitive; lower-casing lets a caller's Content-Type replace ours, not join it.
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    if (options.json !== undefined) headers['content-type'] ??= 'application/json';
    if (this.trusted.has(new URL(url).origin)) {
      if (this.options.token) headers.authorization = `token=${this.options.token}`;
      else if (this.options.basicAuth) {
        const { username, password } = this.options.basicAuth;
        headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      }
    }
    return headers;
  }

  private timeoutMs(options: RequestOptions): number {
    return options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private aborted(options: RequestOptions): boolean {
    return Boolean(this.options.signal?.aborted || options.signal?.aborted);
  }

  private exchange(url: string, options: RequestOptions): Exchange {
    const signals = [this.options.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    return new Exchange(url, this.timeoutMs(options), this.options.now ?? Date.now, signals);
  }

  private async tryUntilDone<T>(
    method: HttpMethod,
    url: string,
    options: RequestOptions,
    exchange: Exchange,
  ): Promise<HttpResponse<T>> {
    const tries = IDEMPOTENT_METHODS.has(method) ? Math.max(1, this.options.tries ?? 3) : 1;
    const now = this.options.now ?? Date.now;
    for (let attempt = 1; ; attempt++) {
      const nextDelay = (retryAfter?: number) =>
        retryDelay({
          attempt,
          tries,
          retryAfterMs: retryAfter,
          remainingMs: exchange.remainingMs(now()),
          random: this.options.random ?? Math.random,
        });
      let delay: number | undefined;
      let reason: string;
      try {
        const response = await this.send(method, url, options, exchange);
        const text = await this.readBody(response, url, method, options, exchange);
        const status = response.statusCode;
        delay = RETRYABLE_STATUS.has(status)
          ? nextDelay(retryAfterMs(headerValue(response.headers['retry-after']), Date.now()))
          : undefined;
        if (delay === undefined) return this.settle<T>(method, url, options, response, text);
        reason = `HTTP ${status}`;
      } catch (error) {
        delay = error instanceof NetworkError && error.kind === 'reset' ? nextDelay() : undefined;
        if (delay === undefined) throw error;
        reason = (error as NetworkError).message;
      }
      this.options.log?.(`  retrying ${method} ${url} in ${delay} ms (${reason})`);
      await (this.options.sleep ?? abortableSleep)(delay, exchange.signal);
      if (this.aborted(options)) throw new InterruptedError();
      if (exchange.expired) throw exchange.timeout;
    }
  }

  /** The answer as the caller gets it: an error status becomes an HttpError, a success must be what it expects. */
  private settle<T>(
    method: HttpMethod,
    url: string,
    options: RequestOptions,
    response: Dispatcher.ResponseData,
    text: string,
  ): HttpResponse<T> {
    const status = response.statusCode;
    const contentType = headerValue(response.headers['content-type']);
    if (!(options.acceptStatus?.(status) ?? isSuccess(status))) {
      throw new HttpError({ status, method, url, body: errorBody(text, contentType) });
    }
    // An error status the caller accepts (a probe's 404) is the caller's to read, whatever it holds.
    const expect = options.expect === 'text' || isSuccess(status) ? (options.expect ?? 'json') : 'any';
    const decoded = decodeBody(text, contentType, expect, method !== 'GET' || status === 204);
    if ('problem' in decoded) throw unexpectedBody(url, options.service, decoded.problem);
    return { status, headers: response.headers, data: decoded.value as T, url };
  }

  private async send(method: HttpMethod, url: string, options: RequestOptions, exchange: Exchange) {
    const { request } = await loadUndici();
    const dispatcher = await this.dispatcher();
    const started = Date.now();
    this.options.log?.(`> ${method} ${url}`);
    if (this.aborted(options)) throw new InterruptedError();
    try {
      const target = new URL(url);
      const response = await request(dispatcher, {
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method,
        headers: this.headersFor(url, options),
        body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
        // The exchange's deadline bounds the wait. undici's own timers measure idleness, so a server dripping a
        // byte now and then would hold them off forever; 0 switches them off (null means undici's 300 s).
        headersTimeout: 0,
        bodyTimeout: 0,
        signal: exchange.signal,
      });
      this.options.log?.(`< ${response.statusCode} ${method} ${url} (${Date.now() - started} ms)`);
      return response;
    } catch (error) {
      const failure = this.failure(error, url, options, exchange);
      this.options.log?.(`< ${method} ${url} failed: ${failure.debug ?? failure.message}`);
      throw failure;
    }
  }

  /** The whole body as text; a success is refused past maxResponseBytes, an error page is cut to 64 KiB. */
  private async readBody(
    response: Dispatcher.ResponseData,
    url: string,
    method: HttpMethod,
    options: RequestOptions,
    exchange: Exchange,
  ): Promise<string> {
    const { body } = response;
    try {
      if (method === 'HEAD') {
        await body.dump();
        return '';
      }
      const success = isSuccess(response.statusCode);
      // Error pages can be huge HTML; what is useful for the message comes first.
      const limit = success
        ? (this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES)
        : MAX_ERROR_BODY_BYTES;
      if (success && Number(headerValue(response.headers['content-length'])) > limit) {
        throw responseTooLarge(url, limit);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (size + chunk.length > limit) {
          if (success) throw responseTooLarge(url, limit);
          chunks.push(chunk.subarray(0, limit - size));
          size = limit;
          break;
        }
        chunks.push(chunk);
        size += chunk.length;
      }
      return Buffer.concat(chunks, size).toString('utf8');
    } catch (error) {
      throw this.failure(error, url, options, exchange);
    } finally {
      // Whatever was not read is dropped with the connection rather than downloaded for nothing.
      releaseBody(body);
    }
  }

  /** What a failed send or read means: Ctrl-C, the deadline, one of our errors, or what the network did. */
  private failure(error: unknown, url: string, options: RequestOptions, exchange: Exchange): DcosError {
    if (this.aborted(options)) return new InterruptedError();
    if (exchange.expired) return exchange.timeout;
    if (error instanceof DcosError) return error;
    const timeoutMs = this.timeoutMs(options);
    return describeNetworkFailure(error, url, timeoutMs ? timeoutMs / 1000 : undefined);
  }
}

/**
 * One exchange's deadline: when core.timeout runs out, whatever is in flight (connecting, waiting for
 * headers, reading the body, waiting to retry) is aborted with the timeout error.
 */
class Exchange {
  /** Aborted by the deadline or by any of the caller's signals (Ctrl-C, a watch the user stopped). */
  readonly signal: AbortSignal;
  private readonly deadline: Deadline;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private timedOut: NetworkError | undefined;
  // Listeners rather than AbortSignal.any: on Node 20 every signal made by `any` stays referenced from its
  // sources, so a daemon's request loop (dns serve refreshing its state) would grow without end.
  private readonly unlink: (() => void)[] = [];

  constructor(url: string, timeoutMs: number, now: () => number, signals: AbortSignal[]) {
    this.signal = this.controller.signal;
    this.deadline = Deadline.after(timeoutMs, now());
    for (const source of signals) {
      if (source.aborted) this.controller.abort(source.reason);
      const forward = () => this.controller.abort(source.reason);
      source.addEventListener('abort', forward, { once: true });
      this.unlink.push(() => source.removeEventListener('abort', forward));
    }
    if (timeoutMs > 0) {
      const timeout = timeoutFailure(url, timeoutMs / 1000);
      this.timer = setTimeout(
        () => {
          this.timedOut = timeout;
          this.controller.abort(timeout);
        },
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
    }
  }

  get expired(): boolean {
    return this.timedOut !== undefined;
  }

  get timeout(): NetworkError {
    return this.timedOut as NetworkError;
  }

  remainingMs(now: number): number {
    return this.deadline.remainingMs(now);
  }

  /** The exchange may now last as long as it likes (a stream that started in time). */
  stopClock(): void {
    clearTimeout(this.timer);
  }

  end(): void {
    this.stopClock();
    for (const unlink of this.unlink.splice(0)) unlink();
  }
}

/** An error status's body for the message: JSON when it parses, else the text as it came. */
function errorBody(text: string, contentType: string | undefined): unknown {
  const decoded = decodeBody(text, contentType, 'any', true);
  return 'value' in decoded ? decoded.value : text;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
