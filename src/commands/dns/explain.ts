import { Args } from '@oclif/core';

import { DnsCommand, dnsFlags } from '../../lib/cli/dns-command.js';
import type { Explanation } from '../../lib/dns/explain.js';

export default class DnsExplain extends DnsCommand<typeof DnsExplain> {
  static override summary = 'Explain why a name has the Mesos-DNS records it has, or why it has none';
  static override description =
    'For each record: the rule that made it, the framework, task, agent and IP source. For a name without ' +
    'records: the likely reasons (task not running, name sanitised differently, RFC 952 truncation, unknown ' +
    'agent, no task IP, framework name) and the nearest existing names. Exits 0 either way.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> web-grp.marathon.mesos',
    '<%= config.bin %> <%= command.id %> my_app.marathon.mesos --state state.json --json',
  ];
  // The name never comes from stdin: `--state -` reads the state from there.
  static override args = {
    name: Args.string({
      required: true,
      description: 'DNS name, e.g. web.marathon.mesos',
      ignoreStdin: true,
    }),
  };
  static override flags = { ...dnsFlags };

  async run(): Promise<Explanation> {
    const [config, { state, hosts }, { explainName, explanationLines }, { localInterfaceAddresses }] =
      await Promise.all([
        this.dnsConfig(),
        this.dnsState(),
        import('../../lib/dns/explain.js'),
        import('../../lib/dns/live.js'),
      ]);
    const explanation = explainName(state, config, this.args.name, {
      hosts,
      interfaceAddresses: localInterfaceAddresses(),
    });
    for (const warning of explanation.warnings) this.warnLine(warning);
    await this.render(explanation, () => {
      process.stdout.write(`${explanationLines(explanation).join('\n')}\n`);
    });
    return explanation;
  }
}
