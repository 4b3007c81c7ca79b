import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { UsageError } from '../../../src/lib/errors.js';
import { parseDnsConfig } from '../../../src/lib/dns/config.js';
import { explainName, explanationLines, type Reason } from '../../../src/lib/dns/explain.js';
import type { DnsConfig } from '../../../src/lib/dns/types.js';

const FAKE = JSON.parse(
  readFileSync(new URL('../../fixtures/mesos-dns/fake.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const HOSTS = new Map([['localhost', ['127.0.0.1']]]);

function config(overrides: Partial<DnsConfig> = {}): DnsConfig {
  return { ...parseDnsConfig({}, 'test'), ...overrides };
}

const AGENT = { id: '20240101-000000-1-5050-S1', hostname: 'agent1', pid: 'slave(1)@10.0.1.1:5051' };

function runningStatus(labels: { key: string; value: string }[] = []) {
  return { state: 'TASK_RUNNING', timestamp: 1, labels };
}

function task(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `${name}.0f1e2d3c`,
    name,
    slave_id: AGENT.id,
    state: 'TASK_RUNNING',
    statuses: [runningStatus()],
    ...extra,
  };
}

function state(
  tasks: Record<string, unknown>[],
  options: { framework?: string; slaves?: unknown[] } = {},
): Record<string, unknown> {
  return {
    leader: 'master@10.0.0.1:5050',
    slaves: options.slaves ?? [AGENT],
    frameworks: [{ name: options.framework ?? 'marathon', pid: 'scheduler(1)@10.0.0.2:8080', tasks }],
  };
}

const codes = (reasons: Reason[]) => reasons.map((reason) => reason.code);

describe('explainName: names with records', () => {
  it('gives rule, framework, task, agent and IP source of each record (fake.json)', () => {
    const explanation = explainName(
      FAKE,
      config({ IPSources: ['netinfo', 'docker', 'mesos', 'host'] }),
      'Liquor-Store.Marathon.Mesos',
      { hosts: HOSTS },
    );
    expect(explanation.name).toBe('liquor-store.marathon.mesos.');
    expect(explanation.reasons).toEqual([]);
    expect(explanation.candidates).toEqual([]);
    expect(explanation.records.map((record) => [record.type, record.value])).toEqual([
      ['A', '10.3.0.1'],
      ['A', '10.3.0.2'],
    ]);
    const [first] = explanation.records;
    expect(first).toMatchObject({
      rule: 'task',
      duplicate: false,
      framework: 'marathon',
      task: {
        id: 'liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5',
        name: 'liquor.store',
        agentId: '20140803-125133-3041283216-5050-2410-0',
      },
      agent: { id: '20140803-125133-3041283216-5050-2410-0', ips: ['1.2.3.11'] },
      // The Docker label gave the address: netinfo, tried first, had none.
      ipSource: 'docker',
      skippedSources: ['netinfo'],
    });
    expect(first!.legacy).toBeUndefined();
  });

  it('marks the records made from a raw DiscoveryInfo name as legacy', () => {
    const explanation = explainName(FAKE, config(), 'liquor.store.marathon.mesos', { hosts: HOSTS });
    expect(explanation.records.length).toBeGreaterThan(0);
    expect(explanation.records.every((record) => record.legacy === true)).toBe(true);
    expect(explanation.records[0]).toMatchObject({ rule: 'task', task: { name: 'liquor.store' } });
  });

  it('names the first IP source when it gave the address, without skipped sources', () => {
    const explanation = explainName(FAKE, config({ IPSources: ['mesos', 'host'] }), 'nginx.marathon.mesos', {
      hosts: HOSTS,
    });
    expect(explanation.records).toHaveLength(1);
    expect(explanation.records[0]).toMatchObject({ value: '10.3.0.3', ipSource: 'mesos' });
    expect(explanation.records[0]!.skippedSources).toBeUndefined();
  });

  it('reports a record a second task made again as a duplicate of the first', () => {
    const explanation = explainName(
      state([task('web', { id: 'web.1' }), task('web', { id: 'web.2' })]),
      config(),
      'web.marathon.slave.mesos',
    );
    expect(explanation.records.map((record) => [record.value, record.duplicate])).toEqual([
      ['10.0.1.1', false],
      ['10.0.1.1', true],
    ]);
    expect(explanation.records[1]).toMatchObject({
      rule: 'task-agent',
      task: { id: 'web.2' },
      duplicateOf: { rule: 'task-agent', taskId: 'web.1' },
    });
    expect(explanationLines(explanation)[0]).toBe('web.marathon.slave.mesos.: 1 record');
  });
});

describe('explainName: why a name has no record', () => {
  it('(a) the task exists but is not running', () => {
    const explanation = explainName(
      state([task('web', { state: 'TASK_FAILED' })]),
      config(),
      'web.marathon.mesos',
    );
    expect(explanation.records).toEqual([]);
    expect(explanation.reasons).toEqual([
      {
        code: 'not-running',
        task: {
          id: 'web.0f1e2d3c',
          name: 'web',
          state: 'TASK_FAILED',
          agentId: AGENT.id,
          framework: 'marathon',
        },
      },
    ]);
    expect(explanationLines(explanation)).toContain(
      '- task "web" (web.0f1e2d3c) of framework "marathon" is TASK_FAILED; only TASK_RUNNING tasks get records.',
    );
  });

  it('(a) fake.json: the killed task poseidon', () => {
    const explanation = explainName(FAKE, config(), 'poseidon.marathon.mesos', { hosts: HOSTS });
    expect(explanation.reasons[0]).toMatchObject({ code: 'not-running', task: { state: 'TASK_KILLED' } });
  });

  it('(b) the raw name is queried: my_app sanitises to my-app', () => {
    const explanation = explainName(state([task('my_app')]), config(), 'my_app.marathon.mesos');
    expect(explanation.reasons).toEqual([
      expect.objectContaining({
        code: 'label-differs',
        queried: 'my_app',
        raw: 'my_app',
        label: 'my-app',
        discoveryName: false,
        use: 'my-app.marathon.mesos.',
      }),
    ]);
    expect(explanation.candidates[0]).toBe('my-app.marathon.mesos.');
  });

  it('(b) a Marathon group app /grp/web runs as web.grp: label web-grp', () => {
    const s = state([task('web.grp')]);
    for (const query of ['web.marathon.mesos', 'web.grp.marathon.mesos', '_web._tcp.marathon.mesos']) {
      const explanation = explainName(s, config(), query);
      expect(codes(explanation.reasons), query).toEqual(['label-differs']);
      expect(explanation.reasons[0], query).toMatchObject({ raw: 'web.grp', label: 'web-grp' });
    }
    expect(explainName(s, config(), '_web._tcp.marathon.mesos').reasons[0]).toMatchObject({
      use: '_web-grp._tcp.marathon.mesos.',
    });
  });

  it('(b) the task name is queried but the records use the DiscoveryInfo name (fake.json big.dog2)', () => {
    const explanation = explainName(FAKE, config(), 'big-dog2.marathon.mesos', { hosts: HOSTS });
    expect(explanation.reasons).toEqual([
      expect.objectContaining({
        code: 'label-differs',
        raw: 'big.dog',
        label: 'big-dog',
        discoveryName: true,
        use: 'big-dog.marathon.mesos.',
      }),
    ]);
  });

  it('(c) RFC 952 cuts a label to 24 characters and drops leading digits', () => {
    const long = 'averyveryverylongapplicationname';
    const s = state([task(long), task('1st-app')]);
    const rfc952 = config({ EnforceRFC952: true });
    const explanation = explainName(s, rfc952, `${long}.marathon.mesos`);
    expect(explanation.reasons).toEqual([
      expect.objectContaining({
        code: 'rfc952-truncated',
        full: long,
        label: 'averyveryverylongapplica',
        use: 'averyveryverylongapplica.marathon.mesos.',
      }),
    ]);
    expect(explainName(s, rfc952, '1st-app.marathon.mesos').reasons).toEqual([
      expect.objectContaining({ code: 'rfc952-truncated', full: '1st-app', label: 'st-app' }),
    ]);
    // Without EnforceRFC952 the full name has records.
    expect(explainName(s, config(), `${long}.marathon.mesos`).records).not.toEqual([]);
  });

  it('(d) the task runs on an agent the state does not list, or one that was skipped', () => {
    const missing = explainName(
      state([task('web', { slave_id: 'gone-S9' })]),
      config(),
      'web.marathon.slave.mesos',
    );
    expect(missing.reasons).toEqual([
      expect.objectContaining({
        code: 'unknown-agent',
        listed: false,
        task: expect.objectContaining({ agentId: 'gone-S9' }),
      }),
    ]);
    const broken = explainName(
      state([task('web')], { slaves: [{ ...AGENT, pid: 'garbage-without-at' }] }),
      config(),
      'web.marathon.mesos',
    );
    expect(codes(broken.reasons)).toEqual(['unknown-agent']);
    expect((broken.reasons[0] as Extract<Reason, { code: 'unknown-agent' }>).warnings).toEqual([
      expect.stringContaining('garbage-without-at'),
    ]);
  });

  it('(e) the task has no address from the configured IP sources', () => {
    const s = state([
      task('web', {
        statuses: [runningStatus([{ key: 'Docker.NetworkSettings.IPAddress', value: '172.17.0.5' }])],
      }),
    ]);
    const explanation = explainName(s, config({ IPSources: ['netinfo', 'mesos'] }), 'web.marathon.mesos');
    expect(explanation.reasons).toEqual([
      expect.objectContaining({
        code: 'no-task-ip',
        configured: ['netinfo', 'mesos'],
        sources: { netinfo: [], docker: ['172.17.0.5'], mesos: [], host: ['10.0.1.1'] },
        alternatives: [
          { source: 'docker', ips: ['172.17.0.5'] },
          { source: 'host', ips: ['10.0.1.1'] },
        ],
      }),
    ]);
    expect(explanation.candidates).toContain('web.marathon.slave.mesos.');
    expect(explanationLines(explanation)).toContain(
      '    --ip-sources netinfo,mesos,docker would give 172.17.0.5 (from docker).',
    );
  });

  it('(f) the framework name sanitises to something else (fake.json chronos)', () => {
    const explanation = explainName(FAKE, config(), 'some-box.chronos.mesos', { hosts: HOSTS });
    expect(explanation.reasons).toEqual([
      expect.objectContaining({
        code: 'framework-differs',
        framework: 'chronos with a space AND MIXED CASE-2.0.1',
        label: 'chronoswithaspaceandmixedcase-2.0.1',
        queried: 'chronos',
        use: 'some-box.chronoswithaspaceandmixedcase-2.0.1.mesos.',
      }),
    ]);
    expect(explanation.candidates[0]).toBe('some-box.chronoswithaspaceandmixedcase-2.0.1.mesos.');
  });

  it('(f) a framework queried as spelt, with no task named as queried', () => {
    const spaced = explainName(state([], { framework: 'My Framework' }), config(), 'web.my-framework.mesos');
    expect(spaced.reasons).toEqual([
      expect.objectContaining({
        code: 'framework-differs',
        framework: 'My Framework',
        label: 'myframework',
        queried: 'my-framework',
        tasks: [],
        use: 'web.myframework.mesos.',
      }),
    ]);
    const underscore = explainName(
      state([], { framework: 'My_Framework' }),
      config(),
      'web.my_framework.mesos',
    );
    expect(underscore.reasons).toEqual([
      expect.objectContaining({ code: 'framework-differs', label: 'my-framework', queried: 'my_framework' }),
    ]);
  });

  it('(g) nothing in the state makes the name: the nearest names instead', () => {
    const explanation = explainName(FAKE, config(), 'nothing.here.mesos', { hosts: HOSTS });
    expect(explanation.reasons).toEqual([{ code: 'no-match' }]);
    expect(explanation.candidates).toHaveLength(5);
    expect(explanation.candidates[0]).toBe('nopid.mesos.');
  });

  it('a running task named as queried, but without this name: its names', () => {
    const explanation = explainName(FAKE, config(), '_nginx._tcp.marathon.mesos', { hosts: HOSTS });
    expect(explanation.reasons).toEqual([
      expect.objectContaining({
        code: 'other-names',
        names: expect.arrayContaining(['nginx.marathon.mesos.', 'nginx.marathon.slave.mesos.']),
      }),
    ]);
  });

  it('reports every reason that applies, in order', () => {
    const explanation = explainName(
      state([task('my_app', { state: 'TASK_LOST' })]),
      config(),
      'my_app.marathon.mesos',
    );
    expect(codes(explanation.reasons)).toEqual(['not-running', 'label-differs']);
  });
});

describe('explainName: names the Mesos domain does not hold', () => {
  it('a name outside the domain is forwarded, or refused without ExternalOn', () => {
    const forwarded = explainName(FAKE, config(), 'example.com', { hosts: HOSTS });
    expect(forwarded).toMatchObject({
      inDomain: false,
      outside: { action: 'forward', resolvers: ['8.8.8.8'] },
    });
    expect(explainName(FAKE, config({ ExternalOn: false }), 'example.com').outside).toEqual({
      action: 'refuse',
    });
    expect(explanationLines(forwarded)).toEqual([
      'example.com. is outside the domain mesos.',
      'It is forwarded to 8.8.8.8.',
    ]);
  });

  it('the domain itself answers SOA and NS only', () => {
    expect(explainName(FAKE, config(), 'mesos.', { hosts: HOSTS }).reasons).toEqual([{ code: 'zone-apex' }]);
  });

  it.each(['', '.', 'a..mesos', 'has space.mesos', `${'x'.repeat(64)}.mesos`])('rejects %j', (name) => {
    expect(() => explainName(FAKE, config(), name)).toThrow(UsageError);
  });
});
