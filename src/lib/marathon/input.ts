/**
 * Reading an app/group/pod definition for `dcos marathon ... add|update`: from a file, an http(s) URL or stdin,
 * as JSON or YAML, with a size limit and error messages that point at the line and column of a mistake.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { extname, resolve } from 'node:path';

import { DcosError, UsageError } from '../errors.js';
import { formatSize } from '../text.js';

export const DEFAULT_MAX_DEFINITION_BYTES = 1024 * 1024;

export interface FetchedText {
  status: number;
  body: string;
}

export interface ReadDefinitionOptions {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Base for relative file paths; default process.cwd(). */
  cwd?: string;
  /** Largest accepted input; default 1 MiB. */
  maxBytes?: number;
  /** GETs an http(s) URL; default: Node's fetch. */
  fetchUrl?: (url: string) => Promise<FetchedText>;
  /** What is being read, for messages: 'application' (default), 'group', 'pod'. */
  what?: string;
  /** Example shown when stdin is a terminal; default `dcos marathon app add < app.json`. */
  usage?: string;
}

export interface Definition {
  value: unknown;
  /** Where it came from, as the user named it: the path, the URL or `stdin`. */
  origin: string;
}

type Format = 'json' | 'yaml';

/**
 * Reads one definition. `source` is a file path, an `http(s)://` URL, or `-`/undefined for stdin (refused when
 * stdin is a terminal, where reading would just hang). The document must be a JSON or YAML object or array.
 */
export async function readDefinition(
  source: string | undefined,
  options: ReadDefinitionOptions,
): Promise<Definition> {
  const what = options.what ?? 'application';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DEFINITION_BYTES;
  let text: string;
  let origin: string;
  let format: Format | undefined;

  if (source === undefined || source === '-') {
    origin = 'stdin';
    if (options.stdin.isTTY) {
      throw new UsageError(
        `refusing to read the ${what} definition from a terminal; pass a file or pipe it: ${
          options.usage ?? 'dcos marathon app add < app.json'
        }`,
        { code: 'stdin_is_tty' },
      );
    }
    text = await readStream(options.stdin, maxBytes, origin, what);
  } else if (/^https?:\/\//i.test(source)) {
    origin = source;
    text = await readUrl(source, options.fetchUrl ?? defaultFetch, maxBytes, what);
    format = formatFromExtension(urlPathname(source));
  } else {
    origin = source;
    text = await readFileCapped(resolve(options.cwd ?? process.cwd(), source), source, maxBytes, what);
    format = formatFromExtension(source);
  }

  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    throw new UsageError(`${origin} is empty; expected a JSON or YAML ${what} definition`, {
      code: 'empty_input',
    });
  }
  format ??= /^\s*[[{]/.test(text) ? 'json' : 'yaml';
  const value = format === 'json' ? parseJson(text, origin) : await parseYaml(text, origin);
  if (value === null || typeof value !== 'object') {
    const found = value === null ? 'null' : typeof value;
    throw new UsageError(
      `${origin} does not hold a JSON or YAML ${what} definition (an object); found ${found}`,
      {
        code: 'invalid_input',
      },
    );
  }
  return { value, origin };
}

function formatFromExtension(path: string): Format | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  return undefined;
}

function urlPathname(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

function tooLarge(origin: string, maxBytes: number, what: string): UsageError {
  return new UsageError(
    `${origin} is larger than the ${formatSize(maxBytes)} limit for a ${what} definition`,
    {
      code: 'input_too_large',
      details: { maxBytes },
    },
  );
}

/** Reads a file without ever holding more than maxBytes + 1 bytes (works for pipes and /dev/stdin too). */
async function readFileCapped(path: string, shown: string, maxBytes: number, what: string): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(shown, maxBytes, what);
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof DcosError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`cannot read ${shown}: ${code}`, {
      code: 'unreadable_input',
      details: { path },
      cause: error,
    });
  } finally {
    await handle?.close();
  }
}

async function readStream(
  stream: NodeJS.ReadableStream,
  maxBytes: number,
  origin: string,
  what: string,
): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    length += buffer.length;
    // Leaving the loop early destroys the stream: nothing past the limit is kept.
    if (length > maxBytes) throw tooLarge(origin, maxBytes, what);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, length).toString('utf8');
}

async function readUrl(
  url: string,
  fetchUrl: (url: string) => Promise<FetchedText>,
  maxBytes: number,
  what: string,
): Promise<string> {
  let response: FetchedText;
  try {
    response = await fetchUrl(url);
  } catch (error) {
    if (error instanceof DcosError) throw error;
    throw new DcosError(`cannot fetch ${url}: ${(error as Error).message}`, {
      code: 'fetch_failed',
      cause: error,
    });
  }
  if (response.status < 200 || response.status > 299) {
    throw new DcosError(`cannot fetch ${url}: HTTP ${response.status}`, {
      code: 'fetch_failed',
      details: { status: response.status },
    });
  }
  if (Buffer.byteLength(response.body, 'utf8') > maxBytes) throw tooLarge(url, maxBytes, what);
  return response.body;
}

async function defaultFetch(url: string): Promise<FetchedText> {
  const response = await fetch(url, { redirect: 'follow' });
  return { status: response.status, body: await response.text() };
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

function syntaxError(
  kind: 'JSON' | 'YAML',
  text: string,
  origin: string,
  offset: number | undefined,
  message: string,
) {
  if (offset === undefined) {
    return new UsageError(`invalid ${kind} in ${origin}: ${message}`, { code: 'invalid_input' });
  }
  const { line, column } = lineAndColumn(text, offset);
  return new UsageError(`invalid ${kind} in ${origin} at line ${line}, column ${column}: ${message}`, {
    code: 'invalid_input',
    details: { line, column },
  });
}

/** JSON.parse for the value, plus our own scan for the error location (V8 does not always give one) and duplicate keys. */
export function parseJson(text: string, origin: string): unknown {
  let value: unknown;
  let parseError: Error | undefined;
  try {
    value = JSON.parse(text);
  } catch (error) {
    parseError = error as Error;
  }
  const problem = scanJson(text);
  if (parseError) {
    if (problem) throw syntaxError('JSON', text, origin, problem.offset, problem.message);
    const position = /at position (\d+)/.exec(parseError.message);
    const message = parseError.message.replace(/ in JSON at position \d+.*$/s, '');
    throw syntaxError('JSON', text, origin, position ? Number(position[1]) : undefined, message);
  }
  if (problem?.duplicate) throw syntaxError('JSON', text, origin, problem.offset, problem.message);
  return value;
}

interface JsonProblem {
  offset: number;
  message: string;
  duplicate?: boolean;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'end of input';
  const word = /[A-Za-z0-9_.+-]+/y;
  word.lastIndex = i;
  const match = word.exec(text);
  if (match) return `'${match[0].length > 20 ? `${match[0].slice(0, 20)}...` : match[0]}'`;
  const c = text[i];
  if (c === "'") return `"'" (JSON strings need double quotes)`;
  if (c === '/') return `'/' (JSON has no comments)`;
  return `'${c}'`;
}

/**
 * A validating JSON scanner that builds no values: finds the first syntax error with its offset, or the first
 * duplicate object key. Iterative, so deep nesting cannot overflow the stack.
 */
function scanJson(text: string): JsonProblem | undefined {
  const frames: Array<{ array: boolean; keys: Set<string> | undefined }> = [];
  let i = 0;
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i += 1;
      else return;
    }
  };
  /** Scans a string starting at text[i] === '"'; returns an error or leaves i after the closing quote. */
  const string = (): JsonProblem | undefined => {
    const start = i;
    i += 1;
    for (;;) {
      if (i >= text.length) return { offset: start, message: 'unterminated string' };
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i += 1;
        return undefined;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          for (let j = i + 2; j < i + 6; j += 1) {
            if (!/[0-9a-fA-F]/.test(text[j] ?? '')) {
              return { offset: j, message: 'invalid \\u escape; expected 4 hex digits' };
            }
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          return { offset: i, message: `invalid escape '\\${e ?? ''}' in string` };
        }
        continue;
      }
      if (c < 0x20) {
        return { offset: i, message: 'control character in string (write a line break as \\n)' };
      }
      i += 1;
    }
  };

  let mode: 'value' | 'after' | 'key' = 'value';
  ws();
  for (;;) {
    if (mode === 'value') {
      const c = text[i];
      if (c === '{') {
        i += 1;
        ws();
        if (text[i] === '}') {
          i += 1;
          mode = 'after';
        } else {
          frames.push({ array: false, keys: new Set() });
          mode = 'key';
        }
        continue;
      }
      if (c === '[') {
        i += 1;
        ws();
        if (text[i] === ']') {
          i += 1;
          mode = 'after';
        } else {
          frames.push({ array: true, keys: undefined });
        }
        continue;
      }
      if (c === '"') {
        const problem = string();
        if (problem) return problem;
      } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const match = NUMBER.exec(text);
        const next = match ? text[i + match[0].length] : undefined;
        if (!match || (next !== undefined && /[0-9A-Za-z.+-]/.test(next))) {
          return { offset: i, message: `invalid number ${describeAt(text, i)}` };
        }
        i += match[0].length;
      } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
        i += 4;
      } else if (text.startsWith('false', i)) {
        i += 5;
      } else {
        return { offset: i, message: `unexpected ${describeAt(text, i)}; expected a value` };
      }
      mode = 'after';
      continue;
    }
    if (mode === 'key') {
      const frame = frames[frames.length - 1]!;
      ws();
      if (text[i] !== '"') {
        if (text[i] === '}')
          return { offset: i, message: "unexpected '}' after ','; JSON allows no trailing comma" };
        return {
          offset: i,
          message: `unexpected ${describeAt(text, i)}; expected a double-quoted property name`,
        };
      }
      const start = i;
      const problem = string();
      if (problem) return problem;
      const key = JSON.parse(text.slice(start, i)) as string;
      if (frame.keys!.has(key)) {
        return { offset: start, message: `duplicate key ${JSON.stringify(key)}`, duplicate: true };
      }
      frame.keys!.add(key);
      ws();
      if (text[i] !== ':') {
        return { offset: i, message: `unexpected ${describeAt(text, i)}; expected ':' after property name` };
      }
      i += 1;
      ws();
      mode = 'value';
      continue;
    }
    // mode === 'after': a value just ended.
    ws();
    const frame = frames[frames.length - 1];
    if (!frame) {
      if (i < text.length) {
        return { offset: i, message: `unexpected ${describeAt(text, i)} after the end of the JSON document` };
      }
      return undefined;
    }
    const c = text[i];
    const close = frame.array ? ']' : '}';
    if (c === close) {
      i += 1;
      frames.pop();
      continue;
    }
    if (c === ',') {
      i += 1;
      ws();
      if (frame.array) {
        if (text[i] === ']')
          return { offset: i, message: "unexpected ']' after ','; JSON allows no trailing comma" };
        mode = 'value';
      } else {
        mode = 'key';
      }
      continue;
    }
    return {
      offset: i,
      message: `unexpected ${describeAt(text, i)}; expected ',' or '${close}' after ${
        frame.array ? 'an array element' : 'a property value'
      }`,
    };
  }
}

async function parseYaml(text: string, origin: string): Promise<unknown> {
  // yaml is CommonJS: its default export is what a bundled lazy import can always see.
  const { default: yaml } = await import('yaml');
  const document = yaml.parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const [first] = document.errors;
  if (first) {
    const more = document.errors.length > 1 ? ` (and ${document.errors.length - 1} more)` : '';
    throw syntaxError('YAML', text, origin, first.pos[0], `${first.message}${more}`);
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw syntaxError('YAML', text, origin, undefined, (error as Error).message);
  }
}
