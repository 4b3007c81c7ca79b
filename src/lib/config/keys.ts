import { isAbsolute, resolve } from 'node:path';

import { UsageError } from '../errors.js';

/** A setting value as it lives in dcos.toml. */
export type SettingValue = string | number | boolean;
/** Flat view of a cluster's dcos.toml: `{"core.dcos_url": "...", "core.timeout": 180}`. */
export type Settings = Record<string, SettingValue>;

export interface KeyDefinition {
  key: string;
  description: string;
  /** Masked in every human and JSON rendering. */
  secret?: boolean;
  /** Environment variable that overrides the file value. */
  env?: string;
  /** Turns user text (CLI argument, env var, TOML value) into the stored value, or throws a message. */
  parse(raw: SettingValue, cwd: string): SettingValue;
}

export const MASK = '********';
export const DEFAULT_TIMEOUT_SECONDS = 180;
export const CLUSTER_TYPES = ['dcos', 'marathon', 'local'] as const;
export type ClusterType = (typeof CLUSTER_TYPES)[number];

function parseUrl(raw: SettingValue): string {
  const text = String(raw).trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${text}" is not a URL; expected e.g. https://dcos.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`"${text}" must start with http:// or https://`);
  }
  if (url.username || url.password) {
    throw new Error('put credentials in core.basic_auth_username/core.basic_auth_password, not in the URL');
  }
  return text.replace(/\/+$/, '');
}

function parsePositiveInteger(raw: SettingValue): number {
  const text = String(raw).trim();
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new Error(`"${raw}" is not a whole number of seconds (at least 1)`);
  }
  return Number(text);
}

const SIZE_UNITS: Record<string, number> = { '': 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A size in bytes: `1048576`, or with a binary unit, `512MiB`, `1 GiB`. At least 1 KiB. */
function parseByteSize(raw: SettingValue): number {
  const text = String(raw).trim();
  const match = /^(\d+)\s*(kib|mib|gib)?$/i.exec(text);
  const bytes = match ? Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1024) {
    throw new Error(`"${raw}" is not a size of at least 1 KiB (bytes, or a number with KiB, MiB or GiB)`);
  }
  return bytes;
}

function parseNonEmpty(raw: SettingValue): string {
  const text = String(raw);
  if (text.trim() === '') throw new Error('must not be empty');
  return text;
}

/** `true`, `false`, or the path of a PEM CA bundle (made absolute so the setting survives a `cd`). */
function parseSslVerify(raw: SettingValue, cwd: string): string {
  if (typeof raw === 'boolean') return String(raw);
  const text = String(raw).trim();
  if (/^(true|false)$/i.test(text)) return text.toLowerCase();
  if (text === '') throw new Error('use true, false or the path of a CA bundle');
  return isAbsolute(text) ? text : resolve(cwd, text);
}

function parseClusterType(raw: SettingValue): string {
  const text = String(raw);
  if (!(CLUSTER_TYPES as readonly string[]).includes(text)) {
    throw new Error(`"${text}" is not one of ${CLUSTER_TYPES.join(', ')}`);
  }
  return text;
}

export const KEYS: readonly KeyDefinition[] = [
  { key: 'cluster.name', description: 'display name of the cluster', parse: parseNonEmpty },
  {
    key: 'cluster.type',
    description: 'dcos (DC/OS Admin Router), marathon (plain Marathon + Mesos) or local (dcos local)',
    parse: parseClusterType,
  },
  {
    key: 'core.basic_auth_password',
    description: 'HTTP basic auth password for plain Marathon/Mesos',
    secret: true,
    parse: parseNonEmpty,
  },
  {
    key: 'core.basic_auth_username',
    description: 'HTTP basic auth user for plain Marathon/Mesos',
    parse: parseNonEmpty,
  },
  {
    key: 'core.dcos_acs_token',
    description: 'authentication token sent as "Authorization: token=..."',
    secret: true,
    env: 'DCOS_ACS_TOKEN',
    parse: parseNonEmpty,
  },
  { key: 'core.dcos_url', description: 'URL of the cluster', env: 'DCOS_URL', parse: parseUrl },
  {
    key: 'core.max_response_bytes',
    description: 'largest response the CLI reads into memory, in bytes or with KiB/MiB/GiB (default 256 MiB)',
    env: 'DCOS_MAX_RESPONSE_BYTES',
    parse: parseByteSize,
  },
  {
    key: 'core.ssl_verify',
    description: 'verify TLS: true, false, or the path of a CA bundle',
    env: 'DCOS_SSL_VERIFY',
    parse: parseSslVerify,
  },
  {
    key: 'core.timeout',
    description: `seconds a request may take, body and retries included (default ${DEFAULT_TIMEOUT_SECONDS})`,
    env: 'DCOS_TIMEOUT',
    parse: parsePositiveInteger,
  },
  { key: 'marathon.url', description: 'Marathon URL when it is not behind DC/OS', parse: parseUrl },
  { key: 'mesos.master_url', description: 'Mesos master URL when it is not behind DC/OS', parse: parseUrl },
  { key: 'package.cosmos_url', description: 'Cosmos URL when it is not behind DC/OS', parse: parseUrl },
];

const BY_NAME = new Map(KEYS.map((definition) => [definition.key, definition]));

export function keyDefinition(key: string): KeyDefinition {
  const definition = BY_NAME.get(key);
  if (!definition) {
    throw new UsageError(`unknown config key "${key}"; run \`dcos config show\` to see the valid keys`, {
      code: 'unknown_key',
      details: { key, validKeys: KEYS.map((k) => k.key) },
    });
  }
  return definition;
}

/** Validate one user-supplied value; the error names the key so the message stands on its own. */
export function parseSetting(key: string, raw: SettingValue, cwd = process.cwd()): SettingValue {
  const definition = keyDefinition(key);
  try {
    return definition.parse(raw, cwd);
  } catch (error) {
    throw new UsageError(`invalid value for ${key}: ${(error as Error).message}`, {
      code: 'invalid_value',
      details: { key },
    });
  }
}

export function isSecretKey(key: string): boolean {
  return BY_NAME.get(key)?.secret === true || /token|password|secret/i.test(key);
}

export function maskSettings(settings: Settings): Settings {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [key, isSecretKey(key) ? MASK : value]),
  );
}

/** Nested TOML tables -> flat dotted keys. Only scalar leaves are settings; anything else is kept out. */
export function flattenToml(table: Record<string, unknown>, prefix = ''): Settings {
  const flat: Settings = {};
  for (const [name, value] of Object.entries(table)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      Object.assign(flat, flattenToml(value as Record<string, unknown>, key));
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      flat[key] = value;
    } else if (typeof value === 'bigint') {
      flat[key] = Number(value);
    }
  }
  return flat;
}

export function nestSettings(settings: Settings): Record<string, Record<string, SettingValue>> {
  // Prototype-less tables: a file with a `[__proto__]` table must round-trip, not write to Object.prototype.
  const nested: Record<string, Record<string, SettingValue>> = Object.create(null);
  for (const key of Object.keys(settings).sort()) {
    const dot = key.indexOf('.');
    const section = dot === -1 ? 'core' : key.slice(0, dot);
    const name = dot === -1 ? key : key.slice(dot + 1);
    const table = (nested[section] ??= Object.create(null) as Record<string, SettingValue>);
    table[name] = settings[key] as SettingValue;
  }
  return nested;
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Effective settings: explicit overrides (from flags) > environment variables > the cluster file.
 * Empty env vars count as unset, the way shells leave them after `export DCOS_URL=`.
 */
export function effectiveSettings(
  fileSettings: Settings,
  env: EnvSource,
  overrides: Settings = {},
): Settings {
  const merged: Settings = { ...fileSettings };
  for (const definition of KEYS) {
    const raw = definition.env ? env[definition.env] : undefined;
    if (raw === undefined || raw === '') continue;
    try {
      merged[definition.key] = definition.parse(raw, process.cwd());
    } catch (error) {
      throw new UsageError(`invalid ${definition.env}: ${(error as Error).message}`, {
        code: 'invalid_env',
        details: { variable: definition.env },
      });
    }
  }
  return { ...merged, ...overrides };
}
