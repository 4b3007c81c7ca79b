import { isIP } from 'node:net';

import { DcosError } from '../errors.js';
import { isRecord } from '../json.js';
import { splitHostPort } from './config.js';

/**
 * A Mesos `/master/state` document reduced to what Mesos-DNS reads. Parsing is lenient where Mesos-DNS is
 * not: one malformed agent, framework pid, task or status is skipped with a warning instead of failing the
 * whole state (Mesos-DNS keeps serving stale records until someone fixes the entity).
 */
export interface HostPort {
  host: string;
  port: string;
}

export interface MesosAgent {
  id: string;
  hostname: string;
  pid: HostPort;
}

export interface DiscoveryPort {
  name: string;
  number: number;
  protocol: string;
}

/** IP-ish strings of the latest TASK_RUNNING status (unvalidated, as in the state). */
export interface RunningStatus {
  netinfo: string[];
  docker: string[];
  mesos: string[];
}

export interface MesosTask {
  id: string;
  name: string;
  slaveId: string;
  state: string;
  /** `resources.ports` as Mesos prints it, e.g. `[31000-31001, 31005-31005]`. */
  ports: string;
  discovery: { name: string; ports: DiscoveryPort[] } | undefined;
  running: RunningStatus | undefined;
}

export interface MesosFramework {
  name: string;
  hostname: string;
  /** Absent when the state has no pid (then Mesos-DNS uses `hostname` and makes no SRV record). */
  pid: HostPort | undefined;
  /** The pid was present but malformed: no framework records (Mesos-DNS would reject the state). */
  badPid: boolean;
  tasks: MesosTask[];
}

export interface MesosState {
  leader: string;
  agents: MesosAgent[];
  frameworks: MesosFramework[];
  warnings: string[];
}

const parsedStates = new WeakSet<object>();

export const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
export const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';

/** Parses once; an already parsed state is returned as is. */
export function mesosState(input: unknown): MesosState {
  if (isRecord(input) && parsedStates.has(input)) return input as unknown as MesosState;
  return parseMesosState(input);
}

export function invalidState(message: string): DcosError {
  return new DcosError(message, { code: 'invalid_state' });
}

export function parseMesosState(input: unknown): MesosState {
  const { state, entries } = parseShallow(input);
  for (const entry of entries) {
    parseEntryTasks(entry, state.warnings, (task) => entry.framework!.tasks.push(task));
  }
  parsedStates.add(state);
  return state;
}

/**
 * A state whose frameworks have no tasks yet: `eachTask` parses them one at a time, for a caller that needs
 * each only briefly (record generation), so that 100 000 parsed tasks are never alive at once. The warnings
 * end up as parseMesosState's once `eachTask` has run.
 */
export interface LazyMesosState {
  state: MesosState;
  eachTask(visit: (frameworkIndex: number, task: MesosTask) => void): void;
}

export function lazyMesosState(input: unknown): LazyMesosState {
  if (isRecord(input) && parsedStates.has(input)) {
    const state = input as unknown as MesosState;
    return {
      state,
      eachTask(visit) {
        state.frameworks.forEach((framework, i) => {
          for (const task of framework.tasks) visit(i, task);
        });
      },
    };
  }
  const { state, entries } = parseShallow(input);
  return {
    state,
    eachTask(visit) {
      let index = 0;
      for (const entry of entries) {
        const frameworkIndex = entry.framework ? index++ : -1;
        parseEntryTasks(entry, state.warnings, (task) => visit(frameworkIndex, task));
      }
    },
  };
}

/** One element of `frameworks`: its framework (undefined when skipped) and what its tasks need. */
interface FrameworkEntry {
  index: number;
  framework: MesosFramework | undefined;
  /** Warnings about the framework itself, which come before its tasks'. */
  warnings: string[];
  tasks: unknown;
}

function parseShallow(input: unknown): { state: MesosState; entries: FrameworkEntry[] } {
  if (!isRecord(input)) throw invalidState('the Mesos state must be a JSON object (from /master/state)');
  const leader = input.leader;
  if (leader !== undefined && leader !== null && typeof leader !== 'string') {
    throw invalidState('the Mesos state is invalid: "leader" is not a string');
  }
  if (!leader) {
    throw invalidState('the Mesos state has no leader (Mesos-DNS rejects it: "empty master")');
  }
  const warnings: string[] = [];
  const agents = parseAgents(input.slaves, warnings);
  const entries = parseFrameworks(input.frameworks, warnings);
  const frameworks: MesosFramework[] = [];
  for (const entry of entries) if (entry.framework) frameworks.push(entry.framework);
  return { state: { leader, agents, frameworks, warnings }, entries };
}

function list(value: unknown, what: string, warnings: string[]): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  warnings.push(`ignored "${what}": not a list`);
  return [];
}

/** Go's encoding/json: null or absent gives "", anything but a string fails. */
function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : undefined;
}

/** mesos-go's upid.Parse: exactly one `@`, then host:port with a numeric port. */
export function parsePid(pid: string): HostPort | undefined {
  const at = pid.indexOf('@');
  if (at < 0 || pid.indexOf('@', at + 1) >= 0) return undefined;
  const hostPort = splitHostPort(pid.slice(at + 1));
  if (
    !hostPort ||
    hostPort.host === '' ||
    !/^\d{1,5}$/.test(hostPort.port) ||
    Number(hostPort.port) > 65535
  ) {
    return undefined;
  }
  return hostPort;
}

function pidOf(value: unknown): HostPort | string {
  if (typeof value !== 'string') return `pid ${JSON.stringify(value)} is not a string`;
  return parsePid(value) ?? `pid ${JSON.stringify(value)} is not name@host:port`;
}

function parseAgents(value: unknown, warnings: string[]): MesosAgent[] {
  const agents: MesosAgent[] = [];
  const raw = list(value, 'slaves', warnings);
  for (let i = 0; i < raw.length; i++) {
    const agent = raw[i];
    if (!isRecord(agent)) {
      warnings.push(`skipped slaves[${i}]: not an object`);
      continue;
    }
    const id = str(agent.id);
    const hostname = str(agent.hostname);
    const label = typeof agent.id === 'string' ? `agent ${agent.id}` : `slaves[${i}]`;
    if (id === undefined || hostname === undefined) {
      warnings.push(`skipped ${label}: id and hostname must be strings`);
      continue;
    }
    if (!('pid' in agent)) {
      warnings.push(`skipped ${label}: no pid`);
      continue;
    }
    const pid = pidOf(agent.pid);
    if (typeof pid === 'string') {
      warnings.push(`skipped ${label}: ${pid}`);
      continue;
    }
    agents.push({ id, hostname, pid });
  }
  return agents;
}

/** The frameworks without their tasks; warnings of the list itself go to `warnings`, the rest to entries. */
function parseFrameworks(value: unknown, warnings: string[]): FrameworkEntry[] {
  const entries: FrameworkEntry[] = [];
  const raw = list(value, 'frameworks', warnings);
  for (let i = 0; i < raw.length; i++) {
    const framework = raw[i];
    const entry: FrameworkEntry = { index: i, framework: undefined, warnings: [], tasks: undefined };
    entries.push(entry);
    if (!isRecord(framework)) {
      entry.warnings.push(`skipped frameworks[${i}]: not an object`);
      continue;
    }
    const name = str(framework.name);
    const hostname = str(framework.hostname);
    if (name === undefined || hostname === undefined) {
      entry.warnings.push(`skipped frameworks[${i}]: name and hostname must be strings`);
      continue;
    }
    let pid: HostPort | undefined;
    let badPid = false;
    if ('pid' in framework) {
      const parsed = pidOf(framework.pid);
      if (typeof parsed === 'string') {
        badPid = true;
        entry.warnings.push(
          `no records for framework "${name}" itself (its tasks still get them): ${parsed}`,
        );
      } else pid = parsed;
    }
    entry.tasks = framework.tasks;
    entry.framework = { name, hostname, pid, badPid, tasks: [] };
  }
  return entries;
}

function parseEntryTasks(entry: FrameworkEntry, warnings: string[], visit: (task: MesosTask) => void): void {
  for (const warning of entry.warnings) warnings.push(warning);
  if (!entry.framework) return;
  const i = entry.index;
  const rawTasks = list(entry.tasks, `frameworks[${i}].tasks`, warnings);
  for (let j = 0; j < rawTasks.length; j++) {
    const task = parseTask(rawTasks[j], warnings);
    if (typeof task === 'string') warnings.push(`skipped task frameworks[${i}].tasks[${j}]: ${task}`);
    else visit(task);
  }
}

function parseTask(task: unknown, warnings: string[]): MesosTask | string {
  if (!isRecord(task)) return 'not an object';
  const id = str(task.id);
  const name = str(task.name);
  const slaveId = str(task.slave_id);
  const state = str(task.state);
  if (id === undefined || name === undefined || slaveId === undefined || state === undefined) {
    return 'id, name, slave_id and state must be strings';
  }
  const where = `task ${JSON.stringify(id)}`;
  let ports = '';
  const resources = task.resources;
  if (resources !== undefined && resources !== null) {
    if (!isRecord(resources)) return `${where}: resources is not an object`;
    const raw = str(resources.ports);
    if (raw === undefined) return `${where}: resources.ports is not a string`;
    ports = raw;
  }
  const discovery = parseDiscovery(task.discovery);
  if (typeof discovery === 'string') return `${where}: ${discovery}`;
  // Only the running state of a task matters, and only running tasks get records.
  const running = state === 'TASK_RUNNING' ? latestRunning(task.statuses, where, warnings) : undefined;
  return { id, name, slaveId, state, ports, discovery, running };
}

function parseDiscovery(value: unknown): MesosTask['discovery'] | string {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) return 'discovery is not an object';
  const name = str(value.name);
  if (name === undefined) return 'discovery.name is not a string';
  const ports: DiscoveryPort[] = [];
  const portsObject = value.ports;
  if (portsObject !== undefined && portsObject !== null) {
    if (!isRecord(portsObject)) return 'discovery.ports is not an object';
    const raw = portsObject.ports;
    if (raw !== undefined && raw !== null) {
      if (!Array.isArray(raw)) return 'discovery.ports.ports is not a list';
      for (const port of raw) {
        if (port === null) {
          ports.push({ name: '', number: 0, protocol: '' });
          continue;
        }
        if (!isRecord(port)) return 'a discovery port is not an object';
        const portName = str(port.name);
        const protocol = str(port.protocol);
        const number = port.number ?? 0;
        if (portName === undefined || protocol === undefined) {
          return 'discovery port name and protocol must be strings';
        }
        if (typeof number !== 'number' || !Number.isInteger(number)) {
          return `discovery port number ${JSON.stringify(number)} is not a whole number`;
        }
        ports.push({ name: portName, number, protocol });
      }
    }
  }
  // Mesos-DNS treats a DiscoveryInfo without a name as absent.
  return name === '' ? undefined : { name, ports };
}

/** The latest TASK_RUNNING status by timestamp (statuses are not ordered); malformed ones are skipped. */
function latestRunning(value: unknown, where: string, warnings: string[]): RunningStatus | undefined {
  if (!Array.isArray(value)) return undefined;
  let best: Record<string, unknown> | undefined;
  let bestTs = -1;
  for (const status of value) {
    if (!isRecord(status) || status.state !== 'TASK_RUNNING') continue;
    const ts = status.timestamp ?? 0;
    if (typeof ts !== 'number') {
      warnings.push(`${where}: ignored a status whose timestamp is not a number`);
      continue;
    }
    if (ts > bestTs) {
      bestTs = ts;
      best = status;
    }
  }
  if (!best) return undefined;
  const running: RunningStatus = { netinfo: [], docker: [], mesos: [] };
  const labels = best.labels;
  if (Array.isArray(labels)) {
    for (const label of labels) {
      if (!isRecord(label) || typeof label.value !== 'string') continue;
      if (label.key === DOCKER_IP_LABEL) running.docker.push(label.value);
      else if (label.key === MESOS_IP_LABEL) running.mesos.push(label.value);
    }
  }
  const container = best.container_status;
  const infos = isRecord(container) ? container.network_infos : undefined;
  if (Array.isArray(infos)) {
    for (const info of infos) {
      if (!isRecord(info)) continue;
      const addresses = info.ip_addresses;
      if (Array.isArray(addresses) && addresses.length > 0) {
        for (const address of addresses) {
          if (isRecord(address) && typeof address.ip_address === 'string')
            running.netinfo.push(address.ip_address);
        }
      } else if (typeof info.ip_address === 'string') {
        // Mesos 0.25 had a single address per NetworkInfo.
        running.netinfo.push(info.ip_address);
      }
    }
  }
  return running;
}

/** As `^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$`, without the regex. */
function isDottedQuad(value: string): boolean {
  const length = value.length;
  if (length < 7 || length > 15) return false;
  let parts = 0;
  let i = 0;
  while (true) {
    const start = i;
    let octet = 0;
    while (i < length) {
      const c = value.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    // One to three digits, no leading zero, at most 255.
    if (digits === 0 || digits > 3 || (digits > 1 && value.charCodeAt(start) === 48) || octet > 255)
      return false;
    parts++;
    if (i === length) return parts === 4;
    if (parts === 4 || value.charCodeAt(i) !== 46) return false;
    i++;
  }
}

const ipv6Cache = new Map<string, string | null>();

/**
 * The address as Go's net.IP.String() prints it (lowercase, zero runs compressed, IPv4-mapped as IPv4), or
 * undefined when it is not an IP address.
 */
export function canonicalIp(value: string): string | undefined {
  if (isDottedQuad(value)) return value;
  if (!value.includes(':')) return undefined;
  let cached = ipv6Cache.get(value);
  if (cached === undefined) {
    cached = null;
    if (isIP(value) === 6 && !value.includes('%')) {
      try {
        const host = new URL(`http://[${value}]/`).hostname.slice(1, -1);
        const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
        if (mapped) {
          const hi = parseInt(mapped[1]!, 16);
          const lo = parseInt(mapped[2]!, 16);
          cached = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
        } else cached = host;
      } catch {
        cached = null;
      }
    }
    if (ipv6Cache.size > 100_000) ipv6Cache.clear();
    ipv6Cache.set(value, cached);
  }
  return cached ?? undefined;
}

/** `[31000-31002, 31005-31005]` -> 31000, 31001, 31002, 31005 (as strings, as they go into SRV values). */
export function expandPorts(ranges: string): string[] {
  return portNumbers(ranges).map(String);
}

/** The ports of `expandPorts` as numbers. */
export function portNumbers(ranges: string): number[] {
  const ports: number[] = [];
  if (ranges === '' || ranges === '[]') return ports;
  const inner =
    ranges.charCodeAt(0) === 91 && ranges.charCodeAt(ranges.length - 1) === 93 && ranges.length > 1
      ? ranges.slice(1, -1)
      : ranges.replace(/^\s*\[/, '').replace(/\]\s*$/, '');
  let from = 0;
  while (from <= inner.length) {
    let comma = inner.indexOf(',', from);
    if (comma < 0) comma = inner.length;
    const range = inner.slice(from, comma).trim();
    from = comma + 1;
    if (range === '') continue;
    const dash = range.indexOf('-');
    const lo = Number(dash < 0 ? range : range.slice(0, dash));
    const hi = dash < 0 ? lo : Number(range.slice(dash + 1));
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 65535) continue;
    for (let port = lo; port <= hi; port++) ports.push(port);
  }
  return ports;
}
