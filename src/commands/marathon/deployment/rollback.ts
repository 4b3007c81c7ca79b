import { Args } from '@oclif/core';

import { deploymentFlags } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import type { DeploymentResult } from '../../../lib/marathon/client.js';

export default class MarathonDeploymentRollback extends MarathonCommand<typeof MarathonDeploymentRollback> {
  static override summary =
    'Undo a deployment in progress (Marathon starts a new deployment that reverts it)';
  static override examples = ['<%= config.bin %> <%= command.id %> 2f0c1d1e-... --wait'];
  static override args = { id: Args.string({ required: true, description: 'deployment id' }) };
  static override flags = { ...deploymentFlags };

  async run() {
    const result = (await (await this.marathon()).deleteDeployment(this.args.id)) as DeploymentResult;
    return this.deployed(result, this.flags);
  }
}
