import { describe, expect, it } from 'vitest';

import { DcosError } from '../../../src/lib/errors.js';
import { HttpError } from '../../../src/lib/http/errors.js';
import type { MarathonClient } from '../../../src/lib/marathon/client.js';
import { ClientPackageManager, type PackageMarathon } from '../../../src/lib/packages/client-manager.js';
import { CosmosError } from '../../../src/lib/packages/errors.js';
import type { RepositoryStore } from '../../../src/lib/packages/repositories.js';
import type { Repository, UniversePackage } from '../../../src/lib/packages/types.js';
import { rejectionOf } from '../../helpers/errors.js';
import { helloworldPackage, stubPackage, templateOf, v3Packages } from './fixtures.js';

// The CLI's Marathon client is what the manager gets in production: it must fit.
const _marathonClientFits = (client: MarathonClient): PackageMarathon => client;

type App = Record<string, unknown> & { id: string };

/** An in-memory Marathon: apps by id, 409 on a taken id, 404 on an unknown one, like the real one. */
class FakeMarathon implements PackageMarathon {
  apps: App[] = [];
  removed: string[] = [];

  async listApps(): Promise<unknown[]> {
    return structuredClone(this.apps);
  }

  async createApp(app: unknown): Promise<unknown> {
    const created = structuredClone(app) as App;
    created.id = `/${created.id.replace(/^\/+/, '')}`;
    if (this.apps.some((held) => held.id === created.id)) {
      throw new HttpError({
        status: 409,
        method: 'POST',
        url: 'http://marathon/v2/apps',
        body: { message: `An app with id [${created.id}] already exists.` },
      });
    }
    this.apps.push(created);
    return { deploymentId: 'd1', version: '2024-01-01T00:00:00.000Z' };
  }

  async removeApp(id: string): Promise<unknown> {
    const before = this.apps.length;
    this.apps = this.apps.filter((app) => app.id !== id);
    if (this.apps.length === before) {
      throw new HttpError({ status: 404, method: 'DELETE', url: `http://marathon/v2/apps${id}`, body: {} });
    }
    this.removed.push(id);
    return { deploymentId: 'd2', version: '2024-01-01T00:00:01.000Z' };
  }
}

class MemoryStore implements RepositoryStore {
  saved = 0;
  constructor(private list: Repository[]) {}
  async load() {
    return [...this.list];
  }
  async save(list: Repository[]) {
    this.saved += 1;
    this.list = [...list];
  }
  async update(change: (current: Repository[]) => Repository[]) {
    const next = change(await this.load());
    await this.save(next);
    return next;
  }
}

const UNIVERSE: Repository = { name: 'Universe', uri: 'https://universe.example/repo' };
const EXTRA: Repository = { name: 'extra', uri: 'file:///srv/extra' };

function extraPackages(): UniversePackage[] {
  return [
    helloworldPackage(),
    stubPackage({
      name: 'cli-only',
      version: '2.0',
      postInstallNotes: 'Use dcos cli-only',
      resource: { cli: { binaries: {} } },
    }),
    stubPackage({
      name: 'sleeper',
      framework: true,
      postUninstallNotes: 'Sleeper is gone.',
      config: { properties: { service: { properties: { name: { type: 'string', default: 'sleeper' } } } } },
      marathon: templateOf('{"id": "{{service.name}}", "cmd": "sleep 1000"}'),
    }),
  ];
}

function setup(options: { marathon?: FakeMarathon | null; repositories?: Repository[] } = {}) {
  const marathon = options.marathon === null ? undefined : (options.marathon ?? new FakeMarathon());
  const store = new MemoryStore(options.repositories ?? [UNIVERSE, EXTRA]);
  const loads: string[] = [];
  const loadUniverse = async (uri: string) => {
    loads.push(uri);
    if (uri === UNIVERSE.uri) return v3Packages();
    if (uri === EXTRA.uri) return extraPackages();
    throw new DcosError(`cannot fetch the Universe repository ${uri}`, { code: 'repository_unavailable' });
  };
  const manager = new ClientPackageManager({ store, loadUniverse, ...(marathon ? { marathon } : {}) });
  return { manager, marathon: marathon!, store, loads };
}

describe('ClientPackageManager without a cluster', () => {
  it('searches, describes, lists versions and renders', async () => {
    const { manager } = setup({ marathon: null });
    expect(manager.kind).toBe('client');
    expect((await manager.search()).map((result) => result.name)).toEqual([
      'cassandra',
      'cli-only',
      'helloworld',
      'nginx',
      'sleeper',
    ]);
    expect((await manager.describe('cassandra')).releaseVersion).toBe(7);
    expect((await manager.describe('cassandra', '0.2.0-2')).releaseVersion).toBe(1);
    expect(await manager.listVersions('nginx')).toEqual({ '1.8.1': '1' });
    const app = await manager.render({ packageName: 'helloworld', options: { port: 81 }, appId: 'hw' });
    expect(app).toMatchObject({ id: '/hw', cmd: 'python3 -m http.server 81' });
    expect((app.labels as Record<string, string>).DCOS_PACKAGE_SOURCE).toBe(EXTRA.uri);
  });

  it('refuses install, list and uninstall with the no-cluster error', async () => {
    const { manager } = setup({ marathon: null });
    for (const attempt of [
      manager.install({ packageName: 'helloworld' }),
      manager.list(),
      manager.uninstall({ packageName: 'helloworld' }),
    ]) {
      const error = await rejectionOf(attempt, DcosError);
      expect(error.code).toBe('no_cluster');
      expect(error.message).toMatch(/^no cluster is attached/);
    }
    const custom = new ClientPackageManager({
      store: new MemoryStore([]),
      loadUniverse: async () => [],
      noCluster: 'attach one first',
    });
    expect((await rejectionOf(custom.list(), DcosError)).message).toBe('attach one first');
  });

  it('reads each repository once per manager, and again after a failure', async () => {
    const { manager, loads, store } = setup({ marathon: null });
    await manager.search();
    await manager.describe('nginx');
    await manager.listVersions('cassandra');
    expect(loads).toEqual([UNIVERSE.uri, EXTRA.uri]);

    // A failing repository added behind the manager's back (by another process) is tried again each time.
    await store.save([...(await store.load()), { name: 'broken', uri: 'https://broken.example/repo' }]);
    const failed = await rejectionOf(manager.search(), DcosError);
    expect(failed.message).toBe(
      'repository broken (https://broken.example/repo): cannot fetch the Universe repository https://broken.example/repo',
    );
    await rejectionOf(manager.search(), DcosError);
    expect(loads.filter((uri) => uri === 'https://broken.example/repo')).toHaveLength(2);
    expect(store.saved).toBe(1);
  });
});

describe('ClientPackageManager.install', () => {
  it('posts the rendered app and answers like Cosmos', async () => {
    const { manager, marathon } = setup();
    const response = await manager.install({ packageName: 'helloworld' });
    expect(response).toEqual({
      packageName: 'helloworld',
      packageVersion: '0.1.0',
      appId: '/helloworld',
      postInstallNotes: 'A sample post-installation message',
      cli: helloworldPackage().resource!.cli,
    });
    expect(marathon.apps).toHaveLength(1);
    expect(marathon.apps[0]!.labels).toMatchObject({
      DCOS_PACKAGE_NAME: 'helloworld',
      DCOS_PACKAGE_RELEASE: '0',
    });
  });

  it('turns a taken app id into PackageAlreadyInstalled, and installs again under another id', async () => {
    const { manager, marathon } = setup();
    await manager.install({ packageName: 'helloworld' });
    const error = await rejectionOf(manager.install({ packageName: 'helloworld' }), CosmosError);
    expect(error.type).toBe('PackageAlreadyInstalled');
    expect(error.message).toMatch(/^Package is already installed/);
    expect(error.details).toMatchObject({ status: 409 });
    expect((await manager.install({ packageName: 'helloworld', appId: 'hello-2' })).appId).toBe('/hello-2');
    expect(marathon.apps.map((app) => app.id)).toEqual(['/helloworld', '/hello-2']);
  });

  it('passes other Marathon failures through', async () => {
    const marathon = new FakeMarathon();
    marathon.createApp = async () => {
      throw new HttpError({
        status: 409,
        method: 'POST',
        url: 'http://marathon/v2/apps',
        body: { message: 'locked', deployments: [{ id: 'dep-1' }] },
      });
    };
    const { manager } = setup({ marathon });
    const error = await rejectionOf(manager.install({ packageName: 'nginx' }), HttpError);
    expect(error.message).toContain('dep-1');
  });

  it('installs nothing for a package without a template', async () => {
    const { manager, marathon } = setup();
    const response = await manager.install({ packageName: 'cli-only' });
    expect(response).toEqual({
      packageName: 'cli-only',
      packageVersion: '2.0',
      postInstallNotes: 'Use dcos cli-only',
      cli: { binaries: {} },
    });
    expect(marathon.apps).toEqual([]);
  });

  it('refuses bad options before reaching Marathon', async () => {
    const { manager, marathon } = setup();
    await expect(manager.install({ packageName: 'helloworld', options: { port: 'x' } })).rejects.toThrow(
      'options for helloworld are invalid: /port: must be integer',
    );
    expect(marathon.apps).toEqual([]);
  });
});

describe('ClientPackageManager.list', () => {
  it('lists apps that carry package labels, filtered by name and app id', async () => {
    const { manager, marathon } = setup();
    marathon.apps.push({ id: '/plain', cmd: 'sleep 1' });
    await manager.install({ packageName: 'helloworld' });
    await manager.install({ packageName: 'sleeper', appId: 'team/sleeper' });
    await manager.install({ packageName: 'nginx' });

    const all = await manager.list();
    expect(all.map((entry) => entry.appId)).toEqual(['/helloworld', '/team/sleeper', '/nginx']);
    expect(all[2]!.packageInformation.packageDefinition).toMatchObject({ name: 'nginx', version: '1.8.1' });
    expect((await manager.list({ packageName: 'sleeper' })).map((entry) => entry.appId)).toEqual([
      '/team/sleeper',
    ]);
    expect((await manager.list({ appId: 'team/sleeper/' })).map((entry) => entry.appId)).toEqual([
      '/team/sleeper',
    ]);
    expect(await manager.list({ packageName: 'sleeper', appId: '/helloworld' })).toEqual([]);
  });
});

describe('ClientPackageManager.uninstall', () => {
  it('removes the one app of a package and returns its notes', async () => {
    const { manager, marathon } = setup();
    await manager.install({ packageName: 'sleeper' });
    await manager.install({ packageName: 'helloworld' });
    expect(await manager.uninstall({ packageName: 'sleeper' })).toEqual([
      {
        packageName: 'sleeper',
        appId: '/sleeper',
        packageVersion: '1.0.0',
        postUninstallNotes: 'Sleeper is gone.',
      },
    ]);
    expect(marathon.removed).toEqual(['/sleeper']);
    expect(marathon.apps.map((app) => app.id)).toEqual(['/helloworld']);
  });

  it('refuses to guess between several apps of a package', async () => {
    const { manager, marathon } = setup();
    await manager.install({ packageName: 'sleeper', appId: 'a' });
    await manager.install({ packageName: 'sleeper', appId: 'b' });
    const error = await rejectionOf(manager.uninstall({ packageName: 'sleeper' }), CosmosError);
    expect(error.type).toBe('AmbiguousAppId');
    expect(error.message).toMatch(/^Multiple apps named \[sleeper\] are installed: \[\/a, \/b\]/);
    expect(marathon.removed).toEqual([]);

    expect((await manager.uninstall({ packageName: 'sleeper', appId: 'b' })).map((r) => r.appId)).toEqual([
      '/b',
    ]);
    expect(marathon.apps.map((app) => app.id)).toEqual(['/a']);
  });

  it('removes every app with all', async () => {
    const { manager, marathon } = setup();
    await manager.install({ packageName: 'sleeper', appId: 'a' });
    await manager.install({ packageName: 'sleeper', appId: 'b' });
    const results = await manager.uninstall({ packageName: 'sleeper', all: true });
    expect(results.map((result) => result.appId)).toEqual(['/a', '/b']);
    expect(marathon.apps).toEqual([]);
  });

  it('says when nothing of the package is installed', async () => {
    const { manager } = setup();
    await manager.install({ packageName: 'sleeper' });
    const none = await rejectionOf(manager.uninstall({ packageName: 'helloworld' }), CosmosError);
    expect(none.type).toBe('PackageNotInstalled');
    expect(none.message).toMatch(/^Package \[helloworld\] is not installed/);
    const otherId = await rejectionOf(
      manager.uninstall({ packageName: 'sleeper', appId: '/x' }),
      CosmosError,
    );
    expect(otherId.type).toBe('PackageNotInstalled');
  });
});

describe('ClientPackageManager repositories', () => {
  it('adds and removes through the store with Cosmos rules', async () => {
    const { manager, store } = setup({ marathon: null, repositories: [UNIVERSE] });
    expect(await manager.repositories()).toEqual([UNIVERSE]);
    expect(await manager.addRepository(EXTRA, 0)).toEqual([EXTRA, UNIVERSE]);
    expect(await store.load()).toEqual([EXTRA, UNIVERSE]);
    // Packages of the added repository become visible, and go again with it.
    expect((await manager.describe('helloworld')).name).toBe('helloworld');
    await expect(manager.addRepository(EXTRA)).rejects.toThrow(/Repository name \[extra\] and URI/);
    expect(await manager.removeRepository('extra')).toEqual([UNIVERSE]);
    await expect(manager.describe('helloworld')).rejects.toThrow(/Package \[helloworld\] not found/);
    await expect(manager.removeRepository('extra')).rejects.toThrow(
      /Repository name \[extra\] is not present/,
    );
    expect(store.saved).toBe(2);
  });

  it('loads a repository before adding it: one that fails is not saved, and the error names it', async () => {
    const { manager, store, loads } = setup({ marathon: null, repositories: [UNIVERSE] });
    const broken = { name: 'broken', uri: 'https://broken.example/repo' };
    const error = await rejectionOf(manager.addRepository(broken), DcosError);
    expect(error.code).toBe('repository_unavailable');
    expect(error.message).toBe(
      'repository broken (https://broken.example/repo): cannot fetch the Universe repository https://broken.example/repo',
    );
    expect(error.details).toMatchObject({ repository: broken });
    expect(loads).toEqual([broken.uri]);
    expect(store.saved).toBe(0);
    expect(await manager.repositories()).toEqual([UNIVERSE]);
    // Cosmos's own checks come first: a duplicate is refused without loading anything.
    await expect(manager.addRepository({ name: 'Universe', uri: broken.uri })).rejects.toThrow(
      /Repository name \[Universe\] is already present/,
    );
    expect(loads).toEqual([broken.uri]);
  });
});
