/**
 * `dcos package ...` against a loopback Cosmos replaying recorded responses (a DC/OS cluster's Cosmos, no
 * Marathon in sight): what the commands send, and how they render Cosmos's answers and errors.
 */
import { rm } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir, type CliResult } from '../helpers/cli.js';
import {
  cosmosError,
  cosmosFixture,
  startCosmosServer,
  type CosmosReplayServer,
} from '../helpers/cosmos-server.js';
import { jsonOf, printed, seedCluster, optionsFile } from './fakes.js';

const dcosDir = tempDcosDir();
const env = { DCOS_DIR: dcosDir };
let cosmos: CosmosReplayServer;

const pkg = (...args: string[]): Promise<CliResult> =>
  runCli(['package', ...args], { env, timeoutMs: 20_000 });

beforeAll(async () => {
  cosmos = await startCosmosServer();
  seedCluster(dcosDir, 'replay', { name: 'replay', url: cosmos.url, attached: true });
});

afterAll(async () => {
  await cosmos?.close();
  await rm(dcosDir, { recursive: true, force: true });
});

describe('dcos package against a Cosmos replaying recorded responses', () => {
  it('search and describe send Cosmos media types and print its answers', async () => {
    const search = await pkg('search', 'cassandra');
    expect(search.code, printed(search)).toBe(0);
    expect(search.stdout).toMatch(/^cassandra\s+1\.0\.5-2\.2\.5\s+true\s+true\s+Apache Cassandra/m);
    const [call] = cosmos.calls('search');
    expect(call?.headers['content-type']).toBe(
      'application/vnd.dcos.package.search-request+json;charset=utf-8;version=v1',
    );
    expect(call?.json).toEqual({ query: 'cassandra' });

    const described = jsonOf<{ name: string; version: string }>(await pkg('describe', 'nginx', '--json'));
    expect(described).toMatchObject({ name: 'nginx', version: '1.8.1' });
    expect(cosmos.calls('describe').at(-1)?.headers.accept).toMatch(
      /describe-response\+json;charset=utf-8;version=v3/,
    );
  });

  it('install with an options file sends the options and prints the notes; list and uninstall use the recorded bodies', async () => {
    const options = optionsFile(dcosDir, 'nginx.json', { nginx: { instances: 2 } });
    const install = await pkg('install', 'nginx', '--options', options, '--yes');
    expect(install.code, printed(install)).toBe(0);
    expect(install.stdout).toMatch(/Installed package nginx version 1\.8\.1 as app \/nginx/);
    expect(cosmos.calls('install').at(-1)?.json).toEqual({
      packageName: 'nginx',
      packageVersion: '1.8.1',
      options: { nginx: { instances: 2 } },
    });

    cosmos.reply('list', { body: cosmosFixture('recorded/vnd.dcos.package.list-response.json') });
    const list = await pkg('list');
    expect(list.code, printed(list)).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+VERSION\s+SELECTED\s+APP\s+DESCRIPTION$/m);
    expect(list.stdout).toMatch(/^kafka\s/m);

    cosmos.reply('uninstall', {
      body: {
        results: [
          { packageName: 'nginx', appId: '/nginx', packageVersion: '1.8.1', postUninstallNotes: 'Bye.' },
        ],
      },
    });
    const uninstall = await pkg('uninstall', 'nginx', '--yes');
    expect(uninstall.code, printed(uninstall)).toBe(0);
    expect(uninstall.stdout).toBe('Uninstalled package [nginx] version [1.8.1] (app /nginx)\n');
    expect(uninstall.stderr).toBe('Bye.\n');
    expect(cosmos.calls('uninstall').at(-1)?.json).toEqual({ packageName: 'nginx' });
  });

  it('an invalid option value is reported with its field path and reason, and nothing is installed', async () => {
    const installs = cosmos.calls('install').length;
    const bad = optionsFile(dcosDir, 'bad.json', { nginx: { instances: 'two' } });
    const result = await pkg('install', 'nginx', '--options', bad, '--yes');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\/nginx\/instances: must be (integer|number)/);
    expect(cosmos.calls('install')).toHaveLength(installs);
  });

  it("Cosmos's own JsonSchemaMismatch and AmbiguousAppId come out field by field and with the way out", async () => {
    cosmos.reply(
      'install',
      cosmosError('JsonSchemaMismatch', 'Options JSON failed validation', {
        errors: [
          {
            level: 'error',
            instance: { pointer: '/nginx/cpus' },
            keyword: 'minimum',
            message: 'numeric instance is lower than the required minimum (minimum: 0.01, found: 0)',
            minimum: 0.01,
            found: 0,
          },
        ],
      }),
    );
    const mismatch = await pkg('install', 'nginx', '--yes');
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/\/nginx\/cpus: .*0\.01/);

    cosmos.reply(
      'uninstall',
      cosmosError('AmbiguousAppId', 'Multiple apps named [nginx] are installed: [/a, /b]', {
        packageName: 'nginx',
        appIds: ['/a', '/b'],
      }),
    );
    const ambiguous = await pkg('uninstall', 'nginx', '--yes');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(
      'Error: Multiple apps named [nginx] are installed: [/a, /b]; name one with --app-id, or use --all\n',
    );
  });

  it('repo list, add and remove go to Cosmos and print its list', async () => {
    const list = await pkg('repo', 'list');
    expect(list.code, printed(list)).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^Universe: https:\/\//);

    const added = jsonOf<{ repositories: Array<{ name: string }> }>(
      await pkg('repo', 'add', 'mine', 'https://universe.example/repo', '--index', '0', '--json'),
    );
    expect(added.repositories[0]?.name).toBe('mine');
    expect(cosmos.calls('repository.add').at(-1)?.json).toEqual({
      name: 'mine',
      uri: 'https://universe.example/repo',
      index: 0,
    });

    const removed = await pkg('repo', 'remove', 'mine');
    expect(removed.code, printed(removed)).toBe(0);
    expect(cosmos.repositories.map((repository) => repository.name)).not.toContain('mine');
  });
});
