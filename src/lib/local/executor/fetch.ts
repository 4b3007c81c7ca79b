/**
 * The Mesos fetcher, for `dcos local`: puts an app's `fetch` URIs into a task's sandbox before the task starts.
 *
 * What it does, like the Mesos fetcher (`src/launcher/fetcher.cpp`):
 * - `file:` URIs and plain absolute paths are copied; `http:`/`https:` URIs are downloaded. Other schemes
 *   (hdfs, s3, ftp, ...) and relative paths are refused.
 * - The file is named after the URI's last path segment, or `destPath` (relative, inside the sandbox).
 * - `executable: true` makes it mode 755 and is never extracted; otherwise, when `extract` is not false and the
 *   name ends in an archive extension, it is extracted into the sandbox (`tar` for tar archives, `unzip` for
 *   .zip, built-in gunzip for a plain .gz). The archive itself stays in the sandbox, as with Mesos.
 * - `cache` is accepted and ignored (every launch fetches afresh).
 * - Nothing is written through a symbolic link already in the sandbox, and an archive may not bring a link that
 *   points out of it (see sandbox-fs.ts): the fetch fails instead, naming the link.
 *
 * Network safety: this machine must never send traffic anywhere but to itself. HTTP(S) URIs are allowed only to
 * loopback hosts, checked twice: the host name must pass `allowHost` (default: a loopback literal or
 * `localhost`) *and* every address it resolves to must be loopback (127.0.0.0/8, ::1, ::ffff:127.x). Redirects
 * are followed (at most 5) under the same rules. A refused host throws before any socket is opened.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

import type { FetchUri } from '../types.js';
import { extractIntoSandbox, SandboxWriteError, writeSandboxFile } from './sandbox-fs.js';

/** Per request (connect + whole body). Bounded so a stuck loopback server cannot hang a launch forever. */
const DOWNLOAD_TIMEOUT_MS = 120_000;
const MAX_REDIRECTS = 5;
/** Extraction of one archive. */
const EXTRACT_TIMEOUT_MS = 300_000;

const TAR_EXTENSIONS = ['.tar', '.tgz', '.tar.gz', '.tbz2', '.tar.bz2', '.txz', '.tar.xz'];

export interface FetchOptions {
  /**
   * Which host names may be fetched from over HTTP(S). Default: `isLoopbackHost`. Whatever it says, the
   * addresses a name resolves to must still all be loopback: this can narrow the rule or admit a name that
   * resolves to loopback, never open the network.
   */
  allowHost?: (host: string) => boolean;
  /** Stops the fetch (download or extraction in progress); fetchUris then rejects. */
  signal?: AbortSignal;
}

/** True for IPv4 127.0.0.0/8, IPv6 ::1 and IPv4-mapped ::ffff:127.x.y.z. */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const kind = isIP(bare);
  if (kind === 4) return bare.startsWith('127.');
  if (kind === 6) {
    const lower = bare.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    // IPv4-mapped: ::ffff:127.x.y.z, or as the URL parser writes it, ::ffff:7fxx:xxxx.
    const mapped = /^(?:0:0:0:0:0:|::)ffff:(.+)$/.exec(lower)?.[1];
    if (mapped === undefined) return false;
    return isIP(mapped) === 4 ? mapped.startsWith('127.') : /^7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(mapped);
  }
  return false;
}

/** A loopback address literal, or `localhost` / `*.localhost`. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase().replace(/\.$/, '');
  return isLoopbackAddress(lower) || lower === 'localhost' || lower.endsWith('.localhost');
}

/**
 * A `lookup` for `net`/`http` that resolves as usual but fails unless every address is loopback, so no socket
 * to another machine is ever opened, whatever /etc/hosts or DNS say.
 */
export const loopbackLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...(options as LookupOptions), all: true }, (error, addresses) => {
    if (error) {
      callback(error, '', 4);
      return;
    }
    const list = addresses as LookupAddress[];
    const outside = list.find((entry) => !isLoopbackAddress(entry.address));
    if (list.length === 0 || outside !== undefined) {
      const refused = new Error(
        `refusing to connect to ${hostname}${outside ? ` (${outside.address})` : ''}: dcos local only talks to loopback addresses`,
      ) as NodeJS.ErrnoException;
      refused.code = 'ENOTLOOPBACK';
      callback(refused, '', 4);
      return;
    }
    if ((options as LookupOptions).all === true) callback(null, list);
    else callback(null, list[0]!.address, list[0]!.family);
  });
};

export class FetchError extends Error {
  constructor(
    readonly uri: string,
    reason: string,
  ) {
    super(`Failed to fetch '${uri}': ${reason}`);
    this.name = 'FetchError';
  }
}

/** Fetches every URI into `sandbox` (which must exist), in order; the first failure throws a FetchError. */
export async function fetchUris(
  uris: FetchUri[],
  sandbox: string,
  options: FetchOptions = {},
): Promise<void> {
  const allowHost = options.allowHost ?? isLoopbackHost;
  const signal = options.signal ?? new AbortController().signal;
  for (const item of uris) {
    if (signal.aborted) throw new FetchError(item.uri, 'the fetch was cancelled');
    try {
      await fetchOne(item, sandbox, allowHost, signal);
    } catch (error) {
      if (error instanceof FetchError) throw error;
      throw new FetchError(item.uri, reasonOf(error));
    }
  }
}

async function fetchOne(
  item: FetchUri,
  sandbox: string,
  allowHost: (host: string) => boolean,
  signal: AbortSignal,
) {
  const source = parseSource(item.uri);
  const name = item.destPath ?? source.name;
  if (name === '' || name === '.' || name === '..') {
    throw new FetchError(item.uri, 'cannot tell the file name from the URI; set destPath');
  }
  if (isAbsolute(name)) throw new FetchError(item.uri, `destPath must be relative to the sandbox: ${name}`);
  const target = resolve(sandbox, name);
  const rel = relative(resolve(sandbox), target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new FetchError(item.uri, `destPath leaves the sandbox: ${name}`);
  }
  if (source.kind === 'file') {
    const info = await stat(source.path).catch((error: unknown) => {
      throw new FetchError(item.uri, reasonOf(error));
    });
    if (!info.isFile()) throw new FetchError(item.uri, `${source.path} is not a regular file`);
  }

  await writeSandboxFile(
    sandbox,
    rel,
    (output) =>
      source.kind === 'file'
        ? pipeline(createReadStream(source.path), output, { signal })
        : download(source.url, output, allowHost, item.uri, signal),
    item.executable === true ? 0o755 : undefined,
  );

  if (item.executable === true || item.extract === false) return;
  await extract(rel, sandbox, item.uri, signal);
}

type Source = { kind: 'file'; path: string; name: string } | { kind: 'http'; url: URL; name: string };

function parseSource(uri: string): Source {
  if (uri.startsWith('/')) return { kind: 'file', path: uri, name: basename(uri) };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new FetchError(uri, 'not an absolute path or a URI (relative paths are not supported)');
  }
  if (url.protocol === 'file:') {
    if (url.hostname !== '' && url.hostname !== 'localhost') {
      throw new FetchError(uri, `file URIs must name a local path (host ${url.hostname} is not local)`);
    }
    const path = fileURLToPath(url);
    return { kind: 'file', path, name: basename(path) };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    return { kind: 'http', url, name: lastSegment(url) };
  }
  throw new FetchError(
    uri,
    `unsupported scheme '${url.protocol.replace(/:$/, '')}' (dcos local fetches file, http and https URIs)`,
  );
}

function lastSegment(url: URL): string {
  const segment = url.pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

async function download(
  start: URL,
  target: Writable,
  allowHost: (host: string) => boolean,
  uri: string,
  signal: AbortSignal,
) {
  let url = start;
  for (let hop = 0; ; hop += 1) {
    const host = hostOf(url);
    // An address literal never goes through `lookup`, so it must be loopback here, whatever allowHost says.
    if (!allowHost(host) || (isIP(host) !== 0 && !isLoopbackAddress(host))) {
      throw new FetchError(
        uri,
        `host '${host}' is not a loopback address; dcos local fetches only from this machine (127.0.0.0/8, ::1, localhost)`,
      );
    }
    const location = await getOnce(url, target, signal);
    if (location === undefined) return;
    if (hop >= MAX_REDIRECTS) throw new FetchError(uri, `too many redirects (more than ${MAX_REDIRECTS})`);
    const next = new URL(location, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new FetchError(uri, `redirected to an unsupported URI: ${next.href}`);
    }
    url = next;
  }
}

/** One GET. Resolves with the redirect target for 3xx with Location, or undefined once the body is written. */
function getOnce(url: URL, target: Writable, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolvePromise, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (error: unknown, value?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolvePromise(value);
    };
    const request = client.get(url, {
      agent: false,
      lookup: loopbackLookup,
      signal,
      headers: { 'user-agent': 'dcos-local-fetcher' },
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`no complete answer within ${DOWNLOAD_TIMEOUT_MS / 1000} seconds`));
    }, DOWNLOAD_TIMEOUT_MS);
    timer.unref();
    request.on('error', (error) => finish(error));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        response.resume();
        finish(undefined, location);
        return;
      }
      if (status < 200 || status >= 300) {
        response.resume();
        finish(new Error(`HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`));
        return;
      }
      pipeline(response, target, { signal }).then(
        () => finish(undefined),
        (error: unknown) => finish(error),
      );
    });
  });
}

function archiveKind(file: string): 'tar' | 'zip' | 'gz' | undefined {
  const lower = file.toLowerCase();
  if (TAR_EXTENSIONS.some((ext) => lower.endsWith(ext))) return 'tar';
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.gz')) return 'gz';
  return undefined;
}

/** Extracts the archive `file` (relative to the sandbox) into the sandbox, as sandbox-fs.ts allows. */
async function extract(file: string, sandbox: string, uri: string, signal: AbortSignal): Promise<void> {
  const kind = archiveKind(file);
  if (kind === undefined) return;
  const archive = join(sandbox, file);
  if (kind === 'gz') {
    // Like the Mesos fetcher: `name.gz` is decompressed next to itself as `name`.
    await writeSandboxFile(sandbox, file.slice(0, -'.gz'.length), (output) =>
      pipeline(createReadStream(archive), createGunzip(), output, { signal }),
    );
    return;
  }
  await extractIntoSandbox(sandbox, basename(file), (staging) =>
    runExtractor(kind, archive, staging, uri, signal),
  );
}

function runExtractor(
  kind: 'tar' | 'zip',
  archive: string,
  into: string,
  uri: string,
  signal: AbortSignal,
): Promise<void> {
  const [command, args] =
    kind === 'tar' ? ['tar', ['-C', into, '-xf', archive]] : ['unzip', ['-o', '-q', '-d', into, archive]];
  return new Promise<void>((resolvePromise, reject) => {
    execFile(
      command,
      args as string[],
      { cwd: into, timeout: EXTRACT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, signal },
      (error, _stdout, stderr) => {
        if (!error) {
          resolvePromise();
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(
            new FetchError(
              uri,
              `cannot extract ${basename(archive)}: '${command}' is not installed on this machine`,
            ),
          );
          return;
        }
        const detail = stderr.trim().split('\n').slice(-3).join('; ');
        reject(
          new FetchError(
            uri,
            `extracting ${basename(archive)} with ${command} failed${detail ? `: ${detail}` : ''}`,
          ),
        );
      },
    );
  });
}

function reasonOf(error: unknown): string {
  if (error instanceof SandboxWriteError) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && 'path' in error)
      return `no such file: ${String((error as NodeJS.ErrnoException).path)}`;
    return error.message;
  }
  return String(error);
}
