import { DcosError, UsageError } from '../errors.js';
import { normalizeId, type ChangeOptions, type DeploymentResult, type MarathonClient } from './client.js';
import { APP_RESPONSE_FIELDS, type MarathonApp, type MarathonTask } from './types.js';
import { isRecord } from '../json.js';
import type { ValidateOptions } from './schema.js';

/** What `app show` prints but an app definition does not contain. */
const RUNTIME_FIELDS = [...APP_RESPONSE_FIELDS, 'version', 'versionInfo'];

export function definitionOf(app: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(app).filter(([key]) => !RUNTIME_FIELDS.includes(key)));
}

export interface DryRun {
  dryRun: true;
  id: string;
  exists: boolean;
  changes: string[];
  diff: string[];
}

/**
 * Checks an app definition before anything is sent: an object with an id, and valid against Marathon's
 * JSON schema (every bad field listed). Marathon's own 422 still has the last word.
 */
export async function checkAppDefinition(value: unknown, origin: string): Promise<Record<string, unknown>> {
  if (!isRecord(value)) throw new UsageError(`${origin} must hold one JSON object (an app definition)`);
  if (typeof value.id !== 'string' || value.id.trim() === '') {
    throw new UsageError(`${origin}: the application ID must be set ("id")`, { code: 'invalid' });
  }
  await refuseSchemaProblems('app', value, {}, `${origin} is not a valid app definition`);
  return value;
}

/**
 * Checks the fields of an `app update` before anything is sent: each given field against Marathon's schema
 * (unknown fields, wrong types), without asking for the ones a partial update leaves out.
 */
export async function checkAppPatch(
  patch: Record<string, unknown>,
  id: string,
): Promise<Record<string, unknown>> {
  await refuseSchemaProblems('app', patch, { partial: true }, `invalid update of ${normalizeId(id)}`);
  return patch;
}

async function dryRun(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  id: string,
  exists: boolean,
): Promise<DryRun> {
  const { describeChanges, diffDefinitions } = await import('./diff.js');
  return {
    dryRun: true,
    id,
    exists,
    changes: describeChanges(before, after),
    diff: diffDefinitions(before, after),
  };
}

/** `app add`: refuses an existing id (Marathon would 409; the message points at `app update`). */
export async function addApp(
  client: MarathonClient,
  definition: Record<string, unknown>,
  options: { dryRun?: boolean } = {},
): Promise<DeploymentResult | DryRun> {
  const id = normalizeId(String(definition.id));
  if (await client.findApp(id)) {
    throw new DcosError(
      `application ${id} already exists; change it with \`dcos marathon app update ${id}\``,
      {
        code: 'app_exists',
      },
    );
  }
  if (options.dryRun) return dryRun({}, { ...definition, id }, id, false);
  return client.createApp(definition);
}

/**
 * `app update`: a partial update (top-level fields replace the app's), checked against the schema first, or a
 * preview of it with `dryRun`.
 */
export async function updateApp(
  client: MarathonClient,
  id: string,
  patch: Record<string, unknown>,
  options: ChangeOptions & { dryRun?: boolean } = {},
): Promise<DeploymentResult | DryRun> {
  await checkAppPatch(patch, id);
  const current = await client.getApp(id);
  if (options.dryRun) {
    const before = definitionOf(current);
    return dryRun(before, { ...before, ...patch, id: current.id }, current.id, true);
  }
  return client.updateApp(current.id, patch, options);
}

/** `app show --app-version`: an ISO timestamp, or `-N` for N versions back. */
export async function showApp(client: MarathonClient, id: string, version?: string): Promise<MarathonApp> {
  if (version === undefined) return client.getApp(id);
  if (/^[+-]?\d+$/.test(version)) {
    const back = Number(version);
    if (back >= 0) throw new UsageError(`relative versions must be negative: ${version}`);
    const versions = await client.appVersions(id);
    const wanted = versions[-back];
    if (!wanted) {
      throw new DcosError(`application ${normalizeId(id)} only has ${versions.length} version(s)`, {
        code: 'not_found',
      });
    }
    return client.appVersion(id, wanted);
  }
  if (Number.isNaN(Date.parse(version))) {
    throw new UsageError(`invalid version '${version}': expecting an ISO-8601 timestamp or -N`);
  }
  return client.appVersion(id, version);
}

export async function listVersions(client: MarathonClient, id: string, maxCount?: number): Promise<string[]> {
  if (maxCount !== undefined && maxCount <= 0) throw new UsageError('--max-count must be a positive number');
  const versions = await client.appVersions(id);
  return maxCount === undefined ? versions : versions.slice(0, maxCount);
}

/**
 * Task ids match exactly; a prefix only when it names one task (DC/OS CLI users were bitten by fuzzy
 * matching killing the wrong tasks). Ambiguous or unknown ids are errors listing the candidates.
 */
export function resolveTaskIds(tasks: MarathonTask[], wanted: string[]): MarathonTask[] {
  return wanted.map((id) => {
    const exact = tasks.find((task) => task.id === id);
    if (exact) return exact;
    const matches = tasks.filter((task) => task.id.startsWith(id));
    if (matches.length === 1) return matches[0] as MarathonTask;
    if (matches.length > 1) {
      throw new UsageError(
        `task id '${id}' matches ${matches.length} tasks: ${matches.map((task) => task.id).join(', ')}; give more of the id`,
        { code: 'ambiguous_task', details: { candidates: matches.map((task) => task.id) } },
      );
    }
    throw new DcosError(`no task '${id}'; \`dcos marathon task list\` shows the tasks`, {
      code: 'not_found',
    });
  });
}

/** A group body: an object, checked against Marathon's group schema before anything is sent. */
export async function checkGroupDefinition(value: unknown, origin: string): Promise<Record<string, unknown>> {
  if (!isRecord(value)) throw new UsageError(`${origin} must hold one JSON object (a group definition)`);
  await refuseSchemaProblems('group', value, {}, `${origin} is not a valid group definition`);
  return value;
}

/** `group update`: each given field against Marathon's group schema; a partial update needs no id. */
export async function checkGroupPatch(
  patch: Record<string, unknown>,
  id: string,
): Promise<Record<string, unknown>> {
  await refuseSchemaProblems('group', patch, { partial: true }, `invalid update of group ${normalizeId(id)}`);
  return patch;
}

async function refuseSchemaProblems(
  kind: 'app' | 'group',
  value: unknown,
  options: ValidateOptions,
  what: string,
): Promise<void> {
  const { validateAppDefinition, validateGroupDefinition } = await import('./schema.js');
  const problems = (kind === 'app' ? validateAppDefinition : validateGroupDefinition)(value, options);
  if (problems.length === 0) return;
  throw new UsageError(`${what}: ${problems.map((p) => `${p.path || '/'}: ${p.message}`).join('; ')}`, {
    code: 'invalid',
    details: { fields: problems },
  });
}
