/**
 * Fake clusters for the end-to-end tests: real loopback HTTP(S) servers answering the few endpoints
 * `dcos cluster setup`, `cluster list` and `auth login` use, plus small helpers to inspect $DCOS_DIR.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'smol-toml';

import type { CliResult } from '../helpers/cli.js';
import {
  startHttpsServer,
  startServer,
  type Routes,
  type SelfSignedCert,
  type TestServer,
} from '../helpers/servers.js';

export interface FakeDcosOptions {
  clusterId?: string;
  /** What /mesos/master/state-summary reports as the cluster's name. */
  name?: string;
  version?: string;
  /** IAM on: HEAD /pkgpanda/active.buildinfo.full.json answers 401 and the login endpoint issues tokens. */
  auth?: boolean;
  users?: Record<string, string>;
  /** Tokens handed out by successive logins (the last one repeats). */
  tokens?: string[];
}

export interface FakeDcos extends TestServer {
  clusterId: string;
  /** How many logins succeeded. */
  logins(): number;
}

function routesForDcos(options: FakeDcosOptions, state: { logins: number }): Routes {
  const tokens = options.tokens ?? ['fake-dcos-token'];
  const users = options.users ?? { alice: 'alice-password' };
  return {
    'GET /dcos-metadata/dcos-version.json': () => ({
      json: { version: options.version ?? '2.2.0', 'dcos-variant': 'open', 'dcos-image-commit': 'abc' },
    }),
    'GET /metadata': () => ({ json: { PUBLIC_IPV4: '127.0.0.1', CLUSTER_ID: options.clusterId } }),
    'GET /mesos/master/state-summary': () => ({ json: { cluster: options.name ?? 'fake-dcos', slaves: [] } }),
    'HEAD /pkgpanda/active.buildinfo.full.json': () => ({ status: options.auth ? 401 : 200 }),
    'POST /acs/api/v1/auth/login': (request) => {
      let body: { uid?: unknown; password?: unknown } = {};
      try {
        body = JSON.parse(request.body) as typeof body;
      } catch {
        return { status: 400, json: { title: 'Bad Request', description: 'not JSON' } };
      }
      if (
        typeof body.uid !== 'string' ||
        users[body.uid] === undefined ||
        users[body.uid] !== body.password
      ) {
        return {
          status: 401,
          json: { title: 'Unauthorized', description: 'login failed', code: 'ERR_INVALID_CREDENTIALS' },
        };
      }
      const token = tokens[Math.min(state.logins, tokens.length - 1)] as string;
      state.logins++;
      return { json: { token } };
    },
  };
}

let counter = 0;
function freshId(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(16).slice(2, 10)}`;
}

export async function startFakeDcos(options: FakeDcosOptions = {}): Promise<FakeDcos> {
  const state = { logins: 0 };
  const clusterId = options.clusterId ?? freshId('dcos');
  const server = await startServer(routesForDcos({ ...options, clusterId }, state));
  return Object.assign(server, { clusterId, logins: () => state.logins });
}

export async function startFakeDcosHttps(
  cert: SelfSignedCert,
  options: FakeDcosOptions = {},
): Promise<FakeDcos> {
  const state = { logins: 0 };
  const clusterId = options.clusterId ?? freshId('dcos-tls');
  const server = await startHttpsServer(routesForDcos({ ...options, clusterId }, state), cert);
  return Object.assign(server, { clusterId, logins: () => state.logins });
}

export interface FakeMarathonOptions {
  frameworkId?: string;
  version?: string;
  basicAuth?: { username: string; password: string };
  /** marathon_config.master as Marathon reports it (plain Marathon usually has a zk:// URL). */
  master?: string;
}

export interface FakeMarathon extends TestServer {
  frameworkId: string;
}

export async function startFakeMarathon(options: FakeMarathonOptions = {}): Promise<FakeMarathon> {
  const frameworkId = options.frameworkId ?? freshId('marathon-fw');
  const expected = options.basicAuth
    ? `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`
    : undefined;
  const server = await startServer({
    // Plain Marathon is not DC/OS.
    'GET /dcos-metadata/dcos-version.json': () => ({ status: 404, json: { message: 'not found' } }),
    'GET /v2/info': (request) => {
      if (expected && request.headers.authorization !== expected) {
        return {
          status: 401,
          json: { message: 'invalid username or password' },
          headers: { 'www-authenticate': 'Basic realm="Marathon"' },
        };
      }
      return {
        json: {
          name: 'marathon',
          version: options.version ?? '1.10.0',
          frameworkId,
          marathon_config: { master: options.master ?? 'zk://127.0.0.1:2181/mesos' },
        },
      };
    },
  });
  return Object.assign(server, { frameworkId });
}

/** A Mesos master answering GET /version, or only GET /master/state (older masters). */
export function startFakeMesos(answers: 'version' | 'state' = 'version'): Promise<TestServer> {
  return startServer(
    answers === 'version'
      ? { 'GET /version': () => ({ json: { version: '1.11.0', git_sha: 'abc' } }) }
      : { 'GET /master/state': () => ({ json: { version: '1.9.0', cluster: 'mesos' } }) },
  );
}

/** A server that accepts connections and requests but never answers them. */
export async function startSilentServer(): Promise<TestServer & { firstRequest: Promise<void> }> {
  let seen!: () => void;
  const firstRequest = new Promise<void>((resolve) => (seen = resolve));
  const server = await startServer({});
  // Every path hangs; the server's close() destroys the sockets.
  const hang = () => {
    seen();
    return new Promise<void>(() => undefined);
  };
  for (const path of ['/dcos-metadata/dcos-version.json', '/v2/info', '/metadata', '/version']) {
    server.routes[path] = hang;
  }
  return Object.assign(server, { firstRequest });
}

/** A loopback port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = await startServer({});
  await server.close();
  return server.port;
}

/** A file outside $DCOS_DIR holding `content` (e.g. a password for --password-file). */
export function secretFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dcos-secret-'));
  const path = join(dir, 'secret');
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

export function clusterDir(dcosDir: string, id: string): string {
  return join(dcosDir, 'clusters', id);
}

export function clusterFile(dcosDir: string, id: string): string {
  return join(clusterDir(dcosDir, id), 'dcos.toml');
}

/** The ids of the cluster directories under $DCOS_DIR/clusters (none when it does not exist). */
export function clusterIds(dcosDir: string): string[] {
  const root = join(dcosDir, 'clusters');
  return existsSync(root) ? readdirSync(root).sort() : [];
}

export function readClusterToml(dcosDir: string, id: string): Record<string, Record<string, unknown>> {
  return parse(readFileSync(clusterFile(dcosDir, id), 'utf8')) as Record<string, Record<string, unknown>>;
}

export function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/**
 * Writes a cluster the way `cluster setup` leaves it (the DC/OS CLI layout), for tests about other commands.
 */
export function seedCluster(
  dcosDir: string,
  id: string,
  settings: {
    name: string;
    url: string;
    token?: string;
    type?: string;
    attached?: boolean;
    basicAuth?: { username: string; password: string };
    marathonUrl?: string;
    sslVerify?: string;
  },
): string {
  const dir = clusterDir(dcosDir, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lines = [
    '[cluster]',
    `name = ${JSON.stringify(settings.name)}`,
    `type = ${JSON.stringify(settings.type ?? 'dcos')}`,
    '',
    '[core]',
    `dcos_url = ${JSON.stringify(settings.url)}`,
    `ssl_verify = ${JSON.stringify(settings.sslVerify ?? 'true')}`,
  ];
  if (settings.token) lines.push(`dcos_acs_token = ${JSON.stringify(settings.token)}`);
  if (settings.basicAuth) {
    lines.push(`basic_auth_username = ${JSON.stringify(settings.basicAuth.username)}`);
    lines.push(`basic_auth_password = ${JSON.stringify(settings.basicAuth.password)}`);
  }
  if (settings.marathonUrl) lines.push('', '[marathon]', `url = ${JSON.stringify(settings.marathonUrl)}`);
  writeFileSync(join(dir, 'dcos.toml'), `${lines.join('\n')}\n`, { mode: 0o600 });
  if (settings.attached) writeFileSync(join(dir, 'attached'), '', { mode: 0o600 });
  return dir;
}

/** Parses `--json` output, failing the test with the process output when it is not JSON. */
export function jsonOf<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** The non-empty lines a stream carried. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** Context for failed expectations: what the process printed. */
export function printed(result: CliResult): string {
  return `exit ${result.code} signal ${result.signal}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

/** Writes package options as a JSON file in `dir` and returns its path (for `--options`). */
export function optionsFile(dir: string, name: string, options: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(options));
  return path;
}
