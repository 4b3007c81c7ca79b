import { DcosError, UsageError } from '../errors.js';
import type { OptionProblem } from './types.js';

/** What to do next, per Cosmos error type (the DC/OS CLI's friendly suffixes). */
const HINTS: Record<string, string> = {
  PackageNotFound: "find the correct package name with 'dcos package search'",
  VersionNotFound: "see the available versions with 'dcos package describe <name> --package-versions'",
  PackageNotInstalled: "see what is installed with 'dcos package list'",
  PackageAlreadyInstalled: 'choose another name with --app-id',
  AmbiguousAppId: 'name one with --app-id, or use --all',
  RepositoryAlreadyPresent: "see the configured repositories with 'dcos package repo list'",
  RepositoryNotPresent: "see the configured repositories with 'dcos package repo list'",
  MultipleFrameworkIds: "shut them down with 'dcos service shutdown'",
};

/**
 * A failure a package manager reports in Cosmos's terms (`{type, message, data}`), whether a cluster's Cosmos
 * sent it or the client-side manager raised it: the same type, message and exit code either way.
 */
export class CosmosError extends DcosError {
  readonly type: string;
  readonly data: unknown;

  constructor(type: string, message: string, data?: unknown, status?: number) {
    const hint = HINTS[type];
    super(hint && !message.includes(hint) ? `${message}; ${hint}` : message, {
      code: `cosmos_${type}`,
      details: { type, message, ...(data === undefined ? {} : { data }), ...(status ? { status } : {}) },
    });
    this.name = 'CosmosError';
    this.type = type;
    this.data = data;
  }
}

/**
 * Options that do not fit the package's config schema: every field with its reason, nothing installed.
 * A usage error whichever manager found it, since the fix is in the user's options file or answers.
 */
export function invalidOptionsError(packageName: string, problems: readonly OptionProblem[]): UsageError {
  const listed = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return new UsageError(`options for ${packageName} are invalid: ${listed}`, {
    code: 'invalid_options',
    details: { errors: problems },
  });
}

/** The error codes of a repository that cannot be read, fetched or used (universe.ts, repository-files.ts). */
export const REPOSITORY_FAILURES: ReadonlySet<string> = new Set([
  'invalid_repository',
  'repository_not_found',
  'repository_unreadable',
  'repository_unavailable',
  'unsupported_repository_uri',
]);
