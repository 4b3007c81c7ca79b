import { DcosCommand } from '../../lib/cli/base-command.js';
import { formatTable } from '../../lib/cli/output.js';
import { describeKeys } from '../../lib/config/settings-ops.js';

export default class ConfigKeys extends DcosCommand<typeof ConfigKeys> {
  static override summary = 'List the settings that can be set, with their environment overrides';
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  async run() {
    const keys = describeKeys();
    await this.render(keys, async () => {
      this.log(
        await formatTable(keys, [
          { header: 'key', value: (row) => row.key },
          { header: 'env', value: (row) => row.env },
          { header: 'description', value: (row) => row.description },
        ]),
      );
    });
    return keys;
  }
}
