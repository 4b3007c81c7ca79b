import { afterEach, describe, expect, it } from 'vitest';

import { DcosError, UsageError } from '../../../src/lib/errors.js';
import { HttpClient } from '../../../src/lib/http/client.js';
import { HttpError, NetworkError } from '../../../src/lib/http/errors.js';
import { cosmosAvailable, CosmosPackageManager, schemaProblems } from '../../../src/lib/packages/cosmos.js';
import { CosmosError } from '../../../src/lib/packages/errors.js';
import type { InstalledPackage, Repository, UniversePackage } from '../../../src/lib/packages/types.js';
import {
  cosmosError,
  cosmosFixture,
  type CosmosReplayOptions,
  type CosmosReplayServer,
  startCosmosServer,
} from '../../helpers/cosmos-server.js';
import { rejectionOf } from '../../helpers/errors.js';
import { closedPort } from '../../helpers/http.js';
import { startServer, type Routes } from '../../helpers/servers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(url: string): HttpClient {
  const http = new HttpClient({ baseUrl: url });
  cleanups.push(() => http.close());
  return http;
}

async function cosmos(
  options: CosmosReplayOptions = {},
): Promise<[CosmosPackageManager, CosmosReplayServer]> {
  const server = await startCosmosServer(options);
  cleanups.push(() => server.close());
  // A trailing slash on the cluster URL must not double the RPC paths' slash.
  return [new CosmosPackageManager(client(server.url), `${server.url}/`), server];
}

async function plainServer(routes: Routes) {
  const server = await startServer(routes);
  cleanups.push(() => server.close());
  return server;
}

const HELLOWORLD = cosmosFixture<{ package: UniversePackage }>(
  'recorded/test_describe_helloworld.json',
).package;
const REPO_LIST = cosmosFixture<{ repositories: Repository[] }>('recorded/test_repo_list.json').repositories;
const INSTALLED = cosmosFixture<{ packages: InstalledPackage[] }>(
  'recorded/vnd.dcos.package.list-response.json',
).packages;
const RENDERED = cosmosFixture<Record<string, unknown>>('recorded/test_describe_helloworld_app_render.json');
const UNIVERSE = cosmosFixture<{ packages: UniversePackage[] }>('test-v3-repo-up-to-1.8.json').packages;

describe('CosmosPackageManager media types', () => {
  it('POSTs every RPC with its exact request type and the response types it accepts, most preferred first', async () => {
    const [manager, server] = await cosmos();
    server.reply('render', { body: { marathonJson: RENDERED } });
    server.reply('uninstall', { body: { results: [] } });

    await manager.search('nginx');
    await manager.describe('nginx');
    await manager.listVersions('nginx');
    await manager.render({ packageName: 'nginx' });
    await manager.install({ packageName: 'nginx' });
    await manager.list();
    await manager.uninstall({ packageName: 'nginx' });
    await manager.repositories();
    await manager.addRepository({ name: 'local', uri: 'http://127.0.0.1:1/repo' });
    await manager.removeRepository('local');

    const type = (kind: string, version: number) =>
      `application/vnd.dcos.package.${kind}+json;charset=utf-8;version=v${version}`;
    expect(
      server.requests.map((request) => [
        request.method,
        request.path,
        request.headers['content-type'],
        request.headers.accept,
      ]),
    ).toEqual([
      ['POST', '/package/search', type('search-request', 1), type('search-response', 1)],
      [
        'POST',
        '/package/describe',
        type('describe-request', 1),
        `${type('describe-response', 3)},${type('describe-response', 2)}`,
      ],
      ['POST', '/package/list-versions', type('list-versions-request', 1), type('list-versions-response', 1)],
      ['POST', '/package/render', type('render-request', 1), type('render-response', 1)],
      [
        'POST',
        '/package/install',
        type('install-request', 1),
        `${type('install-response', 2)},${type('install-response', 1)}`,
      ],
      ['POST', '/package/list', type('list-request', 1), type('list-response', 1)],
      ['POST', '/package/uninstall', type('uninstall-request', 1), type('uninstall-response', 1)],
      [
        'POST',
        '/package/repository/list',
        type('repository.list-request', 1),
        type('repository.list-response', 1),
      ],
      [
        'POST',
        '/package/repository/add',
        type('repository.add-request', 1),
        type('repository.add-response', 1),
      ],
      [
        'POST',
        '/package/repository/delete',
        type('repository.delete-request', 1),
        type('repository.delete-response', 1),
      ],
    ]);
    expect(server.requests.map((request) => JSON.parse(request.body) as unknown)).toEqual([
      { query: 'nginx' },
      { packageName: 'nginx' },
      { packageName: 'nginx', includePackageVersions: true },
      { packageName: 'nginx' },
      { packageName: 'nginx' },
      {},
      { packageName: 'nginx' },
      {},
      { name: 'local', uri: 'http://127.0.0.1:1/repo' },
      { name: 'local' },
    ]);
  });

  it('rejects a response whose Content-Type is not the RPC’s vnd.dcos type, naming what it expected', async () => {
    const [manager, server] = await cosmos();
    server.reply(
      'describe',
      { body: { package: HELLOWORLD }, contentType: 'application/json' },
      {
        body: { package: HELLOWORLD },
        contentType: 'application/vnd.dcos.package.search-response+json;charset=utf-8;version=v1',
      },
      // A version the client never asked for is as unreadable as the wrong kind.
      { body: { package: HELLOWORLD }, version: 1 },
    );
    const expected =
      'application/vnd.dcos.package.describe-response+json;charset=utf-8;version=v3 or ' +
      'application/vnd.dcos.package.describe-response+json;charset=utf-8;version=v2';
    for (const actual of [
      'application/json',
      'application/vnd.dcos.package.search-response+json;charset=utf-8;version=v1',
      'application/vnd.dcos.package.describe-response+json;charset=utf-8;version=v1',
    ]) {
      const error = await rejectionOf(manager.describe('helloworld'), DcosError);
      expect(error.code).toBe('invalid_response');
      expect(error.message).toBe(
        `Server returned incorrect response type, expected ${expected} but got ${actual}`,
      );
    }
    expect(server.calls('describe')).toHaveLength(3);
  });

  it('reads a response type written with spaces and upper case, as some proxies pass it on', async () => {
    const [manager, server] = await cosmos();
    server.reply('repository.list', {
      body: { repositories: REPO_LIST },
      contentType: 'application/vnd.dcos.package.repository.list-response+json; Charset=UTF-8; version=v1',
    });
    expect(await manager.repositories()).toEqual(REPO_LIST);
  });
});

describe('CosmosPackageManager describe and versions', () => {
  it('returns describe v3’s package: the highest releaseVersion, or the version asked for', async () => {
    const [manager, server] = await cosmos();
    const latest = await manager.describe('cassandra');
    expect(latest.releaseVersion).toBe(7);
    expect(latest).toEqual(
      UNIVERSE.find((entry) => entry.name === 'cassandra' && entry.releaseVersion === 7),
    );
    const older = await manager.describe('cassandra', '0.2.0-2');
    expect([older.packagingVersion, older.version, older.releaseVersion]).toEqual(['2.0', '0.2.0-2', 1]);
    expect(server.calls('describe').map((call) => call.json)).toEqual([
      { packageName: 'cassandra' },
      { packageName: 'cassandra', packageVersion: '0.2.0-2' },
    ]);
  });

  it('passes the recorded describe v3 body’s package through unchanged', async () => {
    const [manager, server] = await cosmos();
    server.reply('describe', { body: cosmosFixture('recorded/test_describe_helloworld.json') });
    expect(await manager.describe('helloworld', '0.1.0')).toEqual(HELLOWORLD);
  });

  it('reads describe v2 (the flat package) into the same shape when Cosmos only speaks v2', async () => {
    const [manager, server] = await cosmos({ versions: { describe: [2] } });
    const nginx = await manager.describe('nginx');
    const v3 = UNIVERSE.find(
      (entry) => entry.name === 'nginx' && entry.releaseVersion === 1,
    ) as UniversePackage;
    const { releaseVersion: _dropped, ...withoutRelease } = v3;
    expect(nginx).toEqual(withoutRelease);
    expect(nginx.marathon?.v2AppMustacheTemplate).toBe(v3.marathon?.v2AppMustacheTemplate);
    const [call] = server.calls('describe');
    expect(call?.headers.accept).toContain('version=v2');

    // The recorded helloworld definition served flat, labelled v2.
    const { releaseVersion: _release, ...flat } = HELLOWORLD;
    server.reply('describe', { body: flat });
    expect(await manager.describe('helloworld')).toEqual(flat);
  });

  it('treats a describe body without a package definition as unusable', async () => {
    const [manager, server] = await cosmos();
    server.reply('describe', { body: { packages: [HELLOWORLD] } });
    const error = await rejectionOf(manager.describe('helloworld'), DcosError);
    expect(error.code).toBe('invalid_response');
    expect(error.message).toContain('/package/describe');
  });

  it('lists versions as version → releaseVersion strings', async () => {
    const [manager] = await cosmos();
    expect(await manager.listVersions('nginx')).toEqual({ '1.8.1': '1' });
    expect(await manager.listVersions('cassandra')).toEqual({
      '0.2.0-1': '0',
      '0.2.0-2': '1',
      '2.2.5-0.2.0': '3',
      '1.0.2-2.2.5': '4',
      '1.0.4-2.2.5': '5',
      // Listed twice in the index (releases 6 and 7): the newest release wins.
      '1.0.5-2.2.5': '7',
    });
  });
});

describe('CosmosPackageManager search and render', () => {
  it('searches with and without a query', async () => {
    const [manager, server] = await cosmos();
    const everything = await manager.search();
    expect(everything.map((entry) => entry.name).sort()).toEqual(['cassandra', 'nginx']);
    const [cassandra] = await manager.search('CASSANDRA');
    expect(cassandra).toMatchObject({
      name: 'cassandra',
      currentVersion: '1.0.5-2.2.5',
      framework: true,
      selected: true,
    });
    expect(cassandra?.versions['0.2.0-1']).toBe('0');
    expect(await manager.search('no-such-thing')).toEqual([]);
    expect(server.calls('search').map((call) => call.json)).toEqual([
      {},
      { query: 'CASSANDRA' },
      { query: 'no-such-thing' },
    ]);
  });

  it('returns render’s marathonJson and forwards version, options and app id', async () => {
    const [manager, server] = await cosmos();
    server.reply('render', { body: { marathonJson: RENDERED } });
    const app = await manager.render({
      packageName: 'helloworld',
      packageVersion: '0.1.0',
      options: { port: 8080 },
      appId: 'helloworld',
    });
    expect(app).toEqual(RENDERED);
    expect(server.calls('render')[0]?.json).toEqual({
      packageName: 'helloworld',
      packageVersion: '0.1.0',
      options: { port: 8080 },
      appId: 'helloworld',
    });
  });
});

describe('CosmosPackageManager install, list and uninstall', () => {
  it('reads install v2 with notes and the CLI binaries', async () => {
    const [manager, server] = await cosmos();
    const cli = (HELLOWORLD.resource as { cli: Record<string, unknown> }).cli;
    server.reply('install', {
      body: {
        packageName: 'helloworld',
        packageVersion: '0.1.0',
        appId: '/hello',
        postInstallNotes: 'A sample post-installation message',
        cli,
      },
    });
    expect(
      await manager.install({ packageName: 'helloworld', options: { port: 9000 }, appId: '/hello' }),
    ).toEqual({
      packageName: 'helloworld',
      packageVersion: '0.1.0',
      appId: '/hello',
      postInstallNotes: 'A sample post-installation message',
      cli,
    });
    expect(server.calls('install')[0]?.json).toEqual({
      packageName: 'helloworld',
      options: { port: 9000 },
      appId: '/hello',
    });

    // The built-in answer from the Universe fixture, negotiated as v2.
    expect(await manager.install({ packageName: 'nginx', packageVersion: '1.8.1' })).toEqual({
      packageName: 'nginx',
      packageVersion: '1.8.1',
      appId: '/nginx',
      postInstallNotes: 'Nginx has been installed.',
    });
  });

  it('reads install v1 from an older Cosmos, keeping only what v1 defines', async () => {
    const [manager, server] = await cosmos({ versions: { install: [1] } });
    expect(await manager.install({ packageName: 'nginx' })).toEqual({
      packageName: 'nginx',
      packageVersion: '1.8.1',
      appId: '/nginx',
    });
    server.reply('install', {
      body: { packageName: 'nginx', packageVersion: '1.8.1', appId: '/web', postInstallNotes: 'not in v1' },
    });
    expect(await manager.install({ packageName: 'nginx', appId: '/web' })).toEqual({
      packageName: 'nginx',
      packageVersion: '1.8.1',
      appId: '/web',
    });
  });

  it('returns the recorded list response’s packages and forwards the filter', async () => {
    const [manager, server] = await cosmos();
    server.reply('list', { body: cosmosFixture('recorded/vnd.dcos.package.list-response.json') });
    const installed = await manager.list({ packageName: 'kafka' });
    expect(installed).toEqual(INSTALLED);
    expect(installed.map((entry) => entry.appId)).toContain('/data-services/kafka-zookeeper');
    expect(installed[0]?.packageInformation.packageDefinition.name).toBe('jenkins');
    expect(server.calls('list')[0]?.json).toEqual({ packageName: 'kafka' });
  });

  it('uninstalls with app id or all and returns the results', async () => {
    const [manager, server] = await cosmos();
    const results = [
      { packageName: 'kafka', appId: '/data-services/kafka', packageVersion: '2.10.0-2.4.0' },
      { packageName: 'kafka', appId: '/data-services/kafka-kerberos', packageVersion: '2.10.0-2.4.0' },
    ];
    server.reply('uninstall', { body: { results } });
    expect(await manager.uninstall({ packageName: 'kafka', all: true })).toEqual(results);
    expect(server.calls('uninstall')[0]?.json).toEqual({ packageName: 'kafka', all: true });
  });
});

describe('CosmosPackageManager repositories', () => {
  it('lists, adds at an index and at the end, and deletes, returning the whole list each time', async () => {
    const [manager, server] = await cosmos();
    expect(await manager.repositories()).toEqual(REPO_LIST);
    const first = { name: 'first', uri: 'https://example.com/first/repo' };
    const last = { name: 'last', uri: 'https://example.com/last/repo' };
    expect((await manager.addRepository(first, 0)).map((repo) => repo.name)).toEqual([
      'first',
      'Universe',
      'Bootstrap Registry',
      'helloworld-universe',
    ]);
    expect((await manager.addRepository(last)).at(-1)).toEqual(last);
    expect(await manager.removeRepository('Universe')).toEqual([first, ...REPO_LIST.slice(1), last]);
    expect(server.calls('repository.add').map((call) => call.json)).toEqual([{ ...first, index: 0 }, last]);
  });

  it('reports a duplicate or unknown repository as Cosmos did, with what to do next', async () => {
    const [manager] = await cosmos();
    const duplicate = await rejectionOf(
      manager.addRepository({ name: 'Universe', uri: 'https://example.com/other' }),
      CosmosError,
    );
    expect(duplicate.type).toBe('RepositoryAlreadyPresent');
    expect(duplicate.message).toBe(
      "Repository name [Universe] is already present in the list; see the configured repositories with 'dcos package repo list'",
    );
    const unknown = await rejectionOf(manager.removeRepository('nope'), CosmosError);
    expect(unknown.type).toBe('RepositoryNotPresent');
    expect(unknown.code).toBe('cosmos_RepositoryNotPresent');
    expect(unknown.data).toEqual({ name: 'nope' });
  });
});

describe('CosmosPackageManager errors', () => {
  const SCHEMA_ERRORS = [
    {
      level: 'error',
      schema: { loadingURI: '#', pointer: '/properties/port' },
      instance: { pointer: '/port' },
      domain: 'validation',
      keyword: 'type',
      message: 'instance type (string) does not match any allowed primitive type (allowed: ["integer"])',
      found: 'string',
      expected: ['integer'],
    },
    {
      level: 'error',
      schema: { loadingURI: '#', pointer: '' },
      instance: { pointer: '' },
      domain: 'validation',
      keyword: 'additionalProperties',
      message: 'object instance has properties which are not allowed by the schema: ["colour","size"]',
      unwanted: ['colour', 'size'],
    },
    {
      level: 'error',
      schema: { loadingURI: '#', pointer: '/properties/service' },
      instance: { pointer: '/service' },
      domain: 'validation',
      keyword: 'required',
      message: 'object has missing required properties (["name"])',
      required: ['name'],
      missing: ['name'],
    },
  ];

  it('turns JsonSchemaMismatch into a usage error listing every field and its reason', async () => {
    const [manager, server] = await cosmos();
    server.reply(
      'install',
      cosmosError('JsonSchemaMismatch', 'Options JSON failed validation', { errors: SCHEMA_ERRORS }),
    );
    const error = await rejectionOf(
      manager.install({
        packageName: 'helloworld',
        options: { port: '80', colour: 'red', size: 1, service: {} },
      }),
      UsageError,
    );
    expect(error.exitCode).toBe(1);
    expect(error.code).toBe('invalid_options');
    const problems = [
      { path: '/port', message: 'expected integer, found string' },
      { path: '/colour', message: "not allowed: the package's options schema has no such property" },
      { path: '/size', message: "not allowed: the package's options schema has no such property" },
      { path: '/service/name', message: 'required but missing' },
    ];
    expect(error.details).toEqual({ errors: problems });
    expect(error.message).toBe(
      `options for helloworld are invalid: ${problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ')}`,
    );
  });

  it('also reports option problems found by render, and falls back to Cosmos’s message without details', async () => {
    const [manager, server] = await cosmos();
    server.reply(
      'render',
      cosmosError('JsonSchemaMismatch', 'Options JSON failed validation', {
        errors: [{ message: 'No schema available to validate the provided options' }],
      }),
      cosmosError('JsonSchemaMismatch', 'Options JSON failed validation'),
    );
    const noSchema = await rejectionOf(
      manager.render({ packageName: 'cli-only', options: { a: 1 } }),
      UsageError,
    );
    expect(noSchema.details).toEqual({
      errors: [{ path: '/', message: 'No schema available to validate the provided options' }],
    });
    const bare = await rejectionOf(
      manager.render({ packageName: 'cli-only', options: { a: 1 } }),
      UsageError,
    );
    expect(bare.message).toBe('options for cli-only are invalid: /: Options JSON failed validation');
  });

  it('words minimum, maximum, enum, length and pattern reports and keeps the validator’s text otherwise', () => {
    expect(
      schemaProblems([
        { instance: { pointer: '/cpus' }, keyword: 'minimum', minimum: 0.1, found: 0 },
        { instance: { pointer: '/count' }, keyword: 'maximum', maximum: 5, exclusiveMaximum: true, found: 5 },
        { instance: { pointer: '/mode' }, keyword: 'enum', enum: ['HOST', 'BRIDGE'], value: 'USER' },
        { instance: { pointer: '/name' }, keyword: 'minLength', minLength: 1, found: 0 },
        { instance: { pointer: '/id' }, keyword: 'pattern', regex: '^[a-z]+$', string: 'A' },
        {
          instance: { pointer: '/x' },
          keyword: 'oneOf',
          message: 'instance failed to match exactly one schema',
        },
        { instance: { pointer: '' }, keyword: 'additionalProperties', unwanted: ['a/b'] },
      ]),
    ).toEqual([
      { path: '/cpus', message: 'must be at least 0.1, found 0' },
      { path: '/count', message: 'must be less than 5, found 5' },
      { path: '/mode', message: 'must be one of "HOST", "BRIDGE", found "USER"' },
      { path: '/name', message: 'must be at least 1 characters long, found 0' },
      { path: '/id', message: 'must match the pattern "^[a-z]+$"' },
      { path: '/x', message: 'instance failed to match exactly one schema' },
      { path: '/a~1b', message: "not allowed: the package's options schema has no such property" },
    ]);
  });

  it('reports PackageNotFound with its message, data, status and a hint', async () => {
    const [manager] = await cosmos();
    const error = await rejectionOf(manager.describe('no-such-package'), CosmosError);
    expect(error.type).toBe('PackageNotFound');
    expect(error.message).toBe(
      "Package [no-such-package] not found; find the correct package name with 'dcos package search'",
    );
    expect(error.code).toBe('cosmos_PackageNotFound');
    expect(error.exitCode).toBe(1);
    expect(error.details).toEqual({
      type: 'PackageNotFound',
      message: 'Package [no-such-package] not found',
      data: { packageName: 'no-such-package' },
      status: 400,
    });
    const version = await rejectionOf(manager.describe('nginx', '9.9.9'), CosmosError);
    expect(version.type).toBe('VersionNotFound');
    expect(version.message).toContain('Version [9.9.9] of package [nginx] not found');
  });

  it('reports AmbiguousAppId with the app ids and the way out', async () => {
    const [manager, server] = await cosmos();
    server.reply(
      'uninstall',
      cosmosError(
        'AmbiguousAppId',
        'Multiple apps named [kafka] are installed: [/data-services/kafka, /kafka]',
        {
          packageName: 'kafka',
          appIds: ['/data-services/kafka', '/kafka'],
        },
      ),
    );
    const error = await rejectionOf(manager.uninstall({ packageName: 'kafka' }), CosmosError);
    expect(error.type).toBe('AmbiguousAppId');
    expect(error.message).toBe(
      'Multiple apps named [kafka] are installed: [/data-services/kafka, /kafka]; name one with --app-id, or use --all',
    );
    expect(error.data).toEqual({ packageName: 'kafka', appIds: ['/data-services/kafka', '/kafka'] });
  });

  it('reports 409 PackageAlreadyInstalled with its status', async () => {
    const [manager, server] = await cosmos();
    server.reply(
      'install',
      cosmosError('PackageAlreadyInstalled', 'Package is already installed', undefined, 409),
    );
    const error = await rejectionOf(manager.install({ packageName: 'nginx' }), CosmosError);
    expect(error.type).toBe('PackageAlreadyInstalled');
    expect(error.message).toBe('Package is already installed; choose another name with --app-id');
    expect(error.details).toMatchObject({ status: 409 });
    expect(error.data).toBeUndefined();
  });

  it('lists Marathon’s field errors passed through in MarathonBadResponse, old and new shapes', async () => {
    const [manager, server] = await cosmos();
    server.reply(
      'install',
      cosmosError('MarathonBadResponse', 'Object is not valid', {
        errors: [
          { path: '/container/docker/network', errors: ['error.invalid', 'must be HOST or BRIDGE'] },
          { path: '/id', errors: ['must be unique'] },
        ],
      }),
      cosmosError('MarathonBadResponse', 'Invalid JSON', {
        errors: [{ attribute: 'cpus', error: 'must be positive' }],
      }),
      cosmosError('MarathonBadResponse', 'Marathon is unhappy'),
    );
    const modern = await rejectionOf(manager.install({ packageName: 'nginx' }), CosmosError);
    expect(modern.message).toBe(
      'Object is not valid: /container/docker/network: error.invalid, must be HOST or BRIDGE; /id: must be unique',
    );
    const legacy = await rejectionOf(manager.install({ packageName: 'nginx' }), CosmosError);
    expect(legacy.message).toBe('Invalid JSON: cpus: must be positive');
    const bare = await rejectionOf(manager.install({ packageName: 'nginx' }), CosmosError);
    expect(bare.message).toBe('Marathon is unhappy');
  });

  it('maps a Cosmos error body by its fields or by its error media type', async () => {
    const [manager, server] = await cosmos();
    server.reply('list', {
      status: 502,
      body: { type: 'MarathonBadGateway', message: 'Received response status code 503 from Marathon' },
      contentType: 'application/json',
    });
    const error = await rejectionOf(manager.list(), CosmosError);
    expect(error.type).toBe('MarathonBadGateway');
    expect(error.details).toMatchObject({ status: 502 });
    // …and a 200 labelled as a Cosmos error is still an error, not an empty result.
    server.reply('list', {
      ...cosmosError('PackageNotInstalled', 'Package [kafka] is not installed'),
      status: 200,
    });
    const labelled = await rejectionOf(manager.list({ packageName: 'kafka' }), CosmosError);
    expect(labelled.message).toBe(
      "Package [kafka] is not installed; see what is installed with 'dcos package list'",
    );
  });

  it('leaves authentication, permission, non-Cosmos and transport failures as the HTTP client reported them', async () => {
    const [manager, server] = await cosmos();
    server.reply(
      'search',
      {
        status: 401,
        body: { type: 'Unauthorized', message: 'token expired' },
        contentType: 'application/json',
      },
      {
        status: 403,
        body: { title: 'Forbidden', description: 'no access' },
        contentType: 'application/json',
      },
      { status: 500, body: '<html>oops</html>', contentType: 'text/html' },
    );
    expect((await rejectionOf(manager.search(), HttpError)).code).toBe('unauthorized');
    expect((await rejectionOf(manager.search(), HttpError)).code).toBe('forbidden');
    expect((await rejectionOf(manager.search(), HttpError)).status).toBe(500);

    const port = await closedPort();
    const offline = new CosmosPackageManager(client(`http://127.0.0.1:${port}`), `http://127.0.0.1:${port}`);
    expect((await rejectionOf(offline.repositories(), NetworkError)).kind).toBe('refused');
  });
});

describe('cosmos replay server', () => {
  it('answers a wrong Content-Type with 415 and an unacceptable Accept with 406, Cosmos-style', async () => {
    const server = await startCosmosServer();
    cleanups.push(() => server.close());
    const http = client(server.url);
    const wrongType = await rejectionOf(
      http.request('POST', '/package/search', {
        json: {},
        headers: { accept: 'application/vnd.dcos.package.search-response+json;charset=utf-8;version=v1' },
      }),
      HttpError,
    );
    expect(wrongType.status).toBe(415);
    expect(wrongType.body).toMatchObject({
      type: 'UnsupportedContentType',
      message:
        'Unsupported Content-Type: application/json Accept: [application/vnd.dcos.package.search-request+json;charset=utf-8;version=v1]',
    });
    const wrongAccept = await rejectionOf(
      http.request('POST', '/package/describe', {
        json: { packageName: 'nginx' },
        headers: {
          'content-type': 'application/vnd.dcos.package.describe-request+json;charset=utf-8;version=v1',
          accept: 'application/json',
        },
      }),
      HttpError,
    );
    expect(wrongAccept.status).toBe(406);
    expect(wrongAccept.body).toMatchObject({ type: 'NotAcceptable' });
    const wrongMethod = await rejectionOf(http.request('GET', '/package/list'), HttpError);
    expect(wrongMethod.status).toBe(405);
  });
});

describe('cosmosAvailable', () => {
  it('is true when /capabilities lists PACKAGE_MANAGEMENT, asking for the capabilities type', async () => {
    const server = await startCosmosServer();
    cleanups.push(() => server.close());
    expect(await cosmosAvailable(client(server.url), server.url)).toBe(true);
    expect(server.requests.map((request) => [request.method, request.path, request.headers.accept])).toEqual([
      ['GET', '/capabilities', 'application/vnd.dcos.capabilities+json;charset=utf-8;version=v1'],
    ]);
  });

  it('is false without PACKAGE_MANAGEMENT, on 404 (plain Marathon), on a non-JSON page and when refused', async () => {
    const limited = await startCosmosServer({ capabilities: ['LOGGING'] });
    cleanups.push(() => limited.close());
    expect(await cosmosAvailable(client(limited.url), limited.url)).toBe(false);

    const marathon = await plainServer({});
    expect(await cosmosAvailable(client(marathon.url), marathon.url)).toBe(false);
    expect(marathon.requests).toHaveLength(1);

    const page = await plainServer({ 'GET /capabilities': () => ({ text: 'welcome' }) });
    expect(await cosmosAvailable(client(page.url), page.url)).toBe(false);

    const port = await closedPort();
    expect(await cosmosAvailable(client(`http://127.0.0.1:${port}`), `http://127.0.0.1:${port}`)).toBe(false);
  });

  it('rethrows 401 and 403 so the user hears about credentials, not a silent fallback', async () => {
    const server = await plainServer({
      'GET /unauthorized/capabilities': () => ({ status: 401, json: { title: 'Unauthorized' } }),
      'GET /forbidden/capabilities': () => ({ status: 403, json: { title: 'Forbidden' } }),
    });
    const http = client(server.url);
    expect((await rejectionOf(cosmosAvailable(http, `${server.url}/unauthorized`), HttpError)).status).toBe(
      401,
    );
    expect((await rejectionOf(cosmosAvailable(http, `${server.url}/forbidden`), HttpError)).status).toBe(403);
  });
});
