import { Args } from '@oclif/core';

import { PackageCommand } from '../../../lib/cli/package-command.js';

export default class PackageRepoRemove extends PackageCommand<typeof PackageRepoRemove> {
  static override summary = 'Remove package repositories by name';
  static override examples = ['<%= config.bin %> <%= command.id %> my-universe'];
  static override strict = false;
  static override args = {
    name: Args.string({ required: true, description: 'repository name (one or more)' }),
  };

  async run() {
    const manager = await this.packages();
    let repositories = await manager.repositories();
    for (const name of this.positionals) repositories = await manager.removeRepository(name);
    await this.render({ repositories }, () => {
      for (const name of this.positionals) this.log(`Removed repository ${name}`);
    });
    return repositories;
  }
}
