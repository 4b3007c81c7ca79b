import { randomUUID, X509Certificate } from 'node:crypto';
import { join } from 'node:path';

import { ConfigError, DcosError, InterruptedError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import type { HttpClient } from '../http/client.js';
import { clusterClient, type ClusterClientHooks } from '../http/cluster-client.js';
import { HttpError, NetworkError } from '../http/errors.js';
import { clusterName, type ClusterEntry, type ClusterStore } from './clusters.js';
import { readCaBundle } from './ca.js';
import { completeCredentials, type Credentials } from './credentials.js';
import { parseSetting, type ClusterType, type Settings } from './keys.js';
import { isRecord } from '../json.js';

export interface SetupInput {
  url: string;
  name?: string | undefined;
  marathonUrl?: string | undefined;
  mesosUrl?: string | undefined;
  credentials: Credentials;
  caCertsPath?: string | undefined;
  insecure: boolean;
  /** Trust the CA the cluster serves at /ca/dcos-ca.crt without asking (DC/OS `--no-check`). */
  noCheck: boolean;
  interactive: boolean;
}

export interface SetupResult {
  id: string;
  name: string;
  url: string;
  type: ClusterType;
  version: string | undefined;
  authenticated: boolean;
}

export interface SetupDeps {
  store: ClusterStore;
  hooks: ClusterClientHooks;
  confirm?: (message: string) => Promise<boolean>;
}

const CA_FILE = 'dcos_ca.crt';
const PROBE_TIMEOUT_MS = 15_000;

interface Detected {
  type: ClusterType;
  id: string | undefined;
  name: string | undefined;
  version: string | undefined;
  settings: Settings;
  authenticated: boolean;
}

function withCa(deps: SetupDeps, ca: string | undefined): SetupDeps {
  return ca ? { ...deps, hooks: { ...deps.hooks, tls: { verify: true, ca } } } : deps;
}

function stringField(value: unknown, key: string): string | undefined {
  return isRecord(value) && typeof value[key] === 'string' ? (value[key] as string) : undefined;
}

/** The DC/OS CLI assumes https:// when the scheme is missing; we fall back to http:// if TLS is not spoken. */
function candidateUrls(url: string): string[] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return [String(parseSetting('core.dcos_url', url))];
  return [`https://${url}`, `http://${url}`].map((candidate) =>
    String(parseSetting('core.dcos_url', candidate)),
  );
}

async function probe(client: HttpClient, path: string): Promise<{ status: number; data: unknown }> {
  const response = await client.request<unknown>('GET', path, {
    acceptStatus: () => true,
    // A probe asks "is this DC/OS (or Marathon)?": an HTML page is a "no", not an error.
    expect: 'any',
    timeoutMs: PROBE_TIMEOUT_MS,
  });
  return { status: response.status, data: response.data };
}

/** A probe whose failure only costs a detail (id, name) — but Ctrl-C still stops setup, with nothing saved. */
function optional(error: unknown): undefined {
  if (error instanceof InterruptedError) throw error;
  return undefined;
}

async function detectDcos(
  client: HttpClient,
  input: SetupInput,
  deps: SetupDeps,
): Promise<Detected | undefined> {
  const versionDoc = await probe(client, '/dcos-metadata/dcos-version.json');
  if (versionDoc.status !== 200 || !isRecord(versionDoc.data)) return undefined;
  const settings: Settings = {};
  let authenticated = false;
  let token = input.credentials.token;
  if (!token) {
    // DC/OS answers 401 here when its IAM is on; 200 means the cluster runs without authentication.
    const gate = await client.request('HEAD', '/pkgpanda/active.buildinfo.full.json', {
      acceptStatus: () => true,
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (gate.status === 401 || input.credentials.username) {
      const { username, password } = await completeCredentials(
        input.credentials,
        input.interactive,
        `${client.baseUrl} requires you to log in`,
      );
      token = await dcosLogin(client, username, password);
    }
  }
  if (token) {
    settings['core.dcos_acs_token'] = token;
    authenticated = true;
  }
  const authed = token
    ? await clusterClient({ 'core.dcos_url': client.baseUrl, 'core.dcos_acs_token': token }, deps.hooks)
    : client;
  let metadata: { status: number; data: unknown } | undefined;
  let summary: { status: number; data: unknown } | undefined;
  try {
    metadata = await probe(authed, '/metadata').catch(optional);
    summary = await probe(authed, '/mesos/master/state-summary').catch(optional);
  } finally {
    if (authed !== client) await authed.close();
  }
  return {
    type: 'dcos',
    id: stringField(metadata?.data, 'CLUSTER_ID'),
    name: stringField(summary?.data, 'cluster'),
    version: stringField(versionDoc.data, 'version'),
    settings,
    authenticated,
  };
}

export async function dcosLogin(client: HttpClient, uid: string, password: string): Promise<string> {
  try {
    const reply = await client.post<unknown>('/acs/api/v1/auth/login', { uid, password });
    const token = stringField(reply, 'token');
    if (!token) throw new DcosError(`login at ${client.baseUrl} returned no token`, { code: 'login_failed' });
    return token;
  } catch (error) {
    if (error instanceof HttpError && (error.status === 401 || error.status === 400)) {
      throw new DcosError(`login failed at ${client.baseUrl}: wrong user name or password`, {
        code: 'login_failed',
      });
    }
    throw error;
  }
}

async function detectMarathon(
  marathonUrl: string,
  input: SetupInput,
  base: Settings,
  deps: SetupDeps,
): Promise<Detected | undefined> {
  const settings: Settings = { ...base, 'marathon.url': marathonUrl };
  const { username, password } = input.credentials;
  if (username && password !== undefined) {
    settings['core.basic_auth_username'] = username;
    settings['core.basic_auth_password'] = password;
  }
  const client = await clusterClient({ ...settings, 'core.dcos_url': marathonUrl }, deps.hooks);
  let info: { status: number; data: unknown };
  try {
    info = await probe(client, '/v2/info');
  } finally {
    await client.close();
  }
  if (info.status === 401) {
    throw username
      ? new DcosError(`login failed at ${marathonUrl}: wrong user name or password`, {
          code: 'login_failed',
        })
      : new DcosError(
          `Marathon at ${marathonUrl} wants credentials: add --username with --password-file or --password-env`,
          { code: 'unauthorized' },
        );
  }
  if (info.status !== 200 || !isRecord(info.data)) return undefined;
  const master = stringField(
    isRecord(info.data.marathon_config) ? info.data.marathon_config : undefined,
    'master',
  );
  const mesosUrl = input.mesosUrl ?? (master && /^https?:\/\//.test(master) ? master : undefined);
  if (mesosUrl) {
    const mesos = String(parseSetting('mesos.master_url', mesosUrl));
    const mesosClient = await clusterClient({ ...settings, 'core.dcos_url': mesos }, deps.hooks);
    let answers: boolean;
    try {
      answers =
        (await probe(mesosClient, '/version')).status === 200 ||
        (await probe(mesosClient, '/master/state')).status === 200;
    } finally {
      await mesosClient.close();
    }
    if (!answers) {
      throw new DcosError(`no Mesos master answers at ${mesos} (GET /version and /master/state failed)`, {
        code: 'mesos_unreachable',
      });
    }
    settings['mesos.master_url'] = mesos;
  } else {
    deps.hooks.warn?.('no Mesos master URL known; pass --mesos-url for node and task commands');
  }
  return {
    type: 'marathon',
    id: stringField(info.data, 'frameworkId'),
    name: undefined,
    version: stringField(info.data, 'version'),
    settings,
    authenticated: username !== undefined,
  };
}

/** When the system trust store rejects the cluster: use --ca-certs, or fetch the cluster's own CA and confirm it. */
async function clusterCa(url: string, input: SetupInput, deps: SetupDeps): Promise<string> {
  const insecure = await clusterClient(
    { 'core.dcos_url': url, 'core.ssl_verify': 'false' },
    { ...deps.hooks, warn: undefined },
  );
  let pem: string;
  try {
    pem = await insecure.get<string>('/ca/dcos-ca.crt', { headers: { accept: '*/*' }, expect: 'text' });
    new X509Certificate(pem);
  } catch {
    throw new DcosError(
      `TLS verification failed for ${url} and it serves no CA at /ca/dcos-ca.crt; pass --ca-certs <file> or --insecure`,
      { code: 'network_tls' },
    );
  } finally {
    await insecure.close();
  }
  const cert = new X509Certificate(pem);
  const summary = `issuer ${cert.issuer.replace(/\n/g, ', ')}, valid until ${cert.validTo}, SHA-256 ${cert.fingerprint256}`;
  if (input.noCheck) return pem;
  if (input.interactive && deps.confirm && (await deps.confirm(`Trust the cluster's CA (${summary})?`)))
    return pem;
  throw new DcosError(
    `${url} uses a certificate the system does not trust (CA: ${summary}); check the fingerprint, then rerun with --no-check, or pass --ca-certs <file>`,
    { code: 'network_tls' },
  );
}

async function detect(url: string, input: SetupInput, tls: Settings, deps: SetupDeps): Promise<Detected> {
  if (input.marathonUrl) {
    const marathon = String(parseSetting('marathon.url', input.marathonUrl));
    const found = await detectMarathon(marathon, input, tls, deps);
    if (!found) throw new DcosError(`no Marathon answers at ${marathon}/v2/info`, { code: 'not_marathon' });
    return found;
  }
  const client = await clusterClient({ 'core.dcos_url': url, ...tls }, deps.hooks);
  try {
    const dcos = await detectDcos(client, input, deps);
    if (dcos) return { ...dcos, settings: { ...tls, ...dcos.settings } };
    const marathon = await detectMarathon(url, input, tls, deps);
    if (marathon) return marathon;
  } finally {
    await client.close();
  }
  throw new DcosError(
    `${url} is neither DC/OS (no /dcos-metadata/dcos-version.json) nor Marathon (no /v2/info); check the URL`,
    { code: 'unknown_cluster_kind' },
  );
}

/**
 * `dcos cluster setup`: find out what answers at the URL (DC/OS or plain Marathon + Mesos), log in,
 * and save and attach the cluster. Nothing is written unless every check passed.
 */
export async function setupCluster(input: SetupInput, deps: SetupDeps): Promise<SetupResult> {
  if (input.insecure && input.caCertsPath)
    throw new UsageError('--insecure and --ca-certs contradict each other');
  const caFromFlag = input.caCertsPath ? await readCaBundle(input.caCertsPath) : undefined;
  const candidates = candidateUrls(input.url);
  let detected: Detected | undefined;
  let url = candidates[0] as string;
  let ca = caFromFlag;
  const tls: Settings = input.insecure ? { 'core.ssl_verify': 'false' } : {};
  for (const [index, candidate] of candidates.entries()) {
    url = candidate;
    try {
      detected = await detect(url, input, tls, withCa(deps, ca));
      break;
    } catch (error) {
      const tlsFailure = error instanceof NetworkError && error.kind === 'tls';
      // "wrong version number": the server speaks plain HTTP on that port, so try http:// next.
      const plainHttp = tlsFailure && /WRONG_VERSION_NUMBER|EPROTO/.test(error.debug ?? '');
      if (plainHttp && index < candidates.length - 1) continue;
      if (!tlsFailure || input.insecure || ca || !url.startsWith('https:')) throw error;
      ca = await clusterCa(url, input, deps);
      detected = await detect(url, input, tls, withCa(deps, ca));
      break;
    }
  }
  if (!detected) throw new DcosError(`cannot set up ${input.url}`);
  return saveCluster(url, detected, ca, input, deps);
}

async function saveCluster(
  url: string,
  detected: Detected,
  ca: string | undefined,
  input: SetupInput,
  deps: SetupDeps,
): Promise<SetupResult> {
  const existing = await deps.store.list();
  const id = detected.id ?? existing.find((cluster) => cluster.settings['core.dcos_url'] === url)?.id;
  const name = input.name ?? detected.name ?? new URL(url).host;
  const clash = existing.find((cluster: ClusterEntry) => clusterName(cluster) === name && cluster.id !== id);
  if (clash) {
    throw new ConfigError(
      `a cluster named "${name}" already exists (${clash.id}); pick another with --name`,
      {
        code: 'name_taken',
      },
    );
  }
  const clusterId = id ?? randomUUID();
  // The CA file goes first so a saved config never points at a CA that is not there.
  const caPath = ca ? join(deps.store.clustersDir, clusterId, CA_FILE) : undefined;
  if (ca && caPath) await writeFileAtomic(caPath, ca);
  const entry = await deps.store.create(
    {
      ...detected.settings,
      'core.dcos_url': url,
      'cluster.name': name,
      'cluster.type': detected.type,
      'core.ssl_verify': caPath ?? detected.settings['core.ssl_verify'] ?? 'true',
    },
    clusterId,
  );
  await deps.store.attach(entry.id);
  return {
    id: entry.id,
    name,
    url,
    type: detected.type,
    version: detected.version,
    authenticated: detected.authenticated,
  };
}
