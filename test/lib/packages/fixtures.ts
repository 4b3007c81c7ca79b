import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { Repository, UniversePackage } from '../../../src/lib/packages/types.js';
import { parseUniverse, type RepoPackages } from '../../../src/lib/packages/universe.js';

export const COSMOS_FIXTURES = fileURLToPath(new URL('../../fixtures/cosmos/', import.meta.url));

export function fixtureText(path: string): string {
  return readFileSync(`${COSMOS_FIXTURES}${path}`, 'utf8');
}

export function fixtureJson<T = unknown>(path: string): T {
  return JSON.parse(fixtureText(path)) as T;
}

/** The packages of the Cosmos test repository: nginx (2 entries) and cassandra (7 releases). */
export function v3Packages(): UniversePackage[] {
  return parseUniverse(fixtureJson('test-v3-repo-up-to-1.8.json'), 'test-v3-repo-up-to-1.8.json');
}

export const UNIVERSE: Repository = { name: 'Universe', uri: 'https://universe.example/repo' };

export function v3Repo(repository: Repository = UNIVERSE): RepoPackages {
  return { repository, packages: v3Packages() };
}

/** The helloworld package of a `/package/describe` v3 response (packaging 3.0, `name` and `port` options). */
export function helloworldPackage(): UniversePackage {
  return parseUniverse(
    { packages: [fixtureJson<{ package: unknown }>('recorded/test_describe_helloworld.json').package] },
    'describe',
  )[0]!;
}

/** A minimal package for shaping cases the fixtures do not have. */
export function stubPackage(fields: Partial<UniversePackage> & { name: string }): UniversePackage {
  return {
    packagingVersion: '3.0',
    version: '1.0.0',
    releaseVersion: 0,
    maintainer: 'someone@example.com',
    description: `the ${fields.name} package`,
    tags: [],
    ...fields,
  };
}

export function templateOf(text: string): { v2AppMustacheTemplate: string } {
  return { v2AppMustacheTemplate: Buffer.from(text, 'utf8').toString('base64') };
}
