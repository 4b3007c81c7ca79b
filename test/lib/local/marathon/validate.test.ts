import { describe, expect, it } from 'vitest';

import { appJson, normalizeApp } from '../../../../src/lib/local/marathon/normalize.js';
import {
  ID_SEGMENT_PATTERN,
  validateApp,
  validateGroup,
  validateId,
} from '../../../../src/lib/local/marathon/validate.js';
import type { FieldError } from '../../../../src/lib/local/types.js';
import { fixture, V1 } from './helpers.js';

const ID_MESSAGE = `must fully match regular expression '${ID_SEGMENT_PATTERN}'`;

/** validateApp on a valid base app with `fields` merged in. */
function errorsWith(fields: Record<string, unknown>, options?: { partial?: boolean }): FieldError[] {
  return validateApp({ id: '/app', cmd: 'sleep 1', ...fields }, options);
}

function errorsAt(errors: FieldError[], path: string): string[] | undefined {
  return errors.find((e) => e.path === path)?.errors;
}

describe('validateApp: ids', () => {
  it('accepts a minimal app', () => {
    expect(validateApp({ id: '/foo', cmd: 'sleep 100' })).toEqual([]);
    expect(validateApp({ id: 'relative/ok-1.2', cmd: 'x' })).toEqual([]);
  });

  it('requires an id unless partial', () => {
    expect(validateApp({ cmd: 'x' })).toEqual([{ path: '/id', errors: ['error.path.missing'] }]);
    expect(validateApp({ cmd: 'x' }, { partial: true })).toEqual([]);
    expect(validateApp({ id: 5, cmd: 'x' })).toEqual([{ path: '/id', errors: ['error.expected.jsstring'] }]);
  });

  it('rejects bad id segments with Marathon message (schema case {id:"/Foo_bar",cmd:""})', () => {
    expect(ID_SEGMENT_PATTERN).toBe(
      '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$',
    );
    expect(validateApp({ id: '/Foo_bar', cmd: '' })).toEqual([
      { path: '/id', errors: [ID_MESSAGE] },
      { path: '/cmd', errors: ['error.minLength'] },
    ]);
    for (const bad of ['/-web', '/web-', '/a/b_c', '/a..b', '/UPPER', '/a/.x']) {
      expect(validateApp({ id: bad, cmd: 'x' }), bad).toEqual([{ path: '/id', errors: [ID_MESSAGE] }]);
    }
    expect(validateApp({ id: '/a/tasks', cmd: 'x' })).toEqual([
      {
        path: '/id',
        errors: ['must not end with any of the following reserved keywords: restart, tasks, versions'],
      },
    ]);
    expect(validateApp({ id: '/', cmd: 'x' })).toEqual([
      { path: '/id', errors: ['Path must contain at least one path element'] },
    ]);
  });

  it('validateId returns the first problem or undefined', () => {
    expect(validateId('/prod/web.v2')).toBeUndefined();
    expect(validateId('../sibling')).toBeUndefined();
    expect(validateId('/a_b')).toBe(ID_MESSAGE);
    expect(validateId('')).toBe('Path must contain at least one path element');
    expect(validateId('/x/versions')).toMatch(/reserved keywords/);
  });
});

describe('validateApp: command', () => {
  it('examples/app.json fails only on cmd together with args', () => {
    expect(validateApp(fixture('app.json'))).toEqual([
      { path: '/', errors: ["'cmd' and 'args' cannot be used together"] },
    ]);
  });

  it('needs cmd, args or a container with an image', () => {
    const message = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.";
    expect(validateApp({ id: '/a' })).toEqual([{ path: '/', errors: [message] }]);
    expect(validateApp({ id: '/a', args: [] })).toEqual([{ path: '/', errors: [message] }]);
    expect(validateApp({ id: '/a', container: { type: 'MESOS' } })).toEqual([
      { path: '/', errors: [message] },
    ]);
    expect(validateApp({ id: '/a', args: ['x'] })).toEqual([]);
    expect(validateApp({ id: '/a', container: { docker: { image: 'nginx' } } })).toEqual([]);
    expect(validateApp({ id: '/a', container: { type: 'MESOS', docker: { image: 'nginx' } } })).toEqual([]);
    expect(validateApp({ instances: 2 }, { partial: true })).toEqual([]);
    expect(validateApp({ cmd: 'x', args: ['y'] }, { partial: true })).toEqual([
      { path: '/', errors: ["'cmd' and 'args' cannot be used together"] },
    ]);
  });

  it('checks the docker image', () => {
    expect(validateApp({ id: '/a', container: { docker: {} } })).toEqual([
      { path: '/container/docker/image', errors: ['error.path.missing'] },
    ]);
    expect(validateApp({ id: '/a', container: { docker: { image: '' } } })).toEqual([
      { path: '/container/docker/image', errors: ['must not be empty'] },
    ]);
    expect(validateApp({ id: '/a', cmd: 'x', container: { volumes: [] } })).toEqual([
      { path: '/container/docker', errors: ['error.path.missing'] },
    ]);
    expect(validateApp({ id: '/a', cmd: 'x', container: { type: 'MESOS', volumes: [] } })).toEqual([]);
  });
});

describe('validateApp: types and bounds', () => {
  it('reports play-json type errors', () => {
    expect(errorsWith({ cpus: 'a' })).toEqual([{ path: '/cpus', errors: ['error.expected.jsnumber'] }]);
    expect(errorsWith({ instances: 1.5 })).toEqual([{ path: '/instances', errors: ['error.expected.int'] }]);
    expect(errorsWith({ requirePorts: 'yes' })).toEqual([
      { path: '/requirePorts', errors: ['error.expected.jsboolean'] },
    ]);
    expect(errorsWith({ constraints: 'x' })).toEqual([
      { path: '/constraints', errors: ['error.expected.jsarray'] },
    ]);
    expect(errorsWith({ upgradeStrategy: [] })).toEqual([
      { path: '/upgradeStrategy', errors: ['error.expected.jsobject'] },
    ]);
    expect(errorsWith({ labels: { a: 'ok', b: 1 } })).toEqual([
      { path: '/labels/b', errors: ['error.expected.jsstring'] },
    ]);
    expect(errorsWith({ env: { PORT: 8080, SECRET: { secret: 'db' }, OK: 'x' } })).toEqual([
      { path: '/env/PORT', errors: ['error.expected.jsstring'] },
    ]);
    expect(errorsWith({ killSelection: 'RANDOM' })).toEqual([
      { path: '/killSelection', errors: ['error.unknown.enum.literal'] },
    ]);
    expect(validateApp('not an object')).toEqual([{ path: '/', errors: ['error.expected.jsobject'] }]);
  });

  it('reports bounds', () => {
    expect(errorsWith({ cpus: 0 })).toEqual([
      { path: '/cpus', errors: ['must be greater than or equal to 0.001'] },
    ]);
    expect(errorsWith({ mem: -1, disk: -1, instances: -1, gpus: -1 })).toEqual([
      { path: '/instances', errors: ['must be greater than or equal to 0'] },
      { path: '/mem', errors: ['must be greater than or equal to 0'] },
      { path: '/disk', errors: ['must be greater than or equal to 0'] },
      { path: '/gpus', errors: ['must be greater than or equal to 0'] },
    ]);
    expect(errorsWith({ backoffFactor: 0.5 })).toEqual([
      { path: '/backoffFactor', errors: ['must be greater than or equal to 1'] },
    ]);
    expect(
      errorsWith({ upgradeStrategy: { minimumHealthCapacity: 1.5, maximumOverCapacity: -0.1 } }),
    ).toEqual([
      { path: '/upgradeStrategy/minimumHealthCapacity', errors: ['is greater than 1'] },
      { path: '/upgradeStrategy/maximumOverCapacity', errors: ['is less than 0'] },
    ]);
    expect(errorsWith({ unreachableStrategy: { inactiveAfterSeconds: 10, expungeAfterSeconds: 5 } })).toEqual(
      [
        {
          path: '/unreachableStrategy/inactiveAfterSeconds',
          errors: ['must be less than or equal to expungeAfterSeconds'],
        },
      ],
    );
    expect(errorsWith({ unreachableStrategy: 'disabled' })).toEqual([]);
  });

  it('reports unknown fields (typos) but accepts AppInfo fields of a GET answer', () => {
    expect(errorsWith({ instancse: 3 })).toEqual([{ path: '/instancse', errors: ['error.unknown.field'] }]);
    expect(errorsWith({ healthChecks: [{ intervalSecond: 5 }] })).toEqual([
      { path: '/healthChecks(0)/intervalSecond', errors: ['error.unknown.field'] },
    ]);
    expect(
      errorsWith({
        tasksRunning: 1,
        tasksStaged: 0,
        deployments: [{ id: 'x' }],
        lastTaskFailure: {},
        version: V1,
      }),
    ).toEqual([]);
  });

  it('treats null as absent (old Marathon answers)', () => {
    expect(errorsWith({ args: null, user: null, container: null, acceptedResourceRoles: null })).toEqual([]);
  });

  it('dcos-cli app_add_400.json: unknown docker network', () => {
    expect(validateApp(fixture('dcos-cli/app_add_400.json'))).toEqual([
      { path: '/container/docker/network', errors: ['error.unknown.enum.literal'] },
    ]);
  });
});

describe('validateApp: constraints', () => {
  const cases: Array<[unknown, string | undefined]> = [
    [['hostname', 'UNIQUE'], undefined],
    [['hostname', 'UNIQUE', ''], undefined],
    [['hostname', 'UNIQUE', 'x'], 'Value specified but not used'],
    [['rack', 'CLUSTER', 'r1'], undefined],
    [['rack', 'CLUSTER'], 'Missing value'],
    [['rack', 'GROUP_BY'], undefined],
    [['rack', 'GROUP_BY', '3'], undefined],
    [['rack', 'GROUP_BY', 'three'], 'Value was specified but is not a number'],
    [['host', 'LIKE', 'srv[0-9]+'], undefined],
    [['host', 'UNLIKE', 'srv(1|2)'], undefined],
    [['host', 'LIKE'], 'A regular expression value must be provided'],
    [['host', 'LIKE', '[unclosed'], "'[unclosed' is not a valid regular expression"],
    [['host', 'MAX_PER', '2'], undefined],
    [['host', 'MAX_PER', 'two'], 'Value was not specified or is not a number'],
    [['host', 'MAX_PER'], 'Value was not specified or is not a number'],
    [['os', 'IS', 'linux'], undefined],
    [['os', 'IS'], 'Missing value'],
    [
      ['host', 'unique'],
      'Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS',
    ],
    [
      ['host', 'NEAR', 'x'],
      'Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS',
    ],
    [['host'], 'Each constraint must have either 2 or 3 fields'],
    [['a', 'CLUSTER', 'b', 'c'], 'Each constraint must have either 2 or 3 fields'],
    [['host', 1], 'Constraint definition must be an array of strings in format: <key>, <operator>[, value]'],
    [
      'host:UNIQUE',
      'Constraint definition must be an array of strings in format: <key>, <operator>[, value]',
    ],
  ];

  it.each(cases)('%j → %s', (constraint, message) => {
    const errors = errorsWith({ constraints: [['hostname', 'UNIQUE'], constraint] });
    expect(errors).toEqual(message === undefined ? [] : [{ path: '/constraints(1)', errors: [message] }]);
  });
});

describe('validateApp: ports, health and readiness checks, fetch, networks', () => {
  it('checks port numbers, duplicates and names', () => {
    expect(errorsWith({ portDefinitions: [{ port: 70000 }] })).toEqual([
      { path: '/portDefinitions(0)/port', errors: ['must be less than or equal to 65535'] },
    ]);
    expect(
      errorsWith({ portDefinitions: [{ port: 8080 }, { port: 8080 }, { port: 0 }, { port: 0 }] }),
    ).toEqual([{ path: '/portDefinitions', errors: ['Ports must be unique.'] }]);
    expect(
      errorsWith({
        portDefinitions: [
          { port: 0, name: 'web' },
          { port: 0, name: 'web' },
        ],
      }),
    ).toEqual([{ path: '/portDefinitions', errors: ['Port names must be unique.'] }]);
    expect(errorsWith({ portDefinitions: [{ port: 0, name: 'Web_1' }] })).toEqual([
      {
        path: '/portDefinitions(0)/name',
        errors: ["must fully match regular expression '^[a-z][a-z0-9-]*$'"],
      },
    ]);
    expect(errorsWith({ ports: [80, 80] })).toEqual([{ path: '/', errors: ['ports must be unique'] }]);
    expect(errorsWith({ ports: [0, 0] })).toEqual([]);
    expect(errorsWith({ ports: [1], portDefinitions: [{ port: 2 }] })).toEqual([
      { path: '/', errors: ['cannot specify both ports and port definitions'] },
    ]);
    expect(errorsWith({ ports: [1], portDefinitions: [{ port: 1 }] })).toEqual([]);
    expect(
      errorsWith({
        networks: [{ mode: 'container/bridge' }],
        container: {
          docker: { image: 'x' },
          portMappings: [{ containerPort: 80, hostPort: -1, protocol: 'sctp' }],
        },
      }),
    ).toEqual([
      { path: '/container/portMappings(0)/hostPort', errors: ['must be greater than or equal to 0'] },
      { path: '/container/portMappings(0)/protocol', errors: ['error.unknown.enum.literal'] },
    ]);
  });

  it('checks health checks', () => {
    const portIndex =
      'Health check port indices must address an element of the ports array or container port mappings.';
    expect(errorsWith({ healthChecks: [{ protocol: 'HTTP', portIndex: 0 }] })).toEqual([]);
    expect(errorsWith({ healthChecks: [{ protocol: 'HTTP', portIndex: 1 }] })).toEqual([
      { path: '/healthChecks(0)/portIndex', errors: [portIndex] },
    ]);
    expect(errorsWith({ portDefinitions: [], healthChecks: [{ protocol: 'TCP' }] })).toEqual([
      { path: '/healthChecks(0)/portIndex', errors: [portIndex] },
    ]);
    expect(errorsWith({ portDefinitions: [], healthChecks: [{ protocol: 'TCP', port: 8080 }] })).toEqual([]);
    expect(errorsWith({ healthChecks: [{ protocol: 'SMTP' }] })).toEqual([
      { path: '/healthChecks(0)/protocol', errors: ['error.unknown.enum.literal'] },
    ]);
    expect(errorsWith({ healthChecks: [{ protocol: 'COMMAND' }] })).toEqual([
      { path: '/healthChecks(0)/command', errors: ['error.path.missing'] },
    ]);
    expect(errorsWith({ healthChecks: [{ protocol: 'COMMAND', command: { value: 3 } }] })).toEqual([
      { path: '/healthChecks(0)/command/value', errors: ['error.expected.jsstring'] },
    ]);
    expect(
      errorsWith({ healthChecks: [{ intervalSeconds: 0, timeoutSeconds: -1, gracePeriodSeconds: -1 }] }),
    ).toEqual([
      { path: '/healthChecks(0)/gracePeriodSeconds', errors: ['must be greater than or equal to 0'] },
      { path: '/healthChecks(0)/intervalSeconds', errors: ['must be greater than 0'] },
      { path: '/healthChecks(0)/timeoutSeconds', errors: ['must be greater than 0'] },
    ]);
    expect(
      errorsWith({
        healthChecks: [
          { protocol: 'MESOS_TCP', portIndex: 0 },
          { protocol: 'MESOS_HTTP', portIndex: 0 },
        ],
      }),
    ).toEqual([{ path: '/', errors: ['AppDefinition can contain at most one Mesos health check'] }]);
  });

  it('checks readiness checks against port names', () => {
    expect(errorsWith({ portDefinitions: [{ port: 0, name: 'http' }], readinessChecks: [{}] })).toEqual([]);
    expect(errorsWith({ readinessChecks: [{ portName: 'admin' }] })).toEqual([
      { path: '/readinessChecks(0)/portName', errors: ['No port definition reference for portName admin'] },
    ]);
  });

  it('checks fetch and uris', () => {
    expect(errorsWith({ fetch: [{ uri: '' }, { extract: true }] })).toEqual([
      { path: '/fetch(0)/uri', errors: ['must not be empty'] },
      { path: '/fetch(1)/uri', errors: ['error.path.missing'] },
    ]);
    expect(errorsWith({ uris: ['', 3] })).toEqual([
      { path: '/uris(0)', errors: ['must not be empty'] },
      { path: '/uris(1)', errors: ['error.expected.jsstring'] },
    ]);
    expect(errorsWith({ uris: ['https://a/b'], fetch: [{ uri: 'https://a/c' }] })).toEqual([
      { path: '/uris', errors: ['may not be set in conjunction with fetch'] },
    ]);
  });

  it('checks dependencies as ids', () => {
    expect(errorsWith({ dependencies: ['/ok', '../ok', 'Bad_Id', 1] })).toEqual([
      { path: '/dependencies(2)', errors: [ID_MESSAGE] },
      { path: '/dependencies(3)', errors: ['error.expected.jsstring'] },
    ]);
  });

  it('checks networks and the mixing of deprecated and canonical networking', () => {
    expect(errorsWith({ networks: [{ mode: 'host' }, { mode: 'container/bridge' }] })).toEqual([
      {
        path: '/networks',
        errors: [
          'May specify a single host network, single bridge network, or else 1-to-n container networks',
        ],
      },
    ]);
    expect(errorsWith({ networks: [{ mode: 'container/bridge', name: 'x' }] })).toEqual([
      { path: '/networks', errors: ['Bridge networks may not have names'] },
    ]);
    expect(errorsWith({ networks: [{ mode: 'moon' }] })).toEqual([
      { path: '/networks(0)/mode', errors: ['error.unknown.enum.literal'] },
    ]);
    expect(
      errorsWith({ networks: [{ mode: 'host' }], container: { docker: { image: 'x', network: 'BRIDGE' } } }),
    ).toEqual([{ path: '/', errors: ['must not specify both container.docker.network and networks'] }]);
    expect(errorsWith({ networks: [{ mode: 'host' }], ipAddress: {} })).toEqual([
      { path: '/', errors: ['must not specify both networks and ipAddress'] },
    ]);
    expect(
      validateApp(
        {
          networks: [{ mode: 'host' }],
          container: { docker: { image: 'x' }, portMappings: [{ containerPort: 1 }] },
        },
        { partial: true },
      ),
    ).toEqual([{ path: '/', errors: ['portMappings are not allowed with host-networking'] }]);
  });

  it('partial updates may combine version only with id', () => {
    expect(validateApp({ id: '/a', version: V1 }, { partial: true })).toEqual([]);
    expect(validateApp({ version: V1, cpus: 1 }, { partial: true })).toEqual([
      { path: '/', errors: ["The 'version' field may only be combined with the 'id' field."] },
    ]);
  });
});

describe('real-world inputs', () => {
  const dump = fixture<{ id: string; apps: Array<Record<string, unknown>> }>('155_100.json');

  it('every app of real/155_100.json validates and normalises (idempotently)', () => {
    expect(dump.apps).toHaveLength(100);
    for (const raw of dump.apps) {
      expect(validateApp(raw), String(raw.id)).toEqual([]);
      const app = normalizeApp(raw, { version: V1 });
      expect(app.id).toBe(raw.id);
      for (const key of [
        'cpus',
        'mem',
        'disk',
        'gpus',
        'instances',
        'constraints',
        'portDefinitions',
        'networks',
      ]) {
        expect(app[key], `${String(raw.id)} ${key}`).toEqual(raw[key]);
      }
      expect(app.container).toEqual(raw.container);
      const again = appJson(app);
      expect(validateApp(again)).toEqual([]);
      expect(normalizeApp(again, { version: V1 })).toEqual(app);
    }
  });

  it('the real dump validates as a group', () => {
    expect(validateGroup(dump)).toEqual([]);
  });
});

describe('validateGroup', () => {
  it('accepts examples/group.json and the dcos-cli complicated group', () => {
    expect(validateGroup(fixture('group.json'))).toEqual([]);
    expect(validateGroup(fixture('dcos-cli/complicated.json'))).toEqual([]);
  });

  it('reports the problems of dcos-cli complicated_bad.json with nested paths', () => {
    expect(validateGroup(fixture('dcos-cli/complicated_bad.json'))).toEqual([
      { path: '/groups(0)/apps(0)/id', errors: ['error.path.missing'] },
      {
        path: '/groups(0)/apps(0)',
        errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."],
      },
      { path: '/groups(1)/groups(0)/id', errors: ['error.path.missing'] },
      { path: '/', errors: ['Groups and Applications may not have the same identifier.'] },
    ]);
  });

  it('prefixes app errors and checks that ids are children of their group', () => {
    const errors = validateGroup({
      id: '/prod',
      apps: [
        { id: 'ok', cmd: 'x' },
        { id: 'web', cmd: 'x', cpus: -1 },
        { id: '/elsewhere/app', cmd: 'x' },
      ],
      groups: [{ id: 'db' }, { id: '/other/db' }, 'nope'],
      dependencies: ['/x', 'Bad'],
      bogus: true,
    });
    expect(errors).toEqual([
      { path: '/bogus', errors: ['error.unknown.field'] },
      { path: '/dependencies(1)', errors: [ID_MESSAGE] },
      { path: '/apps(1)/cpus', errors: ['must be greater than or equal to 0.001'] },
      { path: '/apps(2)/id', errors: ['Identifier is not child of /prod. Hint: use relative paths.'] },
      { path: '/groups(1)/id', errors: ['Identifier is not child of /prod. Hint: use relative paths.'] },
      { path: '/groups(2)', errors: ['error.expected.jsobject'] },
    ]);
    expect(
      errorsAt(
        validateGroup({ id: '/g', groups: [{ id: 'a', apps: [{ id: 'x', cmd: 'y', mem: 'z' }] }] }),
        '/groups(0)/apps(0)/mem',
      ),
    ).toEqual(['error.expected.jsnumber']);
  });
});
