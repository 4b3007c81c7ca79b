/**
 * The HAProxy trust model: what an app owner's labels may do to the load balancer every app shares. Each
 * hijack found against the unprotected generator is here, with the real `haproxy -c` on the result.
 */
import { describe, expect, it } from 'vitest';

import { generateHaproxyConfig } from '../../../src/lib/haproxy/model.js';
import type { HaproxyOptions } from '../../../src/lib/haproxy/types.js';
import { validateConfig } from '../../../src/lib/haproxy/validate.js';
import { app } from './cases.js';

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
      ],
      { bindAddress: '127.0.0.1', httpPort: 8080 },
    );
    // A host name may stand for any address: it clashes with the HTTP frontend's 127.0.0.1:8080.
    expect(report.conflicts).toEqual([
      { port: 8080, winner: 'http', losers: ['/by-name[0]'] },
      { port: 8081, winner: '/long-v6[0]', losers: ['/short-v6[0]'] },
    ]);
    expect(report.included).toEqual(['/long-v6', '/other-v4']);
  });
});
