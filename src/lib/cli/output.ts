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

export function formatJson(data: unknown): string {
  return JSON.stringify(data, null, 2);
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
