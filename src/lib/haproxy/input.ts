/**
 * The I/O around the pure generator for `dcos haproxy config|check`: where the apps come from (a file, stdin,
 * a URL or the cluster), the `--templates` directory, writing the result atomically.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { UsageError } from '../errors.js';
import { writeOutputFile } from '../fs-atomic.js';
import type { FetchedText } from '../marathon/input.js';
import { checkCertificateDirs, generateWithAppCertificates } from './certificates.js';
import { appList } from './model.js';
import { TEMPLATES } from './templates.js';
import type { HaproxyConfig, HaproxyOptions, ValidationResult } from './types.js';

/** A `/v2/apps` dump of a large cluster runs to tens of megabytes. */
const MAX_APPS_BYTES = 256 * 1024 * 1024;
/** Templates are a few lines each. */
const MAX_TEMPLATE_BYTES = 64 * 1024;

export interface AppsSource {
  /** `--apps`: a file, `-` for stdin, or an http(s) URL; undefined: the cluster. */
  apps?: string;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** GET /v2/apps?embed=apps.tasks of the attached cluster. */
  clusterApps: () => Promise<unknown>;
  fetchUrl?: (url: string) => Promise<FetchedText>;
}

/** The apps document, from `--apps` or the cluster; a document that holds no apps is a usage error. */
export async function readApps(source: AppsSource): Promise<{ apps: unknown; origin: string }> {
  if (source.apps === undefined) return { apps: await source.clusterApps(), origin: 'the cluster' };
  const { readDefinition } = await import('../marathon/input.js');
  const { value, origin } = await readDefinition(source.apps, {
    stdin: source.stdin,
    what: 'Marathon apps',
    maxBytes: MAX_APPS_BYTES,
    usage: 'curl -s "$MARATHON/v2/apps?embed=apps.tasks" | dcos haproxy config --apps -',
    ...(source.fetchUrl ? { fetchUrl: source.fetchUrl } : {}),
  });
  try {
    appList(value);
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(`${origin}: ${error.message}`, { code: error.code });
    }
    throw error;
  }
  return { apps: value, origin };
}

/** The operator's list of shared-frontend templates apps may set (with --allow-app-templates). */
export const SHARED_FRONTEND_APP_TEMPLATES = 'SHARED_FRONTEND_APP_TEMPLATES';

/**
 * `--templates DIR`: files named like the template (`HAPROXY_HEAD`, `HAPROXY_BACKEND_HEAD`, ...), and
 * SHARED_FRONTEND_APP_TEMPLATES: template names, one a line, `#` starting a comment. Other files (a README)
 * are ignored; a `HAPROXY_*` file that names no template is a mistake worth stopping for.
 */
export async function readTemplatesDir(
  dir: string,
): Promise<Pick<HaproxyOptions, 'templates' | 'sharedFrontendAppTemplates'>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new UsageError(
      `cannot read the templates directory ${dir}: ${(error as NodeJS.ErrnoException).code}`,
      {
        code: 'unreadable_input',
        cause: error,
      },
    );
  }
  const templates: Record<string, string> = {};
  let sharedFrontendAppTemplates: string[] | undefined;
  for (const name of names.sort()) {
    if (name !== SHARED_FRONTEND_APP_TEMPLATES && !name.startsWith('HAPROXY_')) continue;
    if (name.startsWith('HAPROXY_') && !Object.hasOwn(TEMPLATES, name.slice('HAPROXY_'.length))) {
      throw new UsageError(
        `${join(dir, name)} names no template (known: HAPROXY_${Object.keys(TEMPLATES).join(', HAPROXY_')})`,
        {
          code: 'template_error',
        },
      );
    }
    const text = await readFile(join(dir, name), 'utf8');
    if (Buffer.byteLength(text) > MAX_TEMPLATE_BYTES) {
      throw new UsageError(`${join(dir, name)} is larger than ${MAX_TEMPLATE_BYTES / 1024} KiB`, {
        code: 'input_too_large',
      });
    }
    if (name === SHARED_FRONTEND_APP_TEMPLATES) {
      sharedFrontendAppTemplates = text
        .split('\n')
        .map((line) => line.replace(/#.*/, '').trim())
        .filter((line) => line !== '');
    } else {
      templates[name] = text;
    }
  }
  return { templates, ...(sharedFrontendAppTemplates ? { sharedFrontendAppTemplates } : {}) };
}

export interface ConfigRequest extends AppsSource {
  templatesDir?: string;
  options: HaproxyOptions;
}

/** Reads the apps (and templates) and generates the config. */
export async function buildHaproxyConfig(
  request: ConfigRequest,
): Promise<{ config: HaproxyConfig; origin: string }> {
  checkCertificateDirs(request.options.sslCertDirs ?? []);
  const [{ apps, origin }, operator] = await Promise.all([
    readApps(request),
    request.templatesDir ? readTemplatesDir(request.templatesDir) : Promise.resolve({}),
  ]);
  const config = generateWithAppCertificates(apps, { ...request.options, ...operator });
  return { config, origin };
}

/**
 * Replaces the file in one rename (HAProxy or a reload never sees half a config), readable like /etc files; a
 * FIFO or device (`--output /dev/stdout`) is written in place, never replaced (see writeOutputFile).
 */
export async function writeConfigFile(path: string, text: string): Promise<void> {
  await writeOutputFile(path, text, 0o644);
}

export interface CheckRequest extends ConfigRequest {
  /** A config file to check as it is; without it the config is generated from the apps. */
  file?: string;
  haproxyBin?: string;
}

export interface CheckOutcome extends ValidationResult {
  /** What was checked: the file, or `generated from <origin>`. */
  source: string;
  /** With a generated config: its report (dropped apps and conflicts matter when reading the errors). */
  report?: HaproxyConfig['report'];
}

/** `dcos haproxy check`: a file as it is, or the config generated from the apps, through `haproxy -c`. */
export async function checkHaproxyConfig(request: CheckRequest): Promise<CheckOutcome> {
  const { validateConfig } = await import('./validate.js');
  if (request.file !== undefined) {
    let text: string;
    try {
      text = await readFile(request.file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${request.file}: ${(error as NodeJS.ErrnoException).code}`, {
        code: 'unreadable_input',
        cause: error,
      });
    }
    const result = await validateConfig(text, {
      displayName: request.file,
      ...(request.haproxyBin ? { haproxyBin: request.haproxyBin } : {}),
    });
    return { ...result, source: request.file };
  }
  const { config, origin } = await buildHaproxyConfig(request);
  const result = await validateConfig(config.text, {
    lineOwners: config.lineOwners,
    ...(request.haproxyBin ? { haproxyBin: request.haproxyBin } : {}),
  });
  return { ...result, source: `generated from ${origin}`, report: config.report };
}
