import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir } from '../helpers/cli.js';

const FAKE = join(ROOT, 'test/fixtures/mesos-dns/fake.json');
const env = () => ({ DCOS_DIR: tempDcosDir() });

function tempFile(name: string, content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dns-records-')), name);
  writeFileSync(file, content);
  return file;
}

describe('dcos dns records', () => {
  it('--json prints the /v1/axfr shape of Mesos-DNS', async () => {
    const result = await runCli(['dns', 'records', '--state', FAKE, '--rfc952', '--json'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    const axfr = JSON.parse(result.stdout) as Record<string, unknown> & {
      Records: Record<string, Record<string, string[]>>;
    };
    expect(Object.keys(axfr)).toEqual([
      'TTL',
      'Serial',
      'RefreshSeconds',
      'Mname',
      'Rname',
      'Domain',
      'Records',
    ]);
    expect(axfr.Domain).toBe('mesos');
    expect(axfr.Records.As!['some-box.chronoswithaspaceandmixe.mesos.']).toEqual(['1.2.3.11']);
    expect(axfr.Records.AAAAs!['slave.mesos.']).toEqual(['2001:db8::1']);
    expect(axfr.Records.SRVs!['_leader._tcp.mesos.']).toEqual(['leader.mesos.:5050']);
  });

  it('prints a sorted zone listing; flags override the config file', async () => {
    const config = tempFile(
      'config.json',
      JSON.stringify({ Domain: 'ignored', TTL: 7, IPSources: ['host'] }),
    );
    const result = await runCli(['dns', 'records', '--state', FAKE, '--config', config, '--domain', 'dc'], {
      env: env(),
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain('car-store.marathon.dc. 7 IN A 1.2.3.11');
    expect(lines).toContain(
      '_car-store._udp.marathon.dc. 7 IN SRV 0 1 31364 car-store-zinaz-0.marathon.slave.dc.',
    );
    expect(
      [...lines].sort((x, y) =>
        x.split(' ')[0]! < y.split(' ')[0]! ? -1 : x.split(' ')[0]! > y.split(' ')[0]! ? 1 : 0,
      ),
    ).toEqual(lines);
  });

  it('reads the state from stdin and reports skipped entities on stderr', async () => {
    const state = {
      leader: 'master@10.0.0.1:5050',
      slaves: [
        { id: 'S-0', pid: 'slave(1)@10.0.1.1:5051' },
        { id: 'S-1', pid: 'garbage-without-at' },
      ],
      frameworks: [],
    };
    const result = await runCli(['dns', 'records', '--state', '-'], {
      env: env(),
      input: JSON.stringify(state),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('slave.mesos. 60 IN A 10.0.1.1');
    expect(result.stderr).toContain('garbage-without-at');
  });

  it.each([
    [
      'a missing state file',
      ['--state', '/nonexistent/state.json'],
      /cannot read state file \/nonexistent\/state.json: no such file/,
    ],
    ['malformed state JSON', ['--state', 'BAD_JSON'], /not valid JSON/],
    ['a state without leader', ['--state', 'NO_LEADER'], /no leader/],
    ['a bad config', ['--state', FAKE, '--config', 'BAD_CONFIG'], /IPSources: unknown source "dns"/],
    ['a bad --ip-sources', ['--state', FAKE, '--ip-sources', 'host,host'], /"host" is listed twice/],
  ])('%s: one clear error, exit 1', async (_what, args, message) => {
    const files: Record<string, string> = {
      BAD_JSON: tempFile('state.json', '{"leader": '),
      NO_LEADER: tempFile('state.json', '{"slaves": []}'),
      BAD_CONFIG: tempFile('config.json', '{"IPSources": ["dns"]}'),
    };
    const result = await runCli(['dns', 'records', ...args.map((arg) => files[arg] ?? arg)], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });
});
