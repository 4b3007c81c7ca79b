/**
 * Writing into a task's sandbox without ever following a symbolic link that is already there, so nothing the
 * fetcher writes can land outside the sandbox: an earlier archive (or anything else) may have left `d -> /etc`, and
 * a later `destPath: d/passwd` or archive entry `d/passwd` must fail, not write /etc/passwd.
 *
 * - Directories below the sandbox are checked with lstat one component at a time and created one at a time.
 * - Files are opened with O_NOFOLLOW (a link in the last component fails) and O_NONBLOCK (a FIFO fails instead of
 *   blocking), and must turn out to be regular files.
 * - Archives are extracted by their tools into an empty staging directory (where no link of ours exists for them to
 *   follow; GNU tar and Info-ZIP unzip also refuse to go through links the same archive creates), checked there
 *   (only files, directories and links; every link must point inside the sandbox), then moved into place entry by
 *   entry with rename, which replaces a link rather than writing through it.
 */
import { constants, type Stats } from 'node:fs';
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  type FileHandle,
} from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';

/** Why a write into the sandbox was refused; the fetcher turns it into a FetchError naming the URI. */
export class SandboxWriteError extends Error {
  override name = 'SandboxWriteError';
}

const throughLink = (path: string) =>
  new SandboxWriteError(
    `'${path}' in the sandbox is a symbolic link; the fetcher never writes through symbolic links`,
  );

function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  return lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/** Makes `dir` (relative to the sandbox) and its parents, refusing any component that is a link or not a directory. */
async function ensureSandboxDirectory(sandbox: string, dir: string): Promise<void> {
  let path = '';
  for (const part of dir.split(sep).filter((each) => each !== '' && each !== '.')) {
    path = path === '' ? part : join(path, part);
    const full = join(sandbox, path);
    let info = await lstatOrUndefined(full);
    if (info === undefined) {
      await mkdir(full).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      info = await lstat(full);
    }
    if (info.isSymbolicLink()) throw throughLink(path);
    if (!info.isDirectory()) throw new SandboxWriteError(`'${path}' in the sandbox is not a directory`);
  }
}

/**
 * Opens `file` (relative to the sandbox) for writing, created or truncated, its directories made as by
 * {@link ensureSandboxDirectory}. Refuses a link or anything but a regular file at `file`.
 */
async function openSandboxFile(sandbox: string, file: string): Promise<FileHandle> {
  await ensureSandboxDirectory(sandbox, dirname(file));
  const flags =
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await open(join(sandbox, file), flags, 0o644).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') throw throughLink(file);
    if (error.code === 'ENXIO' || error.code === 'EISDIR') {
      throw new SandboxWriteError(`'${file}' in the sandbox is not a regular file`);
    }
    throw error;
  });
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new SandboxWriteError(`'${file}' in the sandbox is not a regular file`);
  }
  return handle;
}

/**
 * Writes `file` (relative to the sandbox, opened as by {@link openSandboxFile}) through the stream `write` is
 * handed; `mode` is applied even when the file already existed. The file is closed however `write` ends.
 */
export async function writeSandboxFile(
  sandbox: string,
  file: string,
  write: (output: Writable) => Promise<void>,
  mode?: number,
): Promise<void> {
  const handle = await openSandboxFile(sandbox, file);
  if (mode !== undefined) {
    await handle.chmod(mode).catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
  }
  // The stream owns the handle from here on and closes it when it ends or is destroyed.
  const output = handle.createWriteStream();
  try {
    await write(output);
  } finally {
    if (!output.closed) {
      const closed = once(output, 'close');
      output.destroy();
      await closed;
    }
  }
}

/**
 * Whether a link at `link` (relative to the sandbox) reading `target` points outside the sandbox, by its text. An
 * absolute target always does: an archive cannot know where its sandbox will be.
 */
export function linkLeavesSandbox(link: string, target: string): boolean {
  if (isAbsolute(target)) return true;
  const resolved = relative('/sandbox', resolve('/sandbox', dirname(link), target));
  return resolved === '..' || resolved.startsWith(`..${sep}`);
}

interface StagedEntry {
  /** Relative to the staging directory, which is relative to the sandbox once moved. */
  path: string;
  kind: 'directory' | 'file' | 'link';
}

/** Every entry below `root`, parents before children; refuses devices, FIFOs and sockets. */
async function stagedEntries(root: string, archive: string): Promise<StagedEntry[]> {
  const entries: StagedEntry[] = [];
  const walk = async (dir: string) => {
    for (const name of (await readdir(join(root, dir))).sort()) {
      const path = dir === '' ? name : join(dir, name);
      const info = await lstat(join(root, path));
      if (info.isSymbolicLink()) entries.push({ path, kind: 'link' });
      else if (info.isFile()) entries.push({ path, kind: 'file' });
      else if (info.isDirectory()) {
        entries.push({ path, kind: 'directory' });
        await walk(path);
      } else {
        throw new SandboxWriteError(
          `${archive} holds '${path}', a special file (device, FIFO or socket); only files, directories and symbolic links are extracted`,
        );
      }
    }
  };
  await walk('');
  return entries;
}

async function refuseOutwardLinks(root: string, links: StagedEntry[], archive: string): Promise<void> {
  for (const { path } of links) {
    const target = await readlink(join(root, path));
    if (linkLeavesSandbox(path, target)) {
      throw new SandboxWriteError(
        `${archive} holds the symbolic link '${path}' -> '${target}', which points outside the sandbox`,
      );
    }
  }
}

/** Moves the staged tree into the sandbox: new entries by rename, existing real directories merged into. */
async function moveIntoSandbox(staging: string, sandbox: string, dir: string): Promise<void> {
  for (const name of await readdir(join(staging, dir))) {
    const path = dir === '' ? name : join(dir, name);
    const source = join(staging, path);
    const destination = join(sandbox, path);
    const existing = await lstatOrUndefined(destination);
    const incoming = await lstat(source);
    if (existing?.isSymbolicLink() && incoming.isDirectory()) throw throughLink(path);
    if (existing?.isDirectory()) {
      if (!incoming.isDirectory()) {
        throw new SandboxWriteError(`'${path}' is a directory in the sandbox; the archive has a file there`);
      }
      await moveIntoSandbox(staging, sandbox, path);
      continue;
    }
    // rename(2) replaces a file or a link at the destination itself; it never follows a link there.
    if (existing !== undefined && incoming.isDirectory()) await rm(destination);
    await rename(source, destination);
  }
}

/**
 * Extracts an archive into the sandbox through a staging directory: `run(staging)` runs the tool there. Whatever
 * the tool says, a link pointing out of the sandbox or a special file fails the extraction (before the tool's own
 * error, which is less clear); then the entries move into place and every moved link is checked once more with
 * its real path, so a chain of links that only leads out once in place fails too (and is removed).
 */
export async function extractIntoSandbox(
  sandbox: string,
  archive: string,
  run: (staging: string) => Promise<void>,
): Promise<void> {
  const staging = await mkdtemp(join(sandbox, '.dcos-fetch-'));
  try {
    const outcome = await run(staging).then(
      () => undefined,
      (error: unknown) => error,
    );
    const entries = await stagedEntries(staging, archive);
    const links = entries.filter((entry) => entry.kind === 'link');
    await refuseOutwardLinks(staging, links, archive);
    if (outcome !== undefined) throw outcome;
    await moveIntoSandbox(staging, sandbox, '');
    const realSandbox = await realpath(sandbox);
    for (const { path } of links) {
      const real = await realpath(join(sandbox, path)).catch(() => undefined);
      if (real !== undefined && real !== realSandbox && !real.startsWith(`${realSandbox}${sep}`)) {
        await rm(join(sandbox, path), { force: true });
        throw new SandboxWriteError(
          `${archive} holds the symbolic link '${path}', which leads outside the sandbox through other links`,
        );
      }
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
