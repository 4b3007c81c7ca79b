import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DcosError } from '../../../src/lib/errors.js';
import { CosmosError } from '../../../src/lib/packages/errors.js';
import {
  decodeTemplate,
  loadUniverse,
  packageVersions,
  parseUniverse,
  selectPackage,
  type RepoPackages,
} from '../../../src/lib/packages/universe.js';
import { rejectionOf, thrownBy } from '../../helpers/errors.js';
import {
  COSMOS_FIXTURES,
  fixtureJson,
  fixtureText,
  stubPackage,
  templateOf,
  UNIVERSE,
  v3Packages,
  v3Repo,
} from './fixtures.js';

const noFetch = () => Promise.reject(new Error('no network in this test'));

describe('parseUniverse', () => {
  it('reads the Cosmos v3 test repository: nginx and cassandra, packaging 2.0 and 3.0', () => {
    const packages = v3Packages();
    expect(packages).toHaveLength(9);
    expect(packages.filter((pkg) => pkg.name === 'nginx').map((pkg) => pkg.releaseVersion)).toEqual([1, 0]);
    expect(new Set(packages.map((pkg) => pkg.packagingVersion))).toEqual(new Set(['2.0', '3.0']));
    const cassandra = packages.find((pkg) => pkg.name === 'cassandra' && pkg.releaseVersion === 7)!;
    expect(cassandra.version).toBe('1.0.5-2.2.5');
    expect(cassandra.framework).toBe(true);
    // Fields outside the known set (packaging 3.0's pip list) are kept.
    expect(cassandra.pip).toEqual([expect.stringContaining('dcos-cassandra')]);
  });

  it('drops the explicit nulls Cosmos writes for absent fields', () => {
    const packages = parseUniverse(fixtureJson('expected-encoded-repo.json'), 'expected-encoded-repo.json');
    expect(packages.map((pkg) => [pkg.packagingVersion, pkg.version, pkg.releaseVersion])).toEqual([
      ['2.0', '1.2.3', 1],
      ['3.0', '3.2.1', 2],
    ]);
    expect(packages[0]).not.toHaveProperty('scm');
    expect(packages[0]).not.toHaveProperty('resource');
    expect(packages[1]!.minDcosReleaseVersion).toBe('1.8');
    expect(decodeTemplate(packages[0]!)).toBe('testing');
  });

  it('reads a packaging 5.0 package with its manager and upgrade fields', () => {
    const [pkg] = parseUniverse(fixtureJson('package-with-custom-manager.json'), 'custom-manager');
    expect(pkg!.packagingVersion).toBe('5.0');
    expect(pkg!.manager).toEqual({ packageName: 'cosmos-package' });
    expect(pkg!.upgradesFrom).toEqual(['*']);
  });

  it('rejects a template that is a number, naming the repository, package and field', () => {
    const error = thrownBy(
      () => parseUniverse(fixtureJson('invalid/universe_invalid_byteBuffer.json'), 'byteBuffer.json'),
      DcosError,
    );
    expect(error.code).toBe('invalid_repository');
    expect(error.message).toBe(
      'invalid Universe repository byteBuffer.json: package zeppelin 0.5.6 (entry 0): ' +
        'marathon.v2AppMustacheTemplate must be base64 text (got 7)',
    );
  });

  it('rejects packaging version 1.0', () => {
    const error = thrownBy(
      () => parseUniverse(fixtureJson('invalid/universe_invalid_packagingVersion_value.json'), 'v1.json'),
      DcosError,
    );
    expect(error.code).toBe('invalid_repository');
    expect(error.message).toContain('v1.json: package zeppelin 0.5.6 (entry 0): packagingVersion');
    expect(error.message).toContain('one of 2.0, 3.0, 4.0, 5.0 (got "1.0")');
  });

  it('rejects documents and entries of the wrong shape', () => {
    expect(thrownBy(() => parseUniverse([], 'list.json'), DcosError).message).toBe(
      'list.json is not a Universe repository: expected {"packages": [...]}',
    );
    const entry = stubPackage({ name: 'web' });
    const cases: [Record<string, unknown>, string][] = [
      [{ ...entry, tags: 'web' }, 'tags must be an array of strings'],
      [{ ...entry, name: '' }, 'name must be a non-empty string'],
      [{ ...entry, releaseVersion: -1 }, 'releaseVersion must be an integer >= 0 (got -1)'],
      [{ ...entry, releaseVersion: undefined }, 'releaseVersion must be an integer >= 0'],
      [{ ...entry, framework: 'yes' }, 'framework must be true or false'],
      [{ ...entry, config: [] }, 'config must be an object (got an array)'],
      [{ ...entry, marathon: { v2AppMustacheTemplate: 'not base64!' } }, 'must be base64 text'],
    ];
    for (const [bad, message] of cases) {
      expect(thrownBy(() => parseUniverse({ packages: [bad] }, 'r'), DcosError).message).toContain(message);
    }
  });

  it('numbers a packaging 2.0 entry without releaseVersion by its position', () => {
    const { releaseVersion: _, ...old } = stubPackage({ name: 'old', packagingVersion: '2.0' });
    const packages = parseUniverse({ packages: [stubPackage({ name: 'a' }), old] }, 'r');
    expect(packages[1]!.releaseVersion).toBe(1);
  });
});

describe('decodeTemplate', () => {
  it('decodes the base64 template and is undefined without one', () => {
    const nginx = v3Packages()[0]!;
    expect(decodeTemplate(nginx)).toMatch(/^\{\n {2}"id": "\/\{\{nginx\.name\}\}",/);
    expect(decodeTemplate(stubPackage({ name: 'cli-only' }))).toBeUndefined();
  });

  it('decodes UTF-8', () => {
    const text = '{"id": "café-{{x}}"}';
    expect(decodeTemplate(stubPackage({ name: 'x', marathon: templateOf(text) }))).toBe(text);
  });
});

describe('selectPackage', () => {
  const repos = [v3Repo()];

  it('picks the highest release without a version', () => {
    const { package: pkg, repository } = selectPackage(repos, 'cassandra');
    expect([pkg.version, pkg.releaseVersion]).toEqual(['1.0.5-2.2.5', 7]);
    expect(repository).toEqual(UNIVERSE);
  });

  it('picks the asked version, its highest release when a version was released twice', () => {
    expect(selectPackage(repos, 'cassandra', '0.2.0-1').package.releaseVersion).toBe(0);
    // 1.0.5-2.2.5 is both release 6 and release 7.
    expect(selectPackage(repos, 'cassandra', '1.0.5-2.2.5').package.releaseVersion).toBe(7);
  });

  it('reports an unknown version in Cosmos terms', () => {
    const error = thrownBy(() => selectPackage(repos, 'nginx', '9.9'), CosmosError);
    expect(error.type).toBe('VersionNotFound');
    expect(error.message).toMatch(/^Version \[9\.9\] of package \[nginx\] not found/);
  });

  it('reports an unknown package and suggests close names', () => {
    const typo = thrownBy(() => selectPackage(repos, 'cassandr'), CosmosError);
    expect(typo.type).toBe('PackageNotFound');
    expect(typo.message).toMatch(/^Package \[cassandr\] not found \(did you mean cassandra\?\)/);
    expect(typo.data).toEqual({ packageName: 'cassandr', suggestions: ['cassandra'] });
    const unknown = thrownBy(() => selectPackage(repos, 'kafka'), CosmosError);
    expect(unknown.message).toMatch(/^Package \[kafka\] not found;/);
    expect(unknown.message).not.toContain('did you mean');
  });

  it('takes the latest from the first repository that has the name, even if a later one is newer', () => {
    const first: RepoPackages = {
      repository: { name: 'first', uri: 'https://first/repo' },
      packages: [stubPackage({ name: 'web', version: '1.0', releaseVersion: 3 })],
    };
    const second: RepoPackages = {
      repository: { name: 'second', uri: 'https://second/repo' },
      packages: [
        stubPackage({ name: 'web', version: '2.0', releaseVersion: 9 }),
        stubPackage({ name: 'web', version: '1.0', releaseVersion: 8, description: 'shadowed' }),
      ],
    };
    const latest = selectPackage([first, second], 'web');
    expect([latest.package.version, latest.repository.name]).toEqual(['1.0', 'first']);
    // A version only the second repository has comes from there; a shared one from the first.
    expect(selectPackage([first, second], 'web', '2.0').repository.name).toBe('second');
    expect(selectPackage([first, second], 'web', '1.0').package.description).toBe('the web package');
    expect(selectPackage([second, first], 'web').package.version).toBe('2.0');
  });
});

describe('packageVersions', () => {
  it('maps every version to its highest release, as strings', () => {
    expect(packageVersions([v3Repo()], 'cassandra')).toEqual({
      '1.0.5-2.2.5': '7',
      '1.0.4-2.2.5': '5',
      '1.0.2-2.2.5': '4',
      '2.2.5-0.2.0': '3',
      '0.2.0-2': '1',
      '0.2.0-1': '0',
    });
    expect(packageVersions([v3Repo()], 'nginx')).toEqual({ '1.8.1': '1' });
  });

  it('merges repositories, the first one winning a version both have', () => {
    const other: RepoPackages = {
      repository: { name: 'other', uri: 'https://other/repo' },
      packages: [
        stubPackage({ name: 'nginx', version: '1.8.1', releaseVersion: 40 }),
        stubPackage({ name: 'nginx', version: '1.9.0', releaseVersion: 41 }),
      ],
    };
    expect(packageVersions([v3Repo(), other], 'nginx')).toEqual({ '1.8.1': '1', '1.9.0': '41' });
  });

  it('throws PackageNotFound for an unknown name', () => {
    expect(thrownBy(() => packageVersions([v3Repo()], 'nope'), CosmosError).type).toBe('PackageNotFound');
  });
});

describe('loadUniverse', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dcos-universe-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A Universe checkout: repo/packages/<Letter>/<name>/<release>/ built from the fixture package directories. */
  async function sourceTree(): Promise<string> {
    const place = async (from: string, to: string, files: string[]) => {
      await mkdir(join(dir, 'repo', 'packages', to), { recursive: true });
      for (const file of files) {
        await copyFile(join(COSMOS_FIXTURES, from, file), join(dir, 'repo', 'packages', to, file));
      }
    };
    const four = ['package.json', 'config.json', 'marathon.json.mustache', 'resource.json'];
    await place('helloworld', 'H/helloworld/0', [
      'package.json',
      'config.json',
      'marathon.json.mustache',
      'command.json',
    ]);
    await place('package/universe-time-server-0', 'T/time-server/0', four);
    await place('package/universe-marathon-lb-45', 'M/marathon-lb/45', four);
    await place('package/universe-marathon-lb-45', 'M/marathon-lb/7', ['package.json']);
    await writeFile(join(dir, 'repo', 'packages', '.DS_Store'), '');
    return dir;
  }

  it('indexes a source tree as gen_universe.py does', async () => {
    const packages = await loadUniverse(await sourceTree(), { fetchText: noFetch });
    expect(packages.map((pkg) => [pkg.name, pkg.releaseVersion, pkg.packagingVersion])).toEqual([
      ['helloworld', 0, '2.0'],
      ['marathon-lb', 7, '4.0'],
      ['marathon-lb', 45, '4.0'],
      ['time-server', 0, '4.0'],
    ]);
    const [helloworld, bare, marathonLb, timeServer] = packages;
    expect(decodeTemplate(helloworld!)).toBe(fixtureText('helloworld/marathon.json.mustache'));
    expect(helloworld!.config).toEqual(fixtureJson('helloworld/config.json'));
    expect(helloworld!.command).toEqual(fixtureJson('helloworld/command.json'));
    expect(helloworld!).not.toHaveProperty('resource');
    expect(bare!).not.toHaveProperty('marathon');
    expect(marathonLb!.resource).toEqual(fixtureJson('package/universe-marathon-lb-45/resource.json'));
    expect(marathonLb!.lastUpdated).toBe(1569357923);
    expect(decodeTemplate(timeServer!)).toBe(
      fixtureText('package/universe-time-server-0/marathon.json.mustache'),
    );
  });

  it('finds the tree from the checkout, its repo/ directory, the packages/ directory or a file: URL', async () => {
    const root = await sourceTree();
    for (const uri of [join(root, 'repo'), join(root, 'repo', 'packages'), pathToFileURL(root).href]) {
      expect((await loadUniverse(uri, { fetchText: noFetch })).length).toBe(4);
    }
    // Relative paths resolve against cwd.
    expect((await loadUniverse('repo', { fetchText: noFetch, cwd: root })).length).toBe(4);
  });

  it('names the broken file of a source tree', async () => {
    const root = await sourceTree();
    await writeFile(join(root, 'repo/packages/T/time-server/0/config.json'), '{"properties": ');
    const broken = await rejectionOf(loadUniverse(root, { fetchText: noFetch }), DcosError);
    expect(broken.message).toMatch(/T\/time-server\/0\/config\.json is not valid JSON: /);

    await rm(join(root, 'repo/packages/T/time-server/0/package.json'));
    const missing = await rejectionOf(loadUniverse(root, { fetchText: noFetch }), DcosError);
    expect(missing.message).toMatch(/T\/time-server\/0\/package\.json is missing/);

    await mkdir(join(root, 'repo/packages/T/time-server/latest'));
    const named = await rejectionOf(loadUniverse(root, { fetchText: noFetch }), DcosError);
    expect(named.message).toContain('must be named by their release number');
  });

  it('refuses a directory that is not a Universe tree and a path that does not exist', async () => {
    const notTree = await rejectionOf(loadUniverse(dir, { fetchText: noFetch }), DcosError);
    expect(notTree.code).toBe('invalid_repository');
    expect(notTree.message).toContain('is not a Universe source directory');
    const absent = await rejectionOf(loadUniverse(join(dir, 'nope.json'), { fetchText: noFetch }), DcosError);
    expect(absent.code).toBe('repository_not_found');
    expect(absent.message).toBe(`Universe repository ${join(dir, 'nope.json')} does not exist`);
  });

  it('reads an index file and checks it', async () => {
    const index = join(dir, 'repo.json');
    await writeFile(index, fixtureText('test-v3-repo-up-to-1.8.json'));
    expect((await loadUniverse(index, { fetchText: noFetch })).length).toBe(9);
    await writeFile(index, fixtureText('invalid/universe_invalid_byteBuffer.json'));
    const invalid = await rejectionOf(loadUniverse(index, { fetchText: noFetch }), DcosError);
    expect(invalid.message).toContain(`invalid Universe repository ${index}: package zeppelin`);
    await writeFile(index, '{"packages": [');
    const text = await rejectionOf(loadUniverse(index, { fetchText: noFetch }), DcosError);
    expect(text.message).toContain(`Universe repository ${index} is not valid JSON`);
  });

  it('enforces the size limit on files, source trees and downloads', async () => {
    const index = join(dir, 'repo.json');
    await writeFile(index, fixtureText('test-v3-repo-up-to-1.8.json'));
    const limits = { fetchText: async () => readFile(index, 'utf8'), maxBytes: 1024 };
    const file = await rejectionOf(loadUniverse(index, limits), DcosError);
    expect(file.message).toBe(`Universe repository ${index} is larger than the 1 KiB limit`);
    const download = await rejectionOf(loadUniverse('https://universe.example/repo', limits), DcosError);
    expect(download.message).toContain('https://universe.example/repo is larger than');
    await rm(index);
    const tree = await rejectionOf(loadUniverse(await sourceTree(), limits), DcosError);
    expect(tree.code).toBe('repository_unreadable');
    expect(tree.message).toContain('is larger than the 1 KiB limit');
  });

  it('fetches http(s) repositories through fetchText', async () => {
    const asked: string[] = [];
    const fetchText = async (url: string) => {
      asked.push(url);
      return fixtureText('expected-encoded-repo.json');
    };
    const packages = await loadUniverse('https://universe.example/repo', { fetchText });
    expect(asked).toEqual(['https://universe.example/repo']);
    expect(packages.map((pkg) => pkg.name)).toEqual(['cool-package', 'cool-package']);
  });

  it('refuses other URI schemes and zip repositories', async () => {
    const scheme = await rejectionOf(
      loadUniverse('s3://bucket/repo.json', { fetchText: noFetch }),
      DcosError,
    );
    expect(scheme.message).toContain('unsupported repository URI s3://bucket/repo.json');
    const zip = join(dir, 'repo-up-to-1.7.zip');
    await writeFile(zip, 'PK');
    const old = await rejectionOf(loadUniverse(zip, { fetchText: noFetch }), DcosError);
    expect(old.message).toContain('zip repositories');
  });
});
