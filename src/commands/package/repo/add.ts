import { resolve } from 'node:path';

import { Args, Flags } from '@oclif/core';

import { PackageCommand } from '../../../lib/cli/package-command.js';

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
    // A relative path means the caller's directory; the client-side manager may read it from anywhere later.
    const uri = manager.kind === 'client' ? absoluteIfPath(this.args.uri) : this.args.uri;
    const repositories = await manager.addRepository({ name: this.args.name, uri }, this.flags.index);
    await this.render({ repositories }, () => this.log(`Added repository ${this.args.name}: ${uri}`));
    return repositories;
  }
}

function absoluteIfPath(uri: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : resolve(uri);
}
