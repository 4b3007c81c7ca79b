import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin', 'run.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  /** Called once the process has started (e.g. to send it a signal later). */
  onSpawn?: (child: ChildProcess) => void;
  timeoutMs?: number;
}

/** A fresh, empty DCOS_DIR for one test. */
export function tempDcosDir(): string {
  return mkdtempSync(join(tmpdir(), 'dcos-dir-'));
}

/**
 * Runs the built CLI (`npm run build` first) as a real process: exit codes, stdout/stderr and signals are
 * exactly what a user or a CI script sees. The environment is scrubbed of the caller's DCOS_* variables.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCommand(process.execPath, [BIN, ...args], options);
}

function runCommand(file: string, args: string[], options: CliOptions): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('DCOS_')) env[key] = value;
  }
  env.NO_COLOR = '1';
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
    options.onSpawn?.(child);
  });
}

/**
 * Runs the built CLI on a pseudo-terminal (util-linux `script`), for what only a TTY shows: progress lines.
 * stdout and stderr arrive merged, as on a screen; carriage returns are dropped.
 */
export async function runCliOnTerminal(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const result = await runCommand('script', ['-qefc', command, '/dev/null'], options);
  return { ...result, stdout: result.stdout.replaceAll('\r', '') };
}

// eslint-disable-next-line no-control-regex
const TERMINAL_CODES = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]/g;

export interface TerminalSession {
  /** Everything the terminal showed so far (stdout and stderr merged, ANSI codes and CRs removed). */
  screen(): string;
  /** Waits until the screen (after `from` characters) matches, or fails after `timeoutMs`. */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<void>;
  /** Types text (e.g. `'8080\r'`, or `'\u001b[B'` for the down arrow). */
  type(text: string): void;
  exited: Promise<CliResult>;
}

/**
 * Starts the built CLI on a pseudo-terminal and lets a test answer its prompts one at a time, the way a person
 * would (text typed after each question appears, not all up front).
 */
export function startCliOnTerminal(args: string[], options: CliOptions = {}): TerminalSession {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('DCOS_')) env[key] = value;
  }
  env.NO_COLOR = '1';
  env.TERM = 'xterm';
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  const clean = () => raw.replace(TERMINAL_CODES, '').replaceAll('\r', '');
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
    for (const waiter of waiters) waiter();
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  let closed = false;
  const exited = new Promise<CliResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      closed = true;
      for (const waiter of waiters) waiter();
      resolvePromise({ code, signal, stdout: clean(), stderr });
    });
  });
  return {
    screen: clean,
    type: (text) => child.stdin.write(text),
    exited,
    waitFor: (pattern, { timeoutMs = 10_000, from = 0 } = {}) =>
      new Promise<void>((resolvePromise, reject) => {
        const check = () => {
          if (pattern.test(clean().slice(from))) {
            finish();
            resolvePromise();
          } else if (closed) {
            finish();
            reject(new Error(`the CLI exited before showing ${pattern}; screen:\n${clean()}`));
          }
        };
        const deadline = setTimeout(() => {
          finish();
          reject(new Error(`timed out waiting for ${pattern}; screen:\n${clean()}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(deadline);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}
