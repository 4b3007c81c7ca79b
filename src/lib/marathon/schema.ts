/**
 * Client-side check of app and group definitions against Marathon's own JSON schemas (draft-04, validated with
 * Ajv), so that every bad field is listed at once before anything is sent to the cluster.
 *
 * Ajv and the compiled validators are loaded on the first call only: commands that never validate pay nothing.
 */

import type { ErrorObject, SchemaObject, ValidateFunction } from 'ajv-draft-04';

import { draft04Ajv, type Draft04Ajv } from '../json-schema.js';
import appSchemaFile from './schema/AppDefinition.json' with { type: 'json' };
import groupSchemaFile from './schema/Group.json' with { type: 'json' };
import { APP_RESPONSE_FIELDS } from './types.js';
import { editDistance } from '../text.js';

export interface SchemaProblem {
  /** JSON pointer to the field, e.g. `/cpus`, `/healthChecks/0/portIndex`; `/` for the document itself. */
  path: string;
  message: string;
}

export interface ValidateOptions {
  /** A partial document (an `app update` body): missing required fields are not reported. */
  partial?: boolean;
}

/** Fields Marathon adds to an app when it reports it (`app show`); they are not part of a definition. */
export const READ_ONLY_APP_FIELDS = APP_RESPONSE_FIELDS;

const GROUP_SCHEMA_ID = (groupSchemaFile as { id: string }).id;
/** Group.json refers to `./AppDefinition.json`, resolved against its own id. */
const APP_SCHEMA_ID = new URL('./AppDefinition.json', GROUP_SCHEMA_ID).href;
const PATH_PATTERN = (appSchemaFile as { definitions: { pathType: { pattern: string } } }).definitions
  .pathType.pattern;
const NAME_PATTERN = '^[a-z][a-z0-9-]*$';
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$/i;

/** Fields of later Marathon versions (1.8 to 1.10) that the v1.7 schema does not know. */
const LATER_APP_FIELDS: Record<string, SchemaObject> = {
  check: { type: 'object' },
  resourceLimits: {
    type: 'object',
    additionalProperties: false,
    properties: {
      cpus: {
        oneOf: [
          { type: 'number', minimum: 0 },
          { type: 'string', enum: ['unlimited'] },
        ],
      },
      mem: {
        oneOf: [
          { type: 'number', minimum: 0 },
          { type: 'string', enum: ['unlimited'] },
        ],
      },
    },
  },
  role: { type: 'string', minLength: 1 },
  tty: { type: 'boolean' },
};
const LATER_GROUP_FIELDS: Record<string, SchemaObject> = {
  enforceRole: { type: 'boolean' },
  pods: { type: 'array', items: { type: 'object' } },
};

/** The vendored schemas as this module uses them: later fields allowed, AppDefinition given its id. */
export function marathonSchemas(): { app: SchemaObject; group: SchemaObject } {
  const app = appSchemaFile as SchemaObject;
  const group = groupSchemaFile as SchemaObject;
  return {
    app: { ...app, id: APP_SCHEMA_ID, properties: { ...app.properties, ...LATER_APP_FIELDS } },
    group: { ...group, properties: { ...group.properties, ...LATER_GROUP_FIELDS } },
  };
}

let ajv: Draft04Ajv | undefined;
let appValidator: ValidateFunction | undefined;
let groupValidator: ValidateFunction | undefined;

/** One Ajv holding both schemas; their validators are compiled on first use and kept. */
function getAjv(): Draft04Ajv {
  if (ajv) return ajv;
  ajv = draft04Ajv({
    allErrors: true,
    strict: false,
    verbose: true,
    logger: false,
    formats: { 'date-time': RFC3339 },
    // Compiling is what the user waits for (~0.1 s): the vendored schemas are checked against the draft-04
    // meta-schema by the tests, not on every run, and code that runs once needs no optimising.
    validateSchema: false,
    code: { optimize: false },
  });
  const { app, group } = marathonSchemas();
  ajv.addSchema(app);
  ajv.addSchema(group, GROUP_SCHEMA_ID);
  return ajv;
}

function appValidate(): ValidateFunction {
  appValidator ??= getAjv().getSchema(APP_SCHEMA_ID)!;
  return appValidator;
}

function groupValidate(): ValidateFunction {
  groupValidator ??= getAjv().getSchema(GROUP_SCHEMA_ID)!;
  return groupValidator;
}

/** Every problem Marathon's app schema finds in `app`; empty when it is valid. */
export function validateAppDefinition(app: unknown, options: ValidateOptions = {}): SchemaProblem[] {
  return run(appValidate(), app, options);
}

/** Every problem Marathon's group schema finds in `group`, including the apps and groups inside it. */
export function validateGroupDefinition(group: unknown, options: ValidateOptions = {}): SchemaProblem[] {
  return run(groupValidate(), group, options);
}

function run(validate: ValidateFunction, document: unknown, options: ValidateOptions): SchemaProblem[] {
  if (validate(document)) return [];
  const errors = collapseOneOf(validate.errors ?? []);
  // A value of the wrong type makes its other checks meaningless (an array "has both cmd and args").
  const wrongType = new Set(
    errors.filter((error) => error.keyword === 'type').map((error) => error.instancePath),
  );
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (options.partial && error.keyword === 'required' && error.instancePath === '') continue;
    if (error.keyword !== 'type' && wrongType.has(error.instancePath)) continue;
    const problem = describe(error);
    const key = `${problem.path}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems.sort((a, b) => comparePaths(a.path, b.path));
}

/** Field order: `/apps/2/cpus` before `/apps/10`, a parent before its fields (stable for equal paths). */
function comparePaths(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(schemaType: unknown, value: unknown): boolean {
  const actual = jsonType(value);
  const types = Array.isArray(schemaType) ? schemaType : [schemaType];
  return types.some((type) => type === actual || (type === 'number' && actual === 'integer'));
}

/**
 * With allErrors, a failed oneOf reports the errors of every branch. Keep those of the one branch whose type
 * fits the value (`env.X: {"secret": 1}` → the secret's error), or else one "must be string or object".
 */
function collapseOneOf(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, ErrorObject>();
  for (const oneOf of errors) {
    if (oneOf.keyword !== 'oneOf' || (oneOf.params as { passingSchemas: unknown }).passingSchemas !== null)
      continue;
    const branches = Array.isArray(oneOf.schema) ? (oneOf.schema as SchemaObject[]) : [];
    const prefix = `${oneOf.schemaPath}/`;
    const inside = errors.filter(
      (error) =>
        error.schemaPath.startsWith(prefix) &&
        (error.instancePath === oneOf.instancePath ||
          error.instancePath.startsWith(`${oneOf.instancePath}/`)),
    );
    const fitting = branches
      .map((branch, index) => ({ branch, index }))
      .filter(({ branch }) => typeMatches(branch.type, oneOf.data));
    const [only] = fitting;
    if (fitting.length === 1 && only) {
      dropped.add(oneOf);
      for (const error of inside) {
        if (!error.schemaPath.startsWith(`${prefix}${only.index}/`)) dropped.add(error);
      }
    } else {
      for (const error of inside) dropped.add(error);
      const alternatives = branches.map((branch) =>
        Array.isArray(branch.enum)
          ? branch.enum.map((value) => JSON.stringify(value)).join(' or ')
          : String(branch.type),
      );
      replaced.set(oneOf, { ...oneOf, message: `must be ${alternatives.join(' or ')}` });
    }
  }
  return errors.filter((error) => !dropped.has(error)).map((error) => replaced.get(error) ?? error);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function describe(error: ErrorObject): SchemaProblem {
  const base = error.instancePath;
  const at = base === '' ? '/' : base;
  const got = error.data === undefined ? '' : ` (got ${shown(error.data)})`;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = (error.params as { additionalProperty: string }).additionalProperty;
      const path = `${base}/${escapePointer(field)}`;
      const known = Object.keys((error.parentSchema as SchemaObject | undefined)?.properties ?? {});
      if (READ_ONLY_APP_FIELDS.includes(field) && known.includes('instances') && known.includes('cmd')) {
        return {
          path,
          message: `read-only field '${field}' (Marathon reports it; it is not part of a definition)`,
        };
      }
      const suggestion = closest(field, known);
      return {
        path,
        message: `unknown field '${field}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`,
      };
    }
    case 'required': {
      const field = (error.params as { missingProperty: string }).missingProperty;
      return { path: `${base}/${escapePointer(field)}`, message: `required field '${field}' is missing` };
    }
    case 'not':
      if (error.schemaPath.endsWith('#/not'))
        return { path: at, message: "'cmd' and 'args' cannot both be set" };
      return { path: at, message: error.message ?? 'is not allowed' };
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return {
        path: at,
        message: `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}${got}`,
      };
    }
    case 'pattern': {
      const pattern = (error.params as { pattern: string }).pattern;
      if (pattern === PATH_PATTERN) {
        return {
          path: at,
          message: `must be a path of names made of lowercase letters, digits, '-' and '.', separated by '/'${got}`,
        };
      }
      if (pattern === NAME_PATTERN) {
        return {
          path: at,
          message: `must be a lowercase letter followed by lowercase letters, digits or '-'${got}`,
        };
      }
      return { path: at, message: `must match ${pattern}${got}` };
    }
    case 'format':
      return { path: at, message: `must be a date-time such as 2024-01-31T12:00:00.000Z${got}` };
    default:
      return { path: at, message: `${error.message ?? 'is invalid'}${got}` };
  }
}
