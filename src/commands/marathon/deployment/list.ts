import { Args, Flags } from '@oclif/core';

import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { formatTable } from '../../../lib/cli/output.js';
import { normalizeId } from '../../../lib/marathon/client.js';
import { DEPLOYMENT_COLUMNS } from '../../../lib/marathon/render.js';
import { escapeControlCharacters } from '../../../lib/text.js';

export default class MarathonDeploymentList extends MarathonCommand<typeof MarathonDeploymentList> {
  static override summary = 'List deployments in progress (optionally of one app)';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> /shell --json',
  ];
  static override args = {
    id: Args.string({
      description: 'only deployments affecting this app or pod',
      ignoreStdin: true,
    }),
  };
  static override flags = {
    quiet: Flags.boolean({ char: 'q', description: 'print only the deployment ids' }),
  };

  async run() {
    const all = await (await this.marathon()).listDeployments();
    const id = this.args.id ? normalizeId(this.args.id) : undefined;
    const deployments = id
      ? all.filter((d) => d.affectedApps.includes(id) || (d.affectedPods ?? []).includes(id))
      : all;
    await this.render(deployments, async () => {
      if (this.flags.quiet) return deployments.forEach((d) => this.log(escapeControlCharacters(d.id)));
      if (deployments.length === 0) return this.log(id ? `No deployments for ${id}.` : 'No deployments.');
      this.log(await formatTable(deployments, DEPLOYMENT_COLUMNS));
    });
    return deployments;
  }
}
