import { isRecord } from '../json.js';

/**
 * What `--dry-run` shows: a line diff of two JSON documents (pretty-printed with sorted keys, so only real
 * changes show) and a one-line-per-field summary.
 */

export interface DiffOptions {
  /** Unchanged lines shown around each change; default 3. */
  context?: number;
}

/** Past this many inserted plus deleted lines the diff stops looking for a minimal edit and replaces the middle. */
const MAX_EDIT_DISTANCE = 2000;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** JSON with 2-space indent and object keys sorted at every level; `''` for undefined. */
export function canonicalJson(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent) ?? '';
}

function lines(value: unknown): string[] {
  const text = canonicalJson(value);
  return text === '' ? [] : text.split('\n');
}

export type DiffOp = ' ' | '-' | '+';
export interface Edit {
  op: DiffOp;
  text: string;
}

/** Myers' O((N+M)·D) shortest edit script between two line arrays. */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const head: Edit[] = a.slice(0, start).map((text) => ({ op: ' ', text }));
  const tail: Edit[] = a.slice(endA).map((text) => ({ op: ' ', text }));
  const middle = myers(a.slice(start, endA), b.slice(start, endB));
  return [...head, ...middle, ...tail];
}

function myers(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const replaceAll = (): Edit[] => [
    ...a.map((text): Edit => ({ op: '-', text })),
    ...b.map((text): Edit => ({ op: '+', text })),
  ];
  if (n === 0 || m === 0) return replaceAll();
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds v[-d-1 .. d+1] as it was when step d started.
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d += 1) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return replaceAll();

  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d -= 1) {
    const snapshot = trace[d]!;
    const at = (k: number) => snapshot[k + d + 1]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const previousX = d === 0 ? 0 : at(previousK);
    const previousY = d === 0 ? 0 : previousX - previousK;
    while (x > previousX && y > previousY) {
      x -= 1;
      y -= 1;
      edits.push({ op: ' ', text: a[x]! });
    }
    if (d > 0) {
      if (x === previousX) edits.push({ op: '+', text: b[previousY]! });
      else edits.push({ op: '-', text: a[previousX]! });
    }
    x = previousX;
    y = previousY;
  }
  return edits.reverse();
}

/**
 * A unified-style diff of two JSON documents: `@@ -l,n +l,n @@` hunk headers, then lines prefixed with ` `, `-`
 * or `+`, with `context` unchanged lines around each change. Empty when the documents are equal.
 */
export function diffDefinitions(before: unknown, after: unknown, options: DiffOptions = {}): string[] {
  const context = Math.max(0, options.context ?? 3);
  const edits = diffLines(lines(before), lines(after));
  const changed = edits.flatMap((edit, index) => (edit.op === ' ' ? [] : [index]));
  if (changed.length === 0) return [];

  // Line numbers (1-based) in each document at the start of every edit.
  const lineA: number[] = [];
  const lineB: number[] = [];
  let la = 1;
  let lb = 1;
  for (const edit of edits) {
    lineA.push(la);
    lineB.push(lb);
    if (edit.op !== '+') la += 1;
    if (edit.op !== '-') lb += 1;
  }

  const output: string[] = [];
  let i = 0;
  while (i < changed.length) {
    const first = changed[i]!;
    let last = first;
    while (i + 1 < changed.length && changed[i + 1]! - last <= 2 * context + 1) {
      i += 1;
      last = changed[i]!;
    }
    i += 1;
    const from = Math.max(0, first - context);
    const to = Math.min(edits.length - 1, last + context);
    const hunk = edits.slice(from, to + 1);
    const countA = hunk.filter((edit) => edit.op !== '+').length;
    const countB = hunk.filter((edit) => edit.op !== '-').length;
    const startA = countA === 0 ? lineA[from]! - 1 : lineA[from]!;
    const startB = countB === 0 ? lineB[from]! - 1 : lineB[from]!;
    output.push(`@@ -${startA},${countA} +${startB},${countB} @@`);
    for (const edit of hunk) output.push(`${edit.op}${edit.text}`);
  }
  return output;
}

function compact(value: unknown): string {
  const text = canonicalJson(value, 0);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * One line per changed top-level field, in key order: `cpus: 0.1 -> 0.2`, `+ healthChecks`, `- args`.
 * Empty when nothing changed.
 */
export function describeChanges(before: unknown, after: unknown): string[] {
  if (!isRecord(before) || !isRecord(after)) {
    return canonicalJson(before) === canonicalJson(after) ? [] : [`${compact(before)} -> ${compact(after)}`];
  }
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: string[] = [];
  for (const key of keys) {
    const old = before[key];
    const now = after[key];
    if (old === undefined && now !== undefined) changes.push(`+ ${key}`);
    else if (old !== undefined && now === undefined) changes.push(`- ${key}`);
    else if (canonicalJson(old) !== canonicalJson(now))
      changes.push(`${key}: ${compact(old)} -> ${compact(now)}`);
  }
  return changes;
}
