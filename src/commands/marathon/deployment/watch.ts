import { Args, Flags } from '@oclif/core';

import { MarathonCommand } from '../../../lib/cli/marathon-command.js';

export default class MarathonDeploymentWatch extends MarathonCommand<typeof MarathonDeploymentWatch> {
  static override summary =
    'Follow a deployment until it finishes; exit 1 with the reason if it fails or times out';
  static override examples = ['<%= config.bin %> <%= command.id %> 2f0c1d1e-... --timeout 300'];
  static override args = { id: Args.string({ required: true, description: 'deployment id' }) };
  static override flags = {
    interval: Flags.integer({ description: 'seconds between polls of /v2/deployments', default: 1, min: 1 }),
    timeout: Flags.integer({ description: 'seconds to wait before giving up', default: 600, min: 1 }),
  };

  async run() {
    const { waitForDeployment } = await import('../../../lib/marathon/wait.js');
    const outcome = await waitForDeployment(await this.marathon(), this.args.id, {
      timeoutMs: this.flags.timeout * 1000,
      intervalMs: this.flags.interval * 1000,
      signal: this.abortController.signal,
      onProgress: ({ step, totalSteps, actions }) =>
        this.progress(`step ${step}/${totalSteps}: ${actions.join(', ') || 'waiting'}`),
    });
    const result = { deploymentId: outcome.deploymentId, seconds: Math.round(outcome.seconds * 10) / 10 };
    await this.render(result, () =>
      this.log(`Deployment ${result.deploymentId} finished in ${result.seconds}s`),
    );
    return result;
  }
}
