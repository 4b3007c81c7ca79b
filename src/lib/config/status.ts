import { InterruptedError } from '../errors.js';
import { clusterClient, type ClusterClientHooks } from '../http/cluster-client.js';
import { clusterName, type ClusterEntry } from './clusters.js';
import { settingString } from './clusters.js';
import type { Settings } from './keys.js';
import { serviceUrl } from './services.js';

export type ClusterStatus = 'AVAILABLE' | 'UNAVAILABLE' | 'INVALID';

export interface ClusterListing {
  name: string;
  cluster_id: string;
  attached: boolean;
  status: ClusterStatus;
  version: string;
  url: string;
  type: string;
  problem?: string;
}

export const STATUS_TIMEOUT_MS = 3_000;

function versionOf(data: unknown): string | undefined {
  if (data && typeof data === 'object' && 'version' in data && typeof data.version === 'string')
    return data.version;
  return undefined;
}

/** One cheap request per cluster: DC/OS's version document, or Marathon's /v2/info for plain Marathon. */
async function probe(
  cluster: ClusterEntry,
  hooks: ClusterClientHooks,
): Promise<Pick<ClusterListing, 'status' | 'version'>> {
  const settings: Settings = { ...cluster.settings, 'core.timeout': Math.ceil(STATUS_TIMEOUT_MS / 1000) };
  const plainMarathon = settings['cluster.type'] === 'marathon';
  let client;
  try {
    client = await clusterClient(settings, { ...hooks, connectTimeoutMs: STATUS_TIMEOUT_MS, tries: 1 });
    const path = plainMarathon
      ? `${serviceUrl(settings, 'marathon')}/v2/info`
      : '/dcos-metadata/dcos-version.json';
    const data = await client.get<unknown>(path, { timeoutMs: STATUS_TIMEOUT_MS });
    return { status: 'AVAILABLE', version: versionOf(data) ?? 'UNKNOWN' };
  } catch (error) {
    // Ctrl-C is not a verdict on the cluster: stop listing instead of printing everything UNAVAILABLE.
    if (error instanceof InterruptedError) throw error;
    return { status: 'UNAVAILABLE', version: 'UNKNOWN' };
  } finally {
    await client?.close();
  }
}

/** Every cluster with its status, probed concurrently so one dead cluster costs one short timeout. */
export async function listClusters(
  clusters: readonly ClusterEntry[],
  hooks: ClusterClientHooks,
): Promise<ClusterListing[]> {
  const listings = await Promise.all(
    clusters.map(async (cluster): Promise<ClusterListing> => {
      const base = {
        name: clusterName(cluster),
        cluster_id: cluster.id,
        attached: cluster.attached,
        url: settingString(cluster.settings, 'core.dcos_url') ?? '',
        type: settingString(cluster.settings, 'cluster.type') ?? 'dcos',
      };
      if (cluster.problem)
        return { ...base, status: 'INVALID', version: 'UNKNOWN', problem: cluster.problem.message };
      return { ...base, ...(await probe(cluster, hooks)) };
    }),
  );
  return listings.sort((a, b) => a.name.localeCompare(b.name) || a.cluster_id.localeCompare(b.cluster_id));
}
