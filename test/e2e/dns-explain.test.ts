import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir } from '../helpers/cli.js';

const FAKE = join(ROOT, 'test/fixtures/mesos-dns/fake.json');
const env = () => ({ DCOS_DIR: tempDcosDir() });

describe('dcos dns explain', () => {
  it('--json explains each record: rule, framework, task and IP source', async () => {
    const result = await runCli(
      [
        'dns',
        'explain',
        'liquor-store.marathon.mesos',
        '--state',
        FAKE,
        '--ip-sources',
        'docker,host',
        '--json',
      ],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    const explanation = JSON.parse(result.stdout) as {
      name: string;
      records: { type: string; value: string; rule: string; framework: string; ipSource: string }[];
      reasons: unknown[];
    };
    expect(explanation.name).toBe('liquor-store.marathon.mesos.');
    expect(explanation.reasons).toEqual([]);
    expect(explanation.records).toEqual([
      expect.objectContaining({
        type: 'A',
        value: '10.3.0.1',
        rule: 'task',
        framework: 'marathon',
        ipSource: 'docker',
      }),
      expect.objectContaining({
        type: 'A',
        value: '10.3.0.2',
        rule: 'task',
        framework: 'marathon',
        ipSource: 'docker',
      }),
    ]);
  });

  it('exits 0 for a name without records and says why, with the nearest names (state on stdin)', async () => {
    const state = {
      leader: 'master@10.0.0.1:5050',
      slaves: [{ id: 'S-1', hostname: 'agent1', pid: 'slave(1)@10.0.1.1:5051' }],
      frameworks: [
        {
          name: 'marathon',
          pid: 'scheduler(1)@10.0.0.2:8080',
          tasks: [{ id: 'grp_web.1', name: 'web.grp', slave_id: 'S-1', state: 'TASK_RUNNING' }],
        },
      ],
    };
    const result = await runCli(['dns', 'explain', 'web.marathon.mesos', '--state', '-'], {
      env: env(),
      input: JSON.stringify(state),
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('web.marathon.mesos.: no records');
    expect(result.stdout).toContain('the name "web.grp" becomes the label "web-grp"');
    expect(lines).toContain('    Try web-grp.marathon.mesos.');
    expect(lines.slice(lines.indexOf('Nearest names:') + 1)[0]).toBe('  web-grp.marathon.mesos.');
  });

  it.each([
    [['dns', 'explain', 'has..empty.label', '--state', FAKE], 'is not a DNS name'],
    [
      ['dns', 'explain', 'web.marathon.mesos', '--state', FAKE, '--ip-sources', 'bogus'],
      'unknown source "bogus"',
    ],
    [['dns', 'explain', '--state', FAKE], 'Missing 1 required arg'],
  ])('exits 1 for bad input: %j', async (args, message) => {
    const result = await runCli(args, { env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });
});
