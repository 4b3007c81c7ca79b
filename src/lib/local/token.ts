import { lstat, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DcosError } from '../errors.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../fs-atomic.js';

/** The daemon's token, created at its first start and kept (0600) in its state directory. */
export const TOKEN_FILE = 'token';
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** The token of the daemon in `dir`; created on first use, refused when someone else could have set it. */
export async function ensureToken(dir: string): Promise<string> {
  await ensurePrivateDir(dir);
  const path = join(dir, TOKEN_FILE);
  const token = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  try {
    // 'wx' never follows or replaces what is there: a planted file or symlink is read (and checked) below.
    const handle = await open(path, 'wx', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(`${token}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const existing = await readToken(dir);
  if (existing === undefined) throw tokenError(path, 'it vanished while being read');
  return existing;
}

/** The token of the daemon in `dir`, or undefined when it has none yet. */
export async function readToken(dir: string): Promise<string | undefined> {
  const path = join(dir, TOKEN_FILE);
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!info.isFile()) throw tokenError(path, 'it is not a regular file');
  if ((info.mode & 0o077) !== 0) throw tokenError(path, 'other users can read or change it');
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
    throw tokenError(path, 'another user owns it');
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (!TOKEN_FORMAT.test(token)) throw tokenError(path, 'it does not hold a dcos local token');
  return token;
}

function tokenError(path: string, why: string): DcosError {
  return new DcosError(
    `refusing the dcos local token in ${path}: ${why}; run \`dcos local reset\` to make a new one`,
    { code: 'local_token_unsafe' },
  );
}
