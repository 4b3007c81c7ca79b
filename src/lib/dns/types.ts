/**
 * The shapes shared by the Mesos-DNS record generator (`records.ts`), the resolver (`resolver.ts`) and the
 * server (`server.ts`). Names follow Mesos-DNS 0.7 (see docs/dns.md for where we differ and why).
 */

export type IpSource = 'netinfo' | 'docker' | 'mesos' | 'host';

/** A Mesos-DNS config.json, normalised: Go field names as keys, every default filled in. */
export interface DnsConfig {
  Zk: string;
  Masters: string[];
  ZkDetectionTimeout: number;
  RefreshSeconds: number;
  StateTimeoutSeconds: number;
  TTL: number;
  SRVRecordDefaultWeight: number;
  /** Lowercase, without a trailing dot (`mesos`). */
  Domain: string;
  Port: number;
  Listener: string;
  HTTPListener: string;
  HttpPort: number;
  DnsOn: boolean;
  HttpOn: boolean;
  ExternalOn: boolean;
  /** `ip` or `ip:port`. */
  Resolvers: string[];
  ZoneResolvers: Record<string, string[]>;
  Timeout: number;
  RecurseOn: boolean;
  /** Absolute (trailing dot). */
  SOAMname: string;
  /** Absolute (trailing dot), `@` already replaced by `.`. */
  SOARname: string;
  SOASerial: number;
  SOARefresh: number;
  SOARetry: number;
  SOAExpire: number;
  SOAMinttl: number;
  IPSources: IpSource[];
  EnforceRFC952: boolean;
  SetTruncateBit: boolean;
  EnumerationOn: boolean;
  MesosHTTPSOn: boolean;
  CACertFile: string;
  CertFile: string;
  KeyFile: string;
  MesosAuthentication: '' | 'basic' | 'iam';
  MesosCredentials: { Principal: string; Secret: string };
  IAMConfigFile: string;
  File: string;
}

/**
 * The records Mesos-DNS would serve. Names are absolute (trailing dot); A/AAAA values are address strings,
 * SRV values `target.:port`. Each list is de-duplicated and keeps insertion order (Mesos-DNS's order:
 * frameworks, agents, listener, masters, tasks).
 */
export interface RecordSet {
  domain: string;
  a: Map<string, string[]>;
  aaaa: Map<string, string[]>;
  srv: Map<string, string[]>;
  /** Entities skipped (with why) where Mesos-DNS would have rejected the whole state. */
  warnings: string[];
}

export type RecordType = 'A' | 'AAAA' | 'SRV';

/** Which rule of Mesos-DNS made a record (for `dns explain` and `/v1/enumerate`). */
export type RecordRule =
  | 'framework'
  | 'framework-srv'
  | 'agent'
  | 'agent-srv'
  | 'nameserver'
  | 'leader'
  | 'leader-srv'
  | 'master'
  | 'masterN'
  | 'task'
  | 'task-canonical'
  | 'task-agent'
  | 'task-agent-canonical'
  | 'task-port-srv'
  | 'task-port-srv-agent'
  | 'task-discovery-srv'
  | 'task-discovery-named-srv';

/** Reported for every record the generator produces, including duplicates (`inserted: false`). */
export interface RecordEvent {
  type: RecordType;
  name: string;
  value: string;
  rule: RecordRule;
  /** False when an identical record already existed (Mesos-DNS lists it only under the first task). */
  inserted: boolean;
  /** The raw framework name, for framework and task records. */
  framework?: string;
  task?: { id: string; name: string; agentId: string };
  /** For task A/AAAA records: the IP source that gave the address. */
  ipSource?: IpSource;
  /** True for the extra records Mesos-DNS makes from a raw (unsanitised) DiscoveryInfo name. */
  legacy?: boolean;
}

export interface GenerateOptions {
  /**
   * Addresses for host names that appear where Mesos-DNS would do a DNS lookup (a pid or framework hostname
   * that is not an IP). The generator never does I/O; a name missing here is skipped with a warning.
   */
  hosts?: ReadonlyMap<string, string[]>;
  /** The addresses `Listener: 0.0.0.0` stands for (every non-loopback interface address). */
  interfaceAddresses?: string[];
  onRecord?: (event: RecordEvent) => void;
}
