/**
 * Regular expressions written by someone else (a package's options schema) matched without backtracking, with
 * re2js (a pure-JavaScript port of RE2). JavaScript's own engine backtracks: `^(a+)+$` against thirty `a`s and a
 * `!` takes minutes, and a synchronous match cannot be interrupted.
 *
 * RE2 matches in time proportional to (program size x input length), so that product is bounded per match, the
 * pattern's length is bounded (counted repeats make a short pattern a big program, and compiling it costs), and
 * {@link withinPatternTimeLimit} bounds all the pattern work of one validation. A pattern that RE2 cannot
 * compile (lookaround, back-references: backtracking constructs) is refused rather than matched slowly.
 *
 * re2js is CommonJS-loaded on first use, so commands that never check a pattern never load it.
 */
import { createRequire } from 'node:module';

import type * as Re2js from 're2js';

/** Longest pattern compiled (characters); Universe's longest are a few hundred. */
export const MAX_PATTERN_LENGTH = 2_000;
/** Largest program size x input length matched at once: about a second of RE2's slowest (NFA) matching. */
export const MAX_MATCH_WORK = 50_000_000;

export type PatternProblem = 'unsupported' | 'too-costly' | 'time-limit';

/** A pattern refused or stopped; `source` is the pattern as written, `reason` says why. */
export class PatternError extends Error {
  override name = 'PatternError';
  constructor(
    readonly problem: PatternProblem,
    readonly source: string,
    readonly reason: string,
  ) {
    super(`the pattern ${shownPattern(source)} ${reason}`);
  }
}

/** A pattern compiled for linear-time matching; `test` finds a match anywhere, as `RegExp.prototype.test`. */
export interface LinearPattern {
  test(text: string): boolean;
  readonly source: string;
  toString(): string;
}

function shownPattern(source: string): string {
  return source.length > 60 ? `${source.slice(0, 57)}...` : source;
}

let re2js: typeof Re2js | undefined;

function engine(): typeof Re2js {
  re2js ??= createRequire(import.meta.url)('re2js') as typeof Re2js;
  return re2js;
}

let deadline: number | undefined;
let limitMs = 0;

/**
 * Runs `work` (synchronous: a schema compiled and checked) with every pattern compile and match in it refused
 * once `ms` have passed since the start. Nested calls keep the earliest deadline.
 */
export function withinPatternTimeLimit<T>(ms: number, work: () => T): T {
  const outer = deadline;
  const outerLimit = limitMs;
  if (outer === undefined || Date.now() + ms < outer) {
    deadline = Date.now() + ms;
    limitMs = ms;
  }
  try {
    return work();
  } finally {
    deadline = outer;
    limitMs = outerLimit;
  }
}

function checkClock(source: string): void {
  if (deadline !== undefined && Date.now() > deadline) {
    throw new PatternError(
      'time-limit',
      source,
      `was not checked: the patterns of this schema took longer than the ${limitMs} ms limit`,
    );
  }
}

const compiled = new Map<string, LinearPattern>();
const CACHE_SIZE = 512;

/** `source` (ECMAScript syntax, as JSON Schema's `pattern`) compiled by RE2; throws PatternError. */
export function linearPattern(source: string): LinearPattern {
  const known = compiled.get(source);
  if (known) return known;
  if (source.length > MAX_PATTERN_LENGTH) {
    throw new PatternError(
      'too-costly',
      source,
      `is longer than the ${MAX_PATTERN_LENGTH} characters a pattern may have`,
    );
  }
  checkClock(source);
  const { RE2JS } = engine();
  let program: Re2js.RE2JS;
  try {
    program = RE2JS.compile(RE2JS.translateRegExp(source));
  } catch (error) {
    const reason =
      error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    throw new PatternError('unsupported', source, `cannot be matched in linear time (${reason})`);
  }
  const size = program.programSize();
  const pattern: LinearPattern = {
    source,
    test(text) {
      checkClock(source);
      if (size * (text.length + 1) > MAX_MATCH_WORK) {
        throw new PatternError(
          'too-costly',
          source,
          `is too big to match against ${text.length} characters (program size ${size})`,
        );
      }
      return program.test(text);
    },
    // Ajv keys the patterns of a compiled schema by this.
    toString: () => `/${source}/`,
  };
  if (compiled.size >= CACHE_SIZE) compiled.clear();
  compiled.set(source, pattern);
  return pattern;
}

/**
 * Ajv's `code.regExp` option: every `pattern` and `patternProperties` key of a schema compiled by that Ajv is
 * matched by RE2. `code` names the engine for Ajv's standalone code, which we never generate.
 */
export const linearRegExpEngine = Object.assign((source: string) => linearPattern(source), {
  code: 're2js',
});
