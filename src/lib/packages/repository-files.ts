/**
 * Reading a Universe repository's bytes when the repository may be hostile: whoever wrote it chose its symbolic
 * links, special files and sizes. A file is read only when
 * - it resolves (symbolic links followed) to a place inside the repository's root: a link that stays inside is
 *   fine, one that leads out is refused, so no file of the reader's own (a credentials file) can end up in a
 *   package, a label or an error;
 * - it is opened without blocking (O_NONBLOCK: a FIFO swapped in cannot hang the reader) and without following
 *   a link swapped in after it was resolved (O_NOFOLLOW), and the opened descriptor is a regular file still
 *   inside the root;
 * - its size, checked before reading, fits the per-file and per-repository limits (a link to /dev/zero is not a
 *   regular file, and a file that grows while read stops at the limit).
 * Every refusal is a `repository_unreadable` DcosError naming the file as the repository names it.
 * Downloads are capped the same way, by bytes and by time.
 */
import { constants, type Stats } from 'node:fs';
import { open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

import { DcosError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { formatSize } from '../text.js';

/** Largest repository: an index file, the files of a source tree together, or a download. */
export const DEFAULT_MAX_REPOSITORY_BYTES = 64 * 1024 * 1024;
/** Largest single file of a source tree (Universe's biggest config.json files are tens of KiB). */
export const MAX_REPOSITORY_FILE_BYTES = 4 * 1024 * 1024;
/** Most directory entries walked in a source tree (Universe has a few thousand package versions). */
export const MAX_SOURCE_TREE_ENTRIES = 100_000;
/** Longest a repository download may take, from the request to the last byte. */
export const REPOSITORY_DOWNLOAD_TIMEOUT_MS = 60_000;

function unreadable(file: string, reason: string, details: Record<string, unknown> = {}): DcosError {
  return new DcosError(`${file} ${reason}`, { code: 'repository_unreadable', details: { file, ...details } });
}

export function repositoryTooLarge(origin: string, maxBytes: number): DcosError {
  return new DcosError(`Universe repository ${origin} is larger than the ${formatSize(maxBytes)} limit`, {
    code: 'repository_unreadable',
    details: { file: origin, maxBytes },
  });
}

function isInside(path: string, root: string): boolean {
  const rest = relative(root, path);
  return rest === '' || (!isAbsolute(rest) && rest !== '..' && !rest.startsWith(`..${sep}`));
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'a special file';
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** What went wrong with `file` in words, for an error the reader did not expect (a loop, permissions, I/O). */
export function readFailure(file: string, error: unknown): DcosError {
  const code = errnoOf(error);
  if (code === 'ELOOP')
    return unreadable(file, 'is a symbolic link loop (too many levels of symbolic links)');
  if (code === 'EACCES' || code === 'EPERM') return unreadable(file, 'cannot be read: permission denied');
  return unreadable(file, `cannot be read: ${code ?? (error as Error).message}`);
}

interface ReadLimits {
  /** Most bytes this file may have. */
  maxBytes: number;
  /** Says what the limit is when the file passes it (the per-file or the whole repository's). */
  tooLarge: () => DcosError;
  /** The root the descriptor must still be in once opened. */
  within?: string;
}

/**
 * The bytes of the regular file at `realPath` (already resolved), opened without blocking or following a link,
 * checked to be a regular file (inside `within`), and read up to `maxBytes`. `file` names it in errors.
 */
async function readRegularFile(realPath: string, file: string, limits: ReadLimits): Promise<Buffer> {
  let handle;
  try {
    handle = await open(realPath, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    // ELOOP here: a link put in place of the file after it was resolved.
    if (errnoOf(error) === 'ELOOP') throw unreadable(file, 'changed into a symbolic link while being read');
    if (errnoOf(error) === 'ENXIO') throw unreadable(file, 'is not a regular file (a socket or device)');
    throw readFailure(file, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw unreadable(file, `is ${kindOf(info)}, not a regular file`);
    if (limits.within !== undefined) {
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
      if (opened !== undefined && !isInside(opened, limits.within)) {
        throw unreadable(file, 'leads outside the repository');
      }
    }
    if (info.size > limits.maxBytes) throw limits.tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limits.maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      // A file that grew since fstat: stop one byte past the limit rather than read on.
      if (total > limits.maxBytes) throw limits.tooLarge();
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * The text of a repository that is one index file at `path` (the user named it: a link to it is followed, but
 * what it leads to must be a regular file of at most `maxBytes`).
 */
export async function readIndexFile(path: string, maxBytes: number): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    throw readFailure(path, error);
  }
  const bytes = await readRegularFile(real, path, {
    maxBytes,
    tooLarge: () => repositoryTooLarge(path, maxBytes),
  });
  return bytes.toString('utf8');
}

/**
 * A Universe source tree rooted at a directory: files and directories below it are read only where they
 * resolve inside it, within one byte budget for the whole tree and a per-file limit. Paths are relative to the
 * root; errors name them as `<root as given>/<path>`.
 */
export class SourceTreeReader {
  private remaining: number;
  private entries = 0;

  private constructor(
    readonly root: string,
    private readonly realRoot: string,
    private readonly maxBytes: number,
  ) {
    this.remaining = maxBytes;
  }

  static async open(root: string, maxBytes = DEFAULT_MAX_REPOSITORY_BYTES): Promise<SourceTreeReader> {
    try {
      return new SourceTreeReader(root, await realpath(root), maxBytes);
    } catch (error) {
      throw readFailure(root, error);
    }
  }

  /** `<root>/<path>`, as errors show it. */
  shown(path: string): string {
    return join(this.root, path);
  }

  /** The real path of `path`, refused when it leads outside the root; undefined when nothing is there. */
  private async resolve(path: string): Promise<string | undefined> {
    let real: string;
    try {
      real = await realpath(join(this.realRoot, path));
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw readFailure(this.shown(path), error);
    }
    if (!isInside(real, this.realRoot)) throw unreadable(this.shown(path), 'leads outside the repository');
    return real;
  }

  async isDirectory(path: string): Promise<boolean> {
    const real = await this.resolve(path);
    if (real === undefined) return false;
    return (await stat(real).catch(() => undefined))?.isDirectory() ?? false;
  }

  /** The names of the subdirectories of `path` (links to directories inside the root included), sorted. */
  async subdirectories(path: string): Promise<string[]> {
    const real = await this.resolve(path);
    if (real === undefined) return [];
    let names: string[];
    try {
      names = (await readdir(real)).sort();
    } catch (error) {
      throw readFailure(this.shown(path), error);
    }
    this.entries += names.length;
    if (this.entries > MAX_SOURCE_TREE_ENTRIES) {
      throw unreadable(
        this.root,
        `has more than ${MAX_SOURCE_TREE_ENTRIES} entries in its package directories`,
      );
    }
    const found: string[] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue;
      if (await this.isDirectory(join(path, name))) found.push(name);
    }
    return found;
  }

  /** The text of the file at `path`; undefined when there is none. */
  async readText(path: string): Promise<string | undefined> {
    const real = await this.resolve(path);
    if (real === undefined) return undefined;
    const budgetBinds = this.remaining < MAX_REPOSITORY_FILE_BYTES;
    const bytes = await readRegularFile(real, this.shown(path), {
      maxBytes: Math.min(MAX_REPOSITORY_FILE_BYTES, this.remaining),
      tooLarge: () =>
        budgetBinds
          ? repositoryTooLarge(this.root, this.maxBytes)
          : unreadable(
              this.shown(path),
              `is larger than the ${formatSize(MAX_REPOSITORY_FILE_BYTES)} limit for a repository file`,
              { maxBytes: MAX_REPOSITORY_FILE_BYTES },
            ),
      within: this.realRoot,
    });
    this.remaining -= bytes.length;
    return bytes.toString('utf8');
  }
}

/** What a Universe server is asked for: Cosmos's repository media types, newest first, then any JSON. */
const UNIVERSE_ACCEPT = [5, 4, 3]
  .map((version) => `application/vnd.dcos.universe.repo+json;charset=utf-8;version=v${version}`)
  .concat('application/json;q=0.9', '*/*;q=0.8')
  .join(',');

export interface DownloadLimits {
  maxBytes: number;
  /** From the request to the body's last byte; {@link REPOSITORY_DOWNLOAD_TIMEOUT_MS} by default. */
  timeoutMs?: number;
}

/**
 * The whole body of a download, refused once it passes `maxBytes` (before reading it when Content-Length
 * already says so). `url` names it in errors.
 */
async function readDownload(
  body: AsyncIterable<Uint8Array>,
  url: string,
  maxBytes: number,
  contentLength: string | null | undefined,
): Promise<string> {
  if (contentLength && Number(contentLength) > maxBytes) throw repositoryTooLarge(url, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw repositoryTooLarge(url, maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** `download(signal)` aborted after the time limit, which then fails as the download taking too long. */
async function withinTimeLimit(
  url: string,
  limits: DownloadLimits,
  download: (signal: AbortSignal) => Promise<string>,
): Promise<string> {
  const timeoutMs = limits.timeoutMs ?? REPOSITORY_DOWNLOAD_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    return await download(deadline);
  } catch (error) {
    if (!deadline.aborted) throw error;
    throw new DcosError(
      `cannot fetch the Universe repository ${url}: it took longer than ${timeoutMs / 1000} s`,
      { code: 'repository_unavailable', details: { uri: url } },
    );
  }
}

/**
 * An http(s) repository fetched with the CLI's client (the cluster's credentials for its own origin, its TLS
 * settings), as the client-side manager does, within `limits`.
 */
export function downloadWithClient(http: HttpClient, url: string, limits: DownloadLimits): Promise<string> {
  return withinTimeLimit(url, limits, async (signal) => {
    const response = await http.stream(url, {
      headers: { accept: UNIVERSE_ACCEPT },
      timeoutMs: limits.timeoutMs ?? REPOSITORY_DOWNLOAD_TIMEOUT_MS,
      signal,
    });
    const length = response.headers['content-length'];
    return readDownload(response.body, url, limits.maxBytes, Array.isArray(length) ? length[0] : length);
  });
}

/** An http(s) repository fetched with fetch() (no credentials), as dcos local's Cosmos does, within `limits`. */
export function downloadWithFetch(url: string, limits: DownloadLimits): Promise<string> {
  return withinTimeLimit(url, limits, async (signal) => {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: UNIVERSE_ACCEPT }, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      const reason =
        error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : error;
      throw new DcosError(`cannot fetch the Universe repository ${url}: ${String(reason)}`, {
        code: 'repository_unavailable',
        details: { uri: url },
      });
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new DcosError(`cannot fetch the Universe repository ${url}: HTTP ${response.status}`, {
        code: 'repository_unavailable',
        details: { uri: url, status: response.status },
      });
    }
    return readDownload(response.body, url, limits.maxBytes, response.headers.get('content-length'));
  });
}
