/**
 * What `dcos local` refuses before any route sees a request. The daemon runs tasks as the user, so whoever can
 * make it accept a request can run commands: a web page in the user's browser (cross-origin requests, DNS
 * rebinding), another local user, or a task of another tool. Pure: headers in, verdict out.
 *
 * In order, each check answering as the system it imitates would:
 * 1. `Host` must name this daemon (`127.0.0.1`, `localhost` or `[::1]` with its port): a rebound DNS name
 *    reaches the socket but never gets past here (403).
 * 2. An `Origin` header, which browsers add to every cross-origin write, must be this daemon's own (403).
 * 3. The token, as DC/OS Admin Router takes it (`Authorization: token=<t>` or `Bearer <t>`), or as the
 *    password of HTTP basic auth for tools that only speak that (marathon-lb, Mesos-DNS); 401 with
 *    `WWW-Authenticate: oauthjwt` otherwise. Cookies are never read: a browser would send them for any page.
 * 4. Percent-encoding in the path must decode (400), so no handler meets a URIError.
 * 5. Writes with a body need a JSON media type (`application/json` or a `+json` vendor type): the forms and
 *    `text/plain` a page can send without a preflight get 415, as Marathon answers. Cosmos's RPCs check their
 *    own, stricter types and keep Cosmos's 415 error.
 * 6. A declared body over the limit gets 413 before it is read.
 * No CORS header is ever sent, so no preflight ever succeeds.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Marathon's own largest definitions (a 1 000-app group) fit many times over. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Readable without the token, as DC/OS serves it: `dcos cluster setup` reads it to tell what it talks to. */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/dcos-metadata/dcos-version.json']);
const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Cosmos's RPCs accept exactly their own media types and answer a wrong one with Cosmos's 415 error. */
const OWN_MEDIA_TYPES = /^\/package\//;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

export interface GuardOptions {
  port: number;
  /** undefined: authentication off (`dcos local start --no-auth`). */
  token: string | undefined;
}

/** The parts of an `IncomingMessage` the checks read. */
export interface GuardRequest {
  method?: string | undefined;
  /** The raw request target (`/path?query`). */
  url?: string | undefined;
  headers: IncomingHttpHeaders;
}

export interface Refusal {
  status: 400 | 401 | 403 | 413 | 415;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/** The refusal for a request `dcos local` must not serve, or undefined when it may go on. */
export function checkRequest(request: GuardRequest, options: GuardOptions): Refusal | undefined {
  const hosts = allowedHosts(options.port);
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || !hosts.includes(host)) {
    return {
      status: 403,
      body: { message: `Host ${JSON.stringify(host ?? '')} is not this dcos local; use ${hosts.join(', ')}` },
    };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !hosts.some((allowed) => origin.toLowerCase() === `http://${allowed}`)) {
    return { status: 403, body: { message: 'Cross-origin requests are not allowed' } };
  }
  const method = request.method ?? 'GET';
  const path = (request.url ?? '/').split('?', 1)[0] ?? '';
  if (options.token !== undefined && !(method === 'GET' && PUBLIC_PATHS.has(path))) {
    const presented = presentedToken(request.headers.authorization);
    if (presented === undefined || !sameSecret(presented, options.token)) {
      return {
        status: 401,
        headers: { 'www-authenticate': 'oauthjwt' },
        body: {
          title: 'Unauthorized',
          description:
            presented === undefined
              ? 'dcos local needs its token: send `Authorization: token=<token>` (or the token as the basic auth password); it is in the token file of its state directory'
              : 'the token does not match this dcos local',
          code: presented === undefined ? 'ERR_MISSING_AUTH_TOKEN' : 'ERR_INVALID_AUTH_TOKEN',
        },
      };
    }
  }
  if (!decodes(path)) {
    return { status: 400, body: { message: 'Malformed percent-encoding in the request path' } };
  }
  if (WRITE_METHODS.has(method) && !OWN_MEDIA_TYPES.test(path)) {
    const mediaType = request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
    const hasBody =
      request.headers['transfer-encoding'] !== undefined ||
      (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');
    if (mediaType === undefined ? hasBody : !JSON_MEDIA_TYPE.test(mediaType)) {
      return {
        status: 415,
        body: { message: `Unsupported Media Type ${JSON.stringify(mediaType ?? '')}: send application/json` },
      };
    }
  }
  const length = Number(request.headers['content-length'] ?? 0);
  if (length > MAX_BODY_BYTES) return bodyTooLarge();
  return undefined;
}

export function bodyTooLarge(): Refusal {
  return { status: 413, body: { message: `Request body larger than ${MAX_BODY_BYTES} bytes` } };
}

/** The token from `token=<t>`, `Bearer <t>` or basic auth's password (any user name). */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const value = authorization.trim();
  const scheme = /^(?:token=|bearer\s+)(\S+)$/i.exec(value);
  if (scheme) return scheme[1];
  const basic = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(value);
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

function sameSecret(presented: string, token: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
