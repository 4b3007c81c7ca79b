/**
 * A package's Marathon app, rendered on the client exactly as Cosmos's `/package/render` and `/package/install`
 * build it (`PackageDefinitionRenderer`): options resolved and checked, the Mustache template rendered without
 * HTML escaping, the result parsed, then the app id and the `DCOS_PACKAGE_*` labels set.
 */
import Mustache from 'mustache';

import { DcosError } from '../errors.js';
import { isRecord } from '../json.js';
import { formatSize } from '../text.js';
import { CosmosError } from './errors.js';
import {
  encodeLabelJson,
  encodePackageDefinition,
  PACKAGE_DEFINITION_LABEL,
  PACKAGE_FRAMEWORK_NAME_LABEL,
  PACKAGE_IS_FRAMEWORK_LABEL,
  PACKAGE_METADATA_LABEL,
  PACKAGE_NAME_LABEL,
  PACKAGE_OPTIONS_LABEL,
  PACKAGE_RELEASE_LABEL,
  PACKAGE_SOURCE_LABEL,
  PACKAGE_VERSION_LABEL,
  packageMetadata,
} from './labels.js';
import { mergeOptions, resolveOptions } from './options.js';
import type { UniversePackage } from './types.js';
import { decodeTemplate } from './universe.js';

export interface RenderInput {
  /** The URI of the repository the package came from (`DCOS_PACKAGE_SOURCE`). */
  repositoryUri: string;
  /** The user's options only; the schema's defaults are merged in here. */
  userOptions?: Record<string, unknown>;
  appId?: string;
}

const RAW = { escape: (text: string) => text };

/** Marathon ids are absolute: `web` and `/web/` both mean `/web`. */
export function normalizeAppId(id: string): string {
  return `/${id.trim().replace(/^\/+|\/+$/g, '')}`;
}

/**
 * The context as Cosmos hands it to Mustache: strings JSON-escaped so that `"{{x}}"` stays valid JSON whatever x
 * holds, and strings directly inside arrays fully quoted (so `[{{#list}}{{.}},{{/list}}]` lists JSON strings).
 */
function mustacheContext(value: unknown, inArray = false): unknown {
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    return inArray ? quoted : quoted.slice(1, -1);
  }
  if (Array.isArray(value)) return value.map((item) => mustacheContext(item, true));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mustacheContext(item)]));
  }
  return value;
}

function lookup(context: Record<string, unknown>, dotted: string): unknown {
  let value: unknown = context;
  for (const part of dotted.split('.')) {
    if (!isRecord(value)) return undefined;
    value = value[part];
  }
  return value;
}

/** Largest Marathon app a template may render: real ones are a few KiB, and Marathon takes one app per POST. */
export const MAX_RENDERED_BYTES = 1024 * 1024;
/**
 * Most template tokens rendered, each repetition of a section counted again: nested sections over arrays can do
 * billions of steps while writing nothing.
 */
export const MAX_RENDER_STEPS = 200_000;
/** Deepest nesting of sections: each level makes every name lookup below it longer. */
export const MAX_SECTION_DEPTH = 100;

class RenderLimit extends Error {}

/**
 * Mustache's renderer, stopped as soon as its output passes `maxChars` characters or its work passes
 * {@link MAX_RENDER_STEPS}, rather than after building a string of any size. Every piece of output goes through
 * rawValue, escapedValue or unescapedValue (or a lambda, which counts its own with `emit`).
 */
class BoundedWriter extends Mustache.Writer {
  private produced = 0;
  private steps = 0;

  constructor(private readonly maxChars: number) {
    super();
  }

  emit<T>(text: T): T {
    if (typeof text === 'string') {
      this.produced += text.length;
      if (this.produced > this.maxChars) throw new RenderLimit(tooLargeReason(this.maxChars));
    }
    return text;
  }

  override renderTokens(...args: Parameters<Mustache.Writer['renderTokens']>): string {
    this.steps += args[0].length + 1;
    if (this.steps > MAX_RENDER_STEPS) {
      throw new RenderLimit(
        `it takes more than ${MAX_RENDER_STEPS} template steps (sections repeat too often)`,
      );
    }
    return super.renderTokens(...args);
  }

  override rawValue(...args: Parameters<Mustache.Writer['rawValue']>): string {
    return this.emit(super.rawValue(...args));
  }

  override escapedValue(...args: Parameters<Mustache.Writer['escapedValue']>): string {
    return this.emit(super.escapedValue(...args));
  }

  override unescapedValue(...args: Parameters<Mustache.Writer['unescapedValue']>): string {
    return this.emit(super.unescapedValue(...args));
  }
}

function tooLargeReason(maxBytes: number): string {
  return `its output passes the ${formatSize(maxBytes)} limit for a Marathon app`;
}

/** How deep the parsed template's sections nest (Mustache tokens: `[type, name, start, end, children?]`). */
function sectionDepth(tokens: unknown[]): number {
  let deepest = 0;
  const pending: { tokens: unknown[]; depth: number }[] = [{ tokens, depth: 0 }];
  while (pending.length > 0) {
    const { tokens: level, depth } = pending.pop()!;
    deepest = Math.max(deepest, depth);
    for (const token of level) {
      const children = Array.isArray(token) ? token[4] : undefined;
      if (Array.isArray(children)) pending.push({ tokens: children, depth: depth + 1 });
    }
  }
  return deepest;
}

function renderRefused(pkg: UniversePackage, reason: string, maxBytes: number): DcosError {
  return new DcosError(`the Marathon template of ${pkg.name} ${pkg.version} was not rendered: ${reason}`, {
    code: 'template_too_large',
    details: { packageName: pkg.name, packageVersion: pkg.version, maxBytes },
  });
}

function renderTemplate(pkg: UniversePackage, template: string, context: Record<string, unknown>): string {
  const maxBytes = MAX_RENDERED_BYTES;
  const about = { packageName: pkg.name, packageVersion: pkg.version };
  const writer = new BoundedWriter(maxBytes);
  const view = mustacheContext(context) as Record<string, unknown>;
  // `{{#asJson}}service.labels{{/asJson}}` writes the value as JSON (objects and arrays included).
  if (!('asJson' in view)) {
    view.asJson = () => (name: string) => writer.emit(JSON.stringify(lookup(context, name.trim()) ?? null));
  }
  let rendered: string;
  try {
    const depth = sectionDepth(writer.parse(template) as unknown[]);
    if (depth > MAX_SECTION_DEPTH) {
      throw new RenderLimit(`its sections nest ${depth} deep (at most ${MAX_SECTION_DEPTH})`);
    }
    rendered = writer.render(template, view, {}, RAW);
  } catch (error) {
    if (error instanceof RenderLimit) throw renderRefused(pkg, error.message, maxBytes);
    throw new DcosError(
      `the Marathon template of ${pkg.name} ${pkg.version} is not a valid Mustache template: ${(error as Error).message}`,
      { code: 'invalid_template', details: about },
    );
  }
  // Counted in characters while rendering; the limit is in bytes.
  if (Buffer.byteLength(rendered) > maxBytes) throw renderRefused(pkg, tooLargeReason(maxBytes), maxBytes);
  return rendered;
}

// ---------------------------------------------------------------------------------------------------------
// Where rendered JSON goes wrong. V8's messages do not always give a position, so find it ourselves.

class SyntaxAt {
  constructor(readonly offset: number) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

/** The offset of the first JSON syntax error in `text`, or -1 when it parses. */
export function jsonErrorOffset(text: string): number {
  let at = 0;
  const fail = (): never => {
    throw new SyntaxAt(at);
  };
  const skipSpace = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at += 1;
  };
  const expect = (char: string) => {
    skipSpace();
    if (text[at] !== char) fail();
    at += 1;
  };
  const string = () => {
    at += 1;
    for (;;) {
      if (at >= text.length) fail();
      const char = text[at]!;
      if (char === '"') {
        at += 1;
        return;
      }
      if (char < ' ') fail();
      if (char === '\\') {
        const escaped = text[at + 1];
        if (escaped === 'u') {
          HEX4.lastIndex = at + 2;
          if (!HEX4.test(text)) fail();
          at += 6;
          continue;
        }
        if (escaped === undefined || !'"\\/bfnrt'.includes(escaped)) {
          at += 1;
          fail();
        }
        at += 2;
        continue;
      }
      at += 1;
    }
  };
  const value = (): void => {
    skipSpace();
    const char = text[at];
    if (char === '{') {
      at += 1;
      skipSpace();
      if (text[at] === '}') {
        at += 1;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[at] !== '"') fail();
        string();
        expect(':');
        value();
        skipSpace();
        if (text[at] === ',') at += 1;
        else if (text[at] === '}') return void (at += 1);
        else fail();
      }
    }
    if (char === '[') {
      at += 1;
      skipSpace();
      if (text[at] === ']') {
        at += 1;
        return;
      }
      for (;;) {
        value();
        skipSpace();
        if (text[at] === ',') at += 1;
        else if (text[at] === ']') return void (at += 1);
        else fail();
      }
    }
    if (char === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, at)) {
        at += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = at;
    if (NUMBER.test(text)) {
      at = NUMBER.lastIndex;
      return;
    }
    fail();
  };
  try {
    value();
    skipSpace();
    if (at < text.length) fail();
    return -1;
  } catch (error) {
    if (error instanceof SyntaxAt) return error.offset;
    throw error;
  }
}

function parseRendered(pkg: UniversePackage, rendered: string): unknown {
  try {
    return JSON.parse(rendered);
  } catch (error) {
    const offset = Math.max(0, jsonErrorOffset(rendered));
    const before = rendered.slice(0, offset).split('\n');
    const line = before.length;
    const column = before[before.length - 1]!.length + 1;
    const lineText = (rendered.split('\n')[line - 1] ?? '').trim();
    const shownLine = lineText.length > 80 ? `${lineText.slice(0, 77)}...` : lineText;
    const reason = (error as Error).message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, ".*" is not valid JSON$/s, '');
    throw new DcosError(
      `the Marathon template of ${pkg.name} ${pkg.version} did not render to valid JSON: ${reason} ` +
        `at line ${line}, column ${column}${shownLine ? `: ${shownLine}` : ''}`,
      {
        code: 'invalid_template',
        details: { packageName: pkg.name, packageVersion: pkg.version, line, column },
      },
    );
  }
}

function templateLabels(pkg: UniversePackage, app: Record<string, unknown>): Record<string, string> {
  const labels = app.labels ?? {};
  if (!isRecord(labels) || !Object.values(labels).every((value) => typeof value === 'string')) {
    throw new DcosError(
      `the Marathon template of ${pkg.name} ${pkg.version} renders labels that are not an object of strings`,
      { code: 'invalid_template', details: { packageName: pkg.name, packageVersion: pkg.version } },
    );
  }
  return labels as Record<string, string>;
}

/** The framework name the DC/OS CLI looked for: `<package>.framework-name`, else Cosmos-era `service.name`. */
function frameworkName(pkg: UniversePackage, options: Record<string, unknown>): string | undefined {
  const own = options[pkg.name];
  const candidates = [isRecord(own) ? own['framework-name'] : undefined, lookup(options, 'service.name')];
  return candidates.find((value): value is string => typeof value === 'string' && value !== '');
}

/**
 * The Marathon app installing `pkg` would create. Throws CosmosError ServiceMarathonTemplateNotFound for a
 * package without a template, the invalid-options UsageError for options that break the schema, and
 * DcosError `invalid_template` for a template that does not render to a JSON object.
 */
export function renderMarathonApp(pkg: UniversePackage, input: RenderInput): Record<string, unknown> {
  const template = decodeTemplate(pkg);
  if (template === undefined) {
    throw new CosmosError(
      'ServiceMarathonTemplateNotFound',
      `Package: [${pkg.name}] version: [${pkg.version}] does not have a Marathon template defined and can not be rendered`,
      { packageName: pkg.name, packageVersion: pkg.version },
    );
  }
  const userOptions = input.userOptions ?? {};
  const options = resolveOptions(pkg, userOptions);
  const context = mergeOptions(options, { resource: pkg.resource ?? {} });
  const app = parseRendered(pkg, renderTemplate(pkg, template, context));
  if (!isRecord(app)) {
    throw new CosmosError(
      'MarathonTemplateMustBeJsonObject',
      `Rendered Marathon JSON must be a JSON object (package [${pkg.name}] version [${pkg.version}])`,
      { packageName: pkg.name, packageVersion: pkg.version },
    );
  }
  if (input.appId !== undefined) app.id = normalizeAppId(input.appId);

  const labels: Record<string, string> = { ...templateLabels(pkg, app) };
  if (!(PACKAGE_FRAMEWORK_NAME_LABEL in labels)) {
    const framework = frameworkName(pkg, options);
    if (framework) labels[PACKAGE_FRAMEWORK_NAME_LABEL] = framework;
  }
  labels[PACKAGE_NAME_LABEL] = pkg.name;
  labels[PACKAGE_VERSION_LABEL] = pkg.version;
  if (pkg.releaseVersion !== undefined) labels[PACKAGE_RELEASE_LABEL] = String(pkg.releaseVersion);
  labels[PACKAGE_SOURCE_LABEL] = input.repositoryUri;
  labels[PACKAGE_OPTIONS_LABEL] = encodeLabelJson(userOptions);
  labels[PACKAGE_DEFINITION_LABEL] = encodePackageDefinition(pkg);
  labels[PACKAGE_METADATA_LABEL] = encodeLabelJson(packageMetadata(pkg));
  labels[PACKAGE_IS_FRAMEWORK_LABEL] = String(pkg.framework ?? false);
  app.labels = labels;
  return app;
}
