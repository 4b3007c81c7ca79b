import { splitHostPort } from './config.js';
import { taskHash } from './hash.js';
import { domainFrag, labelFunction, type LabelFunction } from './labels.js';
import {
  canonicalIp,
  lazyMesosState,
  portNumbers,
  type LazyMesosState,
  type MesosState,
  type MesosTask,
} from './state.js';
import type {
  DnsConfig,
  GenerateOptions,
  IpSource,
  RecordEvent,
  RecordRule,
  RecordSet,
  RecordType,
} from './types.js';

/** Beyond this many values per name, membership is tracked in a Set (a 10 000-instance app stays linear). */
const SMALL_SET = 16;

type TaskInfo = NonNullable<RecordEvent['task']>;

interface Context {
  framework?: string;
  task?: TaskInfo;
  ipSource?: IpSource;
  legacy?: boolean;
}

/** The IPs a task's A/AAAA records get: all of the first source (in config order) that has any. */
export interface TaskIps {
  source: IpSource | undefined;
  ips: string[];
}

export function taskIps(task: MesosTask, agentIps: readonly string[], sources: readonly IpSource[]): TaskIps {
  for (const source of sources) {
    const ips = ipsFromSource(task, agentIps, source);
    if (ips.length > 0) return { source, ips };
  }
  return { source: undefined, ips: [] };
}

export function ipsFromSource(task: MesosTask, agentIps: readonly string[], source: IpSource): string[] {
  if (source === 'host') return [...agentIps];
  const raw = task.running?.[source];
  if (!raw || raw.length === 0) return [];
  const ips: string[] = [];
  for (const value of raw) {
    const ip = canonicalIp(value);
    if (ip !== undefined) ips.push(ip);
  }
  return ips;
}

/** The last `-` field of an agent id, lowercased (`...-S3` -> `s3`). */
export function agentTail(agentId: string): string {
  return agentId.slice(agentId.lastIndexOf('-') + 1).toLowerCase();
}

/** An address's record type; undefined when it is not an IP address. */
function ipType(ip: string): 'A' | 'AAAA' {
  return ip.includes(':') ? 'AAAA' : 'A';
}

/** A host of a pid, hostname or master: an IP as is, else the looked-up addresses (first IPv4 and IPv6). */
export function hostIps(
  host: string,
  hosts: ReadonlyMap<string, string[]> | undefined,
): string[] | undefined {
  const ip = canonicalIp(host);
  if (ip !== undefined) return [ip];
  const found = hosts?.get(host) ?? hosts?.get(host.toLowerCase());
  if (!found) return undefined;
  let v4: string | undefined;
  let v6: string | undefined;
  for (const value of found) {
    const address = canonicalIp(value);
    if (address === undefined) continue;
    if (ipType(address) === 'A') v4 ??= address;
    else v6 ??= address;
  }
  const ips = [v4, v6].filter((address): address is string => address !== undefined);
  return ips.length > 0 ? ips : undefined;
}

/** A record name and, once used, its value lists in the record maps. */
interface NameRef {
  name: string;
  a?: string[];
  aaaa?: string[];
  srv?: string[];
}

type DiscoveryRef = NameRef & { rule: RecordRule };

/** The names all instances of one app (task label under one framework) share. */
interface AppNames {
  arec: NameRef;
  arecSlave: NameRef;
  tcpSlave: NameRef;
  udpSlave: NameRef;
  tcp: NameRef;
  udp: NameRef;
  discovery: Map<string, DiscoveryRef[]>;
}

function appNames(name: string, fw: string, tail: string): AppNames {
  const slaveTail = `.slave${tail}`;
  return {
    arec: { name: flat(`${name}.${fw}${tail}`) },
    arecSlave: { name: flat(`${name}.${fw}${slaveTail}`) },
    tcpSlave: { name: flat(`_${name}._tcp.${fw}${slaveTail}`) },
    udpSlave: { name: flat(`_${name}._udp.${fw}${slaveTail}`) },
    tcp: { name: flat(`_${name}._tcp.${fw}${tail}`) },
    udp: { name: flat(`_${name}._udp.${fw}${tail}`) },
    discovery: new Map(),
  };
}

/**
 * The same text as one flat string. A name built by concatenation is a tree of V8 cons strings, and kept as a
 * Map key it costs about twice its flat size; `trim()` returns the text flattened. It changes only strings
 * that start or end with white space, so it is used only when neither end can be.
 */
function flat(name: string): string {
  const first = name.charCodeAt(0);
  const last = name.charCodeAt(name.length - 1);
  return first > 32 && first < 127 && last > 32 && last < 127 ? name.trim() : name;
}

/** `:<port>` for SRV values, one string per port for the whole process (each SRV value is host + this). */
const COLON_PORTS: string[] = [];

function colonPort(port: number): string {
  if (port >= 0 && port <= 65535) return (COLON_PORTS[port] ??= `:${port}`);
  return `:${port}`;
}

/** Whether no number occurs twice (the lists are short but a wide port range is not). */
function distinct(numbers: readonly number[]): boolean {
  const n = numbers.length;
  if (n < 2) return true;
  if (n <= 8) {
    for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) if (numbers[i] === numbers[j]) return false;
    return true;
  }
  return new Set(numbers).size === n;
}

class Generator {
  readonly a = new Map<string, string[]>();
  readonly aaaa = new Map<string, string[]>();
  readonly srv = new Map<string, string[]>();
  /** Lists past SMALL_SET values and their Set, which holds the list's first `size` values. */
  private readonly bigSets = new Map<string[], { set: Set<string>; size: number }>();
  /**
   * Hosts of SRV targets that are not A/AAAA names (a task without IPs still gets `canonical.D.:port`). With
   * the A/AAAA names they are every host any SRV value names, which makes `isNewHost` exact.
   */
  private readonly bareHosts = new Set<string>();
  readonly warnings: string[];
  readonly onRecord: GenerateOptions['onRecord'];
  private context: Context = {};

  constructor(warnings: string[], onRecord: GenerateOptions['onRecord']) {
    this.warnings = warnings;
    this.onRecord = onRecord;
  }

  setContext(context: Context): void {
    this.context = context;
  }

  add(type: RecordType, name: string, value: string, rule: RecordRule): boolean {
    // Mesos-DNS never stores an empty value.
    if (value === '') return false;
    const map = type === 'A' ? this.a : type === 'AAAA' ? this.aaaa : this.srv;
    const values = map.get(name);
    let inserted = true;
    if (values === undefined) map.set(name, [value]);
    else inserted = this.insert(values, value);
    if (this.onRecord) this.report(type, name, value, rule, inserted);
    return inserted;
  }

  /** One name, several values: one lookup of the (freshly built, so unhashed) name instead of one per value. */
  addMany(type: RecordType, name: string, values: readonly string[], rule: RecordRule): void {
    if (values.length === 1) {
      this.add(type, name, values[0]!, rule);
      return;
    }
    const map = type === 'A' ? this.a : type === 'AAAA' ? this.aaaa : this.srv;
    let list = map.get(name);
    for (const value of values) {
      if (value === '') continue;
      let inserted = true;
      if (list === undefined) map.set(name, (list = [value]));
      else inserted = this.insert(list, value);
      if (this.onRecord) this.report(type, name, value, rule, inserted);
    }
  }

  private insert(values: string[], value: string): boolean {
    const length = values.length;
    if (length < SMALL_SET) {
      if (values.includes(value)) return false;
      values.push(value);
      return true;
    }
    let tracked = this.bigSets.get(values);
    if (tracked === undefined) this.bigSets.set(values, (tracked = { set: new Set(values), size: length }));
    else {
      // Values pushed by `pushRef` since the last check (known to be new, so never checked on the way in).
      for (let i = tracked.size; i < length; i++) tracked.set.add(values[i]!);
    }
    tracked.size = length;
    if (tracked.set.has(value)) return false;
    tracked.set.add(value);
    values.push(value);
    tracked.size = length + 1;
    return true;
  }

  private report(type: RecordType, name: string, value: string, rule: RecordRule, inserted: boolean): void {
    const event: RecordEvent = { type, name, value, rule, inserted };
    const { framework, task, ipSource, legacy } = this.context;
    if (framework !== undefined) event.framework = framework;
    if (task) event.task = task;
    if (ipSource && (rule === 'task' || rule === 'task-canonical')) event.ipSource = ipSource;
    if (legacy) event.legacy = true;
    this.onRecord!(event);
  }

  /**
   * True when no record so far names `host`, neither as an A/AAAA name nor as an SRV target host. Every SRV
   * value's host is an A/AAAA name or a bare host, so then no SRV value `host:port` exists yet.
   */
  isNewHost(host: string): boolean {
    return (
      !this.a.has(host) && !this.aaaa.has(host) && (this.bareHosts.size === 0 || !this.bareHosts.has(host))
    );
  }

  /** Records `host` as an SRV target host that has no A/AAAA record. */
  addBareHost(host: string): void {
    this.bareHosts.add(host);
  }

  private list(ref: NameRef, key: 'a' | 'aaaa' | 'srv'): string[] {
    let list = ref[key];
    if (list === undefined) {
      const map = this[key];
      list = map.get(ref.name);
      if (list === undefined) map.set(ref.name, (list = []));
      ref[key] = list;
    }
    return list;
  }

  /**
   * Adds to a name whose value lists are kept in `ref`: the names every instance of an app shares are built
   * and looked up once per app, not once per task (the lookups of fresh strings dominated generation).
   */
  addRef(ref: NameRef, type: RecordType, value: string, rule: RecordRule): void {
    const list = this.list(ref, type === 'A' ? 'a' : type === 'AAAA' ? 'aaaa' : 'srv');
    let inserted = true;
    if (list.length === 0) list.push(value);
    else inserted = this.insert(list, value);
    if (this.onRecord) this.report(type, ref.name, value, rule, inserted);
  }

  /** An SRV value the caller knows is new (its host is new, each port once): no membership check. */
  pushRef(ref: NameRef, value: string, rule: RecordRule): void {
    this.list(ref, 'srv').push(value);
    if (this.onRecord) this.report('SRV', ref.name, value, rule, true);
  }

  addIpsRef(ref: NameRef, ips: readonly string[], rule: RecordRule): void {
    for (const ip of ips) this.addRef(ref, ipType(ip), ip, rule);
  }

  /** Addresses of one name, each as A or AAAA by family. */
  addIps(name: string, ips: readonly string[], rule: RecordRule): void {
    if (ips.length === 1) {
      this.addIp(name, ips[0]!, rule);
      return;
    }
    const v4 = ips.filter((ip) => !ip.includes(':'));
    if (v4.length > 0) this.addMany('A', name, v4, rule);
    if (v4.length < ips.length)
      this.addMany(
        'AAAA',
        name,
        ips.filter((ip) => ip.includes(':')),
        rule,
      );
  }

  addIp(name: string, ip: string, rule: RecordRule): boolean {
    return this.add(ipType(ip), name, ip, rule);
  }
}

/**
 * Every record Mesos-DNS 0.7 would serve for a Mesos state, in Mesos-DNS's order (frameworks, agents,
 * listener, masters, tasks). Pure: host names are looked up in `options.hosts`, never over the network.
 */
export function generateRecords(state: unknown, config: DnsConfig, options: GenerateOptions = {}): RecordSet {
  // Tasks are parsed one at a time while their records are made: parsed, they are only briefly alive.
  const lazy = lazyMesosState(state);
  const parsed = lazy.state;
  const warnings: string[] = [];
  const gen = new Generator(warnings, options.onRecord);
  const spec = labelFunction(config.EnforceRFC952);
  const domain = config.Domain;
  const tail = `.${domain}.`;
  const fwNames = parsed.frameworks.map((framework) => domainFrag(framework.name, spec));

  frameworkRecords(gen, parsed, fwNames, tail, options.hosts);
  const agents = agentRecords(gen, parsed, tail, options.hosts);
  listenerRecord(gen, config, options.interfaceAddresses);
  masterRecords(gen, parsed.leader, config.Masters, tail, options.hosts);
  taskRecords(gen, lazy, fwNames, agents, config, spec, tail);

  // Parse warnings (complete once every task is parsed) come before the generator's.
  return { domain, a: gen.a, aaaa: gen.aaaa, srv: gen.srv, warnings: [...parsed.warnings, ...warnings] };
}

function frameworkRecords(
  gen: Generator,
  state: MesosState,
  fwNames: string[],
  tail: string,
  hosts: GenerateOptions['hosts'],
): void {
  state.frameworks.forEach((framework, i) => {
    if (framework.badPid) return;
    const host = framework.pid ? framework.pid.host : framework.hostname;
    if (host === '') return;
    const ips = hostIps(host, hosts);
    if (!ips) {
      gen.warnings.push(`no records for framework "${framework.name}": cannot resolve its host "${host}"`);
      return;
    }
    gen.setContext({ framework: framework.name });
    const name = fwNames[i] + tail;
    for (const ip of ips) gen.addIp(name, ip, 'framework');
    if (framework.pid)
      gen.add('SRV', `_framework._tcp.${name}`, `${name}:${framework.pid.port}`, 'framework-srv');
  });
}

function agentRecords(
  gen: Generator,
  state: MesosState,
  tail: string,
  hosts: GenerateOptions['hosts'],
): Map<string, AgentInfo> {
  const agents = new Map<string, AgentInfo>();
  const name = `slave${tail}`;
  gen.setContext({});
  for (const agent of state.agents) {
    const ips = hostIps(agent.pid.host, hosts);
    if (!ips) {
      gen.warnings.push(`skipped agent ${agent.id}: cannot resolve its pid host "${agent.pid.host}"`);
      continue;
    }
    for (const ip of ips) gen.addIp(name, ip, 'agent');
    gen.add('SRV', `_slave._tcp${tail}`, `${name}:${agent.pid.port}`, 'agent-srv');
    agents.set(agent.id, { ips, tail: agentTail(agent.id) });
  }
  return agents;
}

function listenerRecord(gen: Generator, config: DnsConfig, interfaceAddresses: string[] | undefined): void {
  gen.setContext({});
  const listener = config.Listener;
  const addresses = listener === '0.0.0.0' ? (interfaceAddresses ?? []) : [listener];
  for (const address of addresses) {
    const ip = canonicalIp(address);
    if (ip === undefined)
      gen.warnings.push(`no record for ${config.SOAMname}: "${address}" is not an IP address`);
    else gen.addIp(config.SOAMname, ip, 'nameserver');
  }
}

/** leader, master and masterN as Mesos-DNS's masterRecord (the leader gets the next N if not listed). */
export function masterRecordsInto(
  add: (type: RecordType, name: string, value: string, rule: RecordRule) => boolean,
  warnings: string[],
  leader: string,
  masters: readonly string[],
  tail: string,
  hosts?: ReadonlyMap<string, string[]>,
): void {
  const parts = leader.split('@');
  const leaderAddress = parts[1];
  const leaderHostPort = leaderAddress === undefined ? undefined : splitHostPort(leaderAddress);
  if (leaderAddress === undefined || !leaderHostPort) {
    warnings.push(`no leader or master records: leader "${leader}" is not name@host:port`);
    return;
  }
  const leaderIp = hostIps(leaderHostPort.host, hosts)?.[0];
  if (leaderIp === undefined) {
    warnings.push(`no leader or master records: cannot resolve the leader host "${leaderHostPort.host}"`);
    return;
  }
  const typeOf = (ip: string) => (ip.includes(':') ? 'AAAA' : 'A');
  const all = `master${tail}`;
  add(typeOf(leaderIp), `leader${tail}`, leaderIp, 'leader');
  add(typeOf(leaderIp), all, leaderIp, 'master');
  const target = `leader${tail}:${leaderHostPort.port}`;
  add('SRV', `_leader._tcp${tail}`, target, 'leader-srv');
  add('SRV', `_leader._udp${tail}`, target, 'leader-srv');

  let leaderListed = false;
  let index = 0;
  for (const master of masters) {
    const hostPort = splitHostPort(master);
    const ip = hostPort && hostIps(hostPort.host, hosts)?.[0];
    if (!ip) {
      warnings.push(`no masterN record for "${master}": not an IP address with a port`);
      continue;
    }
    if (master !== leaderAddress && !add(typeOf(ip), all, ip, 'master')) continue;
    if (master === leaderAddress && leaderListed) continue;
    add(typeOf(ip), `master${index}${tail}`, ip, 'masterN');
    index++;
    if (master === leaderAddress) leaderListed = true;
  }
  if (!leaderListed) {
    if (masters.length > 0) warnings.push(`the leader "${leader}" is not in the masters list`);
    add(typeOf(leaderIp), `master${index}${tail}`, leaderIp, 'masterN');
  }
}

function masterRecords(
  gen: Generator,
  leader: string,
  masters: readonly string[],
  tail: string,
  hosts: GenerateOptions['hosts'],
): void {
  gen.setContext({});
  masterRecordsInto(
    (type, name, value, rule) => gen.add(type, name, value, rule),
    gen.warnings,
    leader,
    masters,
    tail,
    hosts,
  );
}

interface AgentInfo {
  ips: string[];
  /** agentTail of the agent id. */
  tail: string;
}

function taskRecords(
  gen: Generator,
  state: LazyMesosState,
  fwNames: string[],
  agents: Map<string, AgentInfo>,
  config: DnsConfig,
  spec: LabelFunction,
  tail: string,
): void {
  const events = gen.onRecord !== undefined;
  const sources = config.IPSources;
  const labels = new Map<string, string>();
  const label = (name: string) => {
    let value = labels.get(name);
    if (value === undefined) {
      value = spec(name);
      labels.set(name, value);
    }
    return value;
  };
  const pass: TaskPass = {
    gen,
    spec,
    tail,
    slaveTail: `.slave${tail}`,
    fw: '',
    hash: '',
    agent: { ips: [], tail: '' },
    ips: [],
    resourcePorts: [],
    resourcePortsDistinct: true,
    discovery: undefined,
    discoveryDistinct: true,
  };
  let current = -1;
  let framework = state.state.frameworks[0];
  let apps = new Map<string, AppNames>();
  const app = (name: string) => {
    let names = apps.get(name);
    if (!names) apps.set(name, (names = appNames(name, pass.fw, tail)));
    return names;
  };
  state.eachTask((i, task) => {
    if (task.state !== 'TASK_RUNNING') return;
    const agent = agents.get(task.slaveId);
    if (!agent) return;
    if (i !== current) {
      current = i;
      framework = state.state.frameworks[i]!;
      pass.fw = fwNames[i]!;
      apps = new Map();
    }
    const { source, ips } = taskIps(task, agent.ips, sources);
    pass.hash = taskHash(task.id);
    pass.agent = agent;
    pass.ips = ips;
    const ports = task.ports === '' ? [] : portNumbers(task.ports);
    pass.resourcePorts = ports.map(colonPort);
    pass.resourcePortsDistinct = distinct(ports);
    const discovery = task.discovery;
    pass.discovery = discovery;
    let context: Context | undefined;
    if (events) {
      context = { framework: framework!.name, ipSource: source };
      context.task = { id: task.id, name: task.name, agentId: task.slaveId };
      gen.setContext(context);
    }
    if (discovery) {
      pass.discoveryDistinct = distinct(discovery.ports.map((port) => port.number));
      // Mesos-DNS makes every record twice for a DiscoveryInfo name: raw (legacy), then sanitised.
      if (context) gen.setContext({ ...context, legacy: true });
      const raw = discovery.name;
      taskContextRecords(pass, raw, app(raw));
      const name = label(raw);
      // The same name again adds only duplicates, which matter only to onRecord.
      if (name === raw && !context) return;
      if (context) gen.setContext(context);
      taskContextRecords(pass, name, app(name));
    } else {
      const name = label(task.name);
      taskContextRecords(pass, name, app(name));
    }
  });
}

/** What the records of one task share between its (one or two) passes. */
interface TaskPass {
  gen: Generator;
  spec: LabelFunction;
  tail: string;
  slaveTail: string;
  fw: string;
  hash: string;
  agent: AgentInfo;
  ips: string[];
  /** `:<port>` of each port in `resources.ports`. */
  resourcePorts: string[];
  resourcePortsDistinct: boolean;
  discovery: MesosTask['discovery'];
  discoveryDistinct: boolean;
}

function taskContextRecords(pass: TaskPass, name: string, names: AppNames): void {
  const { gen, tail, slaveTail, fw, ips, discovery } = pass;
  const agentIps = pass.agent.ips;
  const canonical = `${name}-${pass.hash}-${pass.agent.tail}.${fw}`;
  const host = flat(canonical + tail);
  const slaveHost = flat(canonical + slaveTail);
  // A target whose host no record names yet is new in every list (checked before the host gets its records).
  const newHost = discovery !== undefined && pass.discoveryDistinct && gen.isNewHost(host);
  const newSlaveHost =
    pass.resourcePorts.length > 0 && pass.resourcePortsDistinct && gen.isNewHost(slaveHost);
  if (ips.length > 0) {
    gen.addIpsRef(names.arec, ips, 'task');
    gen.addIps(host, ips, 'task-canonical');
  }
  gen.addIpsRef(names.arecSlave, agentIps, 'task-agent');
  gen.addIps(slaveHost, agentIps, 'task-agent-canonical');
  const ports = pass.resourcePorts;
  if (ports.length > 0) {
    const srv = discovery === undefined;
    for (const port of ports) {
      const target = slaveHost + port;
      if (newSlaveHost) {
        gen.pushRef(names.tcpSlave, target, 'task-port-srv-agent');
        gen.pushRef(names.udpSlave, target, 'task-port-srv-agent');
        if (srv) {
          gen.pushRef(names.tcp, target, 'task-port-srv');
          gen.pushRef(names.udp, target, 'task-port-srv');
        }
      } else {
        gen.addRef(names.tcpSlave, 'SRV', target, 'task-port-srv-agent');
        gen.addRef(names.udpSlave, 'SRV', target, 'task-port-srv-agent');
        if (srv) {
          gen.addRef(names.tcp, 'SRV', target, 'task-port-srv');
          gen.addRef(names.udp, 'SRV', target, 'task-port-srv');
        }
      }
    }
  }
  if (discovery === undefined || discovery.ports.length === 0) return;
  if (ips.length === 0) gen.addBareHost(host);
  const spec = pass.spec;
  for (const port of discovery.ports) {
    const target = host + colonPort(port.number);
    const key = `${port.protocol}\n${port.name}`;
    let refs = names.discovery.get(key);
    if (!refs) {
      const protocol = spec(port.protocol);
      const bases =
        protocol !== '' ? [`_${name}._${protocol}.${fw}`] : [`_${name}._tcp.${fw}`, `_${name}._udp.${fw}`];
      const portName = spec(port.name);
      refs = bases.map((base): DiscoveryRef => ({ name: flat(base + tail), rule: 'task-discovery-srv' }));
      // A named port also gets `_<port name>.` in front of each name (after the plain ones).
      if (portName !== '') {
        for (const base of bases)
          refs.push({ name: flat(`_${portName}.${base}${tail}`), rule: 'task-discovery-named-srv' });
      }
      names.discovery.set(key, refs);
    }
    if (newHost) for (const ref of refs) gen.pushRef(ref, target, ref.rule);
    else for (const ref of refs) gen.addRef(ref, 'SRV', target, ref.rule);
  }
}
