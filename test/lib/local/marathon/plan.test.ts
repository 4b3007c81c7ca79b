import { describe, expect, it } from 'vitest';

import {
  allApps,
  allGroups,
  emptyRoot,
  findApp,
  findGroup,
  normalizeGroup,
  putApp,
  putGroup,
  removeApp,
  removeGroup,
} from '../../../../src/lib/local/marathon/groups.js';
import {
  buildPlan,
  compareIds,
  conflicts,
  planJson,
  revertPlan,
} from '../../../../src/lib/local/marathon/plan.js';
import type { AppDefinition, Group, PlanStep } from '../../../../src/lib/local/types.js';
import { fixture, makeApp, V1, V2, V3 } from './helpers.js';

function rootWith(apps: Array<Record<string, unknown>>, version = V1): Group {
  let root = emptyRoot(version);
  for (const raw of apps) root = putApp(root, makeApp(raw, { version }), version);
  return root;
}

/** Steps as `[[action, app], ...]` per step, short for assertions. */
function steps(list: PlanStep[]): Array<Array<[string, string]>> {
  return list.map((s) =>
    s.actions.map((a): [string, string] => [a.action.replace('Application', ''), a.app]),
  );
}

describe('buildPlan', () => {
  it('orders examples/apps_create.json by dependencies (§4.1 example)', () => {
    const target = rootWith(fixture<Array<Record<string, unknown>>>('apps_create.json'));
    const plan = buildPlan(emptyRoot(V1), target, { id: 'd1', version: V2 });
    expect(steps(plan.steps)).toEqual([
      [
        ['Start', '/test/sleep60'],
        ['Start', '/test/sleep120'],
      ],
      [['Scale', '/test/sleep120']],
      [['Scale', '/test/sleep60']],
    ]);
    expect(plan.affectedApps).toEqual(['/test/sleep120', '/test/sleep60']); // plainly sorted
    expect(plan).toMatchObject({ id: 'd1', version: V2 });
    expect(plan.original).toEqual(emptyRoot(V1));
    expect(plan.target).toEqual(target);
  });

  it('keeps only the apps it changes in its roots (every group stays)', () => {
    const original = rootWith([
      { id: '/keep/a', cmd: 'x' },
      { id: '/keep/b', cmd: 'x' },
      { id: '/gone', cmd: 'x' },
    ]);
    let target = removeApp(original, '/gone', V2);
    target = putApp(target, makeApp({ id: '/keep/b', cmd: 'y' }, { version: V2 }), V2);
    target = putApp(target, makeApp({ id: '/new', cmd: 'x' }, { version: V2 }), V2);
    const plan = buildPlan(original, target, { id: 'd', version: V2 });
    const appIds = (root: Group) =>
      allApps(root)
        .map((app) => app.id)
        .sort();
    expect(appIds(plan.original)).toEqual(['/gone', '/keep/b']);
    expect(appIds(plan.target)).toEqual(['/keep/b', '/new']);
    expect(allGroups(plan.target).map((group) => group.id)).toEqual(
      allGroups(target).map((group) => group.id),
    );
  });

  it('puts a 3-long chain into three layers, independent apps into the first', () => {
    const target = rootWith([
      { id: '/c', cmd: 'x', dependencies: ['/b'] },
      { id: '/b', cmd: 'x', dependencies: ['/a'] },
      { id: '/a', cmd: 'x' },
      { id: '/z', cmd: 'x' },
    ]);
    const plan = buildPlan(emptyRoot(V1), target, { id: 'd', version: V2 });
    expect(steps(plan.steps).slice(1)).toEqual([
      [
        ['Scale', '/a'],
        ['Scale', '/z'],
      ],
      [['Scale', '/b']],
      [['Scale', '/c']],
    ]);
  });

  it('orders by group dependencies (every app of the group depends on every app of the named group)', () => {
    const target = normalizeGroup(
      {
        id: '/',
        groups: [
          { id: 'db', apps: [{ id: 'pg', cmd: 'x' }] },
          {
            id: 'web',
            dependencies: ['/db'],
            apps: [
              { id: 'api', cmd: 'x' },
              { id: 'ui', cmd: 'x' },
            ],
          },
        ],
      },
      { version: V1, parentId: '/' },
    );
    const plan = buildPlan(emptyRoot(V1), target, { id: 'd', version: V2 });
    expect(steps(plan.steps)).toEqual([
      [
        ['Start', '/db/pg'],
        ['Start', '/web/api'],
        ['Start', '/web/ui'],
      ],
      [['Scale', '/db/pg']],
      [
        ['Scale', '/web/api'],
        ['Scale', '/web/ui'],
      ],
    ]);
  });

  it('uses the whole target graph for layers even when only a dependant changes', () => {
    const original = rootWith([
      { id: '/a', cmd: 'x' },
      { id: '/b', cmd: 'x', dependencies: ['/a'] },
    ]);
    const target = putApp(
      original,
      makeApp({ id: '/b', cmd: 'y', dependencies: ['/a'] }, { version: V2 }),
      V2,
    );
    expect(steps(buildPlan(original, target, { id: 'd', version: V2 }).steps)).toEqual([[['Restart', '/b']]]);
  });

  it('stops removed apps first, restarts on config change, scales on instance-only change', () => {
    const original = rootWith([
      { id: '/gone', cmd: 'x' },
      { id: '/cmd', cmd: 'sleep 1' },
      { id: '/scale', cmd: 'x', instances: 1 },
      { id: '/same', cmd: 'x' },
      { id: '/env', cmd: 'x' },
      { id: '/down', cmd: 'x', instances: 3 },
    ]);
    let target = removeApp(original, '/gone', V2);
    target = putApp(target, makeApp({ id: '/cmd', cmd: 'sleep 2' }, { version: V2 }), V2);
    target = putApp(target, makeApp({ id: '/scale', cmd: 'x', instances: 4 }, { version: V2 }), V2);
    target = putApp(target, makeApp({ id: '/same', cmd: 'x' }, { version: V2 }), V2); // new version, same config
    target = putApp(target, makeApp({ id: '/env', cmd: 'x', env: { A: '1' } }, { version: V2 }), V2);
    target = putApp(target, makeApp({ id: '/down', cmd: 'changed', instances: 0 }, { version: V2 }), V2);
    target = putApp(target, makeApp({ id: '/new', cmd: 'x' }, { version: V2 }), V2);
    const plan = buildPlan(original, target, { id: 'd', version: V2 });
    expect(steps(plan.steps)).toEqual([
      [['Stop', '/gone']],
      [['Start', '/new']],
      [
        ['Restart', '/cmd'],
        ['Scale', '/down'],
        ['Restart', '/env'],
        ['Scale', '/new'],
        ['Scale', '/scale'],
      ],
    ]);
    expect(plan.affectedApps).toEqual(['/cmd', '/down', '/env', '/gone', '/new', '/scale']);
  });

  it('restarts apps named in `restart` and carries toKill', () => {
    const original = rootWith([
      { id: '/a', cmd: 'x', instances: 2 },
      { id: '/b', cmd: 'x', instances: 2 },
    ]);
    const target = putApp(original, makeApp({ id: '/b', cmd: 'x', instances: 1 }, { version: V2 }), V2);
    const plan = buildPlan(original, target, {
      id: 'd',
      version: V2,
      restart: new Set(['/a']),
      toKill: { '/b': ['b.instance-1'] },
    });
    expect(steps(plan.steps)).toEqual([
      [
        ['Restart', '/a'],
        ['Scale', '/b'],
      ],
    ]);
    expect(plan.toKill).toEqual({ '/b': ['b.instance-1'] });
  });

  it('a no-op plan has no steps and affects nothing', () => {
    const root = rootWith([{ id: '/a', cmd: 'x' }]);
    const plan = buildPlan(root, root, { id: 'noop', version: V2 });
    expect(plan.steps).toEqual([]);
    expect(plan.affectedApps).toEqual([]);
    expect(plan).not.toHaveProperty('toKill');
  });

  it('survives dependency cycles', () => {
    const target = rootWith([
      { id: '/a', cmd: 'x', dependencies: ['/b'] },
      { id: '/b', cmd: 'x', dependencies: ['/a'] },
    ]);
    const plan = buildPlan(emptyRoot(V1), target, { id: 'd', version: V2 });
    expect(plan.affectedApps).toEqual(['/a', '/b']);
    expect(plan.steps.flatMap((s) => s.actions)).toHaveLength(4);
  });
});

describe('revertPlan', () => {
  const byId = (root: Group): Record<string, AppDefinition> =>
    Object.fromEntries(allApps(root).map((a) => [a.id, a]));

  it('undoes the plan: added apps removed, removed re-added, changed restored, groups too', () => {
    let original = rootWith([
      { id: '/keep', cmd: 'x' },
      { id: '/changed', cmd: 'old', instances: 2 },
      { id: '/removed/app', cmd: 'x' },
      { id: '/other', cmd: 'x' },
    ]);
    original = putGroup(
      original,
      { ...(findGroup(original, '/removed') as Group), dependencies: ['/keep'] },
      V1,
    );
    let target = removeGroup(original, '/removed', V2);
    target = putApp(target, makeApp({ id: '/changed', cmd: 'new', instances: 5 }, { version: V2 }), V2);
    target = putApp(target, makeApp({ id: '/added/deep/app', cmd: 'x' }, { version: V2 }), V2);
    const plan = buildPlan(original, target, { id: 'd', version: V2 });

    // a concurrent change to an app the plan did not touch survives the rollback
    const current = putApp(target, makeApp({ id: '/other', cmd: 'concurrent' }, { version: V3 }), V3);
    const reverted = revertPlan(plan, current, V3);

    const apps = byId(reverted);
    expect(Object.keys(apps)).toEqual(['/changed', '/keep', '/other', '/removed/app']);
    expect(apps['/changed']).toEqual(findApp(original, '/changed'));
    expect(apps['/removed/app']).toEqual(findApp(original, '/removed/app'));
    expect(apps['/keep']).toEqual(findApp(original, '/keep'));
    expect(apps['/other']?.cmd).toBe('concurrent');
    expect(findGroup(reverted, '/added')).toBeUndefined();
    expect(findGroup(reverted, '/removed')?.dependencies).toEqual(['/keep']);
    expect(reverted.version).toBe(V3);

    // with no concurrent change the result plans back to the original state exactly
    const back = revertPlan(plan, target, V3);
    expect(byId(back)).toEqual(byId(original));
    const rollback = buildPlan(target, back, { id: 'r', version: V3 });
    expect(steps(rollback.steps)).toEqual([
      [['Stop', '/added/deep/app']],
      [['Start', '/removed/app']],
      [['Restart', '/changed']],
      [['Scale', '/removed/app']], // its group depends on /keep
    ]);
  });

  it('keeps an added group that something else was put into meanwhile', () => {
    const original = rootWith([]);
    const target = putApp(original, makeApp({ id: '/g/a', cmd: 'x' }, { version: V2 }), V2);
    const plan = buildPlan(original, target, { id: 'd', version: V2 });
    const current = putApp(target, makeApp({ id: '/g/b', cmd: 'x' }, { version: V3 }), V3);
    const reverted = revertPlan(plan, current, V3);
    expect(allApps(reverted).map((a) => a.id)).toEqual(['/g/b']);
    expect(findGroup(reverted, '/g')).toBeDefined();
  });
});

describe('planJson and conflicts', () => {
  const original = rootWith([
    { id: '/a', cmd: 'x' },
    { id: '/b', cmd: 'x' },
  ]);
  const planA = buildPlan(original, putApp(original, makeApp({ id: '/a', cmd: 'y' }), V2), {
    id: 'pa',
    version: V2,
  });
  const planB = buildPlan(original, putApp(original, makeApp({ id: '/b', cmd: 'y' }), V2), {
    id: 'pb',
    version: V2,
  });
  const planAB = buildPlan(
    original,
    rootWith([
      { id: '/a', cmd: 'z' },
      { id: '/b', cmd: 'z' },
    ]),
    {
      id: 'pab',
      version: V2,
    },
  );

  it('planJson is the event payload shape', () => {
    expect(planJson(planA)).toEqual({
      id: 'pa',
      version: V2,
      steps: [{ actions: [{ action: 'RestartApplication', app: '/a' }] }],
    });
  });

  it('conflicts are running plans with intersecting affected apps', () => {
    expect(conflicts(planA, [planB]).map((p) => p.id)).toEqual([]);
    expect(conflicts(planAB, [planA, planB]).map((p) => p.id)).toEqual(['pa', 'pb']);
    expect(conflicts(planA, [planA, planAB]).map((p) => p.id)).toEqual(['pab']);
  });
});

describe('compareIds', () => {
  it('orders digit runs numerically', () => {
    expect(['/b', '/a10', '/a9b', '/a', '/a9', '/a09'].sort(compareIds)).toEqual([
      '/a',
      '/a9',
      '/a09',
      '/a9b',
      '/a10',
      '/b',
    ]);
  });
});
