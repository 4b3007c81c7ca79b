import { Args } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { UsageError } from '../../../lib/errors.js';
import { isRecord } from '../../../lib/json.js';
import { checkGroupPatch } from '../../../lib/marathon/apps.js';

export default class MarathonGroupUpdate extends MarathonCommand<typeof MarathonGroupUpdate> {
  static override summary = 'Change a group (key=value pairs, or a JSON object on stdin)';
  static override examples = [
    '<%= config.bin %> <%= command.id %> /prod dependencies=\'["/db"]\'',
    '<%= config.bin %> <%= command.id %> /prod < group.json',
  ];
  static override strict = false;
  static override args = { id: Args.string({ required: true, description: 'group id' }) };
  static override flags = { ...deploymentFlags, ...forceFlag };

  async run() {
    const pairs = this.positionals.slice(1);
    const body =
      pairs.length > 0
        ? (await import('../../../lib/marathon/jsonitem.js')).parseKeyValues(pairs)
        : (await this.readDefinition(undefined, 'group update')).value;
    if (!isRecord(body)) throw new UsageError('group update needs one JSON object (the fields to change)');
    await checkGroupPatch(body, this.args.id);
    const result = await (await this.marathon()).updateGroup(this.args.id, body, this.flags);
    return this.deployed(result, this.flags);
  }
}
