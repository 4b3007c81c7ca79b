import { Args } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonAppRestart extends MarathonCommand<typeof MarathonAppRestart> {
  static override summary = "Replace all of an app's tasks (a rolling restart under its upgradeStrategy)";
  static override examples = ['<%= config.bin %> <%= command.id %> /shell --wait'];
  static override args = { id: Args.string({ required: true, description: 'app id' }) };
  static override flags = { ...deploymentFlags, ...forceFlag };

  async run() {
    const result = await (await this.marathon()).restartApp(this.args.id, this.flags);
    return this.deployed(result, this.flags);
  }
}
