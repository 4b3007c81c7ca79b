import { Args, Flags } from '@oclif/core';

import { MarathonCommand } from '../../../../lib/cli/marathon-command.js';
import { listVersions } from '../../../../lib/marathon/apps.js';

export default class MarathonAppVersionList extends MarathonCommand<typeof MarathonAppVersionList> {
  static override summary = "List an app's versions, newest first";
  static override examples = ['<%= config.bin %> <%= command.id %> /shell --max-count 5'];
  static override args = { id: Args.string({ required: true, description: 'app id' }) };
  static override flags = { 'max-count': Flags.integer({ description: 'show at most this many versions' }) };

  async run() {
    const versions = await listVersions(await this.marathon(), this.args.id, this.flags['max-count']);
    await this.render(versions, () => versions.forEach((version) => this.log(version)));
    return versions;
  }
}
