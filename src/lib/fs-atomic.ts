import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Replace `path` with `data` so that readers see either the old file or the new one, never a torn write:
 * the bytes go to a temp file in the same directory, are fsynced, and the temp file is renamed over the target.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE) {
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  // The Web Crypto global keeps node:crypto (~4 ms) off the path of every command that reads its config.
  const suffix = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(6))).toString('hex');
  const temp = join(dir, `.${basename(path)}.${suffix}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    // Whatever failed (write, fsync, close or rename), the target is untouched; drop the partial temp file.
    await rm(temp, { force: true });
    throw error;
  }
}
