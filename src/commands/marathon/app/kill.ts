import { Args, Flags } from '@oclif/core';

import { deploymentFlags, forceFlag } from '../../../lib/cli/flags.js';
import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonAppKill extends MarathonCommand<typeof MarathonAppKill> {
  static override summary = "Kill an app's tasks (Marathon replaces them unless --scale)";
  static override examples = [
    '<%= config.bin %> <%= command.id %> /shell',
    '<%= config.bin %> <%= command.id %> /shell --host 127.0.0.2 --scale --wait',
  ];
  static override args = { id: Args.string({ required: true, description: 'app id' }) };
  static override flags = {
    ...deploymentFlags,
    ...forceFlag,
    scale: Flags.boolean({ description: 'lower the instance count by the number of killed tasks' }),
    host: Flags.string({ description: 'only the tasks on this agent host' }),
  };

  async run() {
    const result = await (await this.marathon()).killAppTasks(this.args.id, this.flags);
    if ('deploymentId' in result) return this.deployed(result, this.flags);
    const killed = { killed: result.tasks.map((task) => task.id) };
    await this.render(killed, () =>
      this.log(killed.killed.length > 0 ? `Killed tasks: ${killed.killed.join(', ')}` : 'No tasks to kill.'),
    );
    return killed;
  }
}
