import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';

import { ClusterStore } from '../../src/lib/config/clusters.js';
import {
  ensurePrivateDir,
  removeAtomicTempFiles,
  writeFileAtomic,
  writeOutputFile,
} from '../../src/lib/fs-atomic.js';
import { isRoot, modeOf, removeTempDirs, tempDir, tempFilesIn } from './config/helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WRITER = join(ROOT, 'test', 'fixtures', 'atomic-writer.ts');

const ORIGINAL = `[cluster]
name = "prod"

[core]
dcos_url = "https://prod.example.com"
dcos_acs_token = "original-token"
timeout = 60
`;

afterEach(removeTempDirs);

/** `$DCOS_DIR/clusters/c1/dcos.toml` holding ORIGINAL, as written by an earlier run. */
async function existingClusterFile(): Promise<{ root: string; dir: string; target: string }> {
  const root = join(await tempDir('dcos-atomic-'), 'dcos');
  const dir = join(root, 'clusters', 'c1');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, 'dcos.toml');
  await writeFile(target, ORIGINAL, { mode: 0o600 });
  return { root, dir, target };
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runWriter(command: string, args: string[]) {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let running = true;
  const done = new Promise<ChildResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running = false;
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
  return { child, done, isRunning: () => running };
}

describe('writeFileAtomic', () => {
  it('creates the file with mode 0600 and missing parent directories with 0700', async () => {
    const base = await tempDir();
    const target = join(base, 'a', 'b', 'dcos.toml');
    await writeFileAtomic(target, 'x = 1\n');
    expect(await readFile(target, 'utf8')).toBe('x = 1\n');
    expect(await modeOf(target)).toBe(0o600);
    expect(await modeOf(join(base, 'a'))).toBe(0o700);
    expect(await modeOf(join(base, 'a', 'b'))).toBe(0o700);
    expect(await tempFilesIn(join(base, 'a', 'b'))).toEqual([]);
  });

  it('replaces an existing world-readable file with a private one', async () => {
    const { dir, target } = await existingClusterFile();
    await chmod(target, 0o644);
    await writeFileAtomic(target, 'new = true\n');
    expect(await readFile(target, 'utf8')).toBe('new = true\n');
    expect(await modeOf(target)).toBe(0o600);
    expect(await readdirSync(dir).sort()).toEqual(['dcos.toml']);
  });

  it('writes bytes exactly and honours an explicit mode', async () => {
    const target = join(await tempDir(), 'blob');
    const bytes = Uint8Array.from([0, 255, 10, 13, 1, 2, 3]);
    await writeFileAtomic(target, bytes, 0o400);
    expect(new Uint8Array(await readFile(target))).toEqual(bytes);
    expect(await modeOf(target)).toBe(0o400);
  });

  it('concurrent writers each win whole: the file ends up as one of them, with no temp files left', async () => {
    const { dir, target } = await existingClusterFile();
    const versions = Array.from(
      { length: 25 },
      (_, i) => `[core]\ntimeout = ${i + 1}\n${'#'.repeat(i * 1000)}\n`,
    );
    await Promise.all(versions.map((text) => writeFileAtomic(target, text)));
    expect(versions).toContain(await readFile(target, 'utf8'));
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('ensurePrivateDir accepts an existing directory', async () => {
    const base = await tempDir();
    await ensurePrivateDir(join(base, 'x'));
    await ensurePrivateDir(join(base, 'x'));
    expect((await stat(join(base, 'x'))).isDirectory()).toBe(true);
    expect(await modeOf(join(base, 'x'))).toBe(0o700);
  });

  it('a failing rename leaves the target alone and removes the temp file', async () => {
    const { dir } = await existingClusterFile();
    // A non-empty directory where the file should go: the data is written, the rename fails.
    const target = join(dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'kept');
    await expect(writeFileAtomic(target, 'new')).rejects.toMatchObject({
      code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/),
    });
    expect(await readFile(join(target, 'keep'), 'utf8')).toBe('kept');
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('a failing payload write (file size limit) leaves the old file intact and no temp file', async () => {
    const { dir, target } = await existingClusterFile();
    const before = await readFile(target);
    // `ulimit -f 256` caps files at 256 KiB: the 4 MiB payload write fails with EFBIG part-way.
    const { done } = runWriter('bash', [
      '-c',
      'ulimit -f 256 && exec "$@"',
      'bash',
      process.execPath,
      '--import',
      'tsx',
      WRITER,
      target,
      String(4 * 1024 * 1024),
    ]);
    const result = await done;
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('writing\nfailed EFBIG\n');
    expect(result.code).toBe(3);
    expect(await readFile(target)).toEqual(before);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it.skipIf(isRoot())('a read-only directory fails the write and leaves the old file intact', async () => {
    const { dir, target } = await existingClusterFile();
    const before = await readFile(target);
    await chmod(dir, 0o500);
    try {
      await expect(writeFileAtomic(target, 'new = 1\n')).rejects.toMatchObject({ code: 'EACCES' });
    } finally {
      await chmod(dir, 0o700);
    }
    expect(await readFile(target)).toEqual(before);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('a crash (SIGKILL) in the middle of a large write leaves the old dcos.toml byte-identical', async () => {
    const { root, dir, target } = await existingClusterFile();
    const before = readFileSync(target);
    const writer = runWriter(process.execPath, [
      '--import',
      'tsx',
      WRITER,
      target,
      String(300 * 1024 * 1024),
    ]);

    // Wait until the write is under way: a temp file appears (or, for a non-atomic writer, the target changes).
    let temp: string | undefined;
    let targetChanged = false;
    const deadline = Date.now() + 45_000;
    while (writer.isRunning() && Date.now() < deadline) {
      temp = readdirSync(dir).find((name) => name.endsWith('.tmp'));
      if (temp) break;
      if (!readFileSync(target).equals(before)) {
        targetChanged = true;
        break;
      }
      await sleep(2);
    }
    writer.child.kill('SIGKILL');
    const result = await writer.done;

    expect(result.stderr).toBe('');
    expect(result.signal).toBe('SIGKILL'); // killed mid-write, not finished or failed on its own
    expect(targetChanged).toBe(false);
    expect(temp).toMatch(/^\.dcos\.toml\.[0-9a-f]{12}\.tmp$/);
    // The partial data sits in a private temp file next to the target...
    expect(await modeOf(join(dir, temp as string))).toBe(0o600);
    // ...and the target is exactly what it was.
    const after = await readFile(target);
    expect(after.equals(before)).toBe(true);
    expect(parse(after.toString('utf8'))).toEqual({
      cluster: { name: 'prod' },
      core: { dcos_url: 'https://prod.example.com', dcos_acs_token: 'original-token', timeout: 60 },
    });
    // The store still loads the cluster; the leftover temp file is not mistaken for anything.
    const clusters = await new ClusterStore(root).list();
    expect(clusters.map((c) => [c.id, c.problem, c.settings['core.dcos_acs_token']])).toEqual([
      ['c1', undefined, 'original-token'],
    ]);
  }, 90_000);
});

describe('removeAtomicTempFiles', () => {
  it('deletes what an interrupted writeFileAtomic leaves behind and nothing else', async () => {
    const dir = await tempDir();
    const leftovers = ['.state.json.0123456789ab.tmp', '.daemon.json.abcdefabcdef.tmp'];
    const kept = [
      'state.json',
      'notes.tmp',
      '.state.json.tmp',
      '.state.json.xyz.tmp',
      '.a.0123456789abc.tmp',
    ];
    for (const name of [...leftovers, ...kept]) await writeFile(join(dir, name), '');
    expect((await removeAtomicTempFiles(dir)).sort()).toEqual([...leftovers].sort());
    expect(readdirSync(dir).sort()).toEqual([...kept].sort());
  });

  it('a directory that does not exist has nothing to clean', async () => {
    expect(await removeAtomicTempFiles(join(await tempDir(), 'missing'))).toEqual([]);
  });
});

describe('writeOutputFile', () => {
  it('replaces a regular file in one rename, keeping its mode', async () => {
    const dir = await tempDir();
    const target = join(dir, 'haproxy.cfg');
    await writeFile(target, 'old\n');
    await chmod(target, 0o640);
    await writeOutputFile(target, 'new\n');
    expect(await readFile(target, 'utf8')).toBe('new\n');
    expect(await modeOf(target)).toBe(0o640);
    await writeOutputFile(join(dir, 'fresh.cfg'), 'fresh\n');
    expect(await modeOf(join(dir, 'fresh.cfg'))).toBe(0o644);
    expect(await tempFilesIn(dir)).toEqual([]);
  });

  it('follows a symbolic link and replaces its target, so the link stays a link', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'managed'));
    await writeFile(join(dir, 'managed', 'real.cfg'), 'old\n');
    await symlink('managed/real.cfg', join(dir, 'haproxy.cfg'));
    await writeOutputFile(join(dir, 'haproxy.cfg'), 'new\n');
    expect((await lstat(join(dir, 'haproxy.cfg'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'managed', 'real.cfg'), 'utf8')).toBe('new\n');
  });

  it('writes into a FIFO in place and never replaces it with a regular file', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = new Promise<string>((resolvePromise, reject) => {
      let text = '';
      createReadStream(fifo, 'utf8')
        .on('data', (chunk) => (text += String(chunk)))
        .on('end', () => resolvePromise(text))
        .on('error', reject);
    });
    await writeOutputFile(fifo, 'through the pipe\n');
    expect(await reader).toBe('through the pipe\n');
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(['out.fifo']);
  });

  it('refuses a directory and a symbolic link that leads nowhere, changing nothing', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'a-directory'));
    await symlink('missing/file', join(dir, 'dangling'));
    await expect(writeOutputFile(join(dir, 'a-directory'), 'x')).rejects.toThrow(
      `cannot write to ${join(dir, 'a-directory')}: it is a directory; name a regular file (or a FIFO, or /dev/stdout)`,
    );
    await expect(writeOutputFile(join(dir, 'dangling'), 'x')).rejects.toThrow(
      /symbolic link that leads nowhere/,
    );
    expect(readdirSync(dir).sort()).toEqual(['a-directory', 'dangling']);
  });
});
