import { Flags } from '@oclif/core';

import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { formatTable } from '../../../lib/cli/output.js';
import { APP_COLUMNS, appRows } from '../../../lib/marathon/render.js';
import { escapeControlCharacters } from '../../../lib/text.js';

export default class MarathonAppList extends MarathonCommand<typeof MarathonAppList> {
  static override summary = 'List the apps with their tasks, health and deployments';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --quiet',
  ];
  static override flags = { quiet: Flags.boolean({ char: 'q', description: 'print only the app ids' }) };

  async run() {
    const marathon = await this.marathon();
    // The JSON is the app definitions alone; deployments and the queue only feed the table's columns.
    const table = !this.json && !this.flags.quiet;
    const [apps, deployments, queue] = await Promise.all([
      marathon.listApps(),
      table ? marathon.listDeployments() : [],
      table ? marathon.queue() : [],
    ]);
    await this.render(apps, async () => {
      if (this.flags.quiet) return apps.forEach((app) => this.log(escapeControlCharacters(app.id)));
      if (apps.length === 0) return this.log('No apps.');
      this.log(await formatTable(appRows(apps, deployments, queue), APP_COLUMNS));
    });
    return apps;
  }
}
