import { describe, expect, it } from 'vitest';

import {
  allApps,
  appDependencies,
  dependencyCycle,
  emptyRoot,
  findApp,
  findGroup,
  groupJson,
  normalizeGroup,
  putApp,
  putGroup,
  removeApp,
  removeGroup,
  resolveId,
  scaleGroup,
} from '../../../../src/lib/local/marathon/groups.js';
import { validateGroup } from '../../../../src/lib/local/marathon/validate.js';
import type { Group } from '../../../../src/lib/local/types.js';
import { fixture, makeApp, V1, V2, V3 } from './helpers.js';

function group(raw: Record<string, unknown>, version = V1): Group {
  expect(validateGroup(raw)).toEqual([]);
  return normalizeGroup(raw, { version, parentId: '/' });
}

describe('resolveId', () => {
  it.each([
    ['web', '/', '/web'],
    ['web', '/prod', '/prod/web'],
    ['/abs', '/prod', '/abs'],
    ['../web', '/prod/eu', '/prod/web'],
    ['../../web', '/prod/eu', '/web'],
    ['../../../web', '/prod', '/web'],
    ['./a/./b', '/g', '/g/a/b'],
    ['.', '/g', '/g'],
    ['..', '/g/h', '/g'],
    ['', '/g', '/g'],
    ['/a//b/', '/', '/a/b'],
    ['/', '/x', '/'],
  ])('resolveId(%j, %j) = %j', (id, base, expected) => {
    expect(resolveId(id, base)).toBe(expected);
  });
});

describe('tree updates', () => {
  it('emptyRoot is an empty group "/"', () => {
    expect(emptyRoot(V1)).toEqual({
      id: '/',
      apps: [],
      groups: [],
      pods: [],
      dependencies: [],
      version: V1,
      enforceRole: false,
    });
  });

  it('putApp creates intermediate groups and stamps the changed path only', () => {
    const root0 = putApp(emptyRoot(V1), makeApp({ id: '/other/x', cmd: 'x' }), V1);
    const snapshot = JSON.stringify(root0);
    const root1 = putApp(root0, makeApp({ id: '/prod/eu/web', cmd: 'x' }, { version: V2 }), V2);
    expect(JSON.stringify(root0)).toBe(snapshot); // input untouched
    expect(root1.version).toBe(V2);
    expect(findGroup(root1, '/prod')?.version).toBe(V2);
    expect(findGroup(root1, '/prod/eu')).toMatchObject({
      id: '/prod/eu',
      version: V2,
      dependencies: [],
      pods: [],
    });
    expect(findGroup(root1, '/other')?.version).toBe(V1);
    expect(root1.groups.map((g) => g.id)).toEqual(['/other', '/prod']);
    expect(findApp(root1, '/prod/eu/web')?.cmd).toBe('x');
    expect(findApp(root1, 'prod/eu/web')?.id).toBe('/prod/eu/web');
    expect(findApp(root1, '/prod/eu')).toBeUndefined();
  });

  it('putApp replaces an existing app; allApps is sorted', () => {
    let root = emptyRoot(V1);
    for (const id of ['/b', '/a/z', '/a/c', '/c']) root = putApp(root, makeApp({ id, cmd: 'one' }), V1);
    root = putApp(root, makeApp({ id: '/a/c', cmd: 'two' }), V2);
    expect(allApps(root).map((a) => [a.id, a.cmd])).toEqual([
      ['/a/c', 'two'],
      ['/a/z', 'one'],
      ['/b', 'one'],
      ['/c', 'one'],
    ]);
    expect(findGroup(root, '/a')?.apps.map((a) => a.id)).toEqual(['/a/c', '/a/z']);
  });

  it('removeApp keeps the groups; an unknown id returns the same root', () => {
    const root = putApp(
      putApp(emptyRoot(V1), makeApp({ id: '/g/a', cmd: 'x' }), V1),
      makeApp({ id: '/h/b', cmd: 'x' }),
      V1,
    );
    const after = removeApp(root, '/g/a', V2);
    expect(findApp(after, '/g/a')).toBeUndefined();
    expect(findGroup(after, '/g')).toMatchObject({ apps: [], version: V2 });
    expect(findGroup(after, '/h')?.version).toBe(V1);
    expect(after.version).toBe(V2);
    expect(removeApp(root, '/nope', V2)).toBe(root);
  });

  it('removeGroup removes a subtree; "/" empties the root', () => {
    let root = emptyRoot(V1);
    for (const id of ['/g/a', '/g/sub/b', '/h/c']) root = putApp(root, makeApp({ id, cmd: 'x' }), V1);
    const after = removeGroup(root, '/g', V2);
    expect(findGroup(after, '/g')).toBeUndefined();
    expect(allApps(after).map((a) => a.id)).toEqual(['/h/c']);
    expect(after.version).toBe(V2);
    expect(removeGroup(root, '/missing', V2)).toBe(root);
    const emptied = removeGroup(root, '/', V2);
    expect(emptied).toMatchObject({ id: '/', apps: [], groups: [], version: V2 });
  });

  it('putGroup replaces a subgroup and creates its parents', () => {
    let root = putApp(emptyRoot(V1), makeApp({ id: '/a/b/old', cmd: 'x' }), V1);
    const replacement = normalizeGroup(
      { id: '/a/b', apps: [{ id: 'new', cmd: 'y' }] },
      { version: V2, parentId: '/' },
    );
    root = putGroup(root, replacement, V2);
    expect(allApps(root).map((a) => a.id)).toEqual(['/a/b/new']);
    expect(findGroup(root, '/a')?.version).toBe(V2);
    const deep = putGroup(root, normalizeGroup({ id: '/x/y/z' }, { version: V3, parentId: '/' }), V3);
    expect(findGroup(deep, '/x/y')).toMatchObject({ id: '/x/y', version: V3 });
    expect(findGroup(deep, '/x/y/z')).toMatchObject({ id: '/x/y/z', apps: [], groups: [] });
  });
});

describe('normalizeGroup', () => {
  it('normalises examples/group.json', () => {
    const root = group(fixture('group.json'));
    expect(root.id).toBe('/');
    expect(findGroup(root, '/tools/log')).toMatchObject({ apps: [], groups: [], pods: [], dependencies: [] });
    expect(allApps(root).map((a) => a.id)).toEqual([
      '/tools/datadog-agent',
      '/tools/docker/registry',
      '/tools/oauth-server',
    ]);
    const oauth = findApp(root, '/tools/oauth-server');
    expect(oauth).toMatchObject({
      instances: 2,
      portDefinitions: [{ port: 1980, protocol: 'tcp' }],
      networks: [{ mode: 'host' }],
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
      version: V1,
      versionInfo: { lastScalingAt: V1, lastConfigChangeAt: V1 },
    });
    expect(oauth).not.toHaveProperty('uris');
    expect(oauth).not.toHaveProperty('dependencies');
    const registry = findApp(root, '/tools/docker/registry');
    expect(registry?.networks).toEqual([{ mode: 'container/bridge' }]);
    expect(registry?.container?.portMappings).toEqual([
      { containerPort: 5000, hostPort: 0, labels: {}, protocol: 'tcp', servicePort: 5000 },
    ]);
    for (const g of [root, ...root.groups]) expect(g.version).toBe(V1);
    const json = groupJson(root);
    expect(Object.keys(json)).toEqual([
      'id',
      'apps',
      'groups',
      'pods',
      'dependencies',
      'version',
      'enforceRole',
    ]);
  });

  it('resolves relative ids of the dcos-cli complicated group', () => {
    const root = group(fixture('dcos-cli/complicated.json'));
    expect(root.id).toBe('/test-group');
    expect(allApps(root).map((a) => a.id)).toEqual([
      '/test-group/app/sleep10',
      '/test-group/appingroups',
      '/test-group/moregroups/moregroups/sleep1',
    ]);
    expect(root.groups.map((g) => g.id)).toEqual(['/test-group/app', '/test-group/moregroups']);
    expect(findApp(root, '/test-group/app/sleep10')?.dependencies).toEqual(['/product/database']);
  });

  it('uses parentId as base and as the id of a body without one', () => {
    expect(
      normalizeGroup({ apps: [{ id: 'a', cmd: 'x' }] }, { version: V1, parentId: '/g' }).apps[0]?.id,
    ).toBe('/g/a');
    expect(normalizeGroup({ id: 'sub' }, { version: V1, parentId: '/g' }).id).toBe('/g/sub');
    expect(
      normalizeGroup({ id: '/g', dependencies: ['../db', '/abs', 'child'] }, { version: V1, parentId: '/' })
        .dependencies,
    ).toEqual(['/db', '/abs', '/g/child']);
  });

  it('gives apps of a top-level group with enforceRole the group role', () => {
    const g = normalizeGroup(
      {
        id: '/dev',
        enforceRole: true,
        apps: [
          { id: 'a', cmd: 'x' },
          { id: 'b', cmd: 'x', role: '*' },
        ],
      },
      { version: V1, parentId: '/' },
    );
    expect(g.apps.map((a) => a.role)).toEqual(['dev', '*']);
    expect(g.enforceRole).toBe(true);
  });
});

describe('scaleGroup', () => {
  it('multiplies instances under the group (ceil), leaving others alone', () => {
    let root = emptyRoot(V1);
    for (const [id, instances] of [
      ['/g/a', 3],
      ['/g/sub/b', 10],
      ['/g/c', 0],
      ['/h/d', 2],
    ] as const) {
      root = putApp(root, makeApp({ id, cmd: 'x', instances }), V1);
    }
    const scaled = scaleGroup(root, '/g', 1.5, V2);
    expect(allApps(scaled).map((a) => [a.id, a.instances])).toEqual([
      ['/g/a', 5],
      ['/g/c', 0],
      ['/g/sub/b', 15],
      ['/h/d', 2],
    ]);
    expect(findApp(scaled, '/g/a')?.versionInfo).toEqual({ lastScalingAt: V2, lastConfigChangeAt: V1 });
    expect(findApp(scaled, '/g/c')?.version).toBe(V1);
    expect(findGroup(scaled, '/h')?.version).toBe(V1);
    expect(findApp(scaleGroup(root, '/g', 0.3, V2), '/g/sub/b')?.instances).toBe(3);
    expect(scaleGroup(root, '/nope', 2, V2)).toBe(root);
  });
});

describe('dependencies', () => {
  const root = group({
    id: '/',
    groups: [
      {
        id: 'db',
        apps: [
          { id: 'pg', cmd: 'x' },
          { id: 'redis', cmd: 'x' },
        ],
      },
      { id: 'cache', apps: [{ id: 'mc', cmd: 'x' }] },
      {
        id: 'web',
        dependencies: ['/db'],
        apps: [{ id: 'api', cmd: 'x', dependencies: ['/cache/mc', '/nothing/here', 'front/ui'] }],
        groups: [{ id: 'front', apps: [{ id: 'ui', cmd: 'x' }] }],
      },
    ],
  });

  it('appDependencies expands app, group and enclosing-group dependencies', () => {
    expect(appDependencies(root, '/web/api')).toEqual(['/cache/mc', '/db/pg', '/db/redis', '/web/front/ui']);
    expect(appDependencies(root, '/web/front/ui')).toEqual(['/db/pg', '/db/redis']);
    expect(appDependencies(root, '/db/pg')).toEqual([]);
    expect(appDependencies(root, '/missing')).toEqual([]);
  });

  it('an app depending on its own group does not depend on itself', () => {
    const g = group({
      id: '/g',
      apps: [
        { id: 'a', cmd: 'x', dependencies: ['/g'] },
        { id: 'b', cmd: 'x' },
      ],
    });
    expect(appDependencies(g, '/g/a')).toEqual(['/g/b']);
  });

  it('dependencyCycle finds cycles', () => {
    expect(dependencyCycle(root)).toBeUndefined();
    const cyclic = group({
      id: '/',
      apps: [
        { id: 'a', cmd: 'x', dependencies: ['/b'] },
        { id: 'b', cmd: 'x', dependencies: ['/c'] },
        { id: 'c', cmd: 'x', dependencies: ['/a'] },
      ],
    });
    expect(dependencyCycle(cyclic)).toEqual(['/a', '/b', '/c', '/a']);
  });
});
