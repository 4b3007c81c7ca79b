import { Args } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import { unsetSetting } from '../../lib/config/settings-ops.js';

export default class ConfigUnset extends DcosCommand<typeof ConfigUnset> {
  static override summary = 'Remove a setting from the cluster';
  static override examples = ['<%= config.bin %> <%= command.id %> core.timeout'];
  static override args = { key: Args.string({ required: true, description: 'setting name' }) };

  async run() {
    const result = await unsetSetting(this.store(), await this.cluster(), this.args.key);
    // Silent like the DC/OS CLI: scripts check for an empty output.
    await this.render(result, () =>
      this.verboseNote(result.wasSet ? `${result.key} removed.` : `${result.key} was not set.`),
    );
    return result;
  }
}
