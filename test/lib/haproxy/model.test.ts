import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { UsageError } from '../../../src/lib/errors.js';
import { backendName, generateHaproxyConfig } from '../../../src/lib/haproxy/model.js';
import { compileTemplate, renderTemplate, TemplateError } from '../../../src/lib/haproxy/templates.js';
import { thrownBy } from '../../helpers/errors.js';
import {
  app,
  APP_CERTIFICATES,
  GOLDEN_CASES,
  goldenPath,
  readApps,
  section,
  task,
  type App,
} from './cases.js';

// UPDATE_GOLDEN=1 rewrites the goldens from the generator: review the diff by eye before committing it.
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('golden configs', () => {
  it.each(GOLDEN_CASES)('$name', ({ name, apps, options }) => {
    const config = generateHaproxyConfig(readApps(apps), options);
    if (UPDATE) writeFileSync(goldenPath(name), config.text);
    expect(existsSync(goldenPath(name)), `missing golden ${name}; run with UPDATE_GOLDEN=1`).toBe(true);
    expect(config.text).toBe(readFileSync(goldenPath(name), 'utf8'));
    expect(config.report.dropped).toEqual([]);
  });

  it('service-port app: two tasks become two servers with the translated HTTP health check', () => {
    const { text, report } = generateHaproxyConfig(readApps('apps/service-port.json'));
    expect(report.included).toEqual(['/nginx']);
    expect(section(text, 'backend nginx_10000')).toEqual([
      'backend nginx_10000',
      '  balance roundrobin',
      '  mode http',
      '  option forwardfor',
      '  http-request set-header X-Forwarded-Port %[dst_port]',
      '  http-request add-header X-Forwarded-Proto https if { ssl_fc }',
      '  option httpchk GET /health',
      '  timeout check 10s',
      '  server 10_0_0_1_31001 10.0.0.1:31001 check inter 2s fall 4',
      '  server 10_0_0_2_31002 10.0.0.2:31002 check inter 2s fall 4',
    ]);
    expect(section(text, 'frontend nginx_10000')).toContain('  bind *:10000');
  });

  it('unhealthy: with --health-check only tasks whose checks all pass serve; killing and staging tasks never', () => {
    const apps = readApps('apps/unhealthy.json');
    const strict = generateHaproxyConfig(apps, { healthCheck: true }).text;
    expect(strict).toContain('server 10_0_2_1_33001');
    for (const port of [33002, 33003, 33004, 33005]) expect(strict).not.toContain(`:${port}`);
    // Without the flag HAProxy's own checks decide: the failing and the unchecked task are servers too.
    const loose = generateHaproxyConfig(apps).text;
    for (const port of [33001, 33002, 33003]) expect(loose).toContain(`10.0.2.${port - 33000}:${port}`);
    for (const port of [33004, 33005]) expect(loose).not.toContain(`:${port}`);
  });

  it('groups: HAPROXY_{n}_GROUP replaces the app group for its port; other apps are skipped with why', () => {
    const { text, report } = generateHaproxyConfig(readApps('apps/groups.json'), { groups: ['internal'] });
    expect(report.included).toEqual(['/mixed', '/private']);
    expect(text).toContain('frontend mixed_10013');
    expect(text).not.toContain('mixed_10012');
    expect(report.skipped).toEqual([
      { appId: '/public', reason: 'not in group internal' },
      { appId: '/ungrouped', reason: 'no HAPROXY_GROUP label (wanted: internal)' },
    ]);
    const everything = generateHaproxyConfig(readApps('apps/groups.json'), { groups: ['*'] }).report;
    expect(everything.included).toEqual(['/mixed', '/private', '/public', '/ungrouped']);
    expect(generateHaproxyConfig(readApps('apps/groups.json')).report.included).toEqual([
      '/mixed',
      '/public',
    ]);
  });

  it('path: the path route comes before the same host catch-all, the heavier weight before both', () => {
    const { text } = generateHaproxyConfig(readApps('apps/path.json'), { sslCerts: ['certs/default.pem'] });
    const http = section(text, 'frontend marathon_http_in').filter((line) => line.includes('use_backend'));
    expect(http).toEqual([
      '  use_backend site_heavy_10007 if host_site_heavy_10007',
      '  use_backend site_api_10005 if host_site_api_10005 path_site_api_10005',
      '  use_backend site_static_10006 if host_site_static_10006',
    ]);
    expect(text).toContain('  acl path_site_api_10005 path_beg -i /api /v2');
    expect(section(text, 'frontend marathon_https_in')).toContain(
      '  use_backend site_api_10005 if { ssl_fc_sni -i site.example.com } path_site_api_10005',
    );
  });

  it('redirect and ssl: redirects replace use_backend on :80; app certificates join the :443 bind', () => {
    const redirect = generateHaproxyConfig(readApps('apps/redirect.json'), {
      sslCerts: ['certs/default.pem'],
    }).text;
    const http = section(redirect, 'frontend marathon_http_in');
    expect(http).toContain('  http-request redirect scheme https code 301 if !{ ssl_fc } host_secure_10003');
    expect(http.some((line) => line.includes('use_backend'))).toBe(false);
    const ssl = generateHaproxyConfig(readApps('apps/ssl.json'), {
      sslCerts: ['certs/default.pem'],
      appCertificates: APP_CERTIFICATES,
    }).text;
    expect(ssl).toContain('  bind *:443 ssl crt certs/default.pem crt certs/app.pem');
    expect(ssl).toContain('  bind *:10004 ssl crt certs/app.pem');
  });

  it('vhosts without any certificate: no HTTPS frontend, and a warning says so', () => {
    const { text, report } = generateHaproxyConfig(readApps('apps/vhost.json'));
    expect(text).not.toContain('marathon_https_in');
    expect(text).toContain('  acl host_web_site_10001 hdr(host) -i www.example.com example.com');
    expect(report.warnings.join('\n')).toMatch(/no HTTPS frontend/);
  });

  it('sticky: a cookie per server derived from its name', () => {
    const { text } = generateHaproxyConfig(readApps('apps/sticky.json'));
    expect(text).toContain('  cookie mesosphere_server_id insert indirect nocache');
    expect(text).toMatch(
      /server 10_0_0_1_31201 10\.0\.0\.1:31201 cookie [0-9a-f]{10} check inter 2s fall 4\n/,
    );
  });

  it('tcp: mode, balance, bind address and port labels; servers sorted by host', () => {
    const { text } = generateHaproxyConfig(readApps('apps/tcp.json'));
    expect(section(text, 'frontend db_postgres_15432')).toEqual([
      'frontend db_postgres_15432',
      '  bind 127.0.0.1:15432',
      '  mode tcp',
      '  use_backend db_postgres_15432',
    ]);
    expect(text).toContain('frontend db_postgres_25433');
    expect(section(text, 'backend db_postgres_15432').slice(1)).toEqual([
      '  balance leastconn',
      '  mode tcp',
      '  server agent-1_example_internal_31800 agent-1.example.internal:31800 check inter 5s fall 3',
      '  server agent-2_example_internal_31802 agent-2.example.internal:31802 check inter 5s fall 3',
    ]);
  });
});

describe('determinism', () => {
  function shuffled<T>(list: T[], seed: number): T[] {
    const copy = [...list];
    let state = seed;
    for (let i = copy.length - 1; i > 0; i--) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      const j = state % (i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  it('the same apps in any order, with tasks and labels in any order, give the same bytes', () => {
    const apps = ['service-port', 'vhost', 'sticky', 'path', 'tcp', 'unhealthy'].flatMap(
      (name) => readApps(`apps/${name}.json`).apps,
    );
    const options = { sslCerts: ['certs/default.pem'], healthCheck: true };
    const expected = generateHaproxyConfig({ apps }, options);
    for (const seed of [1, 7, 42, 1234]) {
      const mixed = shuffled(apps, seed).map((one) => ({
        ...one,
        tasks: shuffled(one.tasks as App[], seed + 1),
        labels: Object.fromEntries(shuffled(Object.entries(one.labels as Record<string, string>), seed + 2)),
      }));
      const again = generateHaproxyConfig(mixed, options);
      expect(again.text).toBe(expected.text);
      expect(again.report).toEqual(expected.report);
      expect([...again.lineOwners]).toEqual([...expected.lineOwners]);
    }
  });
});

describe('safety: one bad app is dropped, the rest stays', () => {
  const good = app('/good', [10100], { HAPROXY_0_VHOST: 'good.example.com' });
  const cases: Array<[string, App, RegExp]> = [
    [
      'a newline in a vhost',
      app('/evil1', [10101], { HAPROXY_0_VHOST: 'a.example.com\nbind :22' }),
      /line break/,
    ],
    [
      'a directive after a newline in a value',
      app('/evil2', [10102], { HAPROXY_0_BALANCE: 'roundrobin\n  bind :22' }),
      /HAPROXY_0_BALANCE contains a line break/,
    ],
    [
      'a control character in the id',
      app('/evil\u0007three', [10103], {}),
      /app id contains the control character/,
    ],
    [
      'a quote in bind options',
      app('/evil4', [10104], { HAPROXY_0_BIND_OPTIONS: 'alpn "h2' }),
      /HAPROXY_0_BIND_OPTIONS: alpn needs a value like h2,http\/1.1/,
    ],
    [
      'an unbalanced quote in a template',
      app('/evil4b', [10114], {
        HAPROXY_0_BACKEND_HEAD: '\nbackend {backend}\n  mode {mode}\n  http-request set-header X "y\n',
      }),
      /unbalanced quote/,
    ],
    [
      'a # in a bind address',
      app('/evil5', [10105], { HAPROXY_0_BIND_ADDR: '127.0.0.1#' }),
      /HAPROXY_0_BIND_ADDR must be \*, an IP address or a host name/,
    ],
    [
      'a # in a path',
      app('/evil6', [10106], { HAPROXY_0_VHOST: 'x.example.com', HAPROXY_0_PATH: '/a #x' }),
      /HAPROXY_0_PATH contains '#'/,
    ],
    [
      'spaces in a one-word value',
      app('/evil7', [10107], { HAPROXY_0_SSL_CERT: 'a.pem crt /etc/shadow' }),
      /without spaces/,
    ],
    [
      'a template with an unknown placeholder',
      app('/evil8', [10108], { HAPROXY_0_BACKEND_HEAD: '\nbackend {backend}\n  balance {balanc}\n' }),
      /HAPROXY_0_BACKEND_HEAD: unknown placeholder '\{balanc\}'/,
    ],
    [
      'a template that opens another section',
      app('/evil9', [10109], {
        HAPROXY_FRONTEND_HEAD: '\nfrontend {backend}\n  bind *:{servicePort}\n  mode tcp\nglobal\n  daemon\n',
      }),
      /opens a 'global' section/,
    ],
    [
      'a template with an unclosed brace',
      app('/evil10', [10110], { HAPROXY_0_FRONTEND_BACKEND_GLUE: '  use_backend {backend\n' }),
      /unclosed '\{'/,
    ],
    [
      'a health check path with a space',
      app(
        '/evil11',
        [10111],
        {},
        { healthChecks: [{ protocol: 'HTTP', path: '/ok if TRUE', portIndex: 0 }] },
      ),
      /health check 0: path/,
    ],
    ['a mode that is not http or tcp', app('/evil12', [10112], { HAPROXY_0_MODE: 'udp' }), /http or tcp/],
    [
      // HAProxy strips quotes from keywords too: this would open a listener on :22.
      'a quoted section keyword',
      app('/evil13', [10113], {
        HAPROXY_0_BACKEND_HEAD: '\nbackend {backend}\n  mode {mode}\n"listen" x\n  bind :22\n',
      }),
      /has a directive "\\"listen\\"" that is not a plain word/,
    ],
    [
      'a keyword written with an escape',
      app('/evil14', [10114], {
        HAPROXY_0_FRONTEND_BACKEND_GLUE: '  use_backend {backend}\n  \\x62ind :22\n',
      }),
      /that is not a plain word/,
    ],
    [
      'a .if block, which could hide the sections after it',
      app('/evil15', [10115], { HAPROXY_0_FRONTEND_BACKEND_GLUE: '  use_backend {backend}\n.if 0\n' }),
      /that is not a plain word/,
    ],
    [
      "a second bind in the app's frontend",
      app('/evil16', [10116], {
        HAPROXY_0_FRONTEND_HEAD: '\nfrontend {backend}\n  bind {bindAddr}:{servicePort}\n  bind *:22\n',
      }),
      /binds "\*:22"; an app may only repeat its own bind \(bind \*:10116\)/,
    ],
    [
      "a route to another app's backend",
      app('/evil17', [10117], { HAPROXY_0_FRONTEND_BACKEND_GLUE: '  use_backend good_10100\n' }),
      /routes to "good_10100"; an app may only route to its own backend evil17_10117/,
    ],
  ];

  // Templates are honoured here (--allow-app-templates): what is checked is what an honoured one may do.
  it.each(cases)('%s', (_what, bad, reason) => {
    const { text, report } = generateHaproxyConfig([bad, good], { allowAppTemplates: true });
    expect(report.included).toEqual(['/good']);
    expect(report.dropped).toHaveLength(1);
    expect(report.dropped[0]!.reason).toMatch(reason);
    expect(text).not.toMatch(/:22\b|daemon|shadow|balanc\b/);
    expect(text).not.toContain('\u0007');
    expect(text).toContain('backend good_10100');
  });

  it('reports an id with control characters escaped, never raw', () => {
    const { report } = generateHaproxyConfig([app('/bad\nid', [1], {})]);
    expect(report.dropped[0]!.appId).toBe('"/bad\\nid"');
  });

  it('a label template may change its own section (with --allow-app-templates)', () => {
    const { text, report } = generateHaproxyConfig(
      [
        app('/custom', [10120], {
          HAPROXY_0_BACKEND_HEAD:
            '\nbackend {backend}\n  balance {balance}\n  mode {mode}\n  timeout server 1h\n',
        }),
      ],
      { allowAppTemplates: true },
    );
    expect(report.dropped).toEqual([]);
    expect(section(text, 'backend custom_10120')).toContain('  timeout server 1h');
  });

  it('apps that are not objects and repeated ids are dropped', () => {
    const twice = app('/twice', [10130], {});
    const { report } = generateHaproxyConfig([twice, 'nonsense', { ...twice }, app('/fine', [10131], {})]);
    expect(report.included).toEqual(['/fine']);
    expect(report.dropped).toEqual([
      { appId: '(app #2)', reason: 'not a JSON object' },
      { appId: '/twice', reason: 'the input holds 2 apps with this id' },
    ]);
  });

  it('unknown and unsupported labels are warnings, not errors', () => {
    const { report } = generateHaproxyConfig([
      app('/labels', [10140], {
        HAPROXY_0_VHOSTS: 'typo.example.com',
        HAPROXY_0_AUTH: 'r:u:p',
        HAPROXY_HEAD: 'x',
      }),
    ]);
    expect(report.included).toEqual(['/labels']);
    expect(report.warnings).toEqual([
      '/labels: label HAPROXY_0_AUTH is not supported; ignored',
      '/labels: unknown label HAPROXY_0_VHOSTS; ignored',
      '/labels: label HAPROXY_HEAD: HAPROXY_HEAD cannot be changed by an app; ignored',
    ]);
  });
});

describe('port conflicts', () => {
  it('reserved ports and earlier app ids win; specific bind addresses can share a port', () => {
    const { text, report } = generateHaproxyConfig(
      [
        app('/b', [10000], {}),
        app('/a', [10000], {}),
        app('/stats-clash', [9090], {}),
        app('/http-clash', [10001], { HAPROXY_0_PORT: '80' }),
        app('/configured', [12345], {}),
        app('/f', [10002, 10000], {}),
        app('/g', [11000], { HAPROXY_0_BIND_ADDR: '127.0.0.1' }),
        app('/h', [11000], { HAPROXY_0_BIND_ADDR: '127.0.0.2' }),
        app('/i', [11000], {}),
      ],
      { reservedPorts: [12345] },
    );
    expect(report.conflicts).toEqual([
      { port: 80, winner: 'http', losers: ['/http-clash[0]'] },
      { port: 9090, winner: 'stats', losers: ['/stats-clash[0]'] },
      { port: 10000, winner: '/a[0]', losers: ['/b[0]', '/f[1]'] },
      { port: 11000, winner: '/g[0]', losers: ['/i[0]'] },
      { port: 12345, winner: 'reserved', losers: ['/configured[0]'] },
    ]);
    expect(report.included).toEqual(['/a', '/f', '/g', '/h']);
    expect(report.dropped.map((dropped) => dropped.appId)).toEqual([
      '/b',
      '/configured',
      '/http-clash',
      '/i',
      '/stats-clash',
    ]);
    expect(report.warnings).toContain('/b: service port 10000 (index 0) is taken by /a[0]; left out');
    expect(text.match(/bind \*:10000$/gm)).toHaveLength(1);
    expect(text).toContain('frontend f_10002');
    expect(text).not.toContain('f_10000');
  });
});

describe('line owners', () => {
  it('every line an app wrote maps to it; the head maps to nobody', () => {
    const { text, lineOwners } = generateHaproxyConfig(readApps('apps/path.json'), { sslCerts: ['c.pem'] });
    const lines = text.split('\n');
    let current = '';
    const sectionOf = lines.map((line) =>
      /^(frontend|backend|listen|global|defaults)\b/.test(line) ? (current = line) : current,
    );
    for (const [number, owner] of lineOwners) {
      const line = lines[number - 1]!;
      expect(line, `line ${number}`).not.toBe('');
      // Its own sections, or its rules in the shared vhost frontends: either way, its backend name shows.
      const prefix = `${backendName(owner, 0).slice(0, -1)}`;
      expect(`${sectionOf[number - 1]} ${line}`, `line ${number}`).toContain(prefix);
    }
    expect(lineOwners.get(1)).toBeUndefined();
    const backendLine = lines.indexOf('backend site_api_10005') + 1;
    expect(lineOwners.get(backendLine)).toBe('/site/api');
    expect(lineOwners.get(backendLine + 1)).toBe('/site/api');
    const owned = new Set(lineOwners.values());
    expect([...owned].sort()).toEqual(['/site/api', '/site/heavy', '/site/static']);
  });
});

describe('templates', () => {
  it('fills {names}, keeps {{literal}} braces, and refuses what it cannot fill', () => {
    const template = compileTemplate('  use_backend {backend} if {{ ssl_fc }}\n', 'service');
    expect(renderTemplate(template, { backend: 'web_1' })).toBe('  use_backend web_1 if { ssl_fc }\n');
    expect(() => compileTemplate('{nope}', 'service')).toThrow(/unknown placeholder '\{nope\}'/);
    expect(() => compileTemplate('{backend:>10}', 'service')).toThrow(TemplateError);
    expect(() => compileTemplate('a } b', 'service')).toThrow(/single '\}'/);
    expect(() => compileTemplate('{serverName}', 'service')).toThrow(/unknown placeholder/);
    expect(renderTemplate(compileTemplate('{serverName}', 'server'), { serverName: 's' })).toBe('s');
  });

  it('--templates overrides apply to every app; a broken one is a usage error naming it', () => {
    const apps = readApps('apps/service-port.json');
    const { text } = generateHaproxyConfig(apps, {
      templates: { HAPROXY_BACKEND_HEAD: '\nbackend {backend}\n  balance first\n  mode {mode}\n' },
    });
    expect(section(text, 'backend nginx_10000')[1]).toBe('  balance first');
    const error = thrownBy(
      () => generateHaproxyConfig(apps, { templates: { HAPROXY_HEAD: 'global\n  maxconn {maxcon}\n' } }),
      UsageError,
    );
    expect(error.message).toMatch(/^template HAPROXY_HEAD: unknown placeholder '\{maxcon\}'/);
    expect(() => generateHaproxyConfig(apps, { templates: { HAPROXY_NOPE: '' } })).toThrow(
      /unknown template/,
    );
  });

  it('the stats socket line only when a socket path is given', () => {
    const apps = readApps('apps/service-port.json');
    expect(generateHaproxyConfig(apps).text).not.toContain('stats socket');
    expect(generateHaproxyConfig(apps, { statsSocket: '/run/haproxy/admin.sock' }).text).toContain(
      '  stats socket /run/haproxy/admin.sock expose-fd listeners level admin\n',
    );
  });
});

describe('input shapes and health checks', () => {
  it('accepts {apps}, an array and a group tree; refuses anything else', () => {
    const one = app('/x/y', [10200], {});
    const expected = generateHaproxyConfig([one]).text;
    expect(generateHaproxyConfig({ apps: [one] }).text).toBe(expected);
    expect(generateHaproxyConfig({ id: '/', apps: [], groups: [{ id: '/x', apps: [one] }] }).text).toBe(
      expected,
    );
    expect(() => generateHaproxyConfig({ app: one })).toThrow(UsageError);
    expect(() => generateHaproxyConfig(null)).toThrow(UsageError);
  });

  it.each([
    [{ protocol: 'TCP', intervalSeconds: 4, maxConsecutiveFailures: 0 }, ' check inter 4s fall 1', false],
    [{ protocol: 'COMMAND', command: { value: 'true' } }, ' check inter 60s fall 4', false],
    [{ protocol: 'MESOS_HTTP', path: '/ping', port: 8081 }, ' check inter 60s fall 4 port 8081', true],
    [{ protocol: 'HTTPS', path: '/' }, ' check inter 60s fall 4 check-ssl verify none', true],
  ])('%j -> server options %j', (check, suffix, httpchk) => {
    const { text } = generateHaproxyConfig([app('/hc', [10300], {}, { healthChecks: [check] })]);
    expect(text).toContain(`  server 10_0_0_1_30300 10.0.0.1:30300${suffix}\n`);
    expect(text.includes('option httpchk GET')).toBe(httpchk);
  });

  it('bridge and container networking: service ports from portMappings, container IPs from the task', () => {
    const container = {
      id: '/ippc',
      labels: { HAPROXY_GROUP: 'external' },
      networks: [{ mode: 'container', name: 'dcos' }],
      container: { type: 'MESOS', portMappings: [{ containerPort: 8080, servicePort: 10400 }] },
      tasks: [
        task('/ippc', 1, '10.0.0.9', [], { ipAddresses: [{ ipAddress: '9.0.0.2', protocol: 'IPv4' }] }),
      ],
    };
    const { text } = generateHaproxyConfig([container]);
    expect(text).toContain('  server 9_0_0_2_8080 9.0.0.2:8080\n');
    expect(text).toContain('  bind *:10400\n');
  });
});
