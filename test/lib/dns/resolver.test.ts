import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import dnsPacket from 'dns-packet';
import type { Answer, Packet, Question } from 'dns-packet';
import { describe, expect, it } from 'vitest';

import { applyDnsOverrides, parseDnsConfig } from '../../../src/lib/dns/config.js';
import { generateRecords } from '../../../src/lib/dns/records.js';
import { encodeResponse, resolve, shuffle, type Resolution } from '../../../src/lib/dns/resolver.js';
import type { DnsConfig, RecordSet } from '../../../src/lib/dns/types.js';
import { encodeMessage, FLAG_AA, FLAG_RA, FLAG_RD, FLAG_TC } from '../../../src/lib/dns/wire.js';
import { ROOT } from '../../helpers/cli.js';

const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/mesos-dns/fake.json'), 'utf8')) as unknown;

/** resolver_test.go's fakeDNS: masters 144.76.157.37:5050, RecurseOn false, all four IP sources, RFC952. */
function fakeConfig(extra: Record<string, unknown> = {}): DnsConfig {
  return parseDnsConfig(
    {
      masters: ['144.76.157.37:5050'],
      recurseOn: false,
      IPSources: ['netinfo', 'docker', 'mesos', 'host'],
      EnforceRFC952: true,
      externalOn: false,
      ...extra,
    },
    'test',
  );
}

const config = fakeConfig();
const records = generateRecords(fixture, config, { hosts: new Map([['localhost', ['127.0.0.1']]]) });

function query(name: string, type: string, flags = FLAG_RD): Packet {
  return {
    type: 'query',
    id: 4242,
    flags,
    questions: [{ name, type: type as Question['type'], class: 'IN' }],
  };
}

function answer(resolution: Resolution): Packet {
  if (resolution.kind === 'forward') throw new Error('forwarded');
  return resolution.response;
}

function run(name: string, type: string, set: RecordSet = records, cfg: DnsConfig = config): Packet {
  return answer(resolve(query(name, type), { records: set, config: cfg, serial: 1234, random: () => 0.5 }));
}

const rcode = (packet: Packet) => (packet.flags ?? 0) & 0xf;
const summary = (list: Answer[] | undefined) =>
  (list ?? [])
    .map((record) => {
      const data = 'data' in record ? record.data : undefined;
      return `${record.name} ${record.type} ${typeof data === 'object' ? JSON.stringify(data) : String(data)}`;
    })
    .sort();

describe('resolve: resolver_test.go TestHandlers', () => {
  it('answers an A name with AA, RA=RecurseOn (false), RD copied', () => {
    const reply = run('chronos.marathon.mesos', 'A');
    expect(rcode(reply)).toBe(0);
    expect(reply.flags! & FLAG_AA).toBe(FLAG_AA);
    expect(reply.flags! & FLAG_RA).toBe(0);
    expect(reply.flags! & FLAG_RD).toBe(FLAG_RD);
    expect(summary(reply.answers)).toEqual(['chronos.marathon.mesos. A 1.2.3.11']);
    expect(reply.answers![0]).toMatchObject({ ttl: 60, class: 'IN' });
  });

  it('answers a mixed-case question under the lowercased owner, echoing the question as asked', () => {
    const reply = run('CHRONOS.Marathon.MESOS', 'A');
    expect(reply.questions![0]!.name).toBe('CHRONOS.Marathon.MESOS');
    expect(summary(reply.answers)).toEqual(['chronos.marathon.mesos. A 1.2.3.11']);
  });

  it("keeps the asker's spelling on A/AAAA owners with preserveCase (not for a .* name)", () => {
    const ctx = { records, config, serial: 1234, random: () => 0.5, preserveCase: true };
    const mixed = answer(resolve(query('CHRONOS.Marathon.MESOS', 'A'), ctx));
    expect(summary(mixed.answers)).toEqual(['CHRONOS.Marathon.MESOS A 1.2.3.11']);
    const v6 = answer(resolve(query('Toy-Store.IPv6-Framework.mesos.', 'AAAA'), ctx));
    expect(summary(v6.answers)).toEqual(['Toy-Store.IPv6-Framework.mesos. AAAA fd01:b::1:8000:2']);
    const wildcard = answer(resolve(query('CHRONOS.*.marathon.mesos', 'A'), ctx));
    expect(summary(wildcard.answers)).toEqual(['chronos.marathon.mesos. A 1.2.3.11']);
  });

  it('strips .* wildcards', () => {
    expect(summary(run('chronos.*.marathon.mesos', 'A').answers)).toEqual([
      'chronos.marathon.mesos. A 1.2.3.11',
    ]);
  });

  it('answers AAAA', () => {
    expect(summary(run('toy-store.ipv6-framework.mesos', 'AAAA').answers)).toEqual([
      'toy-store.ipv6-framework.mesos. AAAA fd01:b::1:8000:2',
    ]);
  });

  it('answers SRV with priority 0, weight 1 and one A glue per target', () => {
    const reply = run('_liquor-store._tcp.marathon.mesos', 'SRV');
    expect(summary(reply.answers)).toEqual(
      [
        ['liquor-store-4dfjd-0', 80],
        ['liquor-store-4dfjd-0', 443],
        ['liquor-store-zasmd-1', 80],
        ['liquor-store-zasmd-1', 443],
      ]
        .map(
          ([target, port]) =>
            `_liquor-store._tcp.marathon.mesos SRV {"priority":0,"weight":1,"port":${port},"target":"${target}.marathon.mesos."}`,
        )
        .sort(),
    );
    expect(summary(reply.additionals)).toEqual([
      'liquor-store-4dfjd-0.marathon.mesos. A 10.3.0.1',
      'liquor-store-zasmd-1.marathon.mesos. A 10.3.0.2',
    ]);
  });

  it('answers an SRV on the slave target with glue', () => {
    const reply = run('_car-store._udp.marathon.mesos', 'SRV');
    expect(reply.answers!.map((record) => (record.type === 'SRV' ? record.data.port : 0)).sort()).toEqual([
      31364, 31365,
    ]);
    expect(summary(reply.additionals)).toEqual(['car-store-zinaz-0.marathon.slave.mesos. A 1.2.3.11']);
  });

  it('gives NOERROR + SOA for an SRV-only name asked for A', () => {
    const reply = run('_car-store._udp.marathon.mesos', 'A');
    expect(rcode(reply)).toBe(0);
    expect(reply.answers).toEqual([]);
    expect(reply.authorities!.map((record) => record.type)).toEqual(['SOA']);
  });

  it('puts SOA and NS in AUTHORITY with NOERROR for any in-domain name', () => {
    const soa = run('non-existing.mesos', 'SOA');
    expect(rcode(soa)).toBe(0);
    expect(soa.answers).toEqual([]);
    expect(soa.authorities).toEqual([
      {
        name: 'non-existing.mesos',
        type: 'SOA',
        class: 'IN',
        ttl: 60,
        data: {
          mname: 'ns1.mesos.',
          rname: 'root.ns1.mesos.',
          serial: 1234,
          refresh: 60,
          retry: 600,
          expire: 86400,
          minimum: 60,
        },
      },
    ]);
    const ns = run('non-existing.mesos', 'NS');
    expect(rcode(ns)).toBe(0);
    expect(summary(ns.authorities)).toEqual(['non-existing.mesos NS ns1.mesos.']);
  });

  it('gives NXDOMAIN + SOA for unknown A/AAAA names and NOERROR + SOA for a name lacking the type', () => {
    for (const type of ['A', 'AAAA']) {
      const reply = run('missing.mesos', type);
      expect(rcode(reply)).toBe(3);
      expect(reply.authorities!.map((record) => record.type)).toEqual(['SOA']);
    }
    const nodata = run('chronos.marathon.mesos', 'AAAA');
    expect(rcode(nodata)).toBe(0);
    expect(nodata.authorities!.map((record) => record.type)).toEqual(['SOA']);
    expect(rcode(run('mesos', 'A'))).toBe(3);
    expect(rcode(run('chronos.marathon.mesos', 'TXT'))).toBe(0);
  });

  it('gives NOERROR with nothing for an unknown SRV name', () => {
    const reply = run('_missing._tcp.mesos', 'SRV');
    expect(rcode(reply)).toBe(0);
    expect(reply.authorities).toEqual([]);
  });

  it('answers ANY with the records plus SOA and NS; an unknown name gets the duplicate SOA', () => {
    const any = run('chronos.marathon.mesos', 'ANY');
    expect(summary(any.answers)).toEqual(['chronos.marathon.mesos. A 1.2.3.11']);
    expect(any.authorities!.map((record) => record.type)).toEqual(['SOA', 'NS']);
    const missing = run('missing.mesos', 'ANY');
    expect(rcode(missing)).toBe(3);
    expect(missing.authorities!.map((record) => record.type)).toEqual(['SOA', 'NS', 'SOA']);
  });

  it('refuses names outside the domain when ExternalOn is false, without AA or RA', () => {
    const reply = run('google.com', 'A');
    expect(rcode(reply)).toBe(5);
    expect(reply.flags! & (FLAG_AA | FLAG_RA)).toBe(0);
    expect(reply.flags! & FLAG_RD).toBe(FLAG_RD);
  });

  it('forwards to the longest matching zone, else to the resolvers, when ExternalOn', () => {
    const external = applyDnsOverrides(config, { externalOn: true, resolvers: ['127.0.0.1:5300'] });
    const zoned: DnsConfig = {
      ...external,
      ZoneResolvers: { 'example.org': ['127.0.0.1:5301'], 'a.example.net': ['127.0.0.1:5302'] },
    };
    const ctx = { records, config: zoned, serial: 1 };
    expect(resolve(query('www.example.org', 'A'), ctx)).toEqual({
      kind: 'forward',
      resolvers: ['127.0.0.1:5301'],
    });
    expect(resolve(query('google.com', 'A'), ctx)).toEqual({
      kind: 'forward',
      resolvers: ['127.0.0.1:5300'],
    });
    expect(resolve(query('b.example.net', 'A'), ctx)).toEqual({
      kind: 'forward',
      resolvers: ['127.0.0.1:5300'],
    });
    expect(resolve(query('leader.mesos', 'A'), ctx).kind).toBe('answer');
  });

  it('echoes the opcode', () => {
    const reply = answer(
      resolve(query('leader.mesos', 'A', (2 << 11) | FLAG_RD), { records, config, serial: 1 }),
    );
    expect((reply.flags! >> 11) & 0xf).toBe(2);
  });
});

describe('shuffle', () => {
  it('is Fisher-Yates with the injected random source', () => {
    const items = [1, 2, 3, 4];
    shuffle(items, () => 0);
    expect(items).toEqual([2, 3, 4, 1]);
    const seen = new Set<string>();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let i = 0; i < 200; i++) {
      const list = [1, 2, 3];
      shuffle(list, random);
      seen.add(list.join(''));
    }
    expect(seen.size).toBe(6);
  });
});

/** An app of `count` instances all on one name. */
function bigRecords(count: number): RecordSet {
  const ips = Array.from({ length: count }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  return {
    domain: 'mesos',
    a: new Map([['big.marathon.mesos.', ips]]),
    aaaa: new Map(),
    srv: new Map(),
    warnings: [],
  };
}

describe('encodeResponse: truncation and EDNS0', () => {
  const big = bigRecords(300);
  const reply = run('big.marathon.mesos', 'A', big);
  const opt = {
    name: '.',
    type: 'OPT' as const,
    udpPayloadSize: 4096,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };

  it('compresses names: 300 A answers fit in 4.8 KB over TCP, untruncated', () => {
    const { message, truncated } = encodeResponse(reply, {
      transport: 'tcp',
      compat: true,
      setTruncateBit: true,
    });
    expect(truncated).toBe(false);
    expect(message.length).toBe(12 + 24 + 300 * 16);
    expect(dnsPacket.decode(message).answers).toHaveLength(300);
  });

  it('caps UDP at 512 in compat mode, sets TC and keeps as many answers as fit (Mesos-DNS: 29)', () => {
    const { message, truncated } = encodeResponse(reply, {
      transport: 'udp',
      compat: true,
      setTruncateBit: true,
      queryOpt: opt,
    });
    expect(truncated).toBe(true);
    const decoded = dnsPacket.decode(message);
    expect(decoded.flag_tc).toBe(true);
    expect(decoded.answers).toHaveLength(29);
    expect(decoded.additionals).toHaveLength(0);
    expect(message.length).toBeLessThan(512);
  });

  it('never sets TC when SetTruncateBit is false, but still truncates', () => {
    const { message } = encodeResponse(reply, { transport: 'udp', compat: true, setTruncateBit: false });
    const decoded = dnsPacket.decode(message);
    expect(decoded.flag_tc).toBe(false);
    expect(message.length).toBeLessThan(512);
  });

  it('honours the client EDNS0 size outside compat mode and echoes an OPT that survives truncation', () => {
    const small = encodeResponse(reply, {
      transport: 'udp',
      compat: false,
      setTruncateBit: true,
      queryOpt: { ...opt, udpPayloadSize: 1232 },
    });
    const decoded = dnsPacket.decode(small.message);
    expect(decoded.flag_tc).toBe(true);
    expect(small.message.length).toBeLessThan(1232);
    expect(decoded.answers!.length).toBeGreaterThan(70);
    expect(decoded.additionals!.map((record) => record.type)).toEqual(['OPT']);
    const full = encodeResponse(reply, {
      transport: 'udp',
      compat: false,
      setTruncateBit: true,
      queryOpt: opt,
    });
    expect(full.truncated).toBe(true);
    const fitting = encodeResponse(run('chronos.marathon.mesos', 'A'), {
      transport: 'udp',
      compat: false,
      setTruncateBit: true,
      queryOpt: opt,
    });
    expect(fitting.truncated).toBe(false);
    expect(dnsPacket.decode(fitting.message).additionals).toHaveLength(1);
  });

  it('clamps a tiny advertised size to 512 and drops glue before answers', () => {
    const srvSet: RecordSet = {
      ...big,
      srv: new Map([
        ['_big._tcp.marathon.mesos.', big.a.get('big.marathon.mesos.')!.map((_, i) => `t${i}.mesos.:80`)],
      ]),
      a: new Map(big.a.get('big.marathon.mesos.')!.map((ip, i) => [`t${i}.mesos.`, [ip]])),
    };
    const srv = run('_big._tcp.marathon.mesos', 'SRV', srvSet);
    const { message } = encodeResponse(srv, {
      transport: 'udp',
      compat: false,
      setTruncateBit: true,
      queryOpt: { ...opt, udpPayloadSize: 100 },
    });
    expect(message.length).toBeLessThan(512);
    const decoded = dnsPacket.decode(message);
    expect(decoded.additionals!.map((record) => record.type)).toEqual(['OPT']);
    expect(decoded.answers!.length).toBeGreaterThan(0);
  });

  it('encodes like dns-packet decodes (round trip of every section)', () => {
    const srv = run('_liquor-store._tcp.marathon.mesos', 'SRV');
    const decoded = dnsPacket.decode(encodeMessage(srv));
    const relative = (lines: string[]) => lines.map((line) => line.replaceAll('."', '"').replace(/\. /, ' '));
    expect(relative(summary(decoded.answers))).toEqual(relative(summary(srv.answers)));
    expect(relative(summary(decoded.additionals))).toEqual(relative(summary(srv.additionals)));
    const soa = run('missing.mesos', 'A');
    expect(dnsPacket.decode(encodeMessage(soa)).authorities).toEqual(
      soa.authorities!.map((record) => ({
        ...record,
        flush: false,
        data: { ...(record as { data: object }).data, mname: 'ns1.mesos', rname: 'root.ns1.mesos' },
      })),
    );
  });
});

describe('resolve with a flipped RecurseOn and FLAG_TC left alone', () => {
  it('sets RA when RecurseOn', () => {
    const on = fakeConfig({ recurseOn: true });
    const reply = run('leader.mesos', 'A', records, on);
    expect(reply.flags! & FLAG_RA).toBe(FLAG_RA);
    expect(reply.flags! & FLAG_TC).toBe(0);
    expect(summary(reply.answers)).toEqual(['leader.mesos. A 1.2.3.4']);
  });
});
