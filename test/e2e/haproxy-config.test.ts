import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import { fixturePath, goldenPath } from '../lib/haproxy/cases.js';

// Needs `npm run build` first, like every e2e test.
const env = () => ({ DCOS_DIR: tempDcosDir() });
const SERVICE_PORT = fixturePath('apps/service-port.json');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'haproxy-e2e-'));
}

describe('dcos haproxy config', () => {
  it('prints the config for an apps file', async () => {
    const result = await runCli(['haproxy', 'config', '--apps', SERVICE_PORT], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(readFileSync(goldenPath('service-port'), 'utf8'));
    expect(result.stderr).toBe('');
  });

  it('--output replaces the file in one rename and says what it wrote', async () => {
    const dir = tempDir();
    const output = join(dir, 'haproxy.cfg');
    writeFileSync(output, 'old config\n');
    const result = await runCli(['haproxy', 'config', '--apps', SERVICE_PORT, '--output', output], {
      env: env(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`Wrote ${output}: 1 apps.\n`);
    expect(readFileSync(output, 'utf8')).toBe(readFileSync(goldenPath('service-port'), 'utf8'));
    expect(statSync(output).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['haproxy.cfg']);
  });

  it('--output onto a FIFO writes through it and leaves it a FIFO; a directory is refused', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'haproxy.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = new Promise<string>((resolve, reject) => {
      let text = '';
      createReadStream(fifo, 'utf8')
        .on('data', (chunk) => (text += String(chunk)))
        .on('end', () => resolve(text))
        .on('error', reject);
    });
    const result = await runCli(['haproxy', 'config', '--apps', SERVICE_PORT, '--output', fifo], {
      env: env(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(await reader).toBe(readFileSync(goldenPath('service-port'), 'utf8'));
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(['haproxy.fifo']);

    const refused = await runCli(['haproxy', 'config', '--apps', SERVICE_PORT, '--output', dir], {
      env: env(),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `Error: cannot write to ${dir}: it is a directory; name a regular file (or a FIFO, or /dev/stdout)\n`,
    );
  });

  it('--json prints the report; dropped apps and conflicts are warnings on stderr', async () => {
    const apps = {
      apps: [
        ...JSON.parse(readFileSync(SERVICE_PORT, 'utf8')).apps,
        {
          id: '/evil',
          portDefinitions: [{ port: 10001 }],
          labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: 'a.example.com\nbind :22' },
          tasks: [{ id: 'evil.1', host: '10.0.0.9', ports: [31000], startedAt: '2026-11-20T10:00:00Z' }],
        },
        {
          id: '/stats',
          portDefinitions: [{ port: 9090 }],
          labels: { HAPROXY_GROUP: 'external' },
          tasks: [{ id: 'stats.1', host: '10.0.0.9', ports: [31001], startedAt: '2026-11-20T10:00:00Z' }],
        },
      ],
    };
    const output = join(tempDir(), 'out.cfg');
    const result = await runCli(['haproxy', 'config', '--apps', '-', '--json', '--output', output], {
      env: env(),
      input: JSON.stringify(apps),
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      included: ['/nginx'],
      dropped: [
        { appId: '/evil', reason: 'label HAPROXY_0_VHOST contains a line break' },
        { appId: '/stats', reason: 'every service port of the app is taken (see conflicts)' },
      ],
      conflicts: [{ port: 9090, winner: 'stats', losers: ['/stats[0]'] }],
      output,
    });
    expect(existsSync(output)).toBe(true);
    const warnings = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).warning as string);
    expect(warnings).toContain('/evil left out: label HAPROXY_0_VHOST contains a line break');
    expect(warnings).toContain('/stats: service port 9090 (index 0) is taken by stats; left out');
  });

  it.each([
    [
      'not JSON',
      '{"apps": [',
      /^Error: invalid JSON in stdin at line 1, column \d+: unexpected end of input/,
    ],
    ['not apps', '{"app": {}}', /^Error: stdin: expected Marathon apps: \{"apps":\[\.\.\.\]\}/],
  ])('a bad apps document (%s) is one clear error, exit 1', async (_what, input, message) => {
    const result = await runCli(['haproxy', 'config', '--apps', '-'], { env: env(), input });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('a missing apps file is exit 1 naming it', async () => {
    const result = await runCli(['haproxy', 'config', '--apps', '/nonexistent/apps.json'], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error: cannot read /nonexistent/apps.json: ENOENT\n');
  });

  it('--templates DIR overrides a template; a broken one is exit 1', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'HAPROXY_BACKEND_HEAD'),
      '\nbackend {backend}\n  balance leastconn\n  mode {mode}\n',
    );
    writeFileSync(join(dir, 'README'), 'ignored');
    const result = await runCli(['haproxy', 'config', '--apps', SERVICE_PORT, '--templates', dir], {
      env: env(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('backend nginx_10000\n  balance leastconn\n');
    writeFileSync(
      join(dir, 'HAPROXY_FRONTEND_HEAD'),
      '\nfrontend {backend}\n  bind {bindAdr}:{servicePort}\n',
    );
    const broken = await runCli(['haproxy', 'config', '--apps', SERVICE_PORT, '--templates', dir], {
      env: env(),
    });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /^Error: template HAPROXY_FRONTEND_HEAD: unknown placeholder '\{bindAdr\}'/,
    );
  });
});

describe('dcos haproxy check', () => {
  it('a good file is valid, exit 0', async () => {
    const result = await runCli(['haproxy', 'check', goldenPath('service-port')], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${goldenPath('service-port')}: valid\n`);
  });

  it('a broken file: each error with its line and section, exit 1', async () => {
    const lines = readFileSync(goldenPath('service-port'), 'utf8').split('\n');
    const at = lines.indexOf('backend nginx_10000') + 2;
    lines.splice(at, 0, '  bogus-directive on');
    const file = join(tempDir(), 'broken.cfg');
    writeFileSync(file, lines.join('\n'));
    const result = await runCli(['haproxy', 'check', file], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `error: line ${at + 1} (backend nginx_10000): unknown keyword 'bogus-directive' in 'backend' section\n`,
    );
    expect(result.stderr).toBe(`Error: haproxy rejected ${file} (1 error)\n`);
    const json = await runCli(['haproxy', 'check', file, '--json'], { env: env() });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      problems: [{ line: at + 1, severity: 'alert' }],
    });
  });

  it('without FILE it checks the config generated from --apps', async () => {
    const result = await runCli(['haproxy', 'check', '--apps', SERVICE_PORT], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`generated from ${SERVICE_PORT}: valid\n`);
  });

  it('a missing haproxy binary says what to do', async () => {
    const result = await runCli(
      ['haproxy', 'check', goldenPath('tcp'), '--haproxy-bin', '/nonexistent/haproxy'],
      {
        env: env(),
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: cannot run /nonexistent/haproxy (not found): install HAProxy 2.4 or newer, or pass --haproxy-bin PATH\n',
    );
  });
});
