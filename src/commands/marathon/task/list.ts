import { Args, Flags } from '@oclif/core';

import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { formatTable } from '../../../lib/cli/output.js';
import { normalizeId } from '../../../lib/marathon/client.js';
import { TASK_COLUMNS } from '../../../lib/marathon/render.js';
import { escapeControlCharacters } from '../../../lib/text.js';

export default class MarathonTaskList extends MarathonCommand<typeof MarathonTaskList> {
  static override summary = 'List Marathon tasks (optionally of one app)';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> /shell --json',
  ];
  static override args = {
    id: Args.string({ description: 'only the tasks of this app', ignoreStdin: true }),
  };
  static override flags = { quiet: Flags.boolean({ char: 'q', description: 'print only the task ids' }) };

  async run() {
    const all = await (await this.marathon()).listTasks();
    const id = this.args.id ? normalizeId(this.args.id) : undefined;
    const tasks = (id ? all.filter((task) => task.appId === id) : all).sort(
      (a, b) => a.appId.localeCompare(b.appId) || a.id.localeCompare(b.id),
    );
    await this.render(tasks, async () => {
      if (this.flags.quiet) return tasks.forEach((task) => this.log(escapeControlCharacters(task.id)));
      if (tasks.length === 0) return this.log(id ? `No tasks for ${id}.` : 'No tasks.');
      this.log(await formatTable(tasks, TASK_COLUMNS));
    });
    return tasks;
  }
}
