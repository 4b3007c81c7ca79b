import { describe, expect, it, vi } from 'vitest';

import { DcosError, UsageError } from '../../../src/lib/errors.js';
import { HttpError } from '../../../src/lib/http/errors.js';
import {
  addApp,
  checkAppDefinition,
  checkAppPatch,
  checkGroupDefinition,
  checkGroupPatch,
  definitionOf,
  listVersions,
  resolveTaskIds,
  showApp,
  updateApp,
  type DryRun,
} from '../../../src/lib/marathon/apps.js';
import type { MarathonClient } from '../../../src/lib/marathon/client.js';
import type { MarathonApp, MarathonTask } from '../../../src/lib/marathon/types.js';
import { rejectionOf, thrownBy } from '../../helpers/errors.js';

const RESULT = { deploymentId: 'd-1', version: 'v' };

const running: MarathonApp = {
  id: '/shell',
  cmd: 'sleep 100',
  cpus: 0.1,
  mem: 10,
  instances: 2,
  version: '2026-01-02T00:00:00.000Z',
  tasksRunning: 2,
  tasksHealthy: 0,
  tasks: [],
  deployments: [],
};

/** A client double: only the calls these functions make, each recorded. */
function fakeClient(overrides: Partial<Record<keyof MarathonClient, unknown>> = {}) {
  const client = {
    findApp: vi.fn(async (id: string) => (id === '/shell' ? running : undefined)),
    getApp: vi.fn(async (id: string) => {
      if (id !== 'shell' && id !== '/shell') {
        throw new HttpError({
          status: 404,
          method: 'GET',
          url: `http://m/v2/apps${id}`,
          body: { message: 'gone' },
        });
      }
      return running;
    }),
    createApp: vi.fn(async () => RESULT),
    updateApp: vi.fn(async () => RESULT),
    appVersions: vi.fn(async () => ['v3', 'v2', 'v1']),
    appVersion: vi.fn(async (_id: string, version: string) => ({ ...running, version })),
    ...overrides,
  };
  return client as typeof client & MarathonClient;
}

describe('checkAppDefinition', () => {
  it('accepts a valid definition as it is', async () => {
    const app = { id: 'shell', cmd: 'sleep 1', cpus: 0.1, mem: 10, instances: 1 };
    expect(await checkAppDefinition(app, 'app.json')).toBe(app);
  });

  it.each([
    ['an array', [{ id: 'x' }], 'app.json must hold one JSON object (an app definition)'],
    ['no id', { cmd: 'sleep 1' }, 'app.json: the application ID must be set ("id")'],
    ['an empty id', { id: ' ', cmd: 'sleep 1' }, 'app.json: the application ID must be set ("id")'],
  ])('refuses %s (usage error)', async (_what, value, message) => {
    const error = await rejectionOf(checkAppDefinition(value, 'app.json'), UsageError);
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(1);
  });

  it('lists every field the schema rejects, in the message and the details', async () => {
    const error = await rejectionOf(
      checkAppDefinition({ id: 'x', cmd: 'sleep 1', cpus: 'a', instancse: 2 }, 'app.yaml'),
      UsageError,
    );
    expect(error.message).toMatch(/^app\.yaml is not a valid app definition: /);
    expect(error.message).toContain('/cpus: must be number');
    expect(error.message).toContain("/instancse: unknown field 'instancse' (did you mean 'instances'?)");
    const fields = (error.details as { fields: Array<{ path: string }> }).fields.map((field) => field.path);
    expect(fields.sort()).toEqual(['/cpus', '/instancse']);
  });
});

describe('checkAppPatch and updateApp', () => {
  it('accepts a partial body (no id, no cmd)', async () => {
    expect(await checkAppPatch({ cpus: 0.2 }, 'shell')).toEqual({ cpus: 0.2 });
  });

  it('refuses unknown fields and wrong types before asking Marathon anything', async () => {
    const client = fakeClient();
    const error = await rejectionOf(updateApp(client, 'shell', { cpus: 'a', instancse: 3 }), UsageError);
    expect(error.message).toMatch(/^invalid update of \/shell: /);
    expect(error.message).toContain('/cpus: must be number');
    expect(error.message).toContain("unknown field 'instancse'");
    expect(client.getApp).not.toHaveBeenCalled();
    expect(client.updateApp).not.toHaveBeenCalled();
  });

  it('sends the patch to the app Marathon knows (its normalised id), with force when asked', async () => {
    const client = fakeClient();
    expect(await updateApp(client, 'shell', { cpus: 0.2 }, { force: true })).toEqual(RESULT);
    expect(client.updateApp).toHaveBeenCalledWith('/shell', { cpus: 0.2 }, { force: true });
  });

  it('--dry-run: the change against the running definition, runtime fields left out; nothing sent', async () => {
    const client = fakeClient();
    const preview = (await updateApp(client, 'shell', { cpus: 0.2 }, { dryRun: true })) as DryRun;
    expect(preview).toMatchObject({ dryRun: true, id: '/shell', exists: true });
    expect(preview.changes.join('\n')).toContain('cpus');
    expect(preview.diff).toContain('-  "cpus": 0.1,');
    expect(preview.diff).toContain('+  "cpus": 0.2,');
    expect(preview.diff.join('\n')).not.toContain('tasksRunning');
    expect(client.updateApp).not.toHaveBeenCalled();
  });

  it('an unknown app is the 404 from Marathon', async () => {
    const client = fakeClient();
    const error = await rejectionOf(updateApp(client, 'nope', { cpus: 1 }), HttpError);
    expect(error.status).toBe(404);
    expect(client.updateApp).not.toHaveBeenCalled();
  });
});

describe('addApp', () => {
  it('creates a new app', async () => {
    const client = fakeClient();
    const app = { id: 'web', cmd: 'sleep 1' };
    expect(await addApp(client, app)).toEqual(RESULT);
    expect(client.findApp).toHaveBeenCalledWith('/web');
    expect(client.createApp).toHaveBeenCalledWith(app);
  });

  it('refuses an id that exists, pointing at app update', async () => {
    const client = fakeClient();
    const error = await rejectionOf(addApp(client, { id: 'shell/', cmd: 'x' }), DcosError);
    expect(error.code).toBe('app_exists');
    expect(error.message).toBe(
      'application /shell already exists; change it with `dcos marathon app update /shell`',
    );
    expect(client.createApp).not.toHaveBeenCalled();
  });

  it('--dry-run previews the whole definition and creates nothing', async () => {
    const client = fakeClient();
    const preview = (await addApp(client, { id: 'web', cmd: 'sleep 1' }, { dryRun: true })) as DryRun;
    expect(preview).toMatchObject({ dryRun: true, id: '/web', exists: false });
    expect(preview.diff).toContain('+  "id": "/web"');
    expect(client.createApp).not.toHaveBeenCalled();
  });
});

describe('showApp and listVersions', () => {
  it('no version: the app; -N: N back in /versions; a timestamp: that version', async () => {
    const client = fakeClient();
    expect(await showApp(client, 'shell')).toBe(running);
    expect((await showApp(client, 'shell', '-1')).version).toBe('v2');
    expect((await showApp(client, 'shell', '-2')).version).toBe('v1');
    expect((await showApp(client, 'shell', '2026-01-01T00:00:00.000Z')).version).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    expect(client.appVersion).toHaveBeenCalledWith('shell', 'v2');
  });

  it.each([
    ['0', 'relative versions must be negative: 0'],
    ['3', 'relative versions must be negative: 3'],
    ['+1', 'relative versions must be negative: +1'],
    ['last tuesday', "invalid version 'last tuesday': expecting an ISO-8601 timestamp or -N"],
  ])('%j is a usage error', async (version, message) => {
    const client = fakeClient();
    const error = await rejectionOf(showApp(client, 'shell', version), UsageError);
    expect(error.message).toBe(message);
    expect(client.appVersion).not.toHaveBeenCalled();
  });

  it('too far back names how many versions there are', async () => {
    const error = await rejectionOf(showApp(fakeClient(), 'shell', '-3'), DcosError);
    expect(error.message).toBe('application /shell only has 3 version(s)');
    expect(error.exitCode).toBe(1);
  });

  it('listVersions: newest first as Marathon lists them, --max-count truncates, <= 0 is a usage error', async () => {
    const client = fakeClient();
    expect(await listVersions(client, 'shell')).toEqual(['v3', 'v2', 'v1']);
    expect(await listVersions(client, 'shell', 1)).toEqual(['v3']);
    expect(await listVersions(client, 'shell', 10)).toEqual(['v3', 'v2', 'v1']);
    await rejectionOf(listVersions(client, 'shell', 0), UsageError);
    await rejectionOf(listVersions(client, 'shell', -1), UsageError);
  });
});

describe('resolveTaskIds', () => {
  const task = (id: string): MarathonTask => ({ id, appId: '/shell', host: 'h' });
  const tasks = [
    task('shell.instance-aaa1._app.1'),
    task('shell.instance-aaa2._app.1'),
    task('shell.instance-bbb1._app.1'),
    task('web.1'),
    task('web.10'),
  ];

  it('matches an exact id, even when it is also a prefix of another', () => {
    expect(resolveTaskIds(tasks, ['web.1'])).toEqual([task('web.1')]);
  });

  it('matches a prefix that names exactly one task', () => {
    expect(resolveTaskIds(tasks, ['shell.instance-b', 'web.10'])).toEqual([
      task('shell.instance-bbb1._app.1'),
      task('web.10'),
    ]);
  });

  it('an ambiguous prefix is a usage error listing the candidates', () => {
    const error = thrownBy(() => resolveTaskIds(tasks, ['shell.instance-a']), UsageError);
    expect(error.exitCode).toBe(1);
    expect(error.code).toBe('ambiguous_task');
    expect(error.message).toBe(
      "task id 'shell.instance-a' matches 2 tasks: shell.instance-aaa1._app.1, shell.instance-aaa2._app.1; give more of the id",
    );
    expect(error.details).toEqual({
      candidates: ['shell.instance-aaa1._app.1', 'shell.instance-aaa2._app.1'],
    });
  });

  it('an unknown id is not found (exit 1)', () => {
    const error = thrownBy(() => resolveTaskIds(tasks, ['web.1', 'db']), DcosError);
    expect(error.code).toBe('not_found');
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe("no task 'db'; `dcos marathon task list` shows the tasks");
  });
});

describe('definitionOf and checkGroupDefinition', () => {
  it("drops what Marathon adds to an app's status, keeps the definition", () => {
    expect(definitionOf(running)).toEqual({
      id: '/shell',
      cmd: 'sleep 100',
      cpus: 0.1,
      mem: 10,
      instances: 2,
    });
  });

  it('checks the apps inside a group', async () => {
    const good = { id: '/g', apps: [{ id: '/g/a', cmd: 'sleep 1' }] };
    expect(await checkGroupDefinition(good, 'group.json')).toBe(good);
    const error = await rejectionOf(
      checkGroupDefinition({ id: '/g', apps: [{ id: '/g/a', cmd: 'x', mem: 'lots' }] }, 'group.json'),
      UsageError,
    );
    expect(error.message).toMatch(/^group\.json is not a valid group definition: .*\/apps\/0\/mem/);
    await rejectionOf(checkGroupDefinition('no', 'stdin'), UsageError);
  });

  it('checks a group update field by field, without asking for an id', async () => {
    expect(await checkGroupPatch({ dependencies: ['/db'] }, 'prod')).toEqual({ dependencies: ['/db'] });
    const error = await rejectionOf(
      checkGroupPatch({ dependencies: '/db', apps: [{ id: '/prod/a', cpus: 'x' }] }, 'prod'),
      UsageError,
    );
    expect(error.message).toMatch(/^invalid update of group \/prod: /);
    expect(error.message).toContain('/dependencies: must be array');
    expect(error.message).toContain('/apps/0/cpus: must be number');
    expect(error.details).toMatchObject({ fields: expect.any(Array) });
  });
});
