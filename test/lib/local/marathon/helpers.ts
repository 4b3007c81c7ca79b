import { readFileSync } from 'node:fs';

import { normalizeApp } from '../../../../src/lib/local/marathon/normalize.js';
import { validateApp } from '../../../../src/lib/local/marathon/validate.js';
import type { AppDefinition } from '../../../../src/lib/local/types.js';

export const V1 = '2024-03-01T10:00:00.000Z';
export const V2 = '2024-03-01T10:05:00.000Z';
export const V3 = '2024-03-01T10:10:00.000Z';

/** A JSON file under `test/fixtures/marathon/`, parsed. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../fixtures/marathon/${name}`, import.meta.url), 'utf8'),
  ) as T;
}

/** Validates (must pass) and normalises an app body. */
export function makeApp(
  raw: Record<string, unknown>,
  options: { version?: string; parentGroup?: string; defaultRole?: string } = {},
): AppDefinition {
  const errors = validateApp(raw);
  if (errors.length > 0)
    throw new Error(`invalid test app ${JSON.stringify(raw)}: ${JSON.stringify(errors)}`);
  return normalizeApp(raw, { version: V1, ...options });
}
