import { DcosError } from '../errors.js';
import { escapeControlCharacters } from '../text.js';

interface OclifLikeError {
  oclif?: { exit?: number };
  code?: unknown;
}

export interface RenderedError {
  exitCode: number;
  /** Everything to write to stderr, newline-terminated. */
  text: string;
}

function oclifExit(error: unknown): number | undefined {
  const exit = (error as OclifLikeError | undefined)?.oclif?.exit;
  return typeof exit === 'number' ? exit : undefined;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * oclif's parser errors span several lines ("Missing 1 required arg:\nurl  cluster URL\nSee more help with
 * --help", "The following error occurred:\n  --a cannot also be provided when using --b"); keep them to one
 * line that still says what is wrong.
 */
export function oneLine(text: string): string {
  const lines = text
    .replace(ANSI, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^See more help with/i.test(line));
  if (lines.length === 0) return text.trim();
  const [head, ...rest] = lines as [string, ...string[]];
  if (rest.length === 0) return head;
  // A list of "name   description" rows reads as "name (description)".
  const items = rest.map((line) => line.replace(/^(\S+)\s{2,}(.+)$/, '$1 ($2)'));
  if (/^The following errors? occurred:?$/i.test(head)) return items.join('; ');
  return `${head.replace(/:$/, '')}: ${items.join('; ')}`;
}

export interface RenderOptions {
  json: boolean;
  verbose: boolean;
  /** The command takes --force, so advice to retry with it is worth giving. */
  canForce?: boolean;
}

/**
 * The one place that turns any thrown value into what the user sees and the exit code:
 * 0 ok, 1 for every failure (usage errors included, as the DC/OS CLI exits), 130 interrupted. Stack traces only
 * with --verbose. Messages carry server
 * text (reasons, field errors): control characters in it are shown escaped, never sent to the terminal.
 */
export function renderError(error: unknown, options: RenderOptions): RenderedError {
  let code: string;
  let message: string;
  let exitCode: number;
  let details: unknown;
  let debug: string | undefined;
  if (error instanceof DcosError) {
    ({ code, message, exitCode, details, debug } = error);
    if (options.canForce && error.forceHint) message += error.forceHint;
  } else if (oclifExit(error) !== undefined) {
    // oclif's parser errors (unknown flag, missing argument, bad option: 2) and unknown commands (127) are usage
    // errors; the DC/OS CLI exits 1 for those as for any failure.
    const exit = oclifExit(error) as number;
    exitCode = exit === 0 ? 0 : 1;
    code = exit === 2 || exit === 127 ? 'usage' : 'failed';
    message = oneLine((error as Error).message ?? String(error));
  } else {
    code = 'internal';
    exitCode = 1;
    const reason = error instanceof Error ? error.message : String(error);
    message = `internal error: ${reason}; rerun with --verbose and report it`;
  }
  if (options.json) {
    const body: Record<string, unknown> = { code, message };
    if (details !== undefined) body.details = details;
    return { exitCode, text: `${JSON.stringify({ error: body })}\n` };
  }
  let text = `Error: ${escapeControlCharacters(message)}\n`;
  if (error instanceof DcosError) for (const line of error.moreLines) text += `${line}\n`;
  if (options.verbose) {
    if (debug) text += `  detail: ${escapeControlCharacters(debug)}\n`;
    // The stack starts with the message, so it needs the same care; its own lines stay lines.
    if (error instanceof Error && error.stack) {
      text += `${escapeControlCharacters(error.stack, { keepLineBreaks: true })}\n`;
    }
  }
  return { exitCode, text };
}
