import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ROOT, runCli, tempDcosDir, type CliResult } from '../helpers/cli.js';
import type { TestServer } from '../helpers/servers.js';
import {
  closedPort,
  clusterIds,
  linesOf,
  printed,
  seedCluster,
  startFakeDcos,
  startSilentServer,
} from './fakes.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** stderr of a --json run: exactly one line, a JSON object {"error":{"code","message"}}. */
function jsonError(result: CliResult): { code: string; message: string; details?: unknown } {
  expect(result.stdout, printed(result)).toBe('');
  expect(result.stderr.endsWith('\n'), printed(result)).toBe(true);
  expect(linesOf(result.stderr), printed(result)).toHaveLength(1);
  const parsed = JSON.parse(result.stderr) as { error: { code: string; message: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(parsed.error).toEqual(
    expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  );
  expect(parsed.error.message).not.toContain('\n');
  return parsed.error;
}

describe('exit codes and error output', () => {
  it('exits 0 on success with nothing on stderr', async () => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });

    const result = await runCli(['config', 'show', 'cluster.name'], { env: { DCOS_DIR: dir } });

    expect(result).toEqual({ code: 0, signal: null, stdout: 'alpha\n', stderr: '' });
  });

  it('exits 1 with one "Error: ..." line and no stack trace when the connection is refused', async () => {
    const port = await closedPort();
    const dir = tempDcosDir();

    const result = await runCli(['cluster', 'setup', `http://127.0.0.1:${port}`], { env: { DCOS_DIR: dir } });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `Error: connection refused by http://127.0.0.1:${port}; is the service running?\n`,
    );
    expect(clusterIds(dir)).toEqual([]);
  });

  it('shows the low-level detail and a stack trace with --verbose', async () => {
    const port = await closedPort();

    const result = await runCli(['cluster', 'setup', `http://127.0.0.1:${port}`, '--verbose'], {
      env: { DCOS_DIR: tempDcosDir() },
    });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stderr).toMatch(/^Error: connection refused by /m);
    expect(result.stderr).toMatch(/^ {2}detail: .*ECONNREFUSED/m);
    expect(result.stderr).toMatch(/^NetworkError: connection refused/m);
    expect(result.stderr).toMatch(/^ {4}at .+\(.*\.js:\d+:\d+\)$/m);
    // The request log comes first.
    expect(linesOf(result.stderr)[0]).toBe(`> GET http://127.0.0.1:${port}/dcos-metadata/dcos-version.json`);
  });

  it.each([
    ['an unknown flag', ['cluster', 'list', '--bogus'], /^Error: Nonexistent flag: --bogus\n$/],
    ['a missing argument', ['cluster', 'attach'], /^Error: Missing 1 required arg: cluster \(.+\)\n$/],
    [
      'an extra argument',
      ['cluster', 'rename', 'alpha', 'beta', 'extra'],
      /^Error: Unexpected argument: extra\n$/,
    ],
    [
      'flags that exclude each other',
      ['cluster', 'setup', 'http://127.0.0.1:9', '--password-file', 'a', '--password-env', 'B'],
      /^Error: .*--password-(file|env).* cannot also be provided when using --password-(env|file)\n$/,
    ],
    [
      'a bad config value',
      ['config', 'set', 'core.timeout', 'soon'],
      /^Error: invalid value for core\.timeout/,
    ],
  ])('exits 1 with one line for %s', async (_what, args, message) => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });

    const result = await runCli(args, { env: { DCOS_DIR: dir } });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(linesOf(result.stderr)).toHaveLength(1);
  });

  it('exits 1 for an unknown command', async () => {
    const result = await runCli(['cluster', 'lst'], { env: { DCOS_DIR: tempDcosDir() } });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('cluster lst is not a dcos command');
  });

  it('with --json an unknown command is one JSON error line on stderr, exit 1', async () => {
    const result = await runCli(['cluster', 'lst', '--json'], { env: { DCOS_DIR: tempDcosDir() } });

    expect(result.code, printed(result)).toBe(1);
    expect(result.stdout).toBe('');
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(jsonError(result)).toEqual({
      code: 'usage',
      message: '"cluster lst" is not a dcos command; run `dcos help` for the list',
    });
  });
});

describe('401 and 403: the DC/OS CLI lines, where and why only with --verbose', () => {
  it.each([
    [401, 'Error: authentication failed, please run `dcos auth login`\n'],
    [403, 'Error: you are not authorized to perform this operation\n'],
  ])('%i', async (status, expected) => {
    const dcos = await startFakeDcos();
    servers.push(dcos);
    dcos.routes['GET /service/marathon/v2/apps'] = () => ({
      status,
      json: { title: 'No', description: 'the server says why', code: 'ERR_X' },
    });
    const dir = tempDcosDir();
    seedCluster(dir, dcos.clusterId, { name: 'dcos', url: dcos.url, token: 'tok', attached: true });
    const result = await runCli(['marathon', 'app', 'list'], { env: { DCOS_DIR: dir } });
    expect(result.code, printed(result)).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(expected);
    const verbose = await runCli(['marathon', 'app', 'list', '--verbose'], { env: { DCOS_DIR: dir } });
    expect(verbose.stderr).toContain(
      `detail: GET /service/marathon/v2/apps at ${dcos.url} answered ${status}: the server says why`,
    );
  });
});

describe('--json errors', () => {
  it('a failure is one JSON line on stderr, stdout empty, exit 1', async () => {
    const port = await closedPort();

    const result = await runCli(['cluster', 'setup', `http://127.0.0.1:${port}`, '--json'], {
      env: { DCOS_DIR: tempDcosDir() },
    });

    expect(result.code, printed(result)).toBe(1);
    const error = jsonError(result);
    expect(error.code).toBe('network_refused');
    expect(error.message).toBe(`connection refused by http://127.0.0.1:${port}; is the service running?`);
  });

  it('with --verbose the error is still one JSON line (the last on stderr) and has no stack', async () => {
    const port = await closedPort();

    const result = await runCli(['cluster', 'setup', `http://127.0.0.1:${port}`, '--json', '--verbose'], {
      env: { DCOS_DIR: tempDcosDir() },
    });

    expect(result.code, printed(result)).toBe(1);
    // The verbose request log goes to stderr too; the error itself is the last line and the only JSON one.
    const lines = linesOf(result.stderr);
    const last = JSON.parse(lines.at(-1) ?? '') as { error: { code: string } };
    expect(last.error.code).toBe('network_refused');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it.each([
    ['an unknown flag', ['cluster', 'list', '--bogus', '--json'], 'usage'],
    ['a missing argument', ['cluster', 'rename', '--json'], 'usage'],
    ['a bad value', ['config', 'set', 'core.timeout', 'abc', '--json'], 'invalid_value'],
    ['an unknown key', ['config', 'set', 'core.nope', '1', '--json'], 'unknown_key'],
    ['remove without a target', ['cluster', 'remove', '--json'], 'usage'],
  ])('a usage error (%s) is one JSON line and exit 1', async (_what, args, code) => {
    const dir = tempDcosDir();
    seedCluster(dir, 'aaaa1111-0000', { name: 'alpha', url: 'http://127.0.0.1:9', attached: true });

    const result = await runCli(args, { env: { DCOS_DIR: dir } });

    expect(result.code, printed(result)).toBe(1);
    expect(jsonError(result).code).toBe(code);
  });

  it('no attached cluster is one JSON line and exit 1', async () => {
    const result = await runCli(['config', 'show', '--json'], { env: { DCOS_DIR: tempDcosDir() } });

    expect(result.code, printed(result)).toBe(1);
    expect(jsonError(result).code).toBe('no_cluster');
  });
});

describe('Ctrl-C', () => {
  it('stops a setup waiting on a silent server with exit 130 and saves nothing', async () => {
    const silent = await startSilentServer();
    servers.push(silent);
    const dir = tempDcosDir();
    let sentAt = 0;

    const result = await runCli(['cluster', 'setup', silent.url], {
      env: { DCOS_DIR: dir },
      timeoutMs: 15_000,
      onSpawn: (child) => {
        const spawnedAt = Date.now();
        // ~500 ms after start, but never before the request is in flight (oclif may still be loading).
        void silent.firstRequest.then(() => {
          setTimeout(
            () => {
              sentAt = Date.now();
              child.kill('SIGINT');
            },
            Math.max(50, 500 - (Date.now() - spawnedAt)),
          );
        });
      },
    });

    expect(sentAt, `SIGINT was never sent: ${printed(result)}`).toBeGreaterThan(0);
    expect(result.code, printed(result)).toBe(130);
    expect(result.signal).toBeNull();
    expect(result.stderr).toBe('Error: interrupted\n');
    expect(result.stdout).toBe('');
    expect(clusterIds(dir)).toEqual([]);
  });

  it('stops setup while it asks DC/OS for the cluster id, instead of saving the cluster under a made-up id', async () => {
    const dcos = await startFakeDcos({ name: 'slow-metadata' });
    servers.push(dcos);
    let metadataAsked!: () => void;
    const asked = new Promise<void>((resolve) => (metadataAsked = resolve));
    dcos.routes['GET /metadata'] = () => {
      metadataAsked();
      return new Promise<void>(() => undefined);
    };
    const dir = tempDcosDir();

    const result = await runCli(['cluster', 'setup', dcos.url], {
      env: { DCOS_DIR: dir },
      timeoutMs: 15_000,
      onSpawn: (child) => {
        void asked.then(() => setTimeout(() => child.kill('SIGINT'), 100));
      },
    });

    expect(result.code, printed(result)).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('Error: interrupted\n');
    expect(clusterIds(dir)).toEqual([]);
  });

  it('stops cluster list with exit 130 instead of printing the clusters as UNAVAILABLE', async () => {
    const silent = await startSilentServer();
    servers.push(silent);
    const dir = tempDcosDir();
    seedCluster(dir, 'silent-0000', { name: 'silent', url: silent.url, attached: true });

    const result = await runCli(['cluster', 'list'], {
      env: { DCOS_DIR: dir },
      timeoutMs: 15_000,
      onSpawn: (child) => {
        void silent.firstRequest.then(() => setTimeout(() => child.kill('SIGINT'), 200));
      },
    });

    expect(result.code, printed(result)).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('Error: interrupted\n');
  });

  it('reports the interruption as JSON with --json', async () => {
    const silent = await startSilentServer();
    servers.push(silent);

    const result = await runCli(['cluster', 'setup', silent.url, '--json'], {
      env: { DCOS_DIR: tempDcosDir() },
      timeoutMs: 15_000,
      onSpawn: (child) => {
        void silent.firstRequest.then(() => setTimeout(() => child.kill('SIGINT'), 100));
      },
    });

    expect(result.code, printed(result)).toBe(130);
    expect(jsonError(result)).toEqual({ code: 'interrupted', message: 'interrupted' });
  });
});

describe('help and version', () => {
  it('dcos --help lists the auth, cluster and config topics', async () => {
    const result = await runCli(['--help'], { env: { DCOS_DIR: tempDcosDir() } });

    expect(result.code, printed(result)).toBe(0);
    const topics = result.stdout.slice(result.stdout.indexOf('TOPICS'));
    for (const topic of ['auth', 'cluster', 'config'])
      expect(topics).toMatch(new RegExp(`^ {2}${topic}\\s+\\S`, 'm'));
  });

  it('dcos cluster --help lists the cluster commands', async () => {
    const result = await runCli(['cluster', '--help'], { env: { DCOS_DIR: tempDcosDir() } });

    expect(result.code, printed(result)).toBe(0);
    for (const command of ['attach', 'list', 'remove', 'rename', 'setup']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}cluster ${command}\\s+\\S`, 'm'));
    }
  });

  it('dcos --version prints dcos/<version>', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    const result = await runCli(['--version'], { env: { DCOS_DIR: tempDcosDir() } });

    expect(result.code, printed(result)).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^dcos/${version.replace(/\./g, '\\.')} `));
    expect(result.stderr).toBe('');
  });
});
