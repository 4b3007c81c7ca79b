import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { toAxfr, toEnumerate } from '../../../src/lib/dns/axfr.js';
import { applyDnsOverrides, DEFAULT_DNS_CONFIG, parseDnsConfig } from '../../../src/lib/dns/config.js';
import { generateRecords, masterRecordsInto } from '../../../src/lib/dns/records.js';
import type { DnsConfig, IpSource, RecordEvent, RecordSet, RecordType } from '../../../src/lib/dns/types.js';

const FAKE = JSON.parse(
  readFileSync(new URL('../../fixtures/mesos-dns/fake.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const HOSTS = new Map([['localhost', ['127.0.0.1']]]);

function config(overrides: Partial<DnsConfig> = {}): DnsConfig {
  return { ...parseDnsConfig({}, 'test'), ...overrides };
}

/** As Mesos-DNS's testRecordGenerator: leader overwritten, RFC 952, listener 127.0.0.1. */
function upstreamGenerator(ipSources: IpSource[]): RecordSet {
  const state = { ...FAKE, leader: 'master@144.76.157.37:5050' };
  return generateRecords(
    state,
    config({
      Masters: ['144.76.157.37:5050'],
      SOAMname: 'mesos-dns.mesos.',
      Listener: '127.0.0.1',
      IPSources: ipSources,
      EnforceRFC952: true,
    }),
    { hosts: HOSTS },
  );
}

const sorted = (values: string[] | undefined) => [...(values ?? [])].sort();

describe('TestInsertState (Mesos-DNS generator_test.go) on fake.json', () => {
  const rg = upstreamGenerator(['netinfo', 'docker', 'mesos', 'host']);
  const rgDocker = upstreamGenerator(['docker', 'host']);
  const rgMesos = upstreamGenerator(['mesos', 'host']);
  const rgSlave = upstreamGenerator(['host']);
  const rgNetinfo = upstreamGenerator(['netinfo']);
  const cases: [string, RecordSet, 'a' | 'aaaa' | 'srv', string, string[]][] = [
    ['all', rg, 'a', 'big-dog.marathon.mesos.', ['10.3.0.1']],
    ['all', rg, 'a', 'liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2']],
    ['all', rg, 'a', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['all', rg, 'a', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['all', rg, 'a', 'nginx.marathon.mesos.', ['10.3.0.3']],
    ['all', rg, 'a', 'poseidon.marathon.mesos.', []],
    ['all', rg, 'a', 'poseidon.marathon.slave.mesos.', []],
    ['all', rg, 'a', 'master.mesos.', ['144.76.157.37']],
    ['all', rg, 'a', 'master0.mesos.', ['144.76.157.37']],
    ['all', rg, 'a', 'leader.mesos.', ['144.76.157.37']],
    ['all', rg, 'a', 'slave.mesos.', ['1.2.3.10', '1.2.3.11', '1.2.3.12']],
    ['all', rg, 'a', 'some-box.chronoswithaspaceandmixe.mesos.', ['1.2.3.11']],
    ['all', rg, 'a', 'marathon.mesos.', ['1.2.3.11']],
    ['all', rg, 'aaaa', 'toy-store.ipv6-framework.mesos.', ['fd01:b::1:8000:2']],
    ['all', rg, 'aaaa', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['all', rg, 'aaaa', 'ipv6-framework.mesos.', ['2001:db8::1']],
    ['all', rg, 'aaaa', 'slave.mesos.', ['2001:db8::1']],
    [
      'all',
      rg,
      'srv',
      '_big-dog._tcp.marathon.mesos.',
      ['big-dog-4dfjd-0.marathon.mesos.:80', 'big-dog-4dfjd-0.marathon.mesos.:443'],
    ],
    ['all', rg, 'srv', '_poseidon._tcp.marathon.mesos.', []],
    ['all', rg, 'srv', '_leader._tcp.mesos.', ['leader.mesos.:5050']],
    [
      'all',
      rg,
      'srv',
      '_liquor-store._tcp.marathon.mesos.',
      [
        'liquor-store-4dfjd-0.marathon.mesos.:80',
        'liquor-store-4dfjd-0.marathon.mesos.:443',
        'liquor-store-zasmd-1.marathon.mesos.:80',
        'liquor-store-zasmd-1.marathon.mesos.:443',
      ],
    ],
    ['all', rg, 'srv', '_liquor-store._udp.marathon.mesos.', []],
    ['all', rg, 'srv', '_liquor-store.marathon.mesos.', []],
    [
      'all',
      rg,
      'srv',
      '_https._liquor-store._tcp.marathon.mesos.',
      ['liquor-store-4dfjd-0.marathon.mesos.:443', 'liquor-store-zasmd-1.marathon.mesos.:443'],
    ],
    [
      'all',
      rg,
      'srv',
      '_http._liquor-store._tcp.marathon.mesos.',
      ['liquor-store-4dfjd-0.marathon.mesos.:80', 'liquor-store-zasmd-1.marathon.mesos.:80'],
    ],
    [
      'all',
      rg,
      'srv',
      '_car-store._tcp.marathon.mesos.',
      ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'],
    ],
    [
      'all',
      rg,
      'srv',
      '_car-store._udp.marathon.mesos.',
      ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'],
    ],
    ['all', rg, 'srv', '_slave._tcp.mesos.', ['slave.mesos.:5051']],
    ['all', rg, 'srv', '_framework._tcp.marathon.mesos.', ['marathon.mesos.:25501']],
    ['host', rgSlave, 'a', 'liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['host', rgSlave, 'a', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['host', rgSlave, 'a', 'nginx.marathon.mesos.', ['1.2.3.11']],
    ['host', rgSlave, 'a', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['host', rgSlave, 'aaaa', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
    ['host', rgSlave, 'aaaa', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['mesos', rgMesos, 'a', 'liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['mesos', rgMesos, 'a', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['mesos', rgMesos, 'a', 'nginx.marathon.mesos.', ['10.3.0.3']],
    ['mesos', rgMesos, 'a', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['mesos', rgMesos, 'aaaa', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
    ['mesos', rgMesos, 'aaaa', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['netinfo', rgNetinfo, 'a', 'toy-store.ipv6-framework.mesos.', ['12.0.1.2', '12.0.1.3']],
    ['netinfo', rgNetinfo, 'aaaa', 'toy-store.ipv6-framework.mesos.', ['fd01:b::1:8000:2']],
    ['netinfo', rgNetinfo, 'aaaa', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['docker', rgDocker, 'a', 'liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2']],
    ['docker', rgDocker, 'a', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['docker', rgDocker, 'a', 'nginx.marathon.mesos.', ['1.2.3.11']],
    ['docker', rgDocker, 'a', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['docker', rgDocker, 'aaaa', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
    ['docker', rgDocker, 'aaaa', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
  ];
  it.each(cases)('%s: %s %s %s', (_variant, records, kind, name, want) => {
    expect(sorted(records[kind].get(name))).toEqual(sorted(want));
  });

  it('fake.json yields no warnings and the nopid framework resolves through hosts', () => {
    expect(rg.warnings).toEqual([]);
    expect(rg.a.get('nopid.mesos.')).toEqual(['127.0.0.1']);
    expect(rg.srv.has('_framework._tcp.nopid.mesos.')).toBe(false);
    expect(rg.a.get('mesos-dns.mesos.')).toEqual(['127.0.0.1']);
  });

  it('legacy DiscoveryInfo records keep the raw name', () => {
    expect(rg.a.get('liquor.store.marathon.mesos.')).toEqual(['10.3.0.1', '10.3.0.2']);
    expect(rg.a.get('liquor.store-4dfjd-0.marathon.mesos.')).toEqual(['10.3.0.1']);
    expect(rg.srv.get('_liquor.store._tcp.marathon.mesos.')).toContain(
      'liquor.store-4dfjd-0.marathon.mesos.:80',
    );
  });

  it('DiscoveryInfo tasks have resource-port SRVs only under .slave', () => {
    expect(sorted(rg.srv.get('_liquor-store._tcp.marathon.slave.mesos.'))).toEqual(
      sorted([
        'liquor-store-4dfjd-0.marathon.slave.mesos.:31354',
        'liquor-store-4dfjd-0.marathon.slave.mesos.:31355',
        'liquor-store-zasmd-1.marathon.slave.mesos.:31737',
        'liquor-store-zasmd-1.marathon.slave.mesos.:31738',
      ]),
    );
  });

  it('tasks without ports get A records only', () => {
    const names = [...rg.srv.keys()].filter((name) => name.includes('nginx'));
    expect(names).toEqual([]);
    expect(rg.a.get('nginx.marathon.slave.mesos.')).toEqual(['1.2.3.11']);
  });
});

describe('TestMasterRecord (Mesos-DNS generator_test.go)', () => {
  type RR = [string, string, RecordType];
  const cases: [string[], string, RR[]][] = [
    [[], '', []],
    [[], '@', []],
    [[], '1@', []],
    [[], '@2', []],
    [[], '3@4', []],
    [
      [],
      '5@0.0.0.6:7',
      [
        ['leader.foo.com.', '0.0.0.6', 'A'],
        ['master.foo.com.', '0.0.0.6', 'A'],
        ['master0.foo.com.', '0.0.0.6', 'A'],
        ['_leader._tcp.foo.com.', 'leader.foo.com.:7', 'SRV'],
        ['_leader._udp.foo.com.', 'leader.foo.com.:7', 'SRV'],
      ],
    ],
    [
      [],
      '5@[2001:db8::1]:7',
      [
        ['leader.foo.com.', '2001:db8::1', 'AAAA'],
        ['master.foo.com.', '2001:db8::1', 'AAAA'],
        ['master0.foo.com.', '2001:db8::1', 'AAAA'],
        ['_leader._tcp.foo.com.', 'leader.foo.com.:7', 'SRV'],
        ['_leader._udp.foo.com.', 'leader.foo.com.:7', 'SRV'],
      ],
    ],
    [
      ['0.0.0.6:7'],
      '5@0.0.0.6:7',
      [
        ['leader.foo.com.', '0.0.0.6', 'A'],
        ['master.foo.com.', '0.0.0.6', 'A'],
        ['master0.foo.com.', '0.0.0.6', 'A'],
        ['_leader._tcp.foo.com.', 'leader.foo.com.:7', 'SRV'],
        ['_leader._udp.foo.com.', 'leader.foo.com.:7', 'SRV'],
      ],
    ],
    ...[
      ['0.0.0.8:9'],
      ['0.0.0.8:9', '0.0.0.8:9'],
      ['0.0.0.8:9', '0.0.0.6:7'],
      ['0.0.0.8:9', '0.0.0.6:7', '0.0.0.6:7'],
    ].map((masters): [string[], string, RR[]] => [
      masters,
      '5@0.0.0.6:7',
      [
        ['leader.foo.com.', '0.0.0.6', 'A'],
        ['master.foo.com.', '0.0.0.6', 'A'],
        ['master.foo.com.', '0.0.0.8', 'A'],
        ['master1.foo.com.', '0.0.0.6', 'A'],
        ['master0.foo.com.', '0.0.0.8', 'A'],
        ['_leader._tcp.foo.com.', 'leader.foo.com.:7', 'SRV'],
        ['_leader._udp.foo.com.', 'leader.foo.com.:7', 'SRV'],
      ],
    ]),
    [
      ['0.0.0.8:9', '0.0.0.6:7', '0.0.0.7:0'],
      '5@0.0.0.6:7',
      [
        ['leader.foo.com.', '0.0.0.6', 'A'],
        ['master.foo.com.', '0.0.0.6', 'A'],
        ['master.foo.com.', '0.0.0.8', 'A'],
        ['master.foo.com.', '0.0.0.7', 'A'],
        ['master0.foo.com.', '0.0.0.8', 'A'],
        ['master1.foo.com.', '0.0.0.6', 'A'],
        ['master2.foo.com.', '0.0.0.7', 'A'],
        ['_leader._tcp.foo.com.', 'leader.foo.com.:7', 'SRV'],
        ['_leader._udp.foo.com.', 'leader.foo.com.:7', 'SRV'],
      ],
    ],
    [
      ['0.0.0.8:9', '0.0.0.6:7', '[2001:db8::1]:0'],
      '5@0.0.0.6:7',
      [
        ['leader.foo.com.', '0.0.0.6', 'A'],
        ['master.foo.com.', '0.0.0.6', 'A'],
        ['master.foo.com.', '0.0.0.8', 'A'],
        ['master.foo.com.', '2001:db8::1', 'AAAA'],
        ['master0.foo.com.', '0.0.0.8', 'A'],
        ['master1.foo.com.', '0.0.0.6', 'A'],
        ['master2.foo.com.', '2001:db8::1', 'AAAA'],
        ['_leader._tcp.foo.com.', 'leader.foo.com.:7', 'SRV'],
        ['_leader._udp.foo.com.', 'leader.foo.com.:7', 'SRV'],
      ],
    ],
  ];
  it.each(cases)('masters %j, leader %j', (masters, leader, want) => {
    const got = new Set<string>();
    const add = (type: RecordType, name: string, value: string) => {
      const key = `${type} ${name} ${value}`;
      if (got.has(key)) return false;
      got.add(key);
      return true;
    };
    masterRecordsInto(add, [], leader, masters, '.foo.com.');
    expect([...got].sort()).toEqual(want.map(([name, value, type]) => `${type} ${name} ${value}`).sort());
  });

  it('in a full state, the leader missing from the masters list comes last and is warned about', () => {
    const records = generateRecords(
      FAKE,
      config({ Masters: ['144.76.157.37:5050'], Listener: '127.0.0.1' }),
      {
        hosts: HOSTS,
      },
    );
    expect(records.a.get('master0.mesos.')).toEqual(['144.76.157.37']);
    expect(records.a.get('master1.mesos.')).toEqual(['1.2.3.4']);
    expect(records.a.get('master.mesos.')).toEqual(['1.2.3.4', '144.76.157.37']);
    expect(records.warnings.join('\n')).toContain('not in the masters list');
  });
});

describe('name-server record (TestParseState_SOAMname)', () => {
  const state = { leader: 'foo@0.1.2.3:45' };
  it.each([
    ['4.5.6.7', 'jdef123.mesos.', 'a', ['4.5.6.7']],
    ['2001:db8::1', 'ack456.mesos.', 'aaaa', ['2001:db8::1']],
    ['127.0.0.1', 'ns1.mesos.', 'a', ['127.0.0.1']],
  ] as const)('listener %s -> %s', (listener, mname, kind, want) => {
    const records = generateRecords(state, config({ Listener: listener, SOAMname: mname }));
    expect(records[kind].get(mname)).toEqual(want);
  });

  it('0.0.0.0 stands for the given interface addresses', () => {
    const records = generateRecords(state, config(), { interfaceAddresses: ['10.0.0.5', 'fe80::1'] });
    expect(records.a.get('ns1.mesos.')).toEqual(['10.0.0.5']);
    expect(records.aaaa.get('ns1.mesos.')).toEqual(['fe80::1']);
  });
});

function task(overrides: Record<string, unknown>): Record<string, unknown> {
  return { id: 'app.1', name: 'app', slave_id: 'S-0', state: 'TASK_RUNNING', statuses: [], ...overrides };
}

function state(tasks: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    leader: 'master@10.0.0.1:5050',
    slaves: [{ id: 'S-0', hostname: 'a0', pid: 'slave(1)@10.0.1.1:5051' }],
    frameworks: [{ name: 'marathon', pid: 'scheduler@10.0.0.2:8080', tasks }],
    ...extra,
  };
}

describe('task rules', () => {
  it('Marathon group apps (task name app.group) become app-group', () => {
    const records = generateRecords(state([task({ name: 'web.frontend' })]), config());
    expect(records.a.get('web-frontend.marathon.mesos.')).toEqual(['10.0.1.1']);
  });

  it('expands port ranges into SRVs on tcp and udp, with and without .slave', () => {
    const records = generateRecords(
      state([task({ resources: { ports: '[31000-31002, 31010-31010]' } })]),
      config(),
    );
    const hash = records.srv.get('_app._tcp.marathon.mesos.')![0]!.split('.')[0];
    expect(records.srv.get('_app._tcp.marathon.mesos.')).toEqual(
      ['31000', '31001', '31002', '31010'].map((port) => `${hash}.marathon.slave.mesos.:${port}`),
    );
    expect(records.srv.get('_app._udp.marathon.slave.mesos.')).toHaveLength(4);
  });

  it('a DiscoveryInfo port without protocol gives both _tcp and _udp, named port too', () => {
    const discovery = { name: 'API', ports: { ports: [{ number: 9000, name: 'Admin' }] } };
    const records = generateRecords(state([task({ discovery })]), config());
    for (const proto of ['tcp', 'udp']) {
      expect(records.srv.get(`_api._${proto}.marathon.mesos.`)?.[0]).toMatch(
        /^api-\w{5}-0\.marathon\.mesos\.:9000$/,
      );
      expect(records.srv.get(`_admin._api._${proto}.marathon.mesos.`)).toHaveLength(1);
    }
    // The raw (legacy) name is used as is, uppercase included.
    expect(records.a.get('API.marathon.slave.mesos.')).toEqual(['10.0.1.1']);
  });

  it('uses the latest TASK_RUNNING status by timestamp, whatever the order', () => {
    const label = (ip: string) => [{ key: 'Docker.NetworkSettings.IPAddress', value: ip }];
    const statuses = [
      { state: 'TASK_RUNNING', timestamp: 3, labels: label('10.9.0.3') },
      { state: 'TASK_RUNNING', timestamp: 1, labels: label('10.9.0.1') },
      { state: 'TASK_KILLING', timestamp: 9, labels: label('10.9.0.9') },
    ];
    const records = generateRecords(state([task({ statuses })]), config({ IPSources: ['docker'] }));
    expect(records.a.get('app.marathon.mesos.')).toEqual(['10.9.0.3']);
  });

  it('no records for tasks that are not running or run on an unknown agent', () => {
    const records = generateRecords(
      state([task({ state: 'TASK_STAGING' }), task({ id: 'b', name: 'other', slave_id: 'S-9' })]),
      config(),
    );
    expect([...records.a.keys()].filter((name) => name.includes('app') || name.includes('other'))).toEqual(
      [],
    );
  });

  it('with no IP from any source, a task still gets its .slave records', () => {
    const records = generateRecords(state([task({})]), config({ IPSources: ['netinfo'] }));
    expect(records.a.has('app.marathon.mesos.')).toBe(false);
    expect(records.a.get('app.marathon.slave.mesos.')).toEqual(['10.0.1.1']);
  });

  it('many tasks with one name add values to one name, deduplicated', () => {
    const tasks = Array.from({ length: 40 }, (_, i) => task({ id: `app.${i}` }));
    const records = generateRecords(state(tasks), config());
    expect(records.a.get('app.marathon.mesos.')).toEqual(['10.0.1.1']);
    expect(
      [...records.a.keys()].filter((name) => /^app-\w{5}-0\.marathon\.mesos\.$/.test(name)),
    ).toHaveLength(40);
  });

  it('skips broken entities with warnings and still makes records for the good ones', () => {
    const broken = state(
      [task({}), task({ id: 7 }), task({ id: 'c', name: 'cc', resources: { ports: 5 } })],
      {
        slaves: [
          { id: 'S-0', pid: 'slave(1)@10.0.1.1:5051' },
          { id: 'S-1', pid: 'garbage-without-at' },
          { id: 'S-2', pid: null },
          { id: 'S-3', pid: 'slave(1)@10.0.1.4:http' },
          { id: 'S-4', pid: 'slave(1)@agent-four.example:5051' },
        ],
      },
    );
    (broken.frameworks as unknown[]).push({
      name: 'bad',
      pid: 'nope',
      tasks: [task({ id: 'd', name: 'dd' })],
    });
    const records = generateRecords(broken, config());
    expect(records.a.get('app.marathon.mesos.')).toEqual(['10.0.1.1']);
    expect(records.a.get('dd.bad.mesos.')).toEqual(['10.0.1.1']);
    expect(records.a.has('bad.mesos.')).toBe(false);
    expect(records.a.get('slave.mesos.')).toEqual(['10.0.1.1']);
    const warnings = records.warnings.join('\n');
    for (const text of [
      'garbage-without-at',
      'S-2',
      'S-3',
      'agent-four.example',
      'tasks[1]',
      'resources.ports',
      '"nope"',
    ]) {
      expect(warnings).toContain(text);
    }
  });

  it('a state without leader is rejected as a whole', () => {
    expect(() => generateRecords({ slaves: [] }, config())).toThrow(/no leader/);
    expect(() => generateRecords([], config())).toThrow(/JSON object/);
  });

  it('reports every record with its rule, including duplicates', () => {
    const events: RecordEvent[] = [];
    generateRecords(FAKE, config({ Listener: '127.0.0.1' }), {
      hosts: HOSTS,
      onRecord: (e) => events.push(e),
    });
    const big = events.filter((e) => e.name === 'big-dog.marathon.mesos.');
    expect(big).toEqual([
      expect.objectContaining({ rule: 'task', ipSource: 'host', inserted: true, framework: 'marathon' }),
    ]);
    expect(big[0]!.task).toEqual({
      id: 'liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5',
      name: 'big.dog2',
      agentId: expect.any(String),
    });
    expect(events.some((e) => e.rule === 'nameserver')).toBe(true);
    expect(events.some((e) => e.legacy && e.name === 'liquor.store.marathon.mesos.')).toBe(true);
    expect(events.some((e) => !e.inserted && e.name === 'slave.mesos.')).toBe(false);
  });
});

describe('axfr and enumerate', () => {
  it('axfr has exactly the Mesos-DNS keys', () => {
    const c = config({ Listener: '127.0.0.1' });
    const axfr = toAxfr(generateRecords(FAKE, c, { hosts: HOSTS }), c, 42);
    expect(Object.keys(axfr)).toEqual([
      'TTL',
      'Serial',
      'RefreshSeconds',
      'Mname',
      'Rname',
      'Domain',
      'Records',
    ]);
    expect(axfr).toMatchObject({
      TTL: 60,
      Serial: 42,
      RefreshSeconds: 60,
      Mname: 'ns1.mesos.',
      Rname: 'root.ns1.mesos.',
      Domain: 'mesos',
    });
    expect(Object.keys(axfr.Records)).toEqual(['As', 'AAAAs', 'SRVs']);
    expect(axfr.Records.SRVs['_slave._tcp.mesos.']).toEqual(['slave.mesos.:5051']);
  });

  it('enumerate lists every framework and only records a task inserted first', () => {
    const events: RecordEvent[] = [];
    generateRecords(FAKE, config({ Listener: '127.0.0.1' }), {
      hosts: HOSTS,
      onRecord: (e) => events.push(e),
    });
    const data = toEnumerate(FAKE, events);
    expect(data.frameworks.map((f) => f.name)).toEqual(
      FAKE.frameworks && (FAKE.frameworks as { name: string }[]).map((f) => f.name),
    );
    expect(data.frameworks.find((f) => f.name === 'no pid')?.tasks).toEqual([]);
    const marathon = data.frameworks.find((f) => f.name === 'marathon')!;
    expect(marathon.tasks.map((t) => t.name)).not.toContain('poseidon');
    const liquor = marathon.tasks.find((t) => t.name === 'liquor.store')!;
    expect(liquor.records).toContainEqual({
      name: 'liquor-store.marathon.mesos.',
      host: '1.2.3.11',
      rtype: 'A',
    });
  });

  it('a record two tasks make is listed under the first one only', () => {
    const events: RecordEvent[] = [];
    const twins = state([task({}), task({ id: 'app.2' })]);
    generateRecords(twins, config(), { onRecord: (e) => events.push(e) });
    const [first, second] = toEnumerate(twins, events).frameworks[0]!.tasks;
    const shared = { name: 'app.marathon.slave.mesos.', host: '10.0.1.1', rtype: 'A' };
    expect(first!.records).toContainEqual(shared);
    expect(second!.records).not.toContainEqual(shared);
    expect(second!.records.length).toBeGreaterThan(0);
  });
});

describe('config feeds the generator', () => {
  it('domain and RFC 1123 default', () => {
    const c = applyDnsOverrides(DEFAULT_DNS_CONFIG, { domain: 'DC.Example', listen: '127.0.0.1' });
    const records = generateRecords(FAKE, c, { hosts: HOSTS });
    expect(records.a.get('some-box.chronoswithaspaceandmixedcase-2.0.1.dc.example.')).toEqual(['1.2.3.11']);
  });
});
