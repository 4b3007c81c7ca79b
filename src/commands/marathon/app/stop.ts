import { Args } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonAppStop extends MarathonCommand<typeof MarathonAppStop> {
  static override summary = 'Stop an app (scale it to 0 instances; its definition stays)';
  static override examples = ['<%= config.bin %> <%= command.id %> /shell --wait'];
  static override args = { id: Args.string({ required: true, description: 'app id' }) };
  static override flags = { ...deploymentFlags, ...forceFlag };

  async run() {
    const result = await (await this.marathon()).updateApp(this.args.id, { instances: 0 }, this.flags);
    return this.deployed(result, this.flags);
  }
}
