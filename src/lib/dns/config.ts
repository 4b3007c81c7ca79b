import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

import { UsageError } from '../errors.js';
import { isRecord } from '../json.js';
import { ipv6Bytes, isLoopbackAddress, joinHostPort, mappedIpv4 } from './addresses.js';
import type { DnsConfig, IpSource } from './types.js';

export const IP_SOURCES: readonly IpSource[] = ['netinfo', 'docker', 'mesos', 'host'];

/** Mesos-DNS 0.7 defaults (records/config.go), with SOAMname/SOARname already in their absolute form. */
export const DEFAULT_DNS_CONFIG: Readonly<DnsConfig> = Object.freeze<DnsConfig>({
  Zk: '',
  Masters: [],
  ZkDetectionTimeout: 30,
  RefreshSeconds: 60,
  StateTimeoutSeconds: 300,
  TTL: 60,
  SRVRecordDefaultWeight: 1,
  Domain: 'mesos',
  Port: 53,
  Listener: '0.0.0.0',
  HTTPListener: '0.0.0.0',
  HttpPort: 8123,
  DnsOn: true,
  HttpOn: true,
  ExternalOn: true,
  Resolvers: ['8.8.8.8'],
  ZoneResolvers: {},
  Timeout: 5,
  RecurseOn: true,
  SOAMname: 'ns1.mesos.',
  SOARname: 'root.ns1.mesos.',
  SOASerial: 0,
  SOARefresh: 60,
  SOARetry: 600,
  SOAExpire: 86400,
  SOAMinttl: 60,
  IPSources: ['netinfo', 'mesos', 'host'],
  EnforceRFC952: false,
  SetTruncateBit: true,
  EnumerationOn: true,
  MesosHTTPSOn: false,
  CACertFile: '',
  CertFile: '',
  KeyFile: '',
  MesosAuthentication: '',
  MesosCredentials: { Principal: '', Secret: '' },
  IAMConfigFile: '',
  File: '',
});

type FieldKind = 'int' | 'uint32' | 'string' | 'bool' | 'strings' | 'zones' | 'credentials';

const FIELDS: Record<keyof DnsConfig, FieldKind> = {
  Zk: 'string',
  Masters: 'strings',
  ZkDetectionTimeout: 'int',
  RefreshSeconds: 'int',
  StateTimeoutSeconds: 'int',
  TTL: 'int',
  SRVRecordDefaultWeight: 'int',
  Domain: 'string',
  Port: 'int',
  Listener: 'string',
  HTTPListener: 'string',
  HttpPort: 'int',
  DnsOn: 'bool',
  HttpOn: 'bool',
  ExternalOn: 'bool',
  Resolvers: 'strings',
  ZoneResolvers: 'zones',
  Timeout: 'int',
  RecurseOn: 'bool',
  SOAMname: 'string',
  SOARname: 'string',
  SOASerial: 'uint32',
  SOARefresh: 'int',
  SOARetry: 'int',
  SOAExpire: 'int',
  SOAMinttl: 'int',
  IPSources: 'strings',
  EnforceRFC952: 'bool',
  SetTruncateBit: 'bool',
  EnumerationOn: 'bool',
  MesosHTTPSOn: 'bool',
  CACertFile: 'string',
  CertFile: 'string',
  KeyFile: 'string',
  MesosAuthentication: 'string',
  MesosCredentials: 'credentials',
  IAMConfigFile: 'string',
  File: 'string',
};

const FIELD_BY_LOWER = new Map(Object.keys(FIELDS).map((key) => [key.toLowerCase(), key as keyof DnsConfig]));

const DOMAIN_RE = /^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;

export interface ParseDnsConfigOptions {
  /** `dns serve` polls Mesos itself and so needs `zk` or `masters`; reading a saved state does not. */
  requireMasters?: boolean;
  /** Contents of /etc/resolv.conf, for `resolvers: []` (read from disk when absent). */
  resolvConf?: string;
}

/**
 * A Mesos-DNS config.json as Mesos-DNS reads it: keys match case-insensitively (Go's encoding/json), unknown
 * keys are ignored, `null` keeps the default, every default of Mesos-DNS 0.7 is filled in. `origin` (the file
 * path) prefixes every error and becomes `File`.
 */
export function parseDnsConfig(
  input: string | unknown,
  origin: string,
  options: ParseDnsConfigOptions = {},
): DnsConfig {
  return readDnsConfig(input, origin, options).config;
}

export interface ReadDnsConfig {
  config: DnsConfig;
  /** The fields the file set itself (the rest are defaults): `dns serve` honours these as choices. */
  explicit: ReadonlySet<keyof DnsConfig>;
}

/** `parseDnsConfig`, also telling which fields the file set. */
export function readDnsConfig(
  input: string | unknown,
  origin: string,
  options: ParseDnsConfigOptions = {},
): ReadDnsConfig {
  let data: unknown = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (error) {
      throw new UsageError(`${origin}: not valid JSON (${(error as Error).message})`, {
        code: 'invalid_config',
      });
    }
  }
  if (!isRecord(data)) throw invalid(origin, 'must be a JSON object');
  const config = cloneConfig(DEFAULT_DNS_CONFIG);
  // Go prefers an exact key match over a case-insensitive one; among equals the later key wins.
  const exact = new Set<string>();
  const explicit = new Set<keyof DnsConfig>();
  for (const [key, value] of Object.entries(data)) {
    const field = key in FIELDS ? (key as keyof DnsConfig) : FIELD_BY_LOWER.get(key.toLowerCase());
    if (!field || value === null) continue;
    if (key !== field && exact.has(field)) continue;
    if (key === field) exact.add(field);
    assign(config, field, value, key, origin);
    explicit.add(field);
  }
  let resolversEmpty = false;
  if (config.Resolvers.length === 0 && config.ExternalOn) {
    // Mesos-DNS: an explicit empty list means "the system's resolvers".
    resolversEmpty = true;
    config.Resolvers = systemResolvers(options.resolvConf ?? readResolvConf());
  }
  config.File = origin;
  const normalised = normaliseDnsConfig(config, origin, options);
  if (resolversEmpty && normalised.Resolvers.length === 0) {
    throw invalid(origin, 'resolvers is empty and /etc/resolv.conf lists no other name server');
  }
  return { config: normalised, explicit };
}

export interface DnsOverrides {
  domain?: string;
  ipSources?: string[] | string;
  rfc952?: boolean;
  ttl?: number;
  listen?: string;
  port?: number;
  httpListen?: string;
  httpPort?: number;
  refresh?: number;
  masters?: string[] | string;
  externalOn?: boolean;
  resolvers?: string[] | string;
}

/** Command-line flags over a config; validated again as a whole. Undefined fields keep the config's value. */
export function applyDnsOverrides(
  config: DnsConfig,
  overrides: DnsOverrides,
  options: Pick<ParseDnsConfigOptions, 'requireMasters'> = {},
): DnsConfig {
  const next = cloneConfig(config);
  const list = (value: string[] | string) =>
    (Array.isArray(value) ? value : value.split(','))
      .flatMap((item) => item.split(','))
      .map((item) => item.trim())
      .filter((item) => item !== '');
  if (overrides.domain !== undefined) next.Domain = overrides.domain;
  if (overrides.ipSources !== undefined) next.IPSources = list(overrides.ipSources) as IpSource[];
  if (overrides.rfc952 !== undefined) next.EnforceRFC952 = overrides.rfc952;
  if (overrides.ttl !== undefined) next.TTL = overrides.ttl;
  if (overrides.listen !== undefined) next.Listener = overrides.listen;
  if (overrides.port !== undefined) next.Port = overrides.port;
  if (overrides.httpListen !== undefined) next.HTTPListener = overrides.httpListen;
  if (overrides.httpPort !== undefined) next.HttpPort = overrides.httpPort;
  if (overrides.refresh !== undefined) next.RefreshSeconds = overrides.refresh;
  if (overrides.masters !== undefined) next.Masters = list(overrides.masters);
  if (overrides.externalOn !== undefined) next.ExternalOn = overrides.externalOn;
  if (overrides.resolvers !== undefined) next.Resolvers = list(overrides.resolvers);
  return normaliseDnsConfig(next, 'flags', options);
}

/** Where `dns serve` listens unless told otherwise (Mesos-DNS: 0.0.0.0, kept by --compat). */
export const SAFE_LISTENER = '127.0.0.1';

export interface ServeConfigOptions {
  /** Fields the config file set: explicit choices are honoured, whatever they open. */
  explicit: ReadonlySet<keyof DnsConfig>;
  /** The command line; it wins over the file. */
  overrides: DnsOverrides;
  /** Mesos-DNS's defaults: listen on 0.0.0.0, forward to 8.8.8.8. */
  compat: boolean;
  /** This host's addresses, to recognise a resolver that is this server itself. */
  interfaceAddresses: readonly string[];
  requireMasters?: boolean;
}

/**
 * The config `dns serve` runs with. Outside --compat the defaults are safe for a laptop: both listeners on
 * 127.0.0.1, and names outside the domain are forwarded only to resolvers the user names (flag or file) and
 * otherwise refused — not to an implicit 8.8.8.8 for whoever can reach the port. A listener or resolvers set
 * in the file or on the command line are honoured; forwarding on a non-loopback address gets a warning.
 * Forwarding asked for with nothing to forward to, or to this server's own listener (a loop that would run
 * until sockets run out), is a config error.
 */
export function serveDnsConfig(
  config: DnsConfig,
  options: ServeConfigOptions,
): { config: DnsConfig; warnings: string[] } {
  const { explicit, overrides, compat } = options;
  const base = cloneConfig(config);
  if (!compat) {
    if (!explicit.has('Listener')) base.Listener = SAFE_LISTENER;
    if (!explicit.has('HTTPListener')) base.HTTPListener = SAFE_LISTENER;
    if (!explicit.has('Resolvers')) base.Resolvers = [];
  }
  const validation = { requireMasters: options.requireMasters ?? false };
  const merged = applyDnsOverrides(base, overrides, validation);
  const forwardsSomewhere = merged.Resolvers.length > 0 || Object.keys(merged.ZoneResolvers).length > 0;
  let externalOn = merged.ExternalOn;
  if (overrides.externalOn === undefined) {
    // Resolvers named on the command line are there to be forwarded to, whatever the file says.
    if (overrides.resolvers !== undefined) externalOn = true;
    else if (!compat && !explicit.has('ExternalOn')) externalOn = forwardsSomewhere;
  }
  // Validated again: the resolvers are checked only when forwarding is on.
  const next = applyDnsOverrides(merged, { externalOn }, validation);
  if (next.ExternalOn && !forwardsSomewhere) {
    throw new UsageError(
      `forwarding names outside "${next.Domain}" needs resolvers: name them with --resolver IP[:PORT] or the config's resolvers (Mesos-DNS's default 8.8.8.8 applies only with --compat), or use --no-external`,
      { code: 'invalid_config' },
    );
  }
  if (next.ExternalOn && next.DnsOn) {
    const loop = ownListenerResolver(next, options.interfaceAddresses);
    if (loop) {
      throw new UsageError(
        `${loop.key}: "${loop.resolver}" is this server's own DNS listener (${joinHostPort(next.Listener, next.Port)}); forwarding to it would loop`,
        { code: 'invalid_config' },
      );
    }
  }
  const warnings: string[] = [];
  if (next.ExternalOn && next.DnsOn && !isLoopbackAddress(next.Listener)) {
    const upstreams = [...next.Resolvers, ...Object.values(next.ZoneResolvers).flat()];
    warnings.push(
      `anyone who can reach ${joinHostPort(next.Listener, next.Port)} can use this server to resolve names outside "${next.Domain}" through ${upstreams.join(', ')} (an open resolver); listen on 127.0.0.1 (--listen) or refuse such names (--no-external) unless that is intended`,
    );
  }
  return { config: next, warnings };
}

/** The first resolver (or zone resolver) that is this server's own listener, if any. */
export function ownListenerResolver(
  config: DnsConfig,
  interfaceAddresses: readonly string[],
): { key: string; resolver: string } | undefined {
  const listener = comparableAddress(config.Listener);
  const wildcardV4 = listener === '0.0.0.0';
  // An IPv6 wildcard socket also takes IPv4 (dual stack).
  const wildcardV6 = listener === comparableAddress('::');
  const local = new Set(interfaceAddresses.map(comparableAddress));
  const isOwn = (ip: string): boolean => {
    const address = comparableAddress(ip);
    if (address === listener) return true;
    if (!wildcardV4 && !wildcardV6) return false;
    if (wildcardV4 && isIP(address) !== 4) return false;
    return (
      isLoopbackAddress(ip) ||
      local.has(address) ||
      address === '0.0.0.0' ||
      address === comparableAddress('::')
    );
  };
  const lists: [string, string[]][] = [
    ['resolvers', config.Resolvers],
    ...Object.entries(config.ZoneResolvers).map(([zone, list]): [string, string[]] => [
      `zoneresolvers.${zone}`,
      list,
    ]),
  ];
  for (const [key, list] of lists) {
    for (const resolver of list) {
      const parsed = parseResolver(resolver);
      if (parsed && parsed.port === config.Port && isOwn(parsed.ip)) return { key, resolver };
    }
  }
  return undefined;
}

/** One spelling per address: IPv4-mapped IPv6 as IPv4, IPv6 as its 16 bytes in hex. */
function comparableAddress(address: string): string {
  return mappedIpv4(address) ?? ipv6Bytes(address)?.toString('hex') ?? address;
}

/** The config as `/v1/config` shows it, without the Mesos secret (Mesos-DNS prints it in clear). */
export function redactedConfig(config: DnsConfig): DnsConfig {
  const copy = cloneConfig(config);
  if (copy.MesosCredentials.Secret !== '') copy.MesosCredentials.Secret = '******';
  return copy;
}

function cloneConfig(config: Readonly<DnsConfig>): DnsConfig {
  return {
    ...config,
    Masters: [...config.Masters],
    Resolvers: [...config.Resolvers],
    IPSources: [...config.IPSources],
    ZoneResolvers: Object.fromEntries(Object.entries(config.ZoneResolvers).map(([k, v]) => [k, [...v]])),
    MesosCredentials: { ...config.MesosCredentials },
  };
}

function invalid(origin: string, message: string): UsageError {
  return new UsageError(`${origin}: ${message}`, { code: 'invalid_config' });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function assign(
  config: DnsConfig,
  field: keyof DnsConfig,
  value: unknown,
  key: string,
  origin: string,
): void {
  const target = config as unknown as Record<string, unknown>;
  const kind = FIELDS[field];
  const fail = (want: string) => invalid(origin, `${key} must be ${want}, not ${describe(value)}`);
  switch (kind) {
    case 'int':
    case 'uint32':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw fail('a whole number');
      if (kind === 'uint32' && (value < 0 || value > 0xffffffff))
        throw fail('a whole number from 0 to 4294967295');
      target[field] = value;
      return;
    case 'string':
      if (typeof value !== 'string') throw fail('a string');
      target[field] = value;
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw fail('true or false');
      target[field] = value;
      return;
    case 'strings':
      target[field] = stringList(value, () => fail('a list of strings'));
      return;
    case 'zones': {
      if (!isRecord(value)) throw fail('an object of zone -> list of resolvers');
      const zones: Record<string, string[]> = {};
      for (const [zone, list] of Object.entries(value)) {
        if (list === null) continue;
        zones[zone] = stringList(list, () => invalid(origin, `${key}.${zone} must be a list of strings`));
      }
      target[field] = zones;
      return;
    }
    case 'credentials': {
      if (!isRecord(value)) throw fail('an object {"principal", "secret"}');
      for (const [name, item] of Object.entries(value)) {
        const lower = name.toLowerCase();
        if (item === null || (lower !== 'principal' && lower !== 'secret')) continue;
        if (typeof item !== 'string') throw invalid(origin, `${key}.${name} must be a string`);
        config.MesosCredentials[lower === 'principal' ? 'Principal' : 'Secret'] = item;
      }
      return;
    }
  }
}

function stringList(value: unknown, fail: () => Error): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw fail();
  return [...(value as string[])];
}

/** Normalises (domain case, absolute SOA names, timeout 0 = 5) and validates as Mesos-DNS does, plus a bit. */
function normaliseDnsConfig(config: DnsConfig, origin: string, options: ParseDnsConfigOptions): DnsConfig {
  const fail = (message: string) => invalid(origin, message);
  config.Domain = config.Domain.toLowerCase().replace(/\.$/, '');
  if (!DOMAIN_RE.test(config.Domain)) {
    throw fail(`domain "${config.Domain}" is not a valid domain name (letters, digits, dashes and dots)`);
  }
  config.SOAMname = absolute(config.SOAMname);
  config.SOARname = absolute(config.SOARname.replaceAll('@', '.'));
  if (config.Timeout === 0) config.Timeout = 5;

  for (const [name, value, min] of [
    ['refreshSeconds', config.RefreshSeconds, 1],
    ['stateTimeoutSeconds', config.StateTimeoutSeconds, 1],
    ['ttl', config.TTL, 0],
    ['timeout', config.Timeout, 1],
    ['zkDetectionTimeout', config.ZkDetectionTimeout, 0],
    ['SRVRecordDefaultWeight', config.SRVRecordDefaultWeight, 0],
  ] as const) {
    if (value < min) throw fail(`${name} must be at least ${min}, not ${value}`);
  }
  if (config.TTL > 0x7fffffff) throw fail(`ttl must be at most 2147483647, not ${config.TTL}`);
  if (config.SRVRecordDefaultWeight > 65535) throw fail('SRVRecordDefaultWeight must be at most 65535');
  for (const [name, value] of [
    ['port', config.Port],
    ['httpport', config.HttpPort],
  ] as const) {
    if (value < 0 || value > 65535) throw fail(`${name} must be from 0 to 65535, not ${value}`);
  }
  if (!config.DnsOn && !config.HttpOn) throw fail('at least one of dnson and httpon must be true');

  if (config.IPSources.length === 0)
    throw fail(`IPSources must not be empty (known: ${IP_SOURCES.join(', ')})`);
  const seenSources = new Set<string>();
  for (const source of config.IPSources) {
    if (!IP_SOURCES.includes(source)) {
      throw fail(`IPSources: unknown source "${source}" (known: ${IP_SOURCES.join(', ')})`);
    }
    if (seenSources.has(source)) throw fail(`IPSources: "${source}" is listed twice`);
    seenSources.add(source);
  }

  if (config.Zk !== '' && !/^zk:\/\/[^/]+\/.+/.test(config.Zk)) {
    throw fail(`zk "${config.Zk}" must look like zk://host1:port1,host2:port2/path`);
  }
  const masters = new Set<string>();
  for (const master of config.Masters) {
    const hostPort = splitHostPort(master);
    if (!hostPort || hostPort.host === '' || !validPort(hostPort.port, 1)) {
      throw fail(`masters: "${master}" is not host:port with a port from 1 to 65535`);
    }
    const key = `${normaliseHost(hostPort.host)}:${Number(hostPort.port)}`;
    if (masters.has(key)) throw fail(`masters: "${master}" is listed twice`);
    masters.add(key);
  }
  if (options.requireMasters && config.Zk === '' && config.Masters.length === 0) {
    throw fail('either zk or masters is required to find the Mesos master');
  }

  if (config.ExternalOn) {
    checkResolvers(config.Resolvers, 'resolvers', fail);
    const domains = [config.Domain];
    for (const [rawZone, resolvers] of Object.entries(config.ZoneResolvers)) {
      const zone = rawZone.toLowerCase().replace(/\.$/, '');
      if (!DOMAIN_RE.test(zone)) throw fail(`zoneresolvers: "${rawZone}" is not a valid domain name`);
      if (resolvers.length === 0) throw fail(`zoneresolvers: "${rawZone}" has no resolvers`);
      checkResolvers(resolvers, `zoneresolvers.${rawZone}`, fail);
      for (const other of domains) {
        if (zone === other || zone.endsWith(`.${other}`) || other.endsWith(`.${zone}`)) {
          throw fail(
            other === config.Domain
              ? `zoneresolvers: "${rawZone}" overlaps the Mesos domain "${config.Domain}"`
              : `zoneresolvers: "${rawZone}" overlaps the zone "${other}"`,
          );
        }
      }
      domains.push(zone);
    }
  }

  const auth = config.MesosAuthentication;
  if (auth !== '' && auth !== 'basic' && auth !== 'iam') {
    throw fail(`mesosauthentication must be "", "basic" or "iam", not "${String(auth)}"`);
  }
  if (auth === 'basic' && config.MesosCredentials.Principal === '') {
    throw fail('mesosauthentication "basic" needs mesoscredentials.principal');
  }
  if (auth === 'iam' && config.IAMConfigFile === '') {
    throw fail('mesosauthentication "iam" needs iamconfigfile');
  }
  if ((config.CertFile === '') !== (config.KeyFile === '')) throw fail('certfile and keyfile go together');
  return config;
}

function absolute(name: string): string {
  return `${name.replace(/\.+$/, '')}.`;
}

function checkResolvers(resolvers: string[], key: string, fail: (message: string) => Error): void {
  const seen = new Set<string>();
  for (const resolver of resolvers) {
    const parsed = parseResolver(resolver);
    if (!parsed) throw fail(`${key}: "${resolver}" is not an IP address or ip:port`);
    const id = `${parsed.ip}:${parsed.port}`;
    if (seen.has(id)) throw fail(`${key}: "${resolver}" is listed twice`);
    seen.add(id);
  }
}

/** `ip` or `ip:port` / `[ipv6]:port`; the port defaults to 53. */
export function parseResolver(value: string): { ip: string; port: number } | undefined {
  if (isIP(value)) return { ip: normaliseHost(value), port: 53 };
  const hostPort = splitHostPort(value);
  if (!hostPort || !isIP(hostPort.host) || !validPort(hostPort.port, 1)) return undefined;
  return { ip: normaliseHost(hostPort.host), port: Number(hostPort.port) };
}

/** Go's net.SplitHostPort: `host:port` or `[host]:port`; undefined when malformed. */
export function splitHostPort(value: string): { host: string; port: string } | undefined {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') return undefined;
    const host = value.slice(1, close);
    const port = value.slice(close + 2);
    if (port.includes(':') || port.includes('[') || port.includes(']')) return undefined;
    return { host, port };
  }
  const colon = value.lastIndexOf(':');
  if (colon < 0) return undefined;
  const host = value.slice(0, colon);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return undefined;
  const port = value.slice(colon + 1);
  if (port.includes(']')) return undefined;
  return { host, port };
}

function validPort(port: string, min: number): boolean {
  return /^\d{1,5}$/.test(port) && Number(port) >= min && Number(port) <= 65535;
}

function normaliseHost(host: string): string {
  return host.toLowerCase();
}

/** Name servers of a resolv.conf, without this host's own addresses (Mesos-DNS would forward to itself). */
export function systemResolvers(resolvConf: string): string[] {
  const own = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) own.add(address.address);
  }
  const servers: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    const server = match?.[1]?.replace(/%.*$/, '');
    if (server && isIP(server) && !own.has(server) && !servers.includes(server)) servers.push(server);
  }
  return servers;
}

function readResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}
