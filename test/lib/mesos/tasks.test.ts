import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { FRAMEWORK_COLUMNS, listFrameworks, listNodes, taskRows } from '../../../src/lib/mesos/cluster.js';
import { agentBaseUrl, listMesosTasks, matchTasks, pidAddress } from '../../../src/lib/mesos/tasks.js';
import {
  componentLogPath,
  formatEntry,
  logQuery,
  nodeTarget,
  requireAgent,
} from '../../../src/lib/mesos/node-log.js';

const HERE = dirname(fileURLToPath(import.meta.url));
type Json = Record<string, unknown>;
/** The real Mesos `/master/state` fixture of Mesos-DNS (see test/fixtures/README.md). */
const FAKE = JSON.parse(readFileSync(join(HERE, '../../fixtures/mesos/fake.json'), 'utf8')) as Json;
/** A single real task and framework entry of the DC/OS CLI's tests, assembled into a torn-down framework. */
const TASK = JSON.parse(readFileSync(join(HERE, '../../fixtures/mesos/dcos-cli/task.json'), 'utf8')) as Json;
const FRAMEWORK = JSON.parse(
  readFileSync(join(HERE, '../../fixtures/mesos/dcos-cli/framework.json'), 'utf8'),
) as Json;
const MARATHON_ID = '20140703-014514-3041283216-5050-5348-0000';

function withCompletedFramework(): Json {
  return {
    ...FAKE,
    completed_frameworks: [{ ...FRAMEWORK, tasks: [], completed_tasks: [{ ...TASK, state: 'TASK_KILLED' }] }],
  };
}

describe('listMesosTasks', () => {
  it('lists the running tasks of every framework, sorted by name then id', () => {
    const tasks = listMesosTasks(FAKE);
    expect(tasks).toHaveLength(10);
    expect(tasks.every((task) => !task.completed)).toBe(true);
    const names = tasks.map((task) => task.name);
    expect(names).toEqual([...names].sort());
    expect(tasks.map((task) => task.frameworkName)).toContain('ipv6-framework');
  });

  it('fills in the agent hostname, framework and the executor of a command task', () => {
    const toy = listMesosTasks(FAKE).find((task) => task.name === 'toy-store')!;
    expect(toy).toMatchObject({
      id: 'toy-store.b8db9f73-562f-11e4-a088-c20493233aa5',
      state: 'TASK_RUNNING',
      frameworkId: '20140703-014514-3041283216-5050-5349-0001',
      frameworkName: 'ipv6-framework',
      agentId: '20140803-194712-3041283216-5050-2116-3',
      agentHostname: '2001:db8::1',
      // executor_id is "" in the state: a command task's executor is named after the task.
      executorId: 'toy-store.b8db9f73-562f-11e4-a088-c20493233aa5',
      startedAt: 1507139816.34576,
    });
  });

  it('adds completed tasks and completed frameworks only when asked', () => {
    const state = withCompletedFramework();
    const running = listMesosTasks(state);
    const all = listMesosTasks(state, { completed: true });
    expect(all.length).toBe(running.length + 4);
    const done = all.filter((task) => task.completed);
    expect(done.map((task) => task.id).sort()).toEqual(
      [
        'box01.a50a19f2-2d7a-11e4-b8df-d43d7edb01cd',
        'ct:1413913764000:0:Core Open Source Weekly Report',
        'ct:1415649600000:0:Elastic Mesos Stats',
        TASK.id as string,
      ].sort(),
    );
    expect(done.find((task) => task.id === TASK.id)).toMatchObject({
      frameworkName: 'marathon',
      state: 'TASK_KILLED',
    });
  });

  it('prefers the running entry of a task also listed as completed', () => {
    const marathon = (FAKE.frameworks as Json[]).find((framework) => framework.id === MARATHON_ID)!;
    const nginx = (marathon.tasks as Json[]).find((task) => task.name === 'nginx')!;
    const state = {
      ...FAKE,
      frameworks: (FAKE.frameworks as Json[]).map((framework) =>
        framework === marathon
          ? { ...framework, completed_tasks: [{ ...nginx, state: 'TASK_LOST' }] }
          : framework,
      ),
    };
    const nginxes = listMesosTasks(state, { completed: true }).filter((task) => task.name === 'nginx');
    expect(nginxes).toHaveLength(1);
    expect(nginxes[0]).toMatchObject({ state: 'TASK_RUNNING', completed: false });
  });

  it('is lenient: not a state, no frameworks, or tasks without ids give what can be read', () => {
    expect(listMesosTasks(null)).toEqual([]);
    expect(listMesosTasks({ frameworks: 'x' })).toEqual([]);
    expect(
      listMesosTasks({ frameworks: [{ name: 'f', tasks: [{ name: 'no id' }, 7, { id: 'a' }] }] }),
    ).toEqual([expect.objectContaining({ id: 'a', name: '', frameworkName: 'f', agentHostname: undefined })]);
  });
});

describe('matchTasks', () => {
  const tasks = listMesosTasks(FAKE, { completed: true });

  it('matches a substring of the id or of the name', () => {
    expect(matchTasks(tasks, 'store').matches.map((task) => task.name)).toEqual([
      'big.dog2',
      'car.store',
      'liquor.store',
      'non-human-readable-liquor-store',
      'toy-store',
    ]);
    expect(matchTasks(tasks, 'Elastic').matches.map((task) => task.id)).toEqual([
      'ct:1415649600000:0:Elastic Mesos Stats',
    ]);
  });

  it('lets an exact id win alone over tasks that merely contain it', () => {
    const id = 'nginx.1bc32344-3dda-11e4-a088-c20493233aa5';
    const extra = { ...tasks[0]!, id: `${id}-2`, name: 'other' };
    const { matches } = matchTasks([...tasks, extra], id);
    expect(matches.map((task) => task.id)).toEqual([id]);
    expect(matchTasks([...tasks, extra], 'nginx').matches).toHaveLength(2);
  });

  it('returns every task with an exact, duplicated id (the state can list one twice)', () => {
    const { matches } = matchTasks(tasks, 'liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5');
    expect(matches.map((task) => task.name).sort()).toEqual(['big.dog2', 'liquor.store']);
  });

  it('suggests up to five closest ids or names when nothing matches', () => {
    const { matches, closest } = matchTasks(tasks, 'ngnix');
    expect(matches).toEqual([]);
    expect(closest).toHaveLength(5);
    expect(closest[0]).toBe('nginx');
    expect(matchTasks(tasks, 'nginx').closest).toEqual([]);
    expect(matchTasks([], 'x')).toEqual({ matches: [], closest: [] });
  });
});

describe('agentBaseUrl', () => {
  it('goes through Admin Router on DC/OS and dcos local', () => {
    expect(agentBaseUrl({ 'core.dcos_url': 'https://dcos.example.com/' }, 'S0')).toBe(
      'https://dcos.example.com/agent/S0',
    );
  });

  it("calls a plain Mesos agent at its pid's address", () => {
    const settings = { 'core.dcos_url': 'http://m:8080', 'mesos.master_url': 'http://m:5050' };
    expect(agentBaseUrl(settings, '20140916-194712-631065744-5050-4798-2', FAKE)).toBe(
      'http://1.2.3.10:5051',
    );
    expect(() => agentBaseUrl(settings, 'nope', FAKE)).toThrow("agent 'nope' not found");
    expect(pidAddress('slave(1)@[fd01::1]:5051')).toBe('[fd01::1]:5051');
    expect(pidAddress('garbage')).toBeUndefined();
  });
});

describe('nodes, task rows and frameworks', () => {
  it('lists the leader first, then agents with their type and fault domain', () => {
    const agent = JSON.parse(
      readFileSync(join(HERE, '../../fixtures/mesos/dcos-cli/agent.json'), 'utf8'),
    ) as Json;
    const state = {
      ...FAKE,
      slaves: [
        ...(FAKE.slaves as Json[]),
        {
          ...agent,
          attributes: { public_ip: 'true' },
          domain: { fault_domain: { region: { name: 'eu-1' }, zone: { name: 'eu-1a' } } },
        },
      ],
    };
    const nodes = listNodes(state);
    expect(nodes[0]).toMatchObject({ type: 'master (leader)', ip: '1.2.3.4', id: FAKE.id });
    expect(nodes.slice(1).map((node) => node.hostname)).toEqual(
      [...nodes.slice(1).map((n) => n.hostname)].sort(),
    );
    expect(nodes.find((node) => node.hostname === 'dcos-01')).toMatchObject({
      ip: '172.17.8.101',
      type: 'agent (public)',
      region: 'eu-1',
      zone: 'eu-1a',
    });
  });

  it('joins tasks with their framework user and keeps the raw entry for --json', () => {
    const state = withCompletedFramework();
    const rows = taskRows(state, listMesosTasks(state, { completed: true }));
    const test = rows.find((row) => row.task.id === TASK.id)!;
    expect(test.user).toBe(FRAMEWORK.user);
    expect(test.raw).toMatchObject({ id: TASK.id, state: 'TASK_KILLED' });
  });

  it('lists active frameworks, and inactive or completed ones on request', () => {
    const state = withCompletedFramework();
    state.frameworks = (FAKE.frameworks as Json[]).map((framework) =>
      framework.name === 'no pid' ? { ...framework, active: false } : framework,
    );
    expect(listFrameworks(state).map((row) => row.name)).not.toContain('no pid');
    expect(listFrameworks(state, { inactive: true }).find((row) => row.name === 'no pid')?.active).toBe(
      false,
    );
    const marathon = listFrameworks(state).find((row) => row.id === MARATHON_ID)!;
    expect(marathon.tasks).toBe(8);
    expect(FRAMEWORK_COLUMNS.map((column) => column.header)).toEqual([
      'NAME',
      'HOST',
      'ACTIVE',
      'TASKS',
      'CPU',
      'MEM',
      'DISK',
      'ID',
    ]);
    expect(
      listFrameworks(state, { completed: true }).some((row) => row.id === FRAMEWORK.id && !row.active),
    ).toBe(true);
  });
});

describe('node log requests', () => {
  it('needs exactly one of --leader and --mesos-id', () => {
    expect(() => nodeTarget({})).toThrow("'--leader' or '--mesos-id' must be provided");
    expect(() => nodeTarget({ leader: true, mesosId: 'a' })).toThrow('at the same time');
    expect(nodeTarget({ mesosId: 'a' })).toEqual({ agentId: 'a' });
  });

  it('builds the logging API v2 paths and query', () => {
    expect(componentLogPath({ leader: true })).toBe('/system/v1/leader/mesos/logs/v2/component');
    expect(componentLogPath({ leader: true }, 'dcos-marathon')).toBe(
      '/system/v1/leader/marathon/logs/v2/component/dcos-marathon.service',
    );
    expect(componentLogPath({ agentId: 'S 1' }, 'dcos-mesos-slave.service')).toBe(
      '/system/v1/agent/S%201/logs/v2/component/dcos-mesos-slave.service',
    );
    expect(logQuery(3, false, ['A:b']).toString()).toBe('cursor=END&skip=-3&limit=3&filter=A%3Ab');
    expect(logQuery(3, true, []).toString()).toBe('cursor=END&skip=-3');
  });

  it('formats entries like journalctl short output, and says which agents are close', () => {
    const entry = {
      fields: { MESSAGE: 'hi', SYSLOG_IDENTIFIER: 'dcos-marathon', _PID: '7' },
      realtime_timestamp: 1_550_515_267_000_000,
    };
    expect(formatEntry(entry, 'short')).toBe('2019-02-18 18:41:07 UTC dcos-marathon[7]: hi');
    expect(formatEntry(entry, 'cat')).toBe('hi');
    expect(formatEntry('x', 'short')).toBeUndefined();
    expect(() => requireAgent(['abc-S0', 'abc-S1'], 'abc-S9')).toThrow(
      "agent 'abc-S9' not found; closest: abc-S0",
    );
  });
});
