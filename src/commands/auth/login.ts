import { DcosCommand } from '../../lib/cli/base-command.js';
import { credentialFlags, credentialsFromFlags } from '../../lib/cli/flags.js';
import { isInteractive } from '../../lib/cli/prompt.js';
import { login } from '../../lib/config/auth.js';

export default class AuthLogin extends DcosCommand<typeof AuthLogin> {
  static override summary =
    'Log in to the cluster and store the token (or basic credentials for plain Marathon)';
  static override description =
    'Asks for missing credentials only on a terminal; scripts pass them by file or environment variable.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --username alice --password-file ~/.dcos-password',
    'CI_TOKEN=... <%= config.bin %> <%= command.id %> --token-env CI_TOKEN',
  ];
  static override flags = {
    ...credentialFlags,
  };

  async run() {
    const { flags } = this;
    const credentials = await credentialsFromFlags(flags, this.env);
    const result = await login(this.store(), await this.cluster(), credentials, {
      interactive: isInteractive(),
      hooks: this.clientHooks(),
    });
    await this.render(result, () => this.log(`Logged in to ${result.cluster}.`));
    return result;
  }
}
