import { Args, Flags } from '@oclif/core';

import { PackageCommand } from '../../lib/cli/package-command.js';
import { uninstallPackage } from '../../lib/packages/uninstall.js';

export default class PackageUninstall extends PackageCommand<typeof PackageUninstall> {
  static override summary = "Uninstall a package's apps";
  static override description =
    'Removes the Marathon app(s) installed from the package. With several installs, name one with --app-id ' +
    'or take them all with --all. Asks first on a terminal; without one, --yes is required.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> hello-web --yes',
    '<%= config.bin %> <%= command.id %> hello-web --app-id /team/web',
  ];
  static override args = { name: Args.string({ required: true, description: 'package name' }) };
  static override flags = {
    'app-id': Flags.string({ description: 'only the install with this app id', exclusive: ['all'] }),
    all: Flags.boolean({ description: 'every app installed from the package' }),
    yes: Flags.boolean({ description: 'do not ask for confirmation' }),
  };

  async run() {
    const { flags } = this;
    const conversation = await this.conversation();
    const results = await uninstallPackage(
      await this.packages(),
      {
        packageName: this.args.name,
        all: flags.all,
        yes: flags.yes,
        ...(flags['app-id'] ? { appId: flags['app-id'] } : {}),
      },
      conversation,
    );
    await this.render(results, () => {
      for (const result of results) {
        const version = result.packageVersion ? ` version [${result.packageVersion}]` : '';
        this.log(`Uninstalled package [${result.packageName}]${version} (app ${result.appId})`);
        if (result.postUninstallNotes) conversation.note(result.postUninstallNotes.trim());
      }
    });
    return results;
  }
}
