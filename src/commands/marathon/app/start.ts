import { Args } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonAppStart extends MarathonCommand<typeof MarathonAppStart> {
  static override summary = 'Start a stopped app (1 instance unless told otherwise)';
  static override examples = [
    '<%= config.bin %> <%= command.id %> /shell',
    '<%= config.bin %> <%= command.id %> /shell 3',
  ];
  static override args = {
    id: Args.string({ required: true, description: 'app id' }),
    instances: Args.integer({ min: 1, default: 1, description: 'number of instances', ignoreStdin: true }),
  };
  static override flags = { ...deploymentFlags, ...forceFlag };

  async run() {
    const result = await (
      await this.marathon()
    ).updateApp(this.args.id, { instances: this.args.instances }, this.flags);
    return this.deployed(result, this.flags);
  }
}
