/**
 * dcos local's Cosmos against hostile repositories and packages (in process, on loopback): a repository that
 * cannot be read or used is not added, and is refused in Cosmos's own error types; a package built to take long
 * (a pattern, a template) fails in bounded time with an error naming what is wrong, and the daemon's Marathon
 * keeps answering meanwhile; a file of the daemon's user outside the repository never reaches a reply or a label.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LOCAL_UNIVERSE_NAME, REPOSITORIES_FILE } from '../../../src/lib/local/packages.js';
import { startLocalCluster, type RunningCluster } from '../../../src/lib/local/server.js';
import { requestType, responseType, type CosmosRpc } from '../../../src/lib/packages/media-types.js';
import { HOSTILE_PACKAGES, sourceRepository } from '../../helpers/universe.js';

const SECRET = 'SECRET-CREDENTIALS-91c4';

let cluster: RunningCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dcos-local-hostile-'));
  cluster = await startLocalCluster({ dir, port: 0, agents: 1, maxTasks: 10, tickMs: 50 });
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ token: SECRET }));
});

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  text: string;
  body: { type?: string; message?: string; data?: Record<string, unknown>; [field: string]: unknown };
}

async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const response = await fetch(`${cluster.url}${path}`, {
    method,
    headers: { authorization: `token=${cluster.token}`, ...headers },
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : {} } as Reply;
}

function rpc(name: CosmosRpc, body: unknown): Promise<Reply> {
  const accept = name === 'describe' ? [3, 2] : name === 'install' ? [2, 1] : [1];
  return send(
    'POST',
    `/package/${name.replace('.', '/')}`,
    {
      'content-type': requestType(name),
      accept: accept.map((version) => responseType(name, version)).join(','),
    },
    JSON.stringify(body),
  );
}

/** Every text the daemon holds about its apps, labels included. */
async function marathonAppsText(): Promise<string> {
  return (await send('GET', '/service/marathon/v2/apps?embed=apps.tasks', {})).text;
}

function repositoriesFile(): string | undefined {
  const path = join(dir, REPOSITORIES_FILE);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

describe('repository add refuses a repository that cannot be used, and saves nothing', () => {
  it('answers in Cosmos error types naming the repository and the file', async () => {
    const before = repositoriesFile();
    const cases: Array<{ name: string; uri: string; type: string; names: string }> = [];

    cases.push({
      name: 'absent',
      uri: join(dir, 'absent'),
      type: 'RepositoryUriConnection',
      names: 'does not exist',
    });

    const fifo = sourceRepository(join(dir, 'fifo-universe'), { piped: {} });
    execFileSync('mkfifo', [join(fifo, 'packages', 'P', 'piped', '0', 'config.json')]);
    cases.push({ name: 'fifo', uri: fifo, type: 'RepositoryUriConnection', names: 'config.json is a FIFO' });

    const leaky = sourceRepository(join(dir, 'leaky-universe'), { leaky: {} });
    symlinkSync(join(dir, 'credentials.json'), join(leaky, 'packages', 'L', 'leaky', '0', 'config.json'));
    cases.push({
      name: 'leaky',
      uri: leaky,
      type: 'RepositoryUriConnection',
      names: 'leads outside the repository',
    });

    const zero = join(dir, 'zero.json');
    symlinkSync('/dev/zero', zero);
    cases.push({ name: 'zero', uri: zero, type: 'RepositoryUriConnection', names: 'is a character device' });

    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ packages: [{ name: 'x' }] }));
    cases.push({
      name: 'invalid',
      uri: invalid,
      type: 'JsonDecodingError',
      names: 'packagingVersion must be',
    });

    cases.push({
      name: 's3',
      uri: 's3://bucket/repo',
      type: 'UnsupportedRepositoryUri',
      names: 's3://bucket/repo',
    });

    for (const { name, uri, type, names } of cases) {
      const started = Date.now();
      const reply = await rpc('repository.add', { name, uri });
      expect(Date.now() - started, name).toBeLessThan(10_000);
      expect(reply.status, name).toBe(400);
      expect(reply.body.type, name).toBe(type);
      expect(reply.body.message, name).toContain(names);
      if (type === 'RepositoryUriConnection') {
        expect(reply.body.message).toContain(`Could not access data at URI for repository [${name}]`);
        expect(reply.body.data).toMatchObject({ repository: { name, uri } });
      }
      expect(reply.text).not.toContain(SECRET);
    }
    const list = await rpc('repository.list', {});
    expect((list.body.repositories as Array<{ name: string }>).map((repository) => repository.name)).toEqual([
      LOCAL_UNIVERSE_NAME,
    ]);
    expect(repositoriesFile()).toBe(before);
  });
});

describe('hostile packages', () => {
  const SLOW_PATTERN = '[\\s\\S]{1000}'.repeat(10);
  let root: string;

  beforeAll(async () => {
    const slowFields = Object.fromEntries(
      Array.from({ length: 40 }, (_, index) => [
        `f${index}`,
        { type: 'string', pattern: SLOW_PATTERN, default: 'x'.repeat(4_900) },
      ]),
    );
    root = sourceRepository(join(dir, 'hostile-universe'), {
      ...HOSTILE_PACKAGES,
      slow: { config: { type: 'object', properties: slowFields } },
    });
    const added = await rpc('repository.add', { name: 'hostile', uri: root });
    expect(added.status).toBe(200);
  });

  it('checks ^(a+)+$ against its own 31-character default at once: JsonSchemaMismatch naming the field', async () => {
    const started = Date.now();
    const reply = await rpc('install', { packageName: 'redos' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(reply.status).toBe(400);
    expect(reply.body.type).toBe('JsonSchemaMismatch');
    expect(reply.body.data?.errors).toEqual([
      expect.objectContaining({
        instance: { pointer: '/service/name' },
        message: 'must match pattern "^(a+)+$"',
      }),
    ]);
  });

  it('stops a 10 MB template expansion at the 1 MiB limit, and installs nothing', async () => {
    const started = Date.now();
    for (const name of ['render', 'install'] as const) {
      const reply = await rpc(name, { packageName: 'bomb' });
      expect(reply.status).toBe(400);
      expect(reply.body.type).toBe('TemplateTooLarge');
      expect(reply.body.message).toBe(
        'the Marathon template of bomb 1.0.0 was not rendered: its output passes the 1 MiB limit for a Marathon app',
      );
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await marathonAppsText()).not.toContain('/bomb');
  });

  it('keeps Marathon answering while a package whose patterns take long is checked, then stops it at the limit', async () => {
    let settled = false;
    const hostile = rpc('render', { packageName: 'slow' }).finally(() => (settled = true));
    const latencies: number[] = [];
    // Bounded: at most 200 probes, every 50 ms, for as long as the package request runs.
    for (let probe = 0; probe < 200 && !settled; probe += 1) {
      const started = Date.now();
      const apps = await send('GET', '/service/marathon/v2/apps', {});
      latencies.push(Date.now() - started);
      expect(apps.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const reply = await hostile;
    expect(reply.status).toBe(400);
    expect(reply.body.message).toMatch(
      /^slow 1\.0\.0: the package's config\.json pattern for \/f\d+: .* took longer than the 3000 ms limit$/,
    );
    // The pattern work took seconds; no Marathon request waited for it.
    expect(latencies.length).toBeGreaterThan(3);
    expect(Math.max(...latencies)).toBeLessThan(2_000);
  });

  it('never reads a file outside the repository swapped in after the repository was added', async () => {
    const config = join(root, 'packages', 'R', 'redos', '0', 'config.json');
    rmSync(config);
    symlinkSync(join(dir, 'credentials.json'), config);
    for (const name of ['render', 'install', 'describe'] as const) {
      const reply = await rpc(name, { packageName: 'redos' });
      expect(reply.status, name).toBe(400);
      expect(reply.body.type, name).toBe('RepositoryUriConnection');
      expect(reply.body.message, name).toContain(`${config} leads outside the repository`);
      expect(reply.text, name).not.toContain(SECRET);
    }
    expect(await marathonAppsText()).not.toContain(SECRET);
  });
});
