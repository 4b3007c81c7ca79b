import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DcosError, UsageError } from '../../../src/lib/errors.js';
import { CosmosError } from '../../../src/lib/packages/errors.js';
import {
  addRepository,
  fileRepositoryStore,
  removeRepository,
} from '../../../src/lib/packages/repositories.js';
import type { Repository } from '../../../src/lib/packages/types.js';
import { rejectionOf, thrownBy } from '../../helpers/errors.js';
import { fixtureJson, fixtureText } from './fixtures.js';

const repos = (): Repository[] => fixtureJson<Repository[]>('repositories/repos.json');

describe('fileRepositoryStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dcos-repos-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has no repositories before the file exists', async () => {
    expect(await fileRepositoryStore(join(dir, 'none.json')).load()).toEqual([]);
  });

  it('reads the repository list response shape, and a bare list', async () => {
    const listed = join(dir, 'listed.json');
    await writeFile(listed, fixtureText('recorded/test_repo_list.json'));
    expect((await fileRepositoryStore(listed).load()).map((repository) => repository.name)).toEqual([
      'Universe',
      'Bootstrap Registry',
      'helloworld-universe',
    ]);
    const bare = join(dir, 'bare.json');
    await writeFile(bare, fixtureText('repositories/default-repositories.json'));
    expect(await fileRepositoryStore(bare).load()).toEqual([
      { name: 'Universe', uri: 'https://universe.mesosphere.com/repo' },
    ]);
  });

  it('names a malformed file', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"repositories": [');
    const json = await rejectionOf(fileRepositoryStore(path).load(), DcosError);
    expect(json.code).toBe('invalid_repository_list');
    expect(json.message).toContain(`the repository list ${path} is malformed: `);
    await writeFile(path, '{"repositories": [{"name": "x"}]}');
    const shape = await rejectionOf(fileRepositoryStore(path).load(), DcosError);
    expect(shape.message).toBe(
      `the repository list ${path} is malformed: entry 0 must have a string name and uri`,
    );
    await writeFile(path, '{"repos": []}');
    await rejectionOf(fileRepositoryStore(path).load(), DcosError);
  });

  it('saves in the repository list response shape and reads it back', async () => {
    const path = join(dir, 'nested', 'repositories.json');
    const store = fileRepositoryStore(path);
    await store.save(repos());
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ repositories: repos() });
    expect(await store.load()).toEqual(repos());
  });
});

describe('addRepository', () => {
  const added = { name: 'local', uri: 'file:///srv/universe' };

  it('appends by default and inserts at an index', () => {
    expect(addRepository(repos(), added).map((repository) => repository.name)).toEqual([
      'repo1',
      'repo2',
      'repo3',
      'local',
    ]);
    expect(addRepository(repos(), added, 0)[0]).toEqual(added);
    expect(addRepository(repos(), added, 1).map((repository) => repository.name)).toEqual([
      'repo1',
      'local',
      'repo2',
      'repo3',
    ]);
    expect(addRepository(repos(), added, 3)[3]).toEqual(added);
    expect(addRepository([], added, 0)).toEqual([added]);
  });

  it('leaves the given list alone', () => {
    const list = repos();
    addRepository(list, added, 0);
    expect(list).toEqual(repos());
  });

  it('refuses a name or URI already present, in Cosmos words', () => {
    const name = thrownBy(
      () => addRepository(repos(), { name: 'repo2', uri: 'http://elsewhere' }),
      CosmosError,
    );
    expect(name.type).toBe('RepositoryAlreadyPresent');
    expect(name.message).toMatch(/^Repository name \[repo2\] is already present in the list/);
    expect(name.data).toEqual({ name: 'repo2' });
    const uri = thrownBy(
      () => addRepository(repos(), { name: 'other', uri: 'http://someplace/repo3' }),
      CosmosError,
    );
    expect(uri.message).toMatch(
      /^Repository URI \[http:\/\/someplace\/repo3\] is already present in the list/,
    );
    const both = thrownBy(
      () => addRepository(repos(), { name: 'repo1', uri: 'http://someplace/repo1' }),
      CosmosError,
    );
    expect(both.message).toMatch(/^Repository name \[repo1\] and URI \[http:\/\/someplace\/repo1\] are both/);
  });

  it('refuses an index outside the list', () => {
    for (const index of [-1, 4, 1.5]) {
      const error = thrownBy(() => addRepository(repos(), added, index), CosmosError);
      expect(error.type).toBe('RepositoryAddIndexOutOfBounds');
      expect(error.message).toBe(
        `Index (${index}) is out of range. Index value must be between 0 and 3 inclusive.`,
      );
    }
  });

  it('needs a name and a URI', () => {
    expect(thrownBy(() => addRepository(repos(), { name: ' ', uri: 'http://x' }), UsageError).message).toBe(
      'a repository needs a name',
    );
    expect(() => addRepository(repos(), { name: 'x', uri: '' })).toThrow(UsageError);
  });
});

describe('removeRepository', () => {
  it('removes by name and leaves the given list alone', () => {
    const list = repos();
    expect(removeRepository(list, 'repo2').map((repository) => repository.name)).toEqual(['repo1', 'repo3']);
    expect(list).toHaveLength(3);
  });

  it('refuses a name not in the list', () => {
    const error = thrownBy(() => removeRepository(repos(), 'repo9'), CosmosError);
    expect(error.type).toBe('RepositoryNotPresent');
    expect(error.message).toMatch(/^Repository name \[repo9\] is not present in the list/);
  });
});
