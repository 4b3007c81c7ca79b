import { Args } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import { clusterName, findCluster } from '../../lib/config/clusters.js';

export default class ClusterAttach extends DcosCommand<typeof ClusterAttach> {
  static override summary = 'Make a cluster the one commands talk to';
  static override examples = ['<%= config.bin %> <%= command.id %> prod'];
  static override args = {
    cluster: Args.string({ required: true, description: 'cluster name, id or unique id prefix' }),
  };

  async run(): Promise<{ name: string; cluster_id: string }> {
    const store = this.store();
    const cluster = findCluster(await store.list(), this.args.cluster);
    if (cluster.problem) throw cluster.problem;
    await store.attach(cluster.id);
    const result = { name: clusterName(cluster), cluster_id: cluster.id };
    await this.render(result, () => this.log(`Attached cluster ${result.name}.`));
    return result;
  }
}
