/**
 * Every failure the CLI reports on purpose is a DcosError: a one-line message a user can act on, a stable
 * machine-readable code for `--json`, the exit code, and optional details (field errors, deployment ids).
 */
export interface DcosErrorOptions {
  code?: string;
  exitCode?: number;
  details?: unknown;
  /** Low-level detail (e.g. the TLS library's reason) shown only with --verbose. */
  debug?: string;
  cause?: unknown;
  /** Appended to the message only where the command takes --force: a read-only command cannot act on it. */
  forceHint?: string;
}

export class DcosError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly details: unknown;
  readonly debug: string | undefined;
  readonly forceHint: string | undefined;
  /** Lines of our own printed after the `Error:` line, as the DC/OS CLI prints some errors over two lines. */
  readonly moreLines: string[] = [];

  constructor(message: string, options: DcosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DcosError';
    this.code = options.code ?? 'failed';
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details;
    this.debug = options.debug;
    this.forceHint = options.forceHint;
  }
}

/** Wrong arguments, flags or input shape. Exit code 1 like every failure, as the DC/OS CLI exits. */
export class UsageError extends DcosError {
  constructor(message: string, options: Omit<DcosErrorOptions, 'exitCode'> = {}) {
    super(message, { code: 'usage', ...options, exitCode: 1 });
    this.name = 'UsageError';
  }
}

export class ConfigError extends DcosError {
  constructor(message: string, options: DcosErrorOptions = {}) {
    super(message, { code: 'config', ...options });
    this.name = 'ConfigError';
  }
}

export class InterruptedError extends DcosError {
  constructor() {
    super('interrupted', { code: 'interrupted', exitCode: 130 });
    this.name = 'InterruptedError';
  }
}
