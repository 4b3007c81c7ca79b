import { MarathonCommand } from '../../lib/cli/marathon-command.js';

export default class MarathonPing extends MarathonCommand<typeof MarathonPing> {
  static override summary = 'Check that Marathon answers';
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  async run() {
    const started = Date.now();
    const reply = await (await this.marathon()).ping();
    const result = { response: reply, ms: Date.now() - started };
    await this.render(result, () => this.log(`Marathon ping response: "${reply}" (${result.ms} ms)`));
    return result;
  }
}
