import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import type { TestServer } from '../helpers/servers.js';
import {
  clusterDir,
  clusterIds,
  jsonOf,
  linesOf,
  printed,
  readClusterToml,
  seedCluster,
  startFakeDcos,
} from './fakes.js';

interface Listing {
  name: string;
  cluster_id: string;
  attached: boolean;
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setUp(dir: string, options: { clusterId: string; name: string }, extra: string[] = []) {
  const server = await startFakeDcos(options);
  servers.push(server);
  const result = await runCli(['cluster', 'setup', server.url, ...extra], { env: { DCOS_DIR: dir } });
  return { server, result };
}

function attachedIds(dir: string): string[] {
  return clusterIds(dir).filter((id) => existsSync(join(clusterDir(dir, id), 'attached')));
}

async function listing(dir: string): Promise<Listing[]> {
  const list = await runCli(['cluster', 'list', '--json'], { env: { DCOS_DIR: dir } });
  expect(list.code, printed(list)).toBe(0);
  return jsonOf<Listing[]>(list);
}

describe('cluster names', () => {
  it('names a cluster with --name, refuses a name already taken, and accepts another one', async () => {
    const dir = tempDcosDir();
    const first = await setUp(dir, { clusterId: 'aaaa1111-first', name: 'reported' }, ['--name', 'prod']);
    expect(first.result.code, printed(first.result)).toBe(0);
    expect(readClusterToml(dir, 'aaaa1111-first').cluster?.name).toBe('prod');

    // A second cluster that reports the same name as the first one's --name.
    const clash = await setUp(dir, { clusterId: 'bbbb2222-second', name: 'prod' });
    expect(clash.result.code, printed(clash.result)).toBe(1);
    expect(linesOf(clash.result.stderr)).toHaveLength(1);
    expect(clash.result.stderr).toMatch(
      /^Error: a cluster named "prod" already exists \(aaaa1111-first\).*--name/,
    );
    expect(clusterIds(dir)).toEqual(['aaaa1111-first']);

    const renamed = await runCli(['cluster', 'setup', clash.server.url, '--name', 'staging'], {
      env: { DCOS_DIR: dir },
    });
    expect(renamed.code, printed(renamed)).toBe(0);
    expect((await listing(dir)).map((row) => [row.name, row.cluster_id])).toEqual([
      ['prod', 'aaaa1111-first'],
      ['staging', 'bbbb2222-second'],
    ]);
  });

  it('setting up the same cluster again updates it in place instead of adding a second entry', async () => {
    const dir = tempDcosDir();
    const first = await setUp(dir, { clusterId: 'same-cluster-id', name: 'same' });
    expect(first.result.code, printed(first.result)).toBe(0);

    const again = await runCli(['cluster', 'setup', first.server.url], { env: { DCOS_DIR: dir } });

    expect(again.code, printed(again)).toBe(0);
    expect(clusterIds(dir)).toEqual(['same-cluster-id']);
  });

  it('renames a cluster, refusing a name that another cluster has', async () => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });
    seedCluster(dir, 'bbbb2222-0000', { name: 'beta', url: 'http://127.0.0.1:9' });

    const clash = await runCli(['cluster', 'rename', 'alpha', 'beta'], { env: { DCOS_DIR: dir } });
    expect(clash.code, printed(clash)).toBe(1);
    expect(clash.stderr).toMatch(/^Error: a cluster named "beta" already exists.*\n$/);
    expect(readClusterToml(dir, 'aaaa1111-0000').cluster?.name).toBe('alpha');

    const renamed = await runCli(['cluster', 'rename', 'alpha', 'gamma', '--json'], {
      env: { DCOS_DIR: dir },
    });
    expect(renamed.code, printed(renamed)).toBe(0);
    expect(jsonOf(renamed)).toEqual({ cluster_id: 'aaaa1111-0000', name: 'gamma' });
    expect(readClusterToml(dir, 'aaaa1111-0000').cluster?.name).toBe('gamma');
    // The rest of the file is kept.
    expect(readClusterToml(dir, 'aaaa1111-0000').core?.dcos_url).toBe('http://127.0.0.1:9');

    const byId = await runCli(['cluster', 'rename', 'bbbb', 'delta'], { env: { DCOS_DIR: dir } });
    expect(byId.code, printed(byId)).toBe(0);
    expect(byId.stdout).toBe('Renamed beta to delta.\n');
    expect(readClusterToml(dir, 'bbbb2222-0000').cluster?.name).toBe('delta');
  });

  it('refuses an empty name as a usage error', async () => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });

    const result = await runCli(['cluster', 'rename', 'alpha', ' '], { env: { DCOS_DIR: dir } });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stderr).toMatch(/^Error: invalid value for cluster.name: .*\n$/);
  });
});

describe('cluster attach', () => {
  it('attaches by name and by unique id prefix, keeping exactly one cluster attached', async () => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });
    seedCluster(dir, 'bbbb2222-0000', { name: 'beta', url: 'http://127.0.0.1:9' });
    seedCluster(dir, 'bbbb3333-0000', { name: 'gamma', url: 'http://127.0.0.1:9' });

    const byName = await runCli(['cluster', 'attach', 'beta'], { env: { DCOS_DIR: dir } });
    expect(byName.code, printed(byName)).toBe(0);
    expect(byName.stdout).toBe('Attached cluster beta.\n');
    expect(attachedIds(dir)).toEqual(['bbbb2222-0000']);

    const byPrefix = await runCli(['cluster', 'attach', 'bbbb3', '--json'], { env: { DCOS_DIR: dir } });
    expect(byPrefix.code, printed(byPrefix)).toBe(0);
    expect(jsonOf(byPrefix)).toEqual({ name: 'gamma', cluster_id: 'bbbb3333-0000' });
    expect(attachedIds(dir)).toEqual(['bbbb3333-0000']);

    const ambiguous = await runCli(['cluster', 'attach', 'bbbb'], { env: { DCOS_DIR: dir } });
    expect(ambiguous.code, printed(ambiguous)).toBe(1);
    expect(ambiguous.stderr).toMatch(/^Error: "bbbb" matches several cluster ids.*\n$/);
    expect(attachedIds(dir)).toEqual(['bbbb3333-0000']);

    const unknown = await runCli(['cluster', 'attach', 'nope'], { env: { DCOS_DIR: dir } });
    expect(unknown.code, printed(unknown)).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: no cluster named "nope".*\n$/);
    expect(attachedIds(dir)).toEqual(['bbbb3333-0000']);
  });

  it('marks the attached cluster in cluster list', async () => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9' });
    seedCluster(dir, 'bbbb2222-0000', { name: 'beta', url: 'http://127.0.0.1:9', attached: true });

    const rows = await listing(dir);

    expect(rows.map((row) => [row.name, row.attached])).toEqual([
      ['alpha', false],
      ['beta', true],
    ]);
  });
});

describe('cluster remove', () => {
  it('removes one cluster by name, by id prefix, and refuses an unknown one', async () => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });
    seedCluster(dir, 'bbbb2222-0000', { name: 'beta', url: 'http://127.0.0.1:9' });
    seedCluster(dir, 'cccc3333-0000', { name: 'gamma', url: 'http://127.0.0.1:9' });

    const byName = await runCli(['cluster', 'remove', 'beta'], { env: { DCOS_DIR: dir } });
    expect(byName.code, printed(byName)).toBe(0);
    expect(byName.stdout).toBe('Removed beta.\n');
    expect(clusterIds(dir)).toEqual(['aaaa1111-0000', 'cccc3333-0000']);

    const byPrefix = await runCli(['cluster', 'remove', 'cccc', '--json'], { env: { DCOS_DIR: dir } });
    expect(byPrefix.code, printed(byPrefix)).toBe(0);
    expect(jsonOf(byPrefix)).toEqual({ removed: ['gamma'] });
    expect(clusterIds(dir)).toEqual(['aaaa1111-0000']);

    const unknown = await runCli(['cluster', 'remove', 'beta'], { env: { DCOS_DIR: dir } });
    expect(unknown.code, printed(unknown)).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: no cluster named "beta".*\n$/);
    expect(clusterIds(dir)).toEqual(['aaaa1111-0000']);
  });

  it('removes every cluster with --all', async () => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });
    seedCluster(dir, 'bbbb2222-0000', { name: 'beta', url: 'http://127.0.0.1:9' });

    const all = await runCli(['cluster', 'remove', '--all'], { env: { DCOS_DIR: dir } });

    expect(all.code, printed(all)).toBe(0);
    expect(all.stdout).toBe('Removed alpha, beta.\n');
    expect(clusterIds(dir)).toEqual([]);
    expect(await listing(dir)).toEqual([]);
    const show = await runCli(['config', 'show'], { env: { DCOS_DIR: dir } });
    expect(show.code, printed(show)).toBe(1);
    expect(show.stderr).toMatch(/^Error: no cluster is attached.*\n$/);
  });

  it.each([
    ['neither a cluster nor --all', [] as string[]],
    ['both a cluster and --all', ['alpha', '--all']],
  ])('is a usage error (exit 1) given %s, and removes nothing', async (_what, args) => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });

    const result = await runCli(['cluster', 'remove', ...args], { env: { DCOS_DIR: dir } });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stderr).toBe('Error: name one cluster, or pass --all\n');
    expect(clusterIds(dir)).toEqual(['aaaa1111-0000']);
  });
});

describe('which cluster a command uses', () => {
  function threeClusters(): string {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://alpha.example:8080', attached: true });
    seedCluster(dir, 'bbbb2222-0000', { name: 'beta', url: 'http://beta.example:8080' });
    seedCluster(dir, 'cccc3333-0000', { name: 'gamma', url: 'http://gamma.example:8080' });
    return dir;
  }

  async function urlFor(dir: string, args: string[], env: Record<string, string> = {}) {
    const result = await runCli(['config', 'show', 'core.dcos_url', ...args], {
      env: { DCOS_DIR: dir, ...env },
    });
    expect(result.code, printed(result)).toBe(0);
    return result.stdout.trim();
  }

  it('uses the attached cluster by default', async () => {
    expect(await urlFor(threeClusters(), [])).toBe('http://alpha.example:8080');
  });

  it('DCOS_CLUSTER beats the attached cluster', async () => {
    expect(await urlFor(threeClusters(), [], { DCOS_CLUSTER: 'beta' })).toBe('http://beta.example:8080');
  });

  it('--cluster beats DCOS_CLUSTER and the attached cluster, by name or id prefix', async () => {
    const dir = threeClusters();
    expect(await urlFor(dir, ['--cluster', 'gamma'], { DCOS_CLUSTER: 'beta' })).toBe(
      'http://gamma.example:8080',
    );
    expect(await urlFor(dir, ['--cluster', 'cccc'], { DCOS_CLUSTER: 'beta' })).toBe(
      'http://gamma.example:8080',
    );
  });

  it('fails with a usage error when --cluster names no cluster', async () => {
    const result = await runCli(['config', 'show', '--cluster', 'nope'], {
      env: { DCOS_DIR: threeClusters() },
    });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stderr).toMatch(/^Error: no cluster named "nope".*\n$/);
  });

  it('does not move the attached marker when --cluster is used', async () => {
    const dir = threeClusters();
    await urlFor(dir, ['--cluster', 'beta']);
    expect(attachedIds(dir)).toEqual(['aaaa1111-0000']);
  });

  it('refuses to guess when several clusters exist and none is attached', async () => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://alpha.example:8080' });
    seedCluster(dir, 'bbbb2222-0000', { name: 'beta', url: 'http://beta.example:8080' });

    const result = await runCli(['config', 'show'], { env: { DCOS_DIR: dir } });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stderr).toMatch(
      /^Error: no cluster is attached; run `dcos cluster setup <url>` or `dcos cluster attach <name>`\n$/,
    );
  });
});
