/**
 * The Mesos-DNS HTTP API (reference §5) plus what it lacks: `/health` and Prometheus `/metrics`.
 * JSON is pretty-printed as go-restful does (one-space indent).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DcosError } from '../errors.js';
import { normaliseName } from './resolver.js';
import type { RefreshStatus } from './refresh.js';
import type { DnsMetrics, RecordsSnapshot } from './server.js';
import type { DnsConfig, RecordSet } from './types.js';

export const MESOS_DNS_URL = 'https://github.com/mesosphere/mesos-dns';

export interface HttpApiOptions {
  config: DnsConfig;
  version: string;
  getRecords: () => RecordsSnapshot | undefined;
  status: () => RefreshStatus;
  metrics: () => DnsMetrics | undefined;
  /** `/v1/config` (the caller redacts the secret). */
  shownConfig: () => unknown;
  axfr: (snapshot: RecordsSnapshot) => unknown;
  enumerate: (snapshot: RecordsSnapshot) => unknown;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body, null, ' '));
}

function sendText(response: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8` });
  response.end(body);
}

/** `/v1/hosts/{host}`: every A value, then every AAAA value. */
export function hostsJson(records: RecordSet, host: string): { host: string; ip: string }[] {
  const name = normaliseName(host);
  const entries = [...(records.a.get(name) ?? []), ...(records.aaaa.get(name) ?? [])].map((ip) => ({
    host: name,
    ip,
  }));
  return entries.length > 0 ? entries : [{ host: '', ip: '' }];
}

/** `/v1/services/{service}`: one entry per SRV value with an A target, one per value with an AAAA target. */
export function servicesJson(
  records: RecordSet,
  service: string,
): { service: string; host: string; ip: string; port: string }[] {
  const entries: { service: string; host: string; ip: string; port: string }[] = [];
  for (const value of records.srv.get(normaliseName(service)) ?? []) {
    const colon = value.lastIndexOf(':');
    const host = value.slice(0, colon);
    const port = value.slice(colon + 1);
    const a = records.a.get(host)?.[0];
    const aaaa = records.aaaa.get(host)?.[0];
    if (a !== undefined) entries.push({ service, host, ip: a, port });
    if (aaaa !== undefined) entries.push({ service, host, ip: aaaa, port });
  }
  return entries.length > 0 ? entries : [{ service: '', host: '', ip: '', port: '' }];
}

function recordCounts(records: RecordSet) {
  const count = (map: Map<string, string[]>) => {
    let total = 0;
    for (const values of map.values()) total += values.length;
    return total;
  };
  return { a: count(records.a), aaaa: count(records.aaaa), srv: count(records.srv) };
}

/** Prometheus text exposition of the server's counters. */
export function metricsText(
  metrics: DnsMetrics | undefined,
  status: RefreshStatus,
  snapshot: RecordsSnapshot | undefined,
): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const queries = [...(metrics?.queries ?? new Map<string, number>())].map(
    ([key, value]): [string, number] => {
      const [type, rcode] = key.split(' ');
      return [`{type="${type}",rcode="${rcode}"}`, value];
    },
  );
  metric('mesos_dns_queries_total', 'counter', 'DNS queries answered, by question type and rcode', queries);
  metric('mesos_dns_forwarded_total', 'counter', 'Queries forwarded upstream', [
    ['', metrics?.forwarded ?? 0],
  ]);
  metric('mesos_dns_forward_failures_total', 'counter', 'Forwarded queries no upstream answered', [
    ['', metrics?.forwardFailures ?? 0],
  ]);
  metric('mesos_dns_forwards_rejected_total', 'counter', 'Forwards refused (SERVFAIL) at the cap', [
    ['', metrics?.forwardsRejected ?? 0],
  ]);
  metric('mesos_dns_truncated_total', 'counter', 'Replies truncated to fit', [['', metrics?.truncated ?? 0]]);
  metric('mesos_dns_cache_lookups_total', 'counter', 'Answer cache lookups by result', [
    ['{result="hit"}', metrics?.cacheHits ?? 0],
    ['{result="miss"}', metrics?.cacheMisses ?? 0],
  ]);
  metric('mesos_dns_cache_bytes', 'gauge', 'Memory held by the answer cache', [
    ['', metrics?.cacheBytes ?? 0],
  ]);
  metric('mesos_dns_cache_entries', 'gauge', 'Questions in the answer cache', [
    ['', metrics?.cacheEntries ?? 0],
  ]);
  metric('mesos_dns_rate_limited_total', 'counter', 'UDP queries over their prefix rate, by action', [
    ['{action="slip"}', metrics?.rrlSlipped ?? 0],
    ['{action="drop"}', metrics?.rrlDropped ?? 0],
  ]);
  metric('mesos_dns_tcp_connections', 'gauge', 'Open TCP connections', [['', metrics?.tcpConnections ?? 0]]);
  metric('mesos_dns_tcp_closed_total', 'counter', 'TCP connections closed or refused by the server', [
    ['{reason="deadline"}', metrics?.tcpTimedOut ?? 0],
    ['{reason="evicted"}', metrics?.tcpEvicted ?? 0],
    ['{reason="refused"}', metrics?.tcpRefused ?? 0],
  ]);
  metric('mesos_dns_malformed_total', 'counter', 'Messages that were not usable queries', [
    ['', metrics?.malformed ?? 0],
  ]);
  metric('mesos_dns_refresh_total', 'counter', 'State refreshes by result', [
    ['{result="success"}', status.successes],
    ['{result="failure"}', status.failures],
  ]);
  const counts = snapshot ? recordCounts(snapshot.records) : { a: 0, aaaa: 0, srv: 0 };
  metric('mesos_dns_records', 'gauge', 'Records served, by type', [
    ['{type="A"}', counts.a],
    ['{type="AAAA"}', counts.aaaa],
    ['{type="SRV"}', counts.srv],
  ]);
  metric('mesos_dns_last_refresh_timestamp_seconds', 'gauge', 'Unix time of the last good load', [
    ['', status.lastSuccessAt === undefined ? 0 : status.lastSuccessAt / 1000],
  ]);
  return `${lines.join('\n')}\n`;
}

/** Routes one request; exported for tests that need no socket. */
export function handleHttp(
  options: HttpApiOptions,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  let path: string;
  try {
    path = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/');
  } catch {
    return sendText(response, 400, '400: Bad Request (malformed percent-encoding in the path)');
  }
  const snapshot = options.getRecords();
  const records = snapshot?.records;
  const { config } = options;
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return sendText(response, 405, 'Method Not Allowed');
  if (path === '/v1/version') {
    return sendJson(response, 200, { Service: 'Mesos-DNS', URL: MESOS_DNS_URL, Version: options.version });
  }
  if (path === '/v1/config') return sendJson(response, 200, options.shownConfig());
  if (path === '/health') {
    const status = options.status();
    const body = {
      healthy: snapshot !== undefined,
      serial: snapshot?.serial ?? null,
      lastRefresh: status.lastSuccessAt === undefined ? null : new Date(status.lastSuccessAt).toISOString(),
      refreshes: { successes: status.successes, failures: status.failures },
      lastError: status.lastError ?? null,
      records: records ? recordCounts(records) : null,
    };
    return sendJson(response, snapshot ? 200 : 503, body);
  }
  if (path === '/metrics') {
    return sendText(
      response,
      200,
      metricsText(options.metrics(), options.status(), snapshot),
      'text/plain; version=0.0.4',
    );
  }
  const hostPorts = /^\/v1\/hosts\/([^/]+)\/ports$/.exec(path);
  if (hostPorts) return sendText(response, 501, 'To be implemented...');
  const host = /^\/v1\/hosts\/([^/]+)$/.exec(path);
  const service = /^\/v1\/services\/([^/]+)$/.exec(path);
  const enumeration = config.EnumerationOn && (path === '/v1/enumerate' || path === '/v1/axfr');
  if ((host || service || enumeration) && !snapshot) {
    return sendJson(response, 503, { error: 'no records loaded yet' });
  }
  if (host) return sendJson(response, 200, hostsJson(records!, host[1]!));
  if (service) return sendJson(response, 200, servicesJson(records!, service[1]!));
  if (enumeration && path === '/v1/axfr') return sendJson(response, 200, options.axfr(snapshot!));
  if (enumeration) return sendJson(response, 200, options.enumerate(snapshot!));
  sendText(response, 404, '404: Page Not Found');
}

export interface HttpApi {
  server: Server;
  address: string;
  port: number;
  close(): Promise<void>;
}

/** Every endpoint is a GET: a body is read and ignored up to this size, beyond it the answer is 413. */
export const MAX_BODY_BYTES = 64 * 1024;
/**
 * After a 413 the rest of the body is still read, and thrown away, for a while: closing a socket with unread
 * data sends a reset, which can reach the client before it has read the 413.
 */
const DISCARD_BYTES = 128 * 1024 * 1024;
const DISCARD_MS = 2_000;

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/** Reads and discards the request body; false (and stops counting) once it passes `limit` bytes. */
function discardBody(request: IncomingMessage, limit: number): Promise<boolean> {
  if (Number(request.headers['content-length'] ?? 0) > limit) return Promise.resolve(false);
  return new Promise((resolve) => {
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) return;
      request.off('data', onData);
      resolve(false);
    };
    request.on('data', onData);
    request.once('end', () => resolve(true));
    request.once('error', () => resolve(false));
  });
}

function tooLarge(request: IncomingMessage, response: ServerResponse): void {
  sendText(
    response,
    413,
    `413: Request Entity Too Large (the API takes no body; at most ${MAX_BODY_BYTES} bytes)`,
  );
  let discarded = 0;
  const stop = () => request.socket.destroy();
  const timer = setTimeout(stop, DISCARD_MS);
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_BYTES) stop();
  });
  request.once('close', () => clearTimeout(timer));
  request.once('end', () => clearTimeout(timer));
}

/** The API never grants cross-origin access: no Access-Control-* header is ever sent, and OPTIONS is 405. */
export async function startHttpApi(options: HttpApiOptions, listen: string, port: number): Promise<HttpApi> {
  const route = (request: IncomingMessage, response: ServerResponse) => {
    try {
      handleHttp(options, request, response);
    } catch (error) {
      if (!response.headersSent) sendText(response, 500, (error as Error).message);
      else response.end();
    }
  };
  const server = createServer((request, response) => {
    if (!hasBody(request)) return route(request, response);
    void discardBody(request, MAX_BODY_BYTES).then((within) =>
      within ? route(request, response) : tooLarge(request, response),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DcosError(
          error.code === 'EADDRINUSE'
            ? `cannot serve HTTP on ${listen}:${port}: the port is in use; choose another with --http-port`
            : `cannot serve HTTP on ${listen}:${port}: ${error.message}`,
          { code: 'listen_failed' },
        ),
      ),
    );
    server.listen(port, listen, () => resolve());
  });
  return {
    server,
    address: listen,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
