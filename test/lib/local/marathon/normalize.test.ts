import { describe, expect, it } from 'vitest';

import {
  appJson,
  applyAppUpdate,
  assignServicePorts,
  configChanged,
  isExtractable,
  normalizeApp,
  withVersionInfo,
} from '../../../../src/lib/local/marathon/normalize.js';
import { validateApp } from '../../../../src/lib/local/marathon/validate.js';
import type { AppDefinition } from '../../../../src/lib/local/types.js';
import { fixture, makeApp, V1, V2 } from './helpers.js';

describe('normalizeApp: defaults', () => {
  it('fills every Marathon 1.10 default for a minimal app, in Marathon key order', () => {
    const app = makeApp({ id: '/sleep', cmd: 'sleep 100' });
    expect(app).toEqual({
      id: '/sleep',
      backoffFactor: 1.15,
      backoffSeconds: 1,
      cmd: 'sleep 100',
      cpus: 1,
      disk: 0,
      executor: '',
      instances: 1,
      labels: {},
      maxLaunchDelaySeconds: 300,
      mem: 128,
      gpus: 0,
      networks: [{ mode: 'host' }],
      portDefinitions: [{ port: 0, protocol: 'tcp', name: 'default' }],
      requirePorts: false,
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      version: V1,
      versionInfo: { lastScalingAt: V1, lastConfigChangeAt: V1 },
      killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
      role: '*',
    });
    expect(Object.keys(appJson(app))).toEqual([
      'id',
      'backoffFactor',
      'backoffSeconds',
      'cmd',
      'cpus',
      'disk',
      'executor',
      'instances',
      'labels',
      'maxLaunchDelaySeconds',
      'mem',
      'gpus',
      'networks',
      'portDefinitions',
      'requirePorts',
      'upgradeStrategy',
      'version',
      'versionInfo',
      'killSelection',
      'unreachableStrategy',
      'role',
    ]);
  });

  it('keeps given values and drops empty omitEmpty fields', () => {
    const app = makeApp({
      id: '/x',
      cmd: 'run',
      instances: 0,
      cpus: 0.25,
      mem: 64,
      disk: 10,
      env: {},
      constraints: [],
      dependencies: [],
      fetch: [],
      healthChecks: [],
      readinessChecks: [],
      secrets: {},
      acceptedResourceRoles: null,
      args: null,
      user: 'nobody',
      requirePorts: true,
      killSelection: 'oldest_first',
      unreachableStrategy: { inactiveAfterSeconds: 60 },
    });
    const json = appJson(app);
    for (const key of [
      'env',
      'constraints',
      'dependencies',
      'fetch',
      'healthChecks',
      'readinessChecks',
      'secrets',
    ]) {
      expect(json).not.toHaveProperty(key);
      expect(app).not.toHaveProperty(key);
    }
    expect(json).not.toHaveProperty('acceptedResourceRoles');
    expect(json).not.toHaveProperty('args');
    expect(json).toMatchObject({
      instances: 0,
      cpus: 0.25,
      mem: 64,
      disk: 10,
      user: 'nobody',
      requirePorts: true,
      killSelection: 'OLDEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 0 },
    });
  });

  it('takes the role from the option, an explicit role from the body', () => {
    expect(makeApp({ id: '/a', cmd: 'x' }, { defaultRole: 'slave_public' }).role).toBe('slave_public');
    expect(makeApp({ id: '/a', cmd: 'x', role: 'dev' }, { defaultRole: 'slave_public' }).role).toBe('dev');
  });

  it('gives apps with persistent volumes the resident defaults', () => {
    const app = makeApp({
      id: '/db',
      cmd: 'run',
      container: {
        type: 'MESOS',
        volumes: [{ containerPath: 'data', mode: 'RW', persistent: { size: 10 } }],
      },
    });
    expect(app.upgradeStrategy).toEqual({ minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
    expect(app.unreachableStrategy).toBe('disabled');
    expect(app.residency).toEqual({
      relaunchEscalationTimeoutSeconds: 3600,
      taskLostBehavior: 'WAIT_FOREVER',
    });
  });
});

describe('normalizeApp: Marathon examples', () => {
  it('examples/app.json (without the conflicting args) normalises to the canonical shape', () => {
    const raw = fixture('app.json');
    delete raw.args;
    expect(validateApp(raw)).toEqual([]);
    const app = normalizeApp(raw, { version: V1 });

    // deprecated docker network / portMappings / ipAddress become networks + container.portMappings
    expect(app.networks).toEqual([{ mode: 'container/bridge', labels: { environment: 'dev' } }]);
    expect(app.container).toEqual({
      type: 'DOCKER',
      docker: {
        forcePullImage: false,
        image: 'mesosphere:marathon/latest',
        parameters: [{ key: 'name', value: 'kdc' }],
        privileged: false,
      },
      volumes: [{ containerPath: '/docker_storage', hostPath: '/hdd/tools/docker/registry', mode: 'RW' }],
      portMappings: [
        {
          containerPort: 80,
          hostPort: 0,
          labels: { vip: '192.168.0.1:80' },
          name: 'http',
          protocol: 'tcp',
          servicePort: 10019,
        },
      ],
    });
    expect(app).not.toHaveProperty('portDefinitions');
    expect(app).not.toHaveProperty('ipAddress');
    expect(app.requirePorts).toBe(false);

    expect(app.fetch).toEqual([
      { uri: 'https://foo.com/setup.py', extract: true, executable: false, cache: false },
      {
        uri: 'https://foo.com/archive.zip',
        extract: true,
        executable: false,
        cache: true,
        destPath: 'newname.zip',
      },
    ]);
    expect(app.healthChecks).toEqual([
      {
        gracePeriodSeconds: 300,
        ignoreHttp1xx: false,
        intervalSeconds: 20,
        maxConsecutiveFailures: 3,
        path: '/',
        portIndex: 0,
        protocol: 'HTTP',
        timeoutSeconds: 20,
        delaySeconds: 15,
      },
    ]);
    expect(app.readinessChecks).toEqual([
      {
        name: 'myReadyCheck',
        protocol: 'HTTP',
        path: '/v1/plan',
        portName: 'http',
        intervalSeconds: 10,
        timeoutSeconds: 3,
        httpStatusCodesForReady: [200],
        preserveLastResponse: true,
      },
    ]);
    expect(app).toMatchObject({
      id: '/foo',
      cmd: 'sleep 1000',
      instances: 2,
      cpus: 0.1,
      mem: 16,
      disk: 0,
      gpus: 0,
      acceptedResourceRoles: ['mesos_role'],
      constraints: [['hostname', 'LIKE', 'srv2.*']],
      dependencies: ['/prod/group'],
      env: { XPS1: 'Test', XPS2: 'Rest', PASSWORD: { secret: '/db/password' } },
      labels: { owner: 'zeus', note: 'Away from olympus' },
      maxLaunchDelaySeconds: 3600,
      secrets: { secret1: { source: '/db/password' }, secret3: { source: '/foo2' } },
      taskKillGracePeriodSeconds: 30,
      tty: true,
      user: 'root',
      version: V1,
      versionInfo: { lastScalingAt: V1, lastConfigChangeAt: V1 },
      role: '*',
    });
  });

  it('examples/app_list.json: the normalised app has the fields and types Marathon shows', () => {
    const listed = fixture<{ apps: Array<Record<string, unknown>> }>('app_list.json').apps[0] as Record<
      string,
      unknown
    >;
    expect(validateApp(listed)).toEqual([]);
    const app = appJson(normalizeApp(listed, { version: listed.version as string }));
    const appInfoOnly = ['tasksStaged', 'tasksRunning', 'tasksHealthy', 'tasksUnhealthy', 'deployments'];
    const deprecated = ['uris', 'ports'];
    for (const [key, value] of Object.entries(listed)) {
      if (value === null || appInfoOnly.includes(key) || deprecated.includes(key)) continue;
      if (Array.isArray(value) && value.length === 0) {
        expect(app, key).not.toHaveProperty(key); // omitEmpty in 1.10
        continue;
      }
      expect(app, key).toHaveProperty(key);
      expect(typeof app[key], key).toBe(typeof value);
      if (typeof value !== 'object') expect(app[key], key).toBe(value);
      else expect(app[key], key).toEqual(value);
    }
    // deprecated inputs come out as their canonical fields
    expect(app.portDefinitions).toEqual([
      { port: 10013, protocol: 'tcp' },
      { port: 10015, protocol: 'tcp' },
    ]);
    expect(app.fetch).toEqual([
      {
        uri: 'https://raw.github.com/mesosphere/marathon/master/README.md',
        extract: false,
        executable: false,
        cache: false,
      },
    ]);
    expect(app).not.toHaveProperty('uris');
    expect(app).not.toHaveProperty('ports');
    expect(app).not.toHaveProperty('tasksRunning');
  });
});

describe('normalizeApp: ids', () => {
  it('resolves a relative id against the parent group (default /)', () => {
    expect(makeApp({ id: 'web', cmd: 'x' }).id).toBe('/web');
    expect(makeApp({ id: 'web', cmd: 'x' }, { parentGroup: '/prod' }).id).toBe('/prod/web');
    expect(makeApp({ id: '../web', cmd: 'x' }, { parentGroup: '/prod/eu' }).id).toBe('/prod/web');
    expect(makeApp({ id: './api/web', cmd: 'x' }, { parentGroup: '/prod' }).id).toBe('/prod/api/web');
    expect(makeApp({ id: '/abs/web', cmd: 'x' }, { parentGroup: '/prod' }).id).toBe('/abs/web');
    expect(makeApp({ id: '/a//b/', cmd: 'x' }).id).toBe('/a/b');
  });

  it("resolves dependencies against the app's group and drops duplicates", () => {
    const app = makeApp({
      id: '/prod/web',
      cmd: 'x',
      dependencies: ['db', '../other/cache', '/abs/q', 'db'],
    });
    expect(app.dependencies).toEqual(['/prod/db', '/other/cache', '/abs/q']);
  });
});

describe('normalizeApp: deprecated and networking fields', () => {
  it('turns uris into fetch entries, extracting archives by extension', () => {
    const archives = ['a.tgz', 'a.tar.gz', 'a.tbz2', 'a.tar.bz2', 'a.txz', 'a.tar.xz', 'a.zip'];
    const plain = ['a.tar', 'a.gz', 'a.jar', 'a.zip.sig', 'a'];
    const uris = [...archives, ...plain].map((name) => `https://example.com/files/${name}`);
    const app = makeApp({ id: '/f', cmd: 'x', uris });
    expect(app.fetch?.map((f) => [f.uri.split('/').pop(), f.extract])).toEqual([
      ...archives.map((name) => [name, true]),
      ...plain.map((name) => [name, false]),
    ]);
    expect(app.fetch?.every((f) => f.executable === false && f.cache === false)).toBe(true);
    expect(isExtractable('https://example.com/a.zip?token=1')).toBe(true);
    expect(isExtractable('/local/path/a.tar.gz')).toBe(true);
  });

  it('turns ports into portDefinitions; an explicit empty list stays empty', () => {
    expect(makeApp({ id: '/p', cmd: 'x', ports: [0, 8080] }).portDefinitions).toEqual([
      { port: 0, protocol: 'tcp' },
      { port: 8080, protocol: 'tcp' },
    ]);
    expect(makeApp({ id: '/p', cmd: 'x', portDefinitions: [] }).portDefinitions).toEqual([]);
    expect(
      makeApp({
        id: '/p',
        cmd: 'x',
        portDefinitions: [{ port: 0, name: 'http', protocol: 'UDP', labels: { a: 'b' } }],
      }).portDefinitions,
    ).toEqual([{ port: 0, protocol: 'udp', name: 'http', labels: { a: 'b' } }]);
  });

  it('gives bridge networking default port mappings and no portDefinitions', () => {
    const app = makeApp({
      id: '/b',
      container: { type: 'DOCKER', docker: { image: 'nginx', network: 'BRIDGE' } },
    });
    expect(app.networks).toEqual([{ mode: 'container/bridge' }]);
    expect(app).not.toHaveProperty('portDefinitions');
    expect(app.container?.portMappings).toEqual([
      { containerPort: 0, hostPort: 0, labels: {}, name: 'default', protocol: 'tcp', servicePort: 0 },
    ]);
    expect(app.container?.docker).not.toHaveProperty('network');
    // no container at all: an empty Mesos container with the default mapping
    expect(makeApp({ id: '/m', cmd: 'x', networks: [{ mode: 'container/bridge' }] }).container).toEqual({
      type: 'MESOS',
      volumes: [],
      portMappings: [
        { containerPort: 0, hostPort: 0, labels: {}, name: 'default', protocol: 'tcp', servicePort: 0 },
      ],
    });
  });

  it('pads port mappings for extra port definitions and names the default container network', () => {
    const app = makeApp({
      id: '/c',
      cmd: 'x',
      networks: [{ mode: 'container' }],
      portDefinitions: [{ port: 0 }, { port: 0 }],
      container: { type: 'MESOS', portMappings: [{ containerPort: 80, name: 'web' }] },
    });
    expect(app.networks).toEqual([{ mode: 'container', name: 'dcos' }]);
    expect(app).not.toHaveProperty('portDefinitions');
    expect(app.container?.portMappings).toEqual([
      { containerPort: 80, labels: {}, name: 'web', protocol: 'tcp', servicePort: 0 },
      { containerPort: 0, labels: {}, protocol: 'tcp', servicePort: 0 },
    ]);
    expect(app.requirePorts).toBe(false);
  });

  it('drops port mappings for host networking', () => {
    const app = makeApp({
      id: '/h',
      container: {
        type: 'DOCKER',
        docker: { image: 'nginx', network: 'HOST', portMappings: [{ containerPort: 80 }] },
      },
    });
    expect(app.networks).toEqual([{ mode: 'host' }]);
    expect(app.container).not.toHaveProperty('portMappings');
    expect(app.portDefinitions).toEqual([{ port: 0, protocol: 'tcp', name: 'default' }]);
  });

  it('fills health check defaults per protocol', () => {
    const app = makeApp({
      id: '/hc',
      cmd: 'x',
      portDefinitions: [{ port: 0 }, { port: 0 }],
      healthChecks: [
        {},
        { protocol: 'tcp', portIndex: 1 },
        { protocol: 'COMMAND', command: { value: 'true' } },
        { protocol: 'MESOS_HTTP', port: 8080, path: '/health' },
      ],
    });
    const common = {
      gracePeriodSeconds: 300,
      intervalSeconds: 60,
      maxConsecutiveFailures: 3,
      timeoutSeconds: 20,
    };
    expect(app.healthChecks).toEqual([
      { ...common, ignoreHttp1xx: false, path: '/', portIndex: 0, protocol: 'HTTP', delaySeconds: 15 },
      { ...common, portIndex: 1, protocol: 'TCP', delaySeconds: 15 },
      { ...common, command: { value: 'true' }, protocol: 'COMMAND', delaySeconds: 15 },
      { ...common, path: '/health', port: 8080, protocol: 'MESOS_HTTP', delaySeconds: 15 },
    ]);
  });
});

describe('assignServicePorts', () => {
  it('replaces port 0 with free service ports from 10000 up, skipping used and fixed ones', () => {
    const app = makeApp({ id: '/p', cmd: 'x', portDefinitions: [{ port: 0 }, { port: 10001 }, { port: 0 }] });
    const used = new Set([10000, 10002]);
    const assigned = assignServicePorts(app, used);
    expect(assigned.portDefinitions?.map((p) => p.port)).toEqual([10003, 10001, 10004]);
    expect(app.portDefinitions?.map((p) => p.port)).toEqual([0, 10001, 0]);
    expect([...used]).toEqual([10000, 10002]);
    expect(assigned).not.toBe(app);
  });

  it('assigns service ports of container port mappings', () => {
    const app = makeApp({
      id: '/b',
      networks: [{ mode: 'container/bridge' }],
      container: {
        docker: { image: 'nginx' },
        portMappings: [{ containerPort: 80 }, { containerPort: 81, servicePort: 10000 }],
      },
    });
    const assigned = assignServicePorts(app, new Set());
    expect(
      (assigned.container?.portMappings as Array<{ servicePort: number }>).map((m) => m.servicePort),
    ).toEqual([10001, 10000]);
  });
});

describe('applyAppUpdate', () => {
  const existing: AppDefinition = assignServicePorts(
    makeApp({ id: '/foo', cmd: 'sleep 1', instances: 1, env: { A: '1' }, labels: { team: 'x' } }),
    new Set(),
  );

  it('examples/app_patch.json changes only the instances', () => {
    const raw = applyAppUpdate(existing, fixture('app_patch.json'));
    expect(validateApp(raw)).toEqual([]);
    const next = normalizeApp(raw, { version: V2 });
    expect(next.instances).toBe(2);
    expect(configChanged(existing, next)).toBe(false);
    expect(next.portDefinitions).toEqual(existing.portDefinitions);
    expect(next).toMatchObject({ cmd: 'sleep 1', env: { A: '1' }, labels: { team: 'x' } });
  });

  it('keeps the existing id and replaces top-level fields whole', () => {
    const raw = applyAppUpdate(existing, { id: '/other', labels: { owner: 'me' }, env: null, cpus: 2 });
    expect(raw.id).toBe('/foo');
    expect(raw.labels).toEqual({ owner: 'me' });
    expect(raw.env).toEqual({ A: '1' });
    expect(raw.cpus).toBe(2);
    expect(raw).not.toHaveProperty('version');
    expect(raw).not.toHaveProperty('versionInfo');
  });

  it('drops args when cmd is given and cmd when args are given', () => {
    const withArgs = normalizeApp(applyAppUpdate(existing, { args: ['sleep', '5'] }), { version: V2 });
    expect(withArgs.args).toEqual(['sleep', '5']);
    expect(withArgs).not.toHaveProperty('cmd');
    const raw = applyAppUpdate(withArgs, { cmd: 'sleep 9' });
    expect(validateApp(raw)).toEqual([]);
    expect(raw.cmd).toBe('sleep 9');
    expect(raw).not.toHaveProperty('args');
  });

  it('lets deprecated ports and uris replace their canonical fields and ignores AppInfo counters', () => {
    const raw = applyAppUpdate(existing, { ports: [0, 0], uris: ['https://x/a.tgz'], tasksRunning: 3 });
    expect(validateApp(raw)).toEqual([]);
    expect(raw).not.toHaveProperty('portDefinitions');
    expect(raw).not.toHaveProperty('tasksRunning');
    expect(normalizeApp(raw, { version: V2 }).portDefinitions).toHaveLength(2);
  });
});

describe('appJson, configChanged, withVersionInfo', () => {
  it('appJson returns a copy', () => {
    const app = makeApp({ id: '/a', cmd: 'x', labels: { a: 'b' } });
    const json = appJson(app);
    (json.labels as Record<string, string>).a = 'changed';
    expect(app.labels.a).toBe('b');
  });

  it('configChanged ignores instances and versions but sees config fields', () => {
    const a = makeApp({ id: '/a', cmd: 'x' });
    expect(configChanged(a, { ...a, instances: 5, version: V2 })).toBe(false);
    expect(configChanged(a, { ...a, cmd: 'y' })).toBe(true);
    expect(configChanged(a, { ...a, env: {} })).toBe(false);
    expect(configChanged(a, { ...a, env: { X: '1' } })).toBe(true);
    expect(
      configChanged(a, { ...a, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } }),
    ).toBe(true);
  });

  it('withVersionInfo keeps lastConfigChangeAt on a scale and everything on a no-op', () => {
    const before = makeApp({ id: '/a', cmd: 'x' }, { version: V1 });
    const scaled = withVersionInfo(before, makeApp({ id: '/a', cmd: 'x', instances: 3 }, { version: V2 }));
    expect(scaled.versionInfo).toEqual({ lastScalingAt: V2, lastConfigChangeAt: V1 });
    expect(scaled.version).toBe(V2);
    const same = withVersionInfo(before, makeApp({ id: '/a', cmd: 'x' }, { version: V2 }));
    expect(same.version).toBe(V1);
    expect(same.versionInfo).toEqual(before.versionInfo);
    const changed = withVersionInfo(before, makeApp({ id: '/a', cmd: 'y' }, { version: V2 }));
    expect(changed.versionInfo).toEqual({ lastScalingAt: V2, lastConfigChangeAt: V2 });
  });
});
