import { Flags } from '@oclif/core';

import {
  haproxyFrontendFlags,
  haproxyOptionsFromFlags,
  haproxySourceFlags,
} from '../../lib/cli/haproxy-flags.js';
import { MarathonCommand } from '../../lib/cli/marathon-command.js';

export default class HaproxyConfig extends MarathonCommand<typeof HaproxyConfig> {
  static override summary = 'Generate an haproxy.cfg for the Marathon apps from their marathon-lb labels';
  static override description =
    'Service-port frontends and backends, HTTP/HTTPS virtual hosts (HAPROXY_{n}_VHOST), health checks from ' +
    "Marathon's. An app with a bad label or template is left out with a warning; the rest of the config stays " +
    'valid. --json prints the report (apps included, dropped and why, port conflicts) instead of the config.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --output /etc/haproxy/haproxy.cfg',
    '<%= config.bin %> <%= command.id %> --apps apps.json --group external --group internal',
    'curl -s "$MARATHON/v2/apps?embed=apps.tasks" | <%= config.bin %> <%= command.id %> --apps - --json',
  ];
  static override flags = {
    ...haproxySourceFlags,
    ...haproxyFrontendFlags,
    output: Flags.string({
      char: 'o',
      description: 'write the config to this file (atomically) instead of stdout',
    }),
  };

  async run() {
    const { buildHaproxyConfig, writeConfigFile } = await import('../../lib/haproxy/input.js');
    const { config } = await buildHaproxyConfig({
      apps: this.flags.apps,
      templatesDir: this.flags.templates,
      options: haproxyOptionsFromFlags(this.flags),
      stdin: process.stdin,
      clusterApps: async () => (await this.marathon()).listApps(['apps.tasks']),
    });
    const { output } = this.flags;
    if (output) await writeConfigFile(output, config.text);
    for (const dropped of config.report.dropped)
      this.warnLine(`${dropped.appId} left out: ${dropped.reason}`);
    for (const warning of config.report.warnings) this.warnLine(warning);
    const result = { ...config.report, ...(output ? { output } : {}) };
    await this.render(result, () => {
      if (!output) return void process.stdout.write(config.text);
      const { included, dropped } = config.report;
      this.log(
        `Wrote ${output}: ${included.length} apps${dropped.length ? `, ${dropped.length} left out` : ''}.`,
      );
    });
    return result;
  }
}
