import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';

import { DcosError } from '../../../src/lib/errors.js';
import { generateHaproxyConfig } from '../../../src/lib/haproxy/model.js';
import { describeProblem, parseHaproxyOutput, validateConfig } from '../../../src/lib/haproxy/validate.js';
import { rejectionOf } from '../../helpers/errors.js';
import { haproxyCertDir } from '../../helpers/haproxy.js';
import { GOLDEN_CASES, goldenPath } from './cases.js';

// Every test here runs the real haproxy (Debian's, installed by .ci/run): it is the authority on validity.
let certDir: string;
beforeAll(() => {
  certDir = haproxyCertDir();
});

function app(id: string, port: number, labels: Record<string, string> = {}) {
  return {
    id,
    portDefinitions: [{ port }],
    labels: { HAPROXY_GROUP: 'external', ...labels },
    tasks: [
      { id: `${id.slice(1)}.1`, host: '10.0.0.1', ports: [port + 20_000], startedAt: '2026-11-20T10:00:00Z' },
    ],
  };
}

describe('validateConfig with the real haproxy -c', () => {
  it.each(GOLDEN_CASES)('golden $name is valid', async ({ name }) => {
    const result = await validateConfig(readFileSync(goldenPath(name), 'utf8'), { cwd: certDir });
    expect(result.problems.filter((problem) => problem.severity === 'alert')).toEqual([]);
    expect(result.ok).toBe(true);
    // The only warnings allowed: agent host names this machine cannot resolve (init-addr none covers them).
    for (const problem of result.problems) expect(problem.message).toMatch(/could not resolve address/);
  });

  it('a config with injection attempts and a broken template in some apps is still valid', async () => {
    const { text, report } = generateHaproxyConfig(
      [
        app('/good', 10000, { HAPROXY_0_VHOST: 'good.example.com' }),
        app('/evil1', 10001, { HAPROXY_0_VHOST: 'a.example.com\nbind :22' }),
        app('/evil2', 10002, { HAPROXY_0_BIND_OPTIONS: 'alpn "h2' }),
        app('/evil3', 10003, { HAPROXY_0_BACKEND_HEAD: '\nbackend {backend}\n  balance {balanc}\n' }),
        app('/evil\u00014', 10004),
        app('/evil5', 10005, { HAPROXY_0_PATH: '/x # y', HAPROXY_0_VHOST: 'p.example.com' }),
        app('/other', 10006),
      ],
      { sslCerts: ['certs/default.pem'], allowAppTemplates: true },
    );
    expect(report.included).toEqual(['/good', '/other']);
    expect(report.dropped.map((dropped) => dropped.appId).sort()).toEqual([
      '"/evil\\u00014"',
      '/evil1',
      '/evil2',
      '/evil3',
      '/evil5',
    ]);
    const result = await validateConfig(text, { cwd: certDir });
    expect(result).toEqual({ ok: true, problems: [] });
  });

  it('maps an error back to the line, its section and the app that wrote it', async () => {
    const config = generateHaproxyConfig([app('/a', 10000), app('/b/c', 10001)]);
    const lines = config.text.split('\n');
    const target = lines.indexOf('backend b_c_10001') + 1;
    lines[target] = '  balance no-such-algorithm';
    const result = await validateConfig(lines.join('\n'), { lineOwners: config.lineOwners });
    expect(result.ok).toBe(false);
    const alert = result.problems.find((problem) => problem.line !== undefined)!;
    expect(alert).toMatchObject({
      severity: 'alert',
      line: target + 1,
      appId: '/b/c',
      section: 'backend b_c_10001',
    });
    expect(alert.message).toMatch(/^balance only supports/);
    expect(alert.message).not.toContain('dcos-haproxy-check');
    expect(describeProblem(alert)).toMatch(
      new RegExp(`^line ${target + 1} \\(app /b/c, backend b_c_10001\\): `),
    );
  });

  it('a missing haproxy binary is one clear error', async () => {
    const error = await rejectionOf(
      validateConfig('global\n', { haproxyBin: '/nonexistent/haproxy' }),
      DcosError,
    );
    expect(error.code).toBe('haproxy_not_found');
    expect(error.message).toBe(
      'cannot run /nonexistent/haproxy (not found): install HAProxy 2.4 or newer, or pass --haproxy-bin PATH',
    );
  });
});

describe('parseHaproxyOutput', () => {
  it('reads alerts and warnings with their lines and hides the temp path', () => {
    const output = [
      '[NOTICE]   (1) : haproxy version is 2.6.12',
      "[ALERT]    (1) : config : parsing [/tmp/x/haproxy.cfg:15] : unknown keyword 'bogus' in 'frontend' section",
      "[WARNING]  (1) : config : [/tmp/x/haproxy.cfg:20] : 'server b/s' : could not resolve address 'h'.",
      '[ALERT]    (1) : config : Error(s) found in configuration file : /tmp/x/haproxy.cfg',
      '[ALERT]    (1) : config : Fatal errors found in configuration.',
      "[ALERT]    (1) : config : proxy 'x' has no bind (/tmp/x/haproxy.cfg)",
    ].join('\n');
    expect(parseHaproxyOutput(output, '/tmp/x/haproxy.cfg', 'my.cfg')).toEqual([
      { severity: 'alert', line: 15, message: "unknown keyword 'bogus' in 'frontend' section" },
      { severity: 'warning', line: 20, message: "'server b/s' : could not resolve address 'h'." },
      { severity: 'alert', message: "proxy 'x' has no bind (my.cfg)" },
    ]);
  });
});
