import { describe, expect, it } from 'vitest';

import {
  createAgents,
  formatRanges,
  parseRanges,
  portsToRanges,
} from '../../../../src/lib/local/mesos/agents.js';

describe('createAgents', () => {
  it('derives ids, loopback addresses, attributes and resources from the index', () => {
    const agents = createAgents(4, { clusterId: 'c0ffee' });
    expect(agents.map((agent) => agent.id)).toEqual(['c0ffee-S0', 'c0ffee-S1', 'c0ffee-S2', 'c0ffee-S3']);
    expect(agents.map((agent) => agent.ip)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
    expect(agents.every((agent) => agent.hostname === agent.ip && agent.port === 5051)).toBe(true);
    expect(agents.map((agent) => agent.attributes)).toEqual([
      { rack: 'rack-1', zone: 'zone-1' },
      { rack: 'rack-2', zone: 'zone-2' },
      { rack: 'rack-1', zone: 'zone-3' },
      { rack: 'rack-2', zone: 'zone-1' },
    ]);
    expect(agents[0]!.resources).toEqual({
      cpus: 4,
      mem: 4096,
      disk: 10240,
      gpus: 0,
      ports: [[31000, 32000]],
    });
  });

  it('is deterministic and hands out independent objects', () => {
    const first = createAgents(3, { clusterId: 'x' });
    const second = createAgents(3, { clusterId: 'x' });
    expect(second).toEqual(first);
    first[0]!.resources.ports[0]![0] = 1;
    expect(second[0]!.resources.ports).toEqual([[31000, 32000]]);
    expect(createAgents(1, { clusterId: 'x' })[0]!.resources.ports).toEqual([[31000, 32000]]);
  });

  it('moves the port range with firstPort', () => {
    expect(createAgents(1, { clusterId: 'x', firstPort: 20000 })[0]!.resources.ports).toEqual([
      [20000, 21000],
    ]);
    expect(() => createAgents(1, { clusterId: 'x', firstPort: 65000 })).toThrow(RangeError);
    expect(() => createAgents(1, { clusterId: 'x', firstPort: 0 })).toThrow(RangeError);
  });

  it('accepts 1 to 20 agents only', () => {
    expect(createAgents(1, { clusterId: 'x' })).toHaveLength(1);
    const twenty = createAgents(20, { clusterId: 'x' });
    expect(twenty).toHaveLength(20);
    expect(twenty[19]!.ip).toBe('127.0.0.21');
    for (const count of [0, 21, -1, 1.5, Number.NaN]) {
      expect(() => createAgents(count, { clusterId: 'x' })).toThrow(RangeError);
    }
  });
});

describe('port ranges', () => {
  it('formats ranges the way Mesos prints them', () => {
    expect(formatRanges([[31000, 32000]])).toBe('[31000-32000]');
    expect(
      formatRanges([
        [31000, 31005],
        [31007, 31007],
      ]),
    ).toBe('[31000-31005, 31007-31007]');
    expect(formatRanges([])).toBe('[]');
  });

  it('sorts, deduplicates and merges ports into ranges', () => {
    expect(portsToRanges([31002, 31000, 31001, 31005, 31001])).toEqual([
      [31000, 31002],
      [31005, 31005],
    ]);
    expect(portsToRanges([])).toEqual([]);
    expect(formatRanges(portsToRanges([31354, 31355]))).toBe('[31354-31355]');
  });

  it('parses what it formats (and the fixture forms)', () => {
    expect(parseRanges('[31354-31354, 31355-31355]')).toEqual([
      [31354, 31354],
      [31355, 31355],
    ]);
    expect(parseRanges('[]')).toEqual([]);
    expect(parseRanges('[80]')).toEqual([[80, 80]]);
    expect(() => parseRanges('[5-3]')).toThrow();
    expect(() => parseRanges('[a-b]')).toThrow();
  });
});
