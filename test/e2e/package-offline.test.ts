/**
 * `dcos package ...` with no cluster at all: the client-side manager works from the repositories in
 * $DCOS_DIR (a Universe index file and the bundled source-layout repository), searching, describing and
 * rendering; installing needs a cluster and says so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir, type CliResult } from '../helpers/cli.js';
import { jsonOf, printed, optionsFile } from './fakes.js';

const dcosDir = tempDcosDir();
const env = { DCOS_DIR: dcosDir };
const INDEX = join(ROOT, 'test', 'fixtures', 'cosmos', 'test-v3-repo-up-to-1.8.json');
const BUNDLED = join(ROOT, 'local-universe');

const pkg = (...args: string[]): Promise<CliResult> =>
  runCli(['package', ...args], { env, timeoutMs: 20_000 });

beforeAll(async () => {
  const empty = await pkg('repo', 'list');
  expect(empty.code, printed(empty)).toBe(0);
  expect(empty.stdout).toMatch(/no package repositories/);
  for (const args of [
    ['repo', 'add', 'fixture', INDEX],
    ['repo', 'add', 'bundled', BUNDLED, '--index', '0'],
  ]) {
    const added = await pkg(...args);
    expect(added.code, printed(added)).toBe(0);
  }
});

afterAll(() => rm(dcosDir, { recursive: true, force: true }));

describe('dcos package without a cluster', () => {
  it('keeps the repositories in order, refuses a duplicate and removes by name', async () => {
    const list = await pkg('repo', 'list', '--json');
    expect(jsonOf(list)).toEqual({
      repositories: [
        { name: 'bundled', uri: BUNDLED },
        { name: 'fixture', uri: INDEX },
      ],
    });
    expect((await pkg('repo', 'list')).stdout).toBe(`bundled: ${BUNDLED}\nfixture: ${INDEX}\n`);

    const duplicate = await pkg('repo', 'add', 'fixture', join(ROOT, 'elsewhere.json'));
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/Repository name \[fixture\] is already present/);

    const missing = await pkg('repo', 'remove', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Repository name \[nope\] is not present/);
  });

  it('searches every repository: substring, wildcard and nothing found', async () => {
    const all = await pkg('search');
    expect(all.code, printed(all)).toBe(0);
    const names = all.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s+/)[0]);
    expect(names).toEqual(
      expect.arrayContaining(['cassandra', 'hello-web', 'marathon-lb', 'mesos-dns', 'nginx']),
    );
    expect(all.stdout.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+SELECTED\s+FRAMEWORK\s+DESCRIPTION$/);

    const wildcard = jsonOf<{ packages: Array<{ name: string; versions: Record<string, string> }> }>(
      await pkg('search', 'cass*', '--json'),
    );
    expect(wildcard.packages.map((found) => found.name)).toEqual(['cassandra']);
    expect(Object.keys(wildcard.packages[0]?.versions ?? {})).toContain('0.2.0-1');

    const byTag = jsonOf<{ packages: Array<{ name: string }> }>(await pkg('search', 'NOSQL', '--json'));
    expect(byTag.packages.map((found) => found.name)).toEqual(['cassandra']);

    const none = await pkg('search', 'no-such-thing');
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('No packages found.\n');
  });

  it('describes a package: definition, options schema, versions and the raw template', async () => {
    const described = jsonOf<{ name: string; version: string; releaseVersion: number }>(
      await pkg('describe', 'cassandra', '--package-version', '0.2.0-1', '--json'),
    );
    expect(described).toMatchObject({ name: 'cassandra', version: '0.2.0-1', releaseVersion: 0 });

    const config = jsonOf<{ properties: Record<string, unknown> }>(
      await pkg('describe', 'hello-web', '--config'),
    );
    expect(Object.keys(config.properties)).toEqual(['service', 'web']);

    const versions = jsonOf<Record<string, string>>(await pkg('describe', 'nginx', '--package-versions'));
    expect(versions).toEqual({ '1.8.1': '1' });

    const template = await pkg('describe', 'hello-web', '--app');
    expect(template.code, printed(template)).toBe(0);
    expect(template.stdout).toContain('{{service.name}}');
  });

  it('renders the app install would create: options merged into the defaults, app id and package labels', async () => {
    const options = optionsFile(dcosDir, 'web.json', {
      web: { message: 'rendered offline' },
      service: { instances: 2 },
    });
    const rendered = await pkg(
      'describe',
      'hello-web',
      '--render',
      '--options',
      options,
      '--app-id',
      'team/web',
    );
    expect(rendered.code, printed(rendered)).toBe(0);
    const app = jsonOf<{
      id: string;
      instances: number;
      env: Record<string, string>;
      labels: Record<string, string>;
    }>(rendered);
    expect(app.id).toBe('/team/web');
    expect(app.instances).toBe(2);
    expect(Object.values(app.env)).toContain('rendered offline');
    expect(app.labels).toMatchObject({ DCOS_PACKAGE_NAME: 'hello-web', DCOS_PACKAGE_SOURCE: BUNDLED });
    const stored = JSON.parse(
      Buffer.from(app.labels.DCOS_PACKAGE_OPTIONS ?? '', 'base64').toString('utf8'),
    ) as unknown;
    expect(stored).toEqual({ web: { message: 'rendered offline' }, service: { instances: 2 } });
  });

  it('an invalid option value names the field and the reason: exit 1', async () => {
    const options = optionsFile(dcosDir, 'bad.json', { service: { instances: 'three', colour: 'red' } });
    const result = await pkg('describe', 'hello-web', '--render', '--options', options);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/\/service\/instances: must be integer/);
    expect(result.stderr).toMatch(/\/service\/colour/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);

    const json = await pkg('describe', 'hello-web', '--render', '--options', options, '--json');
    const error = JSON.parse(json.stderr) as {
      error: { code: string; details: { errors: Array<{ path: string }> } };
    };
    expect(error.error.code).toBe('invalid_options');
    expect(error.error.details.errors.map((problem) => problem.path)).toContain('/service/instances');
  });

  it('an unknown package suggests the close names; malformed options give line and column', async () => {
    const unknown = await pkg('describe', 'helo-web');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Package \[helo-web\] not found.*hello-web/);

    const path = join(dcosDir, 'broken.json');
    writeFileSync(path, '{"web": {"message": "x",}}');
    const broken = await pkg('describe', 'hello-web', '--render', '--options', path);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/line 1, column \d+/);
  });

  it('install needs a cluster, and says so after checking the options', async () => {
    const bad = await pkg(
      'install',
      'hello-web',
      '--yes',
      '--options',
      optionsFile(dcosDir, 'bad2.json', { web: 5 }),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\/web: must be object/);

    const install = await pkg('install', 'hello-web', '--yes');
    expect(install.code).toBe(1);
    expect(install.stderr).toMatch(/no cluster is attached/);

    const noTerminal = await pkg('install', 'hello-web');
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.stderr).toMatch(/--yes/);
  });
});

describe('dcos package repo add from several processes at once', () => {
  it('keeps every repository: 6 concurrent adds of different repositories', async () => {
    const ownEnv = { DCOS_DIR: tempDcosDir() };
    const names = Array.from({ length: 6 }, (_, index) => `copy-${index}`);
    const copies = names.map((name) => {
      const file = join(ownEnv.DCOS_DIR, `${name}.json`);
      writeFileSync(file, readFileSync(INDEX));
      return file;
    });
    const results = await Promise.all(
      names.map((name, index) =>
        runCli(['package', 'repo', 'add', name, copies[index] as string], { env: ownEnv, timeoutMs: 30_000 }),
      ),
    );
    for (const result of results) expect(result.code, printed(result)).toBe(0);
    const list = jsonOf<{ repositories: Array<{ name: string }> }>(
      await runCli(['package', 'repo', 'list', '--json'], { env: ownEnv }),
    );
    expect(list.repositories.map((repository) => repository.name).sort()).toEqual(names);
  }, 90_000);
});
