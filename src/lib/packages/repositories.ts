/**
 * The client-side manager's repository list: kept in a file in Cosmos's own `{"repositories":[...]}` shape and
 * changed with Cosmos's rules (`/package/repository/add|delete`), errors included.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { DcosError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { withFileLock } from '../fs-lock.js';
import { isRecord } from '../json.js';
import { CosmosError } from './errors.js';
import type { Repository } from './types.js';

export interface RepositoryStore {
  load(): Promise<Repository[]>;
  save(list: Repository[]): Promise<void>;
  /**
   * Replaces the list with what `change` makes of the list as it is now, so that two commands changing it at
   * once (CI jobs adding repositories) do not lose one change.
   */
  update(change: (current: Repository[]) => Repository[]): Promise<Repository[]>;
}

function malformed(path: string, reason: string): DcosError {
  return new DcosError(`the repository list ${path} is malformed: ${reason}`, {
    code: 'invalid_repository_list',
    details: { path },
  });
}

/** The list in `{"repositories":[{name, uri}]}` (a bare array, like Cosmos's default-repositories.json, too). */
export function parseRepositoryList(data: unknown, path: string): Repository[] {
  const entries = isRecord(data) ? data.repositories : data;
  if (!Array.isArray(entries))
    throw malformed(path, 'expected {"repositories": [{"name": ..., "uri": ...}]}');
  return entries.map((entry, index) => {
    if (!isRecord(entry) || typeof entry.name !== 'string' || typeof entry.uri !== 'string') {
      throw malformed(path, `entry ${index} must have a string name and uri`);
    }
    return { name: entry.name, uri: entry.uri };
  });
}

/** A repository list kept in the JSON file at `path`; no file yet means no repositories. */
export function fileRepositoryStore(path: string): RepositoryStore {
  const store: RepositoryStore = {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (error) {
        throw malformed(path, (error as Error).message);
      }
      return parseRepositoryList(data, path);
    },
    async save(list) {
      const repositories = list.map(({ name, uri }) => ({ name, uri }));
      await writeFileAtomic(path, `${JSON.stringify({ repositories }, null, 2)}\n`);
    },
    update: (change) =>
      withFileLock(path, async () => {
        const next = change(await store.load());
        await store.save(next);
        return next;
      }),
  };
  return store;
}

/**
 * A repository as the user typed it: the client-side manager reads it later from any directory, so a
 * relative path means the caller's. Cosmos resolves URIs itself and gets them as given.
 */
export function repositoryUri(uri: string, manager: 'cosmos' | 'client', cwd = process.cwd()): string {
  return manager === 'client' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? resolve(cwd, uri) : uri;
}

/** `list` with `repository` inserted at `index` (the end by default); the input list is not changed. */
export function addRepository(
  list: readonly Repository[],
  repository: Repository,
  index?: number,
): Repository[] {
  const name = repository.name.trim();
  const uri = repository.uri.trim();
  if (name === '') throw new UsageError('a repository needs a name', { code: 'invalid_repository' });
  if (uri === '') throw new UsageError(`repository ${name} needs a URI`, { code: 'invalid_repository' });
  const nameTaken = list.some((held) => held.name === name);
  const uriTaken = list.some((held) => held.uri === uri);
  if (nameTaken || uriTaken) {
    const message =
      nameTaken && uriTaken
        ? `Repository name [${name}] and URI [${uri}] are both already present in the list`
        : nameTaken
          ? `Repository name [${name}] is already present in the list`
          : `Repository URI [${uri}] is already present in the list`;
    throw new CosmosError('RepositoryAlreadyPresent', message, {
      ...(nameTaken ? { name } : {}),
      ...(uriTaken ? { uri } : {}),
    });
  }
  const at = index ?? list.length;
  if (!Number.isInteger(at) || at < 0 || at > list.length) {
    throw new CosmosError(
      'RepositoryAddIndexOutOfBounds',
      `Index (${at}) is out of range. Index value must be between 0 and ${list.length} inclusive.`,
      { attempted: at, max: list.length },
    );
  }
  return [...list.slice(0, at), { name, uri }, ...list.slice(at)];
}

/** `list` without the repository called `name`; the input list is not changed. */
export function removeRepository(list: readonly Repository[], name: string): Repository[] {
  if (!list.some((held) => held.name === name)) {
    throw new CosmosError('RepositoryNotPresent', `Repository name [${name}] is not present in the list`, {
      name,
    });
  }
  return list.filter((held) => held.name !== name);
}
