import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';

import { rejectionOf, thrownBy } from '../../helpers/errors.js';
import { makeSelfSignedCert } from '../../helpers/servers.js';

import { ConfigError, DcosError, UsageError } from '../../../src/lib/errors.js';
import { ClusterStore, resolveCluster, type ResolvedCluster } from '../../../src/lib/config/clusters.js';
import { MASK, type EnvSource } from '../../../src/lib/config/keys.js';
import {
  describeKeys,
  setSetting,
  showSettings,
  unsetSetting,
} from '../../../src/lib/config/settings-ops.js';
import {
  modeOf,
  removeTempDirs,
  snapshot,
  tempDcosDir,
  tempDir,
  tempFilesIn,
  writeClusterFile,
} from './helpers.js';

afterEach(removeTempDirs);

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.real-token-value';
const PASSWORD = 'hunter2-real-password';

const FILE = `[cluster]
name = "prod"

[core]
dcos_url = "https://prod.example.com"
dcos_acs_token = "${TOKEN}"
basic_auth_username = "admin"
basic_auth_password = "${PASSWORD}"
timeout = 100
`;

interface Fixture {
  store: ClusterStore;
  file: string;
  resolve(env?: EnvSource): Promise<ResolvedCluster>;
}

async function fixture(toml = FILE): Promise<Fixture> {
  const root = await tempDcosDir();
  const file = await writeClusterFile(root, 'c1', toml, { attached: true });
  const store = new ClusterStore(root);
  return {
    store,
    file,
    resolve: async (env = {}) => resolveCluster(await store.list(), { env }),
  };
}

async function fileSettings(file: string): Promise<Record<string, unknown>> {
  return parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

describe('showSettings', () => {
  it('shows every setting sorted, with token and password masked', async () => {
    const { resolve } = await fixture();
    const shown = showSettings(await resolve());
    expect(shown).toEqual({
      'cluster.name': 'prod',
      'core.basic_auth_password': MASK,
      'core.basic_auth_username': 'admin',
      'core.dcos_acs_token': MASK,
      'core.dcos_url': 'https://prod.example.com',
      'core.timeout': 100,
    });
    expect(Object.keys(shown)).toEqual([...Object.keys(shown)].sort());
    const rendered = JSON.stringify(shown);
    expect(rendered).not.toContain(TOKEN);
    expect(rendered).not.toContain(PASSWORD);
  });

  it('masks a single secret key too', async () => {
    const { resolve } = await fixture();
    const cluster = await resolve();
    expect(showSettings(cluster, 'core.dcos_acs_token')).toEqual({ 'core.dcos_acs_token': '********' });
    expect(showSettings(cluster, 'core.basic_auth_password')).toEqual({
      'core.basic_auth_password': '********',
    });
    expect(showSettings(cluster, 'core.dcos_url')).toEqual({ 'core.dcos_url': 'https://prod.example.com' });
  });

  it('shows the effective value, env included, and masks a token from DCOS_ACS_TOKEN', async () => {
    const { resolve } = await fixture('[core]\ndcos_url = "https://prod.example.com"\n');
    const cluster = await resolve({ DCOS_ACS_TOKEN: 'env-secret-token', DCOS_TIMEOUT: '9' });
    expect(showSettings(cluster, 'core.dcos_acs_token')).toEqual({ 'core.dcos_acs_token': MASK });
    expect(showSettings(cluster, 'core.timeout')).toEqual({ 'core.timeout': 9 });
    expect(JSON.stringify(showSettings(cluster))).not.toContain('env-secret-token');
  });

  it('masks secret-looking unknown keys from a hand-edited file', async () => {
    const { resolve } = await fixture('[core]\ndcos_url = "https://p.example.com"\nprivate_secret = "xyz"\n');
    expect(showSettings(await resolve())['core.private_secret']).toBe(MASK);
  });

  it('rejects an unknown key', async () => {
    const { resolve } = await fixture();
    const cluster = await resolve();
    const error = thrownBy(() => showSettings(cluster, 'core.nope'), DcosError);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('unknown_key');
  });

  it('reports a known key that is not set', async () => {
    const { resolve } = await fixture();
    const cluster = await resolve();
    const error = thrownBy(() => showSettings(cluster, 'core.ssl_verify'), DcosError);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('not_set');
    expect(error.message).toBe('core.ssl_verify is not set');
  });
});

describe('setSetting', () => {
  it('validates, saves atomically with mode 0600 and keeps the other settings', async () => {
    const { store, file, resolve } = await fixture();
    const result = await setSetting(store, await resolve(), 'core.timeout', '60');
    expect(result).toEqual({ key: 'core.timeout', value: 60, cleared: [] });
    expect(await fileSettings(file)).toEqual({
      cluster: { name: 'prod' },
      core: {
        dcos_url: 'https://prod.example.com',
        dcos_acs_token: TOKEN,
        basic_auth_username: 'admin',
        basic_auth_password: PASSWORD,
        timeout: 60,
      },
    });
    expect(await modeOf(file)).toBe(0o600);
    expect(await tempFilesIn(join(store.clustersDir, 'c1'))).toEqual([]);
    expect((await resolve()).settings['core.timeout']).toBe(60);
  });

  it('adds a new section', async () => {
    const { store, file, resolve } = await fixture();
    await setSetting(store, await resolve(), 'marathon.url', 'http://marathon.example.com:8080/');
    expect((await fileSettings(file)).marathon).toEqual({ url: 'http://marathon.example.com:8080' });
  });

  it.each([
    ['core.timeout', '0', 'invalid_value'],
    ['core.timeout', 'abc', 'invalid_value'],
    ['core.dcos_url', 'ftp://x.example.com', 'invalid_value'],
    ['cluster.type', 'k8s', 'invalid_value'],
    ['core.colour', 'red', 'unknown_key'],
  ])('refuses %s=%j (%s) and leaves the file unchanged', async (key, raw, code) => {
    const { store, file, resolve } = await fixture();
    const before = await snapshot(file);
    const error = await rejectionOf(setSetting(store, await resolve(), key, raw), DcosError);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe(code);
    expect(await snapshot(file)).toEqual(before);
  });

  it('stores a readable CA bundle path, made absolute against cwd', async () => {
    const { store, file, resolve } = await fixture();
    const cwd = await tempDir();
    await mkdir(join(cwd, 'certs'));
    await writeFile(join(cwd, 'certs', 'ca.pem'), makeSelfSignedCert().cert);
    const result = await setSetting(store, await resolve(), 'core.ssl_verify', 'certs/ca.pem', cwd);
    expect(result.value).toBe(join(cwd, 'certs', 'ca.pem'));
    expect(((await fileSettings(file)).core as Record<string, unknown>).ssl_verify).toBe(
      join(cwd, 'certs', 'ca.pem'),
    );
  });

  it.each(['true', 'false', 'FALSE'])('stores ssl_verify %s without looking for a file', async (raw) => {
    const { store, file, resolve } = await fixture();
    await setSetting(store, await resolve(), 'core.ssl_verify', raw, await tempDir());
    expect(((await fileSettings(file)).core as Record<string, unknown>).ssl_verify).toBe(raw.toLowerCase());
  });

  it('refuses a CA path that does not exist, leaving the file unchanged', async () => {
    const { store, file, resolve } = await fixture();
    const cwd = await tempDir();
    const before = await snapshot(file);
    const error = await rejectionOf(
      setSetting(store, await resolve(), 'core.ssl_verify', 'missing.pem', cwd),
      DcosError,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('invalid_value');
    expect(error.message).toContain(join(cwd, 'missing.pem'));
    expect(await snapshot(file)).toEqual(before);
  });

  it('refuses a CA path that is a directory, leaving the file unchanged', async () => {
    const { store, file, resolve } = await fixture();
    const cwd = await tempDir();
    const before = await snapshot(file);
    const error = await rejectionOf(
      setSetting(store, await resolve(), 'core.ssl_verify', cwd, cwd),
      DcosError,
    );
    expect(error.code).toBe('invalid_value');
    expect(error.message).toContain('cannot read the CA bundle');
    expect(await snapshot(file)).toEqual(before);
  });

  it('refuses a CA path whose file is not a PEM certificate, leaving the file unchanged', async () => {
    const { store, file, resolve } = await fixture();
    const cwd = await tempDir();
    await writeFile(join(cwd, 'ca.pem'), 'not a certificate\n');
    const before = await snapshot(file);
    const error = await rejectionOf(
      setSetting(store, await resolve(), 'core.ssl_verify', 'ca.pem', cwd),
      UsageError,
    );
    expect(error.message).toBe(
      `invalid value for core.ssl_verify: ${join(cwd, 'ca.pem')} is not a PEM certificate`,
    );
    expect(await snapshot(file)).toEqual(before);
  });

  it('setting a different core.dcos_url clears the token issued by the old one', async () => {
    const { store, file, resolve } = await fixture();
    const result = await setSetting(store, await resolve(), 'core.dcos_url', 'https://new.example.com/');
    expect(result).toEqual({
      key: 'core.dcos_url',
      value: 'https://new.example.com',
      cleared: ['core.dcos_acs_token'],
    });
    const core = (await fileSettings(file)).core as Record<string, unknown>;
    expect(core.dcos_url).toBe('https://new.example.com');
    expect(core.dcos_acs_token).toBeUndefined();
    expect(core.basic_auth_password).toBe(PASSWORD);
  });

  it('setting the same core.dcos_url (modulo trailing slash) keeps the token', async () => {
    const { store, file, resolve } = await fixture();
    const result = await setSetting(store, await resolve(), 'core.dcos_url', 'https://prod.example.com/');
    expect(result.cleared).toEqual([]);
    expect(((await fileSettings(file)).core as Record<string, unknown>).dcos_acs_token).toBe(TOKEN);
  });

  it('returns a secret value masked but stores the real one', async () => {
    const { store, file, resolve } = await fixture();
    const result = await setSetting(store, await resolve(), 'core.dcos_acs_token', 'new-secret-token');
    expect(result.value).toBe(MASK);
    expect(JSON.stringify(result)).not.toContain('new-secret-token');
    expect(((await fileSettings(file)).core as Record<string, unknown>).dcos_acs_token).toBe(
      'new-secret-token',
    );
  });

  it('does not write environment overrides into the file', async () => {
    const { store, file, resolve } = await fixture('[core]\ndcos_url = "https://prod.example.com"\n');
    const cluster = await resolve({
      DCOS_ACS_TOKEN: 'env-token',
      DCOS_URL: 'https://env.example.com',
      DCOS_TIMEOUT: '5',
    });
    await setSetting(store, cluster, 'cluster.name', 'renamed');
    expect(await fileSettings(file)).toEqual({
      cluster: { name: 'renamed' },
      core: { dcos_url: 'https://prod.example.com' },
    });
  });

  it('refuses to write for a cluster that exists only in DCOS_URL', async () => {
    const root = await tempDcosDir();
    const store = new ClusterStore(root);
    const cluster = resolveCluster(await store.list(), { env: { DCOS_URL: 'https://ci.example.com' } });
    for (const attempt of [
      setSetting(store, cluster, 'core.timeout', '5'),
      unsetSetting(store, cluster, 'core.timeout'),
    ]) {
      const error = await rejectionOf(attempt, DcosError);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.code).toBe('no_cluster_file');
      expect(error.message).toContain('DCOS_URL');
      expect(error.message).toContain('dcos cluster setup');
    }
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('unsetSetting', () => {
  it('removes a set key and saves', async () => {
    const { store, file, resolve } = await fixture();
    expect(await unsetSetting(store, await resolve(), 'core.timeout')).toEqual({
      key: 'core.timeout',
      wasSet: true,
    });
    const core = (await fileSettings(file)).core as Record<string, unknown>;
    expect(core.timeout).toBeUndefined();
    expect(core.dcos_url).toBe('https://prod.example.com');
    expect(await modeOf(file)).toBe(0o600);
  });

  it('reports a key that was not set and does not rewrite the file', async () => {
    const { store, file, resolve } = await fixture();
    const before = await snapshot(file);
    expect(await unsetSetting(store, await resolve(), 'core.ssl_verify')).toEqual({
      key: 'core.ssl_verify',
      wasSet: false,
    });
    expect(await snapshot(file)).toEqual(before);
  });

  it('only looks at the file: a value from the environment is not "set"', async () => {
    const { store, file, resolve } = await fixture('[core]\ndcos_url = "https://prod.example.com"\n');
    const before = await snapshot(file);
    const result = await unsetSetting(store, await resolve({ DCOS_TIMEOUT: '5' }), 'core.timeout');
    expect(result.wasSet).toBe(false);
    expect(await snapshot(file)).toEqual(before);
  });

  it('rejects an unknown key', async () => {
    const { store, file, resolve } = await fixture();
    const before = await snapshot(file);
    const error = await rejectionOf(unsetSetting(store, await resolve(), 'core.nope'), DcosError);
    expect(error.code).toBe('unknown_key');
    expect(await snapshot(file)).toEqual(before);
  });

  it('unsetting core.dcos_url also drops the token', async () => {
    const { store, file, resolve } = await fixture();
    await unsetSetting(store, await resolve(), 'core.dcos_url');
    const core = (await fileSettings(file)).core as Record<string, unknown>;
    expect(core.dcos_url).toBeUndefined();
    expect(core.dcos_acs_token).toBeUndefined();
    expect(core.basic_auth_username).toBe('admin');
  });
});

describe('describeKeys', () => {
  it('lists every key with its description and environment variable', () => {
    const keys = describeKeys();
    expect(keys.find((k) => k.key === 'core.dcos_url')).toMatchObject({ env: 'DCOS_URL' });
    expect(keys.find((k) => k.key === 'core.timeout')).toMatchObject({ env: 'DCOS_TIMEOUT' });
    expect(keys.find((k) => k.key === 'cluster.name')).not.toHaveProperty('env');
    for (const key of keys) expect(key.description.length).toBeGreaterThan(0);
  });
});

describe('keys written by other tools', () => {
  it('are shown and unset although we do not define them', async () => {
    const { store, file, resolve } = await fixture(FILE.replace('[core]\n', '[core]\nreporting = true\n'));
    expect(showSettings(await resolve(), 'core.reporting')).toEqual({ 'core.reporting': true });
    expect(await unsetSetting(store, await resolve(), 'core.reporting')).toEqual({
      key: 'core.reporting',
      wasSet: true,
    });
    expect((await fileSettings(file)).core).not.toHaveProperty('reporting');
  });

  it('still refuse unknown keys that are absent', async () => {
    const { store, resolve } = await fixture();
    expect(
      thrownBy(
        () =>
          showSettings({ id: 'x', name: 'x', dir: undefined, fileSettings: {}, settings: {} }, 'core.nope'),
        DcosError,
      ).code,
    ).toBe('unknown_key');
    expect((await rejectionOf(unsetSetting(store, await resolve(), 'core.nope'), DcosError)).code).toBe(
      'unknown_key',
    );
  });
});
