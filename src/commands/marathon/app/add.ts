import { Args, Flags } from '@oclif/core';

import { deploymentFlags } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { addApp, checkAppDefinition } from '../../../lib/marathon/apps.js';

export default class MarathonAppAdd extends MarathonCommand<typeof MarathonAppAdd> {
  static override summary = 'Add an app from a JSON or YAML definition';
  static override description =
    "The definition is checked against Marathon's schema before anything is sent; --dry-run shows what would be created.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> shell.json --wait',
    'cat app.yaml | <%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> https://example.com/app.json --dry-run',
  ];
  static override args = {
    resource: Args.string({
      description: 'file, http(s) URL, or - for stdin (the default)',
      // We read stdin ourselves (whole, with a size limit); oclif's own stdin-as-argument must not take it.
      ignoreStdin: true,
    }),
  };
  static override flags = {
    ...deploymentFlags,
    'dry-run': Flags.boolean({ description: 'validate and show what would be created; send nothing' }),
  };

  async run() {
    const { value, origin } = await this.readDefinition(this.args.resource, 'application');
    const definition = await checkAppDefinition(value, origin);
    const result = await addApp(await this.marathon(), definition, { dryRun: this.flags['dry-run'] });
    return this.changed(result, this.flags);
  }
}
