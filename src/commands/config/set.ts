import { Args } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import { setSetting } from '../../lib/config/settings-ops.js';

export default class ConfigSet extends DcosCommand<typeof ConfigSet> {
  static override summary = 'Change a setting of the cluster';
  static override description =
    'Values are checked per key (URLs, whole seconds, true/false or a CA file); unknown keys are refused.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> core.timeout 60',
    '<%= config.bin %> <%= command.id %> core.ssl_verify ./dcos-ca.crt',
  ];
  static override args = {
    key: Args.string({ required: true, description: 'setting name, e.g. core.timeout' }),
    value: Args.string({ required: true, description: 'new value' }),
  };

  async run() {
    const result = await setSetting(this.store(), await this.cluster(), this.args.key, this.args.value);
    // Silent like the DC/OS CLI: scripts check for an empty output.
    await this.render(result, () => {
      this.verboseNote(`${result.key} set to ${result.value}.`);
      for (const key of result.cleared) this.verboseNote(`${key} removed: it belonged to the old URL.`);
    });
    return result;
  }
}
