/**
 * `dcos dns explain`: why a name has the records it has, or why it has none. Pure: the same generator as
 * `dns records` runs with `onRecord`, and the Mesos state (non-running tasks included) is read for the
 * near misses. Reasons follow the naming rules of Mesos-DNS 0.7 (shared/reference/mesos-dns.md §2).
 */
import { UsageError } from '../errors.js';
import { IP_SOURCES } from './config.js';
import { taskHash } from './hash.js';
import { domainFrag, labelFunction, rfc1123, type LabelFunction } from './labels.js';
import { agentTail, generateRecords, hostIps, ipsFromSource, taskIps } from './records.js';
import { normaliseName, route } from './resolver.js';
import { mesosState, type MesosState, type MesosTask } from './state.js';
import type { DnsConfig, IpSource, RecordEvent, RecordRule, RecordType } from './types.js';
import { editDistance } from '../text.js';

export interface ExplainOptions {
  /** Addresses of host names in the state, as for `generateRecords`. */
  hosts?: ReadonlyMap<string, string[]>;
  /** What `Listener: 0.0.0.0` stands for. */
  interfaceAddresses?: string[];
}

export interface TaskRef {
  id: string;
  name: string;
  state: string;
  agentId: string;
  /** The raw framework name. */
  framework: string;
}

export interface ExplainedRecord {
  type: RecordType;
  value: string;
  rule: RecordRule;
  /** An identical record already existed: Mesos-DNS keeps one, listed under whoever added it first. */
  duplicate: boolean;
  duplicateOf?: { rule: RecordRule; taskId?: string; framework?: string };
  framework?: string;
  task?: { id: string; name: string; agentId: string };
  agent?: { id: string; hostname: string; ips: string[] };
  ipSource?: IpSource;
  /** Configured sources tried before `ipSource` that had no address for the task. */
  skippedSources?: IpSource[];
  /** Made from the raw (unsanitised) DiscoveryInfo name, as Mesos-DNS still does. */
  legacy?: boolean;
}

export type SourceIps = Record<IpSource, string[]>;

/** Why a name has no record; several can apply at once, reported in this order. */
export type Reason =
  | { code: 'zone-apex' }
  | { code: 'not-running'; task: TaskRef }
  | {
      code: 'label-differs';
      task: TaskRef;
      queried: string;
      /** The name the label is made from: the DiscoveryInfo name when the task has one, else the task name. */
      raw: string;
      label: string;
      /** The task name matched the query but records use the DiscoveryInfo name. */
      discoveryName: boolean;
      use: string;
    }
  | { code: 'rfc952-truncated'; task: TaskRef; raw: string; full: string; label: string; use: string }
  | { code: 'unknown-agent'; task: TaskRef; listed: boolean; warnings: string[] }
  | {
      code: 'no-task-ip';
      task: TaskRef;
      configured: IpSource[];
      sources: SourceIps;
      /** Sources not configured that do have addresses: adding one would give this name records. */
      alternatives: { source: IpSource; ips: string[] }[];
    }
  | {
      code: 'framework-differs';
      framework: string;
      label: string;
      queried: string;
      tasks: TaskRef[];
      use: string;
    }
  | { code: 'other-names'; task: TaskRef; names: string[] }
  | { code: 'no-match' };

export interface Explanation {
  /** As given. */
  query: string;
  /** Lowercased, `.*` removed, absolute: the resolver's lookup key. */
  name: string;
  domain: string;
  inDomain: boolean;
  /** Where the resolver sends a name outside the domain. */
  outside?: { action: 'forward'; resolvers: string[] } | { action: 'refuse' };
  records: ExplainedRecord[];
  reasons: Reason[];
  /** Existing names closest to the query (only when it has no record). */
  candidates: string[];
  ipSources: IpSource[];
  rfc952: boolean;
  /** Entities the generator skipped (as `dns records` reports them). */
  warnings: string[];
}

const MAX_CANDIDATES = 5;
const MAX_OTHER_NAMES = 10;

/** The query split the way task names are built: `[_port.]_task._proto.fw[.slave]` or `task.fw[.slave]`. */
interface QueryParts {
  task: string;
  fw: string;
  slave: boolean;
  srv?: { proto: string; port?: string };
}

type MatchKind = 'exact' | 'canonical' | 'sanitised' | 'discovery' | 'loose' | 'truncated';

interface TaskMatch {
  task: MesosTask;
  ref: TaskRef;
  kind: MatchKind;
  fwMatch: boolean;
  fwName: string;
  raw: string;
  label: string;
}

export function explainName(
  state: unknown,
  config: DnsConfig,
  query: string,
  options: ExplainOptions = {},
): Explanation {
  checkQuery(query);
  const name = normaliseName(query);
  const explanation: Explanation = {
    query,
    name,
    domain: config.Domain,
    inDomain: true,
    records: [],
    reasons: [],
    candidates: [],
    ipSources: [...config.IPSources],
    rfc952: config.EnforceRFC952,
    warnings: [],
  };
  const routed = route(query, config);
  if (routed.kind !== 'local') {
    explanation.inDomain = false;
    explanation.outside =
      routed.kind === 'forward'
        ? { action: 'forward', resolvers: [...routed.resolvers] }
        : { action: 'refuse' };
    return explanation;
  }

  const parsed = mesosState(state);
  const spec = labelFunction(config.EnforceRFC952);
  const tail = `.${config.Domain}.`;
  const fwNames = parsed.frameworks.map((framework) => domainFrag(framework.name, spec));
  const relative = name === tail.slice(1) ? '' : name.slice(0, -tail.length);
  const parts = relative === '' ? undefined : splitQuery(relative, fwNames);
  const matches = parts ? matchTasks(parsed, fwNames, parts, spec, config.EnforceRFC952) : [];
  const watched = new Set(matches.map((match) => match.task.id));

  const atName: RecordEvent[] = [];
  const namesByTask = new Map<string, Set<string>>();
  const records = generateRecords(parsed, config, {
    ...options,
    onRecord: (event) => {
      if (event.name === name) atName.push(event);
      if (event.task && watched.has(event.task.id)) {
        let names = namesByTask.get(event.task.id);
        if (!names) namesByTask.set(event.task.id, (names = new Set()));
        names.add(event.name);
      }
    },
  });
  explanation.warnings = records.warnings;

  if (atName.length > 0) {
    const agents = agentIndex(parsed, options.hosts);
    const firsts = new Map<string, RecordEvent>();
    explanation.records = atName.map((event) => {
      const key = `${event.type} ${event.value}`;
      if (event.inserted && !firsts.has(key)) firsts.set(key, event);
      return explainRecord(event, event.inserted ? undefined : firsts.get(key), agents, config);
    });
    return explanation;
  }

  if (!parts) {
    explanation.reasons.push({ code: 'zone-apex' });
    return explanation;
  }
  explanation.reasons = reasonsFor(parts, matches, parsed, fwNames, config, options, namesByTask, tail);
  const names = new Set([...records.a.keys(), ...records.aaaa.keys(), ...records.srv.keys()]);
  const labels = new Set([parts.task, spec(parts.task), ...matches.map((match) => match.label)]);
  explanation.candidates = nearestNames(name, names, labels);
  return explanation;
}

/** A name the resolver could be asked: labels of 1-63 characters, 253 in all, no spaces. */
function checkQuery(query: string): void {
  const bare = query.replace(/\.$/, '');
  const fail = (why: string) =>
    new UsageError(`"${query}" is not a DNS name: ${why}`, { code: 'invalid_name' });
  if (bare === '') throw fail('it is empty');
  if (/\s/.test(query)) throw fail('it contains white space');
  if (bare.length > 253) throw fail('it is longer than 253 characters');
  for (const label of bare.split('.')) {
    if (label === '') throw fail('it has an empty label');
    if (label.length > 63) throw fail(`the label "${label.slice(0, 20)}..." is longer than 63 characters`);
  }
}

function splitQuery(relative: string, fwNames: string[]): QueryParts {
  let labels = relative.split('.');
  let slave = false;
  if (labels.length > 1 && labels.at(-1) === 'slave') {
    slave = true;
    labels = labels.slice(0, -1);
  }
  let prefix = 0;
  while (prefix < Math.min(labels.length, 3) && labels[prefix]!.startsWith('_')) prefix++;
  const bare = (label: string) => label.slice(1);
  if (prefix >= 2) {
    const srvLabels = labels.slice(0, prefix).map(bare);
    const fw = labels.slice(prefix).join('.');
    return prefix === 3
      ? { task: srvLabels[1]!, fw, slave, srv: { proto: srvLabels[2]!, port: srvLabels[0]! } }
      : { task: srvLabels[0]!, fw, slave, srv: { proto: srvLabels[1]! } };
  }
  // Framework names keep their dots, so the known ones decide where the task part ends; the task part
  // may then hold dots too (a raw name such as `web.grp` queried as is).
  const joined = labels.join('.');
  let best: string | undefined;
  for (const fw of fwNames) {
    if (fw !== '' && joined.endsWith(`.${fw}`) && fw.length > (best?.length ?? -1)) best = fw;
  }
  if (best !== undefined) return { task: joined.slice(0, -best.length - 1), fw: best, slave };
  return { task: labels[0]!, fw: labels.slice(1).join('.'), slave };
}

function joinQuery(parts: QueryParts, task: string, fw: string, tail: string): string {
  const base = fw === '' ? '' : `.${fw}`;
  const slave = parts.slave ? '.slave' : '';
  const head = parts.srv
    ? `${parts.srv.port !== undefined ? `_${parts.srv.port}.` : ''}_${task}._${parts.srv.proto}`
    : task;
  return `${head}${base}${slave}${tail}`;
}

/** Letters and digits only: how far apart two spellings of one name are is mostly punctuation and case. */
function compact(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function matchKind(
  queried: string,
  task: MesosTask,
  spec: LabelFunction,
  rfc952: boolean,
): MatchKind | undefined {
  if (queried === '') return undefined;
  const raw = task.discovery?.name ?? task.name;
  const label = spec(raw);
  if (queried === label) return 'exact';
  if (queried === `${label}-${taskHash(task.id)}-${agentTail(task.slaveId)}`) return 'canonical';
  // Legacy records carry the raw DiscoveryInfo name; lowercase ones can be queried.
  if (task.discovery && queried === task.discovery.name) return 'exact';
  if (rfc952) {
    const full = rfc1123(raw);
    if (full !== label && (queried === full || (full.startsWith(queried) && queried.length > label.length))) {
      return 'truncated';
    }
  }
  if (spec(queried) === label) return 'sanitised';
  if (task.discovery && (spec(task.name) === queried || spec(task.name) === spec(queried)))
    return 'discovery';
  // A Marathon group app `/grp/web` runs as the task `web.grp`: people query the app's own name.
  const first = spec(raw.split('.')[0] ?? '');
  if (compact(queried) !== '' && (compact(queried) === compact(raw) || first === queried)) return 'loose';
  return undefined;
}

function matchTasks(
  state: MesosState,
  fwNames: string[],
  parts: QueryParts,
  spec: LabelFunction,
  rfc952: boolean,
): TaskMatch[] {
  const matches: TaskMatch[] = [];
  state.frameworks.forEach((framework, i) => {
    const fwName = fwNames[i]!;
    for (const task of framework.tasks) {
      const kind = matchKind(parts.task, task, spec, rfc952);
      if (!kind) continue;
      const raw = task.discovery?.name ?? task.name;
      matches.push({
        task,
        kind,
        fwMatch: fwName === parts.fw,
        fwName,
        raw,
        label: spec(raw),
        ref: {
          id: task.id,
          name: task.name,
          state: task.state,
          agentId: task.slaveId,
          framework: framework.name,
        },
      });
    }
  });
  return matches;
}

interface AgentInfo {
  hostname: string;
  ips: string[];
}

function agentIndex(state: MesosState, hosts: ExplainOptions['hosts']): Map<string, AgentInfo> {
  const agents = new Map<string, AgentInfo>();
  for (const agent of state.agents) {
    if (!agents.has(agent.id))
      agents.set(agent.id, { hostname: agent.hostname, ips: hostIps(agent.pid.host, hosts) ?? [] });
  }
  return agents;
}

function explainRecord(
  event: RecordEvent,
  first: RecordEvent | undefined,
  agents: Map<string, AgentInfo>,
  config: DnsConfig,
): ExplainedRecord {
  const record: ExplainedRecord = {
    type: event.type,
    value: event.value,
    rule: event.rule,
    duplicate: !event.inserted,
  };
  if (!event.inserted) {
    if (first) {
      record.duplicateOf = { rule: first.rule };
      if (first.task) record.duplicateOf.taskId = first.task.id;
      if (first.framework !== undefined) record.duplicateOf.framework = first.framework;
    }
  }
  if (event.framework !== undefined) record.framework = event.framework;
  if (event.task) {
    record.task = { ...event.task };
    const agent = agents.get(event.task.agentId);
    if (agent) record.agent = { id: event.task.agentId, hostname: agent.hostname, ips: [...agent.ips] };
  }
  if (event.ipSource) {
    record.ipSource = event.ipSource;
    // The generator takes the first source with any address, so every source before it had none.
    const skipped = config.IPSources.slice(0, config.IPSources.indexOf(event.ipSource));
    if (skipped.length > 0) record.skippedSources = skipped;
  }
  if (event.legacy) record.legacy = true;
  return record;
}

function reasonsFor(
  parts: QueryParts,
  matches: TaskMatch[],
  state: MesosState,
  fwNames: string[],
  config: DnsConfig,
  options: ExplainOptions,
  namesByTask: Map<string, Set<string>>,
  tail: string,
): Reason[] {
  const reasons: Reason[] = [];
  const agents = agentIndex(state, options.hosts);
  const ownFramework = matches.filter((match) => match.fwMatch);
  const running = ownFramework.filter((match) => match.task.state === 'TASK_RUNNING');
  const direct = (match: TaskMatch) => match.kind === 'exact' || match.kind === 'canonical';

  for (const match of ownFramework) {
    if (match.task.state !== 'TASK_RUNNING') reasons.push({ code: 'not-running', task: match.ref });
  }
  for (const match of ownFramework) {
    if (match.kind !== 'sanitised' && match.kind !== 'discovery' && match.kind !== 'loose') continue;
    const discoveryName = match.kind === 'discovery';
    reasons.push({
      code: 'label-differs',
      task: match.ref,
      queried: parts.task,
      raw: match.raw,
      label: match.label,
      discoveryName,
      use: joinQuery(parts, match.label, parts.fw, tail),
    });
  }
  for (const match of ownFramework) {
    if (match.kind !== 'truncated') continue;
    reasons.push({
      code: 'rfc952-truncated',
      task: match.ref,
      raw: match.raw,
      full: rfc1123(match.raw),
      label: match.label,
      use: joinQuery(parts, match.label, parts.fw, tail),
    });
  }
  const knownAgent = (match: TaskMatch) => (agents.get(match.task.slaveId)?.ips.length ?? 0) > 0;
  for (const match of running) {
    if (knownAgent(match)) continue;
    const id = match.task.slaveId;
    reasons.push({
      code: 'unknown-agent',
      task: match.ref,
      listed: agents.has(id),
      warnings: state.warnings.filter((warning) => warning.includes(id)),
    });
  }
  if (!parts.srv && !parts.slave) {
    for (const match of running) {
      if (!direct(match) || !knownAgent(match)) continue;
      const agentIps = agents.get(match.task.slaveId)!.ips;
      if (taskIps(match.task, agentIps, config.IPSources).ips.length > 0) continue;
      const sources = Object.fromEntries(
        IP_SOURCES.map((source) => [source, ipsFromSource(match.task, agentIps, source)]),
      ) as SourceIps;
      reasons.push({
        code: 'no-task-ip',
        task: match.ref,
        configured: [...config.IPSources],
        sources,
        alternatives: IP_SOURCES.filter(
          (source) => !config.IPSources.includes(source) && sources[source].length > 0,
        ).map((source) => ({ source, ips: sources[source] })),
      });
    }
  }
  reasons.push(...frameworkReasons(parts, matches, state, fwNames, tail));
  if (reasons.length === 0) {
    // The task is there and named as queried, but this particular name is not one of its records.
    for (const match of running) {
      if (!direct(match)) continue;
      const names = [...(namesByTask.get(match.task.id) ?? [])].filter((name) => !/[A-Z\s]/.test(name));
      reasons.push({ code: 'other-names', task: match.ref, names: names.slice(0, MAX_OTHER_NAMES) });
    }
  }
  if (reasons.length === 0) reasons.push({ code: 'no-match' });
  return reasons;
}

/** Tasks named as queried under another framework, and frameworks whose raw name is spelt as queried. */
function frameworkReasons(
  parts: QueryParts,
  matches: TaskMatch[],
  state: MesosState,
  fwNames: string[],
  tail: string,
): Reason[] {
  const reasons: Reason[] = [];
  const fwKnown = fwNames.includes(parts.fw);
  const queriedFw = compact(parts.fw);
  state.frameworks.forEach((framework, i) => {
    const label = fwNames[i]!;
    if (label === parts.fw) return;
    const tasks = matches.filter(
      (match) =>
        match.ref.framework === framework.name &&
        match.fwName === label &&
        (match.kind === 'exact' || match.kind === 'canonical' || match.kind === 'sanitised'),
    );
    const spelt =
      !fwKnown && queriedFw !== '' && queriedFw.length >= 3 && compact(framework.name).startsWith(queriedFw);
    if (tasks.length === 0 && !spelt) return;
    const taskLabel = tasks[0]?.label ?? parts.task;
    reasons.push({
      code: 'framework-differs',
      framework: framework.name,
      label,
      queried: parts.fw,
      tasks: tasks.map((match) => match.ref),
      use: joinQuery(parts, taskLabel, label, tail),
    });
  });
  return reasons;
}

/** Names sharing a task label with the query first, then by edit distance; names no query can reach are left out. */
function nearestNames(name: string, names: Iterable<string>, labels: Set<string>): string[] {
  type Scored = { name: string; shared: boolean; distance: number };
  const order = (x: Scored, y: Scored) =>
    Number(y.shared) - Number(x.shared) ||
    x.distance - y.distance ||
    (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  const best: Scored[] = [];
  for (const candidate of names) {
    if (/[A-Z\s]/.test(candidate)) continue;
    const shared = candidate.split('.').some((label) => label !== '' && labels.has(label.replace(/^_/, '')));
    // The length difference bounds the distance from below: a large state's names mostly never need the
    // full computation.
    const bound = { name: candidate, shared, distance: Math.abs(name.length - candidate.length) };
    if (best.length === MAX_CANDIDATES && order(bound, best.at(-1)!) > 0) continue;
    best.push({ ...bound, distance: editDistance(name, candidate) });
    best.sort(order);
    if (best.length > MAX_CANDIDATES) best.pop();
  }
  return best.map((entry) => entry.name);
}

const RULES: Record<RecordRule, string> = {
  framework: "the framework's scheduler address (from its pid, else its hostname)",
  'framework-srv': "the framework's scheduler port (from its pid)",
  agent: "an agent's address (from its pid)",
  'agent-srv': "an agent's port (from its pid)",
  nameserver: 'the DNS listener (SOAMname)',
  leader: 'the leading master (state "leader")',
  'leader-srv': "the leading master's port",
  master: 'the leader and every configured master',
  masterN: 'one master, in the order of the masters list',
  task: "a running task's address (task.framework)",
  'task-canonical': "one task instance's address (label-hash-agent.framework)",
  'task-agent': "a running task's agent address (task.framework.slave)",
  'task-agent-canonical': "one task instance's agent address",
  'task-port-srv': "a task's resource port (no DiscoveryInfo)",
  'task-port-srv-agent': "a task's resource port, on its agent",
  'task-discovery-srv': 'a DiscoveryInfo port',
  'task-discovery-named-srv': 'a named DiscoveryInfo port',
};

function taskText(task: TaskRef): string {
  const id = task.id === task.name ? '' : ` (${task.id})`;
  return `task "${task.name}"${id} of framework "${task.framework}"`;
}

function ipList(ips: string[]): string {
  return ips.length > 0 ? ips.join(', ') : 'none';
}

function reasonLines(reason: Reason, explanation: Explanation): string[] {
  switch (reason.code) {
    case 'zone-apex':
      return [`${explanation.name} is the domain itself: it answers SOA and NS queries only.`];
    case 'not-running':
      return [`${taskText(reason.task)} is ${reason.task.state}; only TASK_RUNNING tasks get records.`];
    case 'label-differs':
      return [
        reason.discoveryName
          ? `${taskText(reason.task)} is named by its DiscoveryInfo name "${reason.raw}" -> label "${reason.label}".`
          : `${taskText(reason.task)}: the name "${reason.raw}" becomes the label "${reason.label}" ` +
            `(dots and underscores become dashes, other characters are dropped), not "${reason.queried}".`,
        `Try ${reason.use}`,
      ];
    case 'rfc952-truncated':
      return [
        `${taskText(reason.task)}: with EnforceRFC952 the label "${reason.full}" becomes "${reason.label}" ` +
          '(24 characters at most, no leading digit).',
        `Try ${reason.use}`,
      ];
    case 'unknown-agent':
      return [
        reason.listed
          ? `${taskText(reason.task)} runs on agent ${reason.task.agentId}, whose address is unknown: no records.`
          : `${taskText(reason.task)} runs on agent ${reason.task.agentId}, which is not in the state's slaves[]: no records.`,
        ...reason.warnings.map((warning) => `(${warning})`),
      ];
    case 'no-task-ip': {
      const lines = [
        `${taskText(reason.task)} has no address from the IP sources ${reason.configured.join(', ')} ` +
          '(tried in that order), so it has no task A/AAAA records; the .slave names still have the agent address.',
        ...IP_SOURCES.map((source) => `${source}: ${ipList(reason.sources[source])}`),
      ];
      for (const { source, ips } of reason.alternatives) {
        lines.push(
          `--ip-sources ${[...reason.configured, source].join(',')} would give ${ips.join(', ')} (from ${source}).`,
        );
      }
      return lines;
    }
    case 'framework-differs': {
      const names = reason.tasks.map((task) => `"${task.name}"`).join(', ');
      const head =
        reason.tasks.length > 0
          ? `${names} runs under the framework "${reason.framework}"`
          : `The framework "${reason.framework}"`;
      return [`${head}, whose label is "${reason.label}", not "${reason.queried}".`, `Try ${reason.use}`];
    }
    case 'other-names':
      return [`${taskText(reason.task)} has records, but not this name. Its names:`, ...reason.names];
    case 'no-match':
      return ['No task, framework, agent or master in the state makes this name.'];
  }
}

function recordLines(record: ExplainedRecord): string[] {
  const lines = [`${record.type} ${record.value}${record.legacy ? ' (legacy: raw DiscoveryInfo name)' : ''}`];
  lines.push(`  rule: ${record.rule} - ${RULES[record.rule]}`);
  if (record.framework !== undefined) lines.push(`  framework: ${record.framework}`);
  if (record.task) {
    const agent = record.agent
      ? ` on agent ${record.agent.id} (${[...new Set([record.agent.hostname, ...record.agent.ips])].filter((x) => x !== '').join(', ')})`
      : ` on agent ${record.task.agentId}`;
    lines.push(`  task: ${record.task.name} (${record.task.id})${agent}`);
  }
  if (record.ipSource) {
    const skipped = record.skippedSources
      ? ` (${record.skippedSources.join(', ')} had no address for this task)`
      : '';
    lines.push(`  IP source: ${record.ipSource}${skipped}`);
  }
  if (record.duplicate) {
    const first = record.duplicateOf;
    const by = first?.taskId ? `task ${first.taskId}` : first ? `rule ${first.rule}` : 'an earlier record';
    lines.push(`  duplicate: already added by ${by}; served once`);
  }
  return lines;
}

/** The explanation for people: one block per record, or the reasons and the nearest names. */
export function explanationLines(explanation: Explanation): string[] {
  const { name } = explanation;
  if (!explanation.inDomain) {
    const outside = explanation.outside;
    return [
      `${name} is outside the domain ${explanation.domain}.`,
      outside?.action === 'forward'
        ? `It is forwarded to ${outside.resolvers.join(', ')}.`
        : 'It is refused (ExternalOn is false, or no resolver is configured for it).',
    ];
  }
  if (explanation.records.length > 0) {
    const served = explanation.records.filter((record) => !record.duplicate).length;
    return [
      `${name}: ${served} record${served === 1 ? '' : 's'}`,
      ...explanation.records.flatMap(recordLines),
    ];
  }
  const lines = [`${name}: no records`];
  for (const reason of explanation.reasons) {
    const [first, ...details] = reasonLines(reason, explanation);
    lines.push(`- ${first}`, ...details.map((line) => `    ${line}`));
  }
  if (explanation.candidates.length > 0) {
    lines.push('Nearest names:', ...explanation.candidates.map((candidate) => `  ${candidate}`));
  }
  return lines;
}
