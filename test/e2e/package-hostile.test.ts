/**
 * `dcos package` (client-side, no cluster) against hostile repositories: each refusal is one line on stderr,
 * exit 1 (an option that breaks the schema stays a usage error, exit 1), in bounded time; a repository that
 * cannot be used is not added; a file outside the repository never shows in any output.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir, type CliResult } from '../helpers/cli.js';
import { HOSTILE_PACKAGES, sourceRepository } from '../helpers/universe.js';
import { jsonOf, printed } from './fakes.js';

const SECRET = 'SECRET-CREDENTIALS-e5d2';
const dcosDir = tempDcosDir();
const env = { DCOS_DIR: dcosDir };
const files = join(dcosDir, 'files');
mkdirSync(files);
writeFileSync(join(files, 'credentials.json'), JSON.stringify({ token: SECRET }));

afterAll(() => rm(dcosDir, { recursive: true, force: true }));

/** Runs `dcos package ...`, checking that it took less than 10 s and printed no secret. */
async function pkg(...args: string[]): Promise<CliResult> {
  const started = Date.now();
  const result = await runCli(['package', ...args], { env, timeoutMs: 20_000 });
  expect(Date.now() - started, printed(result)).toBeLessThan(10_000);
  expect(result.stdout + result.stderr).not.toContain(SECRET);
  return result;
}

/** One line on stderr, nothing on stdout, and the exit code. */
function refused(result: CliResult, code = 1): string {
  expect(result.code, printed(result)).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n'), printed(result)).toHaveLength(1);
  return result.stderr.trim();
}

describe('repo add', () => {
  it('adds no repository it cannot read or use, and says which file and why', async () => {
    const fifo = sourceRepository(join(files, 'fifo'), { piped: {} });
    const fifoFile = join(fifo, 'packages', 'P', 'piped', '0', 'config.json');
    execFileSync('mkfifo', [fifoFile]);
    expect(refused(await pkg('repo', 'add', 'fifo', fifo))).toBe(
      `Error: repository fifo (${fifo}): ${fifoFile} is a FIFO, not a regular file`,
    );

    const zero = join(files, 'zero.json');
    symlinkSync('/dev/zero', zero);
    expect(refused(await pkg('repo', 'add', 'zero', zero))).toContain(
      `${zero} is a character device, not a regular file`,
    );

    const leaky = sourceRepository(join(files, 'leaky'), { leaky: {} });
    const leakyFile = join(leaky, 'packages', 'L', 'leaky', '0', 'config.json');
    symlinkSync(join(files, 'credentials.json'), leakyFile);
    expect(refused(await pkg('repo', 'add', 'leaky', leaky))).toContain(
      `${leakyFile} leads outside the repository`,
    );

    const looped = sourceRepository(join(files, 'looped'), { looped: {} });
    const loopFile = join(looped, 'packages', 'L', 'looped', '0', 'config.json');
    symlinkSync('config.json', loopFile);
    expect(refused(await pkg('repo', 'add', 'looped', looped))).toContain(
      `${loopFile} is a symbolic link loop`,
    );

    const invalid = join(files, 'invalid.json');
    writeFileSync(invalid, '{"packages": [{"name": "x"}]}');
    expect(refused(await pkg('repo', 'add', 'invalid', invalid))).toMatch(/packagingVersion must be one of/);

    expect(jsonOf(await pkg('repo', 'list', '--json'))).toEqual({ repositories: [] });
    expect(existsSync(join(dcosDir, 'package-repositories.json'))).toBe(false);
  });
});

describe('hostile packages', () => {
  const root = sourceRepository(join(files, 'hostile'), HOSTILE_PACKAGES);

  it('checks a ReDoS pattern against its own default at once, and stops a template bomb at 1 MiB', async () => {
    const added = await pkg('repo', 'add', 'hostile', root);
    expect(added.code, printed(added)).toBe(0);

    expect(refused(await pkg('describe', 'redos', '--render'))).toBe(
      'Error: options for redos are invalid: /service/name: must match pattern "^(a+)+$"',
    );
    expect(refused(await pkg('describe', 'bomb', '--render'))).toBe(
      'Error: the Marathon template of bomb 1.0.0 was not rendered: its output passes the 1 MiB limit for a Marathon app',
    );
  });

  it('never reads a file outside the repository, even one linked in after the repository was added', async () => {
    const config = join(root, 'packages', 'R', 'redos', '0', 'config.json');
    rmSync(config);
    symlinkSync(join(files, 'credentials.json'), config);
    for (const args of [['search'], ['describe', 'redos'], ['describe', 'redos', '--render']]) {
      expect(refused(await pkg(...args))).toBe(
        `Error: repository hostile (${root}): ${config} leads outside the repository`,
      );
    }
  });
});
