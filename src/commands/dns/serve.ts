import { Flags } from '@oclif/core';

import { DnsCommand, dnsFlags } from '../../lib/cli/dns-command.js';

export default class DnsServe extends DnsCommand<typeof DnsServe> {
  static override summary = 'Serve Mesos-DNS records over DNS (UDP and TCP) and its HTTP API';
  static override description =
    'Records come from --state (re-read every refresh), the --master URLs or config masters (polled like Mesos-DNS), else the attached cluster. Names outside the domain are forwarded to the config resolvers, or refused with --no-external. Runs until Ctrl-C or SIGTERM.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --state state.json --port 8053 --http-port 8123 --no-external',
    '<%= config.bin %> <%= command.id %> --master http://10.0.0.1:5050 --config config.json',
  ];
  static override flags = {
    ...dnsFlags,
    master: Flags.string({
      description: 'Mesos master to poll (host:port or URL); repeat for several (config masters)',
      multiple: true,
    }),
    listen: Flags.string({ description: 'DNS address to listen on (config listener; default 0.0.0.0)' }),
    port: Flags.integer({
      description: 'DNS port, UDP and TCP; 0 picks a free one (config port)',
      min: 0,
      max: 65535,
    }),
    'http-listen': Flags.string({ description: 'HTTP API address (config HTTPListener)' }),
    'http-port': Flags.integer({
      description: 'HTTP API port; 0 picks a free one (config httpport)',
      min: 0,
      max: 65535,
    }),
    refresh: Flags.integer({
      description: 'seconds between state refreshes (config refreshSeconds)',
      min: 1,
    }),
    compat: Flags.boolean({
      description: 'EDNS0 like Mesos-DNS: never echo OPT, cap UDP replies at 512 bytes',
    }),
    external: Flags.boolean({
      description: 'forward names outside the domain to the config resolvers (--no-external refuses them)',
      allowNo: true,
    }),
  };

  protected override interruptGraceMs = 5_000;

  async run() {
    const [{ applyDnsOverrides }, { startDnsService }, { localInterfaceAddresses }] = await Promise.all([
      import('../../lib/dns/config.js'),
      import('../../lib/dns/service.js'),
      import('../../lib/dns/live.js'),
    ]);
    const config = applyDnsOverrides(await this.dnsConfig(), {
      listen: this.flags.listen,
      port: this.flags.port,
      httpListen: this.flags['http-listen'],
      httpPort: this.flags['http-port'],
      refresh: this.flags.refresh,
      externalOn: this.flags.external,
      ...(this.flags.master ? { masters: this.flags.master.map(stripScheme) } : {}),
    });
    const load = await this.stateLoader(config);
    // SIGTERM is a normal stop (exit 0); Ctrl-C goes through the base class (exit 130).
    const stop = new AbortController();
    const onTerm = () => stop.abort();
    process.once('SIGTERM', onTerm);
    const signal = AbortSignal.any([stop.signal, this.abortController.signal]);
    const service = await startDnsService(
      {
        config,
        compat: this.flags.compat,
        load,
        interfaceAddresses: localInterfaceAddresses(),
        version: this.config.version,
        log: (line) => process.stderr.write(`${line}\n`),
      },
      signal,
    );
    const current = service.store.current;
    const summary = {
      domain: config.Domain,
      dns: service.dns ? { address: service.dns.address, port: service.dns.port } : null,
      http: service.http ? { address: service.http.address, port: service.http.port } : null,
      compat: this.flags.compat,
      external: config.ExternalOn,
      serial: current?.serial ?? null,
    };
    await this.render(summary, () => {
      const dns = service.dns
        ? `DNS on ${hostPort(service.dns.address, service.dns.port)} (UDP+TCP)`
        : 'DNS off';
      const http = service.http ? `HTTP on ${hostPort(service.http.address, service.http.port)}` : 'HTTP off';
      this.log(`Serving "${config.Domain}": ${dns}, ${http}. Ctrl-C stops.`);
    });
    await service.done;
    process.off('SIGTERM', onTerm);
    return summary;
  }
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `http://10.0.0.1:5050/` -> `10.0.0.1:5050` (config masters are host:port). */
function stripScheme(master: string): string {
  return /^[a-z]+:\/\//i.test(master) ? new URL(master).host : master;
}
