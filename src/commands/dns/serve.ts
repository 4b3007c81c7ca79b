import { Flags } from '@oclif/core';

import { DnsCommand, dnsFlags } from '../../lib/cli/dns-command.js';
import { joinHostPort } from '../../lib/dns/addresses.js';
import { DEFAULT_DNS_LIMITS } from '../../lib/dns/limits.js';

const MIB = 1024 * 1024;

export default class DnsServe extends DnsCommand<typeof DnsServe> {
  static override summary = 'Serve Mesos-DNS records over DNS (UDP and TCP) and its HTTP API';
  static override description =
    'Records come from --state (re-read every refresh), the --master URLs or config masters (polled like Mesos-DNS), else the attached cluster. Listens on 127.0.0.1 unless told otherwise (--listen, config listener). Names outside the domain are forwarded only to the resolvers you name (--resolver, config resolvers), otherwise refused. --compat keeps Mesos-DNS defaults (0.0.0.0, 8.8.8.8). Runs until Ctrl-C or SIGTERM.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --state state.json --port 8053 --http-port 8123',
    '<%= config.bin %> <%= command.id %> --master http://10.0.0.1:5050 --resolver 10.0.0.2 --resolver 10.0.0.3:5353',
  ];
  static override flags = {
    ...dnsFlags,
    master: Flags.string({
      description: 'Mesos master to poll (host:port or URL); repeat for several (config masters)',
      multiple: true,
    }),
    listen: Flags.string({
      description: 'DNS address to listen on (config listener; default 127.0.0.1, with --compat 0.0.0.0)',
    }),
    port: Flags.integer({
      description: 'DNS port, UDP and TCP; 0 picks a free one (config port)',
      min: 0,
      max: 65535,
    }),
    'http-listen': Flags.string({
      description: 'HTTP API address (config HTTPListener; default 127.0.0.1, with --compat 0.0.0.0)',
    }),
    'http-port': Flags.integer({
      description: 'HTTP API port; 0 picks a free one (config httpport)',
      min: 0,
      max: 65535,
    }),
    refresh: Flags.integer({
      description: 'seconds between state refreshes (config refreshSeconds)',
      min: 1,
    }),
    resolver: Flags.string({
      description:
        'name server for names outside the domain, IP[:PORT]; repeat for several (config resolvers; none: such names are refused)',
      multiple: true,
    }),
    compat: Flags.boolean({
      description:
        'Mesos-DNS defaults and wire format: listen on 0.0.0.0, forward to 8.8.8.8, lowercase A owners, never echo OPT, 512-byte UDP replies',
    }),
    external: Flags.boolean({
      description: 'forward names outside the domain to the resolvers (--no-external refuses them)',
      allowNo: true,
    }),
    'cache-mib': Flags.integer({
      description: 'memory the answer cache may hold, in MiB',
      min: 1,
      default: DEFAULT_DNS_LIMITS.cacheBytes / MIB,
    }),
    'max-connections': Flags.integer({
      description: 'open TCP connections; at the cap the least recently active idle one is closed',
      min: 1,
      default: DEFAULT_DNS_LIMITS.tcpConnections,
    }),
    'tcp-idle-timeout': Flags.integer({
      description: 'seconds a TCP connection may go without completing a query before it is closed',
      min: 1,
      default: DEFAULT_DNS_LIMITS.tcpIdleMs / 1000,
    }),
    'max-forwards': Flags.integer({
      description: 'queries forwarded at once; more get SERVFAIL',
      min: 1,
      default: DEFAULT_DNS_LIMITS.maxForwards,
    }),
    'rrl-rate': Flags.integer({
      description: 'UDP responses per second to one /24 (IPv6: /56); 0 turns response rate limiting off',
      min: 0,
      default: DEFAULT_DNS_LIMITS.rrlRate,
    }),
    'rrl-loopback': Flags.boolean({
      description: 'rate-limit loopback clients too (by default they are exempt: they cannot be spoofed)',
    }),
  };

  protected override interruptGraceMs = 5_000;

  async run() {
    const [{ serveDnsConfig }, { startDnsService }, { localInterfaceAddresses }] = await Promise.all([
      import('../../lib/dns/config.js'),
      import('../../lib/dns/service.js'),
      import('../../lib/dns/live.js'),
    ]);
    const { flags } = this;
    const interfaceAddresses = localInterfaceAddresses();
    const read = await this.dnsConfigRead();
    const { config, warnings } = serveDnsConfig(read.config, {
      explicit: read.explicit,
      compat: flags.compat,
      interfaceAddresses,
      requireMasters: this.requireMasters,
      overrides: {
        listen: flags.listen,
        port: flags.port,
        httpListen: flags['http-listen'],
        httpPort: flags['http-port'],
        refresh: flags.refresh,
        externalOn: flags.external,
        ...(flags.resolver ? { resolvers: flags.resolver } : {}),
        ...(flags.master ? { masters: flags.master.map(stripScheme) } : {}),
      },
    });
    for (const warning of warnings) this.warnLine(warning);
    const load = await this.stateLoader(config);
    // SIGTERM is a normal stop (exit 0); Ctrl-C goes through the base class (exit 130).
    const stop = new AbortController();
    const onTerm = () => stop.abort();
    process.once('SIGTERM', onTerm);
    const signal = AbortSignal.any([stop.signal, this.abortController.signal]);
    const service = await startDnsService(
      {
        config,
        compat: flags.compat,
        load,
        interfaceAddresses,
        version: this.config.version,
        log: (line) => process.stderr.write(`${line}\n`),
        limits: {
          cacheBytes: flags['cache-mib'] * MIB,
          tcpConnections: flags['max-connections'],
          tcpIdleMs: flags['tcp-idle-timeout'] * 1000,
          maxForwards: flags['max-forwards'],
          rrlRate: flags['rrl-rate'],
          rrlLoopback: flags['rrl-loopback'],
        },
      },
      signal,
    );
    const current = service.store.current;
    const resolvers = config.ExternalOn ? config.Resolvers : [];
    const summary = {
      domain: config.Domain,
      dns: service.dns ? { address: service.dns.address, port: service.dns.port } : null,
      http: service.http ? { address: service.http.address, port: service.http.port } : null,
      compat: flags.compat,
      external: config.ExternalOn,
      resolvers,
      serial: current?.serial ?? null,
    };
    await this.render(summary, () => {
      const dns = service.dns
        ? `DNS on ${joinHostPort(service.dns.address, service.dns.port)} (UDP+TCP)`
        : 'DNS off';
      const http = service.http
        ? `HTTP on ${joinHostPort(service.http.address, service.http.port)}`
        : 'HTTP off';
      const forwarding =
        resolvers.length > 0 ? `other names go to ${resolvers.join(', ')}` : 'other names are refused';
      this.log(`Serving "${config.Domain}": ${dns}, ${http}; ${forwarding}. Ctrl-C stops.`);
    });
    await service.done;
    process.off('SIGTERM', onTerm);
    return summary;
  }
}

/** `http://10.0.0.1:5050/` -> `10.0.0.1:5050` (config masters are host:port). */
function stripScheme(master: string): string {
  return /^[a-z]+:\/\//i.test(master) ? new URL(master).host : master;
}
