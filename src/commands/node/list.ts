import { Flags } from '@oclif/core';

import { MesosCommand } from '../../lib/cli/mesos-command.js';
import { formatTable } from '../../lib/cli/output.js';
import { listNodes, nodeColumns } from '../../lib/mesos/cluster.js';

export default class NodeList extends MesosCommand<typeof NodeList> {
  static override summary = 'List the leading master and the agents of the cluster';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --field attributes.rack --field resources.cpus',
  ];
  static override flags = {
    field: Flags.string({
      description: 'add a column: a dotted path into the agent object (e.g. attributes.rack)',
      multiple: true,
    }),
  };

  async run() {
    const nodes = listNodes(await this.masterState());
    await this.render(
      nodes.map((node) => node.raw),
      async () => {
        if (nodes.length === 0) return this.log('No nodes.');
        this.log(await formatTable(nodes, nodeColumns(this.flags.field ?? [])));
      },
    );
    return nodes.map((node) => node.raw);
  }
}
