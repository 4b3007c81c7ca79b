import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { rejectionOf } from '../../helpers/errors.js';
import { afterEach, describe, expect, it } from 'vitest';

import { UsageError } from '../../../src/lib/errors.js';
import { completeCredentials, readCredentials } from '../../../src/lib/config/credentials.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterEach(removeTempDirs);

async function passwordFile(content: string): Promise<string> {
  const file = join(await tempDir('dcos-cred-'), 'password');
  await writeFile(file, content, { mode: 0o600 });
  return file;
}

describe('readCredentials', () => {
  it('returns nothing when nothing is given', async () => {
    expect(await readCredentials({}, {})).toEqual({});
  });

  it('takes the user name from --username, else DCOS_USERNAME', async () => {
    expect(await readCredentials({ username: 'flag-user' }, { DCOS_USERNAME: 'env-user' })).toEqual({
      username: 'flag-user',
    });
    expect(await readCredentials({}, { DCOS_USERNAME: 'env-user' })).toEqual({ username: 'env-user' });
    expect(await readCredentials({}, { DCOS_USERNAME: '' })).toEqual({});
  });

  it.each([
    ['s3cret\n', 's3cret'],
    ['s3cret\r\n', 's3cret'],
    ['s3cret', 's3cret'],
    ['  spaced pass  \n', '  spaced pass  '],
    ['two\n\n', 'two\n'],
  ])('reads the password file %j as %j (one trailing newline stripped)', async (content, expected) => {
    const file = await passwordFile(content);
    expect(await readCredentials({ username: 'admin', passwordFile: file }, {})).toEqual({
      username: 'admin',
      password: expected,
    });
  });

  it('names a missing password file in a UsageError', async () => {
    const file = join(await tempDir('dcos-cred-'), 'no-such-file');
    const error = await rejectionOf(
      readCredentials({ username: 'admin', passwordFile: file }, {}),
      UsageError,
    );
    expect(error.message).toContain(file);
    expect(error.message).toContain('ENOENT');
    expect(error.exitCode).toBe(1);
  });

  it('rejects an empty password file', async () => {
    const file = await passwordFile('\n');
    const error = await rejectionOf(
      readCredentials({ username: 'admin', passwordFile: file }, {}),
      UsageError,
    );
    expect(error.message).toContain(file);
    expect(error.message).toContain('empty');
  });

  it('reads the password from the variable --password-env names', async () => {
    expect(await readCredentials({ username: 'admin', passwordEnv: 'MY_PW' }, { MY_PW: 'from-env' })).toEqual(
      { username: 'admin', password: 'from-env' },
    );
  });

  it.each([{}, { MY_PW: '' }])('rejects --password-env naming an unset variable (%j)', async (env) => {
    const error = await rejectionOf(
      readCredentials({ username: 'admin', passwordEnv: 'MY_PW' }, env),
      UsageError,
    );
    expect(error.message).toContain('MY_PW');
    expect(error.message).toContain('--password-env');
  });

  it('reads a token from the variable --token-env names, no user name needed', async () => {
    expect(await readCredentials({ tokenEnv: 'CI_TOKEN' }, { CI_TOKEN: 'tok-1' })).toEqual({
      token: 'tok-1',
    });
  });

  it('rejects --token-env naming an unset variable', async () => {
    const error = await rejectionOf(readCredentials({ tokenEnv: 'CI_TOKEN' }, {}), UsageError);
    expect(error.message).toContain('CI_TOKEN');
    expect(error.message).toContain('--token-env');
  });

  it('rejects a password without a user name', async () => {
    const file = await passwordFile('pw\n');
    for (const flags of [{ passwordFile: file }, { passwordEnv: 'MY_PW' }]) {
      const error = await rejectionOf(readCredentials(flags, { MY_PW: 'pw' }), UsageError);
      expect(error.message).toContain('--username');
    }
  });

  it('accepts a password with the user name from DCOS_USERNAME', async () => {
    expect(await readCredentials({ passwordEnv: 'MY_PW' }, { MY_PW: 'pw', DCOS_USERNAME: 'ci' })).toEqual({
      username: 'ci',
      password: 'pw',
    });
  });
});

describe('completeCredentials', () => {
  it('returns complete credentials without asking', async () => {
    expect(await completeCredentials({ username: 'admin', password: 'pw' }, false, 'login')).toEqual({
      username: 'admin',
      password: 'pw',
    });
    // Also when "interactive": nothing is missing, so no prompt may block the test.
    expect(await completeCredentials({ username: 'admin', password: 'pw' }, true, 'login')).toEqual({
      username: 'admin',
      password: 'pw',
    });
  });

  it.each([{}, { username: 'admin' }, { password: 'pw' }, { token: 'tok' }])(
    'without a terminal, missing parts of %j are a UsageError coded credentials_required',
    async (credentials) => {
      const error = await rejectionOf(
        completeCredentials(credentials, false, 'prod needs a login'),
        UsageError,
      );
      expect(error.code).toBe('credentials_required');
      expect(error.exitCode).toBe(1);
      expect(error.message).toMatch(/^prod needs a login: /);
      expect(error.message).toContain('--password-file');
    },
  );
});
