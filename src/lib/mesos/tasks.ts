import { settingString } from '../config/clusters.js';
import type { Settings } from '../config/keys.js';
import { clusterUrl } from '../config/services.js';
import { DcosError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { isRecord } from '../json.js';
import { fetchLiveState } from '../dns/live.js';
import { editDistance } from '../text.js';

/** One Mesos task as the node/task/log commands need it, flattened out of `/master/state`. */
export interface MesosTaskInfo {
  id: string;
  name: string;
  state: string;
  frameworkId: string;
  frameworkName: string;
  agentId: string;
  agentHostname: string | undefined;
  /**
   * The task's executor; command tasks have an empty `executor_id` in the state and run under an executor
   * named after the task, so this is the task id then (what the sandbox path is built from).
   */
  executorId: string;
  /** From `completed_tasks` or a completed framework. */
  completed: boolean;
  /** First TASK_RUNNING status timestamp, in seconds. */
  startedAt?: number;
}

/** Most closest names shown when a task filter matches nothing. */
export const MAX_CLOSEST = 5;

/**
 * Every task in a master state: the running (and staging, killing...) tasks of each framework, plus with
 * `completed` the `completed_tasks` of frameworks and every task of `completed_frameworks`. Malformed
 * entries are skipped rather than failing the listing: one odd framework should not hide the others.
 * Sorted by name, then id, then framework, so output is the same on every run.
 */
export function listMesosTasks(state: unknown, options: { completed?: boolean } = {}): MesosTaskInfo[] {
  if (!isRecord(state)) return [];
  const hostnames = new Map<string, string>();
  for (const agent of records(state.slaves)) {
    const id = text(agent.id);
    const hostname = text(agent.hostname);
    if (id && hostname) hostnames.set(id, hostname);
  }
  const running: MesosTaskInfo[] = [];
  const completed: MesosTaskInfo[] = [];
  const collect = (
    into: MesosTaskInfo[],
    framework: Record<string, unknown>,
    list: unknown,
    done: boolean,
  ) => {
    for (const task of records(list)) {
      const info = taskInfo(task, framework, done, hostnames);
      if (info) into.push(info);
    }
  };
  for (const framework of records(state.frameworks)) {
    collect(running, framework, framework.tasks, false);
    if (options.completed) collect(completed, framework, framework.completed_tasks, true);
  }
  if (options.completed) {
    for (const framework of records(state.completed_frameworks)) {
      collect(completed, framework, framework.tasks, true);
      collect(completed, framework, framework.completed_tasks, true);
    }
  }
  // Around a re-registration a task can be listed both running and completed; the running entry wins.
  const active = new Set(running.map((task) => `${task.frameworkId}\u0000${task.id}`));
  const all = [...running, ...completed.filter((task) => !active.has(`${task.frameworkId}\u0000${task.id}`))];
  return all.sort(
    (a, b) => compare(a.name, b.name) || compare(a.id, b.id) || compare(a.frameworkId, b.frameworkId),
  );
}

function taskInfo(
  task: Record<string, unknown>,
  framework: Record<string, unknown>,
  completed: boolean,
  hostnames: Map<string, string>,
): MesosTaskInfo | undefined {
  const id = text(task.id);
  if (!id) return undefined;
  const agentId = text(task.slave_id) ?? text(task.agent_id) ?? '';
  const info: MesosTaskInfo = {
    id,
    name: text(task.name) ?? '',
    state: text(task.state) ?? '',
    frameworkId: text(task.framework_id) ?? text(framework.id) ?? '',
    frameworkName: text(framework.name) ?? '',
    agentId,
    agentHostname: hostnames.get(agentId),
    executorId: text(task.executor_id) || id,
    completed,
  };
  const startedAt = firstRunning(task.statuses);
  if (startedAt !== undefined) info.startedAt = startedAt;
  return info;
}

function firstRunning(statuses: unknown): number | undefined {
  let first: number | undefined;
  for (const status of records(statuses)) {
    if (status.state !== 'TASK_RUNNING' || typeof status.timestamp !== 'number') continue;
    if (first === undefined || status.timestamp < first) first = status.timestamp;
  }
  return first;
}

/**
 * DC/OS CLI task matching: an exact id wins on its own, otherwise every task whose id or name contains the
 * filter. With no match, `closest` holds up to five ids or names nearest to the filter by edit distance so
 * the error can suggest what the user meant.
 */
export function matchTasks(
  tasks: MesosTaskInfo[],
  filter: string,
): { matches: MesosTaskInfo[]; closest: string[] } {
  const exact = tasks.filter((task) => task.id === filter);
  if (exact.length > 0) return { matches: exact, closest: [] };
  const matches = tasks.filter((task) => task.id.includes(filter) || task.name.includes(filter));
  if (matches.length > 0) return { matches, closest: [] };
  return {
    matches,
    closest: closestNames(
      filter,
      tasks.flatMap((task) => [task.name, task.id]),
    ),
  };
}

/** Up to MAX_CLOSEST candidates nearest to `query` (case-insensitive edit distance, then alphabetical). */
export function closestNames(query: string, candidates: readonly string[], limit = MAX_CLOSEST): string[] {
  const needle = query.toLowerCase();
  return [...new Set(candidates.filter((candidate) => candidate !== ''))]
    .map((candidate) => ({ candidate, distance: editDistance(needle, candidate.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance || compare(a.candidate, b.candidate))
    .slice(0, limit)
    .map((entry) => entry.candidate);
}

/** The leading master's `/master/state` (`mesosUrl` is `serviceUrl(settings, 'mesos')`). */
export async function fetchMasterState(
  http: HttpClient,
  mesosUrl: string,
  signal?: AbortSignal,
): Promise<unknown> {
  return fetchLiveState(http, mesosUrl, signal);
}

/**
 * Where an agent's own HTTP API (files, logs) is reached. DC/OS Admin Router and `dcos local` both proxy
 * agents at `<dcos_url>/agent/<id>`; a plain Mesos cluster (`mesos.master_url` set) has no proxy, so the
 * agent is called directly at the address of its `pid` in the state (`slave(1)@10.0.0.2:5051`).
 * Throws `agent '<id>' not found` when the plain-Mesos agent is not in the state.
 */
export function agentBaseUrl(settings: Settings, agentId: string, state?: unknown): string {
  if (!settingString(settings, 'mesos.master_url')) {
    return `${clusterUrl(settings).replace(/\/+$/, '')}/agent/${encodeURIComponent(agentId)}`;
  }
  const agent = isRecord(state) ? records(state.slaves).find((entry) => entry.id === agentId) : undefined;
  if (!agent) throw new DcosError(`agent '${agentId}' not found`, { code: 'agent_not_found' });
  const address = pidAddress(text(agent.pid));
  if (!address) {
    throw new DcosError(`agent '${agentId}' has no usable pid in the Mesos state`, { code: 'agent_no_pid' });
  }
  return `http://${address}`;
}

/** `slave(1)@10.0.0.2:5051` -> `10.0.0.2:5051` (IPv6 hosts bracketed for a URL). */
export function pidAddress(pid: string | undefined): string | undefined {
  const match = pid ? /^[^@]*@(.+):(\d{1,5})$/.exec(pid) : null;
  if (!match) return undefined;
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  return `${host.includes(':') ? `[${host}]` : host}:${match[2]}`;
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
