import { join } from 'node:path';

import type { Settings } from '../config/keys.js';
import { settingString } from '../config/clusters.js';
import { serviceUrl } from '../config/services.js';
import type { HttpClient } from '../http/client.js';
import type { PackageManager } from './types.js';

/** Where `dcos package` gets its answers. */
export type PackageBackend =
  | { kind: 'cosmos'; url: string }
  /** Client-side from the configured Universe repositories; `marathonUrl` absent = no cluster (offline). */
  | { kind: 'client'; marathonUrl?: string };

/** Where the client-side manager keeps its repository list (one for every cluster, and offline). */
export const CLIENT_REPOSITORIES_FILE = 'package-repositories.json';

/**
 * DC/OS and `dcos local` have Cosmos behind the cluster URL, and `package.cosmos_url` names one anywhere else.
 * A plain Marathon cluster has none: the client-side manager renders from the repositories and installs
 * through its Marathon. Without a cluster the same manager still searches, describes and renders.
 */
export function packageBackend(settings: Settings | undefined): PackageBackend {
  if (!settings) return { kind: 'client' };
  if (settingString(settings, 'package.cosmos_url') || settings['cluster.type'] !== 'marathon') {
    return { kind: 'cosmos', url: serviceUrl(settings, 'cosmos') };
  }
  return { kind: 'client', marathonUrl: serviceUrl(settings, 'marathon') };
}

export interface OpenPackageManagerInput {
  backend: PackageBackend;
  /** The cluster's client; also fetches http(s) repositories. Absent offline. */
  http?: HttpClient;
  /** Used offline to fetch http(s) repositories (no cluster credentials). */
  plainHttp?: () => Promise<HttpClient>;
  dcosDir: string;
  cwd?: string;
}

export async function openPackageManager(input: OpenPackageManagerInput): Promise<PackageManager> {
  const { backend } = input;
  if (backend.kind === 'cosmos') {
    if (!input.http) throw new Error('a Cosmos manager needs the cluster HTTP client');
    const { CosmosPackageManager } = await import('./cosmos.js');
    return new CosmosPackageManager(input.http, backend.url);
  }
  const [{ ClientPackageManager }, { fileRepositoryStore }, { loadUniverse }, { MarathonClient }] =
    await Promise.all([
      import('./client-manager.js'),
      import('./repositories.js'),
      import('./universe.js'),
      import('../marathon/client.js'),
    ]);
  const fetchText = async (url: string): Promise<string> => {
    const http = input.http ?? (await input.plainHttp?.());
    if (!http) throw new Error(`no HTTP client to fetch ${url}`);
    const response = await http.request<string>('GET', url, {
      headers: { accept: 'application/vnd.dcos.universe.repo+json, application/json, */*' },
      expect: 'text',
    });
    return response.data;
  };
  return new ClientPackageManager({
    store: fileRepositoryStore(join(input.dcosDir, CLIENT_REPOSITORIES_FILE)),
    loadUniverse: (uri) => loadUniverse(uri, { fetchText, ...(input.cwd ? { cwd: input.cwd } : {}) }),
    ...(backend.marathonUrl && input.http
      ? { marathon: new MarathonClient(input.http, backend.marathonUrl) }
      : {}),
  });
}
