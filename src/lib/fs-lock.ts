import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';

import { ConfigError } from './errors.js';
import { processAlive } from './proc.js';

export interface LockOptions {
  /** How long to wait for another process's lock before giving up (default 10 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const POLL_MS = 15;

/**
 * Runs `work` while holding `<path>.lock`, so read-modify-write cycles of one file by concurrent processes (CI
 * jobs running `dcos config set` side by side) cannot lose each other's changes. The lock file holds the
 * holder's pid and a nonce; a lock whose holder died is taken over, so a killed command never wedges the file.
 */
export async function withFileLock<T>(
  path: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lockPath = `${path}.lock`;
  const mine = `${process.pid} ${Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(8))).toString('hex')}\n`;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(lockPath, mine)) break;
    const holder = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (holder === undefined) continue; // released between our two calls: try again at once
    const pid = Number(holder.split(' ', 1)[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) {
      await takeOverStale(lockPath, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new ConfigError(
        `${path} is locked by another dcos command (pid ${pid}); wait for it to finish, or remove ${lockPath} if that process is not dcos`,
        { code: 'config_locked', details: { path, pid } },
      );
    }
    // Jitter keeps a crowd of waiters from retrying in lockstep.
    await sleep(POLL_MS + Math.floor(Math.random() * POLL_MS * Math.min(attempt + 1, 8)));
  }
  try {
    return await work();
  } finally {
    // Only our own lock: if it was taken over (we were presumed dead), the new holder's stays.
    if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === mine)
      await rm(lockPath, { force: true });
  }
}

/** Creates the lock with its content in one step (a link never replaces a file), so no one reads it empty. */
async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  const draft = `${lockPath}.${content.trim().replace(' ', '.')}.draft`;
  await writeFile(draft, content, { mode: 0o600 });
  try {
    await link(draft, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
  }
}

/**
 * Moves a dead holder's lock aside. The rename is atomic, so of several processes that saw the same stale lock
 * one moves it; if what was moved is not the stale lock (someone took over and locked again in between), it is
 * linked back (link never replaces an existing file).
 */
async function takeOverStale(lockPath: string, stale: string): Promise<void> {
  const aside = `${lockPath}.${process.pid}.stale`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== stale) await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
}
