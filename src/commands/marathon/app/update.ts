import { Args, Flags } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { updateApp } from '../../../lib/marathon/apps.js';

export default class MarathonAppUpdate extends MarathonCommand<typeof MarathonAppUpdate> {
  static override summary = 'Change fields of an app (key=value pairs, or a JSON object on stdin)';
  static override description =
    "Values are typed: integer, float, true/false, null, JSON array, JSON object, else string. Top-level fields replace the app's.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> /shell cpus=0.2 --wait',
    '<%= config.bin %> <%= command.id %> /web env=\'{"LOG":"debug"}\' instances=3',
    '<%= config.bin %> <%= command.id %> /web --dry-run < patch.json',
  ];
  static override strict = false;
  static override args = { id: Args.string({ required: true, description: 'app id' }) };
  static override flags = {
    ...deploymentFlags,
    ...forceFlag,
    'dry-run': Flags.boolean({
      description: 'show what would change against the running version; send nothing',
    }),
  };

  async run() {
    const pairs = this.positionals.slice(1);
    const { APP_STRING_FIELDS, parseKeyValues } = await import('../../../lib/marathon/jsonitem.js');
    // `cmd='[ -f x ] && run'` is a shell command, not a JSON array: string fields stay strings.
    const patch =
      pairs.length > 0
        ? parseKeyValues(pairs, { stringKeys: APP_STRING_FIELDS })
        : await this.patchFromStdin();
    const result = await updateApp(await this.marathon(), this.args.id, patch, {
      force: this.flags.force,
      dryRun: this.flags['dry-run'],
    });
    return this.changed(result, this.flags);
  }

  private async patchFromStdin(): Promise<Record<string, unknown>> {
    const { value, origin } = await this.readDefinition(undefined, 'update');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const { UsageError } = await import('../../../lib/errors.js');
      throw new UsageError(`${origin} must hold one JSON object with the fields to change`);
    }
    return value as Record<string, unknown>;
  }
}
