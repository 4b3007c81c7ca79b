import { Command, Flags, type Interfaces } from '@oclif/core';

import { ClusterStore, dcosDir, resolveCluster, type ResolvedCluster } from '../config/clusters.js';
import type { Settings } from '../config/keys.js';
import { DcosError, InterruptedError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { escapeControlCharacters } from '../text.js';
import { renderError } from './error-output.js';
import { formatJson, type JsonStyle } from './output.js';

/** For --verbose: why a stored secret is not sent (never the secret itself). */
function credentialNotice(cluster: ResolvedCluster): string {
  const { stored, effective } = cluster.urlOverride ?? { stored: '', effective: '' };
  const sent = cluster.settings['core.dcos_acs_token'] ? 'only DCOS_ACS_TOKEN is' : 'no credentials are';
  return (
    `DCOS_URL ${effective} is not the origin of cluster ${cluster.name} (${stored}): ` +
    `its stored credentials stay there; ${sent} sent to ${new URL(effective).origin}`
  );
}

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof DcosCommand)['baseFlags'] & T['flags']
>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Grace period after Ctrl-C for in-flight work to unwind before the process is ended with 130. */
const INTERRUPT_GRACE_MS = 1_000;

/**
 * Base of every `dcos` command: global flags, the resolved cluster and a ready HTTP client on demand,
 * `--json` rendering, and the single mapping of errors to stderr and exit codes.
 */
export abstract class DcosCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    cluster: Flags.string({
      description:
        'use this cluster (name or id) for this command only; default: $DCOS_CLUSTER, else the attached one',
      helpGroup: 'GLOBAL',
    }),
    json: Flags.boolean({
      description: 'print machine-readable JSON (errors as JSON on stderr)',
      helpGroup: 'GLOBAL',
    }),
    verbose: Flags.boolean({
      description: 'log HTTP requests to stderr and show stack traces on errors',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: CommandFlags<T>;
  protected args!: CommandArgs<T>;
  /** Every positional argument in order (for commands taking a variable number, `strict = false`). */
  protected positionals: string[] = [];
  /** Aborted on Ctrl-C; long-running work listens to it. */
  protected readonly abortController = new AbortController();
  /** How long Ctrl-C waits for work to unwind before ending the process (servers need longer). */
  protected interruptGraceMs = INTERRUPT_GRACE_MS;
  private clientPromise: Promise<HttpClient> | undefined;
  private clusterPromise: Promise<ResolvedCluster> | undefined;
  private readonly warned = new Set<string>();

  public override async init(): Promise<void> {
    await super.init();
    process.once('SIGINT', () => this.interrupt());
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof DcosCommand).baseFlags,
      enableJsonFlag: false,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
    this.positionals = argv.map(String);
  }

  protected get env(): NodeJS.ProcessEnv {
    return process.env;
  }

  protected get json(): boolean {
    return this.flags?.json ?? this.argv.includes('--json');
  }

  protected get verbose(): boolean {
    return this.flags?.verbose ?? this.argv.includes('--verbose');
  }

  protected store(): ClusterStore {
    return new ClusterStore(dcosDir(this.env), { warn: (message) => this.warnLine(message) });
  }

  /** The cluster this command talks to (`--cluster` > `DCOS_CLUSTER` > only one > attached). */
  protected async cluster(overrides?: Settings): Promise<ResolvedCluster> {
    if (overrides) return this.resolve(overrides);
    this.clusterPromise ??= this.resolve();
    return this.clusterPromise;
  }

  private async resolve(overrides?: Settings): Promise<ResolvedCluster> {
    const clusters = await this.store().list();
    return resolveCluster(clusters, { flag: this.flags.cluster, env: this.env, overrides });
  }

  /** HTTP client for the resolved cluster, built on first use so commands that need none stay fast. */
  protected async http(): Promise<HttpClient> {
    this.clientPromise ??= (async () => {
      const { clusterClient } = await import('../http/cluster-client.js');
      const cluster = await this.cluster();
      if (cluster.urlOverride && this.verbose) process.stderr.write(`${credentialNotice(cluster)}\n`);
      return clusterClient(cluster.settings, this.clientHooks());
    })();
    return this.clientPromise;
  }

  protected clientHooks() {
    return {
      signal: this.abortController.signal,
      userAgent: `dcos-cli/${this.config.version}`,
      // The DC/OS CLI says nothing about core.ssl_verify false; we say it with --verbose.
      warn: (message: string) => this.verboseNote(`Warning: ${message}`),
      ...(this.verbose ? { log: (line: string) => this.stderrLine(line) } : {}),
    };
  }

  /**
   * What we add to a DC/OS command's output (a confirmation, a timing, a tip): on stderr and only with --verbose,
   * since scripts rely on the DC/OS CLI's exact, often silent, output.
   */
  protected verboseNote(message: string): void {
    if (this.verbose) this.stderrLine(message);
  }

  /** A note for stderr that may carry server text (a task id, a package's notes), escaped like `log`. */
  protected stderrLine(text: string, options: { keepLineBreaks?: boolean } = {}): void {
    process.stderr.write(`${escapeControlCharacters(text, options)}\n`);
  }

  /**
   * Human output. Much of it is server text (ids, commands, notes); shown escaped, its control characters
   * cannot colour, move or clear the user's terminal. Line breaks stay: some output spans lines on purpose.
   */
  public override log(message = '', ...args: unknown[]): void {
    super.log(escapeControlCharacters(message, { keepLineBreaks: true }), ...args);
  }

  /** The DC/OS CLI's JSON layout for this command (`go` or `python`), or `ours` for commands it lacks. */
  static jsonStyle: JsonStyle = 'ours';

  protected get jsonStyle(): JsonStyle {
    return (this.constructor as typeof DcosCommand).jsonStyle;
  }

  /** Prints `data` as JSON with --json, otherwise runs the human renderer. */
  protected async render(data: unknown, human: () => Promise<void> | void): Promise<void> {
    // Straight to stdout: this.log runs a megabyte of JSON through util.format and console.
    if (this.json) process.stdout.write(`${formatJson(data, this.jsonStyle)}\n`);
    else await human();
  }

  protected warnLine(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    if (this.json) process.stderr.write(`${JSON.stringify({ warning: message })}\n`);
    else process.stderr.write(`Warning: ${escapeControlCharacters(message)}\n`);
  }

  /** Progress for humans on a terminal; silent in pipes and with --json. */
  protected progress(message: string): void {
    if (process.stderr.isTTY && !this.json) process.stderr.write(`${escapeControlCharacters(message)}\n`);
  }

  private interrupt(): void {
    this.abortController.abort(new InterruptedError());
    process.exitCode = 130;
    // Give in-flight requests a moment to unwind and report; then stop regardless.
    setTimeout(() => {
      process.stderr.write(
        this.json
          ? `${JSON.stringify({ error: { code: 'interrupted', message: 'interrupted' } })}\n`
          : 'Error: interrupted\n',
      );
      process.exit(130);
    }, this.interruptGraceMs).unref();
  }

  public override async catch(error: Error & { skipOclifErrorHandling?: boolean }): Promise<never> {
    const interrupted = this.abortController.signal.aborted;
    const rendered = renderError(
      interrupted && !(error instanceof DcosError) ? new InterruptedError() : error,
      {
        json: this.json,
        verbose: this.verbose,
        canForce: 'force' in (this.ctor.flags ?? {}),
      },
    );
    process.stderr.write(rendered.text);
    process.exitCode = rendered.exitCode;
    // oclif's top-level handler must not print the error again, only exit with our code.
    const handled = error as Error & { skipOclifErrorHandling?: boolean; oclif?: { exit: number } };
    handled.skipOclifErrorHandling = true;
    handled.oclif = { exit: rendered.exitCode };
    throw handled;
  }

  public override async finally(error: Error | undefined): Promise<unknown> {
    if (this.clientPromise) await (await this.clientPromise.catch(() => undefined))?.close();
    return super.finally(error);
  }
}
