import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import { makeSelfSignedCert } from '../helpers/servers.js';
import { clusterFile, jsonOf, linesOf, printed, readClusterToml, seedCluster } from './fakes.js';

const TOKEN = 'tok-e2e-config-2d7e91-DISTINCT';
const ID = 'c1a5c1a5-0000-4000-8000-000000000001';

function oneCluster(): { dir: string; file: string } {
  const dir = tempDcosDir();
  seedCluster(dir, ID, { name: 'prod', url: 'https://prod.example.com', token: TOKEN, attached: true });
  return { dir, file: clusterFile(dir, ID) };
}

describe('config show', () => {
  it('prints every setting as "key value" with the token masked', async () => {
    const { dir } = oneCluster();

    const show = await runCli(['config', 'show'], { env: { DCOS_DIR: dir } });

    expect(show.code, printed(show)).toBe(0);
    expect(linesOf(show.stdout)).toEqual([
      'cluster.name prod',
      'cluster.type dcos',
      'core.dcos_acs_token ********',
      'core.dcos_url https://prod.example.com',
      'core.ssl_verify true',
    ]);
    expect(show.stdout + show.stderr).not.toContain(TOKEN);
  });

  it('prints one key, masked when secret, and refuses an unknown key', async () => {
    const { dir } = oneCluster();

    const url = await runCli(['config', 'show', 'core.dcos_url'], { env: { DCOS_DIR: dir } });
    expect(url.code, printed(url)).toBe(0);
    expect(url.stdout).toBe('https://prod.example.com\n');

    const token = await runCli(['config', 'show', 'core.dcos_acs_token'], { env: { DCOS_DIR: dir } });
    expect(token.code, printed(token)).toBe(0);
    expect(token.stdout).toBe('********\n');

    const unset = await runCli(['config', 'show', 'core.timeout'], { env: { DCOS_DIR: dir } });
    expect(unset.code, printed(unset)).toBe(1);
    expect(unset.stderr).toBe('Error: core.timeout is not set\n');

    const unknown = await runCli(['config', 'show', 'core.nope'], { env: { DCOS_DIR: dir } });
    expect(unknown.code, printed(unknown)).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: unknown config key "core.nope".*\n$/);
  });

  it('applies environment overrides, still masking a token that comes from DCOS_ACS_TOKEN', async () => {
    const { dir } = oneCluster();
    const envToken = 'tok-e2e-from-env-77aa-DISTINCT';

    const show = await runCli(['config', 'show', '--json'], {
      env: { DCOS_DIR: dir, DCOS_ACS_TOKEN: envToken, DCOS_TIMEOUT: '42' },
    });

    expect(show.code, printed(show)).toBe(0);
    expect(jsonOf(show)).toMatchObject({ 'core.dcos_acs_token': '********', 'core.timeout': 42 });
    expect(show.stdout + show.stderr).not.toContain(envToken);
  });
});

describe('config set', () => {
  it('stores a whole number of seconds for core.timeout as a number', async () => {
    const { dir } = oneCluster();

    const set = await runCli(['config', 'set', 'core.timeout', '60'], { env: { DCOS_DIR: dir } });

    expect(set.code, printed(set)).toBe(0);
    // Silent, as the DC/OS CLI is.
    expect([set.stdout, set.stderr]).toEqual(['', '']);
    expect(readClusterToml(dir, ID).core?.timeout).toBe(60);
    const show = await runCli(['config', 'show', 'core.timeout', '--json'], { env: { DCOS_DIR: dir } });
    expect(jsonOf(show)).toEqual({ 'core.timeout': 60 });
    // The rest of the file is untouched.
    expect(readClusterToml(dir, ID).core?.dcos_acs_token).toBe(TOKEN);
  });

  it.each([
    ['core.timeout abc', ['core.timeout', 'abc'], /^Error: invalid value for core\.timeout: .*"abc".*\n$/],
    ['core.timeout 0', ['core.timeout', '0'], /^Error: invalid value for core\.timeout: .*\n$/],
    ['core.timeout 1.5', ['core.timeout', '1.5'], /^Error: invalid value for core\.timeout: .*\n$/],
    ['an unknown key', ['core.nope', '1'], /^Error: unknown config key "core\.nope".*\n$/],
    [
      'a URL that is not one',
      ['core.dcos_url', 'not a url'],
      /^Error: invalid value for core\.dcos_url: .*\n$/,
    ],
    [
      'a URL with another scheme',
      ['core.dcos_url', 'ftp://x.example'],
      /^Error: .*http:\/\/ or https:\/\/\n$/,
    ],
    [
      'credentials inside the URL',
      ['core.dcos_url', 'https://u:p@x.example'],
      /^Error: invalid value for core\.dcos_url: .*basic_auth.*\n$/,
    ],
    [
      'an unknown cluster type',
      ['cluster.type', 'kubernetes'],
      /^Error: invalid value for cluster\.type: .*\n$/,
    ],
  ])('refuses %s with exit 1 and one line, leaving the file byte for byte', async (_what, args, message) => {
    const { dir, file } = oneCluster();
    const before = readFileSync(file);

    const set = await runCli(['config', 'set', ...args], { env: { DCOS_DIR: dir } });

    expect(set.code, printed(set)).toBe(1);
    expect(set.stderr).toMatch(message);
    expect(linesOf(set.stderr)).toHaveLength(1);
    expect(set.stdout).toBe('');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a CA file that cannot be read for core.ssl_verify, leaving the file unchanged', async () => {
    const { dir, file } = oneCluster();
    const before = readFileSync(file);
    const missing = join(mkdtempSync(join(tmpdir(), 'dcos-ca-')), 'missing-ca.pem');

    const set = await runCli(['config', 'set', 'core.ssl_verify', missing], { env: { DCOS_DIR: dir } });

    expect(set.code, printed(set)).toBe(1);
    expect(linesOf(set.stderr)).toEqual([
      `Error: invalid value for core.ssl_verify: cannot read the CA bundle ${missing} (ENOENT)`,
    ]);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it.skipIf(process.getuid?.() === 0)(
    'refuses a CA file without read permission for core.ssl_verify (not as root, who may read it)',
    async () => {
      const { dir, file } = oneCluster();
      const before = readFileSync(file);
      const unreadable = join(mkdtempSync(join(tmpdir(), 'dcos-ca-')), 'ca.pem');
      writeFileSync(unreadable, makeSelfSignedCert().cert);
      chmodSync(unreadable, 0o000);

      const set = await runCli(['config', 'set', 'core.ssl_verify', unreadable], { env: { DCOS_DIR: dir } });

      expect(set.code, printed(set)).toBe(1);
      expect(linesOf(set.stderr)).toHaveLength(1);
      expect(set.stderr).toContain(unreadable);
      expect(readFileSync(file).equals(before)).toBe(true);
    },
  );

  it('accepts a readable CA file, true and false for core.ssl_verify', async () => {
    const { dir } = oneCluster();
    const cert = makeSelfSignedCert();

    const ca = await runCli(['config', 'set', 'core.ssl_verify', cert.certPath], { env: { DCOS_DIR: dir } });
    expect(ca.code, printed(ca)).toBe(0);
    expect(readClusterToml(dir, ID).core?.ssl_verify).toBe(cert.certPath);

    const off = await runCli(['config', 'set', 'core.ssl_verify', 'FALSE'], { env: { DCOS_DIR: dir } });
    expect(off.code, printed(off)).toBe(0);
    expect(readClusterToml(dir, ID).core?.ssl_verify).toBe('false');
  });

  it('drops the token when core.dcos_url moves to another URL, and says so with --verbose', async () => {
    const { dir } = oneCluster();

    const set = await runCli(['config', 'set', 'core.dcos_url', 'https://other.example.com/', '--verbose'], {
      env: { DCOS_DIR: dir },
    });

    expect(set.code, printed(set)).toBe(0);
    expect(set.stdout).toBe('');
    expect(linesOf(set.stderr)).toEqual([
      'core.dcos_url set to https://other.example.com.',
      'core.dcos_acs_token removed: it belonged to the old URL.',
    ]);
    const core = readClusterToml(dir, ID).core;
    expect(core?.dcos_url).toBe('https://other.example.com');
    expect(core?.dcos_acs_token).toBeUndefined();
  });

  it('masks a secret it was given in its output', async () => {
    const { dir } = oneCluster();
    const newToken = 'tok-e2e-set-by-hand-4c4c-DISTINCT';

    const set = await runCli(['config', 'set', 'core.dcos_acs_token', newToken, '--json', '--verbose'], {
      env: { DCOS_DIR: dir },
    });

    expect(set.code, printed(set)).toBe(0);
    expect(jsonOf(set)).toEqual({ key: 'core.dcos_acs_token', value: '********', cleared: [] });
    expect(set.stdout + set.stderr).not.toContain(newToken);
    expect(readClusterToml(dir, ID).core?.dcos_acs_token).toBe(newToken);
  });

  it('refuses to change a cluster that exists only as DCOS_URL', async () => {
    const result = await runCli(['config', 'set', 'core.timeout', '5'], {
      env: { DCOS_DIR: tempDcosDir(), DCOS_URL: 'https://env.example.com' },
    });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stderr).toMatch(/^Error: this cluster comes from DCOS_URL.*\n$/);
  });
});

describe('config set from several processes at once', () => {
  it('keeps every change: 8 concurrent sets of different keys, 3 rounds', async () => {
    const changes: Array<[string, string, (toml: ReturnType<typeof readClusterToml>) => unknown]> = [
      ['core.timeout', '77', (toml) => toml.core?.timeout],
      ['core.ssl_verify', 'false', (toml) => toml.core?.ssl_verify],
      ['core.basic_auth_username', 'alice', (toml) => toml.core?.basic_auth_username],
      ['core.basic_auth_password', 'secret-pw', (toml) => toml.core?.basic_auth_password],
      ['marathon.url', 'http://10.0.0.1:8080', (toml) => toml.marathon?.url],
      ['mesos.master_url', 'http://10.0.0.1:5050', (toml) => toml.mesos?.master_url],
      ['package.cosmos_url', 'http://10.0.0.1:7070', (toml) => toml.package?.cosmos_url],
      ['cluster.name', 'renamed', (toml) => toml.cluster?.name],
    ];
    for (let round = 0; round < 3; round++) {
      const { dir } = oneCluster();
      const results = await Promise.all(
        changes.map(([key, value]) => runCli(['config', 'set', key, value], { env: { DCOS_DIR: dir } })),
      );
      for (const result of results) expect(result.code, printed(result)).toBe(0);
      const toml = readClusterToml(dir, ID);
      expect(changes.map(([key, , read]) => [key, String(read(toml))])).toEqual(
        changes.map(([key, value]) => [key, value]),
      );
      expect(toml.core?.dcos_acs_token).toBe(TOKEN);
    }
  }, 120_000);
});

describe('config unset and keys', () => {
  it('removes a setting silently; --json says whether it was set', async () => {
    const { dir } = oneCluster();
    await runCli(['config', 'set', 'core.timeout', '60'], { env: { DCOS_DIR: dir } });

    const first = await runCli(['config', 'unset', 'core.timeout'], { env: { DCOS_DIR: dir } });
    expect(first.code, printed(first)).toBe(0);
    expect([first.stdout, first.stderr]).toEqual(['', '']);
    expect(readClusterToml(dir, ID).core?.timeout).toBeUndefined();

    const second = await runCli(['config', 'unset', 'core.timeout', '--json'], { env: { DCOS_DIR: dir } });
    expect(second.code, printed(second)).toBe(0);
    expect(jsonOf(second)).toEqual({ key: 'core.timeout', wasSet: false });

    const unknown = await runCli(['config', 'unset', 'core.nope'], { env: { DCOS_DIR: dir } });
    expect(unknown.code, printed(unknown)).toBe(1);
  });

  it('lists the settable keys with their environment variables', async () => {
    const human = await runCli(['config', 'keys'], { env: { DCOS_DIR: tempDcosDir() } });
    expect(human.code, printed(human)).toBe(0);
    expect(linesOf(human.stdout)[0]).toMatch(/^KEY\s+ENV\s+DESCRIPTION$/);
    expect(human.stdout).toMatch(/^core\.timeout\s+DCOS_TIMEOUT\s+/m);

    const json = await runCli(['config', 'keys', '--json'], { env: { DCOS_DIR: tempDcosDir() } });
    const keys = jsonOf<Array<{ key: string; env?: string }>>(json);
    expect(keys.map((entry) => entry.key)).toEqual(
      expect.arrayContaining(['core.dcos_url', 'core.dcos_acs_token', 'core.ssl_verify', 'core.timeout']),
    );
    expect(keys.find((entry) => entry.key === 'core.dcos_url')?.env).toBe('DCOS_URL');
  });
});

describe('a cluster file with broken TOML', () => {
  function broken(): { dir: string; file: string; bytes: Buffer } {
    const { dir, file } = oneCluster();
    writeFileSync(file, '[core\ndcos_url = "https://prod.example.com"\n');
    return { dir, file, bytes: readFileSync(file) };
  }

  it.each([
    ['config show', ['config', 'show']],
    ['config set', ['config', 'set', 'core.timeout', '5']],
    ['config unset', ['config', 'unset', 'core.timeout']],
    ['auth logout', ['auth', 'logout']],
  ])('%s fails with one line naming the file and exit 1, leaving the file alone', async (_what, args) => {
    const { dir, file, bytes } = broken();

    const result = await runCli(args, { env: { DCOS_DIR: dir } });

    expect(result.code, printed(result)).toBe(1);
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^Error: invalid TOML in .* at line 1, column \d+: .*\n$/);
    expect(result.stderr).toContain(file);
    expect(result.stdout).toBe('');
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('says the same in --json, and cluster list shows the cluster as INVALID', async () => {
    const { dir, file } = broken();

    const show = await runCli(['config', 'show', '--json'], { env: { DCOS_DIR: dir } });
    expect(show.code, printed(show)).toBe(1);
    expect(JSON.parse(show.stderr)).toEqual({
      error: { code: 'invalid_config_file', message: expect.stringContaining(file), details: { path: file } },
    });

    const list = await runCli(['cluster', 'list', '--json'], { env: { DCOS_DIR: dir } });
    expect(list.code, printed(list)).toBe(0);
    expect(jsonOf(list)).toEqual([
      expect.objectContaining({ cluster_id: ID, status: 'INVALID', problem: expect.stringContaining(file) }),
    ]);
  });
});
