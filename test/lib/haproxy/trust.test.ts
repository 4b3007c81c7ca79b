/**
 * The HAProxy trust model: what an app owner's labels may do to the load balancer every app shares. Each
 * hijack found against the unprotected generator is here, with the real `haproxy -c` on the result.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { UsageError } from '../../../src/lib/errors.js';
import { generateHaproxyConfig } from '../../../src/lib/haproxy/model.js';
import { TEMPLATES } from '../../../src/lib/haproxy/templates.js';
import type { HaproxyOptions } from '../../../src/lib/haproxy/types.js';
import { validateConfig } from '../../../src/lib/haproxy/validate.js';
import { thrownBy } from '../../helpers/errors.js';
import { app, section } from './cases.js';

const victim = app('/victim', [10100], { HAPROXY_0_VHOST: 'victim.example.com' });

/** The config for the victim and one other app; the other app's fate is the report's. */
function withVictim(other: Record<string, unknown>, options: HaproxyOptions = {}) {
  return generateHaproxyConfig([victim, other], options);
}

async function expectValid(text: string): Promise<void> {
  const result = await validateConfig(text);
  expect(result.problems.filter((problem) => problem.severity === 'alert')).toEqual([]);
  expect(result.ok).toBe(true);
}

describe('value labels are checked for what they are', () => {
  it.each([
    ['unix@/tmp/owned.sock', 'a unix socket HAProxy (as root) would create where the app says'],
    ['abns@owned', 'an abstract socket'],
    ['fd@3', 'a descriptor HAProxy inherited'],
    ['sockpair@4', 'a socket pair'],
    ['ipv4@127.0.0.1', 'an address family prefix'],
    ['127.0.0.1 ssl crt /etc/shadow', 'more words after the address'],
    ['127.1', 'a short IPv4 form'],
    ['0177.0.0.1', 'an octal IPv4 form'],
    ['0x7f.1', 'a hexadecimal IPv4 form'],
    ['fe80::1%eth0', 'an IPv6 zone (an interface)'],
    ['::ffff:127.0.0.1', 'an IPv4-mapped IPv6 address'],
    ['[127.0.0.1]', 'an IPv4 address in brackets'],
  ])('BIND_ADDR %s (%s) drops the app', (address) => {
    const { text, report } = withVictim(app('/binder', [10101], { HAPROXY_0_BIND_ADDR: address }));
    expect(report.included).toEqual(['/victim']);
    expect(report.dropped).toEqual([
      {
        appId: '/binder',
        reason: expect.stringMatching(/^label HAPROXY_0_BIND_ADDR must be \*, an IP address or a host name/),
      },
    ]);
    expect(text).not.toContain('binder');
  });

  it('BIND_ADDR takes *, IPv4, IPv6 (bare or in brackets) and host names, and HAProxy accepts them', async () => {
    const addresses = ['*', '127.0.0.1', '::1', '[::1]', 'localhost'];
    const apps = addresses.map((address, index) =>
      app(`/bind${index}`, [10200 + index], { HAPROXY_0_BIND_ADDR: address }),
    );
    const { text, report } = generateHaproxyConfig(apps);
    expect(report.dropped).toEqual([]);
    for (const [index, address] of addresses.entries()) {
      expect(text).toContain(`  bind ${address}:${10200 + index}\n`);
    }
    await expectValid(text);
  });

  it.each([
    ['expose-fd listeners level admin', /"expose-fd" is not a bind option apps may set/],
    ['ssl crt /etc/shadow', /"ssl" is not a bind option/],
    ['crt /etc/ssl/private/other-tenant.pem', /"crt" is not a bind option/],
    ['ca-file /etc/shadow verify required', /"ca-file" is not a bind option/],
    ['user root group root mode 777', /"user" is not a bind option/],
    ['uid 0', /"uid" is not a bind option/],
    ['namespace host', /"namespace" is not a bind option/],
    ['interface eth1', /"interface" is not a bind option/],
    ['transparent', /"transparent" is not a bind option/],
    ['accept-proxy name stats', /"name" is not a bind option/],
    ['ssl-min-ver TLSv1.0', /ssl-min-ver needs a value like TLSv1.2, not "TLSv1.0"/],
    ['maxconn', /maxconn needs a value like 1000$/],
    ['maxconn lots', /maxconn needs a value like 1000, not "lots"/],
  ])('BIND_OPTIONS %s drops the app', (options, reason) => {
    const { text, report } = withVictim(app('/opts', [10101], { HAPROXY_0_BIND_OPTIONS: options }));
    expect(report.included).toEqual(['/victim']);
    expect(report.dropped).toHaveLength(1);
    expect(report.dropped[0]!.reason).toMatch(/^label HAPROXY_0_BIND_OPTIONS: /);
    expect(report.dropped[0]!.reason).toMatch(reason);
    expect(text).not.toContain('opts_10101');
  });

  it('BIND_OPTIONS from the allow-list reach the bind line, and HAProxy accepts them', async () => {
    const options =
      'accept-proxy defer-accept tfo v4v6 strict-sni no-tls-tickets prefer-client-ciphers ' +
      'maxconn 100 backlog 50 mss 1400 alpn h2,http/1.1 ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3';
    const { text, report } = withVictim(
      app('/opts', [10101], { HAPROXY_0_BIND_OPTIONS: `  ${options.replaceAll(' ', '  ')} ` }),
    );
    expect(report.dropped).toEqual([]);
    expect(text).toContain(`  bind *:10101 ${options}\n`);
    await expectValid(text);
  });

  it.each([
    ['-f /etc/shadow', 'reads a file of patterns'],
    ['-M -f /etc/shadow', 'reads a map file'],
    ['-m reg .*', 'changes the match'],
    ['api', 'is not a path'],
  ])('PATH %s (%s) drops the app', (path) => {
    const { text, report } = withVictim(
      app('/pathy', [10101], { HAPROXY_0_VHOST: 'victim.example.com', HAPROXY_0_PATH: path }),
    );
    expect(report.included).toEqual(['/victim']);
    expect(report.dropped[0]!.reason).toMatch(
      /^label HAPROXY_0_PATH must be paths starting with \/ \(and -i\)/,
    );
    expect(text).not.toContain('shadow');
  });

  it('a bind address cannot dodge the port-conflict check by another spelling of the same address', () => {
    const { report } = generateHaproxyConfig(
      [
        app('/by-name', [10001], { HAPROXY_0_PORT: '8080', HAPROXY_0_BIND_ADDR: 'localhost' }),
        app('/long-v6', [10002], { HAPROXY_0_PORT: '8081', HAPROXY_0_BIND_ADDR: '0:0:0:0:0:0:0:1' }),
        app('/short-v6', [10003], { HAPROXY_0_PORT: '8081', HAPROXY_0_BIND_ADDR: '[::1]' }),
        app('/other-v4', [10004], { HAPROXY_0_PORT: '8080', HAPROXY_0_BIND_ADDR: '127.0.0.2' }),
        app('/any-v6', [10005], { HAPROXY_0_PORT: '8082', HAPROXY_0_BIND_ADDR: '0:0::0' }),
        app('/later-v4', [10006], { HAPROXY_0_PORT: '8082', HAPROXY_0_BIND_ADDR: '127.0.0.3' }),
      ],
      { bindAddress: '127.0.0.1', httpPort: 8080 },
    );
    // A host name may stand for any address: it clashes with the HTTP frontend's 127.0.0.1:8080.
    expect(report.conflicts).toEqual([
      { port: 8080, winner: 'http', losers: ['/by-name[0]'] },
      { port: 8081, winner: '/long-v6[0]', losers: ['/short-v6[0]'] },
      // The IPv6 wildcard in another spelling is still a wildcard.
      { port: 8082, winner: '/any-v6[0]', losers: ['/later-v4[0]'] },
    ]);
    expect(report.included).toEqual(['/any-v6', '/long-v6', '/other-v4']);
  });
});

/** A root-only file in the attacks; the honoured ones read this one, so `haproxy -c` need not run as root. */
const secretFile = join(mkdtempSync(join(tmpdir(), 'haproxy-trust-')), 'secret.txt');
writeFileSync(secretFile, 'not for app owners\n', { mode: 0o600 });

const OFF = 'apps may set templates only when the operator allows it (--allow-app-templates)';
const shared = (template: string, frontend: string) =>
  `HAPROXY_${template} writes into the shared frontend ${frontend}; apps may set it only if the operator lists ` +
  'it in SHARED_FRONTEND_APP_TEMPLATES (--templates DIR)';

/** Each attack from the review of the unprotected generator: the app that tries it and the label it uses. */
const ATTACKS = {
  fileRead: app('/reader', [10101], {
    HAPROXY_0_VHOST: 'reader.example.com',
    HAPROXY_0_BACKEND_HEAD:
      '\nbackend {backend}\n  balance {balance}\n  mode {mode}\n' +
      '  http-request return status 200 content-type text/plain file /etc/shadow\n',
  }),
  routingTakeover: app('/thief', [10102], {
    HAPROXY_0_VHOST: 'thief.example.com',
    HAPROXY_0_HTTP_FRONTEND_ROUTING_ONLY: '  use_backend {backend}\n',
  }),
  aclTakeover: app('/squatter', [10103], {
    HAPROXY_0_VHOST: 'squatter.example.com',
    HAPROXY_0_HTTP_FRONTEND_ACL_ONLY: '  acl host_{backend} hdr(host) -i victim.example.com\n',
  }),
  extraBind: app('/binder', [10104], {
    HAPROXY_0_FRONTEND_HEAD:
      '\nfrontend {backend}\n  bind {bindAddr}:{servicePort}\n  bind *:80\n  mode {mode}\n',
  }),
  ssrf: app('/ssrf', [10105], {
    HAPROXY_0_BACKEND_SERVER_OPTIONS:
      '  server {serverName} {host}:{port}{healthCheckOptions}\n  server metadata 169.254.169.254:80\n',
  }),
  aclFile: app('/lister', [10106], {
    HAPROXY_0_VHOST: 'lister.example.com',
    HAPROXY_BACKEND_HTTP_OPTIONS: '  acl leak path_beg -f /etc/shadow\n  http-request deny if leak\n',
  }),
};

describe('app template labels are off unless the operator allows them', () => {
  it('by default every attack is ignored, reported per app, and the rest of each app is served', async () => {
    const { text, report } = generateHaproxyConfig([victim, ...Object.values(ATTACKS)]);
    expect(report.dropped).toEqual([]);
    expect(report.included).toEqual([
      '/binder',
      '/lister',
      '/reader',
      '/squatter',
      '/ssrf',
      '/thief',
      '/victim',
    ]);
    expect(report.ignoredLabels).toEqual([
      { appId: '/binder', label: 'HAPROXY_0_FRONTEND_HEAD', reason: OFF },
      { appId: '/lister', label: 'HAPROXY_BACKEND_HTTP_OPTIONS', reason: OFF },
      { appId: '/reader', label: 'HAPROXY_0_BACKEND_HEAD', reason: OFF },
      { appId: '/squatter', label: 'HAPROXY_0_HTTP_FRONTEND_ACL_ONLY', reason: OFF },
      { appId: '/ssrf', label: 'HAPROXY_0_BACKEND_SERVER_OPTIONS', reason: OFF },
      { appId: '/thief', label: 'HAPROXY_0_HTTP_FRONTEND_ROUTING_ONLY', reason: OFF },
    ]);
    expect(report.warnings).toContain(`/reader: label HAPROXY_0_BACKEND_HEAD ignored: ${OFF}`);
    expect(text).not.toMatch(/\/etc\/shadow|169\.254|file /);
    expect(text).toContain('  use_backend thief_10102 if host_thief_10102\n');
    expect(text).toContain('  acl host_squatter_10103 hdr(host) -i squatter.example.com\n');
    expect(text.match(/^ {2}bind \*:80$/gm)).toHaveLength(1);
    // Exactly the config of the same apps without those labels.
    const stripped = Object.values(ATTACKS).map((attack) => ({
      ...attack,
      labels: Object.fromEntries(
        Object.entries(attack.labels as Record<string, string>).filter(
          ([key]) => !/HEAD|ONLY|OPTIONS/.test(key),
        ),
      ),
    }));
    expect(generateHaproxyConfig([victim, ...stripped]).text).toBe(text);
    await expectValid(text);
  });

  it('not one of the 18 app-overridable templates changes a byte by default', () => {
    const overridable = Object.keys(TEMPLATES).filter((name) => TEMPLATES[name]!.overridable);
    expect(overridable).toHaveLength(18);
    const labels = Object.fromEntries(overridable.map((name) => [`HAPROXY_0_${name}`, '  # app text\n']));
    const target = { HAPROXY_0_VHOST: 'x.example.com', HAPROXY_0_STICKY: 'true', HAPROXY_0_PATH: '/x' };
    const plain = generateHaproxyConfig([app('/x', [10110], target)], { sslCerts: ['/c.pem'] });
    const labelled = generateHaproxyConfig([app('/x', [10110], { ...target, ...labels })], {
      sslCerts: ['/c.pem'],
    });
    expect(labelled.text).toBe(plain.text);
    expect(labelled.report.ignoredLabels!.map((ignored) => ignored.label).sort()).toEqual(
      Object.keys(labels).sort(),
    );
  });

  it("apps of other groups are none of this load balancer's business: their labels are not reported", () => {
    const other = app('/elsewhere', [10120], { HAPROXY_GROUP: 'internal', HAPROXY_0_BACKEND_HEAD: 'x' });
    expect(generateHaproxyConfig([other]).report.ignoredLabels).toEqual([]);
  });
});

describe("--allow-app-templates: the app's own backend and frontend, never the shared frontends", () => {
  const allow = { allowAppTemplates: true };

  it('backend templates work as in marathon-lb, file reads and outbound servers included', async () => {
    const reader = app('/reader', [10101], {
      HAPROXY_0_VHOST: 'reader.example.com',
      HAPROXY_0_BACKEND_HEAD: (
        ATTACKS.fileRead.labels as Record<string, string>
      ).HAPROXY_0_BACKEND_HEAD!.replace('/etc/shadow', secretFile),
    });
    const { text, report } = generateHaproxyConfig([victim, reader, ATTACKS.ssrf], allow);
    expect(report.ignoredLabels).toEqual([]);
    expect(section(text, 'backend reader_10101')).toContain(
      `  http-request return status 200 content-type text/plain file ${secretFile}`,
    );
    expect(section(text, 'backend ssrf_10105')).toContain('  server metadata 169.254.169.254:80');
    await expectValid(text);
  });

  it('shared-frontend templates are still refused, and reported with why', async () => {
    const { text, report } = generateHaproxyConfig(
      [victim, ATTACKS.routingTakeover, ATTACKS.aclTakeover, ATTACKS.aclFile],
      allow,
    );
    expect(report.ignoredLabels).toEqual([
      {
        appId: '/squatter',
        label: 'HAPROXY_0_HTTP_FRONTEND_ACL_ONLY',
        reason: shared('HTTP_FRONTEND_ACL_ONLY', 'marathon_http_in'),
      },
      {
        appId: '/thief',
        label: 'HAPROXY_0_HTTP_FRONTEND_ROUTING_ONLY',
        reason: shared('HTTP_FRONTEND_ROUTING_ONLY', 'marathon_http_in'),
      },
    ]);
    const http = section(text, 'frontend marathon_http_in');
    expect(http).toContain('  use_backend thief_10102 if host_thief_10102');
    expect(http).not.toContain('  use_backend thief_10102');
    expect(http).toContain('  acl host_squatter_10103 hdr(host) -i squatter.example.com');
    expect(http).not.toContain('  acl host_squatter_10103 hdr(host) -i victim.example.com');
    // The app's own backend option template is its own business once templates are allowed.
    expect(section(text, 'backend lister_10106')).toContain('  acl leak path_beg -f /etc/shadow');
    await expectValid(text.replace('/etc/shadow', secretFile));
  });

  it('all 8 shared-frontend templates are refused; the other 10 are honoured', () => {
    const names = Object.keys(TEMPLATES).filter((name) => TEMPLATES[name]!.overridable);
    const text = (name: string) =>
      TEMPLATES[name]!.opens ? TEMPLATES[name]!.text.replace(/\n$/, '\n  # app text\n') : '  # app text\n';
    const labels = Object.fromEntries(names.map((name) => [`HAPROXY_0_${name}`, text(name)]));
    const target = { HAPROXY_0_VHOST: 'x.example.com' };
    const { report } = generateHaproxyConfig([app('/x', [10110], { ...target, ...labels })], allow);
    expect(report.included).toEqual(['/x']);
    expect(report.ignoredLabels!.map((ignored) => ignored.label).sort()).toEqual(
      names
        .filter((name) => TEMPLATES[name]!.sharedFrontend)
        .map((name) => `HAPROXY_0_${name}`)
        .sort(),
    );
    expect(report.ignoredLabels).toHaveLength(8);
  });

  it.each([
    [
      'a second bind on the shared HTTP port',
      ATTACKS.extraBind,
      /binds "\*:80"; an app may only repeat its own bind \(bind \*:10104\)/,
    ],
    [
      'a unix socket bind',
      app('/sock', [10107], {
        HAPROXY_0_FRONTEND_HEAD: '\nfrontend {backend}\n  bind unix@/tmp/owned.sock\n  mode {mode}\n',
      }),
      /binds "unix@\/tmp\/owned.sock"/,
    ],
    [
      "the app's own bind with a certificate of its choosing",
      app('/certy', [10108], {
        HAPROXY_0_FRONTEND_HEAD:
          '\nfrontend {backend}\n  bind {bindAddr}:{servicePort} ssl crt /etc/ssl/private/other.pem\n',
      }),
      /binds "\*:10108 ssl crt \/etc\/ssl\/private\/other.pem"/,
    ],
  ])('%s in its own frontend drops the app', (_what, attack, reason) => {
    const { text, report } = withVictim(attack, allow);
    expect(report.included).toEqual(['/victim']);
    expect(report.dropped[0]!.reason).toMatch(reason);
    expect(text.match(/^ {2}bind /gm)).toHaveLength(3); // stats, marathon_http_in, the victim's port
  });

  it("a FRONTEND_HEAD that repeats its own bind (even with the operator's bind options) is honoured", () => {
    const options = {
      ...allow,
      templates: {
        HAPROXY_FRONTEND_HEAD:
          '\nfrontend {backend}\n  bind {bindAddr}:{servicePort} accept-proxy\n  mode {mode}\n',
      },
    };
    const own = app('/own', [10109], {
      HAPROXY_0_FRONTEND_HEAD:
        '\nfrontend {backend}\n  bind   {bindAddr}:{servicePort}   accept-proxy\n  mode {mode}\n  timeout client 5m\n',
    });
    const { text, report } = withVictim(own, options);
    expect(report.dropped).toEqual([]);
    expect(section(text, 'frontend own_10109')).toContain('  timeout client 5m');
  });

  it('HEAD (global, defaults, the stats and health listener) and the shared frontend heads: never, whatever is allowed', () => {
    const sharedTemplates = Object.keys(TEMPLATES).filter((name) => TEMPLATES[name]!.sharedFrontend);
    const { text, report } = generateHaproxyConfig(
      [
        app('/head', [10140], {
          HAPROXY_HEAD: 'global\n  stats socket /tmp/owned.sock level admin\n',
          HAPROXY_0_HTTP_FRONTEND_HEAD: '\nfrontend marathon_http_in\n  bind *:80\n  bind *:8080\n',
          HAPROXY_HTTPS_FRONTEND_HEAD: '\nfrontend marathon_https_in\n  bind *:443 ssl crt /etc/shadow\n',
        }),
      ],
      { allowAppTemplates: true, sharedFrontendAppTemplates: sharedTemplates },
    );
    expect(report.ignoredLabels).toEqual([
      {
        appId: '/head',
        label: 'HAPROXY_0_HTTP_FRONTEND_HEAD',
        reason: 'HAPROXY_HTTP_FRONTEND_HEAD cannot be changed by an app',
      },
      { appId: '/head', label: 'HAPROXY_HEAD', reason: 'HAPROXY_HEAD cannot be changed by an app' },
      {
        appId: '/head',
        label: 'HAPROXY_HTTPS_FRONTEND_HEAD',
        reason: 'HAPROXY_HTTPS_FRONTEND_HEAD cannot be changed by an app',
      },
    ]);
    expect(text).not.toMatch(/owned|8080|shadow/);
  });

  describe('the operator lists the shared-frontend templates apps may set (SHARED_FRONTEND_APP_TEMPLATES)', () => {
    it('a listed template is honoured, the others stay refused', () => {
      const { text, report } = generateHaproxyConfig([victim, ATTACKS.routingTakeover, ATTACKS.aclTakeover], {
        ...allow,
        sharedFrontendAppTemplates: ['HAPROXY_HTTP_FRONTEND_ROUTING_ONLY'],
      });
      expect(report.ignoredLabels!.map((ignored) => ignored.label)).toEqual([
        'HAPROXY_0_HTTP_FRONTEND_ACL_ONLY',
      ]);
      expect(section(text, 'frontend marathon_http_in')).toContain('  use_backend thief_10102');
    });

    it('is ignored without --allow-app-templates', () => {
      const { report } = generateHaproxyConfig([ATTACKS.routingTakeover], {
        sharedFrontendAppTemplates: ['HTTP_FRONTEND_ROUTING_ONLY'],
      });
      expect(report.ignoredLabels).toEqual([
        { appId: '/thief', label: 'HAPROXY_0_HTTP_FRONTEND_ROUTING_ONLY', reason: OFF },
      ]);
    });

    it.each([
      ['HAPROXY_NOPE', /"HAPROXY_NOPE" names no template/],
      ['BACKEND_HEAD', /"BACKEND_HEAD" is not a template of a shared frontend/],
      ['HEAD', /"HEAD" is not a template of a shared frontend/],
    ])('a list naming %s is a usage error', (name, message) => {
      const error = thrownBy(
        () => generateHaproxyConfig([], { sharedFrontendAppTemplates: [name] }),
        UsageError,
      );
      expect(error.message).toMatch(/^SHARED_FRONTEND_APP_TEMPLATES: /);
      expect(error.message).toMatch(message);
      expect(error.message).toContain('HAPROXY_HTTPS_FRONTEND_ACL_WITH_PATH');
    });
  });
});

describe('SSL_CERT: only certificates checkAppCertificates found in an allowed directory', () => {
  const certApp = (path: string) => app('/tls', [10130], { HAPROXY_0_SSL_CERT: path });

  it('without --ssl-cert-dir an app naming a certificate is left out, with why', () => {
    const { text, report } = withVictim(certApp('/etc/ssl/private/other-tenant.pem'), {
      sslCerts: ['/c.pem'],
    });
    expect(report.dropped).toEqual([
      {
        appId: '/tls',
        reason:
          'label HAPROXY_0_SSL_CERT: "/etc/ssl/private/other-tenant.pem" is refused: apps may name certificates only in ' +
          'directories the operator allows (--ssl-cert-dir)',
      },
    ]);
    expect(text).not.toContain('other-tenant');
  });

  it('a refused path is left out with what the check found; an allowed one is used by its real path', () => {
    const appCertificates = new Map([
      [
        '/certs/../etc/key.pem',
        { refused: 'leads to /etc/key.pem, outside the directories allowed by --ssl-cert-dir' },
      ],
      ['/certs/link.pem', { path: '/certs/real/app.pem' }],
    ]);
    const options = { sslCertDirs: ['/certs'], appCertificates, sslCerts: ['/c.pem'] };
    const refused = withVictim(certApp('/certs/../etc/key.pem'), options);
    expect(refused.report.dropped[0]!.reason).toBe(
      'label HAPROXY_0_SSL_CERT: "/certs/../etc/key.pem" leads to /etc/key.pem, outside the directories allowed by --ssl-cert-dir',
    );
    const unchecked = withVictim(certApp('/certs/unknown.pem'), options);
    expect(unchecked.report.dropped[0]!.reason).toBe(
      'label HAPROXY_0_SSL_CERT: "/certs/unknown.pem" was not checked',
    );
    const allowed = withVictim(certApp(' /certs/link.pem '), options);
    expect(allowed.report.dropped).toEqual([]);
    expect(allowed.text).toContain('  bind *:10130 ssl crt /certs/real/app.pem\n');
    expect(allowed.text).toContain('crt /c.pem crt /certs/real/app.pem\n');
  });
});
