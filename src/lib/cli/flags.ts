import { Flags } from '@oclif/core';

import { readCredentials, type Credentials } from '../config/credentials.js';
import type { EnvSource } from '../config/keys.js';

/** Where credentials come from: never a password on the command line, where `ps` would show it. */
export const credentialFlags = {
  username: Flags.string({ description: 'user to log in as (default: $DCOS_USERNAME)' }),
  'password-file': Flags.string({
    description: 'read the password from this file',
    exclusive: ['password-env'],
  }),
  'password-env': Flags.string({ description: 'read the password from this environment variable' }),
  'token-env': Flags.string({
    description: 'use the token in this environment variable instead of logging in',
  }),
};

export function credentialsFromFlags(
  flags: { username?: string; 'password-file'?: string; 'password-env'?: string; 'token-env'?: string },
  env: EnvSource,
): Promise<Credentials> {
  return readCredentials(
    {
      username: flags.username,
      passwordFile: flags['password-file'],
      passwordEnv: flags['password-env'],
      tokenEnv: flags['token-env'],
    },
    env,
  );
}

/** Where `dcos local` keeps its state (default `$DCOS_DIR/local`). */
export const localDirFlag = {
  dir: Flags.string({ description: 'state directory of the local cluster (default: $DCOS_DIR/local)' }),
};

/** On every command that starts a Marathon deployment. */
export const deploymentFlags = {
  wait: Flags.boolean({
    description: 'follow the deployment until it finishes; exit 1 with the reason if it fails or times out',
  }),
  timeout: Flags.integer({
    description: 'seconds --wait waits before giving up',
    default: 600,
    min: 1,
  }),
};

export const forceFlag = {
  force: Flags.boolean({ description: 'override a deployment in progress that holds the same apps' }),
};
