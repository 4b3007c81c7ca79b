import { describe, expect, it } from 'vitest';

import { searchPackages, wildcardMatcher } from '../../../src/lib/packages/search.js';
import type { RepoPackages } from '../../../src/lib/packages/universe.js';
import { stubPackage, UNIVERSE, v3Repo } from './fixtures.js';

const names = (repos: RepoPackages[], query?: string) =>
  searchPackages(repos, query).map((result) => result.name);

describe('searchPackages on the Cosmos test repository', () => {
  const repos = [v3Repo()];

  it('lists every package without a query, one entry per name with all its versions', () => {
    const results = searchPackages(repos);
    expect(results.map((result) => result.name)).toEqual(['cassandra', 'nginx']);
    const [cassandra, nginx] = results;
    expect(cassandra).toMatchObject({
      currentVersion: '1.0.5-2.2.5',
      description: 'Apache Cassandra running on DC/OS',
      framework: true,
      selected: true,
      tags: ['data', 'database', 'nosql'],
    });
    expect(cassandra!.versions).toEqual({
      '1.0.5-2.2.5': '7',
      '1.0.4-2.2.5': '5',
      '1.0.2-2.2.5': '4',
      '2.2.5-0.2.0': '3',
      '0.2.0-2': '1',
      '0.2.0-1': '0',
    });
    expect(cassandra!.images?.['icon-small']).toMatch(/cassandra-small\.png$/);
    expect(nginx).toMatchObject({ currentVersion: '1.8.1', versions: { '1.8.1': '1' }, framework: false });
    expect(nginx!.selected).toBe(false);
  });

  it('matches a plain query case-insensitively anywhere in the name, description or a tag', () => {
    expect(names(repos, 'NGIN')).toEqual(['nginx']);
    expect(names(repos, 'web-server')).toEqual(['nginx']);
    expect(names(repos, 'running on dc/os')).toEqual(['cassandra']);
    expect(names(repos, 'SQL')).toEqual(['cassandra']);
    expect(names(repos, 'a')).toEqual(['cassandra', 'nginx']);
    expect(names(repos, 'zookeeper')).toEqual([]);
  });

  it('treats * as a wildcard anchored at both ends, case-sensitive, the rest literal', () => {
    expect(names(repos, 'ngi*')).toEqual(['nginx']);
    expect(names(repos, 'NGI*')).toEqual([]);
    expect(names(repos, 'gin*')).toEqual([]);
    expect(names(repos, '*sql')).toEqual(['cassandra']);
    expect(names(repos, '*')).toEqual(['cassandra', 'nginx']);
    expect(names(repos, 'c.ssandra*')).toEqual([]);
    expect(names(repos, '*web*')).toEqual(['nginx']);
    const matches = wildcardMatcher('a.b*(c)');
    expect(['a.b(c)', 'a.bxyz(c)', 'axb(c)', 'a.b(c)x', 'a.b\n(c)'].map(matches)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(['ab', 'aXbYb', 'a', 'b'].map(wildcardMatcher('a*b*b'))).toEqual([false, true, false, false]);
  });

  it('matches many wildcards against a long description at once (no backtracking)', () => {
    const long = stubPackage({ name: 'long', description: `${'a'.repeat(200_000)}c` });
    const started = Date.now();
    expect(names([{ repository: UNIVERSE, packages: [long] }], '*a*a*a*a*a*a*a*b')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('searchPackages across repositories', () => {
  const first: RepoPackages = {
    repository: { name: 'first', uri: 'https://first/repo' },
    packages: [
      stubPackage({ name: 'zeta', version: '1.0', releaseVersion: 1, description: 'first zeta' }),
      stubPackage({ name: 'alpha', version: '1.0', releaseVersion: 0 }),
    ],
  };
  const second: RepoPackages = {
    repository: { name: 'second', uri: 'https://second/repo' },
    packages: [
      stubPackage({ name: 'zeta', version: '1.0', releaseVersion: 5, description: 'second zeta' }),
      stubPackage({ name: 'zeta', version: '2.0', releaseVersion: 6, description: 'newer zeta' }),
      stubPackage({ name: 'beta', version: '0.1', selected: true, tags: ['Fast'] }),
    ],
  };

  it('merges names, the lowest repository winning each version and describing the package', () => {
    const zeta = searchPackages([first, second]).find((result) => result.name === 'zeta')!;
    expect(zeta.versions).toEqual({ '1.0': '1', '2.0': '6' });
    // Described by the first repository's latest entry, as Cosmos (and `package describe`) would pick it.
    expect([zeta.currentVersion, zeta.description]).toEqual(['1.0', 'first zeta']);
    const swapped = searchPackages([second, first]).find((result) => result.name === 'zeta')!;
    expect([swapped.currentVersion, swapped.description, swapped.versions]).toEqual([
      '2.0',
      'newer zeta',
      { '1.0': '5', '2.0': '6' },
    ]);
  });

  it('orders selected packages first, then by name', () => {
    expect(names([first, second])).toEqual(['beta', 'alpha', 'zeta']);
  });

  it('matches on the describing entry only, like Cosmos', () => {
    expect(names([first, second], 'newer')).toEqual([]);
    expect(names([second, first], 'newer')).toEqual(['zeta']);
    expect(names([first, second], 'fast')).toEqual(['beta']);
    expect(names([first, second], 'fast*')).toEqual([]);
    expect(names([first, second], 'Fast*')).toEqual(['beta']);
  });

  it('leaves images out for packages without them', () => {
    expect(searchPackages([first])[0]).not.toHaveProperty('images');
  });
});
