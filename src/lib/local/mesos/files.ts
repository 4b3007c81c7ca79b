/**
 * The Mesos files API (`/files/browse`, `/files/read`, `/files/download`) over real directories, following
 * Mesos 1.10 `src/files/files.cpp`. The HTTP layer maps a request's virtual path to a real one (see
 * {@link resolveVirtualPath}, Mesos' `resolve`), parses the query with {@link parseFilesQuery} and calls these;
 * failures are {@link FilesError}s carrying the exact status and body Mesos answers with.
 */

import { constants, type ReadStream, type Stats } from 'node:fs';
import { lstat, open, readdir, readFile, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

import { isInside } from '../../paths.js';

/** Mesos caps every read at 16 pages (`os::pagesize() * 16`); pages are 4 KiB here. */
export const MAX_READ_LENGTH = 16 * 4096;

/** A files API failure: `status` and `body` are what Mesos sends (404 has an empty body). */
export class FilesError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 500,
    readonly body: string,
  ) {
    super(body.trim() || (status === 404 ? 'Not Found' : `HTTP ${status}`));
    this.name = 'FilesError';
  }
}

export const notFound = () => new FilesError(404, '');
const badRequest = (message: string) => new FilesError(400, `${message}\n`);
/** Mesos' answer for a path whose real location is outside what it serves (files.cpp `resolve`). */
export const inaccessible = (path: string) => badRequest(`'${path}' is inaccessible.`);

/** Where served files must really be: a directory given as its canonical path (no symlinks in it). */
export interface Confinement {
  within?: string;
}

export interface FileInfo {
  path: string;
  nlink: number;
  size: number;
  /** Seconds since the epoch (whole seconds, as `st_mtime`). */
  mtime: number;
  mode: string;
  uid: string;
  gid: string;
}

export interface FilesQuery {
  path: string;
  /** Undefined when absent; -1 (or absent) asks for the file size. */
  offset: number | undefined;
  /** Undefined when absent or -1: read to the end of the file (capped). */
  length: number | undefined;
}

/** stout's `numify`: decimal with an optional sign, or hex with `0x`/`-0x`. */
function numify(text: string): number | undefined {
  let value: number | undefined;
  if (/^[+-]?\d+$/.test(text)) value = Number(text);
  else {
    const hex = /^(-?)0[xX]([0-9a-fA-F]+)$/.exec(text);
    if (hex) value = (hex[1] ? -1 : 1) * parseInt(hex[2]!, 16);
  }
  return value !== undefined && Number.isSafeInteger(value) ? value : undefined;
}

/** A query {@link parseFilesQuery} rejects: always a 400, `error` being the exact body Mesos sends. */
export interface FilesQueryError {
  status: 400;
  error: string;
}

/**
 * Parse `path`, `offset` and `length` the way Mesos' `/files/read` does. Returns `{status: 400, error}` (the
 * body, newline-terminated like Mesos') for a missing path (`Expecting 'path=value' in query.`), an unparsable
 * number (`Failed to parse offset: Failed to convert 'x' to number.`), or a value below -1 (`Negative offset
 * provided: -2.`). `length=-1` becomes undefined. For browse and download only `path` matters.
 */
export function parseFilesQuery(query: URLSearchParams): FilesQuery | FilesQueryError {
  const badQuery = (message: string): FilesQueryError => ({ status: 400, error: `${message}\n` });
  const path = query.get('path');
  if (path === null || path === '') return badQuery("Expecting 'path=value' in query.");
  let offset: number | undefined;
  const rawOffset = query.get('offset');
  if (rawOffset !== null) {
    offset = numify(rawOffset);
    if (offset === undefined)
      return badQuery(`Failed to parse offset: Failed to convert '${rawOffset}' to number.`);
    if (offset < -1) return badQuery(`Negative offset provided: ${offset}.`);
  }
  let length: number | undefined;
  const rawLength = query.get('length');
  if (rawLength !== null) {
    const parsed = numify(rawLength);
    if (parsed === undefined)
      return badQuery(`Failed to parse length: Failed to convert '${rawLength}' to number.`);
    if (parsed < -1) return badQuery(`Negative length provided: ${parsed}.`);
    if (parsed > -1) length = parsed;
  }
  return { path, offset, length };
}

/**
 * Mesos' `resolve`: map a virtual path onto the attached real paths (virtual → real, e.g. the three names of an
 * executor sandbox). The longest attached prefix wins; below an attached directory the rest is appended and the
 * result canonicalised, and must stay inside the attached directory (else 400 `'<path>' is inaccessible.`).
 * Returns null (→ 404) when nothing matches, the file does not exist, or a suffix follows an attached file.
 */
export async function resolveVirtualPath(
  attached: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  virtualPath: string,
): Promise<string | null> {
  const table = attached instanceof Map ? attached : new Map(Object.entries(attached));
  const strip = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
  const paths = new Map([...table].map(([virtual, real]) => [strip(virtual), real]));
  const tokens = strip(virtualPath).split('/');
  const suffix: string[] = [];
  while (tokens.length > 0) {
    const prefix = tokens.join('/');
    const real = paths.get(prefix === '' ? '/' : prefix);
    if (real === undefined) {
      suffix.unshift(tokens.pop()!);
      continue;
    }
    const info = await stat(real).catch(() => undefined);
    if (info?.isDirectory()) {
      const joined = join(real, ...suffix);
      const canonical = await realpath(joined).catch(() => null);
      if (canonical === null) return null;
      const root = await realpath(real).catch(() => real);
      if (!isInside(canonical, root)) throw inaccessible(joined);
      return canonical;
    }
    if (suffix.length > 0 || !info) return null;
    return real;
  }
  return null;
}

let accountNames: Promise<{ users: Map<number, string>; groups: Map<number, string> }> | undefined;

/** uid/gid → name from /etc/passwd and /etc/group, read once; Mesos shows names, or the number when unknown. */
function accounts() {
  const table = async (file: string) => {
    const names = new Map<number, string>();
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
    }
    return names;
  };
  accountNames ??= Promise.all([table('/etc/passwd'), table('/etc/group')]).then(([users, groups]) => ({
    users,
    groups,
  }));
  return accountNames;
}

/** `ls -l` style mode as Mesos writes it: `d`, `l` or `-`, then rwx for user, group and other. */
export function modeString(stats: Pick<Stats, 'mode' | 'isDirectory' | 'isSymbolicLink'>): string {
  const type = stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : '-';
  const bits = 'rwxrwxrwx';
  let perms = '';
  for (let i = 0; i < 9; i++) perms += stats.mode & (1 << (8 - i)) ? bits[i] : '-';
  return type + perms;
}

async function fileInfo(path: string, stats: Stats): Promise<FileInfo> {
  const { users, groups } = await accounts();
  return {
    path,
    nlink: stats.nlink,
    size: stats.size,
    mtime: Math.floor(stats.mtimeMs / 1000),
    mode: modeString(stats),
    uid: users.get(stats.uid) ?? String(stats.uid),
    gid: groups.get(stats.gid) ?? String(stats.gid),
  };
}

/** stout's `path::join` of two parts: exactly one `/` between them. */
function joinVirtual(dir: string, entry: string): string {
  return `${dir.replace(/\/+$/, '')}/${entry.replace(/^\/+/, '')}`;
}

/**
 * `/files/browse`: the entries of the directory `realPath`, each named `virtualPath/<entry>`, sorted by name (byte
 * order), stat'ed through symlinks (entries whose stat fails are skipped). Browsing a file gives `[]`, as in Mesos
 * (its listing of a non-directory fails silently). 404 when `realPath` does not exist. With `within`, a symlink
 * whose target is outside it is listed as the link itself (mode `l...`): nothing about the target shows.
 */
export async function browse(
  realPath: string,
  virtualPath: string,
  { within }: Confinement = {},
): Promise<FileInfo[]> {
  const target = await stat(realPath).catch(() => undefined);
  if (!target) throw notFound();
  if (!target.isDirectory()) return [];
  const entries = await readdir(realPath).catch(() => [] as string[]);
  const listing: FileInfo[] = [];
  for (const entry of [...entries].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    const stats = await entryStats(join(realPath, entry), within);
    if (stats) listing.push(await fileInfo(joinVirtual(virtualPath, entry), stats));
  }
  return listing;
}

async function entryStats(path: string, within: string | undefined): Promise<Stats | undefined> {
  const stats = await stat(path).catch(() => undefined);
  if (stats === undefined || within === undefined) return stats;
  const real = await realpath(path).catch(() => undefined);
  if (real !== undefined && isInside(real, within)) return stats;
  return lstat(path).catch(() => undefined);
}

/**
 * Opens `realPath` for reading without ever blocking (a FIFO would hold a thread of the pool forever) and checks
 * what was opened: a directory is `directoryError`, anything but a regular file is a 400, and with `within` the
 * file the descriptor really points at (/proc/self/fd) must be inside it, so a symlink swapped in after the caller
 * resolved the path still leads nowhere.
 */
async function openServed(
  realPath: string,
  within: string | undefined,
  errors: { directory: string; open: (error: Error) => string },
): Promise<{ handle: FileHandle; size: number }> {
  const handle = await open(realPath, constants.O_RDONLY | constants.O_NONBLOCK).catch(
    (error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? notFound() : new FilesError(500, errors.open(error));
    },
  );
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw badRequest(errors.directory);
    if (!info.isFile()) throw badRequest(`'${realPath}' is not a regular file.`);
    if (within !== undefined) {
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
      if (opened !== undefined && !isInside(opened, within)) throw inaccessible(realPath);
    }
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The raw bytes `/files/read` would send, and the file size. `offset` undefined or -1 → no data, `offset` = size;
 * offset at or past the end → no data, `offset` echoed; `length` undefined or -1 → to the end of the file; every
 * read capped at 64 KiB. 400 for an offset below -1 (`Negative offset provided: N.`), a length below -1, a
 * directory (`Cannot read a directory.`) or anything else that is not a regular file (a FIFO would block, a device
 * is not a sandbox file; Mesos would try to read them); 404 when the file does not exist. With `within`, see
 * {@link openServed}.
 */
export async function readRaw(
  realPath: string,
  offset: number | undefined,
  length: number | undefined,
  { within }: Confinement = {},
): Promise<{ data: Buffer; offset: number; size: number }> {
  if (offset !== undefined && (!Number.isSafeInteger(offset) || offset < -1)) {
    throw badRequest(
      Number.isSafeInteger(offset) ? `Negative offset provided: ${offset}.` : 'Failed to parse offset.',
    );
  }
  if (length !== undefined && (!Number.isSafeInteger(length) || length < -1)) {
    throw badRequest(
      Number.isSafeInteger(length) ? `Negative length provided: ${length}.` : 'Failed to parse length.',
    );
  }
  const { handle, size } = await openServed(realPath, within, {
    directory: 'Cannot read a directory.',
    open: (error) => `Failed to open file at '${realPath}': ${error.message}.\n`,
  });
  try {
    if (offset === undefined || offset === -1) return { data: Buffer.alloc(0), offset: size, size };
    if (offset >= size) return { data: Buffer.alloc(0), offset, size };
    const wanted = Math.min(length === undefined || length === -1 ? size - offset : length, MAX_READ_LENGTH);
    if (wanted === 0) return { data: Buffer.alloc(0), offset, size };
    const buffer = Buffer.alloc(wanted);
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await handle.read(buffer, filled, wanted - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { data: buffer.subarray(0, filled), offset, size };
  } finally {
    await handle.close();
  }
}

/** How many bytes at the end of `data` are an incomplete UTF-8 sequence (0 when it ends on a character boundary). */
function incompleteTail(data: Buffer): number {
  for (let back = 1; back <= Math.min(3, data.length); back++) {
    const byte = data[data.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}

/**
 * `/files/read`: {@link readRaw} with the bytes as a string (`{data, offset}`, `offset` being the request's offset,
 * or the size for offset -1). One deliberate difference from Mesos, which puts raw bytes in the JSON string: when
 * a read stops inside a multi-byte UTF-8 character before the end of the file, the partial character is left for
 * the next read, so `offset + Buffer.byteLength(data)` is always where to continue and no character is split into
 * replacement characters. (A read too short to hold one whole character returns it decoded as is.)
 */
export async function read(
  realPath: string,
  offset: number | undefined,
  length: number | undefined,
  confinement: Confinement = {},
): Promise<{ data: string; offset: number }> {
  const raw = await readRaw(realPath, offset, length, confinement);
  let bytes = raw.data;
  if (raw.offset + bytes.length < raw.size) {
    const tail = incompleteTail(bytes);
    if (tail > 0 && tail < bytes.length) bytes = bytes.subarray(0, bytes.length - tail);
  }
  return { data: bytes.toString('utf8'), offset: raw.offset };
}

/** A few of libprocess' `mime::types` (by extension); everything else is `application/octet-stream`. */
const MIME_TYPES: Record<string, string> = {
  '.css': 'text/css',
  '.gif': 'image/gif',
  '.gz': 'application/x-gzip',
  '.htm': 'text/html',
  '.html': 'text/html',
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
  '.js': 'application/javascript',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.tar': 'application/x-tar',
  '.tgz': 'application/x-tar-gz',
  '.txt': 'text/plain',
  '.xml': 'application/xml',
  '.zip': 'application/zip',
};

export interface Download {
  stream: ReadStream;
  size: number;
  /** `application/octet-stream`, or the type of a known extension (as Mesos does). */
  contentType: string;
  /** For `Content-Disposition: attachment; filename=<filename>`. */
  filename: string;
}

/**
 * `/files/download`: a stream of the file's bytes (the file is opened before this returns; the stream closes it
 * when it ends or is destroyed — destroy it if you do not consume it). 400 `Cannot download a directory.` (or
 * not a regular file, as for {@link readRaw}), 404 when the file does not exist.
 */
export async function download(realPath: string, { within }: Confinement = {}): Promise<Download> {
  const { handle, size } = await openServed(realPath, within, {
    directory: 'Cannot download a directory.',
    open: (error) => `Failed to open '${realPath}': ${error.message}\n`,
  });
  const filename = basename(realPath);
  return {
    stream: handle.createReadStream(),
    size,
    contentType: MIME_TYPES[extname(filename).toLowerCase()] ?? 'application/octet-stream',
    filename,
  };
}
