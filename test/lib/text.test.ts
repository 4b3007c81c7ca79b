import { describe, expect, it } from 'vitest';

import { escapeControlCharacters, formatSize } from '../../src/lib/text.js';

describe('escapeControlCharacters', () => {
  it('shows C0, DEL, C1 and bidi controls as escapes, leaving other text alone', () => {
    expect(escapeControlCharacters('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(escapeControlCharacters('\u001b[31mred\u001b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(escapeControlCharacters('\u0000\u0007\u007f\u009b2J')).toBe('\\x00\\x07\\x7f\\x9b2J');
    expect(escapeControlCharacters('file\u202etxt.exe \u2066x\u2069')).toBe(
      'file\\u202etxt.exe \\u2066x\\u2069',
    );
    expect(escapeControlCharacters('/web-app ünïcødé ✓ 日本')).toBe('/web-app ünïcødé ✓ 日本');
  });

  it('keeps line breaks and tabs when asked, but not what could overwrite a line', () => {
    expect(escapeControlCharacters('line 1\r\nline\t2\n\u001b[2Kx\ry', { keepLineBreaks: true })).toBe(
      'line 1\nline\t2\n\\x1b[2Kx\\ry',
    );
  });

  it('leaves nothing that acts on a terminal, for every code unit', () => {
    const all = Array.from({ length: 0x2100 }, (_, code) => String.fromCharCode(code)).join('');
    // eslint-disable-next-line no-control-regex
    const acting = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    expect(escapeControlCharacters(all)).not.toMatch(acting);
  });
});

describe('formatSize', () => {
  it('shows exact binary units, else bytes', () => {
    expect(formatSize(256 * 1024 * 1024)).toBe('256 MiB');
    expect(formatSize(2 * 1024 ** 3)).toBe('2 GiB');
    expect(formatSize(1536)).toBe('1536 bytes');
    expect(formatSize(64 * 1024)).toBe('64 KiB');
    expect(formatSize(1000)).toBe('1000 bytes');
  });
});
