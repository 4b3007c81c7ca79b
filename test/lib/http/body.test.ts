import { describe, expect, it } from 'vitest';

import { decodeBody, isJsonMediaType, mediaType } from '../../../src/lib/http/body.js';

const HTML = '<!DOCTYPE html><html><title>Sign in</title></html>';

describe('mediaType', () => {
  it('drops parameters and case', () => {
    expect(mediaType('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(mediaType('text/html')).toBe('text/html');
    expect(mediaType(undefined)).toBeUndefined();
    expect(mediaType(' ; charset=utf-8')).toBeUndefined();
  });

  it('knows JSON and the types built on it', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('application/vnd.dcos.package.search-response+json')).toBe(true);
    expect(isJsonMediaType('text/html')).toBe(false);
    expect(isJsonMediaType(undefined)).toBe(false);
  });
});

describe('decodeBody expecting JSON', () => {
  const json = (text: string, type: string | undefined, emptyAllowed = false) =>
    decodeBody(text, type, 'json', emptyAllowed);

  it('parses JSON, labelled or not', () => {
    expect(json('{"apps":[]}', 'application/json')).toEqual({ value: { apps: [] } });
    expect(json('[1]', undefined)).toEqual({ value: [1] });
    expect(json('{"a":1}', 'text/plain')).toEqual({ value: { a: 1 } });
  });

  it('calls an HTML page what it most likely is, even one that happens to parse', () => {
    expect(json(HTML, 'text/html; charset=utf-8')).toEqual({
      problem: 'text/html: a login page or proxy in the way?',
    });
    expect(json('[]', 'text/html')).toEqual({ problem: 'text/html: a login page or proxy in the way?' });
  });

  it('names what came instead: another type, no type, invalid JSON, nothing', () => {
    expect(json('pong', 'text/plain')).toEqual({ problem: 'text/plain' });
    expect(json('pong', undefined)).toEqual({ problem: 'a body with no Content-Type' });
    expect(json('{"truncated": ', 'application/json')).toEqual({
      problem: expect.stringMatching(/^invalid JSON \(.+\)$/),
    });
    expect(json('', 'application/json')).toEqual({ problem: 'an empty body' });
    expect(json('', 'application/json', true)).toEqual({ value: undefined });
  });
});

describe('decodeBody for text and for anything', () => {
  it('text is the body as it came', () => {
    expect(decodeBody('{"a":1}', 'application/json', 'text', false)).toEqual({ value: '{"a":1}' });
    expect(decodeBody('', undefined, 'text', false)).toEqual({ value: '' });
  });

  it('any: JSON when it looks like JSON, else the text; a JSON label on bad JSON is still a problem', () => {
    expect(decodeBody('{"a":1}', undefined, 'any', false)).toEqual({ value: { a: 1 } });
    expect(decodeBody(HTML, 'text/html', 'any', false)).toEqual({ value: HTML });
    expect(decodeBody('{not json', 'text/plain', 'any', false)).toEqual({ value: '{not json' });
    expect(decodeBody('', undefined, 'any', false)).toEqual({ value: undefined });
    expect(decodeBody('{', 'application/json', 'any', false)).toEqual({
      problem: expect.stringContaining('invalid JSON'),
    });
  });
});
