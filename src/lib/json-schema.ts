import { createRequire } from 'node:module';

import type * as AjvDraft04 from 'ajv-draft-04';
import type { Options } from 'ajv-draft-04';

export type Draft04Ajv = AjvDraft04.default;

/**
 * A draft-04 validator (Marathon's app schema and Universe config schemas are draft-04). ajv is CommonJS:
 * require() keeps it out of startup and the call synchronous.
 */
export function draft04Ajv(options: Options): Draft04Ajv {
  const require = createRequire(import.meta.url);
  const { default: Ajv } = require('ajv-draft-04') as typeof AjvDraft04.default;
  return new Ajv(options);
}
