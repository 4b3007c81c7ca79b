import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import type { TestServer } from '../helpers/servers.js';
import {
  clusterDir,
  clusterFile,
  clusterIds,
  jsonOf,
  linesOf,
  mode,
  printed,
  readClusterToml,
  secretFile,
  seedCluster,
  startFakeDcos,
  startFakeMarathon,
  startFakeMesos,
  startSilentServer,
} from './fakes.js';

const TOKEN = 'tok-e2e-setup-5f1c0a9d-DISTINCT';
const PASSWORD = 'pw-e2e-setup-83b2-DISTINCT';

interface Listing {
  name: string;
  cluster_id: string;
  attached: boolean;
  status: string;
  version: string;
  url: string;
  type: string;
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function track<T extends TestServer>(server: Promise<T>): Promise<T> {
  const started = await server;
  servers.push(started);
  return started;
}

describe('cluster setup against DC/OS with authentication on', () => {
  it('logs in with --username and --password-file, stores the token privately and attaches the cluster', async () => {
    const dcos = await track(
      startFakeDcos({
        name: 'prod',
        version: '2.2.0',
        auth: true,
        users: { alice: PASSWORD },
        tokens: [TOKEN],
      }),
    );
    const dir = tempDcosDir();
    const password = secretFile(`${PASSWORD}\n`);

    const setup = await runCli(
      ['cluster', 'setup', dcos.url, '--username', 'alice', '--password-file', password],
      {
        env: { DCOS_DIR: dir },
      },
    );

    expect(setup.code, printed(setup)).toBe(0);
    expect(setup.stdout).toContain('prod');
    const login = dcos.requests.find((request) => request.path === '/acs/api/v1/auth/login');
    expect(JSON.parse(login?.body ?? '{}')).toEqual({ uid: 'alice', password: PASSWORD });
    // The cluster directory is named by the CLUSTER_ID from /metadata.
    expect(clusterIds(dir)).toEqual([dcos.clusterId]);
    const toml = readClusterToml(dir, dcos.clusterId);
    expect(toml.core?.dcos_acs_token).toBe(TOKEN);
    expect(toml.core?.dcos_url).toBe(dcos.url);
    expect(toml.cluster?.name).toBe('prod');
    expect(toml.cluster?.type).toBe('dcos');
    const attachedMarker = join(clusterDir(dir, dcos.clusterId), 'attached');
    expect(existsSync(attachedMarker)).toBe(true);
    expect(mode(clusterFile(dir, dcos.clusterId))).toBe(0o600);
    expect(mode(attachedMarker)).toBe(0o600);
    expect(mode(clusterDir(dir, dcos.clusterId))).toBe(0o700);

    const list = await runCli(['cluster', 'list', '--json'], { env: { DCOS_DIR: dir } });
    expect(list.code, printed(list)).toBe(0);
    expect(jsonOf<Listing[]>(list)).toEqual([
      {
        name: 'prod',
        cluster_id: dcos.clusterId,
        attached: true,
        status: 'AVAILABLE',
        version: '2.2.0',
        url: dcos.url,
        type: 'dcos',
      },
    ]);
    // The status probe authenticates with the stored token.
    const probes = dcos.requests.filter((request) => request.path === '/dcos-metadata/dcos-version.json');
    expect(probes.at(-1)?.headers.authorization).toBe(`token=${TOKEN}`);
  });

  it('reads the password from the variable named by --password-env', async () => {
    const dcos = await track(
      startFakeDcos({ name: 'envcluster', auth: true, users: { bob: PASSWORD }, tokens: [TOKEN] }),
    );
    const dir = tempDcosDir();

    const setup = await runCli(
      ['cluster', 'setup', dcos.url, '--username', 'bob', '--password-env', 'MY_PW'],
      {
        env: { DCOS_DIR: dir, MY_PW: PASSWORD },
      },
    );

    expect(setup.code, printed(setup)).toBe(0);
    expect(dcos.logins()).toBe(1);
    expect(readClusterToml(dir, dcos.clusterId).core?.dcos_acs_token).toBe(TOKEN);
    expect(mode(clusterFile(dir, dcos.clusterId))).toBe(0o600);
  });

  it('takes the user name from DCOS_USERNAME', async () => {
    const dcos = await track(startFakeDcos({ auth: true, users: { carol: PASSWORD }, tokens: [TOKEN] }));
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', dcos.url, '--password-env', 'MY_PW'], {
      env: { DCOS_DIR: dir, MY_PW: PASSWORD, DCOS_USERNAME: 'carol' },
    });

    expect(setup.code, printed(setup)).toBe(0);
    expect(readClusterToml(dir, dcos.clusterId).core?.dcos_acs_token).toBe(TOKEN);
  });

  it('tries https:// first for a URL without a scheme, and falls back to http:// when TLS is not spoken', async () => {
    const dcos = await track(startFakeDcos({ name: 'bare' }));
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', `127.0.0.1:${dcos.port}`, '--json'], {
      env: { DCOS_DIR: dir },
    });

    expect(setup.code, printed(setup)).toBe(0);
    expect(jsonOf(setup)).toEqual({
      id: dcos.clusterId,
      name: 'bare',
      url: dcos.url,
      type: 'dcos',
      version: '2.2.0',
      authenticated: false,
    });
    expect(readClusterToml(dir, dcos.clusterId).core?.dcos_url).toBe(dcos.url);
  });

  it('prints the clusters as a borderless table with NAME ID STATUS VERSION URL headers', async () => {
    const dcos = await track(startFakeDcos({ name: 'tabled', version: '2.1.3' }));
    const dir = tempDcosDir();
    const setup = await runCli(['cluster', 'setup', dcos.url], { env: { DCOS_DIR: dir } });
    expect(setup.code, printed(setup)).toBe(0);

    const list = await runCli(['cluster', 'list'], { env: { DCOS_DIR: dir } });

    expect(list.code, printed(list)).toBe(0);
    const lines = linesOf(list.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\s*NAME\s+ID\s+STATUS\s+VERSION\s+URL$/);
    expect(lines[1]?.split(/\s+/).filter(Boolean)).toEqual([
      '*',
      'tabled',
      dcos.clusterId,
      'AVAILABLE',
      '2.1.3',
      dcos.url,
    ]);
    expect(list.stdout).not.toMatch(/[│─┌┐└┘├┤┬┴┼|+]/);
    expect(list.stderr).toBe('');
  });

  it('refuses a password without a user name, before any request', async () => {
    const dcos = await track(startFakeDcos({ auth: true }));
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', dcos.url, '--password-env', 'MY_PW'], {
      env: { DCOS_DIR: dir, MY_PW: PASSWORD },
    });

    expect(setup.code, printed(setup)).toBe(1);
    expect(setup.stderr).toMatch(/^Error: .*--username.*\n$/);
    expect(dcos.requests).toHaveLength(0);
    expect(clusterIds(dir)).toEqual([]);
  });

  it('fails with a clear line and saves nothing when the password is wrong', async () => {
    const dcos = await track(startFakeDcos({ auth: true, users: { alice: 'right' } }));
    const dir = tempDcosDir();

    const setup = await runCli(
      ['cluster', 'setup', dcos.url, '--username', 'alice', '--password-env', 'MY_PW'],
      {
        env: { DCOS_DIR: dir, MY_PW: 'wrong' },
      },
    );

    expect(setup.code, printed(setup)).toBe(1);
    expect(setup.stderr).toMatch(/^Error: .*wrong user name or password\n$/);
    expect(clusterIds(dir)).toEqual([]);
  });

  it('asks for credentials by flag when not on a terminal and the cluster needs a login', async () => {
    const dcos = await track(startFakeDcos({ auth: true }));
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', dcos.url], { env: { DCOS_DIR: dir } });

    expect(setup.code, printed(setup)).toBe(1);
    expect(linesOf(setup.stderr)).toHaveLength(1);
    expect(setup.stderr).toContain('--password-file');
    expect(clusterIds(dir)).toEqual([]);
  });
});

describe('cluster setup against plain Marathon and Mesos', () => {
  const basicAuth = { username: 'ops', password: PASSWORD };

  it('checks Marathon with basic auth and Mesos at --mesos-url, then saves both URLs and the credentials', async () => {
    const marathon = await track(startFakeMarathon({ basicAuth, version: '1.10.0' }));
    const mesos = await track(startFakeMesos('version'));
    const dir = tempDcosDir();
    const env = { DCOS_DIR: dir, MARATHON_PW: PASSWORD };

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
        'MARATHON_PW',
        '--name',
        'lab',
      ],
      { env },
    );

    expect(setup.code, printed(setup)).toBe(0);
    expect(mesos.requests.map((request) => request.path)).toContain('/version');
    expect(clusterIds(dir)).toEqual([marathon.frameworkId]);
    const toml = readClusterToml(dir, marathon.frameworkId);
    expect(toml.cluster).toMatchObject({ name: 'lab', type: 'marathon' });
    expect(toml.marathon?.url).toBe(marathon.url);
    expect(toml.mesos?.master_url).toBe(mesos.url);
    expect(toml.core?.basic_auth_username).toBe('ops');
    expect(toml.core?.basic_auth_password).toBe(PASSWORD);
    expect(mode(clusterFile(dir, marathon.frameworkId))).toBe(0o600);

    const before = marathon.requests.length;
    const list = await runCli(['cluster', 'list', '--json'], { env });
    expect(list.code, printed(list)).toBe(0);
    expect(jsonOf<Listing[]>(list)).toEqual([
      expect.objectContaining({
        name: 'lab',
        cluster_id: marathon.frameworkId,
        attached: true,
        status: 'AVAILABLE',
        version: '1.10.0',
        type: 'marathon',
      }),
    ]);
    // The status probe is Marathon's /v2/info, with the stored basic credentials.
    const probe = marathon.requests.slice(before).find((request) => request.path === '/v2/info');
    expect(probe?.headers.authorization).toBe(`Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}`);
  });

  it('accepts a Mesos master that only answers /master/state', async () => {
    const marathon = await track(startFakeMarathon());
    const mesos = await track(startFakeMesos('state'));
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', marathon.url, '--mesos-url', mesos.url], {
      env: { DCOS_DIR: dir },
    });

    expect(setup.code, printed(setup)).toBe(0);
    expect(mesos.requests.map((request) => request.path)).toContain('/master/state');
    expect(readClusterToml(dir, marathon.frameworkId).mesos?.master_url).toBe(mesos.url);
  });

  it('warns that node and task commands need --mesos-url when Marathon only knows a zk:// master', async () => {
    const marathon = await track(startFakeMarathon({ master: 'zk://10.0.0.1:2181/mesos' }));
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', marathon.url], { env: { DCOS_DIR: dir } });

    expect(setup.code, printed(setup)).toBe(0);
    expect(setup.stderr).toMatch(/^Warning: .*--mesos-url/m);
    expect(readClusterToml(dir, marathon.frameworkId).mesos).toBeUndefined();
  });

  it('says credentials are needed when Marathon answers 401 and none were given', async () => {
    const marathon = await track(startFakeMarathon({ basicAuth }));
    const mesos = await track(startFakeMesos());
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', marathon.url, '--mesos-url', mesos.url], {
      env: { DCOS_DIR: dir },
    });

    expect(setup.code, printed(setup)).toBe(1);
    expect(setup.stderr).toMatch(/^Error: .*--username.*\n$/);
    expect(clusterIds(dir)).toEqual([]);
  });

  it('says the credentials are wrong when Marathon rejects the ones given', async () => {
    const marathon = await track(startFakeMarathon({ basicAuth }));
    const mesos = await track(startFakeMesos());
    const dir = tempDcosDir();

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
      { env: { DCOS_DIR: dir, PW: 'not-the-password' } },
    );

    expect(setup.code, printed(setup)).toBe(1);
    expect(setup.stderr).toMatch(/^Error: .*wrong user name or password\n$/);
    expect(clusterIds(dir)).toEqual([]);
  });

  it('saves nothing when no Mesos master answers at --mesos-url', async () => {
    const marathon = await track(startFakeMarathon());
    const notMesos = await track(startFakeDcos()); // answers 404 on /version and /master/state
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', marathon.url, '--mesos-url', notMesos.url], {
      env: { DCOS_DIR: dir },
    });

    expect(setup.code, printed(setup)).toBe(1);
    expect(setup.stderr).toMatch(/^Error: no Mesos master answers at .*\n$/);
    expect(clusterIds(dir)).toEqual([]);
  });
});

describe('cluster list status probes', () => {
  it('shows clusters that do not answer as UNAVAILABLE and still finishes', async () => {
    const dir = tempDcosDir();
    const alive = await track(startFakeDcos({ name: 'alive', version: '2.2.1' }));
    const setupAlive = await runCli(['cluster', 'setup', alive.url], { env: { DCOS_DIR: dir } });
    expect(setupAlive.code, printed(setupAlive)).toBe(0);
    // Set up while up, then taken down.
    const gone = await startFakeDcos({ name: 'gone' });
    const setupGone = await runCli(['cluster', 'setup', gone.url], { env: { DCOS_DIR: dir } });
    expect(setupGone.code, printed(setupGone)).toBe(0);
    await gone.close();

    const human = await runCli(['cluster', 'list'], { env: { DCOS_DIR: dir } });
    expect(human.code, printed(human)).toBe(0);
    expect(human.stdout).toMatch(/^\*\s+gone\s+\S+\s+UNAVAILABLE\s+UNKNOWN\s+http:\/\/127\.0\.0\.1:\d+$/m);
    expect(human.stdout).toMatch(/^\s+alive\s+\S+\s+AVAILABLE\s+2\.2\.1\s+/m);

    // Accepts connections but never answers: costs one short probe timeout, in parallel with the others.
    const silent = await track(startSilentServer());
    seedCluster(dir, 'silent-cluster', { name: 'silent', url: silent.url });
    const silent2 = await track(startSilentServer());
    seedCluster(dir, 'silent-cluster-2', { name: 'silent2', url: silent2.url });

    const list = await runCli(['cluster', 'list', '--json'], { env: { DCOS_DIR: dir }, timeoutMs: 15_000 });

    expect(list.code, printed(list)).toBe(0);
    const byName = Object.fromEntries(jsonOf<Listing[]>(list).map((row) => [row.name, row]));
    expect(Object.keys(byName).sort()).toEqual(['alive', 'gone', 'silent', 'silent2']);
    expect(byName.alive).toMatchObject({ status: 'AVAILABLE', version: '2.2.1' });
    expect(byName.gone).toMatchObject({ status: 'UNAVAILABLE', version: 'UNKNOWN', attached: true });
    expect(byName.silent).toMatchObject({ status: 'UNAVAILABLE' });
    expect(byName.silent2).toMatchObject({ status: 'UNAVAILABLE' });
  }, 30_000);

  it('lists only the attached cluster with --attached, and explains an empty config', async () => {
    const dir = tempDcosDir();
    const empty = await runCli(['cluster', 'list'], { env: { DCOS_DIR: dir } });
    expect(empty.code, printed(empty)).toBe(0);
    expect(empty.stdout).toContain('dcos cluster setup');
    const emptyJson = await runCli(['cluster', 'list', '--json'], { env: { DCOS_DIR: dir } });
    expect(jsonOf(emptyJson)).toEqual([]);

    const one = await track(startFakeDcos({ name: 'one' }));
    const two = await track(startFakeDcos({ name: 'two' }));
    for (const server of [one, two]) {
      const setup = await runCli(['cluster', 'setup', server.url], { env: { DCOS_DIR: dir } });
      expect(setup.code, printed(setup)).toBe(0);
    }
    const attached = await runCli(['cluster', 'list', '--attached', '--json'], { env: { DCOS_DIR: dir } });
    expect(attached.code, printed(attached)).toBe(0);
    expect(jsonOf<Listing[]>(attached).map((row) => row.name)).toEqual(['two']);
  });
});
