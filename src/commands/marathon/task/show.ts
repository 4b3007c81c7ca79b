import { Args } from '@oclif/core';

import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { formatJson } from '../../../lib/cli/output.js';
import { resolveTaskIds } from '../../../lib/marathon/apps.js';

export default class MarathonTaskShow extends MarathonCommand<typeof MarathonTaskShow> {
  static override summary = 'Show one task (exact id, or a prefix that names one task)';
  static override examples = ['<%= config.bin %> <%= command.id %> shell.instance-3f2a'];
  static override args = { id: Args.string({ required: true, description: 'task id' }) };

  async run() {
    const [task] = resolveTaskIds(await (await this.marathon()).listTasks(), [this.args.id]);
    await this.render(task, () => this.log(formatJson(task)));
    return task;
  }
}
