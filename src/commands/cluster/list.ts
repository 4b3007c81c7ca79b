import { Flags } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import { formatTable } from '../../lib/cli/output.js';
import { noClusterError } from '../../lib/config/clusters.js';
import { listClusters, type ClusterListing } from '../../lib/config/status.js';

export default class ClusterList extends DcosCommand<typeof ClusterList> {
  static override summary = 'List the configured clusters and whether they answer';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --attached --json',
  ];
  static override flags = { attached: Flags.boolean({ description: 'show only the attached cluster' }) };

  async run(): Promise<ClusterListing[]> {
    let clusters = await this.store().list();
    if (this.flags.attached) {
      clusters = clusters.filter((cluster) => cluster.attached || clusters.length === 1);
      if (clusters.length === 0) throw noClusterError();
    }
    const listings = await listClusters(clusters, this.clientHooks());
    await this.render(listings, async () => {
      if (listings.length === 0) {
        this.log('No clusters are set up; run `dcos cluster setup <url>`.');
        return;
      }
      this.log(
        await formatTable(listings, [
          { header: '', value: (row) => (row.attached ? '*' : ' ') },
          { header: 'name', value: (row) => row.name },
          { header: 'id', value: (row) => row.cluster_id },
          { header: 'status', value: (row) => row.status },
          { header: 'version', value: (row) => row.version },
          { header: 'url', value: (row) => row.url },
        ]),
      );
    });
    return listings;
  }
}
