import { MarathonCommand } from '../../../lib/cli/marathon-command.js';
import { formatTable } from '../../../lib/cli/output.js';
import { GROUP_COLUMNS, groupRows } from '../../../lib/marathon/render.js';

export default class MarathonGroupList extends MarathonCommand<typeof MarathonGroupList> {
  static override summary = 'List groups with the number of apps in each';
  static override description =
    "With --json: the root group's top-level groups exactly as Marathon returns them (sub-groups nested).";
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  async run() {
    const root = await (await this.marathon()).getGroup('/');
    await this.render(root.groups, async () => this.log(await formatTable(groupRows(root), GROUP_COLUMNS)));
    return root.groups;
  }
}
