import { Flags, type Command } from '@oclif/core';

import type { DnsConfig, RecordSet } from '../dns/types.js';
import { DcosCommand } from './base-command.js';

/**
 * Flags every `dcos dns` command shares: where the config and the Mesos state come from, and the config
 * keys people change most. Flags override the config file.
 */
export const dnsFlags = {
  config: Flags.string({ description: 'Mesos-DNS config.json (default: Mesos-DNS defaults)' }),
  state: Flags.string({
    description: 'saved Mesos /master/state JSON file, or - for stdin (default: the attached cluster)',
  }),
  domain: Flags.string({ description: 'DNS domain (config key domain; default mesos)' }),
  'ip-sources': Flags.string({
    description: 'task IP sources in order, comma-separated: netinfo, docker, mesos, host (config IPSources)',
  }),
  rfc952: Flags.boolean({
    description: 'RFC 952 labels: 24 characters, no leading digit (config EnforceRFC952)',
    allowNo: true,
  }),
  ttl: Flags.integer({ description: 'TTL of every record in seconds (config ttl)', min: 0 }),
};

export type DnsFlagValues = {
  config?: string;
  state?: string;
  domain?: string;
  'ip-sources'?: string;
  rfc952?: boolean;
  ttl?: number;
};

/** Base of `dcos dns ...`: the config (file + flags), the state (file, stdin or cluster) and its records. */
export abstract class DnsCommand<T extends typeof Command> extends DcosCommand<T> {
  private configPromise: Promise<DnsConfig> | undefined;
  private statePromise: Promise<{ state: unknown; hosts: Map<string, string[]> }> | undefined;

  private get dnsFlagValues(): DnsFlagValues {
    return this.flags as unknown as DnsFlagValues;
  }

  /** Subclasses (`dns serve`) that poll Mesos themselves need zk or masters in the config. */
  protected requireMasters = false;

  protected async dnsConfig(): Promise<DnsConfig> {
    this.configPromise ??= (async () => {
      const { parseDnsConfig, applyDnsOverrides } = await import('../dns/config.js');
      const { readTextFile } = await import('../dns/live.js');
      const flags = this.dnsFlagValues;
      const { resolve } = await import('node:path');
      const base = flags.config
        ? parseDnsConfig(await readTextFile(flags.config, 'config file'), resolve(flags.config))
        : parseDnsConfig({}, 'defaults');
      return applyDnsOverrides(
        base,
        {
          domain: flags.domain,
          ipSources: flags['ip-sources'],
          rfc952: flags.rfc952,
          ttl: flags.ttl,
        },
        { requireMasters: this.requireMasters },
      );
    })();
    return this.configPromise;
  }

  /** The Mesos state (from --state, else the attached cluster) and the addresses of its host names. */
  protected async dnsState(): Promise<{ state: unknown; hosts: Map<string, string[]> }> {
    this.statePromise ??= (async () => {
      const live = await import('../dns/live.js');
      const { mesosState } = await import('../dns/state.js');
      const flags = this.dnsFlagValues;
      let raw: unknown;
      if (flags.state) raw = await live.readStateFile(flags.state, { stdin: process.stdin });
      else {
        const { serviceUrl } = await import('../config/services.js');
        const cluster = await this.cluster();
        raw = await live.fetchLiveState(await this.http(), serviceUrl(cluster.settings, 'mesos'));
      }
      const state = mesosState(raw);
      const config = await this.dnsConfig();
      const hosts = await live.resolveStateHostnames(state, config.Masters);
      return { state, hosts };
    })();
    return this.statePromise;
  }

  /** The records of the state; entities skipped on the way are reported as warnings on stderr. */
  protected async recordSet(): Promise<RecordSet> {
    const [config, { state, hosts }, { generateRecords }, { localInterfaceAddresses }] = await Promise.all([
      this.dnsConfig(),
      this.dnsState(),
      import('../dns/records.js'),
      import('../dns/live.js'),
    ]);
    const records = generateRecords(state, config, { hosts, interfaceAddresses: localInterfaceAddresses() });
    for (const warning of records.warnings) this.warnLine(warning);
    return records;
  }
}
