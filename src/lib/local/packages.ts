/**
 * The package manager behind `dcos local`'s Cosmos: the CLI's own client-side manager (Universe repositories read
 * here, apps rendered here, installed through Marathon), run inside the daemon against the daemon's own Marathon.
 *
 * - Repositories: the bundled `local-universe/` (Universe source layout) is always in the list, first unless the
 *   user adds one in front of it, and cannot be removed; the list lives in the daemon's directory
 *   (`package-repositories.json`), so `dcos package repo add|remove` survive restarts and `dcos local reset`
 *   forgets them.
 * - Assets: the bundled packages name their files relative to their own directory (`assets/hello-web.mjs`);
 *   loading a source tree turns those into `file:` URLs, which the local Mesos fetcher copies into the sandbox.
 * - Marathon: reached over HTTP at the daemon's own loopback URL with the CLI's MarathonClient, so an install
 *   goes through exactly the validation, deployment and events of `POST /v2/apps` (and Marathon's 409 and 422
 *   come back as the errors the client-side manager already maps).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { HttpClient } from '../http/client.js';
import { MarathonClient } from '../marathon/client.js';
import { ClientPackageManager } from '../packages/client-manager.js';
import { CosmosError } from '../packages/errors.js';
import { fileRepositoryStore, type RepositoryStore } from '../packages/repositories.js';
import { downloadWithFetch } from '../packages/repository-files.js';
import type { PackageManager, Repository, UniversePackage } from '../packages/types.js';
import { loadUniverse } from '../packages/universe.js';
import { localUniverseDir } from './install-paths.js';

export const LOCAL_UNIVERSE_NAME = 'Local Universe';
export const REPOSITORIES_FILE = 'package-repositories.json';
/** Remote repositories are fetched again after this long, as Cosmos refreshes its repository cache. */
const REMOTE_CACHE_MS = 5 * 60_000;

export function bundledRepository(): Repository {
  return { name: LOCAL_UNIVERSE_NAME, uri: pathToFileURL(localUniverseDir()).href };
}

/**
 * The daemon's repository list: the bundled repository is put first when the file does not name it (no file
 * yet), its URI follows wherever this installation is, and a list without it is refused.
 */
export function localRepositoryStore(dir: string): RepositoryStore {
  const file = fileRepositoryStore(join(dir, REPOSITORIES_FILE));
  const withBundled = (list: Repository[]): Repository[] => {
    const bundled = bundledRepository();
    const at = list.findIndex((repository) => repository.name === bundled.name);
    if (at === -1) return [bundled, ...list.filter((repository) => repository.uri !== bundled.uri)];
    return list.map((repository, index) => (index === at ? bundled : repository));
  };
  const keepsBundled = (list: Repository[]): Repository[] => {
    if (!list.some((repository) => repository.name === LOCAL_UNIVERSE_NAME)) {
      throw new CosmosError(
        'RepositoryNotDeletable',
        `Repository [${LOCAL_UNIVERSE_NAME}] is bundled with dcos local and cannot be removed`,
        { name: LOCAL_UNIVERSE_NAME },
      );
    }
    return list;
  };
  return {
    load: async () => withBundled(await file.load()),
    save: (list) => file.save(keepsBundled(list)),
    update: (change) => file.update((current) => keepsBundled(change(withBundled(current)))),
  };
}

const fetchRepositoryText = (url: string, maxBytes: number) => downloadWithFetch(url, { maxBytes });

export interface LocalPackageManagerOptions {
  /** The daemon's state directory. */
  dir: string;
  /** The daemon's own URL (`http://127.0.0.1:<port>`), whose `/service/marathon` installs go to. */
  clusterUrl: string;
  /** The daemon's own token, when it wants one. */
  token?: string;
}

/**
 * Builds a manager per request: local repositories (the bundled one included) are read afresh each time, so an
 * edited package shows at once; remote ones come from a cache shared by all of them.
 */
export function localPackageManagers(options: LocalPackageManagerOptions): () => PackageManager {
  const store = localRepositoryStore(options.dir);
  const marathon = new MarathonClient(
    new HttpClient({
      baseUrl: options.clusterUrl,
      timeoutMs: 30_000,
      tries: 1,
      ...(options.token ? { token: options.token } : {}),
    }),
    `${options.clusterUrl}/service/marathon`,
  );
  const remote = new Map<string, { at: number; packages: Promise<UniversePackage[]> }>();
  const load = async (uri: string): Promise<UniversePackage[]> => {
    if (!/^https?:\/\//i.test(uri))
      return loadUniverse(uri, { fetchText: fetchRepositoryText, cwd: options.dir });
    const cached = remote.get(uri);
    if (cached && Date.now() - cached.at < REMOTE_CACHE_MS) return cached.packages;
    const packages = loadUniverse(uri, { fetchText: fetchRepositoryText });
    remote.set(uri, { at: Date.now(), packages });
    packages.catch(() => {
      if (remote.get(uri)?.packages === packages) remote.delete(uri);
    });
    return packages;
  };
  return () => new ClientPackageManager({ store, loadUniverse: load, marathon });
}
