import { describe, expect, it } from 'vitest';

import { parseReadAnswer } from '../../../src/lib/logs/read-answer.js';

const parse = (text: string | Buffer) => parseReadAnswer(Buffer.isBuffer(text) ? text : Buffer.from(text));

describe('parseReadAnswer: Mesos /files/read bodies from their bytes', () => {
  it('gives the data bytes and the offset, whatever the member order and spacing', () => {
    expect(parse('{"data":"a\\nb","offset":12}')).toEqual({ data: Buffer.from('a\nb'), offset: 12 });
    expect(parse(' { "offset" : 0 , "data" : "" } ')).toEqual({ data: Buffer.alloc(0), offset: 0 });
    expect(parse('{"offset":7}')).toEqual({ data: Buffer.alloc(0), offset: 7 });
  });

  it('decodes exactly what JSON.stringify encodes, non-ASCII, controls and lone surrogates included', () => {
    const samples = [
      'plain',
      'tab\there "quoted" back\\slash /',
      '\u0000\u001f\u007f',
      'grüße ✓ 😀 \uFFFD',
      'x\ud800y\udc00',
    ];
    for (const text of samples) {
      expect(parse(JSON.stringify({ data: text, offset: 3 }))?.data).toEqual(Buffer.from(text, 'utf8'));
    }
    expect(parse('{"data":"\\ud83d\\ude00 \\u00e9","offset":1}')?.data.toString()).toBe('😀 é');
  });

  it('passes raw bytes real Mesos puts in the string (invalid UTF-8 included) through unchanged', () => {
    const raw = Buffer.concat([
      Buffer.from('{"data":"'),
      Buffer.from([0xa9, 0x41, 0xc3]),
      Buffer.from('","offset":5}'),
    ]);
    expect(parse(raw)?.data).toEqual(Buffer.from([0xa9, 0x41, 0xc3]));
  });

  it('is undefined for what is not an answer', () => {
    for (const text of [
      '',
      '[]',
      '{}',
      '{"data":"x"}',
      '{"data":"x","offset":"1"}',
      '{"data":"unterminated',
      '{"data":"\\q","offset":1}',
      '<html>',
    ]) {
      expect(parse(text), text).toBeUndefined();
    }
  });
});
