#!/usr/bin/env node
// `dcos --version` answers without loading oclif: scripts call it often and it must stay near bare-node speed.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
  const { readFileSync } = await import('node:fs');
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`dcos/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  // undici parses HTTP with WebAssembly. V8 re-compiles hot wasm functions on background threads and node
  // waits for those jobs before it exits: about 70 ms after a 1 MB response, more than the parse itself.
  // A CLI run is too short to profit from optimised code, so the baseline compiler is all it gets.
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--liftoff-only');
  // On import @oclif/core checks its own engines range with the whole of semver (~15 ms); ours is stricter
  // and npm checks it at install. The variable is oclif's documented switch for this.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
  const { run, flush, handle } = await import('../dist/main.js');
  if (argv.includes('--json')) {
    // plugin-not-found prints a human warning before failing; with --json stderr carries only the JSON error.
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk, ...rest) =>
      /is not a dcos command\./.test(String(chunk)) ? true : write(chunk, ...rest);
  }
  try {
    await run(argv, await loadOptions(argv));
    await flush();
  } catch (error) {
    // plugin-not-found exits 127; an unknown command is a failure like any other (1), as in the DC/OS CLI.
    if (error?.oclif?.exit === 127) {
      error.oclif.exit = 1;
      if (argv.includes('--json')) {
        const words = argv.filter((word) => !word.startsWith('-')).join(' ');
        const message = `"${words}" is not a dcos command; run \`dcos help\` for the list`;
        process.stderr.write(`${JSON.stringify({ error: { code: 'usage', message } })}\n`);
        error.skipOclifErrorHandling = true;
      }
    }
    await handle(error);
  }
}

// A command of our own needs none of the plugins (help, autocomplete, not-found): Config.load skips
// reading their manifests when the words name one of our commands. `--help` and anything else keep them.
async function loadOptions(argv) {
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const read = (name) => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8'));
  let commands;
  try {
    commands = read('oclif.manifest.json').commands;
  } catch {
    return import.meta.url;
  }
  const words = [];
  for (const word of argv) {
    if (word.startsWith('-')) break;
    words.push(word);
  }
  const ours = words.some((_, end) => Object.hasOwn(commands, words.slice(0, end + 1).join(':')));
  if (!ours || argv.includes('--help') || argv.includes('-h')) return import.meta.url;
  const pjson = read('package.json');
  return {
    root: fileURLToPath(new URL('..', import.meta.url)),
    pjson: { ...pjson, oclif: { ...pjson.oclif, plugins: [] } },
  };
}
