import { DcosCommand } from '../../lib/cli/base-command.js';
import { localDirFlag } from '../../lib/cli/flags.js';
import { dcosDir } from '../../lib/config/clusters.js';
import { localDir, resetLocal } from '../../lib/local/control.js';

export default class LocalReset extends DcosCommand<typeof LocalReset> {
  static override summary = 'Stop the local cluster and delete all its apps, tasks and state';
  static override examples = ['<%= config.bin %> <%= command.id %>'];
  static override flags = { ...localDirFlag };

  async run() {
    const dir = localDir(this.flags.dir, dcosDir(this.env));
    const result = { dir, ...(await resetLocal(dir, this.store())) };
    await this.render(result, () => this.log(`dcos local stopped and its state in ${dir} deleted.`));
    return result;
  }
}
