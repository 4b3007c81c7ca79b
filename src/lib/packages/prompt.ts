/**
 * Interactive `dcos package install`: one question per setting of the package's config schema (draft-04), in
 * schema order, so a user can install without writing an options file first. The questions go through an
 * `OptionAsker`, so the walk is testable without a terminal and inquirer loads only when someone is asked.
 */
import { isIP } from 'node:net';

import { DcosError, InterruptedError } from '../errors.js';
import { isRecord } from '../json.js';
import { linearPattern, PatternError, type LinearPattern } from '../linear-regexp.js';
import type { JsonSchema } from './types.js';

/** Run on each answer before it is accepted: `true`, or the message to show while asking again. */
export type AnswerCheck<T> = (value: T) => true | string;

export interface TextQuestion {
  message: string;
  /** Shown, and returned when the user just presses Enter. */
  default?: string;
  validate?: AnswerCheck<string>;
}

export interface NumberQuestion {
  message: string;
  default?: number;
  /** Holds every rule of the schema (integer, minimum, maximum, required): the asker needs no other. */
  validate: AnswerCheck<number | undefined>;
}

export interface ConfirmQuestion {
  message: string;
  default?: boolean;
}

export interface Choice<T> {
  name: string;
  value: T;
}

export interface ChoiceQuestion<T> {
  message: string;
  choices: readonly Choice<T>[];
  default?: T;
}

export interface SecretQuestion {
  message: string;
  validate?: AnswerCheck<string>;
}

/**
 * The kinds of question `askOptions` asks. An asker keeps asking until `validate` accepts the answer, and
 * returns the default when the user just presses Enter.
 */
export interface OptionAsker {
  text(question: TextQuestion): Promise<string>;
  /** `undefined` when the user left it empty (only when `validate` accepts that). */
  number(question: NumberQuestion): Promise<number | undefined>;
  confirm(question: ConfirmQuestion): Promise<boolean>;
  choice<T>(question: ChoiceQuestion<T>): Promise<T>;
  /** Typed without echo; no default, since showing one would reveal it. */
  secret(question: SecretQuestion): Promise<string>;
}

/** Where the questions are read and written; stdin and stderr unless given (tests type into a stream). */
export interface AskerStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** The asker of a real terminal, over @inquirer/prompts. Ctrl-C becomes `InterruptedError` (exit 130). */
export async function inquirerAsker(streams: AskerStreams = {}): Promise<OptionAsker> {
  const prompts = await import('@inquirer/prompts');
  // stdout stays for the command's own result (`--json`, a rendered app), which may be piped to a file.
  const context = { input: streams.input ?? process.stdin, output: streams.output ?? process.stderr };
  return {
    text: (question) =>
      interruptible(
        prompts.input(
          { message: question.message, default: question.default, validate: question.validate },
          context,
        ),
      ),
    number: (question) =>
      interruptible(
        // step 'any': inquirer's own step check would reject fractions and ignores `integer`; `validate` decides.
        prompts.number(
          { message: question.message, default: question.default, step: 'any', validate: question.validate },
          context,
        ),
      ),
    confirm: (question) =>
      interruptible(prompts.confirm({ message: question.message, default: question.default }, context)),
    choice: (question) =>
      interruptible(
        prompts.select(
          {
            message: question.message,
            choices: question.choices.map((choice) => ({ name: choice.name, value: choice.value })),
            default: question.default,
          },
          context,
        ),
      ),
    secret: (question) =>
      interruptible(
        prompts.password({ message: question.message, mask: true, validate: question.validate }, context),
      ),
  };
}

async function interruptible<T>(prompt: Promise<T>): Promise<T> {
  try {
    return await prompt;
  } catch (error) {
    // Matched by name: importing @inquirer/core for the class would add a dependency we do not declare.
    if (error instanceof Error && error.name === 'ExitPromptError') throw new InterruptedError();
    throw error;
  }
}

export interface AskOptionsOptions {
  /** Values to offer instead of the schema's defaults (e.g. a previous answer file), by the same nesting. */
  initial?: Record<string, unknown>;
}

/**
 * Asks for every setting of `schema` and returns the options object, nested as in the schema. Answers equal to
 * the defaults are included (use `changedOptions` for a short file); optional settings the user skipped are
 * left out; keys of `initial` the schema does not describe are kept.
 */
export async function askOptions(
  schema: JsonSchema,
  asker: OptionAsker,
  options: AskOptionsOptions = {},
): Promise<Record<string, unknown>> {
  return askObject(schema, [], asker, options.initial ?? {});
}

/** The answers that differ from `defaults`, compared deeply; nested objects keep only their changed keys. */
export function changedOptions(
  defaults: Record<string, unknown>,
  answers: Record<string, unknown>,
): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const [key, answer] of Object.entries(answers)) {
    const fallback = defaults[key];
    if (isRecord(answer) && (isRecord(fallback) || fallback === undefined)) {
      const inner = changedOptions(isRecord(fallback) ? fallback : {}, answer);
      if (Object.keys(inner).length > 0) changed[key] = inner;
    } else if (!sameJson(answer, fallback)) {
      changed[key] = answer;
    }
  }
  return changed;
}

/** The value of the choice that leaves an optional setting out; a symbol, so no enum value can equal it. */
const UNSET = Symbol('unset');
const UNSET_CHOICE: Choice<typeof UNSET> = { name: '(leave unset)', value: UNSET };

const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'secret', 'token', 'key', 'apikey']);
const DESCRIPTION_LIMIT = 100;

type Kind = 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'null';
const KINDS: ReadonlySet<string> = new Set<Kind>([
  'object',
  'string',
  'number',
  'integer',
  'boolean',
  'array',
  'null',
]);

/** One setting being asked about. `preset` is the value offered (initial, else default), if any. */
interface Field {
  name: string;
  path: string;
  schema: JsonSchema;
  required: boolean;
  preset: unknown;
}

/** What a question produced: a value to store, or nothing (the setting stays out of the options). */
type Answer = { value: unknown } | undefined;

async function askObject(
  schema: JsonSchema,
  path: string[],
  asker: OptionAsker,
  initial: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { ...initial };
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const requiredNames = Array.isArray(schema.required) ? schema.required : [];
  for (const [name, property] of Object.entries(properties)) {
    if (!isRecord(property)) continue;
    const fieldPath = [...path, name];
    // draft-03 marked required on the property itself; old Universe packages still do.
    const required = requiredNames.includes(name) || property.required === true;
    if (kindOf(property) === 'object' && isRecord(property.properties)) {
      const nested = await askObject(
        property,
        fieldPath,
        asker,
        isRecord(initial[name]) ? initial[name] : {},
      );
      if (Object.keys(nested).length > 0 || required) result[name] = nested;
      else delete result[name];
      continue;
    }
    const preset = initial[name] !== undefined ? initial[name] : property.default;
    const answer = await askField(
      { name, path: fieldPath.join('.'), schema: property, required, preset },
      asker,
    );
    if (answer === undefined) delete result[name];
    else result[name] = answer.value;
  }
  return result;
}

async function askField(field: Field, asker: OptionAsker): Promise<Answer> {
  const { schema } = field;
  if (Array.isArray(schema.enum)) return askEnum(field, schema.enum, asker);
  switch (kindOf(schema)) {
    case 'null':
      return undefined;
    case 'boolean':
      return askBoolean(field, asker);
    case 'integer':
      return askNumber(field, true, asker);
    case 'number':
      return askNumber(field, false, asker);
    case 'array':
      return askArray(field, asker);
    case 'object':
      return askJson(field, 'object', asker);
    case 'string':
      return askString(field, asker);
  }
}

/** The schema's type; without one, what its default or properties suggest; a plain string as the last resort. */
function kindOf(schema: JsonSchema): Kind {
  const declared = Array.isArray(schema.type) ? schema.type.find((type) => type !== 'null') : schema.type;
  if (typeof declared === 'string' && KINDS.has(declared)) return declared as Kind;
  if (isRecord(schema.properties)) return 'object';
  const sample = schema.default;
  if (typeof sample === 'boolean') return 'boolean';
  // Not 'integer' for a whole default: without a declared type, nothing says 1.5 would be wrong.
  if (typeof sample === 'number') return 'number';
  if (Array.isArray(sample)) return 'array';
  if (isRecord(sample)) return 'object';
  return 'string';
}

function messageFor(field: Field, hint?: string): string {
  const summary = shortDescription(field.schema.description);
  return `${field.path}${hint ? ` (${hint})` : ''}${summary ? `: ${summary}` : ''}`;
}

/** The description if it fits on a line, else its first sentence, else its start: long prose buries the prompt. */
function shortDescription(description: unknown): string | undefined {
  if (typeof description !== 'string') return undefined;
  const text = description.replace(/\s+/g, ' ').trim();
  if (text.length <= DESCRIPTION_LIMIT) return text || undefined;
  const firstSentence = /^(.+?[.!?])(?:\s|$)/.exec(text)?.[1];
  if (firstSentence && firstSentence.length <= DESCRIPTION_LIMIT) return firstSentence;
  const cut = text.lastIndexOf(' ', DESCRIPTION_LIMIT - 1);
  return `${text.slice(0, cut > 0 ? cut : DESCRIPTION_LIMIT - 1)}…`;
}

/** An empty answer skips an optional setting; a required one accepts it only where `emptyAccepted` says so. */
function emptyCheck(field: Field, emptyAccepted: boolean): true | string {
  return field.required && !emptyAccepted ? `${field.path} is required` : true;
}

async function askEnum(field: Field, values: unknown[], asker: OptionAsker): Promise<Answer> {
  const choices: Choice<unknown>[] = values.map((value) => ({ name: choiceName(value), value }));
  const presetIndex = values.findIndex((value) => sameJson(value, field.preset));
  if (!field.required && presetIndex < 0) {
    // First and preselected, so Enter skips an optional setting as it does for the other kinds.
    const answer = await asker.choice<unknown>({
      message: messageFor(field),
      choices: [UNSET_CHOICE, ...choices],
      default: UNSET,
    });
    return answer === UNSET ? undefined : { value: answer };
  }
  const answer = await asker.choice<unknown>({
    message: messageFor(field),
    choices,
    ...(presetIndex >= 0 ? { default: values[presetIndex] } : {}),
  });
  return { value: answer };
}

function choiceName(value: unknown): string {
  if (value === '') return '(empty)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

async function askBoolean(field: Field, asker: OptionAsker): Promise<Answer> {
  if (typeof field.preset === 'boolean') {
    return { value: await asker.confirm({ message: messageFor(field), default: field.preset }) };
  }
  // A yes/no question always has an answer; a choice lets an optional setting without a default stay unset.
  const choices: Choice<boolean | typeof UNSET>[] = [
    { name: 'yes', value: true },
    { name: 'no', value: false },
  ];
  const answer = await asker.choice<boolean | typeof UNSET>({
    message: messageFor(field),
    choices: field.required ? choices : [UNSET_CHOICE, ...choices],
    ...(field.required ? {} : { default: UNSET }),
  });
  return answer === UNSET ? undefined : { value: answer };
}

async function askNumber(field: Field, integer: boolean, asker: OptionAsker): Promise<Answer> {
  const { schema } = field;
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  const exclusiveMinimum = schema.exclusiveMinimum === true;
  const exclusiveMaximum = schema.exclusiveMaximum === true;
  const validate: AnswerCheck<number | undefined> = (value) => {
    if (value === undefined) return emptyCheck(field, false);
    if (!Number.isFinite(value)) return 'Must be a number';
    if (integer && !Number.isInteger(value)) return 'Must be a whole number';
    if (minimum !== undefined && (exclusiveMinimum ? value <= minimum : value < minimum)) {
      return exclusiveMinimum ? `Must be greater than ${minimum}` : `Must be at least ${minimum}`;
    }
    if (maximum !== undefined && (exclusiveMaximum ? value >= maximum : value > maximum)) {
      return exclusiveMaximum ? `Must be less than ${maximum}` : `Must be at most ${maximum}`;
    }
    return true;
  };
  const hint = [
    integer ? 'integer' : undefined,
    minimum !== undefined ? `${exclusiveMinimum ? '>' : '≥'} ${minimum}` : undefined,
    maximum !== undefined ? `${exclusiveMaximum ? '<' : '≤'} ${maximum}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const answer = await asker.number({
    message: messageFor(field, hint),
    ...(typeof field.preset === 'number' ? { default: field.preset } : {}),
    validate,
  });
  return answer === undefined ? undefined : { value: answer };
}

async function askString(field: Field, asker: OptionAsker): Promise<Answer> {
  const preset = typeof field.preset === 'string' ? field.preset : undefined;
  const format = typeof field.schema.format === 'string' ? field.schema.format : undefined;
  const hint = format && FORMATS.has(format) ? format : undefined;
  if (looksSecret(field.name) && field.schema.default === undefined) {
    // A secret cannot be shown as a default, so leaving it empty keeps a value given in `initial`.
    const message =
      messageFor(field, hint) + (preset !== undefined ? ' (empty keeps the current value)' : '');
    const answer = await asker.secret({ message, validate: stringCheck(field, preset !== undefined) });
    if (answer === '') return preset === undefined ? undefined : { value: preset };
    return { value: answer };
  }
  const answer = await asker.text({
    message: messageFor(field, hint),
    ...(preset !== undefined ? { default: preset } : {}),
    validate: stringCheck(field, preset === ''),
  });
  return answer === '' && preset === undefined ? undefined : { value: answer };
}

function stringCheck(field: Field, emptyAccepted: boolean): AnswerCheck<string> {
  const { schema } = field;
  const pattern = typeof schema.pattern === 'string' ? fieldPattern(field, schema.pattern) : undefined;
  return (value) => {
    if (value === '') return emptyCheck(field, emptyAccepted);
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) {
      return `Must be at least ${schema.minLength} characters`;
    }
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) {
      return `Must be at most ${schema.maxLength} characters`;
    }
    if (pattern) {
      try {
        if (!pattern.test(value)) return `Must match the pattern ${pattern.source}`;
      } catch (error) {
        if (error instanceof PatternError) return `Cannot be checked: ${error.message}`;
        throw error;
      }
    }
    const format = typeof schema.format === 'string' ? FORMATS.get(schema.format) : undefined;
    if (format && !format.test(value)) return format.message;
    return true;
  };
}

/**
 * The field's pattern, matched in linear time (see linear-regexp.ts). One that cannot be is the package's fault
 * and would fail the install's own validation too: refused before the question is asked.
 */
function fieldPattern(field: Field, source: string): LinearPattern {
  try {
    return linearPattern(source);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    throw new DcosError(`the package's config.json pattern for ${field.path}: ${error.message}`, {
      code: 'invalid_package_config',
      details: { path: field.path, pattern: source, problem: error.problem },
    });
  }
}

/** draft-04's formats; others are not checked (the schema allows custom ones). */
interface FormatCheck {
  test: (value: string) => boolean;
  message: string;
}

const FORMATS = new Map<string, FormatCheck>([
  [
    'uri',
    { test: (value) => URL.canParse(value), message: 'Must be a URI such as https://example.com/path' },
  ],
  ['email', { test: (value) => /^[^\s@]+@[^\s@]+$/.test(value), message: 'Must be an email address' }],
  [
    'hostname',
    {
      test: (value) =>
        value.length <= 253 &&
        value.split('.').every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(label)),
      message: 'Must be a host name such as node-1.example.com',
    },
  ],
  ['ipv4', { test: (value) => isIP(value) === 4, message: 'Must be an IPv4 address such as 10.0.0.1' }],
  ['ipv6', { test: (value) => isIP(value) === 6, message: 'Must be an IPv6 address such as fd00::1' }],
  [
    'date-time',
    {
      test: (value) =>
        /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/.test(value) &&
        !Number.isNaN(Date.parse(value)),
      message: 'Must be a date-time such as 2024-01-31T12:00:00Z',
    },
  ],
]);

/** By the last word of the name (`api_key`, `secretKey`), so `key_cache_period` or `num_tokens` are not masked. */
function looksSecret(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const last = words.at(-1);
  return (last !== undefined && SECRET_WORDS.has(last)) || words.includes('password');
}

type ItemKind = 'string' | 'number' | 'integer' | 'other';

async function askArray(field: Field, asker: OptionAsker): Promise<Answer> {
  const items = isRecord(field.schema.items) ? field.schema.items : undefined;
  const itemKind: ItemKind = itemKindOf(items);
  if (itemKind === 'other') return askJson(field, 'array', asker);
  const preset = Array.isArray(field.preset) ? field.preset : undefined;
  const raw = await asker.text({
    message: messageFor(field, 'comma-separated, or a JSON array'),
    ...(preset !== undefined ? { default: listText(preset) } : {}),
    validate: (value) => {
      if (value.trim() === '') return emptyCheck(field, preset?.length === 0);
      const parsed = parseList(value, itemKind);
      return typeof parsed === 'string' ? parsed : true;
    },
  });
  if (raw.trim() === '') return preset === undefined ? undefined : { value: [] };
  const parsed = parseList(raw, itemKind);
  if (typeof parsed === 'string')
    throw new Error(`${field.path}: the asker accepted an invalid list (${parsed})`);
  return { value: parsed.items };
}

function itemKindOf(items: JsonSchema | undefined): ItemKind {
  if (items === undefined) return 'string';
  if (Array.isArray(items.enum) || isRecord(items.properties)) return 'other';
  const kind = kindOf(items);
  return kind === 'string' || kind === 'number' || kind === 'integer' ? kind : 'other';
}

/** Comma-separated when that reads back the same; JSON when an item is empty, padded or holds a comma. */
function listText(items: unknown[]): string {
  if (items.length === 0) return '[]';
  const plain = items.every(
    (item) =>
      typeof item === 'number' ||
      (typeof item === 'string' && item !== '' && item === item.trim() && !item.includes(',')),
  );
  return plain ? items.join(', ') : JSON.stringify(items);
}

/** The items, or the message saying why the text is not a list of that kind. */
function parseList(text: string, itemKind: Exclude<ItemKind, 'other'>): { items: unknown[] } | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return 'Not valid JSON: write a JSON array like ["a", "b"], or the items separated by commas';
    }
    if (!Array.isArray(parsed)) return 'Must be a JSON array';
    const wrong = parsed.find((item) => !itemFits(item, itemKind));
    return wrong === undefined ? { items: parsed } : `${JSON.stringify(wrong)} is not ${itemNoun(itemKind)}`;
  }
  const parts = trimmed
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (itemKind === 'string') return { items: parts };
  const numbers = parts.map(Number);
  const wrong = parts.find((_, index) => !itemFits(numbers[index], itemKind));
  return wrong === undefined ? { items: numbers } : `"${wrong}" is not ${itemNoun(itemKind)}`;
}

function itemFits(item: unknown, itemKind: Exclude<ItemKind, 'other'>): boolean {
  if (itemKind === 'string') return typeof item === 'string';
  if (typeof item !== 'number' || !Number.isFinite(item)) return false;
  return itemKind === 'number' || Number.isInteger(item);
}

function itemNoun(itemKind: Exclude<ItemKind, 'other'>): string {
  return itemKind === 'string' ? 'a string' : itemKind === 'integer' ? 'a whole number' : 'a number';
}

/** Free-form objects and arrays of objects have no question of their own: the user writes their JSON. */
async function askJson(field: Field, shape: 'object' | 'array', asker: OptionAsker): Promise<Answer> {
  const fits = (value: unknown): boolean => (shape === 'object' ? isRecord(value) : Array.isArray(value));
  const preset = fits(field.preset) ? JSON.stringify(field.preset) : undefined;
  const raw = await asker.text({
    message: messageFor(field, `JSON ${shape}`),
    ...(preset !== undefined ? { default: preset } : {}),
    validate: (value) => {
      if (value.trim() === '') return emptyCheck(field, preset === '{}' || preset === '[]');
      try {
        return fits(JSON.parse(value)) ? true : `Must be a JSON ${shape}`;
      } catch {
        return `Not valid JSON: write a JSON ${shape}`;
      }
    },
  });
  if (raw.trim() === '') return preset === undefined ? undefined : { value: shape === 'object' ? {} : [] };
  return { value: JSON.parse(raw) as unknown };
}

function sameJson(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => sameJson(item, right[index]));
  }
  if (isRecord(left) && isRecord(right)) {
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length &&
      keys.every((key) => Object.hasOwn(right, key) && sameJson(left[key], right[key]))
    );
  }
  return false;
}
