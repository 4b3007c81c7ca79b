/**
 * `dcos marathon` commands that change things, against a loopback server answering as Marathon does: what they
 * send, what they print, how Marathon's 409 and 422 are rendered, and bad input (malformed JSON/YAML, unknown
 * fields, wrong types, a missing file, a URL that 404s) refused with one clear line before anything is sent.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { runCli, type CliResult } from '../helpers/cli.js';
import { startServer, type RecordedRequest, type Routes, type TestServer } from '../helpers/servers.js';
import { jsonOf, linesOf, printed } from './fakes.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/marathon');
const myapp = (
  JSON.parse(readFileSync(join(FIXTURES, 'app_list.json'), 'utf8')) as {
    apps: Array<Record<string, unknown>>;
  }
).apps[0] as Record<string, unknown>;
/** Marathon's DeploymentResult example (docs/.../examples/deployments_result.json). */
const RESULT = { deploymentId: '5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43', version: '2015-09-29T15:59:51.164Z' };
const M = '/service/marathon';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A Marathon that knows /myapp (the documented app) and accepts changes with the documented result. */
async function marathon(extra: Routes = {}): Promise<TestServer> {
  const server = await startServer({
    [`GET ${M}/v2/apps/myapp`]: () => ({ json: { app: myapp } }),
    [`PUT ${M}/v2/apps/myapp`]: () => ({ json: RESULT }),
    [`POST ${M}/v2/apps`]: (request) => ({
      status: 201,
      json: { ...(JSON.parse(request.body) as object), deployments: [{ id: RESULT.deploymentId }] },
      headers: { 'Marathon-Deployment-Id': RESULT.deploymentId },
    }),
    [`GET ${M}/v2/deployments`]: () => ({ json: [] }),
    ...extra,
  });
  servers.push(server);
  return server;
}

function dcos(server: TestServer, args: string[], input?: string): Promise<CliResult> {
  return runCli(['marathon', ...args], {
    env: { DCOS_URL: server.url },
    ...(input === undefined ? {} : { input }),
  });
}

const writes = (server: TestServer): RecordedRequest[] =>
  server.requests.filter((request) => request.method !== 'GET' && request.method !== 'HEAD');

const dir = mkdtempSync(join(tmpdir(), 'dcos-marathon-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** One "Error: ..." line on stderr, nothing on stdout; returns the line. */
function oneError(result: CliResult, exitCode: number): string {
  expect(result.code, printed(result)).toBe(exitCode);
  expect(result.stdout, printed(result)).toBe('');
  expect(linesOf(result.stderr), printed(result)).toHaveLength(1);
  expect(result.stderr).toMatch(/^Error: /);
  return result.stderr.trim();
}

describe('app add: bad input is refused before anything is sent', () => {
  it.concurrent.each([
    {
      what: 'malformed JSON (line and column)',
      name: 'bad.json',
      content: '{"id": "x",\n  "cpus": 0.1,,\n  "mem": 10\n}\n',
      expected: /^Error: invalid JSON in .*bad\.json at line 2, column 15: /,
    },
    {
      what: 'malformed YAML (line and column)',
      name: 'bad.yaml',
      content: 'id: x\ncmd: sleep 1\ncpus: [1,\n mem: 3\n',
      expected: /^Error: invalid YAML in .*bad\.yaml at line \d+, column \d+: /,
    },
    {
      what: 'an unknown field',
      name: 'unknown.json',
      content: JSON.stringify({ id: 'x', cmd: 'sleep 1', instancse: 3 }),
      expected:
        /^Error: .*unknown\.json is not a valid app definition: \/instancse: unknown field 'instancse' \(did you mean 'instances'\?\)$/,
    },
    {
      what: 'a wrong type (JSON)',
      name: 'type.json',
      content: JSON.stringify({ id: 'x', cmd: 'sleep 1', cpus: 'a' }),
      expected: /^Error: .*type\.json is not a valid app definition: \/cpus: must be number/,
    },
    {
      what: 'a wrong type (YAML)',
      name: 'type.yaml',
      content: 'id: x\ncmd: sleep 1\ncpus: a\n',
      expected: /^Error: .*type\.yaml is not a valid app definition: \/cpus: must be number/,
    },
    {
      what: 'no id',
      name: 'noid.json',
      content: JSON.stringify({ cmd: 'sleep 1' }),
      expected: /ID must be set/,
    },
  ])('$what: exit 1, one line, no request at all', async ({ name, content, expected }) => {
    const server = await marathon();
    const path = file(name, content);
    const result = await dcos(server, ['app', 'add', path]);
    expect(oneError(result, 1)).toMatch(expected);
    expect(server.requests).toEqual([]);
  });

  it('lists every bad field at once; --json puts them in details on stderr', async () => {
    const server = await marathon();
    const path = file(
      'many.json',
      JSON.stringify({ id: 'x', cmd: 'sleep 1', cpus: 'a', mem: 'b', instancse: 1 }),
    );
    const line = oneError(await dcos(server, ['app', 'add', path]), 1);
    for (const field of ['/cpus', '/mem', '/instancse']) expect(line).toContain(field);

    const result = await dcos(server, ['app', 'add', path, '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(linesOf(result.stderr)).toHaveLength(1);
    const { error } = JSON.parse(result.stderr) as {
      error: { code: string; details: { fields: Array<{ path: string }> } };
    };
    expect(error.code).toBe('invalid');
    expect(error.details.fields.map((field) => field.path).sort()).toEqual(['/cpus', '/instancse', '/mem']);
    expect(server.requests).toEqual([]);
  });

  it('malformed JSON on stdin: line and column, nothing sent', async () => {
    const server = await marathon();
    const line = oneError(await dcos(server, ['app', 'add'], '{\n  "id": "x"\n  "cmd": "sleep 1"\n}\n'), 1);
    expect(line).toMatch(/^Error: invalid JSON in stdin at line 3, column 3: /);
    expect(server.requests).toEqual([]);
  });

  it('group update with a wrong type or an unknown field: exit 1 naming both, nothing sent', async () => {
    const server = await marathon();
    const line = oneError(
      await dcos(server, ['group', 'update', 'prod', 'dependencies=3', 'enforceRol=true']),
      1,
    );
    expect(line).toMatch(/^Error: invalid update of group \/prod: /);
    expect(line).toContain('/dependencies');
    expect(line).toContain("unknown field 'enforceRol'");
    expect(server.requests).toEqual([]);
  });

  it('a missing file: exit 1 naming it, no request', async () => {
    const server = await marathon();
    const line = oneError(await dcos(server, ['app', 'add', join(dir, 'missing.json')]), 1);
    expect(line).toContain('missing.json');
    expect(server.requests).toEqual([]);
  });

  it('a URL that 404s: exit 1 naming it, nothing sent to Marathon', async () => {
    const server = await marathon();
    const url = `${server.url}/defs/app.json`;
    const line = oneError(await dcos(server, ['app', 'add', url]), 1);
    expect(line).toBe(`Error: cannot fetch ${url}: HTTP 404`);
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /defs/app.json',
    ]);
  });

  it('an app that already exists: exit 1 pointing at app update, no POST', async () => {
    const server = await marathon();
    const line = oneError(
      await dcos(server, ['app', 'add'], JSON.stringify({ id: '/myapp', cmd: 'sleep 1' })),
      1,
    );
    expect(line).toBe(
      'Error: application /myapp already exists; change it with `dcos marathon app update /myapp`',
    );
    expect(writes(server)).toEqual([]);
  });
});

describe('app add: from stdin, a file or a URL', () => {
  const shell = {
    id: 'shell',
    cmd: "while [ true ] ; do echo 'Hello Marathon' ; sleep 5 ; done",
    cpus: 0.1,
    mem: 10,
    instances: 1,
  };

  it('reads JSON from stdin (a pipe) and prints the deployment', async () => {
    const server = await marathon();
    const result = await dcos(server, ['app', 'add'], JSON.stringify(shell));
    expect(result, printed(result)).toMatchObject({
      code: 0,
      stdout: `Created deployment ${RESULT.deploymentId}\n`,
      stderr: '',
    });
    const posts = writes(server);
    expect(posts.map((request) => `${request.method} ${request.path}`)).toEqual([`POST ${M}/v2/apps`]);
    expect(JSON.parse((posts[0] as RecordedRequest).body)).toEqual(shell);
  });

  it('reads YAML from stdin and from a .yaml file; --json prints the deployment as JSON', async () => {
    const server = await marathon();
    const yaml = 'id: shell\ncmd: sleep 100\ncpus: 0.1\nmem: 10\ninstances: 2\n';
    const piped = await dcos(server, ['app', 'add', '-', '--json'], yaml);
    expect(piped.code, printed(piped)).toBe(0);
    expect(jsonOf(piped)).toEqual({ deploymentId: RESULT.deploymentId, version: '' });
    const fromFile = await dcos(server, ['app', 'add', file('shell.yml', yaml)]);
    expect(fromFile.code, printed(fromFile)).toBe(0);
    const bodies = writes(server).map((request) => JSON.parse(request.body) as unknown);
    const expected = { id: 'shell', cmd: 'sleep 100', cpus: 0.1, mem: 10, instances: 2 };
    expect(bodies).toEqual([expected, expected]);
  });

  it('fetches the definition from an http URL', async () => {
    const server = await marathon({ 'GET /defs/shell.json': () => ({ json: shell }) });
    const result = await dcos(server, ['app', 'add', `${server.url}/defs/shell.json`]);
    expect(result.code, printed(result)).toBe(0);
    expect(writes(server).map((request) => JSON.parse(request.body) as unknown)).toEqual([shell]);
  });

  it('--dry-run sends nothing and prints what would be created', async () => {
    const server = await marathon();
    const result = await dcos(server, ['app', 'add', '--dry-run'], JSON.stringify(shell));
    expect(result.code, printed(result)).toBe(0);
    expect(result.stdout).toMatch(/^Would create \/shell \(dry run, nothing sent\):\n/);
    expect(result.stdout).toContain('+  "cpus": 0.1');
    expect(result.stdout).toContain('+  "id": "/shell"');
    expect(writes(server)).toEqual([]);

    const asJson = await dcos(server, ['app', 'add', '--dry-run', '--json'], JSON.stringify(shell));
    expect(asJson.code, printed(asJson)).toBe(0);
    expect(jsonOf(asJson)).toMatchObject({ dryRun: true, id: '/shell', exists: false });
    expect(writes(server)).toEqual([]);
  });
});

describe('app update', () => {
  it('types key=value pairs (int, float, bool, JSON, string) and sends one partial PUT', async () => {
    const server = await marathon();
    const result = await dcos(server, [
      'app',
      'update',
      'myapp',
      'instances=2',
      'cpus=0.5',
      'requirePorts=true',
      'env={"LOG":"debug"}',
      'constraints=[["hostname","UNIQUE"]]',
      'cmd=sleep 100',
    ]);
    expect(result, printed(result)).toMatchObject({
      code: 0,
      stdout: `Created deployment ${RESULT.deploymentId}\n`,
    });
    const [put] = writes(server);
    expect(put?.method).toBe('PUT');
    expect(put?.path).toBe(`${M}/v2/apps/myapp`);
    expect(JSON.parse(put?.body ?? '')).toEqual({
      instances: 2,
      cpus: 0.5,
      requirePorts: true,
      env: { LOG: 'debug' },
      constraints: [['hostname', 'UNIQUE']],
      cmd: 'sleep 100',
    });
  });

  it('reads the fields from stdin when no pairs are given; --force adds force=true', async () => {
    const server = await marathon();
    const result = await dcos(server, ['app', 'update', '/myapp', '--force'], '{"mem": 64}');
    expect(result.code, printed(result)).toBe(0);
    const [put] = writes(server);
    expect(put?.path).toBe(`${M}/v2/apps/myapp?force=true`);
    expect(JSON.parse(put?.body ?? '')).toEqual({ mem: 64 });
  });

  it('--dry-run shows the diff against the running version and sends nothing', async () => {
    const server = await marathon();
    const result = await dcos(server, ['app', 'update', 'myapp', 'cpus=0.5', '--dry-run']);
    expect(result.code, printed(result)).toBe(0);
    expect(result.stdout).toMatch(/^Would change \/myapp \(dry run, nothing sent\):\n/);
    expect(result.stdout).toContain('-  "cpus": 0.1,');
    expect(result.stdout).toContain('+  "cpus": 0.5,');
    expect(writes(server)).toEqual([]);
  });

  it.concurrent.each([
    {
      what: 'a repeated key',
      args: ['cpus=1', 'cpus=2'],
      expected: "Key 'cpus' was specified more than once",
    },
    { what: 'no =', args: ['cpus'], expected: "'cpus' is not a key=value pair" },
    { what: 'an unknown field', args: ['instancse=3'], expected: "unknown field 'instancse'" },
    { what: 'a wrong type', args: ['cpus=a'], expected: '/cpus: must be number' },
  ])('$what: exit 1, one line, no PUT', async ({ args, expected }) => {
    const server = await marathon();
    const line = oneError(await dcos(server, ['app', 'update', 'myapp', ...args]), 1);
    expect(line).toContain(expected);
    expect(writes(server)).toEqual([]);
  });

  it('malformed JSON on stdin: line and column, no PUT', async () => {
    const server = await marathon();
    const line = oneError(await dcos(server, ['app', 'update', 'myapp'], '{"cpus": 0.5,}'), 1);
    expect(line).toMatch(/^Error: invalid JSON in stdin at line 1, column \d+: /);
    expect(writes(server)).toEqual([]);
  });
});

describe("Marathon's 409 and 422", () => {
  const LOCKED = {
    message:
      "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
    deployments: [{ id: '97c136bf-5a28-4821-9d94-480d9fbb01c8' }],
  };

  it('409: names the blocking deployment and suggests --force; exit 1; --json has the ids', async () => {
    const server = await marathon({ [`PUT ${M}/v2/apps/myapp`]: () => ({ status: 409, json: LOCKED }) });
    const line = oneError(await dcos(server, ['app', 'scale', 'myapp', '5']), 1);
    expect(line).toBe(
      'Error: blocked by deployment 97c136bf-5a28-4821-9d94-480d9fbb01c8 in progress; wait for it ' +
        '(`dcos marathon deployment watch 97c136bf-5a28-4821-9d94-480d9fbb01c8`) or retry with --force',
    );
    const result = await dcos(server, ['app', 'update', 'myapp', 'cpus=1', '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: 'conflict',
        message: expect.stringContaining('--force'),
        details: { deployments: ['97c136bf-5a28-4821-9d94-480d9fbb01c8'] },
      },
    });
  });

  it('409 with two deployments names both', async () => {
    const two = { ...LOCKED, deployments: [{ id: 'dep-one' }, { id: 'dep-two' }] };
    const server = await marathon({
      [`POST ${M}/v2/apps/myapp/restart`]: () => ({ status: 409, json: two }),
    });
    const line = oneError(await dcos(server, ['app', 'restart', 'myapp']), 1);
    expect(line).toContain('deployments dep-one, dep-two in progress');
    expect(line).toContain('--force');
  });

  it('422: every field Marathon rejected, with its errors; exit 1; --json lists them', async () => {
    const invalid = {
      message: 'Object is not valid',
      details: [
        { path: '/container/docker/network', errors: ['error.unknown.enum.literal'] },
        { path: '/mem', errors: ['error.min', 'must be at least 32'] },
      ],
    };
    const server = await marathon({ [`POST ${M}/v2/apps`]: () => ({ status: 422, json: invalid }) });
    const definition = JSON.stringify({ id: 'web', cmd: 'sleep 1', mem: 10 });
    const line = oneError(await dcos(server, ['app', 'add'], definition), 1);
    expect(line).toBe(
      'Error: Object is not valid: /container/docker/network: error.unknown.enum.literal; /mem: error.min, must be at least 32',
    );
    const result = await dcos(server, ['app', 'add', '--json'], definition);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: 'invalid',
        message: line.replace(/^Error: /, ''),
        details: {
          fields: [
            { path: '/container/docker/network', errors: ['error.unknown.enum.literal'] },
            { path: '/mem', errors: ['error.min', 'must be at least 32'] },
          ],
        },
      },
    });
  });
});

describe('--wait without an event stream', () => {
  it('polls /v2/deployments until the deployment is gone', async () => {
    let polls = 0;
    const server = await marathon({
      [`GET ${M}/v2/deployments`]: () => {
        polls++;
        return {
          json:
            polls < 3
              ? [
                  {
                    id: RESULT.deploymentId,
                    version: RESULT.version,
                    affectedApps: ['/myapp'],
                    steps: [{ actions: [{ action: 'ScaleApplication', app: '/myapp' }] }],
                    currentActions: [{ action: 'ScaleApplication', app: '/myapp' }],
                    currentStep: 1,
                    totalSteps: 1,
                  },
                ]
              : [],
        };
      },
    });
    const result = await dcos(server, ['app', 'scale', 'myapp', '4', '--wait', '--json']);
    expect(result.code, printed(result)).toBe(0);
    expect(jsonOf(result)).toEqual({ ...RESULT, seconds: expect.any(Number) });
    expect(polls).toBe(3);
    expect(server.requests.some((request) => request.path.startsWith(`${M}/v2/events`))).toBe(true);
  });
});

describe('--wait and Ctrl-C', () => {
  it('stops following the deployment with exit 130', async () => {
    let polled!: () => void;
    const firstPoll = new Promise<void>((resolve) => (polled = resolve));
    const server = await marathon({
      [`GET ${M}/v2/deployments`]: () => {
        polled();
        return {
          json: [
            {
              id: RESULT.deploymentId,
              version: RESULT.version,
              affectedApps: ['/myapp'],
              steps: [{ actions: [{ action: 'RestartApplication', app: '/myapp' }] }],
              currentActions: [{ action: 'RestartApplication', app: '/myapp' }],
              currentStep: 1,
              totalSteps: 1,
            },
          ],
        };
      },
    });
    const result = await runCli(['marathon', 'deployment', 'watch', RESULT.deploymentId], {
      env: { DCOS_URL: server.url },
      onSpawn: (child) => void firstPoll.then(() => setTimeout(() => child.kill('SIGINT'), 100)),
    });
    expect(result.code, printed(result)).toBe(130);
    expect(result.signal).toBeNull();
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('Error: interrupted\n');
  });
});

describe('group add', () => {
  it('refuses a group whose app has an unknown field, listing its path; nothing sent', async () => {
    const server = await marathon();
    const group = { id: '/g', apps: [{ id: '/g/a', cmd: 'sleep 1', instancse: 2 }] };
    const line = oneError(await dcos(server, ['group', 'add'], JSON.stringify(group)), 1);
    expect(line).toContain('/apps/0/instancse');
    expect(server.requests).toEqual([]);
  });
});
