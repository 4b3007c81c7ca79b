import { describe, expect, it } from 'vitest';

import { createAgents } from '../../../../src/lib/local/mesos/agents.js';
import {
  constraintHolds,
  placeTask,
  rejectSummary,
  REASON_FUNNEL,
  type PlacedTask,
  type PlacementRequest,
} from '../../../../src/lib/local/mesos/placement.js';
import type { AgentSpec } from '../../../../src/lib/local/types.js';

const agents = createAgents(3, { clusterId: 'c' });
const [s0, s1, s2] = ['c-S0', 'c-S1', 'c-S2'];

function request(extra: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    appId: '/web',
    cpus: 1,
    mem: 128,
    disk: 0,
    gpus: 0,
    portCount: 0,
    requirePorts: false,
    requestedPorts: [],
    constraints: [],
    ...extra,
  };
}

function task(appId: string, agentId: string, extra: Partial<PlacedTask> = {}): PlacedTask {
  return { appId, agentId, cpus: 1, mem: 128, disk: 0, gpus: 0, ports: [], ...extra };
}

function place(extra: Partial<PlacementRequest>, placed: PlacedTask[] = [], list: AgentSpec[] = agents) {
  return placeTask(request(extra), list, placed);
}

/** Place `count` tasks one after the other, as a scale-up would; returns the agent of each. */
function placeMany(count: number, extra: Partial<PlacementRequest>, list: AgentSpec[] = agents): string[] {
  const placed: PlacedTask[] = [];
  const chosen: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = placeTask(request(extra), list, placed);
    if (!result.ok) {
      chosen.push(`-(${result.reason})`);
      continue;
    }
    chosen.push(result.agentId);
    placed.push(task(extra.appId ?? '/web', result.agentId, { ports: result.ports, cpus: extra.cpus ?? 1 }));
  }
  return chosen;
}

describe('placeTask: choice among fitting agents', () => {
  it('spreads an app: fewest tasks of the app first, then most free cpus, then agent order', () => {
    expect(placeMany(4, {})).toEqual([s0, s1, s2, s0]);
    // S0 busy with another app: S1 has more free cpus.
    const result = place({}, [task('/other', s0, { cpus: 2 })]);
    expect(result).toEqual({ ok: true, agentId: s1, ports: [] });
    // The app's own tasks count before free cpus.
    const spread = place({}, [
      task('/other', s1, { cpus: 3 }),
      task('/other', s2, { cpus: 3 }),
      task('/web', s0),
    ]);
    expect(spread.ok && spread.agentId).toBe(s1);
  });

  it('needs every scalar to fit, with float sums rounded', () => {
    const placed = [
      task('/other', s0, { cpus: 0.1 }),
      task('/other', s0, { cpus: 0.2 }),
      task('/other', s0, { cpus: 3.6 }),
    ];
    // 4 - 0.1 - 0.2 - 3.6 is 0.0999999... in floating point: 0.1 still fits.
    expect(place({ cpus: 0.1 }, placed, [agents[0]!])).toMatchObject({ ok: true, agentId: s0 });
    expect(place({ cpus: 0.2 }, placed, [agents[0]!])).toMatchObject({ ok: false });
    expect(place({ mem: 4097 })).toMatchObject({ ok: false, reason: 'insufficient mem on 3 of 3 agents' });
    expect(place({ disk: 10241 })).toMatchObject({ ok: false, reason: 'insufficient disk on 3 of 3 agents' });
    expect(place({ gpus: 1 })).toMatchObject({ ok: false, reason: 'insufficient gpus on 3 of 3 agents' });
  });

  it('reports per agent and in one line when nothing fits', () => {
    const result = place({ cpus: 5 });
    expect(result).toEqual({
      ok: false,
      reason: 'insufficient cpus on 3 of 3 agents',
      reasons: {
        [s0]: 'insufficient cpus: 5 requested, 4 free',
        [s1]: 'insufficient cpus: 5 requested, 4 free',
        [s2]: 'insufficient cpus: 5 requested, 4 free',
      },
      rejections: { [s0]: ['InsufficientCpus'], [s1]: ['InsufficientCpus'], [s2]: ['InsufficientCpus'] },
    });
    const mixed = place(
      { cpus: 2 },
      [task('/other', s0, { cpus: 3 }), task('/web', s1), task('/web', s2)],
      agents,
    );
    expect(mixed.ok).toBe(true);
    const none = place({ cpus: 2, constraints: [['hostname', 'UNIQUE']] }, [
      task('/other', s0, { cpus: 3 }),
      task('/web', s1),
      task('/web', s2),
    ]);
    expect(none).toMatchObject({
      ok: false,
      reason: 'constraint hostname UNIQUE not satisfied on 2 of 3 agents; insufficient cpus on 1 of 3 agents',
    });
    expect(place({}, [], [])).toMatchObject({ ok: false, reason: 'no agents', reasons: {} });
  });
});

describe('placeTask: ports', () => {
  it('hands out the lowest free ports, never one used on any agent (one machine)', () => {
    const first = place({ portCount: 2 });
    expect(first).toEqual({ ok: true, agentId: s0, ports: [31000, 31001] });
    // Another app on another agent still cannot get 31000/31001.
    const second = place({ appId: '/api', portCount: 2 }, [task('/web', s0, { ports: [31000, 31001] })]);
    expect(second).toEqual({ ok: true, agentId: s1, ports: [31002, 31003] });
    // Holes are filled first.
    const third = place({ portCount: 2 }, [task('/x', s0, { ports: [31000, 31002] })]);
    expect(third.ok && third.ports).toEqual([31001, 31003]);
  });

  it('avoids ports the machine already uses', () => {
    const result = placeTask(request({ portCount: 1 }), agents, [], { portsInUse: new Set([31000, 31001]) });
    expect(result.ok && result.ports).toEqual([31002]);
  });

  it('ignores requested ports without requirePorts', () => {
    const result = place({ portCount: 2, requestedPorts: [10000, 10001] });
    expect(result.ok && result.ports).toEqual([31000, 31001]);
  });

  it('gives exactly the requested ports with requirePorts (0 = any)', () => {
    expect(place({ portCount: 2, requirePorts: true, requestedPorts: [31500, 0] })).toMatchObject({
      ok: true,
      ports: [31500, 31000],
    });
    const taken = place({ portCount: 1, requirePorts: true, requestedPorts: [31500] }, [
      task('/other', s2, { ports: [31500] }),
    ]);
    expect(taken).toMatchObject({ ok: false, reason: 'insufficient ports on 3 of 3 agents' });
    expect(!taken.ok && taken.reasons[s0]).toBe('insufficient ports: port 31500 is already in use');
    const outside = place({ portCount: 1, requirePorts: true, requestedPorts: [8080] });
    expect(!outside.ok && outside.reasons[s0]).toBe(
      "insufficient ports: port 8080 is not in the agent's ranges [31000-32000]",
    );
    const twice = place({ portCount: 2, requirePorts: true, requestedPorts: [31500, 31500] });
    expect(twice.ok).toBe(false);
  });

  it('runs out of ports', () => {
    const small: AgentSpec[] = [
      { ...agents[0]!, resources: { ...agents[0]!.resources, ports: [[31000, 31002]] } },
    ];
    expect(place({ portCount: 3 }, [], small)).toMatchObject({ ok: true, ports: [31000, 31001, 31002] });
    const result = place({ portCount: 2 }, [task('/x', s0, { ports: [31001, 31002] })], small);
    expect(result).toMatchObject({ ok: false, rejections: { [s0]: ['InsufficientPorts'] } });
    expect(!result.ok && result.reasons[s0]).toBe('insufficient ports: 2 requested, 1 free in [31000-31002]');
  });
});

describe('placeTask: constraints', () => {
  it('hostname UNIQUE puts one task per agent, then rejects', () => {
    const chosen = placeMany(4, { constraints: [['hostname', 'UNIQUE']] });
    expect(chosen).toEqual([s0, s1, s2, '-(constraint hostname UNIQUE not satisfied on 3 of 3 agents)']);
  });

  it('only the same app counts', () => {
    const result = place({ constraints: [['hostname', 'UNIQUE']] }, [
      task('/other', s0),
      task('/other', s1),
      task('/other', s2),
    ]);
    expect(result.ok).toBe(true);
  });

  it('CLUSTER keeps an app on one value', () => {
    expect(placeMany(3, { constraints: [['hostname', 'CLUSTER', '127.0.0.3']] })).toEqual([s1, s1, s1]);
    expect(placeMany(3, { constraints: [['rack', 'CLUSTER']] })).toEqual([s0, s2, s0]);
    expect(place({ constraints: [['zone', 'CLUSTER', 'zone-9']] })).toMatchObject({
      ok: false,
      reason: 'constraint zone CLUSTER zone-9 not satisfied on 3 of 3 agents',
    });
  });

  it('GROUP_BY spreads evenly over the values', () => {
    const six = createAgents(6, { clusterId: 'c' });
    const chosen = placeMany(4, { constraints: [['rack', 'GROUP_BY']] }, six);
    const racks = chosen.map((id) => six.find((agent) => agent.id === id)!.attributes.rack);
    expect(racks).toEqual(['rack-1', 'rack-2', 'rack-1', 'rack-2']);
    // With a group count, a new value is preferred until there are that many groups.
    const zones = placeMany(3, { constraints: [['zone', 'GROUP_BY', '3']], cpus: 0.1 }, six).map(
      (id) => six.find((agent) => agent.id === id)!.attributes.zone,
    );
    expect(new Set(zones).size).toBe(3);
  });

  it('MAX_PER caps the tasks per value', () => {
    const chosen = placeMany(5, { constraints: [['rack', 'MAX_PER', '2']] });
    expect(chosen.slice(0, 4).sort()).toEqual([s0, s1, s1, s2].sort());
    expect(chosen[4]).toBe('-(constraint rack MAX_PER 2 not satisfied on 3 of 3 agents)');
  });

  it('LIKE / UNLIKE match the whole value; IS compares', () => {
    expect(place({ constraints: [['hostname', 'LIKE', '127\\.0\\.0\\.[34]']] })).toMatchObject({
      agentId: s1,
    });
    expect(place({ constraints: [['hostname', 'LIKE', '0\\.3']] })).toMatchObject({ ok: false });
    expect(place({ constraints: [['zone', 'UNLIKE', 'zone-[12]']] })).toMatchObject({ agentId: s2 });
    expect(place({ constraints: [['rack', 'IS', 'rack-2']] })).toMatchObject({ agentId: s1 });
  });

  it('a missing attribute satisfies only UNLIKE', () => {
    const agent = agents[0]!;
    expect(constraintHolds(['gpu-type', 'UNLIKE', 'x'], agent, [])).toBe(true);
    for (const operator of ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'IS', 'MAX_PER']) {
      expect(constraintHolds(['gpu-type', operator, '1'], agent, [])).toBe(false);
    }
    expect(constraintHolds(['hostname', 'MAX_PER', 'two'], agent, [])).toBe(false);
    expect(constraintHolds(['hostname', 'NEAR'], agent, [])).toBe(false);
    expect(constraintHolds(['hostname', 'unique'], agent, [agents[1]!])).toBe(true);
  });

  it('combines constraint and resource reasons per agent', () => {
    const result = place({ cpus: 5, constraints: [['hostname', 'UNIQUE']] }, [task('/web', s0, { cpus: 0 })]);
    expect(!result.ok && result.reasons[s0]).toBe(
      'insufficient cpus: 5 requested, 4 free; constraint hostname UNIQUE not satisfied',
    );
    expect(!result.ok && result.rejections[s0]).toEqual(['InsufficientCpus', 'UnfulfilledConstraint']);
  });
});

describe('placeTask: roles', () => {
  it("accepts '*' and rejects roles the unreserved agents cannot offer", () => {
    expect(place({ acceptedResourceRoles: ['*'] }).ok).toBe(true);
    expect(place({ acceptedResourceRoles: [] }).ok).toBe(true);
    const result = place({ acceptedResourceRoles: ['slave_public'], portCount: 1 });
    expect(result).toMatchObject({ ok: false });
    expect(
      !result.ok && result.reason.startsWith('no resources for role(s) slave_public on 3 of 3 agents'),
    ).toBe(true);
    expect(!result.ok && result.rejections[s0]).toEqual([
      'UnfulfilledRole',
      'InsufficientCpus',
      'InsufficientMemory',
      'InsufficientPorts',
    ]);
  });
});

describe('rejectSummary', () => {
  it("funnels each offer under its first reason, Marathon's way", () => {
    const summary = rejectSummary({
      a: ['InsufficientCpus', 'UnfulfilledConstraint'],
      b: ['InsufficientCpus'],
      c: ['InsufficientMemory', 'InsufficientPorts'],
      d: [],
    });
    expect(summary).toEqual([
      { reason: 'UnfulfilledRole', declined: 0, processed: 3 },
      { reason: 'UnfulfilledConstraint', declined: 1, processed: 3 },
      { reason: 'NoCorrespondingReservationFound', declined: 0, processed: 2 },
      { reason: 'InsufficientCpus', declined: 1, processed: 2 },
      { reason: 'InsufficientMemory', declined: 1, processed: 1 },
      { reason: 'InsufficientDisk', declined: 0, processed: 0 },
      { reason: 'InsufficientGpus', declined: 0, processed: 0 },
      { reason: 'InsufficientPorts', declined: 0, processed: 0 },
    ]);
  });

  it('takes a placement failure and lists all reasons even when nothing was declined', () => {
    const result = place({ cpus: 5 });
    expect(
      !result.ok && rejectSummary(result.rejections).find((step) => step.reason === 'InsufficientCpus'),
    ).toEqual({
      reason: 'InsufficientCpus',
      declined: 3,
      processed: 3,
    });
    expect(rejectSummary([]).map((step) => step.reason)).toEqual([...REASON_FUNNEL]);
    expect(rejectSummary([]).every((step) => step.declined === 0 && step.processed === 0)).toBe(true);
  });
});
