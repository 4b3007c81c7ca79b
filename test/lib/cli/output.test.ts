import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { colorEnabled, formatJson, formatTable, formatYaml } from '../../../src/lib/cli/output.js';

describe('formatTable', () => {
  it('is borderless, upper-cases headers, pads columns and marks empty cells', async () => {
    const rows = [
      { id: '/web', mem: 128, cmd: 'python3 -m http.server' },
      { id: '/db-long-name', mem: 1024, cmd: '' },
    ];
    const text = await formatTable(rows, [
      { header: 'id', value: (row) => row.id },
      { header: 'mem', value: (row) => row.mem },
      { header: 'cmd', value: (row) => row.cmd },
    ]);
    expect(text.split('\n')).toEqual([
      'ID             MEM   CMD',
      '/web           128   python3 -m http.server',
      '/db-long-name  1024  ---',
    ]);
    expect(text).not.toMatch(/[│─┌└]/);
  });

  it('escapes control characters in cells: a newline adds no row, ESC colours nothing', async () => {
    const rows = [{ id: '/web\n/fake  row', cmd: '\u001b[31mrm -rf\u001b[0m' }];
    const text = await formatTable(rows, [
      { header: 'id', value: (row) => row.id },
      { header: 'cmd', value: (row) => row.cmd },
    ]);
    expect(text.split('\n')).toEqual(['ID                CMD', '/web\\n/fake  row  \\x1b[31mrm -rf\\x1b[0m']);
  });
});

describe('formatJson and formatYaml', () => {
  it('indents JSON by two spaces', () => {
    expect(formatJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
  });

  it('renders YAML', async () => {
    expect(await formatYaml({ id: '/web', instances: 2 })).toBe('id: /web\ninstances: 2');
  });
});

describe('colorEnabled', () => {
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  const pipe = new PassThrough();

  it('colours only a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false);
  });
});

describe('formatJson styles', () => {
  const data = { b: 1, a: { d: 'é<>&', c: [2, { z: 1, y: 2 }] } };

  it("'go' is MarshalIndent: 4 spaces, keys as given, HTML characters escaped", () => {
    expect(formatJson(data, 'go')).toBe(
      '{\n    "b": 1,\n    "a": {\n        "d": "é\\u003c\\u003e\\u0026",\n        "c": [\n            2,\n            {\n                "z": 1,\n                "y": 2\n            }\n        ]\n    }\n}',
    );
  });

  it("'python' is json.dumps(sort_keys=True, indent=2): sorted at every level, non-ASCII escaped", () => {
    expect(formatJson(data, 'python')).toBe(
      '{\n  "a": {\n    "c": [\n      2,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ],\n    "d": "\\u00e9<>&"\n  },\n  "b": 1\n}',
    );
    expect(formatJson(data)).toBe(JSON.stringify(data, null, 2));
  });
});
