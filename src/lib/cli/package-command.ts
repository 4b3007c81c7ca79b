import { resolve } from 'node:path';

import type { Command } from '@oclif/core';

import { DcosError, UsageError } from '../errors.js';
import { isRecord } from '../json.js';
import type { InstallConversation } from '../packages/install.js';
import type { PackageManager } from '../packages/types.js';
import { DcosCommand } from './base-command.js';
import { isInteractive } from './prompt.js';

/**
 * Base of `dcos package ...`: the package manager for the cluster (its Cosmos, or the client-side manager
 * over the configured repositories), offline when no cluster is attached.
 */
export abstract class PackageCommand<T extends typeof Command> extends DcosCommand<T> {
  private managerPromise: Promise<PackageManager> | undefined;

  protected async packages(): Promise<PackageManager> {
    this.managerPromise ??= (async () => {
      const [{ openPackageManager, packageBackend }, { dcosDir }] = await Promise.all([
        import('../packages/manager.js'),
        import('../config/clusters.js'),
      ]);
      const cluster = await this.cluster().catch((error: unknown) => {
        if (error instanceof DcosError && error.code === 'no_cluster') return undefined;
        throw error;
      });
      const backend = packageBackend(cluster?.settings);
      const manager = await openPackageManager({
        backend,
        ...(cluster ? { http: await this.http() } : {}),
        plainHttp: async () => {
          const { HttpClient } = await import('../http/client.js');
          return new HttpClient({ baseUrl: 'http://localhost', ...this.clientHooks() });
        },
        dcosDir: dcosDir(this.env),
      });
      if (this.verbose) {
        const where = backend.kind === 'cosmos' ? `Cosmos at ${backend.url}` : 'the configured repositories';
        process.stderr.write(`packages: ${where}${cluster ? '' : ' (no cluster attached)'}\n`);
      }
      return manager;
    })();
    return this.managerPromise;
  }

  /** `--options FILE`: a JSON (or YAML) object, read with line and column on errors. */
  protected async readOptions(path: string | undefined): Promise<Record<string, unknown> | undefined> {
    if (path === undefined) return undefined;
    const { readDefinition } = await import('../marathon/input.js');
    const { value, origin } = await readDefinition(path, {
      stdin: process.stdin,
      what: 'options',
      usage: 'dcos package install <name> --options - < options.json',
    });
    if (!isRecord(value)) throw new UsageError(`${origin} must hold one JSON object of package options`);
    return value;
  }

  /** The install's questions and notes: asked on a terminal, absent in pipes (where --yes decides). */
  protected async conversation(): Promise<InstallConversation> {
    // Package notes span lines on purpose; what else a server put in them must not act on the terminal.
    const note = (text: string) => this.stderrLine(text, { keepLineBreaks: true });
    if (!this.interactive) return { note: this.json ? () => {} : note };
    const [{ askOptions, inquirerAsker }, { confirmPrompt }, { writeOutputFile }] = await Promise.all([
      import('../packages/prompt.js'),
      import('./prompt.js'),
      import('../fs-atomic.js'),
    ]);
    const asker = await inquirerAsker();
    return {
      note,
      askOptions: (schema, defaults) => askOptions(schema, asker, { initial: defaults }),
      confirm: confirmPrompt,
      askSavePath: async () => {
        if (!(await asker.confirm({ message: 'Save these options to a file?', default: false })))
          return undefined;
        return (await asker.text({ message: 'Options file', default: 'options.json' })) || undefined;
      },
      saveOptions: (path, options) =>
        writeOutputFile(resolve(path), `${JSON.stringify(options, null, 2)}\n`, 0o644),
    };
  }

  /** Questions need a terminal; in pipes and with --json the answer has to come from flags (--yes). */
  protected get interactive(): boolean {
    return isInteractive() && !this.json;
  }
}
