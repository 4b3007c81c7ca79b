import { Args, Flags } from '@oclif/core';

import { DnsCommand, dnsFlags } from '../../lib/cli/dns-command.js';

export default class DnsLookup extends DnsCommand<typeof DnsLookup> {
  static override summary = 'Look up a name like dig: in the Mesos-DNS records, or at a DNS server';
  static override description =
    'Without --server the answer comes from the records of --state (or the attached cluster), exactly as `dcos dns serve` would send it. With --server the query goes to that DNS server over UDP (TCP with --tcp, or when the UDP answer is truncated). Any DNS answer, NXDOMAIN included, exits 0.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> chronos.marathon.mesos --state state.json',
    '<%= config.bin %> <%= command.id %> _leader._tcp.mesos --type SRV --json',
    '<%= config.bin %> <%= command.id %> leader.mesos --server 10.0.0.1 --tcp',
  ];
  static override args = { name: Args.string({ required: true, description: 'name to look up' }) };
  static override flags = {
    ...dnsFlags,
    type: Flags.string({ description: 'query type: A, AAAA, SRV, SOA, NS or ANY', default: 'A' }),
    server: Flags.string({
      description: 'ask this DNS server (HOST[:PORT], port 53 by default) instead of answering locally',
      exclusive: ['state'],
    }),
    tcp: Flags.boolean({ description: 'query over TCP (without --server: show the answer sent over TCP)' }),
    edns: Flags.boolean({
      description: 'offer EDNS0 with a 1232-byte UDP size (--no-edns: plain DNS, 512-byte UDP answers)',
      allowNo: true,
      default: true,
    }),
    timeout: Flags.integer({
      description: 'seconds to wait per try with --server (UDP tries 3 times)',
      min: 1,
      default: 2,
    }),
    external: Flags.boolean({
      description:
        'without --server: names outside the domain would be forwarded to the config resolvers (--no-external: refused)',
      allowNo: true,
    }),
  };

  async run() {
    const client = await import('../../lib/dns/client.js');
    const { exchangeReport, forwardReport } = await import('../../lib/dns/format.js');
    const type = client.parseQueryType(this.flags.type);
    const server = this.flags.server === undefined ? undefined : client.parseServer(this.flags.server);
    const query = client.buildQuery(this.args.name, type, { edns: this.flags.edns });
    let report;
    if (server) {
      const { packet, ...exchange } = await client.lookup({
        server,
        query,
        tcp: this.flags.tcp,
        timeoutMs: this.flags.timeout * 1000,
        signal: this.abortController.signal,
      });
      report = exchangeReport(packet, exchange);
    } else {
      const [config, records] = await Promise.all([this.lookupConfig(), this.recordSet()]);
      const serial = Math.floor(Date.now() / 1000);
      const local = client.lookupLocal(query, { records, config, serial }, { tcp: this.flags.tcp });
      const state = this.flags.state;
      const source = state === undefined ? 'the attached cluster' : state === '-' ? 'stdin' : state;
      report =
        local.kind === 'forward'
          ? forwardReport(query.questions![0]!.name, type, config.Domain, local.resolvers)
          : exchangeReport(local.packet, {
              server: `local records of ${source}`,
              transport: local.transport,
              size: local.size,
              retriedOverTcp: local.retriedOverTcp,
            });
    }
    await this.render(report.json, () => void process.stdout.write(`${report.lines.join('\n')}\n`));
    return report.json;
  }

  /** What `dns serve` would run with (without --compat): names outside the domain go only to named resolvers. */
  private async lookupConfig() {
    const [read, { serveDnsConfig }] = await Promise.all([
      this.dnsConfigRead(),
      import('../../lib/dns/config.js'),
    ]);
    return serveDnsConfig(read.config, {
      explicit: read.explicit,
      compat: false,
      interfaceAddresses: [],
      overrides: { externalOn: this.flags.external },
    }).config;
  }
}
