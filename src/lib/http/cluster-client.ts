import { readFile } from 'node:fs/promises';

import { settingString } from '../config/clusters.js';
import type { Settings } from '../config/keys.js';
import { clusterUrl, maxResponseBytes, timeoutMs, trustedOrigins } from '../config/services.js';
import { ConfigError } from '../errors.js';
import { HttpClient, type HttpClientOptions, type TlsOptions } from './client.js';

export interface ClusterClientHooks extends Pick<
  HttpClientOptions,
  'dispatcher' | 'log' | 'signal' | 'userAgent' | 'connectTimeoutMs' | 'tries'
> {
  /** Told once when TLS verification is switched off. */
  warn?: (message: string) => void;
  /** Replaces the TLS settings derived from core.ssl_verify (setup uses a CA it holds in memory). */
  tls?: TlsOptions;
}

export async function tlsOptions(settings: Settings, warn?: (message: string) => void): Promise<TlsOptions> {
  const sslVerify = settingString(settings, 'core.ssl_verify') ?? 'true';
  if (sslVerify === 'false') {
    warn?.('TLS certificates are not verified for this cluster (core.ssl_verify is false)');
    return { verify: false };
  }
  if (sslVerify === 'true') return { verify: true };
  try {
    return { verify: true, ca: await readFile(sslVerify, 'utf8') };
  } catch (error) {
    throw new ConfigError(
      `cannot read the CA bundle ${sslVerify} (core.ssl_verify): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; ` +
        'fix the path with `dcos config set core.ssl_verify <file>`',
      { code: 'unreadable_ca' },
    );
  }
}

/** A ready client for the resolved cluster: base URL, credentials, TLS and timeouts from its settings. */
export async function clusterClient(settings: Settings, hooks: ClusterClientHooks = {}): Promise<HttpClient> {
  const token = settingString(settings, 'core.dcos_acs_token');
  const username = settingString(settings, 'core.basic_auth_username');
  const password = settingString(settings, 'core.basic_auth_password');
  const { warn, tls, ...clientHooks } = hooks;
  const maxBytes = maxResponseBytes(settings);
  return new HttpClient({
    baseUrl: clusterUrl(settings),
    ...(token ? { token } : {}),
    ...(username && password ? { basicAuth: { username, password } } : {}),
    trustedOrigins: trustedOrigins(settings),
    tls: tls ?? (await tlsOptions(settings, warn)),
    timeoutMs: timeoutMs(settings),
    ...(maxBytes ? { maxResponseBytes: maxBytes } : {}),
    ...clientHooks,
  });
}
