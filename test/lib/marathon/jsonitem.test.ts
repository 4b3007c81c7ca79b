import { describe, expect, it } from 'vitest';

import { UsageError } from '../../../src/lib/errors.js';
import { APP_STRING_FIELDS, parseKeyValues, parseValue } from '../../../src/lib/marathon/jsonitem.js';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(1);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseKeyValues', () => {
  it('types values like the DC/OS CLI (the reference example)', () => {
    expect(parseKeyValues(['cpus=2.0', 'mem=308', 'cmd=sleep 100', 'env={"k":"v"}', 'instances=3'])).toEqual({
      cpus: 2,
      mem: 308,
      cmd: 'sleep 100',
      env: { k: 'v' },
      instances: 3,
    });
  });

  it.each([
    ['instances=3', 3],
    ['instances=-1', -1],
    ['instances=007', 7],
    ['cpus=2.0', 2],
    ['cpus=0.25', 0.25],
    ['cpus=.5', 0.5],
    ['mem=1e3', 1000],
    ['flag=TRUE', true],
    ['flag=false', false],
    ['flag=True', true],
    ['x=null', null],
    ['x=NULL', 'NULL'],
    ['args=["a","b"]', ['a', 'b']],
    ['args=[]', []],
    ['env={"k":"v"}', { k: 'v' }],
    ['env={}', {}],
    ['cmd=sleep 100', 'sleep 100'],
    ['cmd=', ''],
    ['x=inf', 'inf'],
    ['x=1e999', '1e999'],
    ['x=0x10', '0x10'],
    ['x=1.2.3', '1.2.3'],
    ['uri=http://example.com/a?b=c', 'http://example.com/a?b=c'],
  ])('%s', (pair, expected) => {
    const key = pair.slice(0, pair.indexOf('='));
    expect(parseKeyValues([pair])).toEqual({ [key]: expected });
  });

  it('splits on the first "=" only', () => {
    expect(parseKeyValues(['cmd=export A=1 && run'])).toEqual({ cmd: 'export A=1 && run' });
    expect(parseKeyValues(['labels={"a":"b=c"}'])).toEqual({ labels: { a: 'b=c' } });
  });

  it('strips one pair of surrounding quotes from key and value, then types the value', () => {
    expect(parseKeyValues([`"cmd"='sleep 100'`, `instances="3"`, `'user'="nobody"`])).toEqual({
      cmd: 'sleep 100',
      instances: 3,
      user: 'nobody',
    });
    // Mismatched or single quote characters stay.
    expect(parseKeyValues([`a='x"`, `b='`])).toEqual({ a: `'x"`, b: `'` });
  });

  it('refuses an argument without "="', () => {
    expect(usageError(() => parseKeyValues(['cpus'])).message).toBe("'cpus' is not a key=value pair");
  });

  it('refuses an empty key', () => {
    expect(usageError(() => parseKeyValues(['=1'])).message).toBe(
      "'=1' has an empty key; expected key=value",
    );
    expect(usageError(() => parseKeyValues(['""=1'])).message).toMatch(/empty key/);
  });

  it('refuses a repeated key, also when quoted differently', () => {
    expect(usageError(() => parseKeyValues(['cpus=1', 'cpus=2'])).message).toBe(
      "Key 'cpus' was specified more than once",
    );
    expect(usageError(() => parseKeyValues(['mem=1', '"mem"=2'])).message).toBe(
      "Key 'mem' was specified more than once",
    );
  });

  it('refuses a value that looks like JSON but is not, instead of sending it as a string', () => {
    const object = usageError(() => parseKeyValues(['env={"k": "v",}']));
    expect(object.message).toMatch(/^the value of 'env' looks like a JSON object but is not valid JSON: /);
    expect(object.details).toEqual({ key: 'env', value: '{"k": "v",}' });
    const array = usageError(() => parseKeyValues(["args=['a']"]));
    expect(array.message).toMatch(/^the value of 'args' looks like a JSON array but is not valid JSON: /);
  });

  it('keeps stringKeys as strings, so shell commands starting with "[" work', () => {
    expect(
      parseKeyValues(['cmd=[ -f /tmp/x ] && run', 'user=1000', 'instances=2'], {
        stringKeys: APP_STRING_FIELDS,
      }),
    ).toEqual({ cmd: '[ -f /tmp/x ] && run', user: '1000', instances: 2 });
  });

  it('treats __proto__ as an ordinary key', () => {
    const result = parseKeyValues(['__proto__={"polluted": true}']);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(result)).toBe('{"__proto__":{"polluted":true}}');
  });

  it('returns an empty object for no pairs', () => {
    expect(parseKeyValues([])).toEqual({});
  });
});

describe('parseValue', () => {
  it('is the same typing, one value at a time', () => {
    expect(parseValue('k', '42')).toBe(42);
    expect(parseValue('k', ' [1]')).toEqual([1]);
    expect(() => parseValue('k', '{oops')).toThrow(UsageError);
  });
});
