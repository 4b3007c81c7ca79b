import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';

import { makeSelfSignedCert } from './servers.js';

/** Where the haproxy fixtures live, and the certificate paths the golden configs name (relative). */
export const HAPROXY_FIXTURES = 'test/fixtures/haproxy';
export const CERTS = ['certs/default.pem'];

/**
 * A directory holding `certs/default.pem` and `certs/app.pem` (certificate and key in one file, as HAProxy
 * wants them): `haproxy -c` loads every certificate a config names, so goldens are checked from here.
 */
export function haproxyCertDir(): string {
  const { cert, key, dir } = makeSelfSignedCert();
  mkdirSync(join(dir, 'certs'), { recursive: true });
  for (const name of ['default.pem', 'app.pem']) writeFileSync(join(dir, 'certs', name), `${cert}${key}`);
  return dir;
}

export const LOOPBACK = '127.0.0.1';

/** A backend on loopback that answers `<name> <url> <X-Forwarded-Port>`, so a test sees who got a request. */
export function namedBackend(name: string): Promise<Server> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`${name} ${req.url} ${req.headers['x-forwarded-port'] ?? '-'}`);
  });
  return new Promise((resolve) => server.listen(0, LOOPBACK, () => resolve(server)));
}

/** One GET to loopback `port` with this Host header, on a fresh connection. */
export function getWithHost(
  port: number,
  host: string,
  path = '/',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: LOOPBACK, port, path, headers: { host }, timeout: 2_000, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export interface ForegroundHaproxy {
  /** What haproxy printed so far (for failure messages). */
  output: () => string;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
  stop: () => Promise<void>;
}

/** The real haproxy in the foreground (`-db`) on a config file. */
export function startHaproxy(configFile: string): ForegroundHaproxy {
  let output = '';
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return {
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
