/**
 * Marathon-like validation of app and group bodies, producing the `details[]` of a 422 answer.
 *
 * Paths follow Marathon: JSON-pointer-like, array indices in parentheses (`/constraints(0)`,
 * `/apps(1)/healthChecks(0)/portIndex`), `/` for object-level rules; errors for one path are grouped. Messages are
 * Marathon's where it has one: play-json codes for type errors (`error.expected.jsnumber`, `error.path.missing`,
 * `error.unknown.enum.literal`), Marathon's validator texts for semantic rules.
 *
 * Unknown fields: Marathon 1.10 silently ignores them; we report `error.unknown.field` for fields that are neither
 * App fields (including deprecated and output-only ones) nor AppInfo fields of a `GET` answer (those are accepted
 * and ignored), so that a typo such as `instancse` fails instead of being dropped.
 */
import type { FieldError } from '../types.js';
import {
  APP_FIELD_ORDER,
  APP_INFO_FIELDS,
  effectiveNetworks,
  effectivePortNames,
  isHostNetworking,
  isObject,
  isResident,
  parentId,
  resolveId,
} from './normalize.js';

type Json = Record<string, unknown>;

export const ID_SEGMENT_PATTERN =
  '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$';
const ID_SEGMENT =
  /^(?:(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])|\.|\.\.)$/;
const RESERVED_LAST_SEGMENTS = ['restart', 'tasks', 'versions'];
const PORT_NAME = /^[a-z][a-z0-9-]*$/;

const MSG = {
  missing: 'error.path.missing',
  string: 'error.expected.jsstring',
  number: 'error.expected.jsnumber',
  int: 'error.expected.int',
  boolean: 'error.expected.jsboolean',
  array: 'error.expected.jsarray',
  object: 'error.expected.jsobject',
  enumLiteral: 'error.unknown.enum.literal',
  unknownField: 'error.unknown.field',
  minLength: 'error.minLength',
  notEmpty: 'must not be empty',
  cmdAndArgs: "'cmd' and 'args' cannot be used together",
  noCommand: "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.",
  portIndex:
    'Health check port indices must address an element of the ports array or container port mappings.',
  constraintShape: 'Constraint definition must be an array of strings in format: <key>, <operator>[, value]',
  constraintArity: 'Each constraint must have either 2 or 3 fields',
  constraintOperator:
    'Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS',
} as const;

// Every field Marathon writes, plus the deprecated inputs it still accepts and converts.
const APP_FIELDS = new Set<string>([...APP_FIELD_ORDER, 'ipAddress', 'ports', 'uris']);
const GROUP_FIELDS = new Set([
  'id',
  'apps',
  'groups',
  'pods',
  'dependencies',
  'version',
  'scaleBy',
  'enforceRole',
]);
const HEALTH_CHECK_FIELDS = new Set([
  'command',
  'gracePeriodSeconds',
  'ignoreHttp1xx',
  'intervalSeconds',
  'maxConsecutiveFailures',
  'path',
  'port',
  'portIndex',
  'protocol',
  'ipProtocol',
  'timeoutSeconds',
  'delaySeconds',
]);
const PORT_DEFINITION_FIELDS = new Set(['port', 'protocol', 'name', 'labels']);
const FETCH_FIELDS = new Set(['uri', 'extract', 'executable', 'cache', 'destPath', 'outputFile']);
const CONTAINER_FIELDS = new Set(['type', 'docker', 'appc', 'volumes', 'portMappings', 'linuxInfo']);
const HEALTH_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'];
const MARATHON_PROTOCOLS = new Set(['HTTP', 'HTTPS', 'TCP']);
const MESOS_PROTOCOLS = new Set(['COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP']);
const PORT_PROTOCOLS = ['tcp', 'udp', 'udp,tcp'];
const NETWORK_MODES = ['container', 'container/bridge', 'host'];
const DOCKER_NETWORKS = ['BRIDGE', 'HOST', 'NONE', 'USER'];

/** Errors grouped by path, in the order they were found. */
class Errors {
  private readonly byPath = new Map<string, string[]>();

  add(path: string, message: string): void {
    const list = this.byPath.get(path);
    if (!list) this.byPath.set(path, [message]);
    else if (!list.includes(message)) list.push(message);
  }

  list(): FieldError[] {
    return [...this.byPath].map(([path, errors]) => ({ path, errors }));
  }
}

/** Checks the fields of one object; `at('/x')` is the full path of a field, `at('/')` the object itself. */
class Scope {
  constructor(
    readonly errors: Errors,
    readonly prefix: string,
    readonly raw: Json,
  ) {}

  at(relative: string): string {
    if (relative === '/') return this.prefix === '' ? '/' : this.prefix;
    return `${this.prefix}${relative}`;
  }

  add(relative: string, message: string): void {
    this.errors.add(this.at(relative), message);
  }

  child(relative: string, raw: Json): Scope {
    return new Scope(this.errors, this.at(relative), raw);
  }

  /** The value of a field; JSON `null` counts as absent. */
  get(key: string): unknown {
    const value = this.raw[key];
    return value === null ? undefined : value;
  }

  unknownFields(known: ReadonlySet<string>, ignored?: ReadonlySet<string>): void {
    for (const key of Object.keys(this.raw)) {
      if (!known.has(key) && !ignored?.has(key)) this.add(`/${key}`, MSG.unknownField);
    }
  }

  string(key: string, options: { nonEmpty?: boolean; required?: boolean } = {}): string | undefined {
    const value = this.get(key);
    if (value === undefined) {
      if (options.required) this.add(`/${key}`, MSG.missing);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(`/${key}`, MSG.string);
      return undefined;
    }
    if (options.nonEmpty && value.length === 0) this.add(`/${key}`, MSG.minLength);
    return value;
  }

  number(
    key: string,
    options: { integer?: boolean; min?: number; max?: number; above?: number } = {},
  ): number | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.add(`/${key}`, MSG.number);
      return undefined;
    }
    if (options.integer && !Number.isInteger(value)) {
      this.add(`/${key}`, MSG.int);
      return undefined;
    }
    if (options.min !== undefined && value < options.min) {
      this.add(`/${key}`, `must be greater than or equal to ${options.min}`);
    }
    if (options.above !== undefined && value <= options.above) {
      this.add(`/${key}`, `must be greater than ${options.above}`);
    }
    if (options.max !== undefined && value > options.max) {
      this.add(`/${key}`, `must be less than or equal to ${options.max}`);
    }
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') {
      this.add(`/${key}`, MSG.boolean);
      return undefined;
    }
    return value;
  }

  /** An enum read like Marathon's generated readers do: case-insensitive; returns the canonical literal. */
  enumOf(key: string, values: readonly string[]): string | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    const match =
      typeof value === 'string' ? values.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
    if (match === undefined) this.add(`/${key}`, MSG.enumLiteral);
    return match;
  }

  array(key: string): unknown[] | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      this.add(`/${key}`, MSG.array);
      return undefined;
    }
    return value;
  }

  object(key: string): Json | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (!isObject(value)) {
      this.add(`/${key}`, MSG.object);
      return undefined;
    }
    return value;
  }

  /** An array whose items must be objects; returns a scope per valid item. */
  objects(key: string): Scope[] {
    const items = this.array(key) ?? [];
    const scopes: Scope[] = [];
    items.forEach((item, index) => {
      if (isObject(item)) scopes.push(this.child(`/${key}(${index})`, item));
      else this.add(`/${key}(${index})`, MSG.object);
    });
    return scopes;
  }

  strings(key: string, options: { nonEmpty?: boolean } = {}): string[] | undefined {
    const items = this.array(key);
    if (!items) return undefined;
    items.forEach((item, index) => {
      if (typeof item !== 'string') this.add(`/${key}(${index})`, MSG.string);
      else if (options.nonEmpty && item.length === 0) this.add(`/${key}(${index})`, MSG.notEmpty);
    });
    return items.filter((item): item is string => typeof item === 'string');
  }

  stringMap(key: string): void {
    const map = this.object(key);
    if (!map) return;
    for (const [name, value] of Object.entries(map)) {
      if (typeof value !== 'string') this.add(`/${key}/${name}`, MSG.string);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ids

function idMessages(id: string): string[] {
  const segments = id.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) return ['Path must contain at least one path element'];
  const messages: string[] = [];
  if (!segments.every((segment) => ID_SEGMENT.test(segment))) {
    messages.push(`must fully match regular expression '${ID_SEGMENT_PATTERN}'`);
  }
  const last = segments[segments.length - 1] as string;
  if (RESERVED_LAST_SEGMENTS.includes(last)) {
    messages.push(
      `must not end with any of the following reserved keywords: ${RESERVED_LAST_SEGMENTS.join(', ')}`,
    );
  }
  return messages;
}

/** Marathon's id rule (per path segment, reserved last segments); the first failure, or undefined when valid. */
export function validateId(id: string): string | undefined {
  return idMessages(id)[0];
}

function checkIdField(scope: Scope, key: string, required: boolean, allowRoot = false): string | undefined {
  const id = scope.string(key, { required });
  if (id === undefined || (allowRoot && resolveId(id, '/') === '/')) return id;
  for (const message of idMessages(id)) scope.add(`/${key}`, message);
  return id;
}

// ---------------------------------------------------------------------------------------------------------------
// app parts

function checkConstraint(scope: Scope, path: string, constraint: unknown): void {
  if (!Array.isArray(constraint) || !constraint.every((part) => typeof part === 'string')) {
    scope.add(path, MSG.constraintShape);
    return;
  }
  const parts = constraint as string[];
  if (parts.length < 2 || parts.length > 3) {
    scope.add(path, MSG.constraintArity);
    return;
  }
  const [fieldName, operator, value] = parts as [string, string, string | undefined];
  if (fieldName === '') {
    scope.add(path, 'Missing field and operator');
    return;
  }
  const isInteger = (v: string): boolean => /^[+-]?\d+$/.test(v.trim()) && Math.abs(Number(v)) <= 2 ** 31 - 1;
  switch (operator) {
    case 'UNIQUE':
      // Older Marathon versions wrote ["hostname", "UNIQUE", ""]; an empty value is tolerated.
      if (value !== undefined && value !== '') scope.add(path, 'Value specified but not used');
      break;
    case 'CLUSTER':
    case 'IS':
      if (value === undefined || value === '') scope.add(path, 'Missing value');
      break;
    case 'GROUP_BY':
      if (value !== undefined && value !== '' && !isInteger(value)) {
        scope.add(path, 'Value was specified but is not a number');
      }
      break;
    case 'MAX_PER':
      if (value === undefined || !isInteger(value))
        scope.add(path, 'Value was not specified or is not a number');
      break;
    case 'LIKE':
    case 'UNLIKE':
      if (value === undefined) scope.add(path, 'A regular expression value must be provided');
      else {
        try {
          new RegExp(value);
        } catch {
          scope.add(path, `'${value}' is not a valid regular expression`);
        }
      }
      break;
    default:
      scope.add(path, MSG.constraintOperator);
  }
}

function checkPortMappings(scope: Scope, key: string): Json[] {
  const mappings = scope.objects(key);
  for (const m of mappings) {
    m.number('containerPort', { integer: true, min: 0, max: 65535 });
    m.number('hostPort', { integer: true, min: 0, max: 65535 });
    m.number('servicePort', { integer: true, min: 0, max: 65535 });
    m.enumOf('protocol', PORT_PROTOCOLS);
    const name = m.string('name');
    if (name !== undefined && !PORT_NAME.test(name)) {
      m.add('/name', `must fully match regular expression '${PORT_NAME.source}'`);
    }
    m.stringMap('labels');
    m.strings('networkNames');
  }
  const names = mappings.map((m) => m.get('name')).filter((name): name is string => typeof name === 'string');
  if (new Set(names).size !== names.length) scope.add(`/${key}`, 'Port names must be unique.');
  return mappings.map((m) => m.raw);
}

function checkContainer(app: Scope): void {
  const raw = app.object('container');
  if (!raw) return;
  const container = app.child('/container', raw);
  container.unknownFields(CONTAINER_FIELDS);
  const type = container.enumOf('type', ['DOCKER', 'MESOS']) ?? 'DOCKER';
  const dockerRaw = container.object('docker');
  if (type === 'DOCKER' && container.get('docker') === undefined) container.add('/docker', MSG.missing);
  let dockerMappings: Json[] = [];
  if (dockerRaw) {
    const docker = container.child('/docker', dockerRaw);
    const image = docker.string('image', { required: true });
    if (image === '') docker.add('/image', MSG.notEmpty);
    docker.boolean('forcePullImage');
    docker.boolean('privileged');
    const network = docker.enumOf('network', DOCKER_NETWORKS);
    if (network === 'NONE') app.add('/', 'unsupported docker network type NONE');
    for (const parameter of docker.objects('parameters')) {
      parameter.string('key', { required: true });
      parameter.string('value', { required: true });
    }
    dockerMappings = checkPortMappings(docker, 'portMappings');
    if (type === 'MESOS') {
      if (docker.get('privileged') === true)
        docker.add('/privileged', 'privileged is not supported with the Mesos containerizer');
      if (network !== undefined) docker.add('/network', 'must be empty');
      if (Array.isArray(docker.get('parameters')) && (docker.get('parameters') as unknown[]).length > 0) {
        docker.add('/parameters', 'must be empty');
      }
    }
  }
  const mappings = checkPortMappings(container, 'portMappings');
  if (mappings.length > 0 && dockerMappings.length > 0) {
    container.add('/', 'cannot specify both portMappings and docker.portMappings');
  }
  for (const volume of container.objects('volumes')) {
    const path = volume.string('containerPath', { required: true });
    if (path === '') volume.add('/containerPath', MSG.notEmpty);
    volume.string('hostPath');
    volume.enumOf('mode', ['RO', 'RW']);
  }
  container.object('appc');
  container.object('linuxInfo');
}

function checkNetworks(app: Scope): void {
  const networks = app.objects('networks');
  const modes: string[] = [];
  for (const network of networks) {
    const mode = network.enumOf('mode', NETWORK_MODES) ?? 'container';
    modes.push(mode);
    network.string('name');
    network.stringMap('labels');
    if (mode === 'host' && (network.get('name') !== undefined || network.get('labels') !== undefined)) {
      app.add('/networks', 'Host networks may not have names or labels');
    }
    if (mode === 'container/bridge' && network.get('name') !== undefined) {
      app.add('/networks', 'Bridge networks may not have names');
    }
  }
  const hosts = modes.filter((m) => m === 'host').length;
  const bridges = modes.filter((m) => m === 'container/bridge').length;
  const containers = modes.filter((m) => m === 'container').length;
  const valid =
    (hosts <= 1 && bridges === 0 && containers === 0) ||
    (hosts === 0 && bridges <= 1 && containers === 0) ||
    (hosts === 0 && bridges === 0 && containers > 0);
  if (!valid) {
    app.add(
      '/networks',
      'May specify a single host network, single bridge network, or else 1-to-n container networks',
    );
  }
  const names = networks.map((n) => n.get('name')).filter((name): name is string => typeof name === 'string');
  const unnamed = networks.filter(
    (n) => n.get('name') === undefined && (n.get('mode') ?? 'container') === 'container',
  );
  if (new Set(names).size !== names.length || unnamed.length > 1) {
    app.add('/networks', 'Duplicate networks are not allowed');
  }
}

function checkPorts(app: Scope): void {
  const ports = app.array('ports');
  if (ports) {
    ports.forEach((port, index) => {
      if (typeof port !== 'number') app.add(`/ports(${index})`, MSG.number);
      else if (!Number.isInteger(port)) app.add(`/ports(${index})`, MSG.int);
      else if (port < 0 || port > 65535) app.add(`/ports(${index})`, 'must be between 0 and 65535');
    });
    const fixed = ports.filter((p) => typeof p === 'number' && p !== 0);
    if (new Set(fixed).size !== fixed.length) app.add('/', 'ports must be unique');
  }
  const definitions = app.objects('portDefinitions');
  for (const def of definitions) {
    def.unknownFields(PORT_DEFINITION_FIELDS);
    def.number('port', { integer: true, min: 0, max: 65535 });
    def.enumOf('protocol', PORT_PROTOCOLS);
    const name = def.string('name');
    if (name !== undefined && !PORT_NAME.test(name)) {
      def.add('/name', `must fully match regular expression '${PORT_NAME.source}'`);
    }
    def.stringMap('labels');
  }
  const fixedPorts = definitions.map((d) => d.get('port')).filter((p) => typeof p === 'number' && p !== 0);
  if (new Set(fixedPorts).size !== fixedPorts.length) app.add('/portDefinitions', 'Ports must be unique.');
  const names = definitions.map((d) => d.get('name')).filter((n): n is string => typeof n === 'string');
  if (new Set(names).size !== names.length) app.add('/portDefinitions', 'Port names must be unique.');

  const rawDefs = app.get('portDefinitions');
  if (Array.isArray(ports) && ports.length > 0 && Array.isArray(rawDefs) && rawDefs.length > 0) {
    const same =
      rawDefs.length === ports.length && rawDefs.every((d, i) => isObject(d) && (d.port ?? 0) === ports[i]);
    if (!same) app.add('/', 'cannot specify both ports and port definitions');
  }
}

function checkHealthChecks(app: Scope, portCount: number): void {
  const checks = app.objects('healthChecks');
  let mesosChecks = 0;
  for (const check of checks) {
    check.unknownFields(HEALTH_CHECK_FIELDS);
    const protocol = check.enumOf('protocol', HEALTH_PROTOCOLS) ?? 'HTTP';
    const command = check.object('command');
    if (command) check.child('/command', command).string('value', { required: true });
    if (protocol === 'COMMAND' && !command) check.add('/command', MSG.missing);
    if (!command && MESOS_PROTOCOLS.has(protocol)) mesosChecks += 1;
    check.string('path');
    check.number('port', { integer: true, min: 0, max: 65535 });
    const portIndex = check.number('portIndex', { integer: true, min: 0 });
    check.number('gracePeriodSeconds', { integer: true, min: 0 });
    check.number('intervalSeconds', { integer: true, above: 0 });
    check.number('timeoutSeconds', { integer: true, above: 0 });
    check.number('maxConsecutiveFailures', { integer: true, min: 0 });
    check.number('delaySeconds', { integer: true, min: 0 });
    check.boolean('ignoreHttp1xx');
    check.enumOf('ipProtocol', ['IPv4', 'IPv6']);
    if (!command && MARATHON_PROTOCOLS.has(protocol)) {
      // Without portIndex and port, Marathon's normalisation picks portIndex 0 when the app has any port.
      const unaddressed =
        check.get('portIndex') === undefined && check.get('port') === undefined && portCount === 0;
      if ((portIndex !== undefined && portIndex >= portCount) || unaddressed)
        check.add('/portIndex', MSG.portIndex);
    }
  }
  if (mesosChecks > 1) app.add('/', 'AppDefinition can contain at most one Mesos health check');
}

function checkReadinessChecks(app: Scope, portNames: Array<string | undefined>): void {
  const checks = app.objects('readinessChecks');
  if (checks.length > 1) app.add('/readinessChecks', 'must be less than or equal to 1');
  for (const check of checks) {
    check.string('name');
    check.enumOf('protocol', ['HTTP', 'HTTPS']);
    check.string('path');
    const portName = check.string('portName') ?? 'http';
    if (!portNames.includes(portName))
      check.add('/portName', `No port definition reference for portName ${portName}`);
    const interval = check.number('intervalSeconds', { integer: true, above: 0 }) ?? 30;
    const timeout = check.number('timeoutSeconds', { integer: true, above: 0 }) ?? 10;
    if (timeout >= interval) check.add('/timeoutSeconds', 'must be less than intervalSeconds');
    const codes = check.array('httpStatusCodesForReady');
    codes?.forEach((code, index) => {
      if (typeof code !== 'number' || !Number.isInteger(code))
        check.add(`/httpStatusCodesForReady(${index})`, MSG.int);
    });
    check.boolean('preserveLastResponse');
  }
}

function checkUpgradeStrategy(app: Scope, resident: boolean): void {
  const raw = app.object('upgradeStrategy');
  if (!raw) return;
  const strategy = app.child('/upgradeStrategy', raw);
  strategy.unknownFields(new Set(['minimumHealthCapacity', 'maximumOverCapacity']));
  for (const key of ['minimumHealthCapacity', 'maximumOverCapacity']) {
    const value = strategy.number(key);
    if (value === undefined) continue;
    if (value < 0) strategy.add(`/${key}`, 'is less than 0');
    if (value > 1) strategy.add(`/${key}`, 'is greater than 1');
  }
  if (resident && typeof raw.maximumOverCapacity === 'number' && raw.maximumOverCapacity !== 0) {
    strategy.add('/maximumOverCapacity', 'must be 0 for apps with persistent volumes');
  }
}

function checkUnreachableStrategy(app: Scope): void {
  const value = app.get('unreachableStrategy');
  if (value === undefined) return;
  if (typeof value === 'string') {
    if (value.toLowerCase() !== 'disabled') app.add('/unreachableStrategy', MSG.enumLiteral);
    return;
  }
  if (!isObject(value)) {
    app.add('/unreachableStrategy', MSG.object);
    return;
  }
  const strategy = app.child('/unreachableStrategy', value);
  strategy.unknownFields(new Set(['inactiveAfterSeconds', 'expungeAfterSeconds']));
  const inactive = strategy.number('inactiveAfterSeconds', { integer: true, min: 0 });
  const expunge = strategy.number('expungeAfterSeconds', { integer: true, min: 0 });
  if (inactive !== undefined && expunge !== undefined && inactive > expunge) {
    strategy.add('/inactiveAfterSeconds', 'must be less than or equal to expungeAfterSeconds');
  }
}

function checkEnv(app: Scope): void {
  const env = app.object('env');
  if (!env) return;
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') continue;
    if (
      isObject(value) &&
      typeof value.secret === 'string' &&
      value.secret !== '' &&
      Object.keys(value).length === 1
    ) {
      continue;
    }
    app.add(`/env/${name}`, MSG.string);
  }
}

function checkFetch(app: Scope): void {
  for (const item of app.objects('fetch')) {
    item.unknownFields(FETCH_FIELDS);
    const uri = item.string('uri', { required: true });
    if (uri === '') item.add('/uri', MSG.notEmpty);
    item.boolean('extract');
    item.boolean('executable');
    item.boolean('cache');
    item.string('destPath');
  }
  const uris = app.strings('uris', { nonEmpty: true });
  const fetch = app.get('fetch');
  if (uris && uris.length > 0 && Array.isArray(fetch) && fetch.length > 0) {
    app.add('/uris', 'may not be set in conjunction with fetch');
  }
}

function hasRunnableContainer(raw: Json): boolean {
  const container = raw.container;
  if (!isObject(container)) return false;
  const type = typeof container.type === 'string' ? container.type.toUpperCase() : 'DOCKER';
  const docker = isObject(container.docker);
  const appc = isObject(container.appc);
  return (
    (docker && !appc && (type === 'DOCKER' || type === 'MESOS')) || (!docker && appc && type === 'MESOS')
  );
}

function checkApp(app: Scope, partial: boolean): void {
  const raw = app.raw;
  app.unknownFields(APP_FIELDS, APP_INFO_FIELDS);

  checkIdField(app, 'id', !partial);

  const cmd = app.string('cmd', { nonEmpty: true });
  const args = app.strings('args');
  // As in Marathon (`Option.nonEmpty`), an empty cmd counts as given: it is reported as too short instead.
  const hasCmd = cmd !== undefined;
  const hasArgs = args !== undefined && args.length > 0;
  if (hasCmd && hasArgs) app.add('/', MSG.cmdAndArgs);
  else if (!partial && !hasCmd && !hasArgs && !hasRunnableContainer(raw)) app.add('/', MSG.noCommand);

  app.number('instances', { integer: true, min: 0 });
  app.number('cpus', { min: 0.001 });
  app.number('mem', { min: 0 });
  app.number('disk', { min: 0 });
  app.number('gpus', { integer: true, min: 0 });
  app.number('backoffSeconds', { integer: true, min: 0 });
  app.number('backoffFactor', { min: 1 });
  app.number('maxLaunchDelaySeconds', { integer: true, min: 0 });
  app.number('taskKillGracePeriodSeconds', { integer: true, min: 0 });
  app.string('executor');
  app.string('user');
  app.string('role');
  app.boolean('requirePorts');
  app.boolean('tty');
  app.enumOf('killSelection', ['YOUNGEST_FIRST', 'OLDEST_FIRST']);
  app.string('version');
  app.object('versionInfo');
  app.object('check');
  app.object('residency');
  app.object('resourceLimits');
  app.object('executorResources');
  app.object('ipAddress');
  app.strings('storeUrls', { nonEmpty: true });
  app.stringMap('labels');
  checkEnv(app);

  const secrets = app.object('secrets');
  if (secrets) {
    for (const [name, secret] of Object.entries(secrets)) {
      if (!isObject(secret)) app.add(`/secrets/${name}`, MSG.object);
      else if (typeof secret.source !== 'string') {
        app.add(`/secrets/${name}/source`, secret.source === undefined ? MSG.missing : MSG.string);
      }
    }
  }

  const roles = app.strings('acceptedResourceRoles');
  if (roles && roles.length === 0) app.add('/acceptedResourceRoles', MSG.notEmpty);

  const constraints = app.array('constraints');
  constraints?.forEach((constraint, index) => checkConstraint(app, `/constraints(${index})`, constraint));

  const dependencies = app.array('dependencies');
  dependencies?.forEach((dependency, index) => {
    if (typeof dependency !== 'string') app.add(`/dependencies(${index})`, MSG.string);
    else for (const message of idMessages(dependency)) app.add(`/dependencies(${index})`, message);
  });

  checkFetch(app);
  checkContainer(app);
  checkNetworks(app);
  checkPorts(app);
  checkUpgradeStrategy(app, isResident(raw));
  checkUnreachableStrategy(app);

  // Deprecated and canonical networking must not be mixed.
  const networks = app.get('networks');
  const hasNetworks = Array.isArray(networks) && networks.length > 0;
  const container = isObject(raw.container) ? raw.container : undefined;
  const dockerNetwork = isObject(container?.docker) ? (container.docker as Json).network : undefined;
  if (hasNetworks && dockerNetwork !== undefined && dockerNetwork !== null) {
    app.add('/', 'must not specify both container.docker.network and networks');
  }
  if (hasNetworks && app.get('ipAddress') !== undefined)
    app.add('/', 'must not specify both networks and ipAddress');

  const effective = effectiveNetworks(raw);
  if (partial && hasNetworks) {
    // For updates Marathon checks these before normalisation drops the port config that does not fit.
    const host = isHostNetworking(effective);
    const mappings = container?.portMappings;
    if (host && Array.isArray(mappings) && mappings.length > 0) {
      app.add('/', 'portMappings are not allowed with host-networking');
    }
    const defs = app.get('portDefinitions');
    if (!host && Array.isArray(defs) && defs.length > 0) {
      app.add('/', 'portDefinitions are only allowed with host-networking');
    }
  }

  const portNames = effectivePortNames(raw);
  checkHealthChecks(app, portNames.length);
  checkReadinessChecks(app, portNames);

  if (partial && app.get('version') !== undefined) {
    const others = Object.keys(raw).filter(
      (key) => key !== 'id' && key !== 'version' && raw[key] !== null && !APP_INFO_FIELDS.has(key),
    );
    if (others.length > 0) app.add('/', "The 'version' field may only be combined with the 'id' field.");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// public API

/**
 * The 422 `details[]` for an app body (`[]` when valid). `partial` validates an update body (PATCH, PUT with
 * `partialUpdate`): `id` and the command may be absent.
 */
export function validateApp(raw: unknown, options: { partial?: boolean } = {}): FieldError[] {
  const errors = new Errors();
  if (!isObject(raw)) {
    errors.add('/', MSG.object);
    return errors.list();
  }
  checkApp(new Scope(errors, '', raw), options.partial ?? false);
  return errors.list();
}

function checkGroup(group: Scope, parent: string, top: boolean): void {
  group.unknownFields(GROUP_FIELDS);
  const rawId = checkIdField(group, 'id', !top, top);
  const id = rawId !== undefined ? resolveId(rawId, parent) : parent;
  if (!top && rawId !== undefined && parentId(id) !== parent) {
    group.add('/id', `Identifier is not child of ${parent}. Hint: use relative paths.`);
  }
  group.string('version');
  group.number('scaleBy', { above: 0 });
  group.boolean('enforceRole');
  group.array('pods');
  const dependencies = group.array('dependencies');
  dependencies?.forEach((dependency, index) => {
    if (typeof dependency !== 'string') group.add(`/dependencies(${index})`, MSG.string);
    else for (const message of idMessages(dependency)) group.add(`/dependencies(${index})`, message);
  });

  const appIds: string[] = [];
  (group.array('apps') ?? []).forEach((app, index) => {
    const scope = group.child(`/apps(${index})`, isObject(app) ? app : {});
    if (!isObject(app)) {
      group.add(`/apps(${index})`, MSG.object);
      return;
    }
    checkApp(scope, false);
    if (typeof app.id === 'string' && idMessages(app.id).length === 0) {
      const appId = resolveId(app.id, id);
      appIds.push(appId);
      if (parentId(appId) !== id)
        scope.add('/id', `Identifier is not child of ${id}. Hint: use relative paths.`);
    }
  });
  const groupIds: string[] = [];
  (group.array('groups') ?? []).forEach((child, index) => {
    if (!isObject(child)) {
      group.add(`/groups(${index})`, MSG.object);
      return;
    }
    if (typeof child.id === 'string') groupIds.push(resolveId(child.id, id));
    checkGroup(group.child(`/groups(${index})`, child), id, false);
  });
  if (appIds.some((appId) => groupIds.includes(appId))) {
    group.add('/', 'Groups and Applications may not have the same identifier.');
  }
  if (new Set(appIds).size !== appIds.length) group.add('/apps', 'Duplicate app ids are not allowed');
}

/**
 * The 422 `details[]` for a group body, recursively: app errors are prefixed `/apps(i)`, sub-group errors
 * `/groups(i)`. A relative top-level `id` is taken against `options.base` (default `/`); nested groups need an
 * `id`, and nested ids must be children of their group.
 */
export function validateGroup(raw: unknown, options: { base?: string } = {}): FieldError[] {
  const errors = new Errors();
  if (!isObject(raw)) {
    errors.add('/', MSG.object);
    return errors.list();
  }
  checkGroup(new Scope(errors, '', raw), options.base ?? '/', true);
  return errors.list();
}
