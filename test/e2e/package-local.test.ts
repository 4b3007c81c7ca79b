/**
 * `dcos package ...` end to end against a `dcos local` daemon: through its Cosmos endpoints (the attached
 * `local` cluster), through the client-side manager (the same daemon seen as a plain Marathon cluster), and
 * interactively on a pseudo-terminal. The bundled hello-web package must come up and answer HTTP.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT, runCli, startCliOnTerminal, tempDcosDir, type CliResult } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { fetchWithToken, localToken } from '../helpers/local.js';
import { jsonOf, printed, seedCluster, optionsFile } from './fakes.js';

const dcosDir = tempDcosDir();
/** fetch with the token of the daemon these tests start. */
const api = fetchWithToken(() => localToken(join(dcosDir, 'local')));
const env = { DCOS_DIR: dcosDir };
let url: string;

const dcos = (...args: string[]): Promise<CliResult> => runCli(args, { env, timeoutMs: 30_000 });
const pkg = (...args: string[]) => dcos('package', ...args);

interface App {
  id: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  tasks: Array<{ host: string; ports: number[]; state: string }>;
}

async function marathonApp(id: string): Promise<App | undefined> {
  const response = await api(`${url}/service/marathon/v2/apps${id}?embed=app.tasks`);
  if (response.status === 404) return undefined;
  return ((await response.json()) as { app: App }).app;
}

/** Waits for the app's first task and GETs its page (bounded). */
async function pageOf(id: string): Promise<string> {
  let page = '';
  await until(
    `${id} answering HTTP`,
    async () => {
      const task = (await marathonApp(id))?.tasks.find((candidate) => candidate.state === 'TASK_RUNNING');
      if (!task?.ports[0]) return false;
      const response = await fetch(`http://${task.host}:${task.ports[0]}/`).catch(() => undefined);
      if (response?.status !== 200) return false;
      page = await response.text();
      return true;
    },
    20_000,
  );
  return page;
}

beforeAll(async () => {
  const start = await dcos('local', 'start', '--json');
  expect(start.code, printed(start)).toBe(0);
  url = jsonOf<{ url: string }>(start).url;
});

afterAll(async () => {
  await runCli(['local', 'stop'], { env });
  await rm(dcosDir, { recursive: true, force: true });
});

describe('dcos package against dcos local (Cosmos)', () => {
  it('lists the bundled repository and finds its packages', async () => {
    const repos = jsonOf<{ repositories: Array<{ name: string; uri: string }> }>(
      await pkg('repo', 'list', '--json'),
    );
    expect(repos.repositories[0]?.name).toBe('Local Universe');

    const search = await pkg('search');
    expect(search.code, printed(search)).toBe(0);
    for (const name of ['hello-web', 'marathon-lb', 'mesos-dns'])
      expect(search.stdout).toMatch(new RegExp(`^${name} `, 'm'));

    const described = jsonOf<{ name: string; config: unknown }>(await pkg('describe', 'hello-web', '--json'));
    expect(described.name).toBe('hello-web');
    expect(described.config).toBeTruthy();
  });

  it('an invalid option value gives the field path and reason, and installs nothing', async () => {
    const bad = optionsFile(dcosDir, 'bad.json', { service: { instances: -1 }, web: { message: 42 } });
    const result = await pkg('install', 'hello-web', '--options', bad, '--yes');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\/service\/instances: must be >= 0/);
    expect(result.stderr).toMatch(/\/web\/message: must be string/);
    expect(jsonOf<unknown[]>(await pkg('list', '--json'))).toEqual([]);
    expect(await marathonApp('/hello-web')).toBeUndefined();
  });

  it('installs hello-web with an options file: a labelled app whose task answers HTTP', async () => {
    const options = optionsFile(dcosDir, 'web.json', { web: { message: 'installed through Cosmos' } });
    const install = await pkg(
      'install',
      'hello-web',
      '--options',
      options,
      '--app-id',
      '/e2e/web',
      '--yes',
      '--json',
    );
    expect(install.code, printed(install)).toBe(0);
    expect(jsonOf(install)).toMatchObject({
      packageName: 'hello-web',
      packageVersion: '1.0.0',
      appId: '/e2e/web',
    });

    const app = await marathonApp('/e2e/web');
    expect(app?.labels).toMatchObject({ DCOS_PACKAGE_NAME: 'hello-web', DCOS_PACKAGE_VERSION: '1.0.0' });
    expect(await pageOf('/e2e/web')).toContain('installed through Cosmos');

    const list = await pkg('list');
    expect(list.code, printed(list)).toBe(0);
    expect(list.stdout).toMatch(/^hello-web\s+1\.0\.0\s+true\s+\/e2e\/web\s/m);
    const listed = jsonOf<Array<{ appId: string }>>(await pkg('list', 'hello-web', '--json'));
    expect(listed.map((entry) => entry.appId)).toEqual(['/e2e/web']);

    const again = await pkg('install', 'hello-web', '--app-id', '/e2e/web', '--yes');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already installed/);
  }, 40_000);

  it('uninstalls it: the app and its task are gone', async () => {
    const uninstall = await pkg('uninstall', 'hello-web', '--yes');
    expect(uninstall.code, printed(uninstall)).toBe(0);
    expect(uninstall.stdout).toMatch(/Uninstalled package \[hello-web\] version \[1\.0\.0\]/);
    expect(await marathonApp('/e2e/web')).toBeUndefined();
    expect(jsonOf<unknown[]>(await pkg('list', '--json'))).toEqual([]);

    const twice = await pkg('uninstall', 'hello-web', '--yes');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/Package \[hello-web\] is not installed/);
  });
});

describe('dcos package on a plain Marathon cluster (client-side, the same daemon)', () => {
  const plain = (...args: string[]) => pkg(...args, '--cluster', 'plain');

  beforeAll(async () => {
    seedCluster(dcosDir, 'plain-marathon', {
      name: 'plain',
      url,
      type: 'marathon',
      token: localToken(join(dcosDir, 'local')),
    });
    const added = await plain('repo', 'add', 'bundled', join(ROOT, 'local-universe'));
    expect(added.code, printed(added)).toBe(0);
  });

  it('installs from the configured repository through Marathon, lists from the labels and uninstalls', async () => {
    const repos = jsonOf<{ repositories: Array<{ name: string }> }>(await plain('repo', 'list', '--json'));
    expect(repos.repositories.map((repo) => repo.name)).toEqual(['bundled']);

    const install = await plain(
      'install',
      'hello-web',
      '--options',
      optionsFile(dcosDir, 'plain.json', { web: { message: 'installed client-side' } }),
      '--app-id',
      '/plain/web',
      '--yes',
    );
    expect(install.code, printed(install)).toBe(0);
    expect(install.stdout).toMatch(/Installed package hello-web version 1\.0\.0 as app \/plain\/web/);
    expect(await pageOf('/plain/web')).toContain('installed client-side');

    const listed = jsonOf<
      Array<{ appId: string; packageInformation: { packageDefinition: { name: string } } }>
    >(await plain('list', '--json'));
    expect(listed.map((entry) => [entry.appId, entry.packageInformation.packageDefinition.name])).toEqual([
      ['/plain/web', 'hello-web'],
    ]);

    const uninstall = await plain('uninstall', 'hello-web', '--yes');
    expect(uninstall.code, printed(uninstall)).toBe(0);
    expect(await marathonApp('/plain/web')).toBeUndefined();
  }, 40_000);
});

describe('interactive install on a terminal', () => {
  it('asks for the options from the schema, saves the answers, confirms and installs with them', async () => {
    const saved = join(dcosDir, 'answers.json');
    const session = startCliOnTerminal(['package', 'install', 'hello-web'], { env, timeoutMs: 40_000 });
    const answer = async (question: RegExp, text: string) => {
      const from = session.screen().length;
      await session.waitFor(question, { from: Math.max(0, from - 200) });
      session.type(text);
      // The next question must be a new one, not this one redrawn with the answer.
      await session.waitFor(/\n/, { from: session.screen().length });
    };
    await answer(/service\.name/, 'pty-web\r');
    await answer(/service\.instances/, '\r');
    await answer(/service\.cpus/, '\r');
    await answer(/service\.mem/, '\r');
    await answer(/web\.message/, 'typed on a terminal\r');
    await answer(/web\.root/, '\r');
    await answer(/Save these options to a file\?/, 'y\r');
    await answer(/Options file/, `${saved}\r`);
    await answer(/Continue installing\?/, 'y\r');
    const result = await session.exited;
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/Installed package hello-web version 1\.0\.0 as app \/pty-web/);
    expect(result.stdout).toMatch(/needs node/);

    const app = await marathonApp('/pty-web');
    expect(Object.values(app?.env ?? {})).toContain('typed on a terminal');
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toMatchObject({
      service: { name: 'pty-web' },
      web: { message: 'typed on a terminal' },
    });
    expect(await pageOf('/pty-web')).toContain('typed on a terminal');

    const uninstall = await pkg('uninstall', 'hello-web', '--app-id', '/pty-web', '--yes');
    expect(uninstall.code, printed(uninstall)).toBe(0);
  }, 60_000);
});
