/**
 * Marathon 1.10 app normalisation: turns a (validated) app body into the canonical `AppDefinition` Marathon
 * stores and serves. Pure: the version timestamp comes in through the options.
 *
 * Follows `AppNormalization.scala`: deprecated inputs (`ports`, `uris`, `ipAddress`, `container.docker.network`,
 * `container.docker.portMappings`) are translated to their canonical fields and never written out; fields Marathon
 * marks `omitEmpty` are absent when empty.
 */
import type { AppDefinition, FetchUri, HealthCheck, HealthCheckProtocol, PortDefinition } from '../types.js';

type Json = Record<string, unknown>;

export interface AppNetwork {
  mode: string;
  name?: string;
  labels?: Record<string, string>;
}

/** Output order of `App` fields, as Marathon's RAML-generated serialiser writes them (1.10). */
export const APP_FIELD_ORDER = [
  'id',
  'acceptedResourceRoles',
  'args',
  'backoffFactor',
  'backoffSeconds',
  'check',
  'cmd',
  'constraints',
  'container',
  'cpus',
  'dependencies',
  'disk',
  'env',
  'executor',
  'executorResources',
  'fetch',
  'healthChecks',
  'instances',
  'labels',
  'maxLaunchDelaySeconds',
  'mem',
  'gpus',
  'networks',
  'portDefinitions',
  'readinessChecks',
  'residency',
  'requirePorts',
  'secrets',
  'storeUrls',
  'taskKillGracePeriodSeconds',
  'upgradeStrategy',
  'user',
  'version',
  'versionInfo',
  'killSelection',
  'unreachableStrategy',
  'tty',
  'role',
  'resourceLimits',
] as const;

/** Fields Marathon omits when they are empty (`pragma.omitEmpty`, plus `acceptedResourceRoles`). */
const OMIT_EMPTY = new Set([
  'args',
  'constraints',
  'dependencies',
  'env',
  'fetch',
  'healthChecks',
  'readinessChecks',
  'secrets',
  'storeUrls',
  'acceptedResourceRoles',
]);

/** App fields whose change makes the planner restart the app (`RunSpec.isUpgrade` plus `versionInfo`-free extras). */
export const CONFIG_FIELDS = [
  'cmd',
  'args',
  'user',
  'env',
  'cpus',
  'mem',
  'disk',
  'gpus',
  'executor',
  'executorResources',
  'constraints',
  'fetch',
  'storeUrls',
  'portDefinitions',
  'requirePorts',
  'backoffSeconds',
  'backoffFactor',
  'maxLaunchDelaySeconds',
  'container',
  'healthChecks',
  'check',
  'taskKillGracePeriodSeconds',
  'dependencies',
  'upgradeStrategy',
  'labels',
  'acceptedResourceRoles',
  'networks',
  'readinessChecks',
  'residency',
  'secrets',
  'unreachableStrategy',
  'killSelection',
  'tty',
  'role',
  'resourceLimits',
] as const;

export const DEFAULT_SERVICE_PORT_BASE = 10000;
export const DEFAULT_CONTAINER_NETWORK = 'dcos';
export const MESOS_BRIDGE_NAME = 'mesos-bridge';
const EXTRACT_SUFFIXES = ['.tgz', '.tar.gz', '.tbz2', '.tar.bz2', '.txz', '.tar.xz', '.zip'];

// ---------------------------------------------------------------------------------------------------------------
// small helpers

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field of a raw body; JSON `null` counts as absent (play-json `validateOpt`). */
function field(raw: Json, key: string): unknown {
  const value = raw[key];
  return value === null ? undefined : value;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function objOrUndefined(value: unknown): Json | undefined {
  return isObject(value) ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

/** JSON with sorted keys and `omitEmpty` semantics at the top level: the equality used by the planner. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (isObject(v)) {
      const sorted: Json = {};
      for (const key of Object.keys(v).sort()) sorted[key] = v[key];
      return sorted;
    }
    return v;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// ids

/**
 * Absolute, canonical form of `id` (Marathon `PathId.canonicalPath`): relative ids are taken against `base`,
 * `.` and empty segments are dropped, `..` goes one level up (never above the root).
 */
export function resolveId(id: string, base: string): string {
  const source = id.startsWith('/') ? id : `${base}/${id}`;
  const segments: string[] = [];
  for (const segment of source.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/** The id of the group an absolute id lives in (`/` for top-level ids and for `/` itself). */
export function parentId(id: string): string {
  const cut = id.lastIndexOf('/');
  return cut <= 0 ? '/' : id.slice(0, cut);
}

// ---------------------------------------------------------------------------------------------------------------
// networks and ports (shared with validation, so that rules see what normalisation will produce)

/**
 * The canonical `networks` of a raw app: the given `networks`, or a translation of the deprecated
 * `container.docker.network` / `ipAddress` (Marathon's `NetworkTranslation`), or host networking.
 */
export function effectiveNetworks(raw: Json): AppNetwork[] {
  const ipAddress = objOrUndefined(field(raw, 'ipAddress'));
  const container = objOrUndefined(field(raw, 'container'));
  const docker = container ? objOrUndefined(field(container, 'docker')) : undefined;
  const dockerNetwork = docker ? str(field(docker, 'network'))?.toUpperCase() : undefined;
  const given = field(raw, 'networks');
  const ipLabels = ipAddress ? stringMap(ipAddress.labels) : {};
  const ipNetworkName = ipAddress ? str(field(ipAddress, 'networkName')) : undefined;

  let networks: AppNetwork[];
  if (Array.isArray(given) && given.length > 0) {
    networks = given.filter(isObject).map((n) => {
      const out: AppNetwork = { mode: str(n.mode)?.toLowerCase() ?? 'container' };
      const name = str(field(n, 'name'));
      if (name !== undefined) out.name = name;
      const labels = stringMap(n.labels);
      if (Object.keys(labels).length > 0) out.labels = labels;
      return out;
    });
  } else if (dockerNetwork !== undefined) {
    if (dockerNetwork === 'BRIDGE') networks = [withLabels({ mode: 'container/bridge' }, ipLabels)];
    else if (dockerNetwork === 'USER') {
      const net: AppNetwork = { mode: 'container' };
      if (ipNetworkName !== undefined) net.name = ipNetworkName;
      networks = [withLabels(net, ipLabels)];
    } else networks = [{ mode: 'host' }];
  } else if (ipAddress) {
    if (ipNetworkName === MESOS_BRIDGE_NAME) networks = [withLabels({ mode: 'container/bridge' }, ipLabels)];
    else {
      const net: AppNetwork = { mode: 'container' };
      if (ipNetworkName !== undefined) net.name = ipNetworkName;
      networks = [withLabels(net, ipLabels)];
    }
  } else networks = [{ mode: 'host' }];

  return networks.map((n) =>
    n.mode === 'container' && n.name === undefined ? { ...n, name: DEFAULT_CONTAINER_NETWORK } : n,
  );
}

function withLabels(network: AppNetwork, labels: Record<string, string>): AppNetwork {
  return Object.keys(labels).length > 0 ? { ...network, labels } : network;
}

export function isHostNetworking(networks: readonly AppNetwork[]): boolean {
  return networks.every((n) => n.mode === 'host');
}

/** `portDefinitions`, or the deprecated `ports` as port definitions; undefined when neither is given. */
function migratedPortDefinitions(raw: Json): Json[] | undefined {
  const defs = field(raw, 'portDefinitions');
  if (Array.isArray(defs)) return defs.filter(isObject);
  const ports = field(raw, 'ports');
  if (Array.isArray(ports)) return ports.map((port) => ({ port }));
  return undefined;
}

/** The port mappings given anywhere in the raw container (canonical, deprecated docker-level, or ipAddress discovery). */
function rawPortMappings(raw: Json): Json[] | undefined {
  const container = objOrUndefined(field(raw, 'container'));
  if (!container) return undefined;
  const canonical = field(container, 'portMappings');
  if (Array.isArray(canonical) && canonical.length > 0) return canonical.filter(isObject);
  const docker = objOrUndefined(field(container, 'docker'));
  const dockerMappings = docker ? field(docker, 'portMappings') : undefined;
  if (Array.isArray(dockerMappings) && dockerMappings.length > 0) return dockerMappings.filter(isObject);
  const type = (str(field(container, 'type')) ?? 'DOCKER').toUpperCase();
  const discovery = objOrUndefined(objOrUndefined(field(raw, 'ipAddress'))?.discovery);
  const discoveryPorts = discovery ? field(discovery, 'ports') : undefined;
  if (type === 'MESOS' && Array.isArray(discoveryPorts) && discoveryPorts.length > 0) {
    return discoveryPorts.filter(isObject).map((p) => {
      const mapping: Json = { containerPort: p.number, name: p.name, protocol: p.protocol };
      if (isObject(p.labels)) mapping.labels = p.labels;
      return mapping;
    });
  }
  if (Array.isArray(canonical)) return [];
  return undefined;
}

/**
 * Names of the ports an app will have after normalisation (one entry per port, `undefined` for unnamed ones):
 * port mappings for container/bridge networking, port definitions (default: one port named `default`) for host.
 */
export function effectivePortNames(raw: Json): Array<string | undefined> {
  const networks = effectiveNetworks(raw);
  if (isHostNetworking(networks)) {
    const defs = migratedPortDefinitions(raw);
    if (defs === undefined) return ['default'];
    return defs.map((d) => str(d.name));
  }
  const mappings = rawPortMappings(raw);
  const names = mappings === undefined ? ['default'] : mappings.map((m) => str(m.name));
  const defs = migratedPortDefinitions(raw) ?? [];
  while (names.length < defs.length) names.push(undefined);
  return names;
}

export function isResident(raw: Json): boolean {
  const container = objOrUndefined(field(raw, 'container'));
  const volumes = container ? field(container, 'volumes') : undefined;
  return Array.isArray(volumes) && volumes.some((v) => isObject(v) && isObject(v.persistent));
}

// ---------------------------------------------------------------------------------------------------------------
// pieces of the app

function normalizePortDefinition(raw: Json): PortDefinition {
  const out: PortDefinition = {
    port: num(raw.port, 0),
    protocol: str(raw.protocol)?.toLowerCase() ?? 'tcp',
  };
  const name = str(field(raw, 'name'));
  if (name !== undefined) out.name = name;
  const labels = stringMap(raw.labels);
  if (Object.keys(labels).length > 0) out.labels = labels;
  return out;
}

function normalizePortMapping(raw: Json, bridge: boolean): Json {
  const out: Json = { containerPort: num(raw.containerPort, 0) };
  if (typeof raw.hostPort === 'number') out.hostPort = raw.hostPort;
  else if (bridge) out.hostPort = 0;
  out.labels = stringMap(raw.labels);
  const name = str(field(raw, 'name'));
  if (name !== undefined) out.name = name;
  out.protocol = str(raw.protocol)?.toLowerCase() ?? 'tcp';
  out.servicePort = num(raw.servicePort, 0);
  if (Array.isArray(raw.networkNames)) out.networkNames = [...(raw.networkNames as unknown[])];
  return out;
}

function normalizeContainer(raw: Json, networks: AppNetwork[]): Json | undefined {
  const host = isHostNetworking(networks);
  const bridge = networks.some((n) => n.mode === 'container/bridge');
  const given = objOrUndefined(field(raw, 'container'));
  if (!given && host) return undefined;
  // Non-host networking without a container implies an empty Mesos container (Marathon's defaultMesosContainer).
  const container: Json = given ?? { type: 'MESOS' };

  const type = (str(field(container, 'type')) ?? 'DOCKER').toUpperCase();
  const out: Json = { type };

  const docker = objOrUndefined(field(container, 'docker'));
  if (docker) {
    const d: Json = {};
    for (const [key, value] of Object.entries(docker)) {
      if (key === 'network' || key === 'portMappings' || value === null) continue;
      d[key] = clone(value);
    }
    d.forcePullImage = bool(docker.forcePullImage, false);
    if (type === 'DOCKER') {
      d.privileged = bool(docker.privileged, false);
      d.parameters = Array.isArray(docker.parameters) ? clone(docker.parameters) : [];
    }
    out.docker = orderKeys(d, ['forcePullImage', 'image', 'parameters', 'privileged']);
  }
  out.volumes = Array.isArray(container.volumes) ? clone(container.volumes) : [];

  if (!host) {
    const mappings = rawPortMappings(raw) ?? [{ containerPort: 0, name: 'default' }];
    const normalised = mappings.map((m) => normalizePortMapping(m, bridge));
    const defs = migratedPortDefinitions(raw) ?? [];
    while (normalised.length < defs.length) normalised.push(normalizePortMapping({}, bridge));
    out.portMappings = normalised;
  }

  for (const [key, value] of Object.entries(container)) {
    if (key in out || key === 'portMappings' || value === null) continue;
    out[key] = clone(value);
  }
  return out;
}

function orderKeys(obj: Json, order: readonly string[]): Json {
  const out: Json = {};
  for (const key of order) if (obj[key] !== undefined) out[key] = obj[key];
  for (const key of Object.keys(obj)) if (!(key in out) && obj[key] !== undefined) out[key] = obj[key];
  return out;
}

function normalizeHealthCheck(raw: Json, hasPorts: boolean): HealthCheck {
  const protocol = (str(raw.protocol)?.toUpperCase() ?? 'HTTP') as HealthCheckProtocol;
  const check: Partial<HealthCheck> = {};
  const command = objOrUndefined(field(raw, 'command'));
  if (command && typeof command.value === 'string') check.command = { value: command.value };
  check.gracePeriodSeconds = num(raw.gracePeriodSeconds, 300);
  if (protocol === 'HTTP' || protocol === 'HTTPS') check.ignoreHttp1xx = bool(raw.ignoreHttp1xx, false);
  check.intervalSeconds = num(raw.intervalSeconds, 60);
  check.maxConsecutiveFailures = num(raw.maxConsecutiveFailures, 3);
  if (
    protocol === 'HTTP' ||
    protocol === 'HTTPS' ||
    protocol === 'MESOS_HTTP' ||
    protocol === 'MESOS_HTTPS'
  ) {
    check.path = str(field(raw, 'path')) ?? '/';
  }
  if (protocol !== 'COMMAND') {
    if (typeof raw.port === 'number') check.port = raw.port;
    if (typeof raw.portIndex === 'number') check.portIndex = raw.portIndex;
    else if (check.port === undefined && hasPorts) check.portIndex = 0;
  }
  check.protocol = protocol;
  const ipProtocol = str(field(raw, 'ipProtocol'));
  if (ipProtocol !== undefined) check.ipProtocol = ipProtocol;
  check.timeoutSeconds = num(raw.timeoutSeconds, 20);
  check.delaySeconds = num(raw.delaySeconds, 15);
  return check as HealthCheck;
}

function normalizeReadinessCheck(raw: Json): Json {
  const codes = field(raw, 'httpStatusCodesForReady');
  return {
    name: str(field(raw, 'name')) ?? 'readinessCheck',
    protocol: str(raw.protocol)?.toUpperCase() ?? 'HTTP',
    path: str(field(raw, 'path')) ?? '/',
    portName: str(field(raw, 'portName')) ?? 'http',
    intervalSeconds: num(raw.intervalSeconds, 30),
    timeoutSeconds: num(raw.timeoutSeconds, 10),
    httpStatusCodesForReady: Array.isArray(codes) && codes.length > 0 ? [...(codes as unknown[])] : [200],
    preserveLastResponse: bool(raw.preserveLastResponse, false),
  };
}

/** Marathon's `FetchUri.isExtract`: archives are extracted by the fetcher. */
export function isExtractable(uri: string): boolean {
  let path = uri;
  try {
    path = new URL(uri).pathname;
  } catch {
    // not an absolute URL: judge the string itself
  }
  return EXTRACT_SUFFIXES.some((suffix) => path.endsWith(suffix) || uri.endsWith(suffix));
}

function normalizeFetch(raw: Json): FetchUri[] {
  const fetch = field(raw, 'fetch');
  if (Array.isArray(fetch) && fetch.length > 0) {
    return fetch.filter(isObject).map((f) => {
      const out: FetchUri = {
        uri: String(f.uri),
        extract: bool(f.extract, true),
        executable: bool(f.executable, false),
        cache: bool(f.cache, false),
      };
      const destPath = str(field(f, 'destPath'));
      if (destPath !== undefined) out.destPath = destPath;
      return out;
    });
  }
  const uris = field(raw, 'uris');
  if (Array.isArray(uris)) {
    return uris
      .filter((u): u is string => typeof u === 'string')
      .map((uri) => ({ uri, extract: isExtractable(uri), executable: false, cache: false }));
  }
  return [];
}

function normalizeEnv(value: unknown): Record<string, string | { secret: string }> {
  const out: Record<string, string | { secret: string }> = {};
  if (!isObject(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
    else if (isObject(v) && typeof v.secret === 'string') out[key] = { secret: v.secret };
  }
  return out;
}

function normalizeUnreachable(value: unknown, resident: boolean): unknown {
  if (typeof value === 'string') return value.toLowerCase();
  if (isObject(value)) {
    return {
      inactiveAfterSeconds: num(value.inactiveAfterSeconds, 0),
      expungeAfterSeconds: num(value.expungeAfterSeconds, 0),
    };
  }
  return resident ? 'disabled' : { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// public API

export interface NormalizeAppOptions {
  /** The app's `version` (and the `versionInfo` timestamps). */
  version: string;
  /** Group a relative `id` is resolved against; `/` when absent. */
  parentGroup?: string;
  /** Role for apps that do not name one (Marathon's `--mesos_role`, or the enforced group role); `*` when absent. */
  defaultRole?: string;
}

/**
 * The canonical app for a raw app body that passed `validateApp`: Marathon 1.10 defaults applied, ids absolute,
 * deprecated fields translated, `omitEmpty` fields dropped, key order as Marathon writes it.
 */
export function normalizeApp(raw: Record<string, unknown>, options: NormalizeAppOptions): AppDefinition {
  const id = resolveId(String(raw.id ?? ''), options.parentGroup ?? '/');
  const networks = effectiveNetworks(raw);
  const host = isHostNetworking(networks);
  const resident = isResident(raw);
  const container = normalizeContainer(raw, networks);

  let portDefinitions: PortDefinition[] | undefined;
  if (host) {
    const defs = migratedPortDefinitions(raw);
    portDefinitions = defs
      ? defs.map(normalizePortDefinition)
      : [{ port: 0, protocol: 'tcp', name: 'default' }];
  }
  const mappings = container?.portMappings;
  const hasPorts = host ? (portDefinitions?.length ?? 0) > 0 : Array.isArray(mappings) && mappings.length > 0;

  const out: Json = { id };

  const roles = field(raw, 'acceptedResourceRoles');
  if (Array.isArray(roles)) out.acceptedResourceRoles = [...(roles as unknown[])];
  const args = field(raw, 'args');
  if (Array.isArray(args)) out.args = [...(args as unknown[])];
  out.backoffFactor = num(raw.backoffFactor, 1.15);
  out.backoffSeconds = num(raw.backoffSeconds, 1);
  if (field(raw, 'check') !== undefined) out.check = clone(raw.check);
  const cmd = str(field(raw, 'cmd'));
  if (cmd !== undefined && cmd !== '') out.cmd = cmd;
  const constraints = field(raw, 'constraints');
  if (Array.isArray(constraints)) {
    out.constraints = constraints
      .filter(Array.isArray)
      .map((c) => (c as unknown[]).map((part) => String(part)));
  }
  if (container) out.container = container;
  out.cpus = num(raw.cpus, 1);
  const dependencies = field(raw, 'dependencies');
  if (Array.isArray(dependencies)) {
    const base = parentId(id);
    out.dependencies = [
      ...new Set(
        dependencies.filter((d): d is string => typeof d === 'string').map((d) => resolveId(d, base)),
      ),
    ];
  }
  out.disk = num(raw.disk, 0);
  out.env = normalizeEnv(field(raw, 'env'));
  out.executor = str(field(raw, 'executor')) ?? '';
  if (isObject(field(raw, 'executorResources'))) out.executorResources = clone(raw.executorResources);
  out.fetch = normalizeFetch(raw);
  const healthChecks = field(raw, 'healthChecks');
  if (Array.isArray(healthChecks)) {
    out.healthChecks = healthChecks.filter(isObject).map((h) => normalizeHealthCheck(h, hasPorts));
  }
  out.instances = num(raw.instances, 1);
  out.labels = stringMap(field(raw, 'labels'));
  out.maxLaunchDelaySeconds = num(raw.maxLaunchDelaySeconds, 300);
  out.mem = num(raw.mem, 128);
  out.gpus = num(raw.gpus, 0);
  out.networks = networks;
  if (portDefinitions) out.portDefinitions = portDefinitions;
  const readiness = field(raw, 'readinessChecks');
  if (Array.isArray(readiness)) out.readinessChecks = readiness.filter(isObject).map(normalizeReadinessCheck);
  const residency = objOrUndefined(field(raw, 'residency'));
  if (residency || resident) {
    out.residency = {
      relaunchEscalationTimeoutSeconds: num(residency?.relaunchEscalationTimeoutSeconds, 3600),
      taskLostBehavior: str(residency?.taskLostBehavior) ?? 'WAIT_FOREVER',
    };
  }
  out.requirePorts = host ? bool(raw.requirePorts, false) : false;
  if (isObject(field(raw, 'secrets'))) out.secrets = clone(raw.secrets);
  const storeUrls = field(raw, 'storeUrls');
  if (Array.isArray(storeUrls)) out.storeUrls = [...(storeUrls as unknown[])];
  if (typeof raw.taskKillGracePeriodSeconds === 'number') {
    out.taskKillGracePeriodSeconds = raw.taskKillGracePeriodSeconds;
  }
  const strategy = objOrUndefined(field(raw, 'upgradeStrategy'));
  const defaultStrategy = resident
    ? { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }
    : { minimumHealthCapacity: 1, maximumOverCapacity: 1 };
  out.upgradeStrategy = {
    minimumHealthCapacity: num(strategy?.minimumHealthCapacity, defaultStrategy.minimumHealthCapacity),
    maximumOverCapacity: num(strategy?.maximumOverCapacity, defaultStrategy.maximumOverCapacity),
  };
  const user = str(field(raw, 'user'));
  if (user !== undefined) out.user = user;
  out.version = options.version;
  out.versionInfo = { lastScalingAt: options.version, lastConfigChangeAt: options.version };
  out.killSelection = str(field(raw, 'killSelection'))?.toUpperCase() ?? 'YOUNGEST_FIRST';
  out.unreachableStrategy = normalizeUnreachable(field(raw, 'unreachableStrategy'), resident);
  if (typeof raw.tty === 'boolean') out.tty = raw.tty;
  out.role = str(field(raw, 'role')) ?? options.defaultRole ?? '*';
  if (isObject(field(raw, 'resourceLimits'))) out.resourceLimits = clone(raw.resourceLimits);

  return dropEmpty(out) as AppDefinition;
}

function dropEmpty(app: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(app)) {
    if (value === undefined) continue;
    if (OMIT_EMPTY.has(key) && isEmptyValue(value)) continue;
    out[key] = value;
  }
  return out;
}

/**
 * Replaces every service port 0 (`portDefinitions[].port`, `container.portMappings[].servicePort`) with the next
 * free port from 10000 up that is neither in `used` nor already taken by the app. `used` is not modified.
 */
export function assignServicePorts(app: AppDefinition, used: Set<number>): AppDefinition {
  const taken = new Set(used);
  for (const def of app.portDefinitions ?? []) if (def.port !== 0) taken.add(def.port);
  const mappings = Array.isArray(app.container?.portMappings) ? (app.container.portMappings as Json[]) : [];
  for (const m of mappings)
    if (typeof m.servicePort === 'number' && m.servicePort !== 0) taken.add(m.servicePort);

  let next = DEFAULT_SERVICE_PORT_BASE;
  const allocate = (): number => {
    while (taken.has(next)) next += 1;
    if (next > 65535) throw new Error('no free service port left');
    taken.add(next);
    return next;
  };

  const out: AppDefinition = { ...app };
  if (app.portDefinitions) {
    out.portDefinitions = app.portDefinitions.map((def) =>
      def.port === 0 ? { ...def, port: allocate() } : def,
    );
  }
  if (app.container && mappings.length > 0) {
    out.container = {
      ...app.container,
      portMappings: mappings.map((m) => (m.servicePort === 0 ? { ...m, servicePort: allocate() } : m)),
    };
  }
  return out;
}

/** Fields of `GET /v2/apps` answers (AppInfo) that clients send back; accepted and ignored on input. */
export const APP_INFO_FIELDS = new Set([
  'tasksStaged',
  'tasksRunning',
  'tasksHealthy',
  'tasksUnhealthy',
  'deployments',
  'tasks',
  'lastTaskFailure',
  'readinessCheckResults',
  'taskStats',
  'tasksStats',
]);

/**
 * Marathon's partial update (PUT with the default `partialUpdate=true`, PATCH): the fields given in `patch`
 * replace the existing ones (top level; `null` means "not given"), the id stays the existing one. Returns a raw
 * app for `validateApp` + `normalizeApp`. Output-only fields (`version`, `versionInfo`, AppInfo counters) of the
 * existing app are dropped; a `version` in the patch is kept (rollback request, see `validateApp` partial rules).
 */
export function applyAppUpdate(
  existing: AppDefinition,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out = appJson(existing);
  delete out.version;
  delete out.versionInfo;

  const given = (key: string): boolean => patch[key] !== undefined && patch[key] !== null;
  if (given('cmd')) delete out.args;
  if (given('args')) delete out.cmd;
  if (given('ports')) delete out.portDefinitions;
  if (given('uris')) delete out.fetch;
  const patchContainer = objOrUndefined(patch.container);
  const patchDocker = patchContainer ? objOrUndefined(patchContainer.docker) : undefined;
  if (
    given('ipAddress') ||
    (patchDocker && patchDocker.network !== undefined && patchDocker.network !== null)
  ) {
    delete out.networks;
  }
  if (given('networks') && Array.isArray(patch.networks) && !given('portDefinitions') && !given('ports')) {
    const nonHost = patch.networks.some(
      (n) => isObject(n) && String(n.mode ?? 'container').toLowerCase() !== 'host',
    );
    if (nonHost) delete out.portDefinitions;
  }

  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === null || key === 'id' || APP_INFO_FIELDS.has(key)) continue;
    out[key] = clone(value);
  }
  out.id = existing.id;
  return out;
}

/** The app as Marathon serialises it: Marathon's key order, `omitEmpty` fields absent, a copy. */
export function appJson(app: AppDefinition): Record<string, unknown> {
  const source = app as Json;
  const out: Json = {};
  for (const key of APP_FIELD_ORDER) {
    const value = source[key];
    if (value === undefined || value === null) continue;
    if (OMIT_EMPTY.has(key) && isEmptyValue(value)) continue;
    out[key] = clone(value);
  }
  for (const [key, value] of Object.entries(source)) {
    if (key in out || value === undefined || (APP_FIELD_ORDER as readonly string[]).includes(key)) continue;
    out[key] = clone(value);
  }
  return out;
}

/** True when `to` differs from `from` in a field that needs a restart (the §4.1 list); `instances` is not one. */
export function configChanged(from: AppDefinition, to: AppDefinition): boolean {
  const a = from as Json;
  const b = to as Json;
  return CONFIG_FIELDS.some((key) => {
    const left = OMIT_EMPTY.has(key) && isEmptyValue(a[key]) ? undefined : a[key];
    const right = OMIT_EMPTY.has(key) && isEmptyValue(b[key]) ? undefined : b[key];
    return canonicalJson(left) !== canonicalJson(right);
  });
}

/**
 * Marathon's version bookkeeping for an update of `previous` to `next` (`next` fresh from `normalizeApp`):
 * a config change keeps `next` as it is; a scale-only change keeps `lastConfigChangeAt`; no change at all keeps
 * the previous `version` and `versionInfo`. (For `POST /restart` use the freshly normalised app as it is.)
 */
export function withVersionInfo(previous: AppDefinition | undefined, next: AppDefinition): AppDefinition {
  if (!previous || configChanged(previous, next)) return next;
  if (previous.instances !== next.instances) {
    return {
      ...next,
      versionInfo: {
        lastScalingAt: next.version,
        lastConfigChangeAt: previous.versionInfo.lastConfigChangeAt,
      },
    };
  }
  return { ...next, version: previous.version, versionInfo: { ...previous.versionInfo } };
}
