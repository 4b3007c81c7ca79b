/**
 * What checking options against a package's schema can cost, bounded before Ajv runs (patterns are bounded by
 * linear-regexp.ts). A schema is small on disk but its `$ref`s are followed where they are used: twenty
 * definitions each `anyOf` the one before twice make a million checks of one value, thirty a billion. And
 * `uniqueItems` compares every pair of items of an array that is not of plain strings or numbers.
 */
import { DcosError } from '../errors.js';
import { isRecord } from '../json.js';

/** Most subschemas one value may be checked against, each `$ref` counted again where it is used. */
export const MAX_SCHEMA_CHECKS = 100_000;
/** Longest array checked against a schema that wants unique items (every pair is compared). */
export const MAX_UNIQUE_ITEMS = 5_000;

const SINGLE = ['additionalProperties', 'additionalItems', 'items', 'not'];
const LISTS = ['allOf', 'anyOf', 'oneOf', 'items'];
const MAPS = ['properties', 'patternProperties', 'dependencies'];

function tooComplex(): DcosError {
  return new DcosError(
    `the package's config.json is too complex to check options against: its subschemas, each $ref counted ` +
      `where it is used, number more than ${MAX_SCHEMA_CHECKS}`,
    { code: 'invalid_package_config', details: { maxChecks: MAX_SCHEMA_CHECKS } },
  );
}

/** The schema `#/a/b` points at in `root`, if any (package schemas' `$ref`s are local). */
function resolveRef(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node = root;
  for (const raw of ref.slice(2).split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined; // a malformed escape: Ajv reports the reference itself
    }
    if (!isRecord(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Checks that `schema` stays within {@link MAX_SCHEMA_CHECKS}, and says whether it asks for unique items
 * anywhere (then {@link checkUniqueItems} bounds the options). Throws an `invalid_package_config` DcosError.
 */
export function checkSchemaCost(schema: unknown): { uniqueItems: boolean } {
  const counted = new Map<object, number>();
  const open = new Set<object>();
  let uniqueItems = false;
  const count = (node: unknown): number => {
    if (!isRecord(node)) return 0;
    const known = counted.get(node);
    if (known !== undefined) return known;
    // A schema that refers back to itself is checked once per level of the value, which is finite.
    if (open.has(node)) return 1;
    open.add(node);
    if (node.uniqueItems === true) uniqueItems = true;
    let total = 1;
    const add = (child: unknown) => {
      total += count(child);
      if (total > MAX_SCHEMA_CHECKS) throw tooComplex();
    };
    for (const keyword of SINGLE) add(node[keyword]);
    for (const keyword of LISTS) if (Array.isArray(node[keyword])) (node[keyword] as unknown[]).forEach(add);
    for (const keyword of MAPS) if (isRecord(node[keyword])) Object.values(node[keyword]).forEach(add);
    if (typeof node.$ref === 'string') add(resolveRef(schema, node.$ref));
    open.delete(node);
    counted.set(node, total);
    return total;
  };
  count(schema);
  return { uniqueItems };
}

/** Refuses an array in `options` longer than {@link MAX_UNIQUE_ITEMS}, naming where it is (a JSON pointer). */
export function checkUniqueItems(options: unknown): void {
  const pending: { value: unknown; path: string }[] = [{ value: options, path: '' }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value) && value.length > MAX_UNIQUE_ITEMS) {
      throw new DcosError(
        `options for a schema with unique items may hold arrays of at most ${MAX_UNIQUE_ITEMS} items; ` +
          `${path || '/'} has ${value.length}`,
        { code: 'invalid_package_config', details: { path: path || '/', maxItems: MAX_UNIQUE_ITEMS } },
      );
    }
    for (const [key, child] of Object.entries(value)) {
      pending.push({ value: child, path: `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}` });
    }
  }
}
