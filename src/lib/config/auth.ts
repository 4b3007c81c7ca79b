import type { HttpClient } from '../http/client.js';
import { clusterClient, type ClusterClientHooks } from '../http/cluster-client.js';
import { DcosError } from '../errors.js';
import { HttpError } from '../http/errors.js';
import type { ClusterStore, ResolvedCluster } from './clusters.js';
import { completeCredentials, type Credentials } from './credentials.js';
import type { Settings } from './keys.js';
import { serviceUrl } from './services.js';
import { dcosLogin } from './setup.js';

const CREDENTIAL_KEYS = ['core.dcos_acs_token', 'core.basic_auth_username', 'core.basic_auth_password'];

function fileOf(cluster: ResolvedCluster): string {
  if (!cluster.dir) {
    throw new DcosError('this cluster comes from DCOS_URL; set DCOS_ACS_TOKEN instead of logging in', {
      code: 'no_cluster_file',
    });
  }
  return cluster.id;
}

/** A login through DCOS_URL would store another cluster's secret where this cluster's is kept (and sent). */
function refuseForeignUrl(cluster: ResolvedCluster): void {
  if (!cluster.urlOverride) return;
  const { stored, effective } = cluster.urlOverride;
  throw new DcosError(
    `DCOS_URL ${effective} is not the origin of cluster ${cluster.name} (${stored}); ` +
      `unset DCOS_URL to log in to ${cluster.name}, or set DCOS_ACS_TOKEN for ${effective}`,
    { code: 'url_mismatch', details: { stored, effective } },
  );
}

function withoutCredentials(settings: Settings): Settings {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !CREDENTIAL_KEYS.includes(key)));
}

async function checkBasicAuth(client: HttpClient, cluster: ResolvedCluster): Promise<void> {
  try {
    await client.get(`${serviceUrl(cluster.settings, 'marathon')}/v2/info`);
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) {
      throw new DcosError(`login failed at ${client.baseUrl}: wrong user name or password`, {
        code: 'login_failed',
      });
    }
    throw error;
  }
}

/**
 * `dcos auth login`: DC/OS clusters trade user and password for a token; plain Marathon clusters keep
 * HTTP basic credentials, checked against Marathon before they are stored.
 */
export async function login(
  store: ClusterStore,
  cluster: ResolvedCluster,
  credentials: Credentials,
  options: { interactive: boolean; hooks: ClusterClientHooks },
): Promise<{ cluster: string; method: 'token' | 'basic' }> {
  const id = fileOf(cluster);
  refuseForeignUrl(cluster);
  const storeCredentials = (credentialSettings: Settings) =>
    store.update(id, (current) => ({ ...withoutCredentials(current), ...credentialSettings }));
  if (credentials.token) {
    await storeCredentials({ 'core.dcos_acs_token': credentials.token });
    return { cluster: cluster.name, method: 'token' };
  }
  const { username, password } = await completeCredentials(
    credentials,
    options.interactive,
    'logging in needs credentials',
  );
  const anonymous = await clusterClient(withoutCredentials(cluster.settings), options.hooks);
  try {
    if (cluster.settings['cluster.type'] === 'marathon') {
      const basic = { 'core.basic_auth_username': username, 'core.basic_auth_password': password };
      const client = await clusterClient(
        { ...withoutCredentials(cluster.settings), ...basic },
        options.hooks,
      );
      try {
        await checkBasicAuth(client, cluster);
      } finally {
        await client.close();
      }
      await storeCredentials(basic);
      return { cluster: cluster.name, method: 'basic' };
    }
    const token = await dcosLogin(anonymous, username, password);
    await storeCredentials({ 'core.dcos_acs_token': token });
    return { cluster: cluster.name, method: 'token' };
  } finally {
    await anonymous.close();
  }
}

export async function logout(
  store: ClusterStore,
  cluster: ResolvedCluster,
): Promise<{ cluster: string; removed: string[] }> {
  const id = fileOf(cluster);
  const removed = CREDENTIAL_KEYS.filter((key) => cluster.fileSettings[key] !== undefined);
  if (removed.length > 0) await store.update(id, withoutCredentials);
  return { cluster: cluster.name, removed };
}
