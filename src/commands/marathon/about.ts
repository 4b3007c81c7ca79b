import { MarathonCommand } from '../../lib/cli/marathon-command.js';
import { formatJson } from '../../lib/cli/output.js';

export default class MarathonAbout extends MarathonCommand<typeof MarathonAbout> {
  static override summary = "Show Marathon's version, leader and configuration";
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  async run() {
    const info = await (await this.marathon()).info();
    await this.render(info, () => this.log(formatJson(info)));
    return info;
  }
}
