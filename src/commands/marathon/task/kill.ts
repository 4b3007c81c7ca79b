import { Args, Flags } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { resolveTaskIds } from '../../../lib/marathon/apps.js';

export default class MarathonTaskKill extends MarathonCommand<typeof MarathonTaskKill> {
  static override summary = 'Kill tasks by id (exact, or a prefix that names one task)';
  static override examples = [
    '<%= config.bin %> <%= command.id %> shell.instance-3f2a',
    '<%= config.bin %> <%= command.id %> <id1> <id2> --scale --wait',
  ];
  static override strict = false;
  static override args = { ids: Args.string({ required: true, description: 'task ids' }) };
  static override flags = {
    ...deploymentFlags,
    ...forceFlag,
    scale: Flags.boolean({
      description: 'lower the instance counts by the number of killed tasks',
      exclusive: ['wipe'],
    }),
    wipe: Flags.boolean({ description: 'also expunge the instances (resident apps)' }),
  };

  async run() {
    const marathon = await this.marathon();
    const tasks = resolveTaskIds(await marathon.listTasks(), this.positionals);
    const result = await marathon.killTasks(
      tasks.map((task) => task.id),
      this.flags,
    );
    if ('deploymentId' in result) return this.deployed(result, this.flags);
    const killed = { killed: result.tasks.map((task) => task.id) };
    await this.render(killed, () =>
      this.log(
        killed.killed.length > 0 ? `Killed tasks: ${killed.killed.join(', ')}` : 'No tasks were killed.',
      ),
    );
    return killed;
  }
}
