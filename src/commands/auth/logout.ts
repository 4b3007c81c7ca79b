import { DcosCommand } from '../../lib/cli/base-command.js';
import { logout } from '../../lib/config/auth.js';

export default class AuthLogout extends DcosCommand<typeof AuthLogout> {
  static override summary = "Forget the cluster's token and stored credentials";
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  async run() {
    const result = await logout(this.store(), await this.cluster());
    await this.render(result, () =>
      this.log(
        result.removed.length ? `Logged out of ${result.cluster}.` : `Not logged in to ${result.cluster}.`,
      ),
    );
    return result;
  }
}
