import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

import { DcosError } from './errors.js';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** `.<name>.<12 hex digits>.tmp`: what {@link writeFileAtomic} writes before the rename. */
const TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;

export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Replace `path` with `data` so that readers see either the old file or the new one, never a torn write, and
 * so that once this resolves the new file survives a crash or power loss: the bytes go to a temp file in the
 * same directory and are fsynced, the temp file is renamed over the target, and the directory is fsynced so
 * the rename itself is on disk.
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
  await syncDirectory(dir);
}

/**
 * Writes a file the user named (`--output`, the config HAProxy reads, a saved options file). A regular file, or
 * none, is replaced in one rename (keeping the old file's mode); a symbolic link is followed and its target
 * treated the same way, so the link stays; a FIFO or character device (`/dev/stdout`, a pipe) is written in
 * place, as a shell redirection would, never replaced by a regular file; anything else is refused.
 */
export async function writeOutputFile(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  let target = path;
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await writeFileAtomic(path, data, mode);
    return;
  }
  if (info.isSymbolicLink()) {
    try {
      target = await realpath(path);
      info = await stat(target);
    } catch (error) {
      throw outputError(
        path,
        `it is a symbolic link that leads nowhere (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (info.isFile()) {
    await writeFileAtomic(target, data, info.mode & 0o7777);
  } else if (info.isFIFO() || info.isCharacterDevice()) {
    // No O_CREAT, no O_TRUNC: whatever is there stays what it is.
    const handle = await open(target, constants.O_WRONLY);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  } else {
    const kind = info.isDirectory() ? 'a directory' : info.isBlockDevice() ? 'a block device' : 'a socket';
    throw outputError(path, `it is ${kind}`);
  }
}

function outputError(path: string, why: string): DcosError {
  return new DcosError(`cannot write to ${path}: ${why}; name a regular file (or a FIFO, or /dev/stdout)`, {
    code: 'output_not_writable',
    details: { path },
  });
}

/** A rename is only durable once its directory is: without this a crash can bring the old file back. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Deletes the temp files a process killed in the middle of {@link writeFileAtomic} left in `dir` (only ours:
 * `.<name>.<12 hex>.tmp`). Call it only when nothing else writes there. Returns the names removed.
 */
export async function removeAtomicTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const leftovers = names.filter((name) => TEMP_NAME.test(name));
  await Promise.all(leftovers.map((name) => rm(join(dir, name), { force: true })));
  return leftovers;
}
