import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { parse } from 'smol-toml';
import { rejectionOf, thrownBy } from '../../helpers/errors.js';
import { afterEach, describe, expect, it } from 'vitest';

import { ConfigError, DcosError, UsageError } from '../../../src/lib/errors.js';
import {
  ClusterStore,
  clusterName,
  dcosDir,
  findCluster,
  noClusterError,
  resolveCluster,
  selectCluster,
  settingString,
  type ClusterEntry,
} from '../../../src/lib/config/clusters.js';
import type { EnvSource } from '../../../src/lib/config/keys.js';
import {
  clusterToml,
  modeOf,
  removeTempDirs,
  snapshot,
  tempDcosDir,
  tempFilesIn,
  writeClusterFile,
} from './helpers.js';

afterEach(removeTempDirs);

/** Three clusters on disk; `beta` is attached unless told otherwise. */
async function threeClusters(options: { attached?: string[] } = {}): Promise<ClusterStore> {
  const root = await tempDcosDir();
  const attached = options.attached ?? ['beta-2222'];
  await writeClusterFile(root, 'alpha-1111', clusterToml('alpha', 'https://alpha.example.com'), {
    attached: attached.includes('alpha-1111'),
  });
  await writeClusterFile(root, 'beta-2222', clusterToml('beta', 'https://beta.example.com'), {
    attached: attached.includes('beta-2222'),
  });
  await writeClusterFile(root, 'gamma-3333', clusterToml('gamma', 'https://gamma.example.com'), {
    attached: attached.includes('gamma-3333'),
  });
  return new ClusterStore(root);
}

function select(clusters: readonly ClusterEntry[], flag: string | undefined, env: EnvSource = {}) {
  return selectCluster(clusters, { flag, env })?.id;
}

describe('dcosDir', () => {
  it('uses DCOS_DIR, resolved against the working directory', () => {
    expect(dcosDir({ DCOS_DIR: '/opt/dcos-config' }, '/home/u')).toBe(resolve('/opt/dcos-config'));
    expect(dcosDir({ DCOS_DIR: 'conf/dcos' }, '/home/u')).toBe(resolve('/home/u', 'conf/dcos'));
  });

  it('defaults to ~/.dcos, also when DCOS_DIR is empty', () => {
    expect(dcosDir({})).toBe(join(homedir(), '.dcos'));
    expect(dcosDir({ DCOS_DIR: '' })).toBe(join(homedir(), '.dcos'));
  });
});

describe('ClusterStore.list', () => {
  it('returns nothing when DCOS_DIR or its clusters dir does not exist', async () => {
    const root = await tempDcosDir();
    expect(await new ClusterStore(root).list()).toEqual([]);
    await mkdir(root);
    expect(await new ClusterStore(root).list()).toEqual([]);
  });

  it('reads every cluster in the DC/OS CLI layout, sorted by id, with its attached marker', async () => {
    const store = await threeClusters();
    const clusters = await store.list();
    expect(clusters.map((c) => [c.id, c.attached])).toEqual([
      ['alpha-1111', false],
      ['beta-2222', true],
      ['gamma-3333', false],
    ]);
    const beta = clusters[1] as ClusterEntry;
    expect(beta.dir).toBe(join(store.root, 'clusters', 'beta-2222'));
    expect(beta.settings).toEqual({ 'cluster.name': 'beta', 'core.dcos_url': 'https://beta.example.com' });
    expect(beta.problem).toBeUndefined();
  });

  it('skips directories without a dcos.toml and stray files', async () => {
    const store = await threeClusters();
    await mkdir(join(store.clustersDir, 'half-removed'));
    await writeFile(join(store.clustersDir, 'README'), 'not a cluster');
    await writeFile(join(store.clustersDir, 'alpha-1111', '.dcos.toml.abc.tmp'), 'leftover');
    expect((await store.list()).map((c) => c.id)).toEqual(['alpha-1111', 'beta-2222', 'gamma-3333']);
  });

  it('marks a cluster with malformed TOML, names file and line, loads the others, leaves the file alone', async () => {
    const store = await threeClusters();
    const bad = join(store.clustersDir, 'beta-2222', 'dcos.toml');
    await writeFile(bad, '[cluster]\nname = "beta"\n\n[core\ndcos_url = "https://beta.example.com"\n');
    const before = await snapshot(bad);

    const clusters = await store.list();
    expect(clusters.map((c) => c.id)).toEqual(['alpha-1111', 'beta-2222', 'gamma-3333']);
    const [alpha, beta, gamma] = clusters as [ClusterEntry, ClusterEntry, ClusterEntry];
    expect(alpha.settings['core.dcos_url']).toBe('https://alpha.example.com');
    expect(gamma.settings['core.dcos_url']).toBe('https://gamma.example.com');
    expect(alpha.problem).toBeUndefined();

    expect(beta.problem).toBeInstanceOf(ConfigError);
    expect(beta.problem?.code).toBe('invalid_config_file');
    expect(beta.problem?.details).toEqual({ path: bad });
    const message = beta.problem?.message ?? '';
    expect(message).not.toContain('\n');
    expect(message).toContain(bad);
    expect(message).toMatch(/line 4\b/);
    expect(beta.settings).toEqual({});
    expect(beta.attached).toBe(true);

    expect(await snapshot(bad)).toEqual(before);
  });

  it('reports an unreadable dcos.toml as a problem and keeps its attached marker', async () => {
    const store = await threeClusters();
    // A directory where the file should be: reading fails with EISDIR, even for root.
    const file = join(store.clustersDir, 'beta-2222', 'dcos.toml');
    await writeFile(join(store.clustersDir, 'beta-2222', 'attached'), '');
    await rm(file);
    await mkdir(file);
    const clusters = await store.list();
    const beta = clusters.find((c) => c.id === 'beta-2222') as ClusterEntry;
    expect(beta.problem).toBeInstanceOf(ConfigError);
    expect(beta.problem?.message).toContain(`cannot read ${file}`);
    expect(beta.attached).toBe(true);
    // The attached cluster is broken: say so, rather than "no cluster is attached".
    expect(() => resolveCluster(clusters, { env: {} })).toThrow(beta.problem as Error);
  });
});

describe('ClusterStore writes', () => {
  it('save creates DCOS_DIR, clusters/ and the cluster dir as 0700 and dcos.toml as 0600', async () => {
    const root = await tempDcosDir();
    const store = new ClusterStore(root);
    const entry = await store.save('c1', { 'core.dcos_url': 'https://a.example.com', 'core.timeout': 30 });
    expect(entry).toEqual({
      id: 'c1',
      dir: join(root, 'clusters', 'c1'),
      attached: false,
      settings: { 'core.dcos_url': 'https://a.example.com', 'core.timeout': 30 },
    });
    expect(await modeOf(root)).toBe(0o700);
    expect(await modeOf(join(root, 'clusters'))).toBe(0o700);
    expect(await modeOf(entry.dir)).toBe(0o700);
    const file = join(entry.dir, 'dcos.toml');
    expect(await modeOf(file)).toBe(0o600);
    expect(parse(await readFile(file, 'utf8'))).toEqual({
      core: { dcos_url: 'https://a.example.com', timeout: 30 },
    });
    expect(await tempFilesIn(entry.dir)).toEqual([]);
  });

  it('save over a world-readable file left by another tool makes it 0600 and keeps the marker', async () => {
    const root = await tempDcosDir();
    const file = await writeClusterFile(root, 'c1', clusterToml('one', 'https://one.example.com'), {
      attached: true,
    });
    await chmod(file, 0o644);
    const store = new ClusterStore(root);
    const entry = await store.save('c1', { 'cluster.name': 'renamed' });
    expect(entry.attached).toBe(true);
    expect(await modeOf(file)).toBe(0o600);
    expect((await store.list())[0]?.settings).toEqual({ 'cluster.name': 'renamed' });
  });

  it('create uses a fresh UUID when no id is given, and the given id otherwise', async () => {
    const store = new ClusterStore(await tempDcosDir());
    const a = await store.create({ 'cluster.name': 'a' });
    const b = await store.create({ 'cluster.name': 'b' });
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(b.id).not.toBe(a.id);
    const c = await store.create({ 'cluster.name': 'c' }, 'dcos-cluster_ID.1');
    expect(c.id).toBe('dcos-cluster_ID.1');
    expect(await modeOf(c.dir)).toBe(0o700);
    expect(await modeOf(join(c.dir, 'dcos.toml'))).toBe(0o600);
    expect((await store.list()).map(clusterName).sort()).toEqual(['a', 'b', 'c']);
  });

  it.each(['../escape', '.hidden', 'a/b', '', '..', 'has space'])(
    'create refuses the unsafe id %j and writes nothing',
    async (id) => {
      const root = await tempDcosDir();
      const store = new ClusterStore(root);
      const error = await rejectionOf(store.create({ 'cluster.name': 'x' }, id), DcosError);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('not a safe directory name');
      await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it('attach writes an empty 0600 marker and moves it from the previously attached cluster', async () => {
    const store = await threeClusters();
    await store.attach('gamma-3333');
    const marker = join(store.clustersDir, 'gamma-3333', 'attached');
    expect(await readFile(marker, 'utf8')).toBe('');
    expect(await modeOf(marker)).toBe(0o600);
    const clusters = await store.list();
    expect(clusters.filter((c) => c.attached).map((c) => c.id)).toEqual(['gamma-3333']);
    // Attaching the attached cluster again is harmless.
    await store.attach('gamma-3333');
    expect((await store.list()).filter((c) => c.attached).map((c) => c.id)).toEqual(['gamma-3333']);
  });

  it('attach after create keeps the directories private', async () => {
    const root = await tempDcosDir();
    const store = new ClusterStore(root);
    const entry = await store.create({ 'core.dcos_url': 'https://a.example.com' });
    await store.attach(entry.id);
    expect(await modeOf(root)).toBe(0o700);
    expect(await modeOf(store.clustersDir)).toBe(0o700);
    expect(await modeOf(entry.dir)).toBe(0o700);
    expect(await modeOf(join(entry.dir, 'attached'))).toBe(0o600);
    expect(await modeOf(join(entry.dir, 'dcos.toml'))).toBe(0o600);
  });

  it('attach of an unknown id fails and leaves the current attachment in place', async () => {
    const store = await threeClusters();
    const error = await rejectionOf(store.attach('nope'), DcosError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((await store.list()).filter((c) => c.attached).map((c) => c.id)).toEqual(['beta-2222']);
  });

  it('remove deletes the cluster directory', async () => {
    const store = await threeClusters();
    await store.remove('beta-2222');
    expect((await store.list()).map((c) => c.id)).toEqual(['alpha-1111', 'gamma-3333']);
    expect(await readdir(store.clustersDir)).toEqual(expect.not.arrayContaining(['beta-2222']));
  });
});

describe('findCluster', () => {
  it('finds by name, by id and by unique id prefix', async () => {
    const clusters = await (await threeClusters()).list();
    expect(findCluster(clusters, 'gamma').id).toBe('gamma-3333');
    expect(findCluster(clusters, 'alpha-1111').id).toBe('alpha-1111');
    expect(findCluster(clusters, 'bet').id).toBe('beta-2222');
  });

  it('prefers an exact id over another cluster whose id it prefixes', async () => {
    const root = await tempDcosDir();
    await writeClusterFile(root, 'abc', clusterToml('one', 'https://one.example.com'));
    await writeClusterFile(root, 'abcd', clusterToml('two', 'https://two.example.com'));
    const clusters = await new ClusterStore(root).list();
    expect(findCluster(clusters, 'abc').id).toBe('abc');
    expect(findCluster(clusters, 'abcd').id).toBe('abcd');
  });

  it('rejects an ambiguous id prefix, listing the candidates', async () => {
    const root = await tempDcosDir();
    await writeClusterFile(root, 'a1b2-one', clusterToml('one', 'https://one.example.com'));
    await writeClusterFile(root, 'a1b2-two', clusterToml('two', 'https://two.example.com'));
    const clusters = await new ClusterStore(root).list();
    const error = thrownBy(() => findCluster(clusters, 'a1b2'), DcosError);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('ambiguous_cluster');
    expect(error.details).toEqual({ candidates: ['a1b2-one', 'a1b2-two'] });
    expect(findCluster(clusters, 'a1b2-t').id).toBe('a1b2-two');
  });

  it('rejects a name shared by two clusters', async () => {
    const root = await tempDcosDir();
    await writeClusterFile(root, 'id-1', clusterToml('prod', 'https://one.example.com'));
    await writeClusterFile(root, 'id-2', clusterToml('prod', 'https://two.example.com'));
    const clusters = await new ClusterStore(root).list();
    const error = thrownBy(() => findCluster(clusters, 'prod'), DcosError);
    expect(error.code).toBe('ambiguous_cluster');
    expect(error.message).toContain('id-1, id-2');
  });

  it('rejects an unknown name', async () => {
    const clusters = await (await threeClusters()).list();
    const error = thrownBy(() => findCluster(clusters, 'delta'), DcosError);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('cluster_not_found');
    expect(error.message).toContain('"delta"');
    expect(thrownBy(() => findCluster([], 'anything'), DcosError).code).toBe('cluster_not_found');
  });
});

describe('selectCluster precedence: --cluster > DCOS_CLUSTER > only cluster > attached', () => {
  it('uses the attached cluster when nothing else is said', async () => {
    const clusters = await (await threeClusters()).list();
    expect(select(clusters, undefined)).toBe('beta-2222');
    expect(select(clusters, '', { DCOS_CLUSTER: '' })).toBe('beta-2222');
  });

  it('DCOS_CLUSTER beats the attached cluster', async () => {
    const clusters = await (await threeClusters()).list();
    expect(select(clusters, undefined, { DCOS_CLUSTER: 'gamma' })).toBe('gamma-3333');
    expect(select(clusters, undefined, { DCOS_CLUSTER: 'alpha-1111' })).toBe('alpha-1111');
    expect(select(clusters, '', { DCOS_CLUSTER: 'gam' })).toBe('gamma-3333');
  });

  it('--cluster beats DCOS_CLUSTER and the attached cluster', async () => {
    const clusters = await (await threeClusters()).list();
    expect(select(clusters, 'alpha', { DCOS_CLUSTER: 'gamma' })).toBe('alpha-1111');
    expect(select(clusters, 'gamma-3333')).toBe('gamma-3333');
  });

  it('an unknown --cluster or DCOS_CLUSTER is an error, not a fallback', async () => {
    const clusters = await (await threeClusters()).list();
    expect(thrownBy(() => select(clusters, 'delta'), DcosError).code).toBe('cluster_not_found');
    expect(thrownBy(() => select(clusters, undefined, { DCOS_CLUSTER: 'delta' }), DcosError).code).toBe(
      'cluster_not_found',
    );
  });

  it('the only cluster is used even when it is not attached', async () => {
    const root = await tempDcosDir();
    await writeClusterFile(root, 'solo', clusterToml('solo', 'https://solo.example.com'));
    expect(select(await new ClusterStore(root).list(), undefined)).toBe('solo');
  });

  it('returns undefined when several clusters exist and none is attached', async () => {
    const clusters = await (await threeClusters({ attached: [] })).list();
    expect(selectCluster(clusters, { env: {} })).toBeUndefined();
    expect(selectCluster([], { env: {} })).toBeUndefined();
  });

  it('two attached clusters is an error unless a cluster is named explicitly', async () => {
    const clusters = await (await threeClusters({ attached: ['alpha-1111', 'gamma-3333'] })).list();
    const error = thrownBy(() => select(clusters, undefined), DcosError);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('multiple_attached');
    expect(error.message).toContain('alpha, gamma');
    expect(select(clusters, 'beta')).toBe('beta-2222');
    expect(select(clusters, undefined, { DCOS_CLUSTER: 'alpha' })).toBe('alpha-1111');
  });
});

describe('resolveCluster', () => {
  it('returns the selected cluster with its name, dir and settings', async () => {
    const store = await threeClusters();
    const resolved = resolveCluster(await store.list(), { env: {} });
    expect(resolved).toEqual({
      id: 'beta-2222',
      name: 'beta',
      dir: join(store.clustersDir, 'beta-2222'),
      fileSettings: { 'cluster.name': 'beta', 'core.dcos_url': 'https://beta.example.com' },
      settings: { 'cluster.name': 'beta', 'core.dcos_url': 'https://beta.example.com' },
    });
  });

  it('falls back to the id as the name', async () => {
    const root = await tempDcosDir();
    await writeClusterFile(root, 'no-name', '[core]\ndcos_url = "https://n.example.com"\n');
    expect(resolveCluster(await new ClusterStore(root).list(), { env: {} }).name).toBe('no-name');
  });

  it('applies flag > env > file to the settings, keeping fileSettings as the file has them', async () => {
    const root = await tempDcosDir();
    await writeClusterFile(
      root,
      'c1',
      clusterToml(
        'prod',
        'https://file.example.com',
        'dcos_acs_token = "file-token"\nssl_verify = "true"\ntimeout = 100\n',
      ),
    );
    const clusters = await new ClusterStore(root).list();
    const env = {
      DCOS_URL: 'https://env.example.com/',
      DCOS_ACS_TOKEN: 'env-token',
      DCOS_SSL_VERIFY: 'false',
      DCOS_TIMEOUT: '20',
    };

    const fromFile = resolveCluster(clusters, { env: {} }).settings;
    expect(fromFile).toMatchObject({
      'core.dcos_url': 'https://file.example.com',
      'core.dcos_acs_token': 'file-token',
      'core.ssl_verify': 'true',
      'core.timeout': 100,
    });

    const fromEnv = resolveCluster(clusters, { env });
    expect(fromEnv.settings).toEqual({
      'cluster.name': 'prod',
      'core.dcos_url': 'https://env.example.com',
      'core.dcos_acs_token': 'env-token',
      'core.ssl_verify': 'false',
      'core.timeout': 20,
    });
    expect(fromEnv.fileSettings['core.dcos_acs_token']).toBe('file-token');
    expect(fromEnv.fileSettings['core.timeout']).toBe(100);

    const fromFlag = resolveCluster(clusters, { env, overrides: { 'core.timeout': 7 } });
    expect(fromFlag.settings['core.timeout']).toBe(7);
    expect(fromFlag.settings['core.dcos_url']).toBe('https://env.example.com');
  });

  it('ignores empty environment variables', async () => {
    const store = await threeClusters();
    const resolved = resolveCluster(await store.list(), {
      env: { DCOS_URL: '', DCOS_ACS_TOKEN: '', DCOS_TIMEOUT: '', DCOS_SSL_VERIFY: '', DCOS_CLUSTER: '' },
    });
    expect(resolved.settings).toEqual(resolved.fileSettings);
    expect(resolved.id).toBe('beta-2222');
  });

  it('an invalid environment value is a UsageError naming the variable', async () => {
    const clusters = await (await threeClusters()).list();
    const error = thrownBy(() => resolveCluster(clusters, { env: { DCOS_TIMEOUT: 'abc' } }), DcosError);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('invalid_env');
    expect(error.message).toContain('DCOS_TIMEOUT');
  });

  it('throws the parse problem of the selected cluster, without modifying its file', async () => {
    const store = await threeClusters();
    const bad = join(store.clustersDir, 'alpha-1111', 'dcos.toml');
    await writeFile(bad, '[core]\ntimeout = = 3\n');
    const before = await snapshot(bad);
    const clusters = await store.list();
    const problem = clusters[0]?.problem;
    expect(problem).toBeInstanceOf(ConfigError);
    expect(problem?.message).toMatch(/line 2\b/);
    expect(() => resolveCluster(clusters, { flag: 'alpha-1111', env: {} })).toThrow(problem as Error);
    expect(() => resolveCluster(clusters, { env: { DCOS_CLUSTER: 'alp' } })).toThrow(problem as Error);
    // The other clusters still resolve.
    expect(resolveCluster(clusters, { env: {} }).id).toBe('beta-2222');
    expect(await snapshot(bad)).toEqual(before);
  });

  it('throws the parse problem of the attached cluster', async () => {
    const store = await threeClusters();
    await writeFile(join(store.clustersDir, 'beta-2222', 'dcos.toml'), 'name = "unterminated\n');
    const clusters = await store.list();
    const error = thrownBy(() => resolveCluster(clusters, { env: {} }), DcosError);
    expect(error.code).toBe('invalid_config_file');
    expect(error.message).toContain(join('beta-2222', 'dcos.toml'));
  });

  it('describes a cluster from DCOS_URL (+ token) alone when nothing is configured', () => {
    const resolved = resolveCluster([], {
      env: { DCOS_URL: 'https://ci.example.com:8443/', DCOS_ACS_TOKEN: 'ci-token', DCOS_TIMEOUT: '15' },
    });
    expect(resolved).toEqual({
      id: 'env',
      name: 'ci.example.com:8443',
      dir: undefined,
      fileSettings: {},
      settings: {
        'core.dcos_url': 'https://ci.example.com:8443',
        'core.dcos_acs_token': 'ci-token',
        'core.timeout': 15,
      },
    });
  });

  it('uses DCOS_URL when clusters exist but none is selected', async () => {
    const clusters = await (await threeClusters({ attached: [] })).list();
    const resolved = resolveCluster(clusters, { env: { DCOS_URL: 'https://ci.example.com' } });
    expect(resolved.id).toBe('env');
    expect(resolved.dir).toBeUndefined();
  });

  it('prefers the attached cluster over DCOS_URL as the cluster, with DCOS_URL as its URL', async () => {
    const clusters = await (await threeClusters()).list();
    const resolved = resolveCluster(clusters, { env: { DCOS_URL: 'https://ci.example.com' } });
    expect(resolved.id).toBe('beta-2222');
    expect(resolved.settings['core.dcos_url']).toBe('https://ci.example.com');
  });

  it('throws no_cluster when nothing is configured, attached or in DCOS_URL', async () => {
    for (const clusters of [[], await (await threeClusters({ attached: [] })).list()]) {
      const error = thrownBy(() => resolveCluster(clusters, { env: { DCOS_ACS_TOKEN: 'tok' } }), DcosError);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.code).toBe('no_cluster');
      expect(error.message).toBe(noClusterError().message);
      expect(error.message).toContain('dcos cluster setup');
    }
  });

  describe('DCOS_URL naming another origin than the stored core.dcos_url', () => {
    async function storedWithSecrets() {
      const root = await tempDcosDir();
      await writeClusterFile(
        root,
        'c1',
        clusterToml(
          'prod',
          'https://prod.example.com',
          'dcos_acs_token = "file-token"\nbasic_auth_username = "ops"\nbasic_auth_password = "file-pw"\n' +
            'timeout = 30\n[marathon]\nurl = "https://marathon.prod.example.com"\n' +
            '[mesos]\nmaster_url = "https://mesos.prod.example.com"\n' +
            '[package]\ncosmos_url = "https://cosmos.prod.example.com"\n',
        ),
        { attached: true },
      );
      return new ClusterStore(root).list();
    }

    it('leaves out the stored credentials and service URLs, keeps the rest, and says what happened', async () => {
      const clusters = await storedWithSecrets();
      const resolved = resolveCluster(clusters, { env: { DCOS_URL: 'https://other.example.com' } });
      expect(resolved.settings).toEqual({
        'cluster.name': 'prod',
        'core.dcos_url': 'https://other.example.com',
        'core.timeout': 30,
      });
      expect(resolved.urlOverride).toEqual({
        stored: 'https://prod.example.com',
        effective: 'https://other.example.com',
      });
      // The file is still the file: logout and config set work on it.
      expect(resolved.fileSettings['core.dcos_acs_token']).toBe('file-token');
    });

    it('takes DCOS_ACS_TOKEN, which was given for that URL', async () => {
      const clusters = await storedWithSecrets();
      const resolved = resolveCluster(clusters, {
        env: { DCOS_URL: 'https://other.example.com', DCOS_ACS_TOKEN: 'env-token' },
      });
      expect(resolved.settings['core.dcos_acs_token']).toBe('env-token');
      expect(resolved.settings['core.basic_auth_password']).toBeUndefined();
    });

    it.each([
      ['another port', 'https://prod.example.com:8443'],
      ['another scheme', 'http://prod.example.com'],
      ['another host', 'https://prod.example.com.evil.test'],
    ])('counts %s as another origin', async (_what, url) => {
      const resolved = resolveCluster(await storedWithSecrets(), { env: { DCOS_URL: url } });
      expect(resolved.settings['core.dcos_acs_token']).toBeUndefined();
      expect(resolved.urlOverride?.effective).toBe(url);
    });

    it('keeps everything for the same origin spelled differently, and through DCOS_CLUSTER and --cluster', async () => {
      const clusters = await storedWithSecrets();
      for (const input of [
        { env: { DCOS_URL: 'https://PROD.example.com:443/some/path/' } },
        { env: { DCOS_CLUSTER: 'prod', DCOS_URL: 'https://prod.example.com' } },
        { flag: 'prod', env: {} },
      ]) {
        const resolved = resolveCluster(clusters, input);
        expect(resolved.settings['core.dcos_acs_token']).toBe('file-token');
        expect(resolved.settings['marathon.url']).toBe('https://marathon.prod.example.com');
        expect(resolved.urlOverride).toBeUndefined();
      }
      const viaFlag = resolveCluster(clusters, {
        flag: 'prod',
        env: { DCOS_URL: 'https://other.example.com' },
      });
      expect(viaFlag.settings['core.dcos_acs_token']).toBeUndefined();
    });
  });

  it('DCOS_CLUSTER naming a missing cluster is an error even with DCOS_URL set', () => {
    const error = thrownBy(
      () => resolveCluster([], { env: { DCOS_CLUSTER: 'prod', DCOS_URL: 'https://ci.example.com' } }),
      DcosError,
    );
    expect(error.code).toBe('cluster_not_found');
  });
});

describe('helpers', () => {
  it('clusterName prefers cluster.name, else the id', () => {
    expect(clusterName({ id: 'x', settings: { 'cluster.name': 'prod' } })).toBe('prod');
    expect(clusterName({ id: 'x', settings: { 'cluster.name': '' } })).toBe('x');
    expect(clusterName({ id: 'x', settings: {} })).toBe('x');
  });

  it('settingString stringifies or returns undefined', () => {
    expect(settingString({ 'core.timeout': 5, 'core.ssl_verify': false }, 'core.timeout')).toBe('5');
    expect(settingString({ 'core.ssl_verify': false }, 'core.ssl_verify')).toBe('false');
    expect(settingString({}, 'core.timeout')).toBeUndefined();
  });
});

describe('ClusterStore permissions', () => {
  it('tightens directories and files of ours that others could read or change, and says so once', async () => {
    const store = await threeClusters();
    const clusterDir = join(store.clustersDir, 'alpha-1111');
    const file = join(clusterDir, 'dcos.toml');
    await chmod(store.root, 0o777);
    await chmod(clusterDir, 0o755);
    await chmod(file, 0o644);
    const warnings: string[] = [];
    const warned = new ClusterStore(store.root, { warn: (message) => warnings.push(message) });
    expect((await warned.list()).map((cluster) => cluster.id)).toHaveLength(3);
    expect(await modeOf(store.root)).toBe(0o700);
    expect(await modeOf(clusterDir)).toBe(0o700);
    expect(await modeOf(file)).toBe(0o600);
    expect(warnings).toEqual(
      expect.arrayContaining([
        `${store.root} was open to other users (mode 0777) and holds cluster credentials: changed to 0700`,
        `${clusterDir} was open to other users (mode 0755) and holds cluster credentials: changed to 0700`,
        `${file} was open to other users (mode 0644) and holds cluster credentials: changed to 0600`,
      ]),
    );
    const told = warnings.length;
    await warned.list();
    expect(warnings).toHaveLength(told);
    const later: string[] = [];
    await new ClusterStore(store.root, { warn: (message) => later.push(message) }).list();
    expect(later).toEqual([]);
  });
});

describe('ClusterStore.update', () => {
  it('applies each change to the file as it is now, so parallel updates all land', async () => {
    const store = await threeClusters();
    await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        store.update('alpha-1111', (current) => ({ ...current, [`marathon.extra${index}`]: `v${index}` })),
      ),
    );
    const [alpha] = (await store.list()).filter((cluster) => cluster.id === 'alpha-1111');
    for (let index = 0; index < 12; index++)
      expect(alpha?.settings[`marathon.extra${index}`]).toBe(`v${index}`);
    expect(alpha?.settings['core.dcos_url']).toBe('https://alpha.example.com');
    expect(await readdir(join(store.clustersDir, 'alpha-1111'))).not.toContain('dcos.toml.lock');
  });

  it('refuses to change a file it cannot parse, leaving it as it is', async () => {
    const store = await threeClusters();
    const file = join(store.clustersDir, 'beta-2222', 'dcos.toml');
    await writeFile(file, '[core\nbroken');
    await rejectionOf(
      store.update('beta-2222', (current) => ({ ...current, 'core.timeout': 5 })),
      ConfigError,
    );
    expect(await readFile(file, 'utf8')).toBe('[core\nbroken');
  });
});
