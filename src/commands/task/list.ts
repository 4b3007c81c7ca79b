import { Args, Flags } from '@oclif/core';

import { MesosCommand } from '../../lib/cli/mesos-command.js';
import { formatTable } from '../../lib/cli/output.js';
import { TASK_COLUMNS, taskRows } from '../../lib/mesos/cluster.js';
import { listMesosTasks, matchTasks } from '../../lib/mesos/tasks.js';

export default class TaskList extends MesosCommand<typeof TaskList> {
  static override summary = 'List the Mesos tasks of every framework';
  static override description =
    'A filter keeps the tasks whose id or name contains it; a task whose id is exactly the filter is shown alone.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> shell --completed',
  ];
  static override args = {
    filter: Args.string({ description: 'only tasks whose id or name contains this', ignoreStdin: true }),
  };
  static override flags = {
    completed: Flags.boolean({ description: 'also list completed tasks' }),
    all: Flags.boolean({ description: 'also list completed tasks (same as --completed)' }),
  };

  async run() {
    const state = await this.masterState();
    const tasks = listMesosTasks(state, { completed: this.flags.completed || this.flags.all });
    const matched = this.args.filter === undefined ? tasks : matchTasks(tasks, this.args.filter).matches;
    const rows = taskRows(state, matched);
    await this.render(
      rows.map((row) => row.raw),
      async () => {
        if (rows.length === 0) return this.log(this.args.filter ? 'No matching tasks.' : 'No tasks.');
        this.log(await formatTable(rows, TASK_COLUMNS));
      },
    );
    return rows.map((row) => row.raw);
  }
}
