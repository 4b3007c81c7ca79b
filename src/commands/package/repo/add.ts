import { Args, Flags } from '@oclif/core';

import { PackageCommand } from '../../../lib/cli/package-command.js';
import { repositoryUri } from '../../../lib/packages/repositories.js';

export default class PackageRepoAdd extends PackageCommand<typeof PackageRepoAdd> {
  static override summary = 'Add a package repository';
  static override description =
    'The URI is a Universe index (http(s) URL, file:// URL or path to its JSON) or, for the client-side ' +
    'manager, a directory in Universe source layout. Repositories are searched in order; --index puts this ' +
    'one at that position (0 = first).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> my-universe https://universe.example.com/repo',
    '<%= config.bin %> <%= command.id %> local ./universe/repo --index 0',
  ];
  static override args = {
    name: Args.string({ required: true, description: 'repository name' }),
    uri: Args.string({ required: true, description: 'repository URI or path' }),
  };
  static override flags = {
    index: Flags.integer({ min: 0, description: 'position in the list (default: last)' }),
  };

  async run() {
    const manager = await this.packages();
    const uri = repositoryUri(this.args.uri, manager.kind);
    const repositories = await manager.addRepository({ name: this.args.name, uri }, this.flags.index);
    await this.render({ repositories }, () => this.log(`Added repository ${this.args.name}: ${uri}`));
    return repositories;
  }
}
