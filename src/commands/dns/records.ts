import { DnsCommand, dnsFlags } from '../../lib/cli/dns-command.js';

export default class DnsRecords extends DnsCommand<typeof DnsRecords> {
  static override summary = 'Print every record Mesos-DNS would serve for a cluster or a saved Mesos state';
  static override description =
    'Without --state the Mesos state comes from the attached cluster. --json prints what Mesos-DNS serves at /v1/axfr.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --state state.json --ip-sources host',
    'curl -s http://master:5050/master/state | <%= config.bin %> <%= command.id %> --state - --json',
  ];
  static override flags = { ...dnsFlags };

  async run() {
    const [records, config, { toAxfr, zoneLines }] = await Promise.all([
      this.recordSet(),
      this.dnsConfig(),
      import('../../lib/dns/axfr.js'),
    ]);
    const axfr = toAxfr(records, config, Math.floor(Date.now() / 1000));
    await this.render(axfr, () => {
      const lines = zoneLines(records, config);
      process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    });
    return axfr;
  }
}
