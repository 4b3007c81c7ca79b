import { PackageCommand } from '../../../lib/cli/package-command.js';
import { repositoryLines } from '../../../lib/packages/view.js';

export default class PackageRepoList extends PackageCommand<typeof PackageRepoList> {
  static override summary = 'List the package repositories, in the order they are searched';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];

  async run() {
    const repositories = await (await this.packages()).repositories();
    await this.render({ repositories }, () => {
      if (repositories.length === 0) {
        return this.log(
          'There are no package repositories; add one with `dcos package repo add <name> <uri>`.',
        );
      }
      for (const line of repositoryLines(repositories)) this.log(line);
    });
    return repositories;
  }
}
