import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

import { DcosError, InterruptedError } from '../errors.js';
import { describeNetworkFailure, HttpError, NetworkError } from './errors.js';
import { loadUndici } from './undici.js';
import { abortableSleep, backoffDelay, IDEMPOTENT_METHODS, RETRYABLE_STATUS, retryAfterMs } from './retry.js';

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
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Total tries for GET/HEAD on connection resets and 502/503/504. */
  tries?: number;
  dispatcher?: Dispatcher;
  /** Verbose request log; never receives credentials. */
  log?: (line: string) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
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
  /** Aborts this request only (e.g. a watch the user stopped), on top of the client's signal. */
  signal?: AbortSignal;
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

  /** A JSON (or text) request: retried when idempotent, timed out as a whole, errors mapped. */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const url = this.url(path, options.query);
    const tries = IDEMPOTENT_METHODS.has(method) ? Math.max(1, this.options.tries ?? 3) : 1;
    const sleep = this.options.sleep ?? abortableSleep;
    const random = this.options.random ?? Math.random;
    for (let attempt = 1; ; attempt++) {
      let retryWaitMs: number | undefined;
      try {
        const response = await this.send(method, url, options, false);
        const text = await this.readText(response, url, method, options);
        if (RETRYABLE_STATUS.has(response.statusCode) && attempt < tries) {
          retryWaitMs = retryAfterMs(headerValue(response.headers['retry-after']), Date.now());
          throw new RetrySignal(`HTTP ${response.statusCode}`);
        }
        const accepted = options.acceptStatus?.(response.statusCode) ?? isSuccess(response.statusCode);
        const data = parseBody(text, headerValue(response.headers['content-type']));
        if (!accepted) {
          const body = data instanceof InvalidJson ? text : data;
          throw new HttpError({ status: response.statusCode, method, url, body });
        }
        if (data instanceof InvalidJson) {
          throw new DcosError(`${method} ${url} returned a body that is not valid JSON: ${data.reason}`, {
            code: 'invalid_response',
          });
        }
        return { status: response.statusCode, headers: response.headers, data: data as T, url };
      } catch (error) {
        const retryable =
          error instanceof RetrySignal || (error instanceof NetworkError && error.kind === 'reset');
        if (!retryable || attempt >= tries) throw error;
        const delay = retryWaitMs ?? backoffDelay(attempt, random);
        this.options.log?.(`  retrying ${method} ${url} in ${delay} ms (${(error as Error).message})`);
        await sleep(delay, this.options.signal);
        if (this.options.signal?.aborted) throw new InterruptedError();
      }
    }
  }

  /**
   * Opens a long-lived response (SSE, log follow): connect and header timeouts apply, the body has none.
   * `acceptStatus` lets a caller take e.g. a redirect itself (the body is then the caller's to destroy).
   */
  async stream(path: string, options: RequestOptions = {}): Promise<StreamResponse> {
    const url = this.url(path, options.query);
    const response = await this.send('GET', url, options, true);
    if (!(options.acceptStatus?.(response.statusCode) ?? isSuccess(response.statusCode))) {
      const text = await this.readText(response, url, 'GET', options);
      throw new HttpError({
        status: response.statusCode,
        method: 'GET',
        url,
        body: parseBody(text, headerValue(response.headers['content-type'])),
      });
    }
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

  private async send(method: HttpMethod, url: string, options: RequestOptions, streaming: boolean) {
    const { request } = await loadUndici();
    const dispatcher = await this.dispatcher();
    const timeoutMs = this.timeoutMs(options);
    const signals = [this.options.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
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
        // 0 disables undici's timer (null would fall back to undici's own 300 s default).
        headersTimeout: timeoutMs,
        // A stream's body may be idle for minutes (no events); a plain response must finish in time.
        bodyTimeout: streaming ? 0 : timeoutMs,
        signal,
      });
      this.options.log?.(`< ${response.statusCode} ${method} ${url} (${Date.now() - started} ms)`);
      return response;
    } catch (error) {
      if (this.aborted(options)) throw new InterruptedError();
      const failure = describeNetworkFailure(error, url, timeoutMs ? timeoutMs / 1000 : undefined);
      this.options.log?.(`< ${method} ${url} failed: ${failure.debug ?? failure.message}`);
      throw failure;
    }
  }

  private async readText(
    response: Dispatcher.ResponseData,
    url: string,
    method: HttpMethod,
    options: RequestOptions,
  ): Promise<string> {
    try {
      if (method === 'HEAD') {
        await response.body.dump();
        return '';
      }
      if (!isSuccess(response.statusCode)) {
        // Error pages can be huge HTML; keep what is useful for the message.
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of response.body) {
          if (size < MAX_ERROR_BODY_BYTES) chunks.push(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
        return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES);
      }
      return await response.body.text();
    } catch (error) {
      if (this.aborted(options)) throw new InterruptedError();
      const timeoutMs = this.timeoutMs(options);
      throw describeNetworkFailure(error, url, timeoutMs ? timeoutMs / 1000 : undefined);
    }
  }
}

class RetrySignal extends Error {}

class InvalidJson {
  constructor(readonly reason: string) {}
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

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
  if (!looksJson) return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    return /json/i.test(contentType ?? '') ? new InvalidJson((error as Error).message) : text;
  }
}
