import { DcosCommand } from '../../lib/cli/base-command.js';
import { localDirFlag } from '../../lib/cli/flags.js';
import { dcosDir } from '../../lib/config/clusters.js';
import { localDir, stopDaemon } from '../../lib/local/control.js';

export default class LocalStop extends DcosCommand<typeof LocalStop> {
  static override summary = 'Stop the local cluster and every task it runs';
  static override examples = ['<%= config.bin %> <%= command.id %>'];
  static override flags = { ...localDirFlag };

  async run() {
    this.progress('Stopping dcos local ...');
    const result = await stopDaemon(localDir(this.flags.dir, dcosDir(this.env)));
    await this.render(result, () =>
      this.log(result.stopped ? 'dcos local stopped.' : 'dcos local was not running.'),
    );
    return result;
  }
}
