import { execFileSync } from 'node:child_process';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  browse,
  download,
  FilesError,
  MAX_READ_LENGTH,
  modeString,
  parseFilesQuery,
  read,
  readRaw,
  resolveVirtualPath,
} from '../../../../src/lib/local/mesos/files.js';
import { removeTempDirs, tempDir } from '../../config/helpers.js';

afterEach(removeTempDirs);

/** A sandbox: stdout (small), stderr (empty), big.log (> 64 KiB), utf8.txt, a sub-directory. */
async function sandbox() {
  const dir = await tempDir('dcos-sandbox-');
  const big = Buffer.alloc(200_000);
  for (let i = 0; i < big.length; i++) big[i] = 97 + (i % 26);
  await writeFile(join(dir, 'stdout'), 'hello\nworld\n');
  await writeFile(join(dir, 'stderr'), '');
  await writeFile(join(dir, 'big.log'), big);
  // 'é' is 2 bytes, '€' 3, '😀' 4 (UTF-8).
  await writeFile(join(dir, 'utf8.txt'), 'aé€😀z');
  await mkdir(join(dir, 'sub'), { mode: 0o755 });
  await writeFile(join(dir, 'sub', 'inner.txt'), 'inner', { mode: 0o640 });
  await utimes(join(dir, 'stdout'), 1_437_089_500, 1_437_089_500.75);
  return { dir, big };
}

async function rejection(promise: Promise<unknown>): Promise<FilesError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FilesError);
  return error as FilesError;
}

describe('browse', () => {
  it('lists entries under the virtual path, sorted, with Mesos file info', async () => {
    const { dir } = await sandbox();
    const listing = await browse(dir, '/frameworks/fw/executors/e/runs/latest');
    expect(listing.map((entry) => entry.path)).toEqual([
      '/frameworks/fw/executors/e/runs/latest/big.log',
      '/frameworks/fw/executors/e/runs/latest/stderr',
      '/frameworks/fw/executors/e/runs/latest/stdout',
      '/frameworks/fw/executors/e/runs/latest/sub',
      '/frameworks/fw/executors/e/runs/latest/utf8.txt',
    ]);
    const stdout = listing.find((entry) => entry.path.endsWith('/stdout'))!;
    expect(stdout).toEqual({
      path: '/frameworks/fw/executors/e/runs/latest/stdout',
      nlink: 1,
      size: 12,
      mtime: 1_437_089_500,
      mode: expect.stringMatching(/^-rw.......$/),
      uid: userInfo().username,
      gid: expect.any(String),
    });
    expect(Number.isInteger(stdout.mtime)).toBe(true);
    const sub = listing.find((entry) => entry.path.endsWith('/sub'))!;
    expect(sub.mode).toMatch(/^drwx......$/);
    // A trailing slash does not double up.
    expect((await browse(dir, '/sandbox/'))[0]!.path).toBe('/sandbox/big.log');
  });

  it('lists a real path as given, follows symlinks, and gives [] for a file', async () => {
    const { dir } = await sandbox();
    await symlink(join(dir, 'stdout'), join(dir, 'link'));
    await symlink(join(dir, 'missing'), join(dir, 'dangling'));
    const listing = await browse(join(dir, 'sub'), join(dir, 'sub'));
    expect(listing).toEqual([expect.objectContaining({ path: join(dir, 'sub', 'inner.txt'), size: 5 })]);
    expect(listing[0]!.mode).toBe('-rw-r-----');
    const all = await browse(dir, dir);
    const link = all.find((entry) => entry.path.endsWith('/link'))!;
    expect(link).toMatchObject({ size: 12, mode: expect.stringMatching(/^-/) });
    expect(all.some((entry) => entry.path.endsWith('/dangling'))).toBe(false);
    expect(await browse(join(dir, 'stdout'), '/x/stdout')).toEqual([]);
  });

  it('is 404 for a missing path', async () => {
    const { dir } = await sandbox();
    const error = await rejection(browse(join(dir, 'nope'), '/nope'));
    expect([error.status, error.body]).toEqual([404, '']);
  });
});

describe('read', () => {
  it('offset -1 (or none) gives the size and no data', async () => {
    const { dir } = await sandbox();
    expect(await read(join(dir, 'stdout'), -1, undefined)).toEqual({ data: '', offset: 12 });
    expect(await read(join(dir, 'stdout'), undefined, undefined)).toEqual({ data: '', offset: 12 });
    expect(await read(join(dir, 'stdout'), -1, 5)).toEqual({ data: '', offset: 12 });
    expect(await read(join(dir, 'stderr'), -1, undefined)).toEqual({ data: '', offset: 0 });
  });

  it('reads from an offset, for a length or to the end', async () => {
    const { dir } = await sandbox();
    const file = join(dir, 'stdout');
    expect(await read(file, 0, undefined)).toEqual({ data: 'hello\nworld\n', offset: 0 });
    expect(await read(file, 6, undefined)).toEqual({ data: 'world\n', offset: 6 });
    expect(await read(file, 0, 5)).toEqual({ data: 'hello', offset: 0 });
    expect(await read(file, 6, 100)).toEqual({ data: 'world\n', offset: 6 });
    expect(await read(file, 0, -1)).toEqual({ data: 'hello\nworld\n', offset: 0 });
    expect(await read(file, 3, 0)).toEqual({ data: '', offset: 3 });
  });

  it('at or past the end gives no data and echoes the offset', async () => {
    const { dir } = await sandbox();
    expect(await read(join(dir, 'stdout'), 12, undefined)).toEqual({ data: '', offset: 12 });
    expect(await read(join(dir, 'stdout'), 500, 10)).toEqual({ data: '', offset: 500 });
    expect(await read(join(dir, 'stderr'), 0, undefined)).toEqual({ data: '', offset: 0 });
  });

  it('caps each read at 64 KiB; looping until empty yields the whole file', async () => {
    const { dir, big } = await sandbox();
    const file = join(dir, 'big.log');
    expect(MAX_READ_LENGTH).toBe(65536);
    const first = await read(file, 0, undefined);
    expect(first.data).toHaveLength(65536);
    expect((await read(file, 0, 1_000_000)).data).toHaveLength(65536);
    expect((await read(file, 190_000, undefined)).data).toHaveLength(10_000);
    let offset = (await read(file, -1, undefined)).offset;
    expect(offset).toBe(200_000);
    let text = '';
    offset = 0;
    for (;;) {
      const chunk = await read(file, offset, undefined);
      expect(chunk.offset).toBe(offset);
      if (chunk.data === '') break;
      text += chunk.data;
      offset += Buffer.byteLength(chunk.data);
    }
    expect(text).toBe(big.toString('latin1'));
  });

  it('never splits a UTF-8 character before the end of the file', async () => {
    const { dir } = await sandbox();
    const file = join(dir, 'utf8.txt');
    // Bytes: a(1) é(2) €(3) 😀(4) z(1) = 11.
    expect(await read(file, -1, undefined)).toEqual({ data: '', offset: 11 });
    expect(await read(file, 0, undefined)).toEqual({ data: 'aé€😀z', offset: 0 });
    expect(await read(file, 0, 2)).toEqual({ data: 'a', offset: 0 });
    expect(await read(file, 0, 5)).toEqual({ data: 'aé', offset: 0 });
    expect(await read(file, 3, 6)).toEqual({ data: '€', offset: 3 });
    expect(await read(file, 6, 5)).toEqual({ data: '😀z', offset: 6 });
    // Reading with any length and advancing by bytes reassembles the text exactly.
    for (const length of [1, 2, 3, 4, 5]) {
      let offset = 0;
      let text = '';
      for (let guard = 0; guard < 20; guard++) {
        const chunk = await read(file, offset, length);
        if (chunk.data === '') break;
        text += chunk.data;
        offset += Buffer.byteLength(chunk.data);
      }
      if (length >= 4) expect(text).toBe('aé€😀z');
    }
    // The raw bytes are there for whoever needs them (the operator API's base64 READ_FILE).
    const raw = await readRaw(file, 0, 2);
    expect(raw).toEqual({ data: Buffer.from([0x61, 0xc3]), offset: 0, size: 11 });
  });

  it('rejects directories, bad offsets and lengths, and missing files', async () => {
    const { dir } = await sandbox();
    let error = await rejection(read(dir, 0, undefined));
    expect([error.status, error.body]).toEqual([400, 'Cannot read a directory.\n']);
    error = await rejection(read(dir, -1, undefined));
    expect(error.status).toBe(400);
    error = await rejection(read(join(dir, 'stdout'), -2, undefined));
    expect([error.status, error.body]).toEqual([400, 'Negative offset provided: -2.\n']);
    error = await rejection(read(join(dir, 'stdout'), 0, -5));
    expect([error.status, error.body]).toEqual([400, 'Negative length provided: -5.\n']);
    error = await rejection(read(join(dir, 'stdout'), 1.5, undefined));
    expect(error.status).toBe(400);
    error = await rejection(read(join(dir, 'nope'), 0, undefined));
    expect([error.status, error.body]).toEqual([404, '']);
    // As in Mesos, a bad offset is reported before a missing file.
    error = await rejection(read(join(dir, 'nope'), -3, undefined));
    expect(error.status).toBe(400);
  });
});

describe('parseFilesQuery', () => {
  const parse = (query: string) => parseFilesQuery(new URLSearchParams(query));

  it('reads path, offset and length', () => {
    expect(parse('path=/a/b')).toEqual({ path: '/a/b', offset: undefined, length: undefined });
    expect(parse('path=%2Fa%2Fb&offset=10&length=20')).toEqual({ path: '/a/b', offset: 10, length: 20 });
    expect(parse('path=/a&offset=-1&length=-1')).toEqual({ path: '/a', offset: -1, length: undefined });
    expect(parse('path=/a&offset=0x10')).toEqual({ path: '/a', offset: 16, length: undefined });
  });

  it('answers what Mesos answers for bad queries', () => {
    expect(parse('')).toEqual({ status: 400, error: "Expecting 'path=value' in query.\n" });
    expect(parse('path=')).toEqual({ status: 400, error: "Expecting 'path=value' in query.\n" });
    expect(parse('path=/a&offset=abc')).toEqual({
      status: 400,
      error: "Failed to parse offset: Failed to convert 'abc' to number.\n",
    });
    expect(parse('path=/a&offset=1.5')).toMatchObject({ status: 400 });
    expect(parse('path=/a&offset=')).toMatchObject({ status: 400 });
    expect(parse('path=/a&length=x')).toEqual({
      status: 400,
      error: "Failed to parse length: Failed to convert 'x' to number.\n",
    });
    expect(parse('path=/a&offset=-7')).toEqual({ status: 400, error: 'Negative offset provided: -7.\n' });
    expect(parse('path=/a&length=-2')).toEqual({ status: 400, error: 'Negative length provided: -2.\n' });
  });
});

describe('download', () => {
  it('streams the bytes with size, type and name', async () => {
    const { dir, big } = await sandbox();
    const result = await download(join(dir, 'big.log'));
    expect([result.size, result.contentType, result.filename]).toEqual([
      200_000,
      'application/octet-stream',
      'big.log',
    ]);
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    const text = await download(join(dir, 'utf8.txt'));
    expect(text.contentType).toBe('text/plain');
    text.stream.destroy();
  });

  it('rejects directories and missing files', async () => {
    const { dir } = await sandbox();
    let error = await rejection(download(dir));
    expect([error.status, error.body]).toEqual([400, 'Cannot download a directory.\n']);
    error = await rejection(download(join(dir, 'nope')));
    expect(error.status).toBe(404);
  });
});

describe('confinement (within)', () => {
  it('checks the file the descriptor really points at, so a link swapped in after resolving leads nowhere', async () => {
    const { dir } = await sandbox();
    // As if the caller resolved `swapped` while it was a file and it became a link to /etc/passwd since.
    await symlink('/etc/passwd', join(dir, 'swapped'));
    const path = join(dir, 'swapped');
    // One at a time: a second promise rejecting while the first is awaited would count as unhandled.
    for (const attempt of [
      () => read(path, 0, undefined, { within: dir }),
      () => download(path, { within: dir }),
    ]) {
      const error = await rejection(attempt());
      expect([error.status, error.body]).toEqual([400, `'${path}' is inaccessible.\n`]);
    }
    expect((await read(join(dir, 'stdout'), 0, 5, { within: dir })).data).toBe('hello');
  });

  it('lists a link out of `within` as the link itself', async () => {
    const { dir } = await sandbox();
    await symlink('/etc/passwd', join(dir, 'out'));
    await symlink('stdout', join(dir, 'in'));
    const listing = await browse(dir, '/s', { within: dir });
    expect(listing.find((entry) => entry.path === '/s/out')).toMatchObject({ mode: 'lrwxrwxrwx', size: 11 });
    expect(listing.find((entry) => entry.path === '/s/in')).toMatchObject({
      mode: expect.stringMatching(/^-/),
      size: 12,
    });
  });

  it('refuses to read or download anything but a regular file, without blocking on a FIFO', async () => {
    const { dir } = await sandbox();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const attempt of [
      () => read(fifo, 0, undefined),
      () => download(fifo),
      () => readRaw('/dev/null', 0, 1),
    ]) {
      const error = await rejection(attempt());
      expect(error.status).toBe(400);
      expect(error.body).toMatch(/' is not a regular file\.\n$/);
    }
  });
});

describe('resolveVirtualPath', () => {
  it('maps the longest attached prefix and stays inside it', async () => {
    const { dir } = await sandbox();
    const attached = {
      '/frameworks/fw/executors/e/runs/latest': dir,
      '/slave/log': join(dir, 'stdout'),
    };
    expect(await resolveVirtualPath(attached, '/frameworks/fw/executors/e/runs/latest')).toBe(dir);
    expect(await resolveVirtualPath(attached, '/frameworks/fw/executors/e/runs/latest/')).toBe(dir);
    expect(await resolveVirtualPath(attached, '/frameworks/fw/executors/e/runs/latest/sub/inner.txt')).toBe(
      join(dir, 'sub', 'inner.txt'),
    );
    expect(await resolveVirtualPath(new Map(Object.entries(attached)), '/slave/log')).toBe(
      join(dir, 'stdout'),
    );
    expect(await resolveVirtualPath(attached, '/slave/log/more')).toBeNull();
    expect(await resolveVirtualPath(attached, '/frameworks/fw/executors/e/runs/latest/nope')).toBeNull();
    expect(await resolveVirtualPath(attached, '/elsewhere')).toBeNull();
    const error = await rejection(
      resolveVirtualPath(attached, '/frameworks/fw/executors/e/runs/latest/../../..'),
    );
    expect(error.status).toBe(400);
    expect(error.body).toMatch(/is inaccessible\.\n$/);
  });
});

describe('modeString', () => {
  it('writes ls -l permissions', () => {
    const stats = (mode: number, dir = false) => ({
      mode,
      isDirectory: () => dir,
      isSymbolicLink: () => false,
    });
    expect(modeString(stats(0o100644))).toBe('-rw-r--r--');
    expect(modeString(stats(0o40755, true))).toBe('drwxr-xr-x');
    expect(modeString(stats(0o100000))).toBe('----------');
    expect(modeString({ mode: 0o120777, isDirectory: () => false, isSymbolicLink: () => true })).toBe(
      'lrwxrwxrwx',
    );
  });
});
