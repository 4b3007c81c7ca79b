import { DcosCommand } from '../../lib/cli/base-command.js';
import { localDirFlag } from '../../lib/cli/flags.js';
import { dcosDir } from '../../lib/config/clusters.js';
import { localDir, localStatus } from '../../lib/local/control.js';

export default class LocalStatus extends DcosCommand<typeof LocalStatus> {
  static override summary = 'Show whether the local cluster runs, where, and what it runs';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...localDirFlag };

  async run() {
    const dir = localDir(this.flags.dir, dcosDir(this.env));
    const status = await localStatus(dir);
    await this.render(status, () => {
      if (!status.running) return this.log(`dcos local is not running (state in ${status.dir}).`);
      this.log(
        `dcos local is running at ${status.url} (pid ${status.pid}, ${status.agents} agents, since ${status.startedAt}).`,
      );
      if (status.auth === false)
        this.log('Authentication is off (--no-auth): anyone who reaches the port gets in.');
      if (status.apps !== undefined) {
        this.log(
          `${status.apps} apps, ${status.tasks} tasks, ${status.deployments} deployments in progress.`,
        );
      }
    });
    return status;
  }
}
