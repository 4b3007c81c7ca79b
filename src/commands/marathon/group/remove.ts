import { Args } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonGroupRemove extends MarathonCommand<typeof MarathonGroupRemove> {
  static override summary = 'Remove a group and all its apps';
  static override examples = ['<%= config.bin %> <%= command.id %> /prod --wait'];
  static override args = { id: Args.string({ required: true, description: 'group id' }) };
  static override flags = { ...deploymentFlags, ...forceFlag };

  async run() {
    const result = await (await this.marathon()).removeGroup(this.args.id, this.flags);
    return this.deployed(result, this.flags);
  }
}
