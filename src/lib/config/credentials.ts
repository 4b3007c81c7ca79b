import { readFile } from 'node:fs/promises';

import { UsageError } from '../errors.js';
import type { EnvSource } from './keys.js';

export interface CredentialFlags {
  username?: string | undefined;
  passwordFile?: string | undefined;
  passwordEnv?: string | undefined;
  tokenEnv?: string | undefined;
}

export interface Credentials {
  username?: string;
  password?: string;
  token?: string;
}

/** Reads secrets from where the user pointed (never from argv, where `ps` would show them). */
export async function readCredentials(flags: CredentialFlags, env: EnvSource): Promise<Credentials> {
  const credentials: Credentials = {};
  const username = flags.username ?? env.DCOS_USERNAME;
  if (username) credentials.username = username;
  if (flags.passwordFile) {
    try {
      credentials.password = (await readFile(flags.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw new UsageError(
        `cannot read the password file ${flags.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    if (credentials.password === '') throw new UsageError(`the password file ${flags.passwordFile} is empty`);
  }
  if (flags.passwordEnv) {
    const password = env[flags.passwordEnv];
    if (!password)
      throw new UsageError(`environment variable ${flags.passwordEnv} (--password-env) is not set`);
    credentials.password = password;
  }
  if (flags.tokenEnv) {
    const token = env[flags.tokenEnv];
    if (!token) throw new UsageError(`environment variable ${flags.tokenEnv} (--token-env) is not set`);
    credentials.token = token;
  }
  if (credentials.password !== undefined && !credentials.username) {
    throw new UsageError('a password needs a user name: add --username');
  }
  return credentials;
}

/** Asks for what is missing, but only on a terminal: scripts get an error instead of a hang. */
export async function completeCredentials(
  credentials: Credentials,
  interactive: boolean,
  why: string,
): Promise<Required<Pick<Credentials, 'username' | 'password'>>> {
  if (credentials.username && credentials.password !== undefined) {
    return { username: credentials.username, password: credentials.password };
  }
  if (!interactive) {
    throw new UsageError(`${why}: pass --username with --password-file or --password-env (or --token-env)`, {
      code: 'credentials_required',
    });
  }
  const { input, password } = await import('@inquirer/prompts');
  const username = credentials.username ?? (await input({ message: 'Username:', required: true }));
  const secret = credentials.password ?? (await password({ message: 'Password:', mask: true }));
  return { username, password: secret };
}
