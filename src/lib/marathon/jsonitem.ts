/**
 * `key=value` arguments of `dcos marathon app update` / `group update`, typed as the DC/OS CLI's jsonitem.py
 * does without a schema: integer → float → boolean → null → JSON array → JSON object → string.
 *
 * One deliberate difference: a value that starts with `[` or `{` but is not valid JSON is an error, not
 * silently the string it happens to be (so `env='{"A": 1,}'` cannot turn `env` into a string).
 */
import { UsageError } from '../errors.js';

export interface ParseKeyValuesOptions {
  /**
   * Keys whose values stay strings whatever they look like (after quote stripping), e.g. `cmd='[ -f x ] && run'`
   * or `user=1000`. See APP_STRING_FIELDS.
   */
  stringKeys?: Iterable<string>;
}

/** Top-level app fields that Marathon's schema types as plain strings. */
export const APP_STRING_FIELDS: readonly string[] = ['id', 'cmd', 'user', 'executor', 'version', 'role'];

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false)$/i;

function stripQuotes(text: string): string {
  if (text.length >= 2 && (text[0] === '"' || text[0] === "'") && text[text.length - 1] === text[0]) {
    return text.slice(1, -1);
  }
  return text;
}

/** Types one value the way jsonitem.py does (see the module comment). */
export function parseValue(key: string, text: string): unknown {
  if (INTEGER.test(text) || FLOAT.test(text)) {
    const number = Number(text);
    if (Number.isFinite(number)) return number;
  }
  if (BOOLEAN.test(text)) return text.toLowerCase() === 'true';
  if (text === 'null') return null;
  const start = text.trimStart()[0];
  if (start === '[' || start === '{') {
    const kind = start === '[' ? 'array' : 'object';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UsageError(
        `the value of '${key}' looks like a JSON ${kind} but is not valid JSON: ${(error as Error).message}`,
        { code: 'invalid_value', details: { key, value: text } },
      );
    }
    return value;
  }
  return text;
}

export function parseKeyValues(
  pairs: string[],
  options: ParseKeyValuesOptions = {},
): Record<string, unknown> {
  const stringKeys = new Set(options.stringKeys ?? []);
  const result: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === -1) {
      throw new UsageError(`'${pair}' is not a key=value pair`, {
        code: 'invalid_value',
        details: { argument: pair },
      });
    }
    const key = stripQuotes(pair.slice(0, eq));
    if (key === '') {
      throw new UsageError(`'${pair}' has an empty key; expected key=value`, {
        code: 'invalid_value',
        details: { argument: pair },
      });
    }
    if (seen.has(key)) {
      throw new UsageError(`Key '${key}' was specified more than once`, {
        code: 'duplicate_key',
        details: { key },
      });
    }
    seen.add(key);
    const raw = stripQuotes(pair.slice(eq + 1));
    const value = stringKeys.has(key) ? raw : parseValue(key, raw);
    // defineProperty: a key such as `__proto__` becomes a plain field, never the object's prototype.
    Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}
