import { Flags } from '@oclif/core';

import { MesosCommand } from '../../lib/cli/mesos-command.js';
import { formatTable } from '../../lib/cli/output.js';
import { FRAMEWORK_COLUMNS, listFrameworks } from '../../lib/mesos/cluster.js';

export default class ServiceList extends MesosCommand<typeof ServiceList> {
  static override summary = 'List the Mesos frameworks (services) of the cluster';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --inactive --completed',
  ];
  static override flags = {
    completed: Flags.boolean({ description: 'also list completed (torn down) frameworks' }),
    inactive: Flags.boolean({ description: 'also list inactive (disconnected) frameworks' }),
  };

  async run() {
    const frameworks = listFrameworks(await this.masterState(), {
      completed: this.flags.completed,
      inactive: this.flags.inactive,
    });
    await this.render(
      frameworks.map((framework) => framework.raw),
      async () => {
        if (frameworks.length === 0) return this.log('No services.');
        this.log(await formatTable(frameworks, FRAMEWORK_COLUMNS));
      },
    );
    return frameworks.map((framework) => framework.raw);
  }
}
