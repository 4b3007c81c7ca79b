/**
 * `dcos local`'s Cosmos endpoints (in process, on loopback): Cosmos's media types and errors, the bundled
 * Local Universe, and its packages really running: hello-web answers HTTP, mesos-dns answers its HTTP API,
 * marathon-lb routes to hello-web through HAProxy (when haproxy is installed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { until } from '../../helpers/wait.js';

import { DcosError } from '../../../src/lib/errors.js';
import { HttpClient } from '../../../src/lib/http/client.js';

import { cliScript, localUniverseDir } from '../../../src/lib/local/install-paths.js';
import { LOCAL_UNIVERSE_NAME, REPOSITORIES_FILE } from '../../../src/lib/local/packages.js';
import { startLocalCluster, type RunningCluster } from '../../../src/lib/local/server.js';
import {
  CAPABILITIES_TYPE,
  ERROR_TYPE,
  requestType,
  responseType,
  type CosmosRpc,
} from '../../../src/lib/packages/media-types.js';
import { CosmosPackageManager, cosmosAvailable } from '../../../src/lib/packages/cosmos.js';

let cluster: RunningCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dcos-local-cosmos-'));
  cluster = await startLocalCluster({ dir, port: 0, agents: 2, maxTasks: 20, tickMs: 50 });
});

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Reply<T> {
  status: number;
  contentType: string | null;
  body: T;
}

async function send<T>(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Uint8Array,
) {
  const response = await fetch(`${cluster.url}${path}`, {
    method,
    headers: { authorization: `token=${cluster.token}`, ...headers },
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (text ? JSON.parse(text) : undefined) as T,
  } satisfies Reply<T>;
}

/** A Cosmos RPC the way the CLI sends it: request type, and the response versions in preference order. */
function rpc<T = Record<string, unknown>>(
  name: CosmosRpc,
  body: unknown,
  accept: number[] = name === 'describe' ? [3, 2] : name === 'install' ? [2, 1] : [1],
): Promise<Reply<T>> {
  return send<T>(
    'POST',
    `/package/${name.replace('.', '/')}`,
    {
      'content-type': requestType(name),
      accept: accept.map((version) => responseType(name, version)).join(','),
    },
    JSON.stringify(body),
  );
}

interface CosmosErrorBody {
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

interface MarathonTask {
  id: string;
  host: string;
  ports: number[];
  healthCheckResults?: Array<{ alive: boolean }>;
}

interface MarathonApp {
  id: string;
  instances: number;
  cmd: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  portDefinitions: Array<{ port: number }>;
  tasks: MarathonTask[];
  tasksHealthy: number;
}

async function marathonApp(id: string): Promise<MarathonApp | undefined> {
  const reply = await send<{ app: MarathonApp }>('GET', `/service/marathon/v2/apps${id}`, {});
  return reply.status === 200 ? reply.body.app : undefined;
}

/** Waits until the app runs `count` healthy tasks; bounded. */
function healthy(id: string, count = 1, timeoutMs = 30_000): Promise<MarathonApp> {
  return until(
    `${id} to have ${count} healthy task(s)`,
    async () => {
      const app = await marathonApp(id);
      return app && app.tasksHealthy === count && app.tasks.length === count ? app : undefined;
    },
    timeoutMs,
  );
}

async function getText(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, text: await response.text() };
}

/** The status of a GET sent with exactly this path (fetch would normalise it). */
function rawStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: '127.0.0.1', port, path, timeout: 5_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path} timed out`)));
    request.on('error', reject);
  });
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return false;
  } catch {
    return true;
  }
}

const haproxyInstalled = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
const cliBuilt = existsSync(join(cliScript(), '..', '..', 'dist', 'main.js'));

describe('dcos local Cosmos: transport', () => {
  it('lists PACKAGE_MANAGEMENT at /capabilities with the capabilities media type', async () => {
    const reply = await send<{ capabilities: Array<{ name: string }> }>('GET', '/capabilities', {
      accept: CAPABILITIES_TYPE,
    });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe(CAPABILITIES_TYPE);
    expect(reply.body.capabilities).toContainEqual({ name: 'PACKAGE_MANAGEMENT' });
    // dcos local serves no logging API v2 task routes; advertising it would send `dcos task log` there.
    expect(reply.body.capabilities.map((capability) => capability.name)).not.toContain('LOGGING_V2');
  });

  it('answers 415 with a Cosmos error when the Content-Type is not the RPC request type', async () => {
    for (const contentType of ['application/json', requestType('describe')]) {
      const reply = await send<CosmosErrorBody>(
        'POST',
        '/package/search',
        { 'content-type': contentType, accept: responseType('search') },
        '{}',
      );
      expect(reply.status).toBe(415);
      expect(reply.contentType).toBe(ERROR_TYPE);
      expect(reply.body.type).toBe('UnsupportedContentType');
      expect(reply.body.message).toBe(
        `Unsupported Content-Type: ${contentType} Accept: [${requestType('search')}]`,
      );
    }
    // A bytes body, so that fetch sets no Content-Type of its own.
    const missing = await send<CosmosErrorBody>(
      'POST',
      '/package/search',
      {},
      new TextEncoder().encode('{}'),
    );
    expect(missing.status).toBe(415);
    expect(missing.body.message).toMatch(/^Unspecified Content-Type/);
  });

  it('answers 400 with a Cosmos error for a malformed body or a missing field', async () => {
    const malformed = await send<CosmosErrorBody>(
      'POST',
      '/package/describe',
      { 'content-type': requestType('describe'), accept: responseType('describe', 3) },
      '{"packageName": ',
    );
    expect(malformed.status).toBe(400);
    expect(malformed.contentType).toBe(ERROR_TYPE);
    expect(malformed.body.type).toBe('not_parsed');
    const missing = await rpc<CosmosErrorBody>('describe', {});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ type: 'not_valid', data: { invalidItem: { name: 'packageName' } } });
  });

  it('refuses an Accept header naming no version it can encode, and other methods', async () => {
    const reply = await rpc<CosmosErrorBody>('describe', { packageName: 'hello-web' }, [1]);
    expect(reply.status).toBe(400);
    expect(reply.body.type).toBe('not_valid');
    expect(reply.body.data).toMatchObject({ invalidItem: { type: 'header', name: 'Accept' } });
    const get = await send<CosmosErrorBody>('GET', '/package/search', {});
    expect(get.status).toBe(405);
    expect(get.contentType).toBe(ERROR_TYPE);
  });

  it('answers PackageNotFound for an unknown package', async () => {
    const reply = await rpc<CosmosErrorBody>('describe', { packageName: 'no-such-package' });
    expect(reply.status).toBe(400);
    expect(reply.contentType).toBe(ERROR_TYPE);
    expect(reply.body.type).toBe('PackageNotFound');
    expect(reply.body.message).toMatch(/^Package \[no-such-package\] not found/);
  });
});

describe('dcos local Cosmos: the Local Universe', () => {
  it('search finds the bundled packages, and filters like Cosmos', async () => {
    const all = await rpc<{ packages: Array<{ name: string; versions: Record<string, string> }> }>(
      'search',
      {},
    );
    expect(all.status).toBe(200);
    expect(all.contentType).toBe(responseType('search', 1));
    const names = all.body.packages.map((pkg) => pkg.name);
    expect(names).toEqual(expect.arrayContaining(['hello-web', 'marathon-lb', 'mesos-dns']));
    expect(all.body.packages.find((pkg) => pkg.name === 'hello-web')?.versions).toEqual({ '1.0.0': '0' });

    const web = await rpc<{ packages: Array<{ name: string }> }>('search', { query: 'STATIC' });
    expect(web.body.packages.map((pkg) => pkg.name)).toEqual(['hello-web']);
    const wildcard = await rpc<{ packages: Array<{ name: string }> }>('search', { query: 'mar*' });
    expect(wildcard.body.packages.map((pkg) => pkg.name)).toEqual(['marathon-lb']);
  });

  it('describe answers v3 (the full package) or, when only v2 is accepted, the flat v2 shape', async () => {
    const v3 = await rpc<{ package: Record<string, unknown> }>('describe', { packageName: 'hello-web' });
    expect(v3.status).toBe(200);
    expect(v3.contentType).toBe(responseType('describe', 3));
    expect(v3.body.package).toMatchObject({
      packagingVersion: '4.0',
      name: 'hello-web',
      version: '1.0.0',
      releaseVersion: 0,
      framework: false,
      selected: true,
    });
    const template = (v3.body.package.marathon as { v2AppMustacheTemplate: string }).v2AppMustacheTemplate;
    expect(Buffer.from(template, 'base64').toString('utf8')).toContain('{{service.name}}');
    // The bundled asset paths became file: URLs of files that exist.
    const uris = (v3.body.package.resource as { assets: { uris: Record<string, string> } }).assets.uris;
    expect(uris['hello-web-mjs']).toMatch(/^file:\/\//);
    expect(existsSync(fileURLToPath(uris['hello-web-mjs']!))).toBe(true);

    const v2 = await rpc<Record<string, unknown>>('describe', { packageName: 'hello-web' }, [2]);
    expect(v2.status).toBe(200);
    expect(v2.contentType).toBe(responseType('describe', 2));
    expect(v2.body).toMatchObject({ name: 'hello-web', version: '1.0.0', packagingVersion: '4.0' });
    expect(v2.body).toHaveProperty('config');
    expect(v2.body).toHaveProperty('marathon.v2AppMustacheTemplate', template);
    expect(v2.body).not.toHaveProperty('package');
    expect(v2.body).not.toHaveProperty('releaseVersion');
  });

  it('list-versions gives version -> releaseVersion', async () => {
    const reply = await rpc<{ results: Record<string, string> }>('list-versions', {
      packageName: 'mesos-dns',
      includePackageVersions: true,
    });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe(responseType('list-versions'));
    expect(reply.body.results).toEqual({ '0.1.0': '0' });
  });

  it('render applies the options over the defaults and sets the DCOS_PACKAGE_* labels', async () => {
    const reply = await rpc<{ marathonJson: MarathonApp }>('render', {
      packageName: 'hello-web',
      options: { service: { name: 'greeter', instances: 2 }, web: { message: 'Hi "there" \\ you' } },
    });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe(responseType('render'));
    const app = reply.body.marathonJson;
    expect(app).toMatchObject({ id: 'greeter', instances: 2, cpus: 0.1, mem: 64 });
    expect(app.env.HELLO_WEB_MESSAGE).toBe('Hi "there" \\ you');
    expect(app.labels).toMatchObject({
      DCOS_PACKAGE_NAME: 'hello-web',
      DCOS_PACKAGE_VERSION: '1.0.0',
      DCOS_PACKAGE_SOURCE: expect.stringMatching(/^file:\/\/.*local-universe$/) as unknown,
      HAPROXY_GROUP: 'external',
    });
    const options = JSON.parse(Buffer.from(app.labels.DCOS_PACKAGE_OPTIONS!, 'base64').toString('utf8'));
    expect(options).toEqual({
      service: { name: 'greeter', instances: 2 },
      web: { message: 'Hi "there" \\ you' },
    });
  });

  it('renders every bundled package with its defaults to an app bound to loopback ports', async () => {
    const dns = (await rpc<{ marathonJson: MarathonApp }>('render', { packageName: 'mesos-dns' })).body
      .marathonJson;
    expect(dns.id).toBe('mesos-dns');
    expect(dns.portDefinitions).toHaveLength(2);
    expect(dns.cmd).toContain('"$DCOS_LOCAL_CLI" dns serve --listen "$HOST" --port "$PORT0"');
    expect(dns.cmd).toContain('--no-external');
    const external = (
      await rpc<{ marathonJson: MarathonApp }>('render', {
        packageName: 'mesos-dns',
        options: { dns: { external: true, domain: 'local' } },
      })
    ).body.marathonJson;
    expect(external.cmd).toContain('--domain local');
    expect(external.cmd).toMatch(/--external$/);
    expect(external.cmd).not.toContain('--resolver');
    // dns serve forwards only to the resolvers it is given.
    const forwarding = (
      await rpc<{ marathonJson: MarathonApp }>('render', {
        packageName: 'mesos-dns',
        options: { dns: { external: true, resolvers: '192.0.2.53,[2001:db8::53]:5353' } },
      })
    ).body.marathonJson;
    expect(forwarding.cmd).toMatch(/ --resolver 192\.0\.2\.53,\[2001:db8::53\]:5353 --external$/);

    const lb = (await rpc<{ marathonJson: MarathonApp }>('render', { packageName: 'marathon-lb' })).body
      .marathonJson;
    expect(lb.id).toBe('marathon-lb');
    expect(lb.cmd).toContain('haproxy run --config-file haproxy.cfg');
    expect(lb.cmd).toContain("--group 'external'");
    expect(lb.cmd).toContain('--bind-address "$HOST"');
  });

  it('refuses options that break the schema with JsonSchemaMismatch naming each field, and installs nothing', async () => {
    const reply = await rpc<CosmosErrorBody>('install', {
      packageName: 'hello-web',
      options: { service: { name: 'bad-web', instances: 'two', mem: 1 }, web: { colour: 'red' } },
    });
    expect(reply.status).toBe(400);
    expect(reply.contentType).toBe(ERROR_TYPE);
    expect(reply.body.type).toBe('JsonSchemaMismatch');
    expect(reply.body.message).toBe('Options JSON failed validation');
    const errors = reply.body.data?.errors as Array<{ instance: { pointer: string }; message: string }>;
    const pointers = errors.map((error) => error.instance.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/service/instances', '/service/mem', '/web/colour']));
    for (const error of errors) expect(error.message).toBeTruthy();
    expect(await marathonApp('/bad-web')).toBeUndefined();
  });
});

describe('dcos local Cosmos: installing', () => {
  it('installs hello-web: a Marathon app with the package labels whose task answers HTTP', async () => {
    const site = join(dir, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'notes.txt'), 'from the root\n');
    writeFileSync(join(dir, 'secret.txt'), 'not to be served\n');
    const installed = await rpc<Record<string, unknown>>('install', {
      packageName: 'hello-web',
      options: {
        service: { name: 'hello' },
        web: { message: 'Greetings from the Local Universe', root: site },
      },
    });
    expect(installed.status).toBe(200);
    expect(installed.contentType).toBe(responseType('install', 2));
    expect(installed.body).toMatchObject({
      packageName: 'hello-web',
      packageVersion: '1.0.0',
      appId: '/hello',
    });
    expect(installed.body.postInstallNotes).toMatch(/hello-web is starting/);

    const app = await healthy('/hello');
    expect(app.labels).toMatchObject({ DCOS_PACKAGE_NAME: 'hello-web', DCOS_PACKAGE_VERSION: '1.0.0' });
    const task = app.tasks[0]!;
    for (const host of [task.host, '127.0.0.1']) {
      const page = await getText(`http://${host}:${task.ports[0]}/`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Greetings from the Local Universe');
    }
    expect(await getText(`http://127.0.0.1:${task.ports[0]}/notes.txt`)).toEqual({
      status: 200,
      text: 'from the root\n',
    });
    expect((await getText(`http://127.0.0.1:${task.ports[0]}/missing`)).status).toBe(404);
    // An encoded slash must not lead out of the root (the URL parser already removes plain dot segments).
    expect(await rawStatus(task.ports[0]!, '/..%2fsecret.txt')).toBe(404);

    const again = await rpc<CosmosErrorBody>('install', {
      packageName: 'hello-web',
      options: { service: { name: 'hello' } },
    });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('PackageAlreadyInstalled');
  }, 60_000);

  it('install answers the v1 shape when only v1 is accepted', async () => {
    const reply = await rpc<Record<string, unknown>>(
      'install',
      { packageName: 'hello-web', appId: 'hello-v1', options: { service: { instances: 0 } } },
      [1],
    );
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe(responseType('install', 1));
    expect(reply.body).toEqual({ packageName: 'hello-web', packageVersion: '1.0.0', appId: '/hello-v1' });
  });

  it('list shows what is installed, filtered by package or app', async () => {
    const all = await rpc<{
      packages: Array<{ appId: string; packageInformation: { packageDefinition: { name: string } } }>;
    }>('list', {});
    expect(all.status).toBe(200);
    expect(all.contentType).toBe(responseType('list'));
    expect(all.body.packages.map((pkg) => pkg.appId).sort()).toEqual(['/hello', '/hello-v1']);
    expect(all.body.packages[0]?.packageInformation.packageDefinition.name).toBe('hello-web');
    const one = await rpc<{ packages: Array<{ appId: string }> }>('list', { appId: 'hello' });
    expect(one.body.packages.map((pkg) => pkg.appId)).toEqual(['/hello']);
    const none = await rpc<{ packages: unknown[] }>('list', { packageName: 'mesos-dns' });
    expect(none.body.packages).toEqual([]);
  });

  it('uninstall needs an app id when several apps run the package, then removes the app and its task', async () => {
    const ambiguous = await rpc<CosmosErrorBody>('uninstall', { packageName: 'hello-web' });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.type).toBe('AmbiguousAppId');

    const port = (await marathonApp('/hello'))!.tasks[0]!.ports[0]!;
    const reply = await rpc<{ results: Array<Record<string, unknown>> }>('uninstall', {
      packageName: 'hello-web',
      appId: '/hello',
    });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe(responseType('uninstall'));
    expect(reply.body.results).toEqual([
      {
        packageName: 'hello-web',
        appId: '/hello',
        packageVersion: '1.0.0',
        postUninstallNotes: 'hello-web has been uninstalled.',
      },
    ]);
    expect(await marathonApp('/hello')).toBeUndefined();
    await until('the hello-web server to stop', () => refused(`http://127.0.0.1:${port}/`), 15_000);

    const rest = await rpc<{ results: unknown[] }>('uninstall', { packageName: 'hello-web', all: true });
    expect(rest.body.results).toHaveLength(1);
    const gone = await rpc<CosmosErrorBody>('uninstall', { packageName: 'hello-web' });
    expect(gone.body.type).toBe('PackageNotInstalled');
  }, 30_000);

  it('marathon-lb without haproxy fails at once and says why in its stderr', async () => {
    const installed = await rpc('install', {
      packageName: 'marathon-lb',
      options: { service: { name: 'broken-lb' }, haproxy: { bin: 'no-such-haproxy-binary' } },
    });
    expect(installed.status).toBe(200);
    const failed = await until(
      'a failed broken-lb task',
      () =>
        cluster.engine.terminal.find((task) => task.appId === '/broken-lb' && task.state === 'TASK_FAILED'),
      15_000,
    );
    expect(readFileSync(join(failed.sandbox, 'stderr'), 'utf8')).toContain(
      "marathon-lb: cannot run HAProxy: 'no-such-haproxy-binary' is not installed or not on PATH",
    );
    expect((await rpc('uninstall', { packageName: 'marathon-lb', appId: 'broken-lb' })).status).toBe(200);
  });

  it.skipIf(!cliBuilt)(
    'installs mesos-dns: dcos dns serve in a task, answering its HTTP API with the cluster names',
    async () => {
      const web = await rpc('install', {
        packageName: 'hello-web',
        options: { service: { name: 'named-web' } },
      });
      expect(web.status).toBe(200);
      const installed = await rpc('install', {
        packageName: 'mesos-dns',
        options: { dns: { refresh_seconds: 1 } },
      });
      expect(installed.status, JSON.stringify(installed.body)).toBe(200);
      const dns = await healthy('/mesos-dns', 1, 45_000);
      const webTask = (await healthy('/named-web')).tasks[0]!;
      const task = dns.tasks[0]!;
      const api = `http://${task.host}:${task.ports[1]}`;
      expect((await getText(`${api}/v1/version`)).status).toBe(200);
      const hosts = await until(
        'named-web in Mesos-DNS',
        async () => {
          const reply = await getText(`${api}/v1/hosts/named-web.marathon.mesos`);
          const entries = JSON.parse(reply.text) as Array<{ ip: string }>;
          return entries.some((entry) => entry.ip === webTask.host) ? entries : undefined;
        },
        20_000,
      );
      expect(hosts.map((entry) => entry.ip)).toContain(webTask.host);
      for (const name of ['mesos-dns', 'hello-web']) {
        expect((await rpc('uninstall', { packageName: name, all: true })).status).toBe(200);
      }
    },
    90_000,
  );

  it.skipIf(!cliBuilt || !haproxyInstalled)(
    'installs marathon-lb: dcos haproxy run in a task, routing to hello-web on its service port',
    async () => {
      expect(
        (await rpc('install', { packageName: 'hello-web', options: { service: { name: 'lb-web' } } })).status,
      ).toBe(200);
      const installed = await rpc('install', { packageName: 'marathon-lb' });
      expect(installed.status, JSON.stringify(installed.body)).toBe(200);
      const lb = await healthy('/marathon-lb', 1, 45_000);
      const web = await healthy('/lb-web');
      const servicePort = web.portDefinitions[0]!.port;
      const page = await until(
        'hello-web through marathon-lb',
        async () => {
          try {
            const reply = await getText(`http://${lb.tasks[0]!.host}:${servicePort}/`);
            return reply.status === 200 ? reply.text : undefined;
          } catch {
            return undefined;
          }
        },
        20_000,
      );
      expect(page).toContain('Hello from dcos local!');
      for (const name of ['marathon-lb', 'hello-web']) {
        expect((await rpc('uninstall', { packageName: name, all: true })).status).toBe(200);
      }
    },
    90_000,
  );
});

describe("dcos local Cosmos: the CLI's Cosmos client", () => {
  it('describes, installs and reports invalid options by field through CosmosPackageManager', async () => {
    const client = () => new HttpClient({ baseUrl: cluster.url, tries: 1, token: cluster.token });
    const manager = new CosmosPackageManager(client(), cluster.url);
    expect(await cosmosAvailable(client(), cluster.url)).toBe(true);
    expect((await manager.describe('hello-web')).releaseVersion).toBe(0);
    expect((await manager.search('dns')).map((pkg) => pkg.name)).toEqual(['mesos-dns']);
    const failure = await manager
      .install({ packageName: 'hello-web', options: { service: { instances: -1 }, web: { message: 7 } } })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(DcosError);
    expect((failure as DcosError).code).toBe('invalid_options');
    const paths = ((failure as DcosError).details as { errors: Array<{ path: string }> }).errors.map(
      (problem) => problem.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['/service/instances', '/web/message']));
    const installed = await manager.install({
      packageName: 'hello-web',
      appId: 'client-web',
      options: { service: { instances: 0 } },
    });
    expect(installed).toMatchObject({
      appId: '/client-web',
      postInstallNotes: expect.any(String) as unknown,
    });
    expect((await manager.list({ appId: 'client-web' })).map((pkg) => pkg.appId)).toEqual(['/client-web']);
    expect(await manager.uninstall({ packageName: 'hello-web', appId: 'client-web' })).toHaveLength(1);
  });
});

describe('dcos local Cosmos: repositories', () => {
  /** A one-package repository in Universe source layout. */
  function extraRepository(): string {
    const root = join(dir, 'extra-universe');
    const pkg = join(root, 'packages', 'E', 'extra-tool', '0');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        packagingVersion: '4.0',
        name: 'extra-tool',
        version: '2.0.0',
        maintainer: 'tests',
        description: 'a package from an added repository',
        tags: ['extra'],
      }),
    );
    return root;
  }

  it('lists the Local Universe first, adds and deletes repositories, and keeps the list in the state dir', async () => {
    const initial = await rpc<{ repositories: Array<{ name: string; uri: string }> }>('repository.list', {});
    expect(initial.status).toBe(200);
    expect(initial.contentType).toBe(responseType('repository.list'));
    expect(initial.body.repositories).toHaveLength(1);
    expect(initial.body.repositories[0]!.name).toBe(LOCAL_UNIVERSE_NAME);
    expect(fileURLToPath(initial.body.repositories[0]!.uri)).toBe(localUniverseDir());

    const root = extraRepository();
    const added = await rpc<{ repositories: Array<{ name: string; uri: string }> }>('repository.add', {
      name: 'extra',
      uri: root,
    });
    expect(added.status).toBe(200);
    expect(added.contentType).toBe(responseType('repository.add'));
    expect(added.body.repositories.map((repository) => repository.name)).toEqual([
      LOCAL_UNIVERSE_NAME,
      'extra',
    ]);
    const saved = JSON.parse(readFileSync(join(dir, REPOSITORIES_FILE), 'utf8')) as {
      repositories: Array<{ name: string }>;
    };
    expect(saved.repositories.map((repository) => repository.name)).toEqual([LOCAL_UNIVERSE_NAME, 'extra']);

    const found = await rpc<{ packages: Array<{ name: string }> }>('search', { query: 'extra' });
    expect(found.body.packages.map((pkg) => pkg.name)).toEqual(['extra-tool']);

    const duplicate = await rpc<CosmosErrorBody>('repository.add', { name: 'extra', uri: '/elsewhere' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.type).toBe('RepositoryAlreadyPresent');
    const outOfBounds = await rpc<CosmosErrorBody>('repository.add', { name: 'far', uri: '/far', index: 7 });
    expect(outOfBounds.body.type).toBe('RepositoryAddIndexOutOfBounds');

    const deleted = await rpc<{ repositories: Array<{ name: string }> }>('repository.delete', { uri: root });
    expect(deleted.status).toBe(200);
    expect(deleted.contentType).toBe(responseType('repository.delete'));
    expect(deleted.body.repositories.map((repository) => repository.name)).toEqual([LOCAL_UNIVERSE_NAME]);

    const unknown = await rpc<CosmosErrorBody>('repository.delete', { name: 'extra' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.type).toBe('RepositoryNotPresent');
    const bundled = await rpc<CosmosErrorBody>('repository.delete', { name: LOCAL_UNIVERSE_NAME });
    expect(bundled.status).toBe(400);
    expect(bundled.body.type).toBe('RepositoryNotDeletable');
    const after = await rpc<{ repositories: Array<{ name: string }> }>('repository.list', {});
    expect(after.body.repositories.map((repository) => repository.name)).toEqual([LOCAL_UNIVERSE_NAME]);
  });
});
