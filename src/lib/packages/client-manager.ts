/**
 * The package manager that needs no Cosmos: it reads Universe repositories itself, renders apps on the client
 * and talks to Marathon directly (the DC/OS CLI's pre-Cosmos design, `dcos-cli.md` §4.2), answering in Cosmos's
 * shapes and errors. Searching, describing and rendering work with no cluster at all.
 */
import { DcosError } from '../errors.js';
import { blockingDeployments, HttpError } from '../http/errors.js';
import { isRecord } from '../json.js';
import { CosmosError, REPOSITORY_FAILURES } from './errors.js';
import { installedPackageFromApp } from './labels.js';
import { normalizeAppId, renderMarathonApp } from './render.js';
import { addRepository, removeRepository, type RepositoryStore } from './repositories.js';
import { searchPackages } from './search.js';
import type {
  InstalledPackage,
  InstallRequest,
  InstallResponse,
  PackageManager,
  Repository,
  SearchResult,
  UninstallRequest,
  UninstallResult,
  UniversePackage,
} from './types.js';
import { packageVersions, selectPackage, type RepoPackages } from './universe.js';

/** What the client-side manager needs of Marathon (`MarathonClient` provides it). */
export interface PackageMarathon {
  listApps(): Promise<unknown[]>;
  createApp(app: unknown): Promise<unknown>;
  removeApp(id: string): Promise<unknown>;
}

export interface ClientPackageManagerDeps {
  store: RepositoryStore;
  loadUniverse: (uri: string) => Promise<UniversePackage[]>;
  /** Absent when no cluster is attached: install, list and uninstall then fail with `noCluster`. */
  marathon?: PackageMarathon;
  noCluster?: string;
}

/**
 * A repository's load failure, naming the repository: `details` keep the loader's own (the file, the limit) with
 * `repository` and the loader's message as `cause`, which dcos local's Cosmos turns into Cosmos's error types.
 */
function repositoryFailure(repository: Repository, error: unknown): unknown {
  if (!(error instanceof DcosError) || error instanceof CosmosError) return error;
  const own = isRecord(error.details) ? error.details : {};
  const code = REPOSITORY_FAILURES.has(error.code) ? error.code : 'repository_unavailable';
  return new DcosError(`repository ${repository.name} (${repository.uri}): ${error.message}`, {
    code,
    details: { ...own, repository: { name: repository.name, uri: repository.uri }, cause: error.message },
    cause: error,
  });
}

const DEFAULT_NO_CLUSTER =
  "no cluster is attached; 'dcos package search' and 'describe' work offline, but installing, listing and " +
  "uninstalling need one (see 'dcos cluster setup')";

export class ClientPackageManager implements PackageManager {
  readonly kind = 'client' as const;
  private readonly universes = new Map<string, Promise<UniversePackage[]>>();

  constructor(private readonly deps: ClientPackageManagerDeps) {}

  /**
   * Each repository's packages, fetched once per manager (a failed fetch is retried on the next call). A
   * repository that cannot be loaded fails naming itself (see {@link repositoryFailure}).
   */
  private universe(repository: Repository): Promise<UniversePackage[]> {
    const { uri } = repository;
    let packages = this.universes.get(uri);
    if (!packages) {
      packages = this.deps.loadUniverse(uri);
      this.universes.set(uri, packages);
      packages.catch(() => this.universes.delete(uri));
    }
    return packages.catch((error: unknown) => {
      throw repositoryFailure(repository, error);
    });
  }

  private async repos(): Promise<RepoPackages[]> {
    const repositories = await this.deps.store.load();
    const packages = await Promise.all(repositories.map((repository) => this.universe(repository)));
    return repositories.map((repository, index) => ({ repository, packages: packages[index]! }));
  }

  private marathon(): PackageMarathon {
    if (!this.deps.marathon) {
      throw new DcosError(this.deps.noCluster ?? DEFAULT_NO_CLUSTER, { code: 'no_cluster' });
    }
    return this.deps.marathon;
  }

  private async installed(): Promise<InstalledPackage[]> {
    const apps = await this.marathon().listApps();
    return apps.flatMap((app) => installedPackageFromApp(app) ?? []);
  }

  async search(query?: string): Promise<SearchResult[]> {
    return searchPackages(await this.repos(), query);
  }

  async describe(packageName: string, packageVersion?: string): Promise<UniversePackage> {
    return selectPackage(await this.repos(), packageName, packageVersion).package;
  }

  async listVersions(packageName: string): Promise<Record<string, string>> {
    return packageVersions(await this.repos(), packageName);
  }

  async render(request: InstallRequest): Promise<Record<string, unknown>> {
    const { package: pkg, repository } = selectPackage(
      await this.repos(),
      request.packageName,
      request.packageVersion,
    );
    return renderMarathonApp(pkg, {
      repositoryUri: repository.uri,
      ...(request.options ? { userOptions: request.options } : {}),
      ...(request.appId !== undefined ? { appId: request.appId } : {}),
    });
  }

  async install(request: InstallRequest): Promise<InstallResponse> {
    const marathon = this.marathon();
    const { package: pkg, repository } = selectPackage(
      await this.repos(),
      request.packageName,
      request.packageVersion,
    );
    const response: InstallResponse = { packageName: pkg.name, packageVersion: pkg.version };
    if (pkg.marathon) {
      const app = renderMarathonApp(pkg, {
        repositoryUri: repository.uri,
        ...(request.options ? { userOptions: request.options } : {}),
        ...(request.appId !== undefined ? { appId: request.appId } : {}),
      });
      try {
        await marathon.createApp(app);
      } catch (error) {
        // Marathon's 409 means the app id is taken, unless it names deployments holding a lock.
        if (
          error instanceof HttpError &&
          error.status === 409 &&
          blockingDeployments(error.body).length === 0
        ) {
          throw new CosmosError('PackageAlreadyInstalled', 'Package is already installed', undefined, 409);
        }
        throw error;
      }
      if (typeof app.id === 'string') response.appId = normalizeAppId(app.id);
    }
    if (pkg.postInstallNotes !== undefined) response.postInstallNotes = pkg.postInstallNotes;
    const cli = pkg.resource?.cli;
    if (cli && typeof cli === 'object') response.cli = cli as Record<string, unknown>;
    return response;
  }

  async list(filter: { packageName?: string; appId?: string } = {}): Promise<InstalledPackage[]> {
    const wantedApp = filter.appId === undefined ? undefined : normalizeAppId(filter.appId);
    return (await this.installed()).filter(
      (installed) =>
        (filter.packageName === undefined ||
          installed.packageInformation.packageDefinition.name === filter.packageName) &&
        (wantedApp === undefined || normalizeAppId(installed.appId) === wantedApp),
    );
  }

  async uninstall(request: UninstallRequest): Promise<UninstallResult[]> {
    const marathon = this.marathon();
    const wantedApp = request.appId === undefined ? undefined : normalizeAppId(request.appId);
    const matching = (await this.installed()).filter(
      (installed) =>
        installed.packageInformation.packageDefinition.name === request.packageName &&
        (wantedApp === undefined || normalizeAppId(installed.appId) === wantedApp),
    );
    if (matching.length === 0) {
      throw new CosmosError('PackageNotInstalled', `Package [${request.packageName}] is not installed`, {
        packageName: request.packageName,
        ...(wantedApp ? { appId: wantedApp } : {}),
      });
    }
    if (matching.length > 1 && !request.all) {
      const appIds = matching.map((installed) => installed.appId);
      throw new CosmosError(
        'AmbiguousAppId',
        `Multiple apps named [${request.packageName}] are installed: [${appIds.join(', ')}]`,
        { packageName: request.packageName, appIds },
      );
    }
    const results: UninstallResult[] = [];
    for (const installed of matching) {
      await marathon.removeApp(installed.appId);
      const definition = installed.packageInformation.packageDefinition;
      // InstalledPackage's definition type loses its named fields to the index signature: read them as unknown.
      const { version, postUninstallNotes: notes } = definition as Record<string, unknown>;
      results.push({
        packageName: request.packageName,
        appId: installed.appId,
        ...(typeof version === 'string' && version !== '' ? { packageVersion: version } : {}),
        ...(typeof notes === 'string' ? { postUninstallNotes: notes } : {}),
      });
    }
    return results;
  }

  repositories(): Promise<Repository[]> {
    return this.deps.store.load();
  }

  /**
   * Cosmos's checks first (name, URI, index), then the repository is loaded: only one that loads is saved. The
   * checks run again on the list as it is when saved, since another command may have changed it meanwhile.
   */
  async addRepository(repository: Repository, index?: number): Promise<Repository[]> {
    const list = addRepository(await this.deps.store.load(), repository, index);
    const added = list.find((held) => held.name === repository.name.trim())!;
    await this.universe(added);
    return this.deps.store.update((current) => addRepository(current, repository, index));
  }

  async removeRepository(name: string): Promise<Repository[]> {
    let removed: Repository | undefined;
    const list = await this.deps.store.update((before) => {
      removed = before.find((repository) => repository.name === name);
      return removeRepository(before, name);
    });
    if (removed) this.universes.delete(removed.uri);
    return list;
  }
}
