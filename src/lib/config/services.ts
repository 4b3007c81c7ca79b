import { DEFAULT_TIMEOUT_SECONDS, type Settings } from './keys.js';
import { settingString } from './clusters.js';
import { ConfigError } from '../errors.js';

export type ServiceName = 'marathon' | 'mesos' | 'cosmos';

/** Where each service lives: an explicit override, else its path behind DC/OS Admin Router. */
export function serviceUrl(settings: Settings, service: ServiceName): string {
  const override = {
    marathon: settingString(settings, 'marathon.url'),
    mesos: settingString(settings, 'mesos.master_url'),
    cosmos: settingString(settings, 'package.cosmos_url'),
  }[service];
  if (override) return override;
  const base = clusterUrl(settings);
  return { marathon: `${base}/service/marathon`, mesos: `${base}/mesos`, cosmos: base }[service];
}

export function clusterUrl(settings: Settings): string {
  const url = settingString(settings, 'core.dcos_url');
  if (!url) {
    throw new ConfigError('core.dcos_url is not set for this cluster; run `dcos cluster setup <url>`', {
      code: 'missing_url',
    });
  }
  return url;
}

/** Every origin the cluster's credentials may be sent to. */
export function trustedOrigins(settings: Settings): string[] {
  const urls = ['core.dcos_url', 'marathon.url', 'mesos.master_url', 'package.cosmos_url']
    .map((key) => settingString(settings, key))
    .filter((url): url is string => url !== undefined);
  return [...new Set(urls.map((url) => new URL(url).origin))];
}

export function timeoutMs(settings: Settings): number {
  const seconds = Number(settings['core.timeout'] ?? DEFAULT_TIMEOUT_SECONDS);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_TIMEOUT_SECONDS) * 1000;
}

/** core.max_response_bytes, when set; the HTTP client has the default. */
export function maxResponseBytes(settings: Settings): number | undefined {
  const bytes = Number(settings['core.max_response_bytes']);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}
