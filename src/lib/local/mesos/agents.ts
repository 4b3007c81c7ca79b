/**
 * The emulated Mesos agents of `dcos local` and the Mesos text form of port ranges.
 *
 * Every agent is a loopback address on this one machine: agent i (0-based) is reached at 127.0.0.(i + 2), so
 * 127.0.0.1 stays the master's. Linux routes all of 127.0.0.0/8 to the loopback interface; other systems may
 * need aliases, which is the caller's business.
 */

import type { AgentSpec } from '../types.js';

export const MAX_AGENTS = 20;
export const AGENT_PORT = 5051;
export const DEFAULT_FIRST_PORT = 31000;
/** Width of each agent's port range: `[firstPort, firstPort + 1000]`, like the Mesos default `[31000-32000]`. */
export const PORT_RANGE_SPAN = 1000;

export const AGENT_RESOURCES = { cpus: 4, mem: 4096, disk: 10240, gpus: 0 } as const;

/**
 * The agents of a local cluster, always the same for the same arguments.
 *
 * - id `${clusterId}-S${i}` (the Mesos form: master id, `-S`, agent number);
 * - ip and hostname `127.0.0.${i + 2}`, agent port 5051 (so the pid is `slave(1)@127.0.0.2:5051`);
 * - attributes `rack` = `rack-1`/`rack-2` (alternating) and `zone` = `zone-1`..`zone-3` (round robin), both text
 *   attributes, so constraints like `["rack", "GROUP_BY"]` or `["zone", "UNIQUE"]` have something to act on
 *   (agents 0..5 get rack-1/zone-1, rack-2/zone-2, rack-1/zone-3, rack-2/zone-1, rack-1/zone-2, rack-2/zone-3);
 * - resources cpus 4, mem 4096, disk 10240, gpus 0, ports `[[firstPort, firstPort + 1000]]` (default 31000-32000).
 *
 * @throws RangeError when `count` is not an integer in 1..20 or `firstPort` leaves no room for the range.
 */
export function createAgents(count: number, options: { clusterId: string; firstPort?: number }): AgentSpec[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_AGENTS) {
    throw new RangeError(`The number of agents must be an integer from 1 to ${MAX_AGENTS}, not ${count}`);
  }
  const firstPort = options.firstPort ?? DEFAULT_FIRST_PORT;
  if (!Number.isInteger(firstPort) || firstPort < 1 || firstPort + PORT_RANGE_SPAN > 65535) {
    throw new RangeError(
      `The first agent port must be an integer from 1 to ${65535 - PORT_RANGE_SPAN}, not ${firstPort}`,
    );
  }
  const agents: AgentSpec[] = [];
  for (let i = 0; i < count; i++) {
    const ip = `127.0.0.${i + 2}`;
    agents.push({
      id: `${options.clusterId}-S${i}`,
      ip,
      hostname: ip,
      port: AGENT_PORT,
      attributes: { rack: `rack-${(i % 2) + 1}`, zone: `zone-${(i % 3) + 1}` },
      resources: { ...AGENT_RESOURCES, ports: [[firstPort, firstPort + PORT_RANGE_SPAN]] },
    });
  }
  return agents;
}

/** Mesos' text form of a ranges value: `[31000-31005, 31007-31007]`; a single port is `a-a`, none is `[]`. */
export function formatRanges(ranges: ReadonlyArray<readonly [number, number]>): string {
  return `[${ranges.map(([begin, end]) => `${begin}-${end}`).join(', ')}]`;
}

/** The inverse of {@link formatRanges} (also accepts a bare `a` for `a-a`). Throws on anything else. */
export function parseRanges(text: string): Array<[number, number]> {
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  if (inner === '') return [];
  return inner.split(',').map((part) => {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new Error(`Invalid range '${part.trim()}' in '${text}'`);
    const begin = Number(match[1]);
    const end = match[2] === undefined ? begin : Number(match[2]);
    if (end < begin) throw new Error(`Invalid range '${part.trim()}' in '${text}'`);
    return [begin, end];
  });
}

/** Ports as sorted, merged ranges: `[31002, 31000, 31001, 31005]` → `[[31000, 31002], [31005, 31005]]`. */
export function portsToRanges(ports: readonly number[]): Array<[number, number]> {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const port of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && port === last[1] + 1) last[1] = port;
    else ranges.push([port, port]);
  }
  return ranges;
}
