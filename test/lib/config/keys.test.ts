import { resolve } from 'node:path';

import { parse, stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../helpers/errors.js';

import { DcosError, UsageError } from '../../../src/lib/errors.js';
import {
  CLUSTER_TYPES,
  effectiveSettings,
  flattenToml,
  isSecretKey,
  keyDefinition,
  KEYS,
  MASK,
  maskSettings,
  nestSettings,
  parseSetting,
  type Settings,
  type SettingValue,
} from '../../../src/lib/config/keys.js';

describe('keyDefinition / unknown keys', () => {
  it('knows every documented key', () => {
    for (const key of [
      'cluster.name',
      'cluster.type',
      'core.basic_auth_password',
      'core.basic_auth_username',
      'core.dcos_acs_token',
      'core.dcos_url',
      'core.ssl_verify',
      'core.timeout',
      'marathon.url',
      'mesos.master_url',
      'package.cosmos_url',
    ]) {
      expect(keyDefinition(key).key).toBe(key);
    }
  });

  it('rejects an unknown key with a UsageError coded unknown_key that lists the valid keys', () => {
    const error = thrownBy(() => keyDefinition('core.dcos_ur'), UsageError);
    expect(error.code).toBe('unknown_key');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('"core.dcos_ur"');
    expect(error.details).toMatchObject({ key: 'core.dcos_ur' });
    expect((error.details as { validKeys: string[] }).validKeys).toContain('core.dcos_url');
  });

  it('parseSetting reports an unknown key as unknown_key, not as an invalid value', () => {
    expect(thrownBy(() => parseSetting('core.colour', 'red'), UsageError).code).toBe('unknown_key');
    expect(thrownBy(() => parseSetting('timeout', '5'), UsageError).code).toBe('unknown_key');
  });

  it('maps the documented environment variables', () => {
    const envOf = Object.fromEntries(KEYS.filter((k) => k.env).map((k) => [k.key, k.env]));
    expect(envOf).toEqual({
      'core.dcos_url': 'DCOS_URL',
      'core.dcos_acs_token': 'DCOS_ACS_TOKEN',
      'core.ssl_verify': 'DCOS_SSL_VERIFY',
      'core.timeout': 'DCOS_TIMEOUT',
      'core.max_response_bytes': 'DCOS_MAX_RESPONSE_BYTES',
    });
  });
});

describe('core.max_response_bytes', () => {
  it.each<[SettingValue, number]>([
    ['1048576', 1_048_576],
    ['1024', 1024],
    ['64KiB', 64 * 1024],
    ['512 MiB', 512 * 1024 ** 2],
    ['2gib', 2 * 1024 ** 3],
    [268_435_456, 268_435_456],
  ])('accepts %j as %d bytes', (raw, expected) => {
    expect(parseSetting('core.max_response_bytes', raw)).toBe(expected);
  });

  it.each<SettingValue>(['', '0', '1023', '-5', '1.5MiB', '10MB', 'lots', '99999999999999999999'])(
    'refuses %j with a message naming the key',
    (raw) => {
      const error = thrownBy(() => parseSetting('core.max_response_bytes', raw), UsageError);
      expect(error.message).toMatch(/^invalid value for core\.max_response_bytes: .*at least 1 KiB/);
    },
  );
});

describe('core.timeout', () => {
  it.each<[SettingValue, number]>([
    ['1', 1],
    ['180', 180],
    [' 60 ', 60],
    [30, 30],
  ])('accepts %j as %d', (raw, expected) => {
    const value = parseSetting('core.timeout', raw);
    expect(value).toBe(expected);
    expect(typeof value).toBe('number');
  });

  it.each<SettingValue>(['0', '-1', '1.5', 'abc', '', '  ', '1e3', '0x10', 0, -5, 1.5])(
    'rejects %j as an invalid value naming the key',
    (raw) => {
      const error = thrownBy(() => parseSetting('core.timeout', raw), UsageError);
      expect(error.code).toBe('invalid_value');
      expect(error.message).toMatch(/^invalid value for core\.timeout: /);
      expect(error.details).toEqual({ key: 'core.timeout' });
    },
  );
});

describe('core.ssl_verify', () => {
  it.each<[SettingValue, string]>([
    ['true', 'true'],
    ['false', 'false'],
    ['TRUE', 'true'],
    [' False ', 'false'],
    [true, 'true'],
    [false, 'false'],
  ])('normalises %j to %j', (raw, expected) => {
    expect(parseSetting('core.ssl_verify', raw, '/somewhere')).toBe(expected);
  });

  it('makes a relative CA path absolute against the given cwd', () => {
    const cwd = resolve('/srv/project');
    expect(parseSetting('core.ssl_verify', 'certs/ca.pem', cwd)).toBe(resolve(cwd, 'certs/ca.pem'));
    expect(parseSetting('core.ssl_verify', './ca.pem', cwd)).toBe(resolve(cwd, 'ca.pem'));
    expect(parseSetting('core.ssl_verify', '../ca.pem', cwd)).toBe(resolve(cwd, '..', 'ca.pem'));
  });

  it('keeps an absolute CA path as it is', () => {
    const absolute = resolve('/etc/ssl/dcos-ca.pem');
    expect(parseSetting('core.ssl_verify', absolute, '/elsewhere')).toBe(absolute);
  });

  it('rejects an empty value', () => {
    const error = thrownBy(() => parseSetting('core.ssl_verify', '  '), UsageError);
    expect(error.code).toBe('invalid_value');
    expect(error.message).toContain('core.ssl_verify');
  });
});

describe('URL keys', () => {
  const urlKeys = ['core.dcos_url', 'marathon.url', 'mesos.master_url', 'package.cosmos_url'];

  it.each(urlKeys)('%s strips trailing slashes and surrounding blanks', (key) => {
    expect(parseSetting(key, 'https://dcos.example.com/')).toBe('https://dcos.example.com');
    expect(parseSetting(key, ' http://10.0.0.1:8080// ')).toBe('http://10.0.0.1:8080');
    expect(parseSetting(key, 'https://gw.example.com/dcos/')).toBe('https://gw.example.com/dcos');
    expect(parseSetting(key, 'http://localhost:5050')).toBe('http://localhost:5050');
  });

  it.each(urlKeys)('%s rejects other schemes', (key) => {
    for (const raw of ['ftp://dcos.example.com', 'file:///etc/passwd', 'localhost:8080']) {
      const error = thrownBy(() => parseSetting(key, raw), UsageError);
      expect(error.code).toBe('invalid_value');
      expect(error.message).toContain(key);
      expect(error.message).toContain('http:// or https://');
    }
  });

  it.each(urlKeys)('%s rejects text that is not a URL', (key) => {
    for (const raw of ['not a url', 'dcos.example.com', '', 'https://', 'http://exa mple.com']) {
      const error = thrownBy(() => parseSetting(key, raw), UsageError);
      expect(error.code).toBe('invalid_value');
      expect(error.message).toContain(`invalid value for ${key}`);
    }
  });

  it.each(urlKeys)('%s rejects credentials in the URL without echoing them', (key) => {
    for (const raw of ['https://admin:s3cr3t@dcos.example.com', 'https://admin@dcos.example.com']) {
      const error = thrownBy(() => parseSetting(key, raw), UsageError);
      expect(error.code).toBe('invalid_value');
      expect(error.message).toContain('core.basic_auth_username');
      expect(error.message).not.toContain('s3cr3t');
    }
  });
});

describe('cluster.type and cluster.name', () => {
  it.each(CLUSTER_TYPES)('accepts cluster.type %s', (type) => {
    expect(parseSetting('cluster.type', type)).toBe(type);
  });

  it('rejects any other cluster.type, listing the options', () => {
    for (const raw of ['kubernetes', 'DCOS', '', 'dcos ']) {
      const error = thrownBy(() => parseSetting('cluster.type', raw), UsageError);
      expect(error.code).toBe('invalid_value');
      expect(error.message).toContain('dcos, marathon, local');
    }
  });

  it('requires a non-blank cluster.name and keeps it verbatim', () => {
    expect(parseSetting('cluster.name', 'prod east')).toBe('prod east');
    expect(thrownBy(() => parseSetting('cluster.name', '   '), UsageError).code).toBe('invalid_value');
  });

  it('requires non-blank credentials', () => {
    expect(thrownBy(() => parseSetting('core.dcos_acs_token', ''), UsageError).code).toBe('invalid_value');
    expect(thrownBy(() => parseSetting('core.basic_auth_password', ' '), UsageError).code).toBe(
      'invalid_value',
    );
    expect(parseSetting('core.basic_auth_username', 'admin')).toBe('admin');
  });
});

describe('secrets', () => {
  it('treats tokens and passwords as secret, plain settings not', () => {
    expect(isSecretKey('core.dcos_acs_token')).toBe(true);
    expect(isSecretKey('core.basic_auth_password')).toBe(true);
    expect(isSecretKey('core.dcos_url')).toBe(false);
    expect(isSecretKey('core.basic_auth_username')).toBe(false);
    expect(isSecretKey('core.timeout')).toBe(false);
  });

  it('treats unknown keys that look secret (from hand-edited files) as secret', () => {
    expect(isSecretKey('core.private_key_secret')).toBe(true);
    expect(isSecretKey('plugin.refresh_token')).toBe(true);
    expect(isSecretKey('core.reporting')).toBe(false);
  });

  it('maskSettings replaces secret values and leaves the input alone', () => {
    const settings: Settings = {
      'core.dcos_url': 'https://dcos.example.com',
      'core.dcos_acs_token': 'eyJhbGciOi.secret-token',
      'core.basic_auth_password': 'hunter2',
      'core.timeout': 60,
    };
    const masked = maskSettings(settings);
    expect(masked).toEqual({
      'core.dcos_url': 'https://dcos.example.com',
      'core.dcos_acs_token': MASK,
      'core.basic_auth_password': MASK,
      'core.timeout': 60,
    });
    expect(MASK).toBe('********');
    expect(JSON.stringify(masked)).not.toMatch(/secret-token|hunter2/);
    expect(settings['core.dcos_acs_token']).toBe('eyJhbGciOi.secret-token');
  });
});

describe('flattenToml / nestSettings', () => {
  const dcosToml = `[cluster]
name = "prod"
type = "dcos"

[core]
dcos_url = "https://dcos.example.com"
dcos_acs_token = "tok-123"
ssl_verify = "false"
timeout = 60
reporting = false

[marathon]
url = "http://marathon.example.com:8080"
`;

  const flat: Settings = {
    'cluster.name': 'prod',
    'cluster.type': 'dcos',
    'core.dcos_url': 'https://dcos.example.com',
    'core.dcos_acs_token': 'tok-123',
    'core.ssl_verify': 'false',
    'core.timeout': 60,
    'core.reporting': false,
    'marathon.url': 'http://marathon.example.com:8080',
  };

  it('flattens a DC/OS CLI dcos.toml to dotted keys, keeping value types', () => {
    expect(flattenToml(parse(dcosToml) as Record<string, unknown>)).toEqual(flat);
  });

  it('round-trips through nestSettings + smol-toml', () => {
    const nested = nestSettings(flat);
    expect(nested).toEqual({
      cluster: { name: 'prod', type: 'dcos' },
      core: {
        dcos_acs_token: 'tok-123',
        dcos_url: 'https://dcos.example.com',
        reporting: false,
        ssl_verify: 'false',
        timeout: 60,
      },
      marathon: { url: 'http://marathon.example.com:8080' },
    });
    const text = stringify(nested);
    const again = flattenToml(parse(text) as Record<string, unknown>);
    expect(again).toEqual(flat);
    expect(typeof again['core.timeout']).toBe('number');
    expect(typeof again['core.reporting']).toBe('boolean');
  });

  it('flattens sub-tables to deeper dotted keys and round-trips them', () => {
    const table = parse('[core]\ntimeout = 5\n\n[core.proxy]\nhost = "p"\nport = 3128\n') as Record<
      string,
      unknown
    >;
    const settings = flattenToml(table);
    expect(settings).toEqual({ 'core.timeout': 5, 'core.proxy.host': 'p', 'core.proxy.port': 3128 });
    expect(flattenToml(parse(stringify(nestSettings(settings))) as Record<string, unknown>)).toEqual(
      settings,
    );
  });

  it('drops values that are not settings (arrays, dates, inline arrays of tables)', () => {
    const table = parse(
      '[core]\nlist = [1, 2]\nwhen = 1979-05-27T07:32:00Z\nday = 1979-05-27\nkeep = "yes"\n[[plugins]]\nname = "x"\n',
    ) as Record<string, unknown>;
    expect(flattenToml(table)).toEqual({ 'core.keep': 'yes' });
  });

  it('puts a key without a section under [core]', () => {
    expect(nestSettings({ timeout: 5, 'cluster.name': 'a' })).toEqual({
      cluster: { name: 'a' },
      core: { timeout: 5 },
    });
  });

  it('handles an empty file and empty settings', () => {
    expect(flattenToml(parse('') as Record<string, unknown>)).toEqual({});
    expect(flattenToml(parse(stringify(nestSettings({}))) as Record<string, unknown>)).toEqual({});
  });

  it('round-trips a [__proto__] table without touching Object.prototype', () => {
    const settings = flattenToml(
      parse('[__proto__]\npolluted = "yes"\n\n[core]\ndcos_url = "https://a.example.com"\n') as Record<
        string,
        unknown
      >,
    );
    expect(settings).toEqual({ '__proto__.polluted': 'yes', 'core.dcos_url': 'https://a.example.com' });
    const text = stringify(nestSettings(settings));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(flattenToml(parse(text) as Record<string, unknown>)).toEqual(settings);
  });
});

describe('effectiveSettings (flag > env > file)', () => {
  const file: Settings = {
    'core.dcos_url': 'https://file.example.com',
    'core.dcos_acs_token': 'file-token',
    'core.ssl_verify': 'true',
    'core.timeout': 180,
    'cluster.name': 'prod',
  };

  it('returns the file settings when no env or flag applies', () => {
    expect(effectiveSettings(file, {})).toEqual(file);
  });

  it('lets each environment variable override its file value, parsed', () => {
    const settings = effectiveSettings(file, {
      DCOS_URL: 'https://env.example.com/',
      DCOS_ACS_TOKEN: 'env-token',
      DCOS_SSL_VERIFY: 'FALSE',
      DCOS_TIMEOUT: '30',
    });
    expect(settings).toEqual({
      'core.dcos_url': 'https://env.example.com',
      'core.dcos_acs_token': 'env-token',
      'core.ssl_verify': 'false',
      'core.timeout': 30,
      'cluster.name': 'prod',
    });
  });

  it('resolves a relative DCOS_SSL_VERIFY against the working directory', () => {
    expect(effectiveSettings({}, { DCOS_SSL_VERIFY: 'ca.pem' })['core.ssl_verify']).toBe(
      resolve(process.cwd(), 'ca.pem'),
    );
  });

  it('lets flag overrides beat the environment and the file', () => {
    const settings = effectiveSettings(
      file,
      { DCOS_URL: 'https://env.example.com', DCOS_TIMEOUT: '30' },
      { 'core.dcos_url': 'https://flag.example.com', 'core.timeout': 5 },
    );
    expect(settings['core.dcos_url']).toBe('https://flag.example.com');
    expect(settings['core.timeout']).toBe(5);
    expect(settings['core.dcos_acs_token']).toBe('file-token');
  });

  it('ignores empty environment variables', () => {
    expect(
      effectiveSettings(file, { DCOS_URL: '', DCOS_ACS_TOKEN: '', DCOS_SSL_VERIFY: '', DCOS_TIMEOUT: '' }),
    ).toEqual(file);
  });

  it('ignores unrelated variables and does not modify the file settings', () => {
    const copy = { ...file };
    effectiveSettings(file, { DCOS_CLUSTER: 'x', DCOS_DIR: '/tmp/x', DCOS_URL: 'https://e.example.com' });
    expect(file).toEqual(copy);
    expect(Object.keys(effectiveSettings({}, { DCOS_CLUSTER: 'x', HOME: '/root' }))).toEqual([]);
  });

  it.each([
    ['DCOS_TIMEOUT', 'abc'],
    ['DCOS_TIMEOUT', '0'],
    ['DCOS_URL', 'ftp://dcos.example.com'],
    ['DCOS_URL', 'garbage'],
    ['DCOS_SSL_VERIFY', '   '],
  ])('rejects %s=%j with a UsageError naming the variable', (variable, value) => {
    const error = thrownBy(() => effectiveSettings(file, { [variable]: value }), UsageError);
    expect(error).toBeInstanceOf(DcosError);
    expect(error.code).toBe('invalid_env');
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(new RegExp(`^invalid ${variable}: `));
    expect(error.details).toEqual({ variable });
  });
});
