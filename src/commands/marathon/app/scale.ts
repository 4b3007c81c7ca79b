import { Args } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonAppScale extends MarathonCommand<typeof MarathonAppScale> {
  static override summary = 'Set the number of instances of an app';
  static override examples = ['<%= config.bin %> <%= command.id %> /shell 10 --wait'];
  static override args = {
    id: Args.string({ required: true, description: 'app id' }),
    instances: Args.integer({ required: true, min: 0, description: 'number of instances' }),
  };
  static override flags = { ...deploymentFlags, ...forceFlag };

  async run() {
    const result = await (
      await this.marathon()
    ).updateApp(this.args.id, { instances: this.args.instances }, this.flags);
    return this.deployed(result, this.flags);
  }
}
