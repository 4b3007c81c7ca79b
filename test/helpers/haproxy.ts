import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { makeSelfSignedCert } from './servers.js';

/** Where the haproxy fixtures live, and the certificate paths the golden configs name (relative). */
export const HAPROXY_FIXTURES = 'test/fixtures/haproxy';
export const CERTS = ['certs/default.pem'];

/**
 * A directory holding `certs/default.pem` and `certs/app.pem` (certificate and key in one file, as HAProxy
 * wants them): `haproxy -c` loads every certificate a config names, so goldens are checked from here.
 */
export function haproxyCertDir(): string {
  const { cert, key, dir } = makeSelfSignedCert();
  mkdirSync(join(dir, 'certs'), { recursive: true });
  for (const name of ['default.pem', 'app.pem']) writeFileSync(join(dir, 'certs', name), `${cert}${key}`);
  return dir;
}
