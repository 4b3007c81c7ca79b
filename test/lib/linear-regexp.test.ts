import { describe, expect, it } from 'vitest';

import {
  linearPattern,
  MAX_MATCH_WORK,
  MAX_PATTERN_LENGTH,
  PatternError,
  withinPatternTimeLimit,
} from '../../src/lib/linear-regexp.js';
import { thrownBy } from '../helpers/errors.js';

describe('linearPattern', () => {
  it('matches anywhere in the text, as RegExp.prototype.test does, with ECMAScript escapes', () => {
    expect(linearPattern('b+').test('abbc')).toBe(true);
    expect(linearPattern('^b+$').test('abbc')).toBe(false);
    expect(linearPattern('^\\u0041[\\u0042-\\u0044]$').test('AC')).toBe(true);
    expect(linearPattern('^(?<word>\\w+)$').test('hello')).toBe(true);
    // Universe's Marathon app id pattern (nested quantifiers, harmless under RE2).
    const appId = '^/?(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])/)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])$';
    expect(linearPattern(appId).test('/team/web-1')).toBe(true);
    expect(linearPattern(appId).test('/Team')).toBe(false);
  });

  it('answers ^(a+)+$ against a long run of a and a ! at once (JavaScript would backtrack for minutes)', () => {
    const started = Date.now();
    expect(linearPattern('^(a+)+$').test(`${'a'.repeat(5_000)}!`)).toBe(false);
    expect(linearPattern('^(a+)+$').test('a'.repeat(5_000))).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses backtracking constructs, overlong patterns and matches too big for the budget', () => {
    for (const source of ['(?=a)b', '(a)\\1', '(?!x)']) {
      const refused = thrownBy(() => linearPattern(source), PatternError);
      expect(refused.problem).toBe('unsupported');
      expect(refused.message).toContain(`the pattern ${source} cannot be matched in linear time`);
    }
    const long = thrownBy(() => linearPattern('a'.repeat(MAX_PATTERN_LENGTH + 1)), PatternError);
    expect(long.problem).toBe('too-costly');
    const big = linearPattern('[\\s\\S]{1000}'.repeat(5));
    const costly = thrownBy(() => big.test('x'.repeat(MAX_MATCH_WORK / 5_000)), PatternError);
    expect(costly.problem).toBe('too-costly');
    expect(costly.message).toMatch(/is too big to match against \d+ characters/);
  });

  it('stops compiling and matching once the time limit of the surrounding work has passed', () => {
    const pattern = linearPattern('^x+$');
    const late = thrownBy(
      () =>
        withinPatternTimeLimit(0, () => {
          const until = Date.now() + 5;
          while (Date.now() <= until) {
            // the schema's other work, taking longer than the limit
          }
          return pattern.test('xxx');
        }),
      PatternError,
    );
    expect(late.problem).toBe('time-limit');
    expect(late.message).toContain('took longer than the 0 ms limit');
    // Outside the limit, the same pattern matches again.
    expect(pattern.test('xxx')).toBe(true);
  });
});
