import { Args, Flags } from '@oclif/core';

import { formatTable } from '../../lib/cli/output.js';
import { PackageCommand } from '../../lib/cli/package-command.js';
import { INSTALLED_COLUMNS, installedRows } from '../../lib/packages/view.js';

export default class PackageList extends PackageCommand<typeof PackageList> {
  static override summary = 'List the installed packages and their apps';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> hello-web --json',
  ];
  static override args = { name: Args.string({ description: 'only this package' }) };
  static override flags = {
    'app-id': Flags.string({ description: 'only the package installed as this app' }),
  };

  async run() {
    const installed = await (
      await this.packages()
    ).list({
      ...(this.args.name ? { packageName: this.args.name } : {}),
      ...(this.flags['app-id'] ? { appId: this.flags['app-id'] } : {}),
    });
    await this.render(installed, async () => {
      if (installed.length === 0) {
        return this.log('There are no installed packages; install one with `dcos package install <name>`.');
      }
      this.log(await formatTable(installedRows(installed), INSTALLED_COLUMNS));
    });
    return installed;
  }
}
