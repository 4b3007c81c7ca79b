import { Args } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { UsageError } from '../../../lib/errors.js';

export default class MarathonGroupScale extends MarathonCommand<typeof MarathonGroupScale> {
  static override summary = 'Multiply the instances of every app in a group';
  static override examples = ['<%= config.bin %> <%= command.id %> /prod 2 --wait'];
  static override args = {
    id: Args.string({ required: true, description: 'group id' }),
    factor: Args.string({ required: true, description: 'scale factor, e.g. 2 or 0.5' }),
  };
  static override flags = { ...deploymentFlags, ...forceFlag };

  async run() {
    const factor = Number(this.args.factor);
    if (!Number.isFinite(factor) || factor < 0)
      throw new UsageError(`scale factor must be a number >= 0, not '${this.args.factor}'`);
    const result = await (await this.marathon()).updateGroup(this.args.id, { scaleBy: factor }, this.flags);
    return this.deployed(result, this.flags);
  }
}
