import { Flags, type Command } from '@oclif/core';

import type { ReadDnsConfig } from '../dns/config.js';
import type { LoadedState } from '../dns/service.js';
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
  private configPromise: Promise<ReadDnsConfig> | undefined;
  private statePromise: Promise<{ state: unknown; hosts: Map<string, string[]> }> | undefined;

  private get dnsFlagValues(): DnsFlagValues {
    return this.flags as unknown as DnsFlagValues;
  }

  /** Subclasses (`dns serve`) that poll Mesos themselves need zk or masters in the config. */
  protected requireMasters = false;

  protected async dnsConfig(): Promise<DnsConfig> {
    return (await this.dnsConfigRead()).config;
  }

  /** The config with the shared flags applied, and which fields the file set itself. */
  protected async dnsConfigRead(): Promise<ReadDnsConfig> {
    this.configPromise ??= (async () => {
      const { readDnsConfig, applyDnsOverrides } = await import('../dns/config.js');
      const { readTextFile } = await import('../dns/live.js');
      const flags = this.dnsFlagValues;
      const { resolve } = await import('node:path');
      const base = flags.config
        ? readDnsConfig(await readTextFile(flags.config, 'config file'), resolve(flags.config))
        : readDnsConfig({}, 'defaults');
      const config = applyDnsOverrides(
        base.config,
        {
          domain: flags.domain,
          ipSources: flags['ip-sources'],
          rfc952: flags.rfc952,
          ttl: flags.ttl,
        },
        { requireMasters: this.requireMasters },
      );
      return { config, explicit: base.explicit };
    })();
    return this.configPromise;
  }

  /**
   * The Mesos state and the addresses of its host names: from --state (a file, or stdin), else the config's
   * masters (polled like Mesos-DNS), else the attached cluster.
   */
  protected async dnsState(): Promise<{ state: unknown; hosts: Map<string, string[]> }> {
    this.statePromise ??= (async () => {
      const load = await this.stateLoader(await this.dnsConfig());
      return load(this.abortController.signal);
    })();
    return this.statePromise;
  }

  /** Reads the state afresh on every call (for `dns serve`, once per refresh). */
  protected async stateLoader(config: DnsConfig): Promise<(signal: AbortSignal) => Promise<LoadedState>> {
    const [{ stateLoader }, { fetchLiveState }] = await Promise.all([
      import('../dns/service.js'),
      import('../dns/live.js'),
    ]);
    return stateLoader({
      config,
      statePath: this.dnsFlagValues.state,
      live: async () => {
        const { serviceUrl } = await import('../config/services.js');
        return fetchLiveState(await this.http(), serviceUrl((await this.cluster()).settings, 'mesos'));
      },
    });
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
