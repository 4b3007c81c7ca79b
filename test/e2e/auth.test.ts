import { afterEach, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import type { TestServer } from '../helpers/servers.js';
import {
  clusterFile,
  jsonOf,
  linesOf,
  mode,
  printed,
  readClusterToml,
  secretFile,
  startFakeDcos,
  startFakeMarathon,
  startFakeMesos,
} from './fakes.js';

const PASSWORD = 'pw-e2e-auth-61f0-DISTINCT';
const FIRST_TOKEN = 'tok-e2e-auth-first-0a0a-DISTINCT';
const SECOND_TOKEN = 'tok-e2e-auth-second-0b0b-DISTINCT';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A DC/OS cluster with IAM on, set up (and so logged in once) in a fresh DCOS_DIR. */
async function loggedInDcos() {
  const dcos = await startFakeDcos({
    name: 'authy',
    auth: true,
    users: { alice: PASSWORD },
    tokens: [FIRST_TOKEN, SECOND_TOKEN],
  });
  servers.push(dcos);
  const dir = tempDcosDir();
  const env = { DCOS_DIR: dir, PW: PASSWORD };
  const setup = await runCli(['cluster', 'setup', dcos.url, '--username', 'alice', '--password-env', 'PW'], {
    env,
  });
  expect(setup.code, printed(setup)).toBe(0);
  expect(readClusterToml(dir, dcos.clusterId).core?.dcos_acs_token).toBe(FIRST_TOKEN);
  return { dcos, dir, env, file: clusterFile(dir, dcos.clusterId) };
}

describe('auth login on DC/OS', () => {
  it('replaces the stored token with the new one', async () => {
    const { dcos, dir, env, file } = await loggedInDcos();

    const login = await runCli(
      ['auth', 'login', '--username', 'alice', '--password-file', secretFile(PASSWORD)],
      {
        env,
      },
    );

    expect(login.code, printed(login)).toBe(0);
    expect(login.stdout).toBe('Logged in to authy.\n');
    expect(dcos.logins()).toBe(2);
    expect(readClusterToml(dir, dcos.clusterId).core?.dcos_acs_token).toBe(SECOND_TOKEN);
    expect(mode(file)).toBe(0o600);
    // The login request itself carries no old token.
    const logins = dcos.requests.filter((request) => request.path === '/acs/api/v1/auth/login');
    expect(logins.at(-1)?.headers.authorization).toBeUndefined();
    // Later commands send the new token.
    const list = await runCli(['cluster', 'list', '--json'], { env });
    expect(list.code, printed(list)).toBe(0);
    expect(dcos.requests.at(-1)?.headers.authorization).toBe(`token=${SECOND_TOKEN}`);
  });

  it('fails with "wrong user name or password" (exit 1) and keeps the old token', async () => {
    const { dcos, dir, env } = await loggedInDcos();

    const login = await runCli(['auth', 'login', '--username', 'alice', '--password-env', 'BAD'], {
      env: { ...env, BAD: 'guess' },
    });

    expect(login.code, printed(login)).toBe(1);
    expect(linesOf(login.stderr)).toEqual([expect.stringMatching(/^Error: .*wrong user name or password$/)]);
    expect(readClusterToml(dir, dcos.clusterId).core?.dcos_acs_token).toBe(FIRST_TOKEN);
  });

  it('without a password and without a terminal, exits 1 saying which flags to pass', async () => {
    const { dcos, dir, env } = await loggedInDcos();
    const before = dcos.requests.length;

    for (const args of [[], ['--username', 'alice']]) {
      const login = await runCli(['auth', 'login', ...args], { env });
      expect(login.code, printed(login)).toBe(1);
      expect(linesOf(login.stderr)).toHaveLength(1);
      expect(login.stderr).toMatch(/^Error: .*--password-file.*--password-env/);
    }
    expect(dcos.requests.length).toBe(before);
    expect(readClusterToml(dir, dcos.clusterId).core?.dcos_acs_token).toBe(FIRST_TOKEN);
  });

  it('stores a token from --token-env without asking the cluster', async () => {
    const { dcos, dir, env } = await loggedInDcos();
    const ciToken = 'tok-e2e-ci-from-env-9e9e-DISTINCT';

    const login = await runCli(['auth', 'login', '--token-env', 'CI_TOKEN', '--json'], {
      env: { ...env, CI_TOKEN: ciToken },
    });

    expect(login.code, printed(login)).toBe(0);
    expect(jsonOf(login)).toEqual({ cluster: 'authy', method: 'token' });
    expect(login.stdout + login.stderr).not.toContain(ciToken);
    expect(readClusterToml(dir, dcos.clusterId).core?.dcos_acs_token).toBe(ciToken);
    expect(dcos.logins()).toBe(1);
  });

  it('refuses --token-env naming an unset variable as a usage error', async () => {
    const { env } = await loggedInDcos();

    const login = await runCli(['auth', 'login', '--token-env', 'NOT_SET_ANYWHERE'], { env });

    expect(login.code, printed(login)).toBe(1);
    expect(login.stderr).toBe('Error: environment variable NOT_SET_ANYWHERE (--token-env) is not set\n');
  });

  it('cannot log in to a cluster that exists only as DCOS_URL', async () => {
    const dcos = await startFakeDcos({ auth: true, users: { alice: PASSWORD } });
    servers.push(dcos);

    const login = await runCli(['auth', 'login', '--username', 'alice', '--password-env', 'PW'], {
      env: { DCOS_DIR: tempDcosDir(), DCOS_URL: dcos.url, PW: PASSWORD },
    });

    expect(login.code, printed(login)).toBe(1);
    expect(login.stderr).toMatch(/^Error: this cluster comes from DCOS_URL; set DCOS_ACS_TOKEN.*\n$/);
  });
});

describe('auth logout', () => {
  it('removes the token from the cluster file, then says it was not logged in', async () => {
    const { dcos, dir, env } = await loggedInDcos();

    const logout = await runCli(['auth', 'logout'], { env });
    expect(logout.code, printed(logout)).toBe(0);
    expect(logout.stdout).toBe('Logged out of authy.\n');
    const core = readClusterToml(dir, dcos.clusterId).core;
    expect(core?.dcos_acs_token).toBeUndefined();
    // Everything else stays.
    expect(core?.dcos_url).toBe(dcos.url);

    const again = await runCli(['auth', 'logout', '--json'], { env });
    expect(again.code, printed(again)).toBe(0);
    expect(jsonOf(again)).toEqual({ cluster: 'authy', removed: [] });

    // Not logged in any more: the status probe goes out without a token.
    await runCli(['cluster', 'list', '--json'], { env });
    expect(dcos.requests.at(-1)?.headers.authorization).toBeUndefined();
  });
});

describe('auth on plain Marathon', () => {
  it('checks basic credentials against Marathon before storing them, and logout forgets them', async () => {
    const basicAuth = { username: 'ops', password: PASSWORD };
    const marathon = await startFakeMarathon({ basicAuth });
    const mesos = await startFakeMesos();
    servers.push(marathon, mesos);
    const dir = tempDcosDir();
    const env = { DCOS_DIR: dir, PW: PASSWORD, BAD: 'guess' };
    const setup = await runCli(
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
      ],
      { env },
    );
    expect(setup.code, printed(setup)).toBe(0);
    const logout = await runCli(['auth', 'logout', '--json'], { env });
    expect(jsonOf(logout)).toEqual({
      cluster: expect.any(String),
      removed: ['core.basic_auth_username', 'core.basic_auth_password'],
    });
    expect(readClusterToml(dir, marathon.frameworkId).core?.basic_auth_password).toBeUndefined();

    const wrong = await runCli(['auth', 'login', '--username', 'ops', '--password-env', 'BAD'], { env });
    expect(wrong.code, printed(wrong)).toBe(1);
    expect(wrong.stderr).toMatch(/^Error: .*wrong user name or password\n$/);
    expect(readClusterToml(dir, marathon.frameworkId).core?.basic_auth_password).toBeUndefined();

    const right = await runCli(['auth', 'login', '--username', 'ops', '--password-env', 'PW', '--json'], {
      env,
    });
    expect(right.code, printed(right)).toBe(0);
    expect(jsonOf(right)).toMatchObject({ method: 'basic' });
    const core = readClusterToml(dir, marathon.frameworkId).core;
    expect(core?.basic_auth_username).toBe('ops');
    expect(core?.basic_auth_password).toBe(PASSWORD);
  });
});
