import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The token of the `dcos local` whose state directory is `dir` (`<DCOS_DIR>/local` unless `--dir`). */
export function localToken(dir: string): string {
  return readFileSync(join(dir, 'token'), 'utf8').trim();
}

/** `fetch` that sends a `dcos local` token the way this CLI does (`Authorization: token=...`). */
export function fetchWithToken(token: () => string | undefined): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    const value = token();
    if (value !== undefined && !headers.has('authorization')) headers.set('authorization', `token=${value}`);
    return fetch(input, { ...init, headers });
  };
}
