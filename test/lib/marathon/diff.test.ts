import { describe, expect, it } from 'vitest';

import {
  canonicalJson,
  describeChanges,
  diffDefinitions,
  diffLines,
} from '../../../src/lib/marathon/diff.js';

const before = {
  id: '/web',
  cmd: 'python3 -m http.server 8080',
  cpus: 0.1,
  mem: 128,
  instances: 1,
  args: null,
  labels: { team: 'a', tier: 'front' },
  env: { A: '1', B: '2', C: '3', D: '4', E: '5', F: '6', G: '7', H: '8' },
};

describe('diffDefinitions', () => {
  it('is empty for equal documents, whatever the key order', () => {
    expect(diffDefinitions(before, { ...before })).toEqual([]);
    expect(diffDefinitions({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toEqual([]);
  });

  it('shows a changed value with three lines of context', () => {
    expect(diffDefinitions(before, { ...before, cpus: 0.2 })).toEqual([
      '@@ -1,7 +1,7 @@',
      ' {',
      '   "args": null,',
      '   "cmd": "python3 -m http.server 8080",',
      '-  "cpus": 0.1,',
      '+  "cpus": 0.2,',
      '   "env": {',
      '     "A": "1",',
      '     "B": "2",',
    ]);
  });

  it('splits distant changes into hunks and honours the context option', () => {
    const after = { ...before, args: ['x'], labels: { team: 'b', tier: 'front' } };
    expect(diffDefinitions(before, after, { context: 1 })).toEqual([
      '@@ -1,3 +1,5 @@',
      ' {',
      '-  "args": null,',
      '+  "args": [',
      '+    "x"',
      '+  ],',
      '   "cmd": "python3 -m http.server 8080",',
      '@@ -17,3 +19,3 @@',
      '   "labels": {',
      '-    "team": "a",',
      '+    "team": "b",',
      '     "tier": "front"',
    ]);
  });

  it('shows an added and a removed top-level field', () => {
    const { args: _args, ...withoutArgs } = before;
    const after = { ...withoutArgs, healthChecks: [{ protocol: 'HTTP' }] };
    const diff = diffDefinitions(before, after, { context: 0 });
    expect(diff).toEqual([
      '@@ -2,1 +1,0 @@',
      '-  "args": null,',
      '@@ -14,0 +14,5 @@',
      '+  "healthChecks": [',
      '+    {',
      '+      "protocol": "HTTP"',
      '+    }',
      '+  ],',
    ]);
  });

  it('diffs against nothing (a new app) as all additions', () => {
    expect(diffDefinitions(undefined, { id: '/x' })).toEqual([
      '@@ -0,0 +1,3 @@',
      '+{',
      '+  "id": "/x"',
      '+}',
    ]);
  });

  it('applying the diff to the old lines gives the new lines', () => {
    const oldLines = canonicalJson(before).split('\n');
    const after = { ...before, mem: 256, env: { ...before.env, C: 'three', Z: '26' }, instances: 4 };
    const newLines = canonicalJson(after).split('\n');
    const edits = diffLines(oldLines, newLines);
    expect(edits.filter((edit) => edit.op !== '+').map((edit) => edit.text)).toEqual(oldLines);
    expect(edits.filter((edit) => edit.op !== '-').map((edit) => edit.text)).toEqual(newLines);
  });
});

describe('diffLines', () => {
  /** Length of the longest common subsequence, by dynamic programming. */
  function lcs(a: string[], b: string[]): number {
    const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = 1; i <= a.length; i += 1) {
      for (let j = 1; j <= b.length; j += 1) {
        table[i]![j] =
          a[i - 1] === b[j - 1] ? table[i - 1]![j - 1]! + 1 : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
      }
    }
    return table[a.length]![b.length]!;
  }

  it('finds a shortest edit script (checked against LCS on random inputs)', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round += 1) {
      const a = Array.from({ length: random(12) }, () => 'abcd'[random(4)]!);
      const b = Array.from({ length: random(12) }, () => 'abcd'[random(4)]!);
      const edits = diffLines(a, b);
      expect(edits.filter((edit) => edit.op !== '+').map((edit) => edit.text)).toEqual(a);
      expect(edits.filter((edit) => edit.op !== '-').map((edit) => edit.text)).toEqual(b);
      expect(edits.filter((edit) => edit.op === ' ')).toHaveLength(lcs(a, b));
    }
  });

  it('is quick on a large document with a small change', () => {
    const apps = Array.from({ length: 2000 }, (_, index) => ({ id: `/app-${index}`, cpus: 0.1, mem: 32 }));
    const changed = apps.map((app, index) => (index === 1500 ? { ...app, mem: 64 } : app));
    const started = performance.now();
    expect(diffDefinitions({ apps }, { apps: changed }, { context: 0 })).toEqual([
      '@@ -7506,1 +7506,1 @@',
      '-      "mem": 32',
      '+      "mem": 64',
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('diffLines on very different inputs', () => {
  it('falls back to replacing the middle when the edit script would be huge, still correct', () => {
    const a = Array.from({ length: 6000 }, (_, index) => `a${index}`);
    const b = ['same', ...Array.from({ length: 6000 }, (_, index) => `b${index}`), 'end'];
    const edits = diffLines(['same', ...a, 'end'], b);
    expect(edits.filter((edit) => edit.op !== '+').map((edit) => edit.text)).toEqual(['same', ...a, 'end']);
    expect(edits.filter((edit) => edit.op !== '-').map((edit) => edit.text)).toEqual(b);
    expect(edits.filter((edit) => edit.op === ' ')).toHaveLength(2);
  });
});

describe('describeChanges', () => {
  it('gives one line per changed top-level field, in key order', () => {
    const { args: _args, ...withoutArgs } = before;
    const after = {
      ...withoutArgs,
      cpus: 0.2,
      cmd: 'sleep 1',
      healthChecks: [{ protocol: 'HTTP' }],
      env: { ...before.env, A: 'changed' },
    };
    expect(describeChanges(before, after)).toEqual([
      '- args',
      'cmd: "python3 -m http.server 8080" -> "sleep 1"',
      'cpus: 0.1 -> 0.2',
      'env: {"A":"1","B":"2","C":"3","D":"4","E":"5","F":"6","G":"7",... -> {"A":"changed","B":"2","C":"3","D":"4","E":"5","F":"6","G...',
      '+ healthChecks',
    ]);
  });

  it('is empty when nothing changed, including key order', () => {
    expect(describeChanges({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } })).toEqual([]);
    expect(describeChanges({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
  });

  it('describes a whole-document change when either side is not an object', () => {
    expect(describeChanges([1], [2])).toEqual(['[1] -> [2]']);
    expect(describeChanges({}, { id: '/x' })).toEqual(['+ id']);
  });
});
