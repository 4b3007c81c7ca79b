import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { UsageError } from '../errors.js';

/**
 * Reads a PEM CA bundle and checks it holds a certificate, so a wrong path or file is reported when it is
 * given rather than as a vague TLS failure on the next request. `context` prefixes the message.
 */
export async function readCaBundle(
  path: string,
  { context, code = 'invalid_ca' }: { context?: string; code?: string } = {},
): Promise<string> {
  const fail = (reason: string) =>
    new UsageError(context ? `${context}: ${reason}` : reason, { code, details: { path } });
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw fail(`cannot read the CA bundle ${path} (${code})`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw fail(`${path} is not a PEM certificate`);
  }
  return pem;
}
