import { Args } from '@oclif/core';

import { formatTable } from '../../lib/cli/output.js';
import { PackageCommand } from '../../lib/cli/package-command.js';
import { SEARCH_COLUMNS } from '../../lib/packages/view.js';

export default class PackageSearch extends PackageCommand<typeof PackageSearch> {
  static override summary = 'Search the package repositories';
  static override description =
    'Without a query every package is listed. A query with * is a wildcard pattern (case-sensitive); ' +
    'otherwise it matches part of a name, description or tag, ignoring case.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    "<%= config.bin %> <%= command.id %> 'hello*'",
  ];
  static override args = { query: Args.string({ description: 'text or wildcard pattern to look for' }) };

  async run() {
    const packages = await (await this.packages()).search(this.args.query);
    await this.render({ packages }, async () => {
      if (packages.length === 0) return this.log('No packages found.');
      this.log(await formatTable(packages, SEARCH_COLUMNS));
    });
    return packages;
  }
}
