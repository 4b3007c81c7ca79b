import { describe, expect, it } from 'vitest';

import {
  applyDnsOverrides,
  DEFAULT_DNS_CONFIG,
  parseDnsConfig,
  readDnsConfig,
  redactedConfig,
  serveDnsConfig,
  type DnsOverrides,
} from '../../../src/lib/dns/config.js';
import { route } from '../../../src/lib/dns/resolver.js';
import { UsageError } from '../../../src/lib/errors.js';

const parse = (input: unknown, resolvConf?: string) =>
  parseDnsConfig(input, 'config.json', resolvConf === undefined ? {} : { resolvConf });

/** The error parseDnsConfig throws, checked to be the exit-2 config error every message shares. */
function configError(
  input: unknown,
  options: { requireMasters?: boolean; resolvConf?: string } = {},
): string {
  try {
    parseDnsConfig(input, 'config.json', options);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('invalid_config');
    expect((error as UsageError).exitCode).toBe(1);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('parseDnsConfig: keys as Go encoding/json reads them', () => {
  it.each(['refreshSeconds', 'RefreshSeconds', 'refreshseconds', 'REFRESHSECONDS'])(
    'matches %s case-insensitively',
    (key) => {
      expect(parse({ [key]: 17 }).RefreshSeconds).toBe(17);
    },
  );

  it('prefers the exact field name over a case-insensitive match, in either order', () => {
    expect(parse({ refreshseconds: 5, RefreshSeconds: 7 }).RefreshSeconds).toBe(7);
    expect(parse({ RefreshSeconds: 7, refreshseconds: 5 }).RefreshSeconds).toBe(7);
  });

  it('matches the explicitly tagged keys (httpport, dnson, httpon) and nested credentials', () => {
    const config = parse({
      httpport: 9000,
      dnson: false,
      HTTPON: true,
      mesosCredentials: { PRINCIPAL: 'me', secret: 's3cret' },
    });
    expect(config).toMatchObject({
      HttpPort: 9000,
      DnsOn: false,
      HttpOn: true,
      MesosCredentials: { Principal: 'me', Secret: 's3cret' },
    });
  });

  it('ignores unknown keys (ns, email) and keeps the default for null', () => {
    expect(parse({ ns: 'ns1', email: 'root.ns1.mesos', TTL: null })).toEqual({
      ...DEFAULT_DNS_CONFIG,
      File: 'config.json',
    });
  });

  it('rejects a value of the wrong type, naming the key as written', () => {
    expect(configError({ refreshSeconds: '60' })).toBe(
      'config.json: refreshSeconds must be a whole number, not string "60"',
    );
    expect(configError({ IPSources: 'host' })).toContain('IPSources must be a list of strings');
    expect(configError('{not json')).toContain('config.json: not valid JSON');
    expect(configError([])).toBe('config.json: must be a JSON object');
  });
});

describe('parseDnsConfig: the defaults of reference §4', () => {
  const config = parse({});
  it.each<[string, unknown]>([
    ['Zk', ''],
    ['Masters', []],
    ['ZkDetectionTimeout', 30],
    ['RefreshSeconds', 60],
    ['StateTimeoutSeconds', 300],
    ['TTL', 60],
    ['SRVRecordDefaultWeight', 1],
    ['Domain', 'mesos'],
    ['Port', 53],
    ['Listener', '0.0.0.0'],
    ['HTTPListener', '0.0.0.0'],
    ['HttpPort', 8123],
    ['DnsOn', true],
    ['HttpOn', true],
    ['ExternalOn', true],
    ['Resolvers', ['8.8.8.8']],
    ['ZoneResolvers', {}],
    ['Timeout', 5],
    ['RecurseOn', true],
    ['SOAMname', 'ns1.mesos.'],
    ['SOARname', 'root.ns1.mesos.'],
    ['SOARefresh', 60],
    ['SOARetry', 600],
    ['SOAExpire', 86400],
    ['SOAMinttl', 60],
    ['IPSources', ['netinfo', 'mesos', 'host']],
    ['EnforceRFC952', false],
    ['SetTruncateBit', true],
    ['EnumerationOn', true],
    ['MesosHTTPSOn', false],
    ['CACertFile', ''],
    ['CertFile', ''],
    ['KeyFile', ''],
    ['MesosAuthentication', ''],
    ['MesosCredentials', { Principal: '', Secret: '' }],
    ['IAMConfigFile', ''],
    ['File', 'config.json'],
  ])('%s defaults to %j', (key, value) => {
    expect(config[key as keyof typeof config]).toEqual(value);
  });

  it('treats timeout 0 as 5, as Mesos-DNS does', () => {
    expect(parse({ timeout: 0 }).Timeout).toBe(5);
  });

  it('does not share lists with the defaults', () => {
    parse({}).IPSources.push('docker');
    expect(DEFAULT_DNS_CONFIG.IPSources).toEqual(['netinfo', 'mesos', 'host']);
  });
});

describe('parseDnsConfig: normalisation', () => {
  it('lowercases the domain and drops its trailing dot', () => {
    expect(parse({ domain: 'DC.Mesos.' }).Domain).toBe('dc.mesos');
  });

  it('makes SOAMname and SOARname absolute and turns @ into a dot', () => {
    const config = parse({ SOAMname: 'ns.example', SOARname: 'hostmaster@example.com' });
    expect(config.SOAMname).toBe('ns.example.');
    expect(config.SOARname).toBe('hostmaster.example.com.');
    const already = parse({ soamname: 'ns.example.', soarname: 'root.example.' });
    expect([already.SOAMname, already.SOARname]).toEqual(['ns.example.', 'root.example.']);
  });

  it('reads resolv.conf for resolvers: [] (own and duplicate addresses left out)', () => {
    const resolvConf = [
      '# written by a tool',
      'search example.com',
      'nameserver 9.9.9.9',
      'nameserver 127.0.0.1',
      'nameserver 9.9.9.9',
      '  nameserver 2620:fe::fe',
      'nameserver not-an-ip',
    ].join('\n');
    expect(parse({ resolvers: [] }, resolvConf).Resolvers).toEqual(['9.9.9.9', '2620:fe::fe']);
  });

  it('rejects resolvers: [] when resolv.conf has no other name server', () => {
    expect(configError({ resolvers: [] }, { resolvConf: 'nameserver 127.0.0.1\n' })).toContain(
      'resolvers is empty',
    );
  });

  it('does not read resolv.conf for resolvers: [] without ExternalOn', () => {
    expect(parse({ resolvers: [], externalOn: false }, 'nameserver 9.9.9.9').Resolvers).toEqual([]);
  });
});

describe('parseDnsConfig: validation', () => {
  it.each<[string, unknown, string]>([
    ['a bad domain', { domain: 'bad_domain!' }, 'domain "bad_domain!" is not a valid domain name'],
    ['an empty domain label', { domain: 'a..b' }, 'is not a valid domain name'],
    ['empty IPSources', { IPSources: [] }, 'IPSources must not be empty'],
    ['a duplicate IP source', { IPSources: ['host', 'host'] }, 'IPSources: "host" is listed twice'],
    ['an unknown IP source', { IPSources: ['host', 'dns'] }, 'IPSources: unknown source "dns"'],
    ['a master without a port', { masters: ['10.0.0.1'] }, 'masters: "10.0.0.1" is not host:port'],
    ['a master with port 0', { masters: ['10.0.0.1:0'] }, 'masters: "10.0.0.1:0"'],
    ['a master with port 70000', { masters: ['m1:70000'] }, 'masters: "m1:70000"'],
    ['a master without a host', { masters: [':5050'] }, 'masters: ":5050"'],
    ['a master listed twice', { masters: ['M1:5050', 'm1:05050'] }, 'masters: "m1:05050" is listed twice'],
    ['a bad zk', { zk: 'http://zk/mesos' }, 'zk "http://zk/mesos" must look like zk://'],
    ['a resolver that is a name', { resolvers: ['dns.example'] }, 'resolvers: "dns.example" is not an IP'],
    ['a resolver with a bad port', { resolvers: ['8.8.8.8:99999'] }, 'resolvers: "8.8.8.8:99999"'],
    [
      'a resolver listed twice',
      { resolvers: ['8.8.8.8', '8.8.8.8:53'] },
      'resolvers: "8.8.8.8:53" is listed twice',
    ],
    ['refreshSeconds 0', { refreshSeconds: 0 }, 'refreshSeconds must be at least 1, not 0'],
    ['refreshSeconds below 0', { refreshSeconds: -5 }, 'refreshSeconds must be at least 1, not -5'],
    ['stateTimeoutSeconds 0', { stateTimeoutSeconds: 0 }, 'stateTimeoutSeconds must be at least 1'],
    ['a port above 65535', { port: 65536 }, 'port must be from 0 to 65535'],
    ['both DNS and HTTP off', { dnsOn: false, httpOn: false }, 'at least one of dnson and httpon'],
    [
      'basic auth without a principal',
      { mesosAuthentication: 'basic', mesosCredentials: { secret: 'x' } },
      'needs mesoscredentials.principal',
    ],
    ['iam auth without a config file', { mesosAuthentication: 'iam' }, 'needs iamconfigfile'],
    ['an unknown auth', { mesosAuthentication: 'kerberos' }, 'mesosauthentication must be'],
    ['a cert without a key', { certFile: 'c.pem' }, 'certfile and keyfile go together'],
  ])('rejects %s', (_, input, message) => {
    const error = configError(input);
    expect(error.startsWith('config.json: ')).toBe(true);
    expect(error).toContain(message);
  });

  it('needs zk or masters only when asked to (dns serve)', () => {
    expect(configError({}, { requireMasters: true })).toContain('either zk or masters is required');
    expect(parseDnsConfig({ masters: ['10.0.0.1:5050'] }, 'x', { requireMasters: true }).Masters).toEqual([
      '10.0.0.1:5050',
    ]);
    expect(parseDnsConfig({ zk: 'zk://10.0.0.1:2181/mesos' }, 'x', { requireMasters: true }).Zk).toBe(
      'zk://10.0.0.1:2181/mesos',
    );
  });

  it('accepts basic auth with a principal, and iam with a config file', () => {
    expect(
      parse({ mesosAuthentication: 'basic', mesosCredentials: { principal: 'p' } }).MesosAuthentication,
    ).toBe('basic');
    expect(parse({ mesosAuthentication: 'iam', iamConfigFile: '/iam.json' }).MesosAuthentication).toBe('iam');
  });

  it('does not validate resolvers without ExternalOn', () => {
    expect(parse({ externalOn: false, resolvers: ['junk'] }).Resolvers).toEqual(['junk']);
  });

  describe('zone resolvers', () => {
    const zones = (zoneResolvers: Record<string, string[]>) => ({ domain: 'dc.mesos', zoneResolvers });

    it('allows a zone that only shares a suffix with the domain, not a label boundary', () => {
      expect(parse(zones({ 'acdc.mesos': ['10.0.0.53'] })).ZoneResolvers).toEqual({
        'acdc.mesos': ['10.0.0.53'],
      });
    });

    it.each([
      ['the domain itself', 'dc.mesos', 'overlaps the Mesos domain "dc.mesos"'],
      ['a parent of the domain', 'mesos', 'overlaps the Mesos domain "dc.mesos"'],
      ['a child of the domain', 'site.dc.mesos', 'overlaps the Mesos domain "dc.mesos"'],
      ['the domain, in capitals with a dot', 'DC.Mesos.', 'overlaps the Mesos domain'],
    ])('rejects %s', (_, zone, message) => {
      expect(configError(zones({ [zone]: ['10.0.0.53'] }))).toContain(message);
    });

    it('rejects zones nested in each other', () => {
      expect(
        configError(zones({ 'example.com': ['10.0.0.53'], 'corp.example.com': ['10.0.0.54'] })),
      ).toContain('overlaps the zone "example.com"');
    });

    it('rejects an empty list, a bad resolver and a bad zone name', () => {
      expect(configError(zones({ 'example.com': [] }))).toContain('"example.com" has no resolvers');
      expect(configError(zones({ 'example.com': ['nope'] }))).toContain(
        'zoneresolvers.example.com: "nope" is not an IP',
      );
      expect(configError(zones({ 'bad zone': ['10.0.0.53'] }))).toContain('"bad zone" is not a valid domain');
    });
  });
});

describe('applyDnsOverrides', () => {
  const base = parse({ TTL: 30, IPSources: ['mesos', 'host'] });

  it('overrides the given fields, keeps the rest and leaves the base alone', () => {
    const next = applyDnsOverrides(base, {
      domain: 'DC.',
      ipSources: 'host, netinfo',
      rfc952: true,
      masters: ['10.0.0.1:5050,10.0.0.2:5050'],
      resolvers: '1.1.1.1',
      ttl: undefined,
    });
    expect(next).toMatchObject({
      Domain: 'dc',
      IPSources: ['host', 'netinfo'],
      EnforceRFC952: true,
      Masters: ['10.0.0.1:5050', '10.0.0.2:5050'],
      Resolvers: ['1.1.1.1'],
      TTL: 30,
    });
    expect(base).toMatchObject({ Domain: 'mesos', IPSources: ['mesos', 'host'], EnforceRFC952: false });
  });

  it('validates the result as a whole, blaming the flags', () => {
    expect(() => applyDnsOverrides(base, { ipSources: 'host,bogus' })).toThrow(
      'flags: IPSources: unknown source "bogus"',
    );
    expect(() => applyDnsOverrides(base, { refresh: 0 })).toThrow('flags: refreshSeconds must be at least 1');
    expect(() => applyDnsOverrides(base, {}, { requireMasters: true })).toThrow(
      'either zk or masters is required',
    );
  });
});

describe('redactedConfig', () => {
  it('hides the Mesos secret and leaves the config itself alone', () => {
    const config = parse({
      mesosAuthentication: 'basic',
      mesosCredentials: { principal: 'p', secret: 'hunter2' },
    });
    const shown = redactedConfig(config);
    expect(shown.MesosCredentials).toEqual({ Principal: 'p', Secret: '******' });
    expect(JSON.stringify(shown)).not.toContain('hunter2');
    expect(config.MesosCredentials.Secret).toBe('hunter2');
  });

  it('leaves an empty secret empty', () => {
    expect(redactedConfig(parse({})).MesosCredentials.Secret).toBe('');
  });
});

describe('serveDnsConfig: safe defaults for dns serve', () => {
  const serve = (
    file: Record<string, unknown>,
    overrides: DnsOverrides = {},
    options: { compat?: boolean; interfaceAddresses?: string[] } = {},
  ) => {
    const read = readDnsConfig(file, 'config.json', { resolvConf: 'nameserver 192.0.2.53' });
    return serveDnsConfig(read.config, {
      explicit: read.explicit,
      overrides,
      compat: options.compat ?? false,
      interfaceAddresses: options.interfaceAddresses ?? ['192.0.2.10', 'fe80::10'],
    });
  };
  const serveError = (...args: Parameters<typeof serve>): string => {
    try {
      serve(...args);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(1);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('listens on 127.0.0.1 (DNS and HTTP) and forwards nothing by default', () => {
    const { config, warnings } = serve({});
    expect(config).toMatchObject({
      Listener: '127.0.0.1',
      HTTPListener: '127.0.0.1',
      Resolvers: [],
      ExternalOn: false,
    });
    expect(route('example.org', config)).toEqual({ kind: 'refused' });
    expect(warnings).toEqual([]);
  });

  it('leaves records, explain and lookup on the Mesos-DNS defaults (parseDnsConfig is unchanged)', () => {
    expect(parseDnsConfig({}, 'defaults')).toMatchObject({
      Listener: '0.0.0.0',
      Resolvers: ['8.8.8.8'],
      ExternalOn: true,
    });
  });

  it('forwards to the resolvers named with --resolver, still on loopback', () => {
    const { config, warnings } = serve({}, { resolvers: ['192.0.2.53', '192.0.2.54:5353'] });
    expect(config).toMatchObject({ Listener: '127.0.0.1', ExternalOn: true });
    expect(route('example.org', config)).toEqual({
      kind: 'forward',
      resolvers: ['192.0.2.53', '192.0.2.54:5353'],
    });
    expect(warnings).toEqual([]);
    expect(serve({}, { resolvers: ['192.0.2.53'], externalOn: false }).config.ExternalOn).toBe(false);
    // Naming them on the command line wins over the file's externalOn, and they are checked.
    expect(serve({ externalOn: false }, { resolvers: ['192.0.2.53'] }).config.ExternalOn).toBe(true);
    expect(serveError({ externalOn: false }, { resolvers: ['junk'] })).toBe(
      'flags: resolvers: "junk" is not an IP address or ip:port',
    );
  });

  it('honours a config file that sets the listener and resolvers, warning about the open resolver', () => {
    const { config, warnings } = serve({ listener: '0.0.0.0', resolvers: ['192.0.2.53'] });
    expect(config).toMatchObject({ Listener: '0.0.0.0', HTTPListener: '127.0.0.1', ExternalOn: true });
    expect(warnings).toEqual([
      'anyone who can reach 0.0.0.0:53 can use this server to resolve names outside "mesos" through 192.0.2.53 (an open resolver); listen on 127.0.0.1 (--listen) or refuse such names (--no-external) unless that is intended',
    ]);
    // A listener alone forwards nothing, so there is nothing to warn about.
    expect(serve({ listener: '0.0.0.0' })).toMatchObject({ config: { ExternalOn: false }, warnings: [] });
    // Mesos-DNS's `resolvers: []` (the system's name servers) is an explicit choice too.
    expect(serve({ resolvers: [] }).config).toMatchObject({ Resolvers: ['192.0.2.53'], ExternalOn: true });
    expect(serve({ zoneResolvers: { corp: ['192.0.2.99'] } }).config.ExternalOn).toBe(true);
  });

  it('keeps Mesos-DNS defaults with --compat (0.0.0.0, 8.8.8.8), with a warning', () => {
    const { config, warnings } = serve({}, {}, { compat: true });
    expect(config).toMatchObject({
      Listener: '0.0.0.0',
      HTTPListener: '0.0.0.0',
      Resolvers: ['8.8.8.8'],
      ExternalOn: true,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('through 8.8.8.8 (an open resolver)');
    expect(serve({}, { listen: '127.0.0.1' }, { compat: true }).warnings).toEqual([]);
  });

  it('rejects forwarding asked for without resolvers (--external, or externalon in the file)', () => {
    const expected =
      'forwarding names outside "mesos" needs resolvers: name them with --resolver IP[:PORT] or the config\'s resolvers (Mesos-DNS\'s default 8.8.8.8 applies only with --compat), or use --no-external';
    expect(serveError({}, { externalOn: true })).toBe(expected);
    expect(serveError({ externalOn: true })).toBe(expected);
  });

  it("rejects a resolver that is the server's own listener: it would forward to itself until sockets run out", () => {
    expect(serveError({ port: 5353 }, { resolvers: ['127.0.0.1:5353'] })).toBe(
      'resolvers: "127.0.0.1:5353" is this server\'s own DNS listener (127.0.0.1:5353); forwarding to it would loop',
    );
    expect(serveError({ zoneResolvers: { corp: ['127.0.0.1'] } })).toBe(
      'zoneresolvers.corp: "127.0.0.1" is this server\'s own DNS listener (127.0.0.1:53); forwarding to it would loop',
    );
    // 0.0.0.0 takes every local IPv4 address: loopback (all of 127/8) and the interfaces.
    for (const resolver of ['127.0.0.53', '192.0.2.10', '0.0.0.0']) {
      expect(serveError({ listener: '0.0.0.0' }, { resolvers: [resolver] })).toContain('would loop');
    }
    expect(serveError({ listener: '::' }, { resolvers: ['[::1]:53'] })).toContain('would loop');
    expect(serveError({ listener: '::' }, { resolvers: ['127.0.0.1'] })).toContain('would loop');
    expect(serveError({ listener: '::1' }, { resolvers: ['[0:0:0:0:0:0:0:1]:53'] })).toContain('would loop');
    // Another address or another port is another server.
    expect(serve({}, { resolvers: ['127.0.0.53'] }).config.Resolvers).toEqual(['127.0.0.53']);
    expect(serve({ listener: '0.0.0.0' }, { resolvers: ['127.0.0.1:5353'] }).config.ExternalOn).toBe(true);
    expect(serve({ listener: '0.0.0.0' }, { resolvers: ['[::1]:53'] }).config.ExternalOn).toBe(true);
    expect(serve({}, { resolvers: ['127.0.0.1'], port: 8053 }).config.ExternalOn).toBe(true);
  });
});
