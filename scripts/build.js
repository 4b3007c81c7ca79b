#!/usr/bin/env node
// Builds dist/ as an esbuild bundle: one entry per command (oclif finds them in dist/commands as usual),
// the daemon and src/main.ts, with everything they share (our lib, @oclif/core, undici, ...) split into
// dist/chunks. Resolving and reading ~200 separate modules was most of a command's startup; a handful of
// chunks load in a fraction of it. Type checking is `npm run typecheck`; esbuild only strips types.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/**
 * Startup costs inside @oclif/core that no command of ours needs, removed at bundle time. Each edit must
 * still apply: a release that changes the code fails the build instead of silently losing the speed.
 * - Sorting the command list with localeCompare builds ICU's collator on the first call (~8 ms); command ids
 *   are lower-case ASCII, so code-point order is the same order.
 * - child_process (Windows shell detection), readline (reading flags from stdin) and perf_hooks
 *   (OCLIF_PERFORMANCE timings) load at import time but are used only on those paths: they load on first use.
 * - The WSL check asks is-wsl itself rather than wsl-utils, which also loads PowerShell helpers.
 */
const OCLIF_EDITS = {
  'config/plugin.js': [
    [
      '.sort((a, b) => a.id.localeCompare(b.id));',
      '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));',
    ],
  ],
  'util/os.js': [
    ['require("node:child_process")', '__lazyBuiltin("node:child_process")'],
    ["(await import('wsl-utils')).isWsl ?", "(await import('is-wsl')).default ?"],
  ],
  'parser/parse.js': [['require("node:readline")', '__lazyBuiltin("node:readline")']],
  'performance.js': [['require("node:perf_hooks")', '__lazyBuiltin("node:perf_hooks")']],
};

const LAZY_BUILTIN = `function __lazyBuiltin(id) {
  return __lazyModule(() => require(id));
}
`;

/** A module's exports, loaded when a property is first read (TypeScript's CommonJS output only reads properties). */
const LAZY_MODULE = `function __lazyModule(load) {
  let loaded;
  const target = () => (loaded ??= load());
  return new Proxy({}, {
    get: (_, key) => target()[key],
    has: (_, key) => key in target(),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => ({ ...Reflect.getOwnPropertyDescriptor(target(), key), configurable: true }),
  });
}
`;

/**
 * Packages @oclif/core requires at import time for paths a normal run never takes (templates, globbing without
 * a manifest, spinners, error formatting, help layout): bundled as before, run on first use.
 */
const OCLIF_LAZY_PACKAGES = new Set([
  'ejs',
  'tinyglobby',
  'minimatch',
  'cli-spinners',
  'lilconfig',
  'clean-stack',
  'indent-string',
  'wrap-ansi',
  'string-width',
  'widest-line',
]);

function deferPackages(contents) {
  return contents
    .replace(/__importDefault\(require\("([^".][^"]*)"\)\)/g, (call, name) =>
      OCLIF_LAZY_PACKAGES.has(name) ? `__lazyModule(() => ${call})` : call,
    )
    .replace(/= require\("([^".][^"]*)"\);/g, (assignment, name) =>
      OCLIF_LAZY_PACKAGES.has(name) ? `= __lazyModule(() => require("${name}"));` : assignment,
    );
}

/**
 * undici loads node:http2 (and with it tls) when it loads, for its HTTP/2 client, which we never enable: it
 * gets the header-name constants it reads at load time, and node:http2 itself only if it ever connects.
 */
const HTTP2_CONSTANTS = JSON.stringify(
  Object.fromEntries(
    Object.entries((await import('node:http2')).constants).filter(([name]) =>
      /^(HTTP2_HEADER_|NGHTTP2_)/.test(name),
    ),
  ),
);
const UNDICI_EDITS = {
  'lib/dispatcher/client-h2.js': [
    [
      "http2 = require('node:http2')",
      `http2 = { constants: ${HTTP2_CONSTANTS}, connect: (...args) => require('node:http2').connect(...args) }`,
    ],
  ],
};

const undiciStartup = {
  name: 'undici-startup',
  setup(build) {
    build.onLoad({ filter: /[\\/]undici[\\/]lib[\\/].+\.js$/ }, async ({ path }) => {
      const file = `lib/${path.replaceAll('\\', '/').split('/undici/lib/')[1]}`;
      const edits = UNDICI_EDITS[file];
      if (!edits) return undefined;
      let contents = await readFile(path, 'utf8');
      for (const [from, to] of edits) {
        if (!contents.includes(from)) throw new Error(`undici ${file} changed: "${from}" not found`);
        contents = contents.replace(from, to);
      }
      if ((contents.match(/\bhttp2\.\w+/g) ?? []).some((use) => use !== 'http2.connect')) {
        throw new Error(`undici ${file} uses more of node:http2 than connect()`);
      }
      return { contents, loader: 'js' };
    });
  },
};

const oclifStartup = {
  name: 'oclif-startup',
  setup(build) {
    build.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/].+\.js$/ }, async ({ path }) => {
      const file = path.replaceAll('\\', '/').split('/@oclif/core/lib/')[1];
      let contents = await readFile(path, 'utf8');
      for (const [from, to] of OCLIF_EDITS[file] ?? []) {
        if (!contents.includes(from)) throw new Error(`@oclif/core ${file} changed: "${from}" not found`);
        contents = contents.replace(from, to);
      }
      contents = deferPackages(contents);
      if (contents.includes('__lazyBuiltin(')) contents = LAZY_BUILTIN + contents;
      if (contents.includes('__lazyModule(')) contents = LAZY_MODULE + contents;
      return { contents, loader: 'js' };
    });
  },
};

rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'oclif.manifest.json'), { force: true });

const entryPoints = [
  join(src, 'main.ts'),
  join(src, 'lib', 'local', 'daemon-main.ts'),
  // Started by the daemon as a worker thread (package-calls.ts).
  join(src, 'lib', 'local', 'package-worker.ts'),
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
  plugins: [oclifStartup, undiciStartup],
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
