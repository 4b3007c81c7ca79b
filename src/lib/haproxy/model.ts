/**
 * haproxy.cfg from Marathon apps with their tasks (`GET /v2/apps?embed=apps.tasks`), with marathon-lb's labels
 * and template names. Pure: the same apps and options give the same bytes, so callers can compare texts to
 * decide whether to reload. One app's bad label, template or id drops that app (reported), never the config.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

import { UsageError } from '../errors.js';
import { isRecord } from '../json.js';
import {
  appBindAddrValue,
  appIdValue,
  balanceValue,
  bindAddrValue,
  bindOptionsValue,
  booleanValue,
  certPathValue,
  checkLabelTemplateOutput,
  groupsValue,
  healthPathValue,
  integerValue,
  modeValue,
  pathValue,
  portValue,
  printable,
  taskHostValue,
  UnsafeValueError,
  vhostsValue,
} from './sanitize.js';
import {
  compileTemplate,
  compileTemplateSet,
  renderTemplate,
  TemplateError,
  TEMPLATES,
  templateName,
  type CompiledTemplate,
  type TemplateName,
} from './templates.js';
import type {
  AppCertificate,
  HaproxyConfig,
  HaproxyOptions,
  HaproxyReport,
  IgnoredLabel,
  PortConflict,
} from './types.js';

export const DEFAULT_GROUP = 'external';
const DEFAULTS = { httpPort: 80, httpsPort: 443, statsPort: 9090, bindAddress: '*', maxconn: 50_000 };

/** Task states that never serve (marathon-lb's list); RUNNING, LOST and UNREACHABLE stay, optimistically. */
const DEAD_STATES = new Set(
  [
    'STAGING',
    'STARTING',
    'KILLING',
    'FINISHED',
    'FAILED',
    'KILLED',
    'ERROR',
    'DROPPED',
    'GONE',
    'GONE_BY_OPERATOR',
    'UNKNOWN',
  ].flatMap((state) => [state, `TASK_${state}`]),
);

/** Per-port labels this generator reads (besides template overrides). */
const PORT_LABELS = new Set([
  'VHOST',
  'PATH',
  'MODE',
  'BIND_ADDR',
  'PORT',
  'BIND_OPTIONS',
  'SSL_CERT',
  'STICKY',
  'REDIRECT_TO_HTTPS',
  'BALANCE',
  'BACKEND_WEIGHT',
  'GROUP',
  // Only means something with marathon-lb's --strict-mode, which this generator does not have.
  'ENABLED',
]);

/** marathon-lb labels with behaviour not implemented here: said once per app so nobody relies on them. */
const UNSUPPORTED_LABELS = new Set([
  'AUTH',
  'USE_HSTS',
  'HTTP_BACKEND_PROXYPASS_PATH',
  'HTTP_BACKEND_REVPROXY_PATH',
  'HTTP_BACKEND_REDIR',
  'BACKEND_NETWORK_ALLOWED_ACL',
  'BACKEND_HEALTHCHECK_PORT_INDEX',
  'DEPLOYMENT_GROUP',
]);

type Mode = 'http' | 'tcp';

interface Server {
  host: string;
  port: number;
  name: string;
}

interface Service {
  appId: string;
  index: number;
  servicePort: number;
  bindAddr: string;
  backend: string;
  vhosts: string[];
  weight: number;
  redirect: boolean;
  sslCert: string | undefined;
  frontend: string;
  backendText: string;
  httpAcl: string;
  httpRedirect: string;
  httpRoute: string;
  httpsRoute: string;
}

interface Task {
  id: string;
  host: string;
  ports: number[];
}

interface HealthCheck {
  protocol: string;
  path: string;
  port: number | undefined;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
}

interface Context {
  groups: string[];
  healthCheck: boolean;
  bindAddress: string;
  templates: Map<string, CompiledTemplate>;
  allowAppTemplates: boolean;
  sharedFrontendAppTemplates: ReadonlySet<TemplateName>;
  appCertificates: ReadonlyMap<string, AppCertificate>;
  sslCertDirsGiven: boolean;
}

interface Label {
  key: string;
  value: string;
}

type AppOutcome =
  | { kind: 'services'; services: Service[]; warnings: string[]; ignored: IgnoredLabel[] }
  | { kind: 'skipped'; reason: string; warnings: string[]; ignored: IgnoredLabel[] };

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The app list of `{apps:[...]}`, a bare array, or a group tree (`GET /v2/groups`); apps of nested groups too. */
export function appList(input: unknown): unknown[] {
  if (Array.isArray(input)) return input;
  if (isRecord(input) && (Array.isArray(input.apps) || Array.isArray(input.groups))) {
    const apps: unknown[] = [];
    const visit = (group: Record<string, unknown>) => {
      if (Array.isArray(group.apps)) apps.push(...(group.apps as unknown[]));
      if (Array.isArray(group.groups)) for (const child of group.groups) if (isRecord(child)) visit(child);
    };
    visit(input);
    return apps;
  }
  throw new UsageError(
    'expected Marathon apps: {"apps":[...]} (GET /v2/apps?embed=apps.tasks), an array of apps, or a group',
    { code: 'invalid_apps' },
  );
}

/**
 * Generates the config. `apps` is the body of `GET /v2/apps?embed=apps.tasks` (or its `apps` array). Throws
 * only for the caller's own mistakes (the input's overall shape, options, `--templates`); everything wrong
 * with one app is in the report.
 */
export function generateHaproxyConfig(apps: unknown, options: HaproxyOptions = {}): HaproxyConfig {
  const settings = checkedOptions(options);
  let templates: Map<string, CompiledTemplate>;
  try {
    templates = compileTemplateSet(options.templates);
  } catch (error) {
    if (error instanceof TemplateError) throw new UsageError(error.message, { code: 'template_error' });
    throw error;
  }
  const context: Context = {
    groups: options.groups && options.groups.length > 0 ? [...options.groups] : [DEFAULT_GROUP],
    healthCheck: options.healthCheck ?? false,
    bindAddress: settings.bindAddress,
    templates,
    allowAppTemplates: options.allowAppTemplates ?? false,
    sharedFrontendAppTemplates: settings.sharedFrontendAppTemplates,
    appCertificates: options.appCertificates ?? new Map(),
    sslCertDirsGiven: (options.sslCertDirs ?? []).length > 0,
  };

  const report: HaproxyReport = {
    included: [],
    dropped: [],
    conflicts: [],
    warnings: [],
    skipped: [],
    ignoredLabels: [],
  };
  const dropped = report.dropped;
  const skipped = report.skipped!;

  // Ids first: a bad or repeated id drops the app before anything else looks at it.
  const byId = new Map<string, Record<string, unknown>[]>();
  appList(apps).forEach((app, position) => {
    if (!isRecord(app)) {
      dropped.push({ appId: `(app #${position + 1})`, reason: 'not a JSON object' });
      return;
    }
    try {
      const id = appIdValue(app.id);
      const list = byId.get(id);
      if (list) list.push(app);
      else byId.set(id, [app]);
    } catch (error) {
      const shown = typeof app.id === 'string' ? printable(app.id) : `(app #${position + 1})`;
      dropped.push({ appId: shown, reason: (error as Error).message });
    }
  });

  const services: Service[] = [];
  for (const id of [...byId.keys()].sort(compare)) {
    const copies = byId.get(id)!;
    if (copies.length > 1) {
      dropped.push({ appId: id, reason: `the input holds ${copies.length} apps with this id` });
      continue;
    }
    let outcome: AppOutcome;
    try {
      outcome = planApp(copies[0]!, id, context);
    } catch (error) {
      if (!(error instanceof UnsafeValueError || error instanceof TemplateError)) throw error;
      dropped.push({ appId: id, reason: error.message });
      continue;
    }
    report.warnings.push(...outcome.warnings);
    report.ignoredLabels!.push(...outcome.ignored);
    if (outcome.kind === 'skipped') skipped.push({ appId: id, reason: outcome.reason });
    else services.push(...outcome.services);
  }

  const kept = resolvePorts(services, settings, report);
  const included = new Set<string>();
  for (const service of kept) included.add(service.appId);
  // An app whose every service lost its port is as good as dropped; say so in one place.
  const lostAll = new Set<string>();
  for (const service of services) if (!included.has(service.appId)) lostAll.add(service.appId);
  for (const appId of lostAll) {
    dropped.push({ appId, reason: 'every service port of the app is taken (see conflicts)' });
  }
  report.included = [...included];
  dropped.sort((a, b) => compare(a.appId, b.appId));

  const certs = [...settings.sslCerts];
  for (const service of kept)
    if (service.sslCert && !certs.includes(service.sslCert)) certs.push(service.sslCert);
  const vhostServices = kept.filter((service) => service.vhosts.length > 0);
  const https = vhostServices.length > 0 && certs.length > 0;
  if (vhostServices.length > 0 && !https) {
    report.warnings.push(
      'apps have virtual hosts but no certificate was given: no HTTPS frontend (--ssl-certs)',
    );
  }

  const out = new ConfigWriter();
  out.add(
    renderTemplate(templates.get('HEAD')!, {
      maxconn: String(settings.maxconn),
      statsSocket: settings.statsSocket
        ? `  stats socket ${settings.statsSocket} expose-fd listeners level admin\n`
        : '',
      bindAddr: settings.bindAddress,
      statsPort: String(settings.statsPort),
    }),
  );
  out.add(
    renderTemplate(templates.get('HTTP_FRONTEND_HEAD')!, {
      bindAddr: settings.bindAddress,
      httpPort: String(settings.httpPort),
    }),
  );
  // Rule order is meaning in a frontend: heavier weights first, then (app id, service port) order. All acl
  // lines come first (they must precede their use), then the redirects (http-request rules run before
  // use_backend anyway, and HAProxy warns when they are written after one), then use_backend.
  const routed = [...vhostServices].sort((a, b) => b.weight - a.weight);
  for (const service of routed) out.add(service.httpAcl, service.appId);
  for (const service of routed) out.add(service.httpRedirect, service.appId);
  for (const service of routed) out.add(service.httpRoute, service.appId);
  if (https) {
    out.add(
      renderTemplate(templates.get('HTTPS_FRONTEND_HEAD')!, {
        bindAddr: settings.bindAddress,
        httpsPort: String(settings.httpsPort),
        sslCerts: certs.map((cert) => `crt ${cert}`).join(' '),
      }),
    );
    for (const service of routed) out.add(service.httpsRoute, service.appId);
  }
  for (const service of kept) if (service.frontend !== '') out.add(service.frontend, service.appId);
  for (const service of kept) out.add(service.backendText, service.appId);
  return out.finish(report);
}

interface Settings {
  httpPort: number;
  httpsPort: number;
  statsPort: number;
  bindAddress: string;
  maxconn: number;
  statsSocket: string | undefined;
  sslCerts: string[];
  reservedPorts: number[];
  sharedFrontendAppTemplates: Set<TemplateName>;
}

function checkedOptions(options: HaproxyOptions): Settings {
  const port = (value: number | undefined, fallback: number, name: string) => {
    const chosen = value ?? fallback;
    if (!Number.isInteger(chosen) || chosen < 1 || chosen > 65535) {
      throw new UsageError(`${name} must be a port from 1 to 65535, not ${chosen}`);
    }
    return chosen;
  };
  const safe = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof UnsafeValueError) throw new UsageError(error.message);
      throw error;
    }
  };
  const maxconn = options.maxconn ?? DEFAULTS.maxconn;
  if (!Number.isInteger(maxconn) || maxconn < 1) throw new UsageError(`maxconn must be a positive integer`);
  return {
    httpPort: port(options.httpPort, DEFAULTS.httpPort, 'the HTTP port'),
    httpsPort: port(options.httpsPort, DEFAULTS.httpsPort, 'the HTTPS port'),
    statsPort: port(options.statsPort, DEFAULTS.statsPort, 'the stats port'),
    bindAddress: safe(() => bindAddrValue(options.bindAddress ?? DEFAULTS.bindAddress, 'the bind address')),
    maxconn,
    statsSocket:
      options.statsSocket === undefined
        ? undefined
        : safe(() => certPathValue(options.statsSocket!, 'the stats socket path')),
    sslCerts: (options.sslCerts ?? []).map((cert) => safe(() => certPathValue(cert, 'a certificate path'))),
    reservedPorts: (options.reservedPorts ?? []).map((value) => port(value, 0, 'a reserved port')),
    sharedFrontendAppTemplates: new Set(
      (options.sharedFrontendAppTemplates ?? []).map(sharedFrontendTemplate),
    ),
  };
}

/** A name in the operator's SHARED_FRONTEND_APP_TEMPLATES: it must be one of the shared frontends' templates. */
function sharedFrontendTemplate(given: string): TemplateName {
  const name = templateName(given);
  const shared = Object.keys(TEMPLATES).filter((known) => TEMPLATES[known]!.sharedFrontend);
  if (!name || !TEMPLATES[name]!.sharedFrontend) {
    const why = name
      ? `is not a template of a shared frontend (--allow-app-templates alone lets apps set it)`
      : 'names no template';
    throw new UsageError(
      `SHARED_FRONTEND_APP_TEMPLATES: ${printable(given)} ${why}; the shared frontends' templates are ` +
        shared.map((known) => `HAPROXY_${known}`).join(', '),
      { code: 'template_error' },
    );
  }
  return name;
}

/** Collects the text and, for each line an app wrote, the app (for mapping `haproxy -c` errors back). */
class ConfigWriter {
  private readonly chunks: string[] = [];
  private readonly owners: Array<string | undefined> = [];

  add(text: string, owner?: string): void {
    if (text === '') return;
    this.chunks.push(text);
    this.owners.push(owner);
  }

  /** The text, and the line owners computed on first use: only error mapping needs them. */
  finish(report: HaproxyReport): HaproxyConfig {
    let text = this.chunks.join('');
    if (!text.endsWith('\n')) text += '\n';
    const { chunks, owners } = this;
    let lineOwners: Map<number, string> | undefined;
    return {
      text,
      report,
      get lineOwners() {
        lineOwners ??= countLines(text, chunks, owners);
        return lineOwners;
      },
    };
  }
}

/**
 * Which app wrote each line. Lines are counted in the joined (flat) text: scanning each chunk, a rope of
 * template pieces, would flatten every one of them first.
 */
function countLines(text: string, chunks: string[], owners: Array<string | undefined>): Map<number, string> {
  const lineOwners = new Map<number, string>();
  let line = 1;
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    const end = offset + chunks[i]!.length;
    const owner = owners[i];
    while (offset < end) {
      let newline = text.indexOf('\n', offset);
      if (newline < 0 || newline >= end) newline = end;
      // A chunk that does not end its last line leaves it open for the next chunk (same line number).
      if (owner !== undefined && newline > offset) lineOwners.set(line, owner);
      if (newline < end) line++;
      offset = newline + (newline < end ? 1 : 0);
    }
  }
  return lineOwners;
}

/** `/web/site` on 10001 -> `web_site_10001` (marathon-lb's names; ids are already [A-Za-z0-9_.-/]). */
export function backendName(appId: string, servicePort: number): string {
  return `${appId.replace(/^\//, '').replaceAll('/', '_')}_${servicePort}`;
}

function labelsOf(app: Record<string, unknown>): Map<string, Label> {
  const labels = new Map<string, Label>();
  if (!isRecord(app.labels)) return labels;
  for (const key of Object.keys(app.labels).sort(compare)) {
    if (!key.startsWith('HAPROXY_')) continue;
    const value = app.labels[key];
    if (typeof value !== 'string') throw new UnsafeValueError(`label ${key} is not a string`);
    labels.set(key, { key, value });
  }
  return labels;
}

/** Which networking an app uses, as marathon-lb reads it (the last of `networks[]` wins). */
function networking(app: Record<string, unknown>): 'host' | 'bridge' | 'container' {
  if (isRecord(app.ipAddress)) return 'container';
  const container = isRecord(app.container) ? app.container : {};
  const docker = isRecord(container.docker) ? container.docker : {};
  if (docker.network === 'USER') return 'container';
  if (docker.network === 'BRIDGE') return 'bridge';
  if (Array.isArray(app.networks) && app.networks.length > 0) {
    const last = app.networks[app.networks.length - 1];
    const mode = isRecord(last) ? last.mode : undefined;
    if (mode === 'container') return 'container';
    if (mode === 'container/bridge') return 'bridge';
  }
  return 'host';
}

function numbers(list: unknown, field: string): number[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const value = field === '' ? item : isRecord(item) ? item[field] : undefined;
    return typeof value === 'number' && Number.isInteger(value) ? value : 0;
  });
}

function portMappings(app: Record<string, unknown>): unknown {
  const container = isRecord(app.container) ? app.container : {};
  if (Array.isArray(container.portMappings)) return container.portMappings;
  const docker = isRecord(container.docker) ? container.docker : {};
  return docker.portMappings;
}

function servicePorts(app: Record<string, unknown>, mode: ReturnType<typeof networking>): number[] {
  if (mode !== 'host') {
    const mapped = numbers(portMappings(app), 'servicePort');
    if (mapped.length > 0) return mapped;
  }
  const defined = numbers(app.portDefinitions, 'port');
  return defined.length > 0 ? defined : numbers(app.ports, '');
}

/** Live tasks with the address and ports HAProxy should use, sorted by id (servers are sorted again later). */
function liveTasks(
  app: Record<string, unknown>,
  mode: ReturnType<typeof networking>,
  context: Context,
  hasHealthChecks: boolean,
  warnings: string[],
  appId: string,
): { tasks: Task[]; unhealthy: number } {
  const tasks: Task[] = [];
  let unhealthy = 0;
  if (!Array.isArray(app.tasks)) return { tasks, unhealthy };
  const fallbackPorts =
    mode === 'container'
      ? (() => {
          const discovery =
            isRecord(app.ipAddress) && isRecord(app.ipAddress.discovery) ? app.ipAddress.discovery : {};
          const discovered = numbers(discovery.ports, 'number');
          return discovered.length > 0 ? discovered : numbers(portMappings(app), 'containerPort');
        })()
      : (() => {
          const defined = numbers(app.portDefinitions, 'port');
          return defined.length > 0 || mode === 'host'
            ? defined
            : numbers(portMappings(app), 'containerPort');
        })();
  for (const task of app.tasks) {
    if (!isRecord(task) || typeof task.id !== 'string') continue;
    if (typeof task.state === 'string' && DEAD_STATES.has(task.state)) continue;
    if (typeof task.startedAt !== 'string' || task.startedAt === '') continue;
    if (typeof task.host !== 'string' || task.host === '') continue;
    if (context.healthCheck && hasHealthChecks) {
      const results = Array.isArray(task.healthCheckResults) ? task.healthCheckResults : [];
      if (results.length === 0 || !results.every((result) => isRecord(result) && result.alive === true)) {
        unhealthy++;
        continue;
      }
    }
    let address: unknown = task.host;
    let ports: number[];
    if (mode === 'container') {
      const first = Array.isArray(task.ipAddresses) ? task.ipAddresses[0] : undefined;
      address = isRecord(first) ? first.ipAddress : undefined;
      ports = fallbackPorts;
    } else {
      ports = numbers(task.ports, '');
      if (ports.length === 0) ports = fallbackPorts;
    }
    const host = taskHostValue(address);
    if (host === undefined) {
      warnings.push(`${appId}: task ${printable(task.id)} has no usable address; left out`);
      continue;
    }
    tasks.push({ id: task.id, host, ports });
  }
  tasks.sort((a, b) => compare(a.id, b.id));
  return { tasks, unhealthy };
}

function healthChecks(app: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(app.healthChecks) ? app.healthChecks.filter(isRecord) : [];
}

/** marathon-lb's choice: the first check with an explicit `port`, or whose `portIndex` is this index. */
function healthCheckFor(
  checks: Record<string, unknown>[],
  index: number,
  appId: string,
): HealthCheck | undefined {
  const position = checks.findIndex(
    (check) =>
      typeof check.port === 'number' || (typeof check.portIndex === 'number' ? check.portIndex : 0) === index,
  );
  if (position < 0) return undefined;
  const check = checks[position]!;
  const what = `${appId} health check ${position}`;
  const seconds = (field: string, fallback: number, min: number) => {
    const value = check[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new UnsafeValueError(`${what}: ${field} must be a whole number of seconds`);
    }
    return Math.max(min, value);
  };
  const protocol = typeof check.protocol === 'string' ? check.protocol.toUpperCase() : 'HTTP';
  if (!/^[A-Z_]+$/.test(protocol)) throw new UnsafeValueError(`${what}: unknown protocol`);
  let port: number | undefined;
  if (typeof check.port === 'number') {
    if (!Number.isInteger(check.port) || check.port < 1 || check.port > 65535) {
      throw new UnsafeValueError(`${what}: port must be from 1 to 65535`);
    }
    port = check.port;
  }
  return {
    protocol,
    path: isHttpCheck(protocol) ? healthPathValue(check.path ?? '/', `${what}: path`) : '/',
    port,
    // Marathon's defaults for fields a hand-written document may leave out.
    intervalSeconds: seconds('intervalSeconds', 60, 1),
    timeoutSeconds: seconds('timeoutSeconds', 20, 1),
    maxConsecutiveFailures: seconds('maxConsecutiveFailures', 3, 0),
  };
}

function isHttpCheck(protocol: string): boolean {
  return (
    protocol === 'HTTP' || protocol === 'HTTPS' || protocol === 'MESOS_HTTP' || protocol === 'MESOS_HTTPS'
  );
}

function matchesGroups(groups: string[], wanted: string[]): boolean {
  if (wanted.includes('*')) return true;
  return groups.some((group) => wanted.includes(group));
}

function serverName(host: string, port: number): string {
  return `${host}_${port}`.replace(/[^A-Za-z0-9-]/g, '_');
}

/** Everything the generator does for one app; throws UnsafeValueError/TemplateError to drop it. */
function planApp(app: Record<string, unknown>, appId: string, context: Context): AppOutcome {
  const warnings: string[] = [];
  const ignored: IgnoredLabel[] = [];
  const labels = labelsOf(app);
  const portLabels = new Map<number, Map<string, Label>>();
  const appTemplates = new Map<string, Label>();
  let appGroups: string[] = [];
  for (const label of labels.values()) {
    const perPort = /^HAPROXY_(\d{1,4})_(.+)$/.exec(label.key);
    const name = perPort ? perPort[2]! : label.key.slice('HAPROXY_'.length);
    const template = templateName(name);
    const refusal = template && TEMPLATES[template]!.overridable ? appTemplateRefusal(template, context) : '';
    if (template && !TEMPLATES[template]!.overridable) {
      ignored.push({ appId, label: label.key, reason: `HAPROXY_${template} cannot be changed by an app` });
      warnings.push(`${appId}: label ${label.key}: HAPROXY_${template} cannot be changed by an app; ignored`);
    } else if (refusal) {
      ignored.push({ appId, label: label.key, reason: refusal });
      warnings.push(`${appId}: label ${label.key} ignored: ${refusal}`);
    } else if (UNSUPPORTED_LABELS.has(name)) {
      warnings.push(`${appId}: label ${label.key} is not supported; ignored`);
    } else if (perPort) {
      if (!template && !PORT_LABELS.has(name)) {
        warnings.push(`${appId}: unknown label ${label.key}; ignored`);
        continue;
      }
      const index = Number(perPort[1]);
      let forPort = portLabels.get(index);
      if (!forPort) portLabels.set(index, (forPort = new Map()));
      forPort.set(name, label);
    } else if (name === 'GROUP') {
      appGroups = groupsValue(label.value, `label ${label.key}`);
    } else if (template) {
      appTemplates.set(template, label);
    } else if (!name.startsWith('DEPLOYMENT_') && name !== 'APP_ID') {
      warnings.push(`${appId}: unknown label ${label.key}; ignored`);
    }
  }

  const mode = networking(app);
  const ports = servicePorts(app, mode);
  const groupsOf = (index: number) => {
    const label = portLabels.get(index)?.get('GROUP');
    return label ? groupsValue(label.value, `label ${label.key}`) : appGroups;
  };
  const indexes = ports
    .map((_, index) => index)
    .filter((index) => matchesGroups(groupsOf(index), context.groups));
  if (indexes.length === 0) {
    const reason =
      ports.length === 0
        ? 'no service ports'
        : appGroups.length === 0 && ![...portLabels.values()].some((forPort) => forPort.has('GROUP'))
          ? `no HAPROXY_GROUP label (wanted: ${context.groups.join(', ')})`
          : `not in group ${context.groups.join(', ')}`;
    // Apps of other load balancers are none of this one's business: no warnings about their labels.
    const own = ports.length === 0;
    return { kind: 'skipped', reason, warnings: own ? warnings : [], ignored: own ? ignored : [] };
  }
  for (const index of portLabels.keys()) {
    if (index >= ports.length)
      warnings.push(`${appId}: labels for service port index ${index}, which the app does not have; ignored`);
  }

  const checks = healthChecks(app);
  const { tasks, unhealthy } = liveTasks(app, mode, context, checks.length > 0, warnings, appId);
  const services: Service[] = [];
  let withoutServers = 0;
  for (const index of indexes) {
    const service = planService(app, appId, index, ports[index]!, portLabels.get(index) ?? new Map(), {
      appTemplates,
      checks,
      tasks,
      context,
      warnings,
    });
    if (service) services.push(service);
    else withoutServers++;
  }
  if (services.length === 0) {
    const reason =
      withoutServers > 0 && unhealthy > 0 && tasks.length === 0
        ? `no healthy tasks (${unhealthy} failing or not yet checked)`
        : 'no live tasks';
    return { kind: 'skipped', reason, warnings, ignored };
  }
  services.sort((a, b) => a.servicePort - b.servicePort || a.index - b.index);
  return { kind: 'services', services, warnings, ignored };
}

/**
 * Why an app may not set this template, or '' when it may. An app's templates are off unless the operator
 * trusts app owners with the load balancer host (--allow-app-templates); even then the shared frontends'
 * templates decide other apps' traffic, so each needs the operator's own leave.
 */
function appTemplateRefusal(template: TemplateName, context: Context): string {
  if (!context.allowAppTemplates) {
    return 'apps may set templates only when the operator allows it (--allow-app-templates)';
  }
  const shared = TEMPLATES[template]!.sharedFrontend;
  if (shared && !context.sharedFrontendAppTemplates.has(template)) {
    return (
      `HAPROXY_${template} writes into the shared frontend ${shared}; apps may set it only if the ` +
      `operator lists it in SHARED_FRONTEND_APP_TEMPLATES (--templates DIR)`
    );
  }
  return '';
}

/** `_SSL_CERT`: the real path `checkAppCertificates` found for it inside an allowed directory. */
function appCertificateValue(value: string, what: string, context: Context): string {
  const given = certPathValue(value, what);
  const found = context.appCertificates.get(given);
  if (found && 'path' in found) return certPathValue(found.path, `${what} (resolved)`);
  const why = found
    ? found.refused
    : context.sslCertDirsGiven
      ? 'was not checked'
      : 'is refused: apps may name certificates only in directories the operator allows (--ssl-cert-dir)';
  throw new UnsafeValueError(`${what}: ${printable(given)} ${why}`);
}

interface ServiceInputs {
  appTemplates: Map<string, Label>;
  checks: Record<string, unknown>[];
  tasks: Task[];
  context: Context;
  warnings: string[];
}

function planService(
  app: Record<string, unknown>,
  appId: string,
  index: number,
  declaredPort: number,
  labels: Map<string, Label>,
  inputs: ServiceInputs,
): Service | undefined {
  const { context, warnings } = inputs;
  const value = <T>(name: string, parse: (value: string, what: string) => T): T | undefined => {
    const label = labels.get(name);
    return label ? parse(label.value, `label ${label.key}`) : undefined;
  };
  const vhosts = value('VHOST', vhostsValue) ?? [];
  const path = value('PATH', pathValue);
  const servicePort = value('PORT', portValue) ?? declaredPort;
  if (servicePort < 1 || servicePort > 65535) {
    warnings.push(`${appId}: service port index ${index} has no service port; left out`);
    return undefined;
  }
  const healthCheck = healthCheckFor(inputs.checks, index, appId);
  const explicitMode = value('MODE', modeValue);
  const mode: Mode =
    explicitMode ??
    (vhosts.length > 0 || healthCheck?.protocol === 'HTTP' || healthCheck?.protocol === 'MESOS_HTTP'
      ? 'http'
      : 'tcp');
  const sticky = value('STICKY', booleanValue) ?? false;
  const redirect = value('REDIRECT_TO_HTTPS', booleanValue) ?? false;
  const sslCert = value('SSL_CERT', (given, what) => appCertificateValue(given, what, context));
  const bindOptions = value('BIND_OPTIONS', bindOptionsValue);
  const balance = value('BALANCE', balanceValue) ?? 'roundrobin';
  let weight = value('BACKEND_WEIGHT', integerValue) ?? 0;
  const bindAddr = value('BIND_ADDR', appBindAddrValue) ?? context.bindAddress;
  value('ENABLED', booleanValue);
  if (vhosts.length > 0 && mode === 'tcp') {
    throw new UnsafeValueError(`label HAPROXY_${index}_MODE is tcp, but a virtual host needs http`);
  }
  if (sticky && mode === 'tcp') throw new UnsafeValueError(`label HAPROXY_${index}_STICKY needs http mode`);
  if (vhosts.length === 0) {
    for (const name of ['PATH', 'REDIRECT_TO_HTTPS', 'BACKEND_WEIGHT']) {
      if (labels.has(name)) warnings.push(`${appId}: label HAPROXY_${index}_${name} needs a VHOST; ignored`);
    }
  }
  // A path route must be tried before the same host's catch-all (marathon-lb's rule).
  if (path && weight === 0) weight = 1;

  const servers: Server[] = [];
  const seen = new Set<string>();
  for (const task of inputs.tasks) {
    const port = task.ports[index];
    if (port === undefined || port < 1 || port > 65535) continue;
    const key = `${task.host}:${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    servers.push({ host: task.host, port, name: serverName(task.host, port) });
  }
  if (servers.length === 0) return undefined;
  servers.sort((a, b) => compare(a.host, b.host) || a.port - b.port);
  // Two addresses can clean up to one name (`a.b` and `a_b`); HAProxy needs them distinct.
  const names = new Set<string>();
  for (const server of servers) {
    let name = server.name;
    for (let n = 2; names.has(name); n++) name = `${server.name}_${n}`;
    server.name = name;
    names.add(name);
  }

  const backend = backendName(appId, servicePort);
  const httpCheck = healthCheck !== undefined && isHttpCheck(healthCheck.protocol);
  const values: Record<string, string> = {
    appId,
    backend,
    servicePort: String(servicePort),
    bindAddr,
    bindOptions: bindOptions ? ` ${bindOptions}` : '',
    sslCert: sslCert ? ` ssl crt ${sslCert}` : '',
    mode,
    balance,
    hostname: vhosts[0] ?? '',
    hostnames: vhosts.join(' '),
    path: path ?? '',
    healthCheckProtocol: healthCheck?.protocol ?? '',
    healthCheckPath: healthCheck?.path ?? '',
    healthCheckTimeoutSeconds: String(healthCheck?.timeoutSeconds ?? ''),
    healthCheckIntervalSeconds: String(healthCheck?.intervalSeconds ?? ''),
    healthCheckMaxConsecutiveFailures: String(healthCheck?.maxConsecutiveFailures ?? ''),
    healthCheckFalls: String(healthCheck ? healthCheck.maxConsecutiveFailures + 1 : ''),
    healthCheckPortOptions: healthCheck?.port ? ` port ${healthCheck.port}` : '',
    healthCheckSslOptions: healthCheck?.protocol.endsWith('HTTPS') ? ' check-ssl verify none' : '',
  };
  // What the operator's FRONTEND_HEAD binds for this service: the only binds an app's template may write.
  let binds: Set<string> | undefined;
  const ownBinds = () => {
    binds ??= new Set(
      renderTemplate(context.templates.get('FRONTEND_HEAD')!, values)
        .split('\n')
        .map((line) => line.trim().split(/\s+/).join(' '))
        .filter((line) => line.startsWith('bind ')),
    );
    return binds;
  };
  const render = (name: string, extra?: Record<string, string>): string => {
    const label = labels.get(name) ?? inputs.appTemplates.get(name);
    const info = TEMPLATES[name]!;
    if (!label) return renderTemplate(context.templates.get(name)!, values, extra);
    let compiled: CompiledTemplate;
    try {
      compiled = compileTemplate(label.value.replace(/\r\n/g, '\n'), info.kind);
    } catch (error) {
      throw new TemplateError(`label ${label.key}: ${(error as Error).message}`);
    }
    const text = renderTemplate(compiled, values, extra);
    checkLabelTemplateOutput(text, `label ${label.key}`, {
      opens: info.opens ? { keyword: info.opens, name: backend } : undefined,
      backend,
      binds: ownBinds,
    });
    return text;
  };

  const healthCheckOptions = healthCheck
    ? render(httpCheck ? 'BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS' : 'BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS')
    : '';
  let backendText = render('BACKEND_HEAD');
  if (mode === 'http') backendText += render('BACKEND_HTTP_OPTIONS');
  if (sticky) backendText += render('BACKEND_STICKY_OPTIONS');
  if (healthCheck) {
    backendText += render(httpCheck ? 'BACKEND_HTTP_HEALTHCHECK_OPTIONS' : 'BACKEND_TCP_HEALTHCHECK_OPTIONS');
  }
  const serverTemplate =
    labels.has('BACKEND_SERVER_OPTIONS') || inputs.appTemplates.has('BACKEND_SERVER_OPTIONS');
  const serverOptions = context.templates.get('BACKEND_SERVER_OPTIONS')!;
  for (const server of servers) {
    const extra = {
      serverName: server.name,
      host: server.host,
      host_ipv4: server.host,
      port: String(server.port),
      cookieOptions: sticky
        ? ` cookie ${createHash('sha1').update(server.name).digest('hex').slice(0, 10)}`
        : '',
      healthCheckOptions,
      otherOptions: '',
    };
    backendText += serverTemplate
      ? render('BACKEND_SERVER_OPTIONS', extra)
      : renderTemplate(serverOptions, values, extra);
  }

  const routed = vhosts.length > 0;
  return {
    appId,
    index,
    servicePort,
    bindAddr,
    backend,
    vhosts,
    weight,
    redirect,
    sslCert,
    frontend: render('FRONTEND_HEAD') + render('FRONTEND_BACKEND_GLUE'),
    backendText,
    httpAcl: routed
      ? render('HTTP_FRONTEND_ACL_ONLY') + (path ? render('HTTP_FRONTEND_ACL_ONLY_WITH_PATH') : '')
      : '',
    httpRedirect:
      routed && redirect
        ? render(path ? 'BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH' : 'BACKEND_REDIRECT_HTTP_TO_HTTPS')
        : '',
    httpRoute:
      routed && !redirect
        ? render(path ? 'HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH' : 'HTTP_FRONTEND_ROUTING_ONLY')
        : '',
    httpsRoute: routed ? render(path ? 'HTTPS_FRONTEND_ACL_WITH_PATH' : 'HTTPS_FRONTEND_ACL') : '',
  };
}

/** The IPv4 and IPv6 wildcard addresses, as canonicalAddress spells them. */
const ANY_ADDRESS = new Set(['0.0.0.0', '::']);

/** An IP address in one spelling (`::1` for `0:0::1` and `[::1]`); undefined for anything else. */
function canonicalAddress(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family === 6) return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return undefined;
}

/**
 * Two binds on one port clash unless both name distinct specific IP addresses. `*`, a host name (which
 * address it stands for is known only when HAProxy starts) or any other form clashes with everything.
 */
function overlaps(a: string, b: string): boolean {
  const first = canonicalAddress(a);
  const second = canonicalAddress(b);
  if (first === undefined || second === undefined) return true;
  return first === second || ANY_ADDRESS.has(first) || ANY_ADDRESS.has(second);
}

/**
 * One bind per port: reserved ports (stats, HTTP, HTTPS, configured) always win, then services in (app id,
 * service port) order; a service that loses its port is left out whole, backend and vhost routes included,
 * so nothing routes to an app by a port it does not own. Backend names must be unique too.
 */
function resolvePorts(services: Service[], settings: Settings, report: HaproxyReport): Service[] {
  const claims = new Map<number, Array<{ owner: string; bindAddr: string }>>();
  const conflicts = new Map<number, PortConflict>();
  const claim = (port: number, owner: string, bindAddr: string): string | undefined => {
    const list = claims.get(port);
    if (!list) {
      claims.set(port, [{ owner, bindAddr }]);
      return undefined;
    }
    const holder = list.find((existing) => overlaps(existing.bindAddr, bindAddr));
    if (!holder) {
      list.push({ owner, bindAddr });
      return undefined;
    }
    return holder.owner;
  };
  const reserved: Array<[number, string]> = [
    [settings.statsPort, 'stats'],
    [settings.httpPort, 'http'],
    [settings.httpsPort, 'https'],
    ...settings.reservedPorts.map((port): [number, string] => [port, 'reserved']),
  ];
  for (const [port, owner] of reserved) claim(port, owner, settings.bindAddress);

  const kept: Service[] = [];
  const backends = new Map<string, string>();
  for (const service of services) {
    const owner = `${service.appId}[${service.index}]`;
    const holder = claim(service.servicePort, owner, service.bindAddr);
    if (holder !== undefined) {
      let conflict = conflicts.get(service.servicePort);
      if (!conflict)
        conflicts.set(
          service.servicePort,
          (conflict = { port: service.servicePort, winner: holder, losers: [] }),
        );
      conflict.losers.push(owner);
      report.warnings.push(
        `${service.appId}: service port ${service.servicePort} (index ${service.index}) is taken by ${holder}; left out`,
      );
      continue;
    }
    const taken = backends.get(service.backend);
    if (taken !== undefined) {
      report.warnings.push(
        `${service.appId}: backend name ${service.backend} is already used by ${taken}; left out`,
      );
      continue;
    }
    backends.set(service.backend, service.appId);
    kept.push(service);
  }
  report.conflicts = [...conflicts.values()].sort((a, b) => a.port - b.port);
  return kept;
}
