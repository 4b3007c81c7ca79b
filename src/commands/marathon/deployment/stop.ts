import { Args } from '@oclif/core';

import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonDeploymentStop extends MarathonCommand<typeof MarathonDeploymentStop> {
  static override summary = 'Cancel a deployment without rolling back (apps may be left half-updated)';
  static override examples = ['<%= config.bin %> <%= command.id %> 2f0c1d1e-...'];
  static override args = { id: Args.string({ required: true, description: 'deployment id' }) };

  async run() {
    await (await this.marathon()).deleteDeployment(this.args.id, { force: true });
    const result = { stopped: this.args.id };
    await this.render(result, () => this.log(`Stopped deployment ${this.args.id}.`));
    return result;
  }
}
