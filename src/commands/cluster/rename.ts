import { Args } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import { clusterName, findCluster } from '../../lib/config/clusters.js';
import { parseSetting } from '../../lib/config/keys.js';
import { ConfigError } from '../../lib/errors.js';

export default class ClusterRename extends DcosCommand<typeof ClusterRename> {
  static override summary = 'Rename a cluster';
  static override examples = ['<%= config.bin %> <%= command.id %> 10.0.0.5:8080 lab'];
  static override args = {
    cluster: Args.string({ required: true, description: 'current name, id or unique id prefix' }),
    name: Args.string({ required: true, description: 'new name' }),
  };

  async run(): Promise<{ cluster_id: string; name: string }> {
    const store = this.store();
    const clusters = await store.list();
    const cluster = findCluster(clusters, this.args.cluster);
    if (cluster.problem) throw cluster.problem;
    const name = String(parseSetting('cluster.name', this.args.name));
    const clash = clusters.find((other) => other.id !== cluster.id && clusterName(other) === name);
    if (clash)
      throw new ConfigError(`a cluster named "${name}" already exists (${clash.id})`, { code: 'name_taken' });
    await store.update(cluster.id, (current) => ({ ...current, 'cluster.name': name }));
    const result = { cluster_id: cluster.id, name };
    await this.render(result, () => this.log(`Renamed ${clusterName(cluster)} to ${name}.`));
    return result;
  }
}
