import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The token of the `dcos local` whose state directory is `dir` (`<DCOS_DIR>/local` unless `--dir`). */
export function localToken(dir: string): string {
  return readFileSync(join(dir, 'token'), 'utf8').trim();
}

/**
 * `fetch` that sends a `dcos local` token the way this CLI does (`Authorization: token=...`); `token` is asked
 * with the request's origin, for tests that run several daemons.
 */
export function fetchWithToken(token: (origin: string) => string | undefined): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    const url = input instanceof Request ? input.url : String(input);
    const value = token(new URL(url).origin);
    if (value !== undefined && !headers.has('authorization')) headers.set('authorization', `token=${value}`);
    return fetch(input, { ...init, headers });
  };
}
