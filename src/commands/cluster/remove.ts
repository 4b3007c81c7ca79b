import { Args, Flags } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import { clusterName, findCluster } from '../../lib/config/clusters.js';
import { UsageError } from '../../lib/errors.js';

export default class ClusterRemove extends DcosCommand<typeof ClusterRemove> {
  static override summary = 'Forget a cluster (its config directory is deleted)';
  static override examples = [
    '<%= config.bin %> <%= command.id %> lab',
    '<%= config.bin %> <%= command.id %> --all',
  ];
  static override args = {
    cluster: Args.string({ description: 'cluster name, id or unique id prefix', ignoreStdin: true }),
  };
  static override flags = { all: Flags.boolean({ description: 'remove every cluster' }) };

  async run(): Promise<{ removed: string[] }> {
    if (Boolean(this.args.cluster) === Boolean(this.flags.all))
      throw new UsageError('name one cluster, or pass --all');
    const store = this.store();
    const clusters = await store.list();
    const doomed = this.flags.all ? clusters : [findCluster(clusters, this.args.cluster as string)];
    for (const cluster of doomed) await store.remove(cluster.id);
    const result = { removed: doomed.map(clusterName) };
    await this.render(result, () =>
      this.log(result.removed.length ? `Removed ${result.removed.join(', ')}.` : 'No clusters to remove.'),
    );
    return result;
  }
}
