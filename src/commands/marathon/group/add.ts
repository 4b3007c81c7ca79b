import { Args } from '@oclif/core';

import { deploymentFlags } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { checkGroupDefinition } from '../../../lib/marathon/apps.js';

export default class MarathonGroupAdd extends MarathonCommand<typeof MarathonGroupAdd> {
  static override summary = 'Add a group of apps from a JSON or YAML definition';
  static override examples = ['<%= config.bin %> <%= command.id %> group.json --wait'];
  static override args = {
    resource: Args.string({
      description: 'file, http(s) URL, or - for stdin (the default)',
      // We read stdin ourselves (whole, with a size limit); oclif's own stdin-as-argument must not take it.
      ignoreStdin: true,
    }),
  };
  static override flags = { ...deploymentFlags };

  async run() {
    const { value, origin } = await this.readDefinition(this.args.resource, 'group');
    const result = await (await this.marathon()).createGroup(await checkGroupDefinition(value, origin));
    return this.deployed(result, this.flags);
  }
}
