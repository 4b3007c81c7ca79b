/**
 * Checks a config with the real `haproxy -c` (the only authority on what a given HAProxy build accepts) and
 * turns its output into problems with line numbers, the section and, when the caller knows which app wrote
 * a line, the app.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DcosError } from '../errors.js';
import type { ValidationProblem, ValidationResult } from './types.js';

export interface ValidateOptions {
  /** The haproxy executable (default `haproxy` on PATH). */
  haproxyBin?: string;
  /** Which app wrote each line (1-based), from generateHaproxyConfig. */
  lineOwners?: Map<number, string>;
  /** Directory relative paths in the config (certificates, sockets) are resolved from; default the cwd. */
  cwd?: string;
  /** Default 30 s: `haproxy -c` on 10 000 apps takes about a second. */
  timeoutMs?: number;
  /** Name shown for the config in messages instead of the temp file (e.g. the file the user passed). */
  displayName?: string;
}

const NOISE = [/^Error\(s\) found in configuration file/, /^Fatal errors found in configuration/];

export async function validateConfig(text: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dcos-haproxy-check-'));
  const file = join(dir, 'haproxy.cfg');
  try {
    await writeFile(file, text, { mode: 0o600 });
    const run = await runHaproxy(options.haproxyBin ?? 'haproxy', file, options);
    const problems = parseHaproxyOutput(run.output, file, options.displayName ?? 'haproxy.cfg');
    if (problems.some((problem) => problem.line !== undefined)) annotate(problems, text, options.lineOwners);
    if (!run.ok && !problems.some((problem) => problem.severity === 'alert')) {
      problems.push({
        severity: 'alert',
        message: run.output.trim().split('\n').pop() || 'haproxy rejected the config',
      });
    }
    return { ok: run.ok, problems };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runHaproxy(
  bin: string,
  file: string,
  options: ValidateOptions,
): Promise<{ ok: boolean; output: string }> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    // A missing working directory fails the spawn with ENOENT too; it is not a missing haproxy.
    if (options.cwd !== undefined && !existsSync(options.cwd)) {
      return reject(
        new DcosError(`cannot check the config in ${options.cwd}: no such directory`, { code: 'not_found' }),
      );
    }
    execFile(
      bin,
      ['-c', '-f', file],
      { timeout: timeoutMs, cwd: options.cwd, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`;
        if (!error) return resolve({ ok: true, output });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES') {
          return reject(
            new DcosError(
              `cannot run ${bin} (${code === 'ENOENT' ? 'not found' : 'permission denied'}): install HAProxy 2.4 or newer, or pass --haproxy-bin PATH`,
              { code: 'haproxy_not_found', cause: error },
            ),
          );
        }
        if (error.killed) {
          return reject(
            new DcosError(`${bin} -c did not finish within ${Math.round(timeoutMs / 1000)} s`, {
              code: 'haproxy_timeout',
              cause: error,
            }),
          );
        }
        if (typeof error.code === 'number') return resolve({ ok: false, output });
        reject(
          new DcosError(`cannot run ${bin}: ${error.message}`, { code: 'haproxy_failed', cause: error }),
        );
      },
    );
  });
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/**
 * `[ALERT]    (123) : config : parsing [/tmp/x/haproxy.cfg:42] : unknown keyword...` -> line 42 and the
 * message; the temp file's path is replaced by `shownAs` wherever HAProxy repeats it.
 */
export function parseHaproxyOutput(output: string, file: string, shownAs: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const path = file.replace(ESCAPE, '\\$&');
  const location = new RegExp(`\\[?${path}:(\\d+)\\]?`);
  const everywhere = new RegExp(path, 'g');
  for (const raw of output.split('\n')) {
    const match = /^\[(ALERT|WARNING)\]\s*(?:\(\d+\))?\s*:\s*(.*)$/.exec(raw.trim());
    if (!match) continue;
    let message = match[2]!.replace(/^config\s*:\s*/, '');
    if (NOISE.some((noise) => noise.test(message))) continue;
    const at = location.exec(message);
    const line = at ? Number(at[1]) : undefined;
    message = message
      .replace(new RegExp(`^parsing \\[${path}:\\d+\\]\\s*:\\s*`), '')
      .replace(new RegExp(`^\\[${path}:\\d+\\]\\s*:\\s*`), '')
      .replace(everywhere, shownAs);
    problems.push({
      severity: match[1] === 'ALERT' ? 'alert' : 'warning',
      ...(line === undefined ? {} : { line }),
      message,
    });
  }
  return problems;
}

/** Adds the section (`backend web_10000`) and the app that wrote the line, when known. */
function annotate(
  problems: ValidationProblem[],
  text: string,
  owners: Map<number, string> | undefined,
): void {
  const lines = text.split('\n');
  const sections: string[] = [];
  let current = '';
  for (const line of lines) {
    const match =
      /^\s*(global|defaults|frontend|backend|listen|userlist|peers|resolvers|program|ring|cache)\b(.*)$/.exec(
        line,
      );
    if (match) current = `${match[1]}${match[2]!.trim() ? ` ${match[2]!.trim().split(/\s+/)[0]}` : ''}`;
    sections.push(current);
  }
  for (const problem of problems) {
    if (problem.line === undefined) continue;
    const section = sections[problem.line - 1];
    if (section) problem.section = section;
    const appId = owners?.get(problem.line);
    if (appId !== undefined) problem.appId = appId;
  }
}

/** `line 42 (app /web, backend web_10000): unknown keyword ...` */
export function describeProblem(problem: ValidationProblem): string {
  const where: string[] = [];
  if (problem.appId) where.push(`app ${problem.appId}`);
  if (problem.section) where.push(problem.section);
  const place =
    problem.line === undefined ? '' : `line ${problem.line}${where.length ? ` (${where.join(', ')})` : ''}: `;
  return `${place}${problem.message}`;
}
