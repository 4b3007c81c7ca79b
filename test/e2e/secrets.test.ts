import { afterEach, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir, type CliResult } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import {
  linesOf,
  printed,
  readClusterToml,
  secretFile,
  seedCluster,
  startFakeDcos,
  startFakeMarathon,
  startFakeMesos,
} from './fakes.js';

// Distinctive strings: if any of these (or a recognisable piece) shows up in output, a secret leaked.
const TOKEN = 'tok-LEAKCHECK-7f3e9b2c41d8a6e0-token';
const SECOND_TOKEN = 'tok-LEAKCHECK-0c5d1e7a93b24f68-token';
const PASSWORD = 'pw-LEAKCHECK-b81d4e6a29c3-password';
const MARATHON_PASSWORD = 'pw-LEAKCHECK-5a7c3e1f90d2-marathon';
const FRAGMENTS = ['7f3e9b2c41d8a6e0', '0c5d1e7a93b24f68', 'b81d4e6a29c3', '5a7c3e1f90d2'];

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function expectNoSecrets(label: string, result: CliResult, extra: string[] = []): void {
  const output = `${result.stdout}\n${result.stderr}`;
  for (const secret of [TOKEN, SECOND_TOKEN, PASSWORD, MARATHON_PASSWORD, ...FRAGMENTS, ...extra]) {
    expect(output.includes(secret), `${label} printed a secret (${secret}):\n${printed(result)}`).toBe(false);
  }
}

describe('secrets never reach stdout or stderr', () => {
  it('on a DC/OS cluster: setup, login, list, show and set with --verbose and --json', async () => {
    const dcos = await startFakeDcos({
      name: 'vault',
      auth: true,
      users: { alice: PASSWORD },
      tokens: [TOKEN, SECOND_TOKEN],
    });
    servers.push(dcos);
    const dir = tempDcosDir();
    const env = { DCOS_DIR: dir, PW: PASSWORD, WRONG: 'nope' };
    const passwordFile = secretFile(`${PASSWORD}\n`);
    const runs: Array<[string, string[]]> = [
      [
        'setup --verbose',
        ['cluster', 'setup', dcos.url, '--username', 'alice', '--password-file', passwordFile, '--verbose'],
      ],
      [
        'setup --json',
        ['cluster', 'setup', dcos.url, '--username', 'alice', '--password-env', 'PW', '--json', '--verbose'],
      ],
      ['list --verbose', ['cluster', 'list', '--verbose']],
      ['list --json', ['cluster', 'list', '--json', '--verbose']],
      ['show --verbose', ['config', 'show', '--verbose']],
      ['show --json', ['config', 'show', '--json']],
      ['show token', ['config', 'show', 'core.dcos_acs_token', '--verbose']],
      ['show token --json', ['config', 'show', 'core.dcos_acs_token', '--json']],
      ['set --verbose', ['config', 'set', 'core.timeout', '30', '--verbose']],
      ['set --json', ['config', 'set', 'core.timeout', '31', '--json', '--verbose']],
      ['failing show --verbose', ['config', 'show', 'package.cosmos_url', '--verbose']],
      [
        'wrong login --verbose',
        ['auth', 'login', '--username', 'alice', '--password-env', 'WRONG', '--verbose'],
      ],
      ['wrong login --json', ['auth', 'login', '--username', 'alice', '--password-env', 'WRONG', '--json']],
      ['login --verbose', ['auth', 'login', '--username', 'alice', '--password-env', 'PW', '--verbose']],
      [
        'login --json',
        ['auth', 'login', '--username', 'alice', '--password-env', 'PW', '--json', '--verbose'],
      ],
      ['list after login', ['cluster', 'list', '--verbose', '--json']],
    ];
    const results: Record<string, CliResult> = {};
    for (const [label, args] of runs) {
      results[label] = await runCli(args, { env });
      expectNoSecrets(label, results[label]);
    }

    // The secrets were really in play: stored, and sent to the cluster.
    expect(readClusterToml(dir, dcos.clusterId).core?.dcos_acs_token).toBe(SECOND_TOKEN);
    expect(dcos.requests.some((request) => request.headers.authorization === `token=${TOKEN}`)).toBe(true);
    expect(dcos.requests.some((request) => request.headers.authorization === `token=${SECOND_TOKEN}`)).toBe(
      true,
    );
    expect(dcos.requests.some((request) => request.body.includes(PASSWORD))).toBe(true);

    // Expected outcomes, so a crash cannot pass as "nothing leaked".
    for (const label of ['setup --verbose', 'setup --json', 'list --json', 'show --json', 'login --json']) {
      expect(results[label]?.code, `${label}: ${printed(results[label] as CliResult)}`).toBe(0);
    }
    expect(results['wrong login --verbose']?.code).toBe(1);
    expect(results['failing show --verbose']?.code).toBe(1);
    expect(results['show token']?.stdout).toBe('********\n');
    expect(JSON.parse(results['show --json']?.stdout ?? '{}')['core.dcos_acs_token']).toBe('********');

    // --verbose logs each request and its answer, with URLs but without credentials.
    const setupLog = results['setup --verbose']?.stderr ?? '';
    expect(setupLog).toContain(`> GET ${dcos.url}/dcos-metadata/dcos-version.json`);
    expect(setupLog).toContain(`> HEAD ${dcos.url}/pkgpanda/active.buildinfo.full.json`);
    expect(setupLog).toContain(`> POST ${dcos.url}/acs/api/v1/auth/login`);
    expect(setupLog).toMatch(new RegExp(`^< 200 POST ${dcos.url}/acs/api/v1/auth/login \\(\\d+ ms\\)$`, 'm'));
    expect(setupLog).toContain(`> GET ${dcos.url}/metadata`);
    expect(setupLog).not.toMatch(/authorization|token=/i);
    const listLog = results['list --verbose']?.stderr ?? '';
    expect(listLog).toMatch(new RegExp(`^< 200 GET ${dcos.url}/dcos-metadata/dcos-version.json`, 'm'));
    expect(listLog).not.toMatch(/authorization|token=/i);
    // A failure with --verbose shows a stack trace, still without secrets (checked above).
    expect(results['wrong login --verbose']?.stderr).toMatch(/^\s+at /m);
  }, 60_000);

  it('on a plain Marathon cluster: the basic auth password, raw or base64-encoded, never shows', async () => {
    const marathon = await startFakeMarathon({ basicAuth: { username: 'ops', password: MARATHON_PASSWORD } });
    const mesos = await startFakeMesos();
    servers.push(marathon, mesos);
    const dir = tempDcosDir();
    const env = { DCOS_DIR: dir, PW: MARATHON_PASSWORD, WRONG: 'nope' };
    const encoded = Buffer.from(`ops:${MARATHON_PASSWORD}`).toString('base64');
    const runs: Array<[string, string[]]> = [
      [
        'setup',
        [
          'cluster',
          'setup',
          marathon.url,
          '--mesos-url',
          mesos.url,
          '--username',
          'ops',
          '--password-env',
          'PW',
          '--verbose',
        ],
      ],
      ['list', ['cluster', 'list', '--verbose', '--json']],
      ['show', ['config', 'show', '--verbose']],
      ['show --json', ['config', 'show', 'core.basic_auth_password', '--json']],
      ['wrong login', ['auth', 'login', '--username', 'ops', '--password-env', 'WRONG', '--verbose']],
      ['login', ['auth', 'login', '--username', 'ops', '--password-env', 'PW', '--verbose', '--json']],
      ['set password', ['config', 'set', 'core.basic_auth_password', MARATHON_PASSWORD, '--verbose']],
    ];
    for (const [label, args] of runs) {
      const result = await runCli(args, { env });
      expectNoSecrets(label, result, [encoded]);
      if (label !== 'wrong login') expect(result.code, `${label}: ${printed(result)}`).toBe(0);
      else expect(result.code, printed(result)).toBe(1);
    }
    expect(readClusterToml(dir, marathon.frameworkId).core?.basic_auth_password).toBe(MARATHON_PASSWORD);
    expect(marathon.requests.some((request) => request.headers.authorization === `Basic ${encoded}`)).toBe(
      true,
    );
  }, 60_000);
});

describe('stored credentials go only to the origin of the cluster they were stored for', () => {
  const APPS = { [`GET /service/marathon/v2/apps`]: () => ({ json: { apps: [] } }) };

  async function twoClusters() {
    const stored = await startServer({ ...APPS });
    const other = await startServer({ ...APPS });
    servers.push(stored, other);
    const dir = tempDcosDir();
    seedCluster(dir, 'alpha-0000', { name: 'alpha', url: stored.url, token: TOKEN, attached: true });
    return { stored, other, dir };
  }

  const authorizations = (server: TestServer) =>
    server.requests.map((request) => request.headers.authorization);

  it('DCOS_URL of another origin never gets the stored token; with DCOS_ACS_TOKEN set, it gets that one', async () => {
    const { stored, other, dir } = await twoClusters();

    const plain = await runCli(['marathon', 'app', 'list', '--json', '--verbose'], {
      env: { DCOS_DIR: dir, DCOS_URL: other.url },
    });
    const withEnvToken = await runCli(['marathon', 'app', 'list', '--json', '--verbose'], {
      env: { DCOS_DIR: dir, DCOS_URL: `${other.url}/`, DCOS_ACS_TOKEN: SECOND_TOKEN },
    });

    expect(plain.code, printed(plain)).toBe(0);
    expect(withEnvToken.code, printed(withEnvToken)).toBe(0);
    expect(authorizations(other)).toEqual([undefined, `token=${SECOND_TOKEN}`]);
    expect(stored.requests).toEqual([]);
    // --verbose says why, in one line, without the secret.
    const notice = (result: CliResult) =>
      linesOf(result.stderr).filter((line) => line.startsWith('DCOS_URL '));
    expect(notice(plain)).toEqual([
      `DCOS_URL ${other.url} is not the origin of cluster alpha (${stored.url}): ` +
        `its stored credentials stay there; no credentials are sent to ${other.url}`,
    ]);
    expect(notice(withEnvToken)).toEqual([
      `DCOS_URL ${other.url} is not the origin of cluster alpha (${stored.url}): ` +
        `its stored credentials stay there; only DCOS_ACS_TOKEN is sent to ${other.url}`,
    ]);
    expectNoSecrets('DCOS_URL elsewhere', plain);
    expectNoSecrets('DCOS_URL elsewhere with DCOS_ACS_TOKEN', withEnvToken);
  }, 30_000);

  it('the same through DCOS_CLUSTER and --cluster; the stored origin itself still gets the token', async () => {
    const { stored, other, dir } = await twoClusters();
    const args = ['marathon', 'app', 'list', '--json'];

    const viaEnv = await runCli(args, { env: { DCOS_DIR: dir, DCOS_CLUSTER: 'alpha', DCOS_URL: other.url } });
    const viaFlag = await runCli([...args, '--cluster', 'alpha'], {
      env: { DCOS_DIR: dir, DCOS_URL: other.url },
    });
    const sameOrigin = await runCli(args, { env: { DCOS_DIR: dir, DCOS_URL: `${stored.url}/` } });

    for (const result of [viaEnv, viaFlag, sameOrigin]) expect(result.code, printed(result)).toBe(0);
    expect(authorizations(other)).toEqual([undefined, undefined]);
    expect(authorizations(stored)).toEqual([`token=${TOKEN}`]);
  }, 30_000);

  it("a plain Marathon cluster's basic auth and service URLs stay with it too", async () => {
    const stored = await startServer({ 'GET /v2/apps': () => ({ json: { apps: [] } }) });
    const other = await startServer({ ...APPS });
    servers.push(stored, other);
    const dir = tempDcosDir();
    seedCluster(dir, 'plain-0000', {
      name: 'plain',
      type: 'marathon',
      url: stored.url,
      basicAuth: { username: 'ops', password: MARATHON_PASSWORD },
      marathonUrl: stored.url,
      attached: true,
    });

    const result = await runCli(['marathon', 'app', 'list', '--json'], {
      env: { DCOS_DIR: dir, DCOS_URL: other.url },
    });

    expect(result.code, printed(result)).toBe(0);
    expect(authorizations(other)).toEqual([undefined]);
    expect(stored.requests).toEqual([]);
    // They were in play: without DCOS_URL the cluster's own Marathon gets them.
    const home = await runCli(['marathon', 'app', 'list', '--json'], { env: { DCOS_DIR: dir } });
    expect(home.code, printed(home)).toBe(0);
    const basic = `Basic ${Buffer.from(`ops:${MARATHON_PASSWORD}`).toString('base64')}`;
    expect(authorizations(stored)).toEqual([basic]);
  }, 30_000);

  it('auth login through a DCOS_URL of another origin is refused: it would file that secret under this cluster', async () => {
    const { stored, other, dir } = await twoClusters();

    const result = await runCli(['auth', 'login', '--token-env', 'NEW_TOKEN'], {
      env: { DCOS_DIR: dir, DCOS_URL: other.url, NEW_TOKEN: SECOND_TOKEN },
    });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stderr).toBe(
      `Error: DCOS_URL ${other.url} is not the origin of cluster alpha (${stored.url}); ` +
        `unset DCOS_URL to log in to alpha, or set DCOS_ACS_TOKEN for ${other.url}\n`,
    );
    expect(readClusterToml(dir, 'alpha-0000').core?.dcos_acs_token).toBe(TOKEN);
    expectNoSecrets('auth login elsewhere', result);
  }, 30_000);
});
