import { Args, Flags } from '@oclif/core';

import { PackageCommand } from '../../lib/cli/package-command.js';
import { installPackage } from '../../lib/packages/install.js';

export default class PackageInstall extends PackageCommand<typeof PackageInstall> {
  static override summary = 'Install a package as a Marathon app';
  static override description =
    "On a terminal, without --options or --yes, asks for the options from the package's schema (defaults " +
    'offered) and can save the answers as an options file. The options are checked against the schema ' +
    'before anything is installed. Without a terminal, --yes is required.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> hello-web',
    '<%= config.bin %> <%= command.id %> hello-web --options web.json --app-id /team/web --yes',
  ];
  static override args = { name: Args.string({ required: true, description: 'package name' }) };
  static override flags = {
    options: Flags.string({ description: 'JSON or YAML file of options (merged into the defaults)' }),
    'package-version': Flags.string({ description: 'this version instead of the latest' }),
    'app-id': Flags.string({ description: 'install under this Marathon app id' }),
    yes: Flags.boolean({ description: 'do not ask: use --options (or the defaults) and install' }),
  };

  async run() {
    const { flags } = this;
    const options = await this.readOptions(flags.options);
    const result = await installPackage(
      await this.packages(),
      {
        packageName: this.args.name,
        yes: flags.yes,
        ...(options ? { options } : {}),
        ...(flags['package-version'] ? { packageVersion: flags['package-version'] } : {}),
        ...(flags['app-id'] ? { appId: flags['app-id'] } : {}),
      },
      await this.conversation(),
    );
    await this.render(result, () => {
      const where = result.appId ? ` as app ${result.appId}` : '';
      this.log(`Installed package ${result.packageName} version ${result.packageVersion}${where}`);
      if (result.savedOptions) this.log(`Options saved to ${result.savedOptions}`);
      if (result.postInstallNotes) this.log(result.postInstallNotes.trim());
    });
    return result;
  }
}
