#!/usr/bin/env node
// Builds dist/ as an esbuild bundle: one entry per command (oclif finds them in dist/commands as usual),
// the daemon and src/main.ts, with everything they share (our lib, @oclif/core, undici, ...) split into
// dist/chunks. Resolving and reading ~200 separate modules was most of a command's startup; a handful of
// chunks load in a fraction of it. Type checking is `npm run typecheck`; esbuild only strips types.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function commandFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return commandFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'oclif.manifest.json'), { force: true });

const entryPoints = [
  join(src, 'main.ts'),
  join(src, 'lib', 'local', 'daemon-main.ts'),
  ...commandFiles(join(src, 'commands')),
];
const result = await build({
  entryPoints,
  outbase: src,
  outdir: join(root, 'dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS packages call require() for node builtins; an ES module has no require of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  // oclif loads TypeScript only to run sources in development (bin/dev.js), never from dist.
  external: ['typescript'],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
// Which packages each output holds, so tests can tell from the files a run loaded which libraries it paid for.
const contents = {};
for (const [output, { inputs }] of Object.entries(result.metafile.outputs)) {
  contents[relative(join(root, 'dist'), join(root, output))] = Object.keys(inputs)
    .filter((input) => input.includes('node_modules/'))
    .map((input) => input.slice(input.lastIndexOf('node_modules/') + 'node_modules/'.length));
}
writeFileSync(join(root, 'dist', 'contents.json'), `${JSON.stringify(contents)}\n`);
const outputs = Object.keys(result.metafile.outputs);
console.log(
  `dist: ${entryPoints.length} entries, ${outputs.length - entryPoints.length} shared chunks (${relative(root, join(root, 'dist'))})`,
);
