import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { createAgents, parseRanges } from '../../../../src/lib/local/mesos/agents.js';
import {
  agentState,
  frameworks,
  masterState,
  mesosTaskName,
  slaves,
  stateSummary,
  tasks,
  type ClusterSnapshot,
} from '../../../../src/lib/local/mesos/state.js';
import type { MesosTaskState, TaskRecord, TaskStatus } from '../../../../src/lib/local/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
type Json = Record<string, unknown>;
/** The real Mesos `/master/state` fixture of Mesos-DNS (see test/fixtures/README.md). */
const FAKE = JSON.parse(readFileSync(join(HERE, '../../../fixtures/mesos/fake.json'), 'utf8')) as Json;

const CLUSTER = '3f1e7c2a-0b5d-4e59-9a51-1c4f5a7d2e10';
const FRAMEWORK = `${CLUSTER}-0000`;
const T0 = 1_700_000_000.125;

function task(
  id: string,
  appId: string,
  agent: number,
  state: MesosTaskState,
  extra: Partial<TaskRecord> = {},
): TaskRecord {
  const agentId = `${CLUSTER}-S${agent}`;
  const statuses: TaskStatus[] =
    state === 'TASK_STAGING'
      ? []
      : [
          { state: 'TASK_STARTING', timestamp: T0 + 1.5 },
          { state: 'TASK_RUNNING', timestamp: T0 + 2.25 },
          ...(state === 'TASK_RUNNING' || state === 'TASK_STARTING' ? [] : [{ state, timestamp: T0 + 9.75 }]),
        ];
  return {
    id,
    instanceId: id.replace('.', '.instance-'),
    appId,
    version: '2024-01-01T00:00:00.000Z',
    agentId,
    host: `127.0.0.${agent + 2}`,
    ports: [],
    servicePorts: [],
    state,
    stagedAt: '2024-01-01T00:00:00.000Z',
    startedAt: null,
    statuses,
    sandbox: `/tmp/local/work/slaves/${agentId}/frameworks/${FRAMEWORK}/executors/${id}/runs/c-${id.slice(-4)}`,
    cpus: 0.5,
    mem: 64,
    disk: 0,
    gpus: 0,
    healthCheckResults: [],
    goal: 'Running',
    ...extra,
  };
}

const WEB1 = task('group_web.1111', '/group/web', 0, 'TASK_RUNNING', { ports: [31000, 31001] });
const WEB2 = task('group_web.2222', '/group/web', 1, 'TASK_RUNNING', {
  ports: [31002, 31003],
  statuses: [
    { state: 'TASK_STARTING', timestamp: T0 + 3.5 },
    { state: 'TASK_RUNNING', timestamp: T0 + 4.5, healthy: true },
  ],
});
const WEB_KILLED = task('group_web.0000', '/group/web', 0, 'TASK_KILLED', { ports: [31004] });
const DB = task('db.3333', '/db', 0, 'TASK_STAGING', { cpus: 1, mem: 256 });
const BATCH = task('jobs_batch_nightly.4444', '/jobs/batch/nightly', 2, 'TASK_FINISHED', { cpus: 0.1 });

function snapshot(extra: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    clusterId: CLUSTER,
    clusterName: 'local',
    masterIp: '127.0.0.1',
    masterPort: 5050,
    startTime: T0,
    frameworkId: FRAMEWORK,
    frameworkName: 'marathon',
    agents: createAgents(3, { clusterId: CLUSTER }),
    tasks: [WEB1, WEB2, WEB_KILLED, DB, BATCH],
    labels: { [WEB1.id]: { tier: 'frontend' }, [WEB2.id]: { tier: 'frontend' } },
    discovery: {
      [WEB1.id]: {
        name: 'web.group',
        ports: [
          { number: 31000, name: 'http', protocol: 'tcp', labels: { VIP_0: '/web:80' } },
          { number: 31001, protocol: 'udp' },
        ],
      },
    },
    commands: { [WEB1.id]: 'python3 -m http.server $PORT0', [WEB2.id]: 'sleep 1000' },
    ...extra,
  };
}

/** `typeof`, with arrays and null told apart. */
function kind(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

function shape(object: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(object as Json).map(([key, value]) => [key, kind(value)]));
}

/**
 * Every key of the real object is in ours with the same JSON type, except the ones listed as absent (with the
 * reason in the caller); and ours adds only the listed keys.
 */
function expectSameShape(real: unknown, ours: unknown, absent: string[] = [], added: string[] = []): void {
  const want = shape(real);
  for (const key of absent) delete want[key];
  const got = shape(ours);
  for (const key of added) {
    expect(got, `expected the added key ${key}`).toHaveProperty(key);
    delete got[key];
  }
  expect(got).toEqual(want);
}

const fakeFrameworks = FAKE.frameworks as Json[];
const fakeMarathon = fakeFrameworks.find((framework) => framework.name === 'marathon')!;

describe('masterState against the real fixture', () => {
  const state = masterState(snapshot());
  const slave = (state.slaves as Json[])[0]!;
  const framework = (state.frameworks as Json[])[0]!;
  const running = (framework.tasks as Json[])[0]!;

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('has the top-level keys and types of a real master state', () => {
    expectSameShape(
      FAKE,
      state,
      // Gone since Mesos 1.0 (task counters moved to /metrics), or present only in builds from git.
      [
        'failed_tasks',
        'finished_tasks',
        'killed_tasks',
        'lost_tasks',
        'staged_tasks',
        'started_tasks',
        'git_sha',
        'git_tag',
        'log_dir',
      ],
      [
        'capabilities',
        'unreachable_slaves',
        'leader_info',
        'cluster',
        'recovered_slaves',
        'orphan_tasks',
        'unregistered_frameworks',
      ],
    );
  });

  it('renders agents like slaves[0] of the fixture', () => {
    expectSameShape(
      (FAKE.slaves as Json[])[0],
      slave,
      [],
      [
        'port',
        'used_resources',
        'offered_resources',
        'reserved_resources',
        'unreserved_resources',
        'active',
        'deactivated',
        'version',
        'capabilities',
      ],
    );
    expectSameShape(((FAKE.slaves as Json[])[0] as Json).resources, slave.resources, [], ['gpus']);
    expect(slave.pid).toBe('slave(1)@127.0.0.2:5051');
    expect(slave.hostname).toBe('127.0.0.2');
    expect(slave.resources).toEqual({ cpus: 4, gpus: 0, mem: 4096, disk: 10240, ports: '[31000-32000]' });
    // WEB1 and DB are active on S0; the killed task holds nothing.
    expect(slave.used_resources).toEqual({ cpus: 1.5, gpus: 0, mem: 320, disk: 0, ports: '[31000-31001]' });
    expect(slave.attributes).toEqual({ rack: 'rack-1', zone: 'zone-1' });
  });

  it('renders the framework like frameworks[0] of the fixture', () => {
    const added = [
      'used_resources',
      'offered_resources',
      'capabilities',
      'webui_url',
      'connected',
      'recovered',
    ];
    expectSameShape(fakeFrameworks[0], framework, [], [...added, 'unreachable_tasks', 'executors']);
    expectSameShape(fakeMarathon, framework, [], [...added, 'unreachable_tasks', 'executors']);
    expect(framework.id).toBe(FRAMEWORK);
    expect(framework.name).toBe('marathon');
    expect(framework.pid).toMatch(/^scheduler-[0-9a-f-]{36}@127\.0\.0\.1:8080$/);
    expect(framework.webui_url).toBe('http://127.0.0.1:8080');
  });

  it('renders tasks like frameworks[0].tasks[0] of the fixture', () => {
    const realTask = (fakeFrameworks[0]!.tasks as Json[])[0]!;
    expectSameShape(realTask, running, [], ['role', 'labels', 'discovery']);
    expectSameShape(realTask.resources, running.resources, [], ['gpus']);
    // The fixture's Marathon task with DiscoveryInfo (Marathon sets no version/location/environment/labels).
    const liquor = (fakeMarathon.tasks as Json[]).find((entry) => entry.name === 'liquor.store')!;
    expectSameShape(liquor.discovery, running.discovery, ['version', 'location', 'environment', 'labels']);
    const realPort = ((liquor.discovery as Json).ports as Json).ports as Json[];
    const ourPort = ((running.discovery as Json).ports as Json).ports as Json[];
    expectSameShape(realPort[0], ourPort[0], [], ['labels']);
  });

  it('renders statuses like statuses[0] of the fixture', () => {
    const realStatus = ((fakeFrameworks[0]!.tasks as Json[])[0]!.statuses as Json[])[0]!;
    const ourStatus = (running.statuses as Json[])[0]!;
    expectSameShape(realStatus, ourStatus);
    const realContainer = realStatus.container_status as Json;
    const ourContainer = ourStatus.container_status as Json;
    expectSameShape(realContainer, ourContainer);
    expectSameShape(realContainer.container_id, ourContainer.container_id);
    const realNet = (realContainer.network_infos as Json[])[0]!;
    const ourNet = (ourContainer.network_infos as Json[])[0]!;
    // `name` is the CNI network's; host-networked tasks have none.
    expectSameShape(realNet, ourNet, ['name']);
    expectSameShape((realNet.ip_addresses as Json[])[0], (ourNet.ip_addresses as Json[])[0]);
    // Marathon-era statuses in the fixture carry executor labels; ours have none, the rest matches.
    const marathonStatus = ((fakeMarathon.tasks as Json[])[0]!.statuses as Json[])[0]!;
    expectSameShape(marathonStatus, ourStatus, ['labels'], ['container_status']);
  });

  it('writes ranges as strings and times as float seconds', () => {
    expect(running.resources).toEqual({ cpus: 0.5, gpus: 0, mem: 64, disk: 0, ports: '[31000-31001]' });
    expect(parseRanges((running.resources as Json).ports as string)).toEqual([[31000, 31001]]);
    const statuses = running.statuses as Json[];
    expect(statuses.map((status) => status.timestamp)).toEqual([T0 + 1.5, T0 + 2.25]);
    expect(statuses.every((status) => !Number.isInteger(status.timestamp))).toBe(true);
    expect(state.start_time).toBe(T0);
    expect((state.slaves as Json[])[0]!.registered_time).toBe(T0);
    // Milliseconds are recognised.
    expect(masterState(snapshot({ startTime: T0 * 1000 })).start_time).toBeCloseTo(T0, 6);
  });
});

describe('masterState content', () => {
  const state = masterState(snapshot());
  const framework = (state.frameworks as Json[])[0]!;
  const active = framework.tasks as Json[];
  const completed = framework.completed_tasks as Json[];

  it('names the master and its leader', () => {
    expect(state).toMatchObject({
      version: '1.10.0',
      id: CLUSTER,
      pid: 'master@127.0.0.1:5050',
      leader: 'master@127.0.0.1:5050',
      hostname: '127.0.0.1',
      cluster: 'local',
      activated_slaves: 3,
      leader_info: {
        id: CLUSTER,
        pid: 'master@127.0.0.1:5050',
        port: 5050,
        hostname: '127.0.0.1',
        ip: 16777343,
      },
    });
  });

  it('splits active and terminal tasks', () => {
    expect(active.map((entry) => entry.id)).toEqual([WEB1.id, WEB2.id, DB.id]);
    expect(completed.map((entry) => [entry.id, entry.state])).toEqual([
      [WEB_KILLED.id, 'TASK_KILLED'],
      [BATCH.id, 'TASK_FINISHED'],
    ]);
    expect(framework.used_resources).toEqual({ cpus: 2, gpus: 0, mem: 384, disk: 0, ports: '[31000-31003]' });
  });

  it("names tasks Marathon's way: app path reversed, dot-joined", () => {
    expect(mesosTaskName('/group/web')).toBe('web.group');
    expect(mesosTaskName('/jobs/batch/nightly')).toBe('nightly.batch.jobs');
    expect(mesosTaskName('/db')).toBe('db');
    expect(active.map((entry) => entry.name)).toEqual(['web.group', 'web.group', 'db']);
    expect(completed[1]!.name).toBe('nightly.batch.jobs');
    const named = masterState(snapshot({ taskNames: { [DB.id]: 'custom' } }));
    expect(((named.frameworks as Json[])[0]!.tasks as Json[])[2]!.name).toBe('custom');
  });

  it('fills in the task fields Mesos and Marathon set', () => {
    const web1 = active[0]!;
    expect(web1).toMatchObject({
      framework_id: FRAMEWORK,
      executor_id: '',
      slave_id: `${CLUSTER}-S0`,
      state: 'TASK_RUNNING',
      role: '*',
      labels: [{ key: 'tier', value: 'frontend' }],
      discovery: {
        visibility: 'FRAMEWORK',
        name: 'web.group',
        ports: {
          ports: [
            {
              number: 31000,
              name: 'http',
              protocol: 'tcp',
              labels: { labels: [{ key: 'VIP_0', value: '/web:80' }] },
            },
            { number: 31001, protocol: 'udp' },
          ],
        },
      },
    });
    const status = (web1.statuses as Json[])[1]!;
    expect(status).toEqual({
      state: 'TASK_RUNNING',
      timestamp: T0 + 2.25,
      container_status: {
        container_id: { value: 'c-1111' },
        network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: '127.0.0.2' }] }],
      },
    });
    // Default discovery: the task name and the host ports, as Marathon's PortDiscovery writes them.
    expect(active[1]!.discovery).toEqual({
      visibility: 'FRAMEWORK',
      name: 'web.group',
      ports: {
        ports: [31002, 31003].map((number) => ({
          number,
          protocol: 'tcp',
          labels: { labels: [{ key: 'network-scope', value: 'host' }] },
        })),
      },
    });
    expect((active[1]!.statuses as Json[])[1]!.healthy).toBe(true);
    // No ports: no ports resource, empty discovery ports, no labels, no statuses yet.
    const db = active[2]!;
    expect(db.resources).toEqual({ cpus: 1, gpus: 0, mem: 256, disk: 0 });
    expect(db.discovery).toEqual({ visibility: 'FRAMEWORK', name: 'db', ports: {} });
    expect(db).not.toHaveProperty('labels');
    expect(db.statuses).toEqual([]);
  });

  it('derives a stable container id when the sandbox does not name one', () => {
    const odd = {
      ...DB,
      sandbox: '/somewhere/else',
      statuses: [{ state: 'TASK_STARTING' as const, timestamp: T0 }],
    };
    const render = () =>
      ((masterState(snapshot({ tasks: [odd] })).frameworks as Json[])[0]!.tasks as Json[])[0]!
        .statuses as Json[];
    const id = ((render()[0]!.container_status as Json).container_id as Json).value as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(((render()[0]!.container_status as Json).container_id as Json).value).toBe(id);
    const given = masterState(snapshot({ tasks: [odd], containerIds: { [odd.id]: 'given' } }));
    const status = (((given.frameworks as Json[])[0]!.tasks as Json[])[0]!.statuses as Json[])[0]!;
    expect(((status.container_status as Json).container_id as Json).value).toBe('given');
  });
});

/**
 * The Mesos-DNS rules this state must satisfy (mesos-dns.md §1, §2.1-2.3), reduced to what a Marathon task on a
 * host network needs: running tasks on listed agents, label sanitising, the netinfo-then-host IP choice from the
 * latest TASK_RUNNING status, agent IPs from pids, and SRV records from DiscoveryInfo or resource ports.
 */
function mesosDnsRecords(state: Json): { a: Map<string, Set<string>>; srv: Map<string, Set<string>> } {
  const label = (name: string) =>
    name
      .toLowerCase()
      .replace(/[-._]/g, '-')
      .replace(/[^a-z0-9-]/g, '')
      .replace(/^-+/, '')
      .slice(0, 63)
      .replace(/-+$/, '');
  const hostOf = (pid: string) => {
    const match = /^[^@]+@(.+):(\d+)$/.exec(pid);
    if (!match) throw new Error(`Mesos-DNS would reject the state: bad pid ${pid}`);
    return match[1]!.replace(/^\[|\]$/g, '');
  };
  if (!state.leader) throw new Error('empty master');
  hostOf(state.leader as string);
  const agentIp = new Map(
    (state.slaves as Json[]).map((agent) => [agent.id as string, hostOf(agent.pid as string)]),
  );
  const a = new Map<string, Set<string>>();
  const srv = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, name: string, value: string) =>
    map.set(name, (map.get(name) ?? new Set()).add(value));
  for (const framework of state.frameworks as Json[]) {
    if (framework.pid !== undefined) hostOf(framework.pid as string);
    const fw = (framework.name as string)
      .split('.')
      .map(label)
      .filter((part) => part !== '')
      .join('.');
    for (const entry of framework.tasks as Json[]) {
      const slaveIp = agentIp.get(entry.slave_id as string);
      if (entry.state !== 'TASK_RUNNING' || slaveIp === undefined) continue;
      const discovery = entry.discovery as Json | undefined;
      const taskLabel = label((discovery?.name as string | undefined) || (entry.name as string));
      const running = (entry.statuses as Json[])
        .filter((status) => status.state === 'TASK_RUNNING')
        .sort((x, y) => (y.timestamp as number) - (x.timestamp as number))[0];
      const netinfo = (
        ((running?.container_status as Json | undefined)?.network_infos as Json[] | undefined) ?? []
      )
        .flatMap((info) => (info.ip_addresses as Json[] | undefined) ?? [])
        .map((address) => address.ip_address as string);
      for (const ip of netinfo.length > 0 ? netinfo : [slaveIp]) add(a, `${taskLabel}.${fw}.mesos.`, ip);
      add(a, `${taskLabel}.${fw}.slave.mesos.`, slaveIp);
      const diPorts = (((discovery?.ports as Json | undefined)?.ports as Json[] | undefined) ?? []).map(
        (port) => ({
          number: port.number as number,
          name: label((port.name as string | undefined) ?? ''),
          protocol: label((port.protocol as string | undefined) ?? ''),
        }),
      );
      for (const port of diPorts) {
        for (const proto of port.protocol ? [port.protocol] : ['tcp', 'udp']) {
          add(srv, `_${taskLabel}._${proto}.${fw}.mesos.`, String(port.number));
          if (port.name) add(srv, `_${port.name}._${taskLabel}._${proto}.${fw}.mesos.`, String(port.number));
        }
      }
      const ranges = ((entry.resources as Json).ports as string | undefined) ?? '[]';
      const hostPorts = parseRanges(ranges).flatMap(([begin, end]) =>
        Array.from({ length: end - begin + 1 }, (_, i) => String(begin + i)),
      );
      for (const port of hostPorts) {
        for (const proto of ['tcp', 'udp']) {
          add(srv, `_${taskLabel}._${proto}.${fw}.slave.mesos.`, port);
          if (!discovery) add(srv, `_${taskLabel}._${proto}.${fw}.mesos.`, port);
        }
      }
    }
  }
  return { a, srv };
}

const sorted = (values: Set<string> | undefined) => [...(values ?? [])].sort();

describe('Mesos-DNS reading the state', () => {
  it('the reduced rules reproduce the reference answers on the fixture', () => {
    const { a, srv } = mesosDnsRecords(FAKE);
    // From mesos-dns.md §6 (host IP source: the fixture has no netinfo for Marathon tasks).
    expect(sorted(a.get('chronos.marathon.mesos.'))).toEqual(['1.2.3.11']);
    expect(sorted(a.get('liquor-store.marathon.slave.mesos.'))).toEqual(['1.2.3.11', '1.2.3.12']);
    expect(sorted(srv.get('_car-store._udp.marathon.mesos.'))).toEqual(['31364', '31365']);
    expect(sorted(srv.get('_http._liquor-store._tcp.marathon.mesos.'))).toEqual(['80']);
    expect(srv.get('_liquor-store._udp.marathon.mesos.')).toBeUndefined();
  });

  it('resolves our tasks to their agents, with SRV records for their ports', () => {
    const { a, srv } = mesosDnsRecords(masterState(snapshot()));
    expect(sorted(a.get('web-group.marathon.mesos.'))).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(sorted(a.get('web-group.marathon.slave.mesos.'))).toEqual(['127.0.0.2', '127.0.0.3']);
    // Staging and finished tasks get no records.
    expect(a.has('db.marathon.mesos.')).toBe(false);
    expect(a.has('nightly-batch-jobs.marathon.mesos.')).toBe(false);
    expect(sorted(srv.get('_web-group._tcp.marathon.mesos.'))).toEqual(['31000', '31002', '31003']);
    expect(sorted(srv.get('_web-group._udp.marathon.mesos.'))).toEqual(['31001']);
    expect(sorted(srv.get('_http._web-group._tcp.marathon.mesos.'))).toEqual(['31000']);
    expect(sorted(srv.get('_web-group._tcp.marathon.slave.mesos.'))).toEqual([
      '31000',
      '31001',
      '31002',
      '31003',
    ]);
  });
});

describe('stateSummary', () => {
  it('counts tasks per state for agents and the framework', () => {
    const summary = stateSummary(snapshot());
    expect(summary).toMatchObject({ hostname: '127.0.0.1', cluster: 'local' });
    const [s0, s1, s2] = summary.slaves as Json[];
    expect(s0).toMatchObject({
      id: `${CLUSTER}-S0`,
      pid: 'slave(1)@127.0.0.2:5051',
      TASK_STAGING: 1,
      TASK_RUNNING: 1,
      TASK_KILLED: 1,
      TASK_FINISHED: 0,
      TASK_UNREACHABLE: 0,
      framework_ids: [FRAMEWORK],
    });
    expect(s1).toMatchObject({ TASK_RUNNING: 1, framework_ids: [FRAMEWORK] });
    expect(s2).toMatchObject({ TASK_FINISHED: 1, TASK_RUNNING: 0, framework_ids: [FRAMEWORK] });
    const framework = (summary.frameworks as Json[])[0]!;
    expect(framework).toMatchObject({
      id: FRAMEWORK,
      name: 'marathon',
      TASK_RUNNING: 2,
      TASK_STAGING: 1,
      TASK_KILLED: 1,
    });
    expect(framework.slave_ids).toEqual([`${CLUSTER}-S0`, `${CLUSTER}-S1`, `${CLUSTER}-S2`]);
    expect(framework).not.toHaveProperty('tasks');
    const empty = stateSummary(snapshot({ tasks: [] }));
    expect((empty.slaves as Json[])[0]!.framework_ids).toEqual([]);
  });
});

describe('slaves and frameworks', () => {
  it('lists agents with the protobuf resource arrays, filtered by slave_id', () => {
    const all = slaves(snapshot());
    expect(all.recovered_slaves).toEqual([]);
    const first = (all.slaves as Json[])[0]!;
    expect(first.unreserved_resources_full).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 4 }, role: '*' },
      { name: 'mem', type: 'SCALAR', scalar: { value: 4096 }, role: '*' },
      { name: 'disk', type: 'SCALAR', scalar: { value: 10240 }, role: '*' },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] }, role: '*' },
    ]);
    expect(first.used_resources_full).toContainEqual({
      name: 'ports',
      type: 'RANGES',
      ranges: { range: [{ begin: 31000, end: 31001 }] },
      role: '*',
    });
    expect((all.slaves as Json[])[2]!.used_resources_full).toEqual([]);
    const one = slaves(snapshot(), new URLSearchParams({ slave_id: `${CLUSTER}-S1` }));
    expect((one.slaves as Json[]).map((agent) => agent.id)).toEqual([`${CLUSTER}-S1`]);
  });

  it('lists the framework, filtered by framework_id', () => {
    expect((frameworks(snapshot()).frameworks as Json[]).map((framework) => framework.id)).toEqual([
      FRAMEWORK,
    ]);
    expect(frameworks(snapshot(), { framework_id: 'other' }).frameworks).toEqual([]);
    expect(frameworks(snapshot())).toMatchObject({ completed_frameworks: [], unregistered_frameworks: [] });
  });
});

describe('tasks (/master/tasks)', () => {
  const ids = (query?: URLSearchParams | Record<string, string>) =>
    (tasks(snapshot(), query).tasks as Json[]).map((entry) => entry.id);

  it('sorts by first status time, newest first by default, tasks without statuses at the far end', () => {
    // First status times: WEB1, WEB_KILLED, BATCH at T0+1.5 (ties by id), WEB2 at T0+3.5, DB none.
    const ascending = [DB.id, WEB_KILLED.id, WEB1.id, BATCH.id, WEB2.id];
    expect(ids({ order: 'asc' })).toEqual(ascending);
    expect(ids()).toEqual([...ascending].reverse());
    expect(ids({ order: 'sideways' })).toEqual([...ascending].reverse());
  });

  it('pages with limit and offset and filters by task and framework', () => {
    expect(ids({ order: 'asc', limit: '2', offset: '1' })).toEqual([WEB_KILLED.id, WEB1.id]);
    expect(ids(new URLSearchParams({ order: 'asc', limit: '0x2' }))).toEqual([DB.id, WEB_KILLED.id]);
    expect(ids({ limit: 'many' })).toHaveLength(5);
    expect(ids({ limit: '-1' })).toHaveLength(5);
    expect(ids({ offset: '-1' })).toEqual([]);
    expect(ids({ task_id: WEB2.id })).toEqual([WEB2.id]);
    expect(ids({ task_id: WEB2.id, framework_id: FRAMEWORK })).toEqual([WEB2.id]);
    expect(ids({ framework_id: 'someone-else' })).toEqual([]);
    const many = Array.from({ length: 150 }, (_, i) => task(`t.${i}`, '/t', 0, 'TASK_RUNNING'));
    expect((tasks(snapshot({ tasks: many })).tasks as Json[]).length).toBe(100);
  });
});

describe('agentState', () => {
  it('lists one command executor per task with its sandbox as directory', () => {
    const state = agentState(snapshot(), `${CLUSTER}-S0`)!;
    expect(state).toMatchObject({
      version: '1.10.0',
      id: `${CLUSTER}-S0`,
      pid: 'slave(1)@127.0.0.2:5051',
      hostname: '127.0.0.2',
      master_hostname: '127.0.0.1',
      attributes: { rack: 'rack-1', zone: 'zone-1' },
      resources: { cpus: 4, gpus: 0, mem: 4096, disk: 10240, ports: '[31000-32000]' },
      completed_frameworks: [],
    });
    expect((state.flags as Json).port).toBe('5051');
    const framework = (state.frameworks as Json[])[0]!;
    expect(framework).toMatchObject({ id: FRAMEWORK, name: 'marathon', user: 'root', checkpoint: true });
    const executors = framework.executors as Json[];
    expect(executors.map((executor) => executor.id)).toEqual([WEB1.id, DB.id]);
    expect(executors[0]).toMatchObject({
      id: WEB1.id,
      source: WEB1.id,
      name: `Command Executor (Task: ${WEB1.id}) (Command: sh -c 'python3 -m h...')`,
      container: 'c-1111',
      directory: WEB1.sandbox,
      queued_tasks: [],
      completed_tasks: [],
    });
    expect(executors[1]!.name).toBe(`Command Executor (Task: ${DB.id}) (Command: NO COMMAND)`);
    const task0 = (executors[0]!.tasks as Json[])[0]!;
    expect(task0).toMatchObject({
      id: WEB1.id,
      name: 'web.group',
      slave_id: `${CLUSTER}-S0`,
      state: 'TASK_RUNNING',
    });
    const done = framework.completed_executors as Json[];
    expect(done.map((executor) => [executor.id, executor.directory])).toEqual([
      [WEB_KILLED.id, WEB_KILLED.sandbox],
    ]);
    expect((done[0]!.completed_tasks as Json[])[0]).toMatchObject({
      id: WEB_KILLED.id,
      state: 'TASK_KILLED',
    });
    expect(done[0]!.tasks).toEqual([]);
    const s1 = agentState(snapshot(), `${CLUSTER}-S1`)!;
    const short = ((s1.frameworks as Json[])[0]!.executors as Json[])[0]!;
    expect(short.name).toBe(`Command Executor (Task: ${WEB2.id}) (Command: sh -c 'sleep 1000')`);
  });

  it('moves a framework with only finished executors to completed_frameworks', () => {
    const state = agentState(snapshot(), `${CLUSTER}-S2`)!;
    expect(state.frameworks).toEqual([]);
    const framework = (state.completed_frameworks as Json[])[0]!;
    expect((framework.completed_executors as Json[])[0]).toMatchObject({
      id: BATCH.id,
      directory: BATCH.sandbox,
    });
    const idle = agentState(snapshot({ tasks: [] }), `${CLUSTER}-S2`)!;
    expect(idle).toMatchObject({ frameworks: [], completed_frameworks: [] });
  });

  it('knows only its agents', () => {
    expect(agentState(snapshot(), 'nope')).toBeUndefined();
  });
});
