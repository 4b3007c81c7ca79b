import { mesosState } from './state.js';
import type { DnsConfig, RecordEvent, RecordSet, RecordType } from './types.js';

/** `/v1/axfr` of Mesos-DNS, key for key. */
export interface AxfrJson {
  TTL: number;
  Serial: number;
  RefreshSeconds: number;
  Mname: string;
  Rname: string;
  Domain: string;
  Records: {
    As: Record<string, string[]>;
    AAAAs: Record<string, string[]>;
    SRVs: Record<string, string[]>;
  };
}

export function toAxfr(records: RecordSet, config: DnsConfig, serial: number): AxfrJson {
  return {
    TTL: config.TTL,
    Serial: serial,
    RefreshSeconds: config.RefreshSeconds,
    Mname: config.SOAMname,
    Rname: config.SOARname,
    Domain: config.Domain,
    Records: {
      As: Object.fromEntries(records.a),
      AAAAs: Object.fromEntries(records.aaaa),
      SRVs: Object.fromEntries(records.srv),
    },
  };
}

/** `/v1/enumerate` of Mesos-DNS. */
export interface EnumerateJson {
  frameworks: {
    tasks: { name: string; id: string; records: { name: string; host: string; rtype: RecordType }[] }[];
    name: string;
  }[];
}

/**
 * `/v1/enumerate` from the generator's events: every framework of the state (also those without tasks), each
 * task that got records, and under it only the records it inserted first (as Mesos-DNS lists them).
 */
export function toEnumerate(state: unknown, events: Iterable<RecordEvent>): EnumerateJson {
  const frameworks: EnumerateJson['frameworks'] = mesosState(state).frameworks.map((framework) => ({
    tasks: [],
    name: framework.name,
  }));
  const byName = new Map<string, EnumerateJson['frameworks'][number]>();
  for (const framework of frameworks) if (!byName.has(framework.name)) byName.set(framework.name, framework);
  const tasks = new Map<object, EnumerateJson['frameworks'][number]['tasks'][number]>();
  for (const event of events) {
    if (!event.task || event.framework === undefined) continue;
    let task = tasks.get(event.task);
    if (!task) {
      task = { name: event.task.name, id: event.task.id, records: [] };
      tasks.set(event.task, task);
      byName.get(event.framework)?.tasks.push(task);
    }
    if (event.inserted) task.records.push({ name: event.name, host: event.value, rtype: event.type });
  }
  return { frameworks };
}

/** Zone-file-like lines (`name TTL IN TYPE value`), names sorted, values in Mesos-DNS's order. */
export function zoneLines(records: RecordSet, config: DnsConfig): string[] {
  const rows: [string, number, string][] = [];
  const types: [RecordType, Map<string, string[]>][] = [
    ['A', records.a],
    ['AAAA', records.aaaa],
    ['SRV', records.srv],
  ];
  types.forEach(([type, map], order) => {
    for (const [name, values] of map) {
      for (const value of values) {
        let data = value;
        if (type === 'SRV') {
          const colon = value.lastIndexOf(':');
          data = `0 ${config.SRVRecordDefaultWeight} ${value.slice(colon + 1)} ${value.slice(0, colon)}`;
        }
        rows.push([name, order, `${name} ${config.TTL} IN ${type} ${data}`]);
      }
    }
  });
  // Array.prototype.sort is stable, so values keep their order within a name and type.
  rows.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]));
  return rows.map((row) => row[2]);
}
