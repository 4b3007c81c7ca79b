import type { Command } from '@oclif/core';

import { DcosCommand } from './base-command.js';

/** Base of the commands that read the Mesos master (`dcos node|task|service ...`). */
export abstract class MesosCommand<T extends typeof Command> extends DcosCommand<T> {
  private statePromise: Promise<unknown> | undefined;

  /** The leading master's `/master/state`, fetched once per command. */
  protected async masterState(): Promise<unknown> {
    this.statePromise ??= (async () => {
      const [{ fetchMasterState }, { serviceUrl }] = await Promise.all([
        import('../mesos/tasks.js'),
        import('../config/services.js'),
      ]);
      const cluster = await this.cluster();
      return fetchMasterState(
        await this.http(),
        serviceUrl(cluster.settings, 'mesos'),
        this.abortController.signal,
      );
    })();
    return this.statePromise;
  }
}
