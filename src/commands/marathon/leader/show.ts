import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { formatTable } from '../../../lib/cli/output.js';

export default class MarathonLeaderShow extends MarathonCommand<typeof MarathonLeaderShow> {
  static override summary = 'Show which Marathon instance leads';
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  async run() {
    const { leader } = await (await this.marathon()).leader();
    const [host, port] = leader.split(':');
    const result = { leader, host, port: Number(port) };
    await this.render(result, async () =>
      this.log(
        await formatTable(
          [result],
          [
            { header: 'host', value: (row) => row.host },
            { header: 'port', value: (row) => row.port },
          ],
        ),
      ),
    );
    return result;
  }
}
