// Runs a worker written in TypeScript from the sources (tests, bin/dev): `new Worker(this file, { argv: [url] })`.
// The built CLI starts its workers from dist/ and never loads this file.
import { tsImport } from 'tsx/esm/api';

await tsImport(process.argv[2], import.meta.url);
