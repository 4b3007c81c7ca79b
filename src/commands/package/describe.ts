import { Args, Flags } from '@oclif/core';

import { PackageCommand } from '../../lib/cli/package-command.js';
import { describePackage, describeView } from '../../lib/packages/describe.js';

export default class PackageDescribe extends PackageCommand<typeof PackageDescribe> {
  static override summary = "Show a package's definition, options schema, versions or Marathon app";
  static override description =
    'Prints JSON. --app shows the Marathon template as written; --render (implied by --options or --app-id) ' +
    'shows the app that install would create, with the options merged into the defaults and checked.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> hello-web',
    '<%= config.bin %> <%= command.id %> hello-web --config',
    '<%= config.bin %> <%= command.id %> hello-web --render --options web.json --app-id /team/web',
    '<%= config.bin %> <%= command.id %> hello-web --package-versions',
  ];
  static override args = { name: Args.string({ required: true, description: 'package name' }) };
  static override flags = {
    'package-version': Flags.string({ description: 'this version instead of the latest' }),
    'package-versions': Flags.boolean({
      description: 'list the versions',
      exclusive: ['config', 'app', 'render'],
    }),
    config: Flags.boolean({ description: "the options' JSON schema", exclusive: ['app', 'render'] }),
    app: Flags.boolean({ description: 'the Marathon app template (mustache), unrendered' }),
    render: Flags.boolean({ description: 'the Marathon app install would create' }),
    options: Flags.string({ description: 'JSON or YAML file of options to render with' }),
    'app-id': Flags.string({ description: 'app id to render with' }),
  };

  async run() {
    const { flags } = this;
    const options = await this.readOptions(flags.options);
    const view = describeView({ ...flags, options: options !== undefined });
    const result = await describePackage(await this.packages(), {
      packageName: this.args.name,
      view,
      ...(flags['package-version'] ? { packageVersion: flags['package-version'] } : {}),
      ...(options ? { options } : {}),
      ...(flags['app-id'] ? { appId: flags['app-id'] } : {}),
    });
    await this.render(result, () =>
      this.log(typeof result === 'string' ? result : JSON.stringify(result, null, 2)),
    );
    return result;
  }
}
