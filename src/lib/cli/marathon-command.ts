import type { Command } from '@oclif/core';

import type { DryRun } from '../marathon/apps.js';
import type { DeploymentResult, MarathonClient } from '../marathon/client.js';
import { escapeControlCharacters } from '../text.js';
import { DcosCommand } from './base-command.js';

/** Base of `dcos marathon ...`: a Marathon client for the cluster and the shared `--wait` behaviour. */
export abstract class MarathonCommand<T extends typeof Command> extends DcosCommand<T> {
  private client: Promise<MarathonClient> | undefined;

  protected async marathon(): Promise<MarathonClient> {
    this.client ??= (async () => {
      const [{ MarathonClient }, { serviceUrl }] = await Promise.all([
        import('../marathon/client.js'),
        import('../config/services.js'),
      ]);
      const cluster = await this.cluster();
      return new MarathonClient(await this.http(), serviceUrl(cluster.settings, 'marathon'));
    })();
    return this.client;
  }

  /**
   * After a change: prints `Created deployment <id>`, or with --wait follows it to the end (progress on a
   * terminal) and fails with the reason when it cannot finish.
   */
  protected async deployed(
    result: DeploymentResult,
    flags: { wait?: boolean; timeout?: number },
  ): Promise<DeploymentResult & { seconds?: number }> {
    if (!flags.wait) {
      await this.render(result, () =>
        this.log(`Created deployment ${escapeControlCharacters(result.deploymentId)}`),
      );
      return result;
    }
    const { waitForDeployment } = await import('../marathon/wait.js');
    this.progress(`Deployment ${result.deploymentId} started`);
    const outcome = await waitForDeployment(await this.marathon(), result.deploymentId, {
      timeoutMs: (flags.timeout ?? 600) * 1000,
      signal: this.abortController.signal,
      onProgress: ({ step, totalSteps, actions }) =>
        this.progress(`  step ${step}/${totalSteps}: ${actions.join(', ') || 'waiting'}`),
    });
    const done = { ...result, seconds: Math.round(outcome.seconds * 10) / 10 };
    await this.render(done, () => this.log(`Deployment ${result.deploymentId} finished in ${done.seconds}s`));
    return done;
  }

  /** A change that was only previewed (`--dry-run`) or actually started (then as `deployed`). */
  protected async changed(
    result: DeploymentResult | DryRun,
    flags: { wait?: boolean; timeout?: number },
  ): Promise<unknown> {
    if (!('dryRun' in result)) return this.deployed(result, flags);
    await this.render(result, () => {
      this.log(`${result.exists ? 'Would change' : 'Would create'} ${result.id} (dry run, nothing sent):`);
      for (const line of result.changes) this.log(`  ${line}`);
      if (result.diff.length > 0) this.log(`\n${result.diff.join('\n')}`);
    });
    return result;
  }

  /** Reads an app or group definition from a file, URL or stdin; fetches go through the cluster's client. */
  protected async readDefinition(source: string | undefined, what: string) {
    const { readDefinition } = await import('../marathon/input.js');
    return readDefinition(source, {
      stdin: process.stdin,
      what,
      fetchUrl: async (url) => {
        const response = await (
          await this.http()
        ).request<string>('GET', url, {
          acceptStatus: () => true,
          headers: { accept: 'application/json, application/yaml, text/plain, */*' },
          expect: 'text',
        });
        return { status: response.status, body: response.data };
      },
    });
  }
}
