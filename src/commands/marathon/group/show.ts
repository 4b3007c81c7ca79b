import { Args, Flags } from '@oclif/core';

import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { formatJson } from '../../../lib/cli/output.js';

export default class MarathonGroupShow extends MarathonCommand<typeof MarathonGroupShow> {
  static override summary = 'Show a group with its apps and sub-groups';
  static override examples = ['<%= config.bin %> <%= command.id %> /prod'];
  static override args = { id: Args.string({ required: true, description: 'group id' }) };
  static override flags = {
    'group-version': Flags.string({ description: 'an ISO-8601 version of the group' }),
  };

  async run() {
    const marathon = await this.marathon();
    const version = this.flags['group-version'];
    const group = version
      ? await marathon.groupVersion(this.args.id, version)
      : await marathon.getGroup(this.args.id);
    await this.render(group, () => this.log(formatJson(group)));
    return group;
  }
}
