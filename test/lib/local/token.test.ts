import { chmod, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ensureToken, readToken } from '../../../src/lib/local/token.js';

const stateDir = () => mkdtemp(join(tmpdir(), 'dcos-token-'));

describe('the dcos local token', () => {
  it('is made once, 0600, and read back the same', async () => {
    const dir = await stateDir();
    expect(await readToken(dir)).toBeUndefined();
    const token = await ensureToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(dir, 'token'))).mode & 0o777).toBe(0o600);
    expect(await ensureToken(dir)).toBe(token);
    expect(await readToken(dir)).toBe(token);
    expect(await ensureToken(await stateDir())).not.toBe(token);
  });

  it('refuses a token file others can read, a symlink, or one that holds something else', async () => {
    const open = await stateDir();
    await writeFile(join(open, 'token'), `${'a'.repeat(43)}\n`, { mode: 0o644 });
    await chmod(join(open, 'token'), 0o644);
    await expect(ensureToken(open)).rejects.toThrow(/other users can read or change it/);

    const linked = await stateDir();
    const elsewhere = join(await stateDir(), 'planted');
    await writeFile(elsewhere, `${'b'.repeat(43)}\n`, { mode: 0o600 });
    await symlink(elsewhere, join(linked, 'token'));
    await expect(ensureToken(linked)).rejects.toThrow(/not a regular file/);
    expect(await readFile(elsewhere, 'utf8')).toBe(`${'b'.repeat(43)}\n`);

    const garbage = await stateDir();
    await writeFile(join(garbage, 'token'), 'short\n', { mode: 0o600 });
    await expect(readToken(garbage)).rejects.toThrow(/does not hold a dcos local token.*dcos local reset/);
  });
});
