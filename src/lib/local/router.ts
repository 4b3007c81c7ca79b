import type { IncomingMessage, ServerResponse } from 'node:http';

import { bodyTooLarge, MAX_BODY_BYTES, type Refusal } from './guard.js';

export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  method: string;
  /** The path below the mount prefix, starting with `/` (URL-decoded per segment by handlers as needed). */
  path: string;
  query: URLSearchParams;
  /** Reads and caches the request body (bounded). */
  body(): Promise<Buffer>;
}

export type Handler = (context: RouteContext) => Promise<void> | void;

export class BodyTooLargeError extends Error {}

/**
 * Past this, a refused request's body is no longer read and thrown away: the connection is cut instead. Up to
 * it, the client (which may still be sending) gets to read the refusal rather than a reset.
 */
const MAX_DISCARDED_BYTES = 8 * MAX_BODY_BYTES;

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJsonText(response, status, body === undefined ? '' : JSON.stringify(body), headers);
}

/** For answers assembled from JSON text kept between requests. */
export function sendJsonText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain',
): void {
  response.writeHead(status, {
    'content-type': `${contentType}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * Prefix-mounted routing, the way DC/OS Admin Router splits one port between services: the longest mounted
 * prefix wins and its handler sees the rest of the path. Cosmos (`/package`) and logs (`/system/v1/logs`)
 * mount here later without touching the existing handlers.
 */
export class Router {
  private readonly mounts: Array<{ prefix: string; handler: Handler }> = [];

  mount(prefix: string, handler: Handler): this {
    this.mounts.push({ prefix: prefix.replace(/\/+$/, ''), handler });
    this.mounts.sort((a, b) => b.prefix.length - a.prefix.length);
    return this;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    const pathname = url.pathname.replace(/\/{2,}/g, '/');
    const mount = this.mounts.find(
      ({ prefix }) => prefix === '' || pathname === prefix || pathname.startsWith(`${prefix}/`),
    );
    if (!mount) {
      sendJson(response, 404, { message: `no route for ${pathname}` });
      return;
    }
    let cached: Promise<Buffer> | undefined;
    const context: RouteContext = {
      request,
      response,
      method: request.method ?? 'GET',
      path: pathname.slice(mount.prefix.length) || '/',
      query: url.searchParams,
      body: () => (cached ??= readBody(request)),
    };
    try {
      await mount.handler(context);
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) {
        refuse(request, response, bodyTooLarge());
        return;
      }
      if (error instanceof URIError) {
        sendJson(response, 400, { message: 'Malformed percent-encoding in the request' });
        return;
      }
      sendJson(response, 500, { message: (error as Error).message });
    }
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data');
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Answers a request that will not be served. Its body, if the client is still sending one, is read and thrown
 * away (as Node does for any unread body) so the answer is not lost to a reset, up to a bound past which the
 * connection is cut.
 */
export function refuse(request: IncomingMessage, response: ServerResponse, refusal: Refusal): void {
  let discarded = 0;
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) request.socket.destroy();
  });
  sendJson(response, refusal.status, refusal.body, refusal.headers);
}
