import { ConfigError } from '../errors.js';
import { readCaBundle } from './ca.js';
import type { ClusterStore, ResolvedCluster } from './clusters.js';
import {
  KEYS,
  keyDefinition,
  MASK,
  maskSettings,
  parseSetting,
  type Settings,
  type SettingValue,
} from './keys.js';

function savable(cluster: ResolvedCluster): string {
  if (!cluster.dir) {
    throw new ConfigError(
      'this cluster comes from DCOS_URL and has no config file to change; run `dcos cluster setup <url>` first',
      { code: 'no_cluster_file' },
    );
  }
  return cluster.id;
}

/** The effective settings (env overrides applied), secrets masked; one key when asked. */
export function showSettings(cluster: ResolvedCluster, key?: string): Settings {
  const masked = maskSettings(cluster.settings);
  if (key === undefined) {
    return Object.fromEntries(
      Object.keys(masked)
        .sort()
        .map((name) => [name, masked[name] as SettingValue]),
    );
  }
  const value = masked[key];
  // Keys other tools wrote (e.g. the DC/OS CLI's core.reporting) are shown as they are; only absent ones must be known.
  if (value === undefined) keyDefinition(key);
  if (value === undefined) throw new ConfigError(`${key} is not set`, { code: 'not_set', details: { key } });
  return { [key]: value };
}

export async function setSetting(
  store: ClusterStore,
  cluster: ResolvedCluster,
  key: string,
  raw: string,
  cwd = process.cwd(),
): Promise<{ key: string; value: SettingValue; cleared: string[] }> {
  const id = savable(cluster);
  const value = parseSetting(key, raw, cwd);
  if (key === 'core.ssl_verify' && value !== 'true' && value !== 'false') {
    await readCaBundle(String(value), { context: `invalid value for ${key}`, code: 'invalid_value' });
  }
  const cleared: string[] = [];
  await store.update(id, (current) => {
    const next: Settings = { ...current, [key]: value };
    // A token belongs to the URL it was issued by (as in the DC/OS CLI).
    if (key === 'core.dcos_url' && value !== current[key] && next['core.dcos_acs_token'] !== undefined) {
      delete next['core.dcos_acs_token'];
      cleared.push('core.dcos_acs_token');
    }
    return next;
  });
  return { key, value: keyDefinition(key).secret ? MASK : value, cleared };
}

export async function unsetSetting(
  store: ClusterStore,
  cluster: ResolvedCluster,
  key: string,
): Promise<{ key: string; wasSet: boolean }> {
  const id = savable(cluster);
  if (cluster.fileSettings[key] === undefined) {
    keyDefinition(key);
    return { key, wasSet: false };
  }
  await store.update(id, (current) => {
    const next: Settings = { ...current };
    delete next[key];
    if (key === 'core.dcos_url') delete next['core.dcos_acs_token'];
    return next;
  });
  return { key, wasSet: true };
}

export function describeKeys(): Array<{ key: string; description: string; env?: string }> {
  return KEYS.map(({ key, description, env }) => ({ key, description, ...(env ? { env } : {}) }));
}
