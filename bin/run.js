#!/usr/bin/env node
// `dcos --version` answers without loading oclif: scripts call it often and it must stay near bare-node speed.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
  const { readFileSync } = await import('node:fs');
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`dcos/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const { run, flush, handle } = await import('@oclif/core');
  if (argv.includes('--json')) {
    // plugin-not-found prints a human warning before failing; with --json stderr carries only the JSON error.
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk, ...rest) =>
      /is not a dcos command\./.test(String(chunk)) ? true : write(chunk, ...rest);
  }
  try {
    await run(argv, import.meta.url);
    await flush();
  } catch (error) {
    // plugin-not-found exits 127; for us an unknown command is a usage error (2).
    if (error?.oclif?.exit === 127) {
      error.oclif.exit = 2;
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
