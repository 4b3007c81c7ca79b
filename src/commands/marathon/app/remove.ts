import { Args } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonAppRemove extends MarathonCommand<typeof MarathonAppRemove> {
  static override summary = 'Remove an app and kill its tasks';
  static override examples = ['<%= config.bin %> <%= command.id %> /shell --wait'];
  static override args = { id: Args.string({ required: true, description: 'app id' }) };
  static override flags = { ...deploymentFlags, ...forceFlag };

  async run() {
    const result = await (await this.marathon()).removeApp(this.args.id, this.flags);
    return this.deployed(result, this.flags);
  }
}
