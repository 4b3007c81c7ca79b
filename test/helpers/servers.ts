import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (
  request: RecordedRequest,
  response: ServerResponse,
) =>
  void | Promise<void> | { status?: number; json?: unknown; text?: string; headers?: Record<string, string> };

/**
 * Routes are matched on "METHOD /path" (query string ignored), then on "/path" for any method, then on "*" (a
 * proxy or login page answering for every path).
 */
export type Routes = Record<string, Handler>;

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replace or add routes while the server runs. */
  routes: Routes;
  close(): Promise<void>;
}

async function respond(handler: Handler, request: RecordedRequest, response: ServerResponse) {
  const result = await handler(request, response);
  if (response.headersSent || response.writableEnded) return;
  if (!result) {
    response.end();
    return;
  }
  const status = result.status ?? 200;
  if (result.json !== undefined) {
    response.writeHead(status, { 'content-type': 'application/json', ...result.headers });
    response.end(JSON.stringify(result.json));
  } else {
    response.writeHead(status, { 'content-type': 'text/plain', ...result.headers });
    response.end(result.text ?? '');
  }
}

function listener(routes: Routes, requests: RecordedRequest[]) {
  return (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const path = (incoming.url ?? '/').split('?')[0] ?? '/';
      const request: RecordedRequest = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const handler = routes[`${request.method} ${path}`] ?? routes[path] ?? routes['*'];
      if (!handler) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: `no route for ${request.method} ${path}` }));
        return;
      }
      respond(handler, request, response).catch((error: Error) => {
        if (!response.headersSent) response.writeHead(500);
        response.end(String(error));
      });
    });
  };
}

async function listen(
  server: Server,
  routes: Routes,
  requests: RecordedRequest[],
  scheme: string,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    requests,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A plain HTTP server on 127.0.0.1 with a random port. */
export function startServer(routes: Routes): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  return listen(createHttpServer(listener(routes, requests)), routes, requests, 'http');
}

export interface SelfSignedCert {
  key: string;
  cert: string;
  certPath: string;
  dir: string;
}

/** A throwaway self-signed certificate for 127.0.0.1, made with openssl for this test run only. */
export function makeSelfSignedCert(): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 'dcos-cert-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath, dir };
}

/** An HTTPS server on 127.0.0.1 presenting the given (e.g. self-signed) certificate. */
export function startHttpsServer(routes: Routes, cert: SelfSignedCert): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  return listen(
    createHttpsServer({ key: cert.key, cert: cert.cert }, listener(routes, requests)),
    routes,
    requests,
    'https',
  );
}
