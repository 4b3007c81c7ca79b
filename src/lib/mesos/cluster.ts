/**
 * Nodes, task rows and frameworks out of a master `/master/state`, shaped for `dcos node list`,
 * `dcos task list` and `dcos service list`. Pure and lenient: odd entries are shown with empty cells rather
 * than failing the listing.
 */
import type { Column } from '../cli/output.js';
import { isRecord } from '../json.js';
import { pidAddress, type MesosTaskInfo } from './tasks.js';

type Json = Record<string, unknown>;

export interface NodeRow {
  hostname: string | undefined;
  ip: string | undefined;
  id: string | undefined;
  type: string;
  region: string | undefined;
  zone: string | undefined;
  /** What `--field` paths and `--json` read: the agent as in the state (plus `type`), or the master entry. */
  raw: Json;
}

/** The leading master first, then the agents by hostname and id. */
export function listNodes(state: unknown): NodeRow[] {
  if (!isRecord(state)) return [];
  const agents = records(state.slaves).map((agent): NodeRow => {
    const type = isPublic(agent) ? 'agent (public)' : 'agent';
    return {
      hostname: text(agent.hostname),
      ip: hostOf(text(agent.pid)),
      id: text(agent.id),
      type,
      ...faultDomain(agent.domain),
      raw: { ...agent, type },
    };
  });
  agents.sort((a, b) => compare(a.hostname ?? '', b.hostname ?? '') || compare(a.id ?? '', b.id ?? ''));
  const master = masterNode(state);
  return master ? [master, ...agents] : agents;
}

function masterNode(state: Json): NodeRow | undefined {
  const info = isRecord(state.leader_info) ? state.leader_info : undefined;
  const leader = text(state.leader) ?? text(state.pid);
  if (!leader && !info) return undefined;
  const ip = hostOf(leader) ?? (isRecord(info?.address) ? text(info.address.ip) : undefined);
  const hostname = text(state.hostname) ?? text(info?.hostname) ?? ip;
  const domain = state.domain ?? info?.domain;
  const raw: Json = {
    id: text(state.id) ?? text(info?.id),
    hostname,
    ip,
    pid: leader,
    type: 'master (leader)',
  };
  if (text(state.version)) raw.version = state.version;
  if (domain !== undefined) raw.domain = domain;
  return {
    hostname,
    ip,
    id: raw.id as string | undefined,
    type: 'master (leader)',
    ...faultDomain(domain),
    raw,
  };
}

function isPublic(agent: Json): boolean {
  const attributes = isRecord(agent.attributes) ? agent.attributes : {};
  return attributes.public_ip === true || attributes.public_ip === 'true';
}

function faultDomain(domain: unknown): { region: string | undefined; zone: string | undefined } {
  const fault = isRecord(domain) && isRecord(domain.fault_domain) ? domain.fault_domain : {};
  return {
    region: isRecord(fault.region) ? text(fault.region.name) : undefined,
    zone: isRecord(fault.zone) ? text(fault.zone.name) : undefined,
  };
}

/** `resources.cpus`, `attributes.rack`: a dotted path into a JSON object; objects print as JSON. */
export function fieldValue(object: unknown, path: string): string | undefined {
  let value: unknown = object;
  for (const key of path.split('.')) {
    if (!isRecord(value) || !(key in value)) return undefined;
    value = value[key];
  }
  if (value === undefined || value === null) return undefined;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function nodeColumns(fields: readonly string[] = []): Column<NodeRow>[] {
  return [
    { header: 'HOSTNAME', value: (row) => row.hostname },
    { header: 'IP', value: (row) => row.ip },
    { header: 'ID', value: (row) => row.id },
    { header: 'TYPE', value: (row) => row.type },
    { header: 'REGION', value: (row) => row.region ?? 'N/A' },
    { header: 'ZONE', value: (row) => row.zone ?? 'N/A' },
    ...fields.map((field) => ({ header: field, value: (row: NodeRow) => fieldValue(row.raw, field) })),
  ];
}

export interface TaskRow {
  task: MesosTaskInfo;
  user: string | undefined;
  region: string | undefined;
  zone: string | undefined;
  /** The task as the state has it, which is what `--json` prints (as the DC/OS CLI does). */
  raw: Json;
}

/** Joins listed tasks with their framework's user, their agent's fault domain and their raw state entry. */
export function taskRows(state: unknown, tasks: readonly MesosTaskInfo[]): TaskRow[] {
  const root = isRecord(state) ? state : {};
  const frameworks = [...records(root.frameworks), ...records(root.completed_frameworks)];
  const users = new Map<string, string>();
  const raw = new Map<string, Json>();
  for (const framework of frameworks) {
    const id = text(framework.id);
    if (id && text(framework.user)) users.set(id, text(framework.user)!);
    for (const task of [...records(framework.tasks), ...records(framework.completed_tasks)]) {
      const key = `${text(task.framework_id) ?? id}\u0000${text(task.id)}`;
      if (!raw.has(key)) raw.set(key, task);
    }
  }
  const domains = new Map(records(root.slaves).map((agent) => [text(agent.id), faultDomain(agent.domain)]));
  return tasks.map((task) => ({
    task,
    user: users.get(task.frameworkId),
    ...(domains.get(task.agentId) ?? { region: undefined, zone: undefined }),
    raw: raw.get(`${task.frameworkId}\u0000${task.id}`) ?? {
      id: task.id,
      name: task.name,
      state: task.state,
    },
  }));
}

export const TASK_COLUMNS: Column<TaskRow>[] = [
  { header: 'NAME', value: (row) => row.task.name },
  { header: 'HOST', value: (row) => row.task.agentHostname },
  { header: 'USER', value: (row) => row.user },
  { header: 'STATE', value: (row) => row.task.state },
  { header: 'ID', value: (row) => row.task.id },
  { header: 'AGENT ID', value: (row) => row.task.agentId },
  { header: 'REGION', value: (row) => row.region ?? 'N/A' },
  { header: 'ZONE', value: (row) => row.zone ?? 'N/A' },
];

export interface FrameworkRow {
  name: string;
  host: string | undefined;
  active: boolean;
  tasks: number;
  cpus: number;
  mem: number;
  disk: number;
  id: string;
  raw: Json;
}

/**
 * Frameworks as `dcos service list` shows them: the active ones, plus inactive (`--inactive`) and completed
 * (`--completed`) ones when asked; sorted by name, then id.
 */
export function listFrameworks(
  state: unknown,
  options: { inactive?: boolean; completed?: boolean } = {},
): FrameworkRow[] {
  const root = isRecord(state) ? state : {};
  const rows = records(root.frameworks)
    .filter((framework) => framework.active !== false || options.inactive)
    .map((framework) => frameworkRow(framework));
  if (options.completed) {
    rows.push(...records(root.completed_frameworks).map((framework) => frameworkRow(framework, false)));
  }
  return rows.sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
}

function frameworkRow(framework: Json, active = framework.active !== false): FrameworkRow {
  const resources = isRecord(framework.used_resources)
    ? framework.used_resources
    : isRecord(framework.resources)
      ? framework.resources
      : {};
  return {
    name: text(framework.name) ?? '',
    host: text(framework.hostname),
    active,
    tasks: records(framework.tasks).length,
    cpus: number(resources.cpus),
    mem: number(resources.mem),
    disk: number(resources.disk),
    id: text(framework.id) ?? '',
    raw: framework,
  };
}

export const FRAMEWORK_COLUMNS: Column<FrameworkRow>[] = [
  { header: 'NAME', value: (row) => row.name },
  { header: 'HOST', value: (row) => row.host },
  { header: 'ACTIVE', value: (row) => (row.active ? 'True' : 'False') },
  { header: 'TASKS', value: (row) => row.tasks },
  { header: 'CPU', value: (row) => round(row.cpus) },
  { header: 'MEM', value: (row) => round(row.mem) },
  { header: 'DISK', value: (row) => round(row.disk) },
  { header: 'ID', value: (row) => row.id },
];

/** The ids of the agents in a state, for "not found" suggestions. */
export function agentIds(state: unknown): string[] {
  return isRecord(state) ? records(state.slaves).flatMap((agent) => text(agent.id) ?? []) : [];
}

function hostOf(pid: string | undefined): string | undefined {
  const address = pidAddress(pid);
  return address?.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function number(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
