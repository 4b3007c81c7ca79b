import { Args } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import type { Settings } from '../../lib/config/keys.js';
import { showSettings } from '../../lib/config/settings-ops.js';

export default class ConfigShow extends DcosCommand<typeof ConfigShow> {
  static override summary = "Show the cluster's settings (tokens and passwords masked)";
  static override description =
    'Environment overrides (DCOS_URL, DCOS_ACS_TOKEN, DCOS_SSL_VERIFY, DCOS_TIMEOUT) are applied.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> core.timeout',
  ];
  static override args = { key: Args.string({ description: 'show only this key', ignoreStdin: true }) };

  async run(): Promise<Settings> {
    const settings = showSettings(await this.cluster(), this.args.key);
    await this.render(settings, () => {
      if (this.args.key) this.log(String(Object.values(settings)[0]));
      else for (const [key, value] of Object.entries(settings)) this.log(`${key} ${value}`);
    });
    return settings;
  }
}
