import type { Writable } from 'node:stream';

import { escapeControlCharacters } from '../text.js';

export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
}

/** Empty-cell marker, as the DC/OS CLI prints it. */
export const EMPTY_CELL = '---';

/** Cells are mostly server data (ids, commands): a newline must not make a fake row, nor ESC colour one. */
function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return EMPTY_CELL;
  return escapeControlCharacters(String(value));
}

/** Borderless table with upper-case headers and two spaces between columns, like the DC/OS CLI. */
export async function formatTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: columns.map((column) => column.header.toUpperCase()),
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push(columns.map((column) => cell(column.value(row))));
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/**
 * How a command's JSON looks, byte for byte, since scripts and the DC/OS CLI's own tests compare it:
 * - `go`: the DC/OS CLI's Go commands (encoding/json's MarshalIndent): 4-space indent, keys in the order given,
 *   `<`, `>`, `&`, U+2028 and U+2029 escaped;
 * - `python`: its Python commands (`json.dumps(sort_keys=True, indent=2)`): 2-space indent, keys sorted at every
 *   level, non-ASCII escaped as `\uXXXX`;
 * - `ours`: commands the DC/OS CLI does not have: 2-space indent, keys as given.
 */
export type JsonStyle = 'go' | 'python' | 'ours';

export function formatJson(data: unknown, style: JsonStyle = 'ours'): string {
  if (style === 'go') {
    return JSON.stringify(data, null, 4).replace(/[<>&\u2028\u2029]/g, unicodeEscape);
  }
  if (style === 'python') {
    // eslint-disable-next-line no-control-regex
    return JSON.stringify(sortKeys(data), null, 2).replace(/[^\u0000-\u007f]/g, unicodeEscape);
  }
  return JSON.stringify(data, null, 2);
}

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort()) sorted[key] = sortKeys(source[key]);
  return sorted;
}

export async function formatYaml(data: unknown): Promise<string> {
  // yaml is CommonJS: its default export is what a bundled lazy import can always see.
  const { default: yaml } = await import('yaml');
  return yaml.stringify(data).trimEnd();
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export function colorEnabled(stream: Writable & { isTTY?: boolean }, env = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

export async function painter(stream: Writable & { isTTY?: boolean }, env = process.env) {
  const { Chalk } = await import('chalk');
  return new Chalk({ level: colorEnabled(stream, env) ? 1 : 0 });
}
