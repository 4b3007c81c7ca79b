/**
 * A package's install options: the defaults of its `config` schema (draft-04), the user's options merged over
 * them, and the merged result checked against the schema, the way Cosmos does before rendering.
 *
 * Ajv is loaded on the first validation only: `search` and `describe` never pay for it.
 */

import type { ErrorObject, ValidateFunction } from 'ajv-draft-04';

import { draft04Ajv, type Draft04Ajv } from '../json-schema.js';
import { DcosError } from '../errors.js';
import { isRecord } from '../json.js';
import { linearPattern, linearRegExpEngine, PatternError, withinPatternTimeLimit } from '../linear-regexp.js';
import { CosmosError, invalidOptionsError } from './errors.js';
import { checkSchemaCost, checkUniqueItems } from './schema-cost.js';
import type { JsonSchema, OptionProblem, UniversePackage } from './types.js';

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function invalidConfig(message: string, pointer: string): DcosError {
  return new DcosError(message, { code: 'invalid_package_config', details: { path: pointer || '/' } });
}

/** An object schema that describes a free-form map rather than named fields. */
function isMapSchema(schema: Record<string, unknown>): boolean {
  return 'additionalProperties' in schema || 'patternProperties' in schema;
}

function defaultsOf(schema: Record<string, unknown>, pointer: string): Record<string, unknown> {
  const properties = schema.properties;
  if (!isRecord(properties)) {
    if (schema.type === 'object' && !isMapSchema(schema)) {
      throw invalidConfig(
        `the package's config.json is missing the required 'properties' feature at ${pointer || '/'}; ` +
          'please contact the project maintainer',
        pointer,
      );
    }
    return {};
  }
  const defaults: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (!isRecord(property)) continue;
    const at = `${pointer}/${escapePointer(name)}`;
    if ('default' in property) {
      defaults[name] = structuredClone(property.default);
    } else if (isRecord(property.properties) || (property.type === 'object' && !isMapSchema(property))) {
      defaults[name] = defaultsOf(property, at);
    }
  }
  return defaults;
}

/**
 * The options a schema implies on its own: each property's `default`, and for an object without one, the
 * defaults of its own properties (nested objects are kept even when empty, as Cosmos and the DC/OS CLI do).
 */
export function schemaDefaults(schema: JsonSchema): Record<string, unknown> {
  return defaultsOf(schema, '');
}

/** `override` laid over `base`: objects merged key by key, anything else replaced. The inputs are not changed. */
export function mergeOptions(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    const held = merged[key];
    merged[key] = isRecord(held) && isRecord(value) ? mergeOptions(held, value) : structuredClone(value);
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------------------
// Validation

const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'definitions', 'dependencies'];
const SCHEMA_KEYWORDS = ['items', 'additionalItems', 'additionalProperties', 'not'];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'items'];

/**
 * The schema without its `id`s. Universe configs use them as documentation and repeat them (cassandra gives two
 * properties the same id), which Ajv rejects; `$ref`s in package configs are local (`#/definitions/...`).
 */
function withoutIds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutIds);
  if (!isRecord(schema)) return schema;
  const copy: Record<string, unknown> = { ...schema };
  if (typeof copy.id === 'string') delete copy.id;
  if (typeof copy.$id === 'string') delete copy.$id;
  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    const map = copy[keyword];
    if (isRecord(map)) {
      copy[keyword] = Object.fromEntries(Object.entries(map).map(([key, value]) => [key, withoutIds(value)]));
    }
  }
  for (const keyword of SCHEMA_KEYWORDS) {
    if (isRecord(copy[keyword])) copy[keyword] = withoutIds(copy[keyword]);
  }
  for (const keyword of SCHEMA_LIST_KEYWORDS) {
    if (Array.isArray(copy[keyword])) copy[keyword] = withoutIds(copy[keyword]);
  }
  return copy;
}

let ajv: Draft04Ajv | undefined;
const validators = new WeakMap<JsonSchema, { validate: ValidateFunction; uniqueItems: boolean }>();

function getAjv(): Draft04Ajv {
  if (ajv) return ajv;
  ajv = draft04Ajv({
    allErrors: true,
    strict: false,
    logger: false,
    // Package schemas are whatever their authors wrote (unknown `$schema` URIs, formats Ajv does not know):
    // Cosmos validated options against them as they are, so do we.
    validateSchema: false,
    addUsedSchema: false,
    // A package's `pattern`s are matched by RE2 (linear time): JavaScript's backtracking engine can be made to
    // run for minutes by a pattern like `^(a+)+$`.
    code: { optimize: false, regExp: linearRegExpEngine },
  });
  return ajv;
}

/** All the pattern work of one validation (compiling the schema's patterns, matching them) stops after this. */
export const PATTERN_TIME_LIMIT_MS = 3_000;

/** A regular expression of the schema, and the options field it checks (a JSON pointer; `*` for any key). */
interface SchemaPattern {
  source: string;
  field: string;
}

/** Every `pattern` and `patternProperties` key of `schema`, with the field each one checks. */
function schemaPatterns(schema: unknown, field = '', found: SchemaPattern[] = []): SchemaPattern[] {
  if (!isRecord(schema)) return found;
  if (typeof schema.pattern === 'string') found.push({ source: schema.pattern, field: field || '/' });
  const children = (map: unknown, at: (key: string) => string) => {
    if (isRecord(map)) for (const [key, value] of Object.entries(map)) schemaPatterns(value, at(key), found);
  };
  if (isRecord(schema.patternProperties)) {
    for (const source of Object.keys(schema.patternProperties)) found.push({ source, field: `${field}/*` });
  }
  children(schema.properties, (key) => `${field}/${escapePointer(key)}`);
  children(schema.patternProperties, () => `${field}/*`);
  children(schema.definitions, (key) => `#/definitions/${escapePointer(key)}`);
  children(schema.dependencies, () => field);
  for (const keyword of ['additionalProperties', 'additionalItems', 'not']) {
    schemaPatterns(schema[keyword], keyword === 'not' ? field : `${field}/*`, found);
  }
  if (Array.isArray(schema.items))
    schema.items.forEach((item, index) => schemaPatterns(item, `${field}/${index}`, found));
  else schemaPatterns(schema.items, `${field}/*`, found);
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[keyword];
    if (Array.isArray(list)) for (const each of list) schemaPatterns(each, field, found);
  }
  return found;
}

/** A pattern refused or stopped, as the package's fault, naming the field it checks. */
function patternProblem(error: PatternError, patterns: readonly SchemaPattern[]): DcosError {
  const field = patterns.find((pattern) => pattern.source === error.source)?.field ?? '/';
  return new DcosError(`the package's config.json pattern for ${field}: ${error.message}`, {
    code: 'invalid_package_config',
    details: { path: field, pattern: error.source, problem: error.problem },
  });
}

/** `run` within the pattern time limit, a pattern's failure named by its field. */
function withPatterns<T>(schema: JsonSchema, run: () => T): T {
  try {
    return withinPatternTimeLimit(PATTERN_TIME_LIMIT_MS, run);
  } catch (error) {
    if (error instanceof PatternError) throw patternProblem(error, schemaPatterns(schema));
    throw error;
  }
}

function validatorFor(schema: JsonSchema): { validate: ValidateFunction; uniqueItems: boolean } {
  let validator = validators.get(schema);
  if (!validator) {
    const { uniqueItems } = checkSchemaCost(schema);
    // Compiled here first so that a refused pattern is reported by its field, not as an unusable schema.
    withPatterns(schema, () => schemaPatterns(schema).forEach(({ source }) => linearPattern(source)));
    let validate: ValidateFunction;
    try {
      validate = withPatterns(schema, () => getAjv().compile(withoutIds(schema) as JsonSchema));
    } catch (error) {
      if (error instanceof DcosError) throw error;
      throw new DcosError(
        `the package's config.json is not a usable JSON schema: ${(error as Error).message}`,
        {
          code: 'invalid_package_config',
          cause: error,
        },
      );
    }
    validator = { validate, uniqueItems };
    validators.set(schema, validator);
  }
  return validator;
}

function shownValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function problemOf(error: ErrorObject): OptionProblem {
  const base = error.instancePath;
  const at = base === '' ? '/' : base;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return { path: `${base}/${escapePointer(missing)}`, message: 'is required' };
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return { path: `${base}/${escapePointer(extra)}`, message: 'is not allowed' };
    }
    case 'type': {
      const type = (error.params as { type: string | string[] }).type;
      const types = Array.isArray(type) ? type : String(type).split(',');
      return { path: at, message: `must be ${types.join(' or ')}` };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return { path: at, message: `must be one of: ${allowed.map(shownValue).join(', ')}` };
    }
    default:
      return { path: at, message: error.message ?? 'is invalid' };
  }
}

/** Every way `options` breaks `schema`, by JSON pointer (`/` for the root); empty when they fit. */
export function validateOptions(schema: JsonSchema, options: unknown): OptionProblem[] {
  const { validate, uniqueItems } = validatorFor(schema);
  if (uniqueItems) checkUniqueItems(options);
  if (withPatterns(schema, () => validate(options))) return [];
  const seen = new Set<string>();
  const problems: OptionProblem[] = [];
  for (const error of validate.errors ?? []) {
    const problem = problemOf(error);
    const key = `${problem.path}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The options a package is rendered with: its schema's defaults with `userOptions` merged over them, checked
 * against the schema. Like Cosmos, a package without a schema takes no options, and an empty result is not
 * checked (a schema whose required fields have no defaults still renders with no options).
 */
export function resolveOptions(
  pkg: UniversePackage,
  userOptions: Record<string, unknown> = {},
): Record<string, unknown> {
  const schema = pkg.config;
  if (!schema) {
    if (Object.keys(userOptions).length > 0) {
      throw new CosmosError('OptionsNotAllowed', 'No options are allowed for this package', {
        packageName: pkg.name,
      });
    }
    return {};
  }
  const merged = mergeOptions(
    aboutPackage(pkg, () => schemaDefaults(schema)),
    userOptions,
  );
  if (Object.keys(merged).length === 0) return merged;
  const problems = aboutPackage(pkg, () => validateOptions(schema, merged));
  if (problems.length > 0) throw invalidOptionsError(pkg.name, problems);
  return merged;
}

/** A broken schema is the package's fault: say which package. */
function aboutPackage<T>(pkg: UniversePackage, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof DcosError && error.code === 'invalid_package_config') {
      throw new DcosError(`${pkg.name} ${pkg.version}: ${error.message}`, {
        code: error.code,
        details: error.details,
        cause: error.cause,
      });
    }
    throw error;
  }
}
