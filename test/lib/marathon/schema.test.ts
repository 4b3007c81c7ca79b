import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { describe, expect, it } from 'vitest';

import type * as AjvDraft04 from 'ajv-draft-04';

import {
  marathonSchemas,
  READ_ONLY_APP_FIELDS,
  validateAppDefinition,
  validateGroupDefinition,
} from '../../../src/lib/marathon/schema.js';

const FIXTURES = '/work/shared/fixtures/marathon';
const fixture = (path: string): unknown => JSON.parse(readFileSync(`${FIXTURES}/${path}`, 'utf8'));

interface Group {
  apps?: unknown[];
  groups?: Group[];
}
function appsOf(group: Group): unknown[] {
  return [...(group.apps ?? []), ...(group.groups ?? []).flatMap(appsOf)];
}

describe('the vendored schemas', () => {
  it('are valid draft-04 schemas, as adapted (runtime compiling skips this check)', () => {
    const { default: Ajv } = createRequire(import.meta.url)('ajv-draft-04') as typeof AjvDraft04.default;
    const ajv = new Ajv({ strict: false, logger: false });
    const { app, group } = marathonSchemas();
    expect(ajv.validateSchema(app), ajv.errorsText()).toBe(true);
    expect(ajv.validateSchema(group), ajv.errorsText()).toBe(true);
    // A broken schema does fail the check.
    expect(ajv.validateSchema({ ...app, properties: { cpus: { type: 'decimal' } } })).toBe(false);
  });
});

describe('validateAppDefinition', () => {
  it('accepts a minimal app and Marathon example apps', () => {
    expect(validateAppDefinition({ id: '/x', cmd: 'sleep 100', cpus: 0.1, mem: 16 })).toEqual([]);
    // Uses `check`, which the v1.7 schema does not know but later Marathon versions accept.
    expect(validateAppDefinition(fixture('examples/app-check-http-example.json'))).toEqual([]);
    for (const app of fixture('examples/apps_create.json') as unknown[])
      expect(validateAppDefinition(app)).toEqual([]);
  });

  it("finds the one problem of Marathon's own app.json example: cmd and args together", () => {
    // It also has `tty`, a later field we allow.
    expect(validateAppDefinition(fixture('examples/app.json'))).toEqual([
      { path: '/', message: "'cmd' and 'args' cannot both be set" },
    ]);
  });

  it('accepts every app of a real cluster (and the group holding them)', () => {
    const root = fixture('real/155_100.json') as Group;
    const apps = appsOf(root);
    expect(apps.length).toBeGreaterThanOrEqual(100);
    const bad = apps.map((app) => validateAppDefinition(app)).filter((problems) => problems.length > 0);
    expect(bad).toEqual([]);
    expect(validateGroupDefinition(root)).toEqual([]);
  });

  it('lists every bad field at once, as JSON pointers with readable messages', () => {
    const problems = validateAppDefinition({
      id: '/web',
      cmd: 'run',
      instancse: 2,
      cpus: 'a',
      mem: -1,
      healthChecks: [{ protocol: 'HTTP', portIndex: -1 }, { protocol: 'GOPHER' }],
      portDefinitions: [{ port: 80, name: 'Http' }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '/instancse', message: "unknown field 'instancse' (did you mean 'instances'?)" },
        { path: '/cpus', message: 'must be number (got "a")' },
        { path: '/mem', message: 'must be >= 0 (got -1)' },
        { path: '/healthChecks/0/portIndex', message: 'must be >= 0 (got -1)' },
        {
          path: '/healthChecks/1/protocol',
          message: expect.stringMatching(/^must be one of "HTTP", "HTTPS", .* \(got "GOPHER"\)$/),
        },
        {
          path: '/portDefinitions/0/name',
          message: `must be a lowercase letter followed by lowercase letters, digits or '-' (got "Http")`,
        },
      ]),
    );
    expect(problems).toHaveLength(6);
    expect(problems.map((problem) => problem.path)).toEqual([
      '/cpus',
      '/healthChecks/0/portIndex',
      '/healthChecks/1/protocol',
      '/instancse',
      '/mem',
      '/portDefinitions/0/name',
    ]);
  });

  it('explains a bad id, a missing id and a bad date', () => {
    expect(validateAppDefinition({ id: 'My_App', cmd: 'x', version: 'yesterday' })).toEqual([
      {
        path: '/id',
        message: `must be a path of names made of lowercase letters, digits, '-' and '.', separated by '/' (got "My_App")`,
      },
      { path: '/version', message: 'must be a date-time such as 2024-01-31T12:00:00.000Z (got "yesterday")' },
    ]);
    expect(validateAppDefinition({ cmd: 'x' })).toEqual([
      { path: '/id', message: "required field 'id' is missing" },
    ]);
    expect(validateAppDefinition({ cmd: 'x', cpus: 1 }, { partial: true })).toEqual([]);
    expect(validateAppDefinition({ id: '/x', version: '2024-01-31T12:00:00.000Z' })).toEqual([]);
  });

  it('reports read-only fields from `app show` output as such', () => {
    expect(READ_ONLY_APP_FIELDS).toContain('tasksRunning');
    expect(validateAppDefinition({ id: '/x', cmd: 'y', tasksRunning: 1, deployments: [] })).toEqual([
      {
        path: '/deployments',
        message: "read-only field 'deployments' (Marathon reports it; it is not part of a definition)",
      },
      {
        path: '/tasksRunning',
        message: "read-only field 'tasksRunning' (Marathon reports it; it is not part of a definition)",
      },
    ]);
  });

  it('reports the matching branch of env and unreachableStrategy, not every alternative', () => {
    expect(
      validateAppDefinition({
        id: '/x',
        cmd: 'y',
        env: { A: 'ok', B: 1, C: { secret: 2 }, D: { secret: 'db', extra: true } },
        unreachableStrategy: 'enabled',
      }),
    ).toEqual([
      { path: '/env/B', message: 'must be string or object (got 1)' },
      { path: '/env/C/secret', message: 'must be string (got 2)' },
      { path: '/env/D/extra', message: "unknown field 'extra'" },
      { path: '/unreachableStrategy', message: 'must be one of "disabled" (got "enabled")' },
    ]);
    expect(
      validateAppDefinition({
        id: '/x',
        cmd: 'y',
        env: { PASSWORD: { secret: 'db' } },
        unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 120 },
      }),
    ).toEqual([]);
  });

  it('allows the fields of later Marathon versions', () => {
    expect(
      validateAppDefinition({
        id: '/x',
        cmd: 'y',
        role: 'slave_public',
        tty: true,
        resourceLimits: { cpus: 'unlimited', mem: 512 },
        check: { http: { portIndex: 0, path: '/' } },
      }),
    ).toEqual([]);
    expect(
      validateAppDefinition({ id: '/x', cmd: 'y', tty: 'yes', resourceLimits: { cpus: 'lots' } }),
    ).toEqual([
      { path: '/resourceLimits/cpus', message: 'must be one of "unlimited" (got "lots")' },
      { path: '/tty', message: 'must be boolean (got "yes")' },
    ]);
  });

  it('reports a document that is not an object once', () => {
    expect(validateAppDefinition([])).toEqual([{ path: '/', message: 'must be object (got an array)' }]);
    expect(validateAppDefinition('app')).toEqual([{ path: '/', message: 'must be object (got "app")' }]);
  });
});

describe('validateGroupDefinition', () => {
  it('orders problems by path, numbers numerically', () => {
    const apps = Array.from({ length: 12 }, (_, index) => ({ id: `/g/a${index}`, cmd: 'x' }));
    apps[10] = { ...apps[10]!, cmd: 1 as unknown as string };
    apps[2] = { ...apps[2]!, cmd: 2 as unknown as string };
    expect(validateGroupDefinition({ id: '/g', apps }).map((problem) => problem.path)).toEqual([
      '/apps/2/cmd',
      '/apps/10/cmd',
    ]);
  });

  it("accepts Marathon's group example", () => {
    expect(validateGroupDefinition(fixture('examples/group.json'))).toEqual([]);
  });

  it('checks the apps and groups inside, with full paths', () => {
    expect(
      validateGroupDefinition({
        id: '/g',
        apps: [{ id: '/g/a', cmd: 'x', args: ['y'], cpus: 'z' }],
        groups: [{ id: '/g/h', apps: [{ instancse: 1 }], enforceRole: true, pods: [] }],
        dependencie: [],
      }),
    ).toEqual([
      { path: '/apps/0', message: "'cmd' and 'args' cannot both be set" },
      { path: '/apps/0/cpus', message: 'must be number (got "z")' },
      { path: '/dependencie', message: "unknown field 'dependencie' (did you mean 'dependencies'?)" },
      { path: '/groups/0/apps/0/id', message: "required field 'id' is missing" },
      {
        path: '/groups/0/apps/0/instancse',
        message: "unknown field 'instancse' (did you mean 'instances'?)",
      },
    ]);
  });
});
