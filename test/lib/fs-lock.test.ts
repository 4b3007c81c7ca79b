import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/lib/errors.js';
import { withFileLock } from '../../src/lib/fs-lock.js';
import { rejectionOf } from '../helpers/errors.js';

const tempFile = async () => join(await mkdtemp(join(tmpdir(), 'dcos-lock-')), 'settings.toml');
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('withFileLock', () => {
  it('runs one holder at a time and leaves no lock behind', async () => {
    const file = await tempFile();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withFileLock(file, async () => {
          inside++;
          most = Math.max(most, inside);
          await tick();
          await tick();
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(await readdir(join(file, '..'))).toEqual([]);
  });

  it('releases the lock when the work fails', async () => {
    const file = await tempFile();
    await expect(withFileLock(file, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withFileLock(file, () => Promise.resolve('again'))).toBe('again');
  });

  it('takes over the lock of a process that died holding it', async () => {
    const file = await tempFile();
    // A pid far above pid_max is never alive.
    await writeFile(`${file}.lock`, '99999999 deadbeef\n');
    expect(await withFileLock(file, () => Promise.resolve('taken over'))).toBe('taken over');
    expect(await readdir(join(file, '..'))).toEqual([]);
  });

  it('gives up with a clear error while a live process holds it', async () => {
    const file = await tempFile();
    await writeFile(`${file}.lock`, `${process.ppid} 0123\n`);
    const error = await rejectionOf(
      withFileLock(file, () => Promise.resolve('never'), {
        timeoutMs: 50,
        sleep: () => tick() as Promise<void>,
      }),
      ConfigError,
    );
    expect(error.message).toBe(
      `${file} is locked by another dcos command (pid ${process.ppid}); wait for it to finish, or remove ${file}.lock if that process is not dcos`,
    );
  });
});
