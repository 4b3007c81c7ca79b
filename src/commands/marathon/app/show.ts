import { Args, Flags } from '@oclif/core';

import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { formatJson } from '../../../lib/cli/output.js';
import { showApp } from '../../../lib/marathon/apps.js';

export default class MarathonAppShow extends MarathonCommand<typeof MarathonAppShow> {
  static override summary = "Show an app's definition and state";
  static override examples = [
    '<%= config.bin %> <%= command.id %> /shell',
    '<%= config.bin %> <%= command.id %> /shell --app-version -1',
  ];
  static override args = { id: Args.string({ required: true, description: 'app id' }) };
  static override flags = {
    'app-version': Flags.string({ description: 'an ISO-8601 version, or -N for N versions back' }),
  };

  async run() {
    const app = await showApp(await this.marathon(), this.args.id, this.flags['app-version']);
    await this.render(app, () => this.log(formatJson(app)));
    return app;
  }
}
