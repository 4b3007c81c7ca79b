/** Universe repositories in source layout, written into temp directories by tests, and hostile packages for them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SourcePackage {
  /** config.json, written when given. */
  config?: unknown;
  /** marathon.json.mustache; a sleeping app by default. */
  template?: string;
}

/** `root/packages/<Letter>/<name>/0/` for each package (version 1.0.0, packaging 4.0); returns `root`. */
export function sourceRepository(root: string, packages: Record<string, SourcePackage>): string {
  for (const [name, { config, template }] of Object.entries(packages)) {
    const version = join(root, 'packages', name[0]!.toUpperCase(), name, '0');
    mkdirSync(version, { recursive: true });
    writeFileSync(
      join(version, 'package.json'),
      JSON.stringify({
        packagingVersion: '4.0',
        name,
        version: '1.0.0',
        maintainer: 'tests',
        description: `the ${name} package`,
        tags: [],
      }),
    );
    if (config !== undefined) writeFileSync(join(version, 'config.json'), JSON.stringify(config));
    writeFileSync(
      join(version, 'marathon.json.mustache'),
      template ?? `{"id": "/${name}", "cmd": "sleep 100"}`,
    );
  }
  return root;
}

/**
 * `redos`: a `^(a+)+$` pattern and a default that backtracks on it (30 `a`s and a `!`: minutes for JavaScript's
 * engine). `bomb`: a template whose sections repeat 20 x 20 x 20 times over 1,250 characters (10 MB).
 */
export const HOSTILE_PACKAGES: Record<'redos' | 'bomb', SourcePackage> = {
  redos: {
    config: {
      type: 'object',
      properties: {
        service: {
          type: 'object',
          properties: { name: { type: 'string', pattern: '^(a+)+$', default: `${'a'.repeat(30)}!` } },
        },
      },
    },
  },
  bomb: {
    config: {
      type: 'object',
      properties: { a: { type: 'array', default: Array.from({ length: 20 }, (_, index) => index) } },
    },
    template: `{"id": "/bomb", "cmd": "{{#a}}{{#a}}{{#a}}${'x'.repeat(1_250)}{{/a}}{{/a}}{{/a}}"}`,
  },
};
