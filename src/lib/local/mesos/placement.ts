/**
 * Task placement for `dcos local`: the part of Marathon's offer matching that decides whether an agent can take
 * one more task of an app, and which host ports the task gets. Pure: no clock, no I/O, no randomness.
 *
 * Rules followed (Marathon 1.10 `ResourceMatcher` / `Constraints`, adapted where noted):
 * - scalar resources: the agent's total minus what the tasks placed on it hold must cover the request;
 * - ports: every agent is this one machine, so a port held by any placed task (on any agent) or listed in
 *   `options.portsInUse` is never handed out again. Dynamic ports are the lowest free ones of the agent's ranges
 *   (Marathon picks random ones; we stay deterministic). With `requirePorts`, the `requestedPorts` themselves must
 *   lie in the agent's ranges and be free (an entry of 0 still means "any port"); without it they are ignored;
 * - roles: agent resources are all unreserved (`*`), so `acceptedResourceRoles` that leave out `*` reject every
 *   agent with UnfulfilledRole (and then nothing is left for the scalars either, as in Marathon);
 * - constraints are evaluated against the app's other placed tasks, see {@link constraintHolds}.
 */

import type { AgentSpec } from '../types.js';

export interface PlacementRequest {
  appId: string;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  /** Host ports the task needs. */
  portCount: number;
  requirePorts: boolean;
  /** The app's declared ports; used only with `requirePorts` (0 = any). */
  requestedPorts: number[];
  constraints: string[][];
  acceptedResourceRoles?: string[];
}

/** A task that currently holds resources on an agent. */
export interface PlacedTask {
  appId: string;
  agentId: string;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  ports: number[];
}

/** Marathon's `NoOfferMatchReason` names, in the order of its `reasonFunnel`. */
export const REASON_FUNNEL = [
  'UnfulfilledRole',
  'UnfulfilledConstraint',
  'NoCorrespondingReservationFound',
  'InsufficientCpus',
  'InsufficientMemory',
  'InsufficientDisk',
  'InsufficientGpus',
  'InsufficientPorts',
] as const;

export type NoOfferMatchReason = (typeof REASON_FUNNEL)[number];

export interface PlacementSuccess {
  ok: true;
  agentId: string;
  /** Host ports, in the order of the request's ports (requested ones where fixed, dynamic ones after). */
  ports: number[];
}

export interface PlacementFailure {
  ok: false;
  /** One line, e.g. `insufficient cpus on 3 of 3 agents` or `constraint hostname UNIQUE not satisfied on 3 of 3 agents`. */
  reason: string;
  /** Per agent id: why that agent was not chosen, in words. */
  reasons: Record<string, string>;
  /** Per agent id: Marathon's reject reasons for that agent (feed to {@link rejectSummary}). */
  rejections: Record<string, NoOfferMatchReason[]>;
}

export type PlacementResult = PlacementSuccess | PlacementFailure;

/** Rounding slack for sums of fractional cpus (Mesos keeps scalars to 3 decimals). */
const EPSILON = 1e-6;

interface Verdict {
  agent: AgentSpec;
  index: number;
  reasons: NoOfferMatchReason[];
  /** One key per failure kind, used to build the one-line summary (kind → text). */
  kinds: Array<{ reason: NoOfferMatchReason; text: string }>;
  details: string[];
  ports: number[];
  freeCpus: number;
  appTasks: number;
}

/**
 * Choose an agent for one more task of `request.appId`. Among the agents that fit, the one with the fewest tasks
 * of this app wins, then the one with the most free cpus, then the first in `agents` order.
 */
export function placeTask(
  request: PlacementRequest,
  agents: readonly AgentSpec[],
  placed: readonly PlacedTask[],
  options: { portsInUse?: ReadonlySet<number> } = {},
): PlacementResult {
  const agentById = new Map(agents.map((agent) => [agent.id, agent]));
  const portsTaken = new Set<number>(options.portsInUse ?? []);
  for (const task of placed) for (const port of task.ports) portsTaken.add(port);
  // The agents the app's other tasks run on (tasks on unknown agents cannot be judged and are left out).
  const appAgents = placed
    .filter((task) => task.appId === request.appId)
    .map((task) => agentById.get(task.agentId))
    .filter((agent): agent is AgentSpec => agent !== undefined);

  const verdicts = agents.map((agent, index) => judge(request, agent, index, placed, appAgents, portsTaken));
  const fitting = verdicts.filter((verdict) => verdict.reasons.length === 0);
  if (fitting.length > 0) {
    fitting.sort(
      (a, b) => a.appTasks - b.appTasks || round3(b.freeCpus) - round3(a.freeCpus) || a.index - b.index,
    );
    const best = fitting[0]!;
    return { ok: true, agentId: best.agent.id, ports: best.ports };
  }

  const reasons: Record<string, string> = {};
  const rejections: Record<string, NoOfferMatchReason[]> = {};
  for (const verdict of verdicts) {
    reasons[verdict.agent.id] = verdict.details.join('; ');
    rejections[verdict.agent.id] = verdict.reasons;
  }
  return { ok: false, reason: summarize(verdicts), reasons, rejections };
}

function judge(
  request: PlacementRequest,
  agent: AgentSpec,
  index: number,
  placed: readonly PlacedTask[],
  appAgents: readonly AgentSpec[],
  portsTaken: ReadonlySet<number>,
): Verdict {
  const verdict: Verdict = {
    agent,
    index,
    reasons: [],
    kinds: [],
    details: [],
    ports: [],
    freeCpus: 0,
    appTasks: appAgents.filter((other) => other.id === agent.id).length,
  };
  const fail = (reason: NoOfferMatchReason, kind: string, detail: string) => {
    if (!verdict.reasons.includes(reason)) verdict.reasons.push(reason);
    if (!verdict.kinds.some((known) => known.text === kind)) verdict.kinds.push({ reason, text: kind });
    verdict.details.push(detail);
  };

  const roles = request.acceptedResourceRoles ?? [];
  const roleOk = roles.length === 0 || roles.includes('*');
  if (!roleOk) {
    fail(
      'UnfulfilledRole',
      `no resources for role(s) ${roles.join(', ')}`,
      `no resources for role(s) ${roles.join(', ')} (agent resources are all unreserved '*')`,
    );
  }

  const onAgent = placed.filter((task) => task.agentId === agent.id);
  const used = (field: 'cpus' | 'mem' | 'disk' | 'gpus') =>
    onAgent.reduce((sum, task) => sum + task[field], 0);
  const free = (field: 'cpus' | 'mem' | 'disk' | 'gpus') =>
    roleOk ? round3(agent.resources[field] - used(field)) : 0;
  verdict.freeCpus = free('cpus');
  const scalars: Array<['cpus' | 'mem' | 'disk' | 'gpus', NoOfferMatchReason]> = [
    ['cpus', 'InsufficientCpus'],
    ['mem', 'InsufficientMemory'],
    ['disk', 'InsufficientDisk'],
    ['gpus', 'InsufficientGpus'],
  ];
  for (const [field, reason] of scalars) {
    const wanted = request[field];
    const available = free(field);
    if (wanted > EPSILON && wanted > available + EPSILON) {
      fail(
        reason,
        `insufficient ${field}`,
        `insufficient ${field}: ${wanted} requested, ${Math.max(0, available)} free`,
      );
    }
  }

  const ports = choosePorts(request, roleOk ? agent.resources.ports : [], portsTaken);
  if (typeof ports === 'string') fail('InsufficientPorts', 'insufficient ports', ports);
  else verdict.ports = ports;

  for (const constraint of request.constraints) {
    if (!constraintHolds(constraint, agent, appAgents)) {
      const text = `constraint ${constraint.join(' ')} not satisfied`;
      fail('UnfulfilledConstraint', text, text);
    }
  }
  return verdict;
}

/** The ports for the task, or a sentence saying why there are none. */
function choosePorts(
  request: PlacementRequest,
  ranges: ReadonlyArray<readonly [number, number]>,
  portsTaken: ReadonlySet<number>,
): number[] | string {
  const inRanges = (port: number) => ranges.some(([begin, end]) => port >= begin && port <= end);
  const slots: Array<number | 0> = request.requirePorts ? [...request.requestedPorts] : [];
  while (slots.length < request.portCount) slots.push(0);
  const fixed = slots.filter((port) => port !== 0);
  const seen = new Set<number>();
  for (const port of fixed) {
    if (seen.has(port)) return `insufficient ports: port ${port} is requested twice`;
    seen.add(port);
    if (!inRanges(port))
      return `insufficient ports: port ${port} is not in the agent's ranges ${rangesText(ranges)}`;
    if (portsTaken.has(port)) return `insufficient ports: port ${port} is already in use`;
  }
  const dynamicCount = slots.length - fixed.length;
  const dynamic: number[] = [];
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  for (const [begin, end] of sorted) {
    for (let port = begin; port <= end && dynamic.length < dynamicCount; port++) {
      if (!portsTaken.has(port) && !seen.has(port)) dynamic.push(port);
    }
  }
  if (dynamic.length < dynamicCount) {
    return `insufficient ports: ${dynamicCount} requested, ${dynamic.length} free in ${rangesText(ranges)}`;
  }
  let next = 0;
  return slots.map((port) => (port !== 0 ? port : dynamic[next++]!));
}

function rangesText(ranges: ReadonlyArray<readonly [number, number]>): string {
  return `[${ranges.map(([begin, end]) => `${begin}-${end}`).join(', ')}]`;
}

/** The value a constraint field has on an agent: `hostname`/`@hostname`, else the attribute (absent = undefined). */
function fieldValue(agent: AgentSpec, field: string): string | undefined {
  if (field === 'hostname' || field === '@hostname') return agent.hostname;
  const value = agent.attributes[field];
  return value === undefined ? undefined : String(value);
}

function fullMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(text);
  } catch {
    return false;
  }
}

/**
 * Whether a Marathon constraint `[field, operator, value?]` lets one more task of the app onto `agent`, given the
 * agents the app's other tasks run on (one entry per task). As Marathon's `Constraints.meetsConstraint`:
 * - field `hostname` (or `@hostname`) is the agent hostname, anything else an agent attribute; an agent without the
 *   attribute satisfies only UNLIKE;
 * - UNIQUE: no other task has the agent's value;
 * - CLUSTER: the agent's value equals `value` (if given) and every other task has that same value;
 * - GROUP_BY: tasks grouped by value; the agent is fine if its value has no task yet, or if there are at least
 *   `value` (default 0) groups and its group is (one of) the smallest;
 * - MAX_PER: fewer than `value` tasks share the agent's value (a non-integer `value` is never satisfied);
 * - LIKE / UNLIKE: `value` is a regular expression that must (not) match the whole value;
 * - IS: the value equals `value`.
 * Operators are matched case-insensitively; unknown operators are never satisfied.
 */
export function constraintHolds(
  constraint: readonly string[],
  agent: AgentSpec,
  others: readonly AgentSpec[],
): boolean {
  const [field = '', rawOperator = '', value = ''] = constraint;
  const operator = rawOperator.toUpperCase();
  const offered = fieldValue(agent, field);
  if (offered === undefined) return operator === 'UNLIKE';
  const values = others.map((other) => fieldValue(other, field));
  const groups = () => {
    const counts = new Map<string | undefined, number>();
    for (const key of values) counts.set(key, (counts.get(key) ?? 0) + 1);
    return counts;
  };
  switch (operator) {
    case 'UNIQUE':
      return values.every((other) => other !== offered);
    case 'CLUSTER':
      return (value === '' || offered === value) && values.every((other) => other === offered);
    case 'GROUP_BY': {
      const minimum = Math.max(0, /^\d+$/.test(value) ? Number(value) : 0);
      const counts = groups();
      const mine = counts.get(offered);
      if (mine === undefined) return true;
      const smallest = Math.min(...counts.values());
      return counts.size >= minimum && mine === smallest;
    }
    case 'MAX_PER': {
      if (!/^\d+$/.test(value)) return false;
      return (groups().get(offered) ?? 0) < Number(value);
    }
    case 'LIKE':
      return fullMatch(value, offered);
    case 'UNLIKE':
      return !fullMatch(value, offered);
    case 'IS':
      return offered === value;
    default:
      return false;
  }
}

function summarize(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0) return 'no agents';
  const total = verdicts.length;
  const counts = new Map<string, { reason: NoOfferMatchReason; count: number }>();
  for (const verdict of verdicts) {
    for (const kind of verdict.kinds) {
      const entry = counts.get(kind.text) ?? { reason: kind.reason, count: 0 };
      entry.count++;
      counts.set(kind.text, entry);
    }
  }
  const rank = (reason: NoOfferMatchReason) => REASON_FUNNEL.indexOf(reason);
  return [...counts.entries()]
    .map(([text, entry], order) => ({ text, ...entry, order }))
    .sort((a, b) => rank(a.reason) - rank(b.reason) || a.order - b.order)
    .map((entry) => `${entry.text} on ${entry.count} of ${total} agent${total === 1 ? '' : 's'}`)
    .join('; ');
}

export interface DeclinedOfferStep {
  reason: NoOfferMatchReason;
  declined: number;
  processed: number;
}

/**
 * Marathon's `processedOffersSummary.rejectSummaryLastOffers` for `GET /v2/queue`: one step per reason of the
 * funnel, in funnel order (all eight, zeros included). Each unmatched offer (here: each agent with reasons) counts
 * once, under its first reason in funnel order; `processed` is how many offers reached the step (the unmatched
 * offers minus those declined at earlier steps). Agents with no reasons (they fit) are not counted.
 */
export function rejectSummary(
  rejections:
    Readonly<Record<string, readonly NoOfferMatchReason[]>> | ReadonlyArray<readonly NoOfferMatchReason[]>,
): DeclinedOfferStep[] {
  const lists: ReadonlyArray<readonly NoOfferMatchReason[]> = Array.isArray(rejections)
    ? rejections
    : Object.values(rejections as Readonly<Record<string, readonly NoOfferMatchReason[]>>);
  const unmatched = lists.filter((reasons) => reasons.length > 0);
  const summary = new Map<NoOfferMatchReason, number>();
  for (const reasons of unmatched) {
    const first = [...reasons].sort((a, b) => REASON_FUNNEL.indexOf(a) - REASON_FUNNEL.indexOf(b))[0]!;
    summary.set(first, (summary.get(first) ?? 0) + 1);
  }
  let processed = unmatched.length;
  return REASON_FUNNEL.map((reason) => {
    const declined = summary.get(reason) ?? 0;
    const step = { reason, declined, processed };
    processed -= declined;
    return step;
  });
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
