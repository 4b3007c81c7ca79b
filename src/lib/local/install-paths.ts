/**
 * Where this installation of the CLI lives on disk, for what `dcos local` hands to tasks and to Cosmos: the
 * node binary and the CLI's `bin/run.js` (so bundled packages can run `dcos dns serve` and `dcos haproxy run`
 * without `node` or `dcos` on PATH) and the bundled Universe repository `local-universe/`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/**
 * The package root: the nearest directory above this module holding a package.json. The same walk works from
 * `src/lib/local` (tests, bin/dev) and from the bundle's `dist/chunks`, where the module ends up after the build.
 */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  cachedRoot = dir;
  return dir;
}

/** The CLI entry point tasks run with `$DCOS_LOCAL_NODE "$DCOS_LOCAL_CLI" ...`. */
export function cliScript(): string {
  return join(packageRoot(), 'bin', 'run.js');
}

/** The bundled repository, in Universe source layout (`packages/<Letter>/<name>/<releaseVersion>/`). */
export function localUniverseDir(): string {
  return join(packageRoot(), 'local-universe');
}
