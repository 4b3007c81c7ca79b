/**
 * Renderers of the Mesos master and agent JSON endpoints (`/master/state`, `/master/state-summary`,
 * `/master/slaves`, `/master/frameworks`, `/master/tasks`, agent `/state`) from a plain snapshot of the local
 * cluster. Pure: the caller gathers the data, these functions only shape it the way Mesos 1.10 writes it
 * (`src/common/http.cpp`, `src/master/readonly_handler.cpp`, `src/slave/http.cpp`), and the way Mesos-DNS reads it:
 * - the leader is `master@<ip>:<port>`, every agent pid is `slave(1)@<ip>:5051` and the framework pid is
 *   `scheduler-<uuid>@<ip>:<port>` (Mesos-DNS rejects the whole state if one pid does not parse);
 * - each task carries its agent's IP in `statuses[].container_status.network_infos[].ip_addresses[]` (the
 *   `netinfo` IP source), `slave_id` naming a listed agent, `resources.ports` as a range string and Marathon's
 *   `discovery` info (name = the task name, ports = the host ports);
 * - the task name is the app id's path segments reversed and joined with dots ({@link mesosTaskName}).
 *
 * All times are seconds since the epoch as floats, as Mesos writes them.
 */

import { createHash } from 'node:crypto';

import type { AgentSpec, MesosTaskState, TaskRecord, TaskStatus } from '../types.js';
import { formatRanges, portsToRanges } from './agents.js';

export const MESOS_VERSION = '1.10.0';
/** Marathon's default `--failover_timeout` (one week), which it registers with. */
export const FRAMEWORK_FAILOVER_TIMEOUT = 604800;
/** Mesos' `TASK_LIMIT`: the default page size of `/master/tasks`. */
export const TASKS_DEFAULT_LIMIT = 100;

const BUILD = {
  build_date: '2020-05-25 00:00:00',
  build_time: 1590364800,
  build_user: 'dcos-local',
} as const;
const MASTER_CAPABILITIES = ['AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'];
const AGENT_CAPABILITIES = [
  'MULTI_ROLE',
  'HIERARCHICAL_ROLE',
  'RESERVATION_REFINEMENT',
  'RESOURCE_PROVIDER',
  'RESIZE_VOLUME',
  'AGENT_OPERATION_FEEDBACK',
  'AGENT_DRAINING',
];
/** What Marathon 1.10 registers with (it handles TASK_KILLING and partition-aware states). */
const MARATHON_CAPABILITIES = ['TASK_KILLING_STATE', 'PARTITION_AWARE', 'REGION_AWARE', 'GPU_RESOURCES'];
/** The task states counted in `/master/state-summary` (Mesos' `TaskStateSummary`). */
const SUMMARY_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_KILLED',
  'TASK_FAILED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_UNREACHABLE',
] as const;
const ACTIVE_STATES: ReadonlySet<MesosTaskState> = new Set([
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
]);

export interface DiscoveryPort {
  number: number;
  name?: string;
  protocol: string;
  labels?: Record<string, string>;
}

/** Marathon's DiscoveryInfo for a task (visibility is always FRAMEWORK). */
export interface TaskDiscovery {
  name: string;
  ports: DiscoveryPort[];
}

/**
 * Everything the renderers need. Per-task maps are keyed by task id; every one of them is optional and has the
 * default Marathon would produce.
 */
export interface ClusterSnapshot {
  /** The master id; agent ids are `<clusterId>-S<n>` and framework ids `<clusterId>-0000` by convention. */
  clusterId: string;
  clusterName: string;
  masterIp: string;
  masterPort: number;
  /** When the master started: seconds since the epoch (a value above 1e11 is taken as milliseconds). */
  startTime: number;
  frameworkId: string;
  frameworkName: 'marathon';
  agents: AgentSpec[];
  /** Active tasks and recently finished ones (terminal states go to `completed_tasks`). */
  tasks: TaskRecord[];
  /** Mesos task names; default {@link mesosTaskName}(task.appId), which is what Marathon sets. */
  taskNames?: Record<string, string>;
  /** Default: name = the task name, one tcp port per host port, labelled `network-scope: host` (Marathon's form). */
  discovery?: Record<string, TaskDiscovery>;
  /** The app labels Marathon copies onto the task; omitted from the task when empty. */
  labels?: Record<string, Record<string, string>>;
  /** The task's shell command, for the agent's executor name (`Command Executor (Task: …) (Command: sh -c '…')`). */
  commands?: Record<string, string>;
  /**
   * Mesos container ids. Default: the sandbox's last path segment when the sandbox ends in `/runs/<id>` (the
   * Mesos layout), else a UUID derived from the task id.
   */
  containerIds?: Record<string, string>;
  /** The role the task's resources are allocated to; default `*`. */
  roles?: Record<string, string>;
  /** Marathon's HTTP port, for the framework's `webui_url` and pid; default 8080. */
  marathonPort?: number;
  /** The user the framework registered as; default `root`. */
  frameworkUser?: string;
  /** The agents' `--work_dir` flag, shown in the agent flags; default `/var/lib/mesos/slave`. */
  workDir?: string;
}

type Json = Record<string, unknown>;

/**
 * The Mesos task name Marathon gives an app's tasks: `PathId.toHostname`, i.e. the app id's path segments reversed
 * and joined with dots (`/group/web` → `web.group`, `/a/b/c` → `c.b.a`). Mesos-DNS then turns the dots into dashes
 * (`web-group.marathon.mesos`; see /work/shared/reference/mesos-dns.md §2.1 items 5-6).
 */
export function mesosTaskName(appId: string): string {
  return appId
    .split('/')
    .filter((segment) => segment !== '')
    .reverse()
    .join('.');
}

/** Seconds since the epoch; accepts milliseconds (anything above 1e11, i.e. after the year 5138 in seconds). */
function seconds(time: number): number {
  return time > 1e11 ? time / 1000 : time;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** A stable UUID-shaped id derived from `text` (version 5 layout over SHA-1). */
function uuidFrom(text: string): string {
  const hex = createHash('sha1').update(text).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The IPv4 address as the uint32 Mesos puts in `MasterInfo.ip` (network byte order read as little-endian). */
function ipAsUint32(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return 0;
  return ((parts[3]! << 24) | (parts[2]! << 16) | (parts[1]! << 8) | parts[0]!) >>> 0;
}

function isActive(task: TaskRecord): boolean {
  return ACTIVE_STATES.has(task.state);
}

/** Mesos' JSON for a Resources value: cpus/gpus/mem/disk always, ports only when there are some. */
function resourcesJson(
  cpus: number,
  mem: number,
  disk: number,
  gpus: number,
  ports: readonly number[] | string,
): Json {
  const json: Json = { cpus: round3(cpus), gpus: round3(gpus), mem: round3(mem), disk: round3(disk) };
  const ranges =
    typeof ports === 'string' ? ports : ports.length > 0 ? formatRanges(portsToRanges(ports)) : undefined;
  if (ranges !== undefined) json.ports = ranges;
  return json;
}

function sumResources(tasks: readonly TaskRecord[]): Json {
  return resourcesJson(
    tasks.reduce((sum, task) => sum + task.cpus, 0),
    tasks.reduce((sum, task) => sum + task.mem, 0),
    tasks.reduce((sum, task) => sum + task.disk, 0),
    tasks.reduce((sum, task) => sum + task.gpus, 0),
    tasks.flatMap((task) => task.ports),
  );
}

function agentResourcesJson(agent: AgentSpec): Json {
  const { cpus, mem, disk, gpus, ports } = agent.resources;
  return resourcesJson(cpus, mem, disk, gpus, formatRanges(ports));
}

/** The protobuf `Resource` array form (`*_full` fields); a zero gpus scalar is left out, as agents do. */
function resourcesFull(
  scalars: { cpus: number; mem: number; disk: number; gpus: number },
  ranges: ReadonlyArray<readonly [number, number]>,
): Json[] {
  const full: Json[] = [];
  for (const name of ['cpus', 'mem', 'disk', 'gpus'] as const) {
    const value = round3(scalars[name]);
    if (name === 'gpus' && value === 0) continue;
    full.push({ name, type: 'SCALAR', scalar: { value }, role: '*' });
  }
  if (ranges.length > 0) {
    full.push({
      name: 'ports',
      type: 'RANGES',
      ranges: { range: ranges.map(([begin, end]) => ({ begin, end })) },
      role: '*',
    });
  }
  return full;
}

function labelsJson(labels: Record<string, string>): Array<{ key: string; value: string }> {
  return Object.entries(labels).map(([key, value]) => ({ key, value }));
}

function zeroResources(): Json {
  return resourcesJson(0, 0, 0, 0, []);
}

/** Renders with everything a snapshot derives (lookups, names, ids), built once per call. */
class View {
  readonly agentById: Map<string, AgentSpec>;
  readonly start: number;

  constructor(readonly snapshot: ClusterSnapshot) {
    this.agentById = new Map(snapshot.agents.map((agent) => [agent.id, agent]));
    this.start = seconds(snapshot.startTime);
  }

  get marathonPort(): number {
    return this.snapshot.marathonPort ?? 8080;
  }

  get masterPid(): string {
    return `master@${this.snapshot.masterIp}:${this.snapshot.masterPort}`;
  }

  agentPid(agent: AgentSpec): string {
    return `slave(1)@${agent.ip}:${agent.port}`;
  }

  taskName(task: TaskRecord): string {
    return this.snapshot.taskNames?.[task.id] ?? mesosTaskName(task.appId);
  }

  containerId(task: TaskRecord): string {
    const given = this.snapshot.containerIds?.[task.id];
    if (given) return given;
    const match = /[/\\]runs[/\\]([^/\\]+)[/\\]?$/.exec(task.sandbox);
    if (match && match[1] !== 'latest') return match[1]!;
    return uuidFrom(`container:${task.id}`);
  }

  taskIp(task: TaskRecord): string {
    return this.agentById.get(task.agentId)?.ip ?? task.host;
  }

  statusJson(task: TaskRecord, status: TaskStatus): Json {
    const json: Json = {
      state: status.state,
      timestamp: status.timestamp,
      container_status: {
        container_id: { value: this.containerId(task) },
        network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: this.taskIp(task) }] }],
      },
    };
    if (status.healthy !== undefined) json.healthy = status.healthy;
    return json;
  }

  discoveryJson(task: TaskRecord): Json {
    const discovery: TaskDiscovery = this.snapshot.discovery?.[task.id] ?? {
      name: this.taskName(task),
      ports: task.ports.map((number) => ({ number, protocol: 'tcp', labels: { 'network-scope': 'host' } })),
    };
    const ports = discovery.ports.map((port) => {
      const json: Json = { number: port.number };
      if (port.name) json.name = port.name;
      json.protocol = port.protocol;
      if (port.labels && Object.keys(port.labels).length > 0)
        json.labels = { labels: labelsJson(port.labels) };
      return json;
    });
    // An empty repeated field is left out of protobuf JSON, hence `ports: {}` for a task without ports.
    return { visibility: 'FRAMEWORK', name: discovery.name, ports: ports.length > 0 ? { ports } : {} };
  }

  /** Mesos' `json(Task)`, the same on the master and the agent. */
  taskJson(task: TaskRecord): Json {
    const json: Json = {
      id: task.id,
      name: this.taskName(task),
      framework_id: this.snapshot.frameworkId,
      // Marathon's tasks run under the command executor, which Mesos does not name on the task.
      executor_id: '',
      slave_id: task.agentId,
      state: task.state,
      resources: resourcesJson(task.cpus, task.mem, task.disk, task.gpus, task.ports),
      role: this.snapshot.roles?.[task.id] ?? '*',
      statuses: task.statuses.map((status) => this.statusJson(task, status)),
    };
    const labels = this.snapshot.labels?.[task.id];
    if (labels && Object.keys(labels).length > 0) json.labels = labelsJson(labels);
    json.discovery = this.discoveryJson(task);
    return json;
  }

  /** The master's view of an agent (`SlaveWriter`). */
  agentJson(agent: AgentSpec): Json {
    const active = this.snapshot.tasks.filter((task) => task.agentId === agent.id && isActive(task));
    const resources = agentResourcesJson(agent);
    return {
      id: agent.id,
      pid: this.agentPid(agent),
      hostname: agent.hostname,
      port: agent.port,
      registered_time: this.start,
      resources,
      used_resources: sumResources(active),
      offered_resources: zeroResources(),
      reserved_resources: {},
      unreserved_resources: resources,
      attributes: { ...agent.attributes },
      active: true,
      deactivated: false,
      version: MESOS_VERSION,
      capabilities: [...AGENT_CAPABILITIES],
    };
  }

  frameworkBase(): Json {
    const { snapshot } = this;
    return {
      id: snapshot.frameworkId,
      name: snapshot.frameworkName,
      pid: `scheduler-${uuidFrom(`scheduler:${snapshot.frameworkId}`)}@${snapshot.masterIp}:${this.marathonPort}`,
      used_resources: sumResources(snapshot.tasks.filter(isActive)),
      offered_resources: zeroResources(),
      capabilities: [...MARATHON_CAPABILITIES],
      hostname: snapshot.masterIp,
      webui_url: `http://${snapshot.masterIp}:${this.marathonPort}`,
      active: true,
      connected: true,
      recovered: false,
    };
  }

  /** The master's view of the Marathon framework (`FrameworkWriter`). */
  frameworkJson(): Json {
    const { snapshot } = this;
    const used = sumResources(snapshot.tasks.filter(isActive));
    return {
      ...this.frameworkBase(),
      user: snapshot.frameworkUser ?? 'root',
      failover_timeout: FRAMEWORK_FAILOVER_TIMEOUT,
      checkpoint: true,
      registered_time: this.start,
      unregistered_time: 0,
      reregistered_time: this.start,
      role: '*',
      resources: used,
      tasks: snapshot.tasks.filter(isActive).map((task) => this.taskJson(task)),
      unreachable_tasks: [],
      completed_tasks: snapshot.tasks.filter((task) => !isActive(task)).map((task) => this.taskJson(task)),
      offers: [],
      executors: [],
    };
  }

  counts(tasks: readonly TaskRecord[]): Json {
    const counts: Json = {};
    for (const state of SUMMARY_STATES) counts[state] = tasks.filter((task) => task.state === state).length;
    return counts;
  }
}

/** `GET /master/state`. */
export function masterState(snapshot: ClusterSnapshot): Json {
  const view = new View(snapshot);
  return {
    version: MESOS_VERSION,
    ...BUILD,
    start_time: view.start,
    elected_time: view.start,
    id: snapshot.clusterId,
    pid: view.masterPid,
    hostname: snapshot.masterIp,
    capabilities: [...MASTER_CAPABILITIES],
    activated_slaves: snapshot.agents.length,
    deactivated_slaves: 0,
    unreachable_slaves: 0,
    leader: view.masterPid,
    leader_info: {
      id: snapshot.clusterId,
      ip: ipAsUint32(snapshot.masterIp),
      port: snapshot.masterPort,
      pid: view.masterPid,
      hostname: snapshot.masterIp,
      version: MESOS_VERSION,
      address: { hostname: snapshot.masterIp, ip: snapshot.masterIp, port: snapshot.masterPort },
    },
    cluster: snapshot.clusterName,
    flags: masterFlags(snapshot),
    slaves: snapshot.agents.map((agent) => view.agentJson(agent)),
    recovered_slaves: [],
    frameworks: [view.frameworkJson()],
    completed_frameworks: [],
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

function masterFlags(snapshot: ClusterSnapshot): Record<string, string> {
  return {
    authenticate_agents: 'false',
    authenticate_frameworks: 'false',
    authenticate_http_frameworks: 'false',
    authenticate_http_readonly: 'false',
    authenticate_http_readwrite: 'false',
    cluster: snapshot.clusterName,
    hostname: snapshot.masterIp,
    ip: snapshot.masterIp,
    max_completed_frameworks: '50',
    max_completed_tasks_per_framework: '1000',
    port: String(snapshot.masterPort),
    quorum: '1',
    registry: 'in_memory',
    roles: '*',
    work_dir: '/var/lib/mesos/master',
  };
}

/** `GET /master/state-summary`: agents and frameworks with per-state task counts. */
export function stateSummary(snapshot: ClusterSnapshot): Json {
  const view = new View(snapshot);
  const fw = snapshot.frameworkId;
  return {
    hostname: snapshot.masterIp,
    cluster: snapshot.clusterName,
    slaves: snapshot.agents.map((agent) => {
      const onAgent = snapshot.tasks.filter((task) => task.agentId === agent.id);
      return {
        ...view.agentJson(agent),
        ...view.counts(onAgent),
        framework_ids: onAgent.length > 0 ? [fw] : [],
      };
    }),
    frameworks: [
      {
        ...view.frameworkBase(),
        ...view.counts(snapshot.tasks),
        slave_ids: [...new Set(snapshot.tasks.map((task) => task.agentId))].filter((id) =>
          view.agentById.has(id),
        ),
      },
    ],
  };
}

type Query = URLSearchParams | Readonly<Record<string, string | undefined>> | undefined;

function queryGet(query: Query, key: string): string | undefined {
  if (!query) return undefined;
  if (query instanceof URLSearchParams) return query.get(key) ?? undefined;
  return query[key];
}

/** `GET /master/slaves` (`?slave_id=` filters), with the protobuf `*_full` resource arrays. */
export function slaves(snapshot: ClusterSnapshot, query?: Query): Json {
  const view = new View(snapshot);
  const wanted = queryGet(query, 'slave_id');
  return {
    slaves: snapshot.agents
      .filter((agent) => wanted === undefined || agent.id === wanted)
      .map((agent) => {
        const active = snapshot.tasks.filter((task) => task.agentId === agent.id && isActive(task));
        const used = {
          cpus: active.reduce((sum, task) => sum + task.cpus, 0),
          mem: active.reduce((sum, task) => sum + task.mem, 0),
          disk: active.reduce((sum, task) => sum + task.disk, 0),
          gpus: active.reduce((sum, task) => sum + task.gpus, 0),
        };
        return {
          ...view.agentJson(agent),
          reserved_resources_full: {},
          unreserved_resources_full: resourcesFull(agent.resources, agent.resources.ports),
          used_resources_full:
            active.length > 0 ? resourcesFull(used, portsToRanges(active.flatMap((t) => t.ports))) : [],
          offered_resources_full: [],
        };
      }),
    recovered_slaves: [],
  };
}

/** `GET /master/frameworks` (`?framework_id=` filters). */
export function frameworks(snapshot: ClusterSnapshot, query?: Query): Json {
  const wanted = queryGet(query, 'framework_id');
  const view = new View(snapshot);
  return {
    frameworks: wanted === undefined || wanted === snapshot.frameworkId ? [view.frameworkJson()] : [],
    completed_frameworks: [],
    unregistered_frameworks: [],
  };
}

/** Mesos' `numify<int>`: decimal with an optional sign, or hex with `0x`; anything else is not a number. */
function numify(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^[+-]?\d+$/.test(text)) return Number(text);
  const hex = /^(-?)0[xX]([0-9a-fA-F]+)$/.exec(text);
  if (hex) return (hex[1] ? -1 : 1) * parseInt(hex[2]!, 16);
  return undefined;
}

/**
 * `GET /master/tasks`: active and completed tasks, sorted by the timestamp of their first status (tasks without
 * statuses first; ties by id), `order=asc` or descending (the default, any other value), then paged with `offset`
 * (default 0) and `limit` (default 100). Filters `task_id` and `framework_id` apply independently. As in Mesos, a
 * `limit`/`offset` that does not parse is ignored (default used), and a negative one wraps to a huge size, so a
 * negative limit returns everything and a negative offset nothing.
 */
export function tasks(snapshot: ClusterSnapshot, query?: Query): Json {
  const view = new View(snapshot);
  const limitValue = numify(queryGet(query, 'limit'));
  const offsetValue = numify(queryGet(query, 'offset'));
  const limit = limitValue === undefined ? TASKS_DEFAULT_LIMIT : limitValue < 0 ? Infinity : limitValue;
  const offset = offsetValue === undefined ? 0 : offsetValue < 0 ? Infinity : offsetValue;
  const descending = queryGet(query, 'order') !== 'asc';
  const taskId = queryGet(query, 'task_id');
  const frameworkId = queryGet(query, 'framework_id');

  const selected =
    frameworkId !== undefined && frameworkId !== snapshot.frameworkId
      ? []
      : snapshot.tasks.filter((task) => taskId === undefined || task.id === taskId);
  const first = (task: TaskRecord) => task.statuses[0]?.timestamp;
  const ascending = [...selected].sort((a, b) => {
    const left = first(a);
    const right = first(b);
    if (left === undefined || right === undefined) {
      if (left !== right) return left === undefined ? -1 : 1;
    } else if (left !== right) {
      return left - right;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  const ordered = descending ? ascending.reverse() : ascending;
  const page =
    offset === Infinity ? [] : ordered.slice(offset, limit === Infinity ? undefined : offset + limit);
  return { tasks: page.map((task) => view.taskJson(task)) };
}

/**
 * The executor name the Mesos agent gives a command executor: `Command Executor (Task: <id>) (Command: sh -c
 * '<command>')`, the command cut to 12 characters plus `...` when longer than 15.
 */
function executorName(taskId: string, command: string | undefined): string {
  let described: string;
  if (command === undefined || command === '') described = '(Command: NO COMMAND)';
  else if (command.length > 15) described = `(Command: sh -c '${command.slice(0, 12)}...')`;
  else described = `(Command: sh -c '${command}')`;
  return `Command Executor (Task: ${taskId}) ${described}`;
}

/**
 * Agent `GET /state` (also `/slave(1)/state`) for one agent, or undefined for an unknown agent id. Each task runs
 * under its own command executor (id = task id) whose `directory` is the task sandbox: active tasks sit in
 * `frameworks[0].executors[]`, finished ones in `completed_executors[]` (their task in `completed_tasks`). When the
 * agent has finished tasks only, Mesos has moved the framework to `completed_frameworks`, and so do we.
 */
export function agentState(snapshot: ClusterSnapshot, agentId: string): Json | undefined {
  const view = new View(snapshot);
  const agent = view.agentById.get(agentId);
  if (!agent) return undefined;
  const onAgent = snapshot.tasks.filter((task) => task.agentId === agentId);
  const active = onAgent.filter(isActive);
  const completed = onAgent.filter((task) => !isActive(task));
  const executor = (task: TaskRecord, done: boolean): Json => ({
    id: task.id,
    name: executorName(task.id, snapshot.commands?.[task.id]),
    source: task.id,
    container: view.containerId(task),
    directory: task.sandbox,
    resources: resourcesJson(task.cpus, task.mem, task.disk, task.gpus, task.ports),
    role: snapshot.roles?.[task.id] ?? '*',
    tasks: done ? [] : [view.taskJson(task)],
    queued_tasks: [],
    completed_tasks: done ? [view.taskJson(task)] : [],
  });
  const framework: Json = {
    id: snapshot.frameworkId,
    name: snapshot.frameworkName,
    user: snapshot.frameworkUser ?? 'root',
    failover_timeout: FRAMEWORK_FAILOVER_TIMEOUT,
    checkpoint: true,
    hostname: snapshot.masterIp,
    role: '*',
    capabilities: [...MARATHON_CAPABILITIES],
    executors: active.map((task) => executor(task, false)),
    completed_executors: completed.map((task) => executor(task, true)),
  };
  const resources = agentResourcesJson(agent);
  const full = resourcesFull(agent.resources, agent.resources.ports);
  const workDir = snapshot.workDir ?? '/var/lib/mesos/slave';
  return {
    version: MESOS_VERSION,
    ...BUILD,
    start_time: view.start,
    id: agent.id,
    pid: view.agentPid(agent),
    hostname: agent.hostname,
    capabilities: [...AGENT_CAPABILITIES],
    resources,
    reserved_resources: {},
    unreserved_resources: resources,
    reserved_resources_full: {},
    unreserved_resources_full: full,
    reserved_resources_allocated: {},
    unreserved_resources_allocated: sumResources(active),
    attributes: { ...agent.attributes },
    master_hostname: snapshot.masterIp,
    flags: {
      attributes: Object.entries(agent.attributes)
        .map(([key, value]) => `${key}:${value}`)
        .join(';'),
      containerizers: 'mesos',
      hostname: agent.hostname,
      ip: agent.ip,
      launcher: 'posix',
      master: `${snapshot.masterIp}:${snapshot.masterPort}`,
      port: String(agent.port),
      resources: `cpus:${agent.resources.cpus};mem:${agent.resources.mem};disk:${agent.resources.disk};ports:${formatRanges(agent.resources.ports)}`,
      work_dir: workDir,
    },
    frameworks: active.length > 0 ? [framework] : [],
    completed_frameworks: active.length === 0 && completed.length > 0 ? [framework] : [],
  };
}
