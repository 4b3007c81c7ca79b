/**
 * Universe repositories read on the client: a built index (`{"packages":[...]}`, what Cosmos downloads) or a
 * checkout in Universe's source layout, indexed here the way universe's `scripts/gen_universe.py` does it.
 * Package selection follows Cosmos's `PackageCollection` so that both package managers pick the same package.
 */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { DcosError } from '../errors.js';
import { isRecord, nestedDeeperThan } from '../json.js';
import { editDistance } from '../text.js';
import { CosmosError } from './errors.js';
import {
  DEFAULT_MAX_REPOSITORY_BYTES,
  readIndexFile,
  readFailure,
  repositoryTooLarge,
  SourceTreeReader,
} from './repository-files.js';
import type { Repository, UniversePackage } from './types.js';

export interface RepoPackages {
  repository: Repository;
  packages: UniversePackage[];
}

export interface LoadUniverseDeps {
  /** The body of an http(s) repository, refused past `maxBytes` (see repository-files.ts's readDownload). */
  fetchText: (url: string, maxBytes: number) => Promise<string>;
  /** Base of relative paths; the process's working directory by default. */
  cwd?: string;
  /** Largest index (or sum of a source tree's files) accepted, in bytes. */
  maxBytes?: number;
}

const PACKAGING_VERSIONS = ['2.0', '3.0', '4.0', '5.0'] as const;
const OPTIONAL_STRINGS = [
  'scm',
  'website',
  'preInstallNotes',
  'postInstallNotes',
  'postUninstallNotes',
  'minDcosReleaseVersion',
] as const;
const OPTIONAL_BOOLEANS = ['selected', 'framework'] as const;
const OPTIONAL_OBJECTS = ['resource', 'config', 'command'] as const;
/** Deepest nesting of objects and arrays in a package entry (Universe's deepest schemas nest about a dozen). */
export const MAX_PACKAGE_DEPTH = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function invalidRepository(message: string, details: Record<string, unknown>): DcosError {
  return new DcosError(message, { code: 'invalid_repository', details });
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (isRecord(value)) return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * One package entry checked and normalised: explicit nulls (Cosmos writes them for absent fields) are dropped,
 * a 2.0 entry without releaseVersion gets `position`. `where` names the entry in error messages.
 */
function parsePackage(entry: unknown, where: string, position: number): UniversePackage {
  const fail = (field: string, expected: string, value: unknown): never => {
    throw invalidRepository(`${where}: ${field} must be ${expected} (got ${shown(value)})`, {
      where,
      field,
    });
  };
  if (!isRecord(entry)) return fail('the package', 'an object', entry);
  // Schemas and resources are walked recursively later (defaults, rendering); a hostile depth would overflow.
  if (nestedDeeperThan(entry, MAX_PACKAGE_DEPTH)) {
    throw invalidRepository(`${where}: nests objects and arrays more than ${MAX_PACKAGE_DEPTH} levels deep`, {
      where,
    });
  }
  const pkg: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) if (value !== null) pkg[key] = value;

  const version = pkg.packagingVersion;
  if (!PACKAGING_VERSIONS.includes(version as never)) {
    fail('packagingVersion', `one of ${PACKAGING_VERSIONS.join(', ')}`, version);
  }
  for (const field of ['name', 'version'] as const) {
    if (typeof pkg[field] !== 'string' || pkg[field] === '') fail(field, 'a non-empty string', pkg[field]);
  }
  for (const field of ['maintainer', 'description'] as const) {
    if (typeof pkg[field] !== 'string') fail(field, 'a string', pkg[field]);
  }
  if (!Array.isArray(pkg.tags) || !pkg.tags.every((tag) => typeof tag === 'string')) {
    fail('tags', 'an array of strings', pkg.tags);
  }
  if (pkg.releaseVersion === undefined) {
    if (version !== '2.0') fail('releaseVersion', 'an integer >= 0', undefined);
    pkg.releaseVersion = position;
  } else if (!Number.isSafeInteger(pkg.releaseVersion) || (pkg.releaseVersion as number) < 0) {
    fail('releaseVersion', 'an integer >= 0', pkg.releaseVersion);
  }
  for (const field of OPTIONAL_STRINGS) {
    if (field in pkg && typeof pkg[field] !== 'string') fail(field, 'a string', pkg[field]);
  }
  for (const field of OPTIONAL_BOOLEANS) {
    if (field in pkg && typeof pkg[field] !== 'boolean') fail(field, 'true or false', pkg[field]);
  }
  for (const field of OPTIONAL_OBJECTS) {
    if (field in pkg && !isRecord(pkg[field])) fail(field, 'an object', pkg[field]);
  }
  if ('licenses' in pkg) {
    const licenses = pkg.licenses;
    if (
      !Array.isArray(licenses) ||
      !licenses.every((license) => isRecord(license) && typeof license.name === 'string')
    ) {
      fail('licenses', 'an array of {name, url}', licenses);
    }
  }
  if ('marathon' in pkg) {
    const marathon = pkg.marathon;
    if (!isRecord(marathon)) return fail('marathon', 'an object', marathon);
    const template = marathon.v2AppMustacheTemplate;
    if (typeof template !== 'string' || !BASE64.test(template)) {
      fail('marathon.v2AppMustacheTemplate', 'base64 text', template);
    }
  }
  return pkg as UniversePackage;
}

function entryName(entry: unknown, index: number): string {
  if (isRecord(entry) && typeof entry.name === 'string') {
    const version = typeof entry.version === 'string' ? ` ${entry.version}` : '';
    return `package ${entry.name}${version} (entry ${index})`;
  }
  return `entry ${index}`;
}

/** The packages of a Universe index (`{"packages":[...]}`, repository formats v3 to v5). */
export function parseUniverse(data: unknown, origin: string): UniversePackage[] {
  if (!isRecord(data) || !Array.isArray(data.packages)) {
    throw invalidRepository(`${origin} is not a Universe repository: expected {"packages": [...]}`, {
      origin,
    });
  }
  return data.packages.map((entry, index) =>
    parsePackage(entry, `invalid Universe repository ${origin}: ${entryName(entry, index)}`, index),
  );
}

/** The package's Marathon template as text; undefined for a package without one (CLI only). */
export function decodeTemplate(pkg: UniversePackage): string | undefined {
  const template = pkg.marathon?.v2AppMustacheTemplate;
  return template === undefined ? undefined : Buffer.from(template, 'base64').toString('utf8');
}

// ---------------------------------------------------------------------------------------------------------
// Loading

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRepository(`${what} is not valid JSON: ${(error as Error).message}`, { origin: what });
  }
}

/** Where the `<Letter>/<name>/<release>` tree starts: `packages`, `repo/packages`, or the root itself. */
async function packagesRoot(tree: SourceTreeReader): Promise<string | undefined> {
  for (const candidate of ['packages', join('repo', 'packages')]) {
    if (await tree.isDirectory(candidate)) return candidate;
  }
  return basename(tree.root) === 'packages' ? '' : undefined;
}

async function readJsonObject(
  tree: SourceTreeReader,
  path: string,
): Promise<Record<string, unknown> | undefined> {
  const text = await tree.readText(path);
  if (text === undefined) return undefined;
  const shown = tree.shown(path);
  const value = parseJsonText(text, shown);
  if (!isRecord(value)) throw invalidRepository(`${shown} must hold a JSON object`, { origin: shown });
  return value;
}

/** One `<release>` directory (relative to the tree's root) as gen_universe.py builds its index entry. */
async function sourcePackage(tree: SourceTreeReader, dir: string, release: number): Promise<UniversePackage> {
  const metadata = await readJsonObject(tree, join(dir, 'package.json'));
  if (!metadata) {
    const packageFile = tree.shown(join(dir, 'package.json'));
    throw invalidRepository(`${packageFile} is missing: every package version needs one`, {
      origin: packageFile,
    });
  }
  // package.json files older than packaging 3.0 had no packagingVersion; Cosmos read those repositories as 2.0.
  const entry: Record<string, unknown> = { packagingVersion: '2.0', ...metadata, releaseVersion: release };
  const resource = await readJsonObject(tree, join(dir, 'resource.json'));
  if (resource) entry.resource = withAssetFileUrls(resource, tree.shown(dir));
  const template = await tree.readText(join(dir, 'marathon.json.mustache'));
  if (template !== undefined) {
    entry.marathon = { v2AppMustacheTemplate: Buffer.from(template, 'utf8').toString('base64') };
  }
  const config = await readJsonObject(tree, join(dir, 'config.json'));
  if (config) entry.config = config;
  const command = await readJsonObject(tree, join(dir, 'command.json'));
  if (command) entry.command = command;
  return parsePackage(entry, `invalid Universe package ${tree.shown(dir)}`, release);
}

/**
 * A source tree on disk may name its assets relative to the package version's directory
 * (`assets/server.mjs`); an installed app can only fetch them as `file:` URLs of those files.
 */
function withAssetFileUrls(resource: Record<string, unknown>, dir: string): Record<string, unknown> {
  const assets = resource.assets;
  if (!isRecord(assets) || !isRecord(assets.uris)) return resource;
  const uris = Object.fromEntries(
    Object.entries(assets.uris).map(([name, uri]) => [
      name,
      typeof uri === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(uri)
        ? pathToFileURL(isAbsolute(uri) ? uri : resolve(dir, uri)).href
        : uri,
    ]),
  );
  return { ...resource, assets: { ...assets, uris } };
}

async function loadSourceTree(tree: SourceTreeReader, root: string): Promise<UniversePackage[]> {
  const found: { name: string; release: number; dir: string }[] = [];
  for (const letter of await tree.subdirectories(root)) {
    for (const name of await tree.subdirectories(join(root, letter))) {
      for (const release of await tree.subdirectories(join(root, letter, name))) {
        const dir = join(root, letter, name, release);
        if (!/^\d+$/.test(release)) {
          throw invalidRepository(
            `${tree.shown(dir)}: package version directories must be named by their release number (0, 1, 2, ...)`,
            { origin: tree.shown(dir) },
          );
        }
        found.push({ name, release: Number(release), dir });
      }
    }
  }
  found.sort((a, b) => (a.name === b.name ? a.release - b.release : a.name < b.name ? -1 : 1));
  const packages: UniversePackage[] = [];
  for (const { dir, release } of found) packages.push(await sourcePackage(tree, dir, release));
  return packages;
}

function localPath(uri: string, cwd: string): string {
  if (!uri.toLowerCase().startsWith('file:')) return resolve(cwd, uri);
  try {
    return fileURLToPath(uri);
  } catch (error) {
    // A host other than localhost, an encoded `/`: a file: URL naming no file here.
    throw new DcosError(`unsupported repository URI ${uri}: ${(error as Error).message}`, {
      code: 'unsupported_repository_uri',
      details: { origin: uri },
    });
  }
}

/**
 * The packages of the repository at `uri`: an http(s) URL of an index (fetched through `deps.fetchText`, which
 * caps the download), or a local path / `file:` URL of an index file or of a Universe source directory, read
 * as repository-files.ts allows (regular files inside the repository, sizes capped).
 */
export async function loadUniverse(uri: string, deps: LoadUniverseDeps): Promise<UniversePackage[]> {
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_REPOSITORY_BYTES;
  if (/^https?:\/\//i.test(uri)) {
    const text = await deps.fetchText(uri, maxBytes);
    if (Buffer.byteLength(text, 'utf8') > maxBytes) throw repositoryTooLarge(uri, maxBytes);
    return parseUniverse(parseJsonText(text, `Universe repository ${uri}`), uri);
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(uri) && !/^file:/i.test(uri)) {
    throw new DcosError(
      `unsupported repository URI ${uri}: use an http(s) URL, a file: URL or a local path`,
      {
        code: 'unsupported_repository_uri',
        details: { origin: uri },
      },
    );
  }
  const path = localPath(uri, deps.cwd ?? process.cwd());
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if (!isMissing(error)) throw readFailure(path, error);
    throw new DcosError(`Universe repository ${path} does not exist`, {
      code: 'repository_not_found',
      details: { origin: uri, path },
    });
  }
  if (info.isDirectory()) {
    const tree = await SourceTreeReader.open(path, maxBytes);
    const root = await packagesRoot(tree);
    if (root === undefined) {
      throw invalidRepository(
        `${path} is not a Universe source directory: expected packages/<Letter>/<name>/<release>/package.json ` +
          'in it or in its repo/ directory',
        { origin: uri, path },
      );
    }
    return loadSourceTree(tree, root);
  }
  if (path.toLowerCase().endsWith('.zip')) {
    throw invalidRepository(
      `${path}: zip repositories (DC/OS 1.7 and older) are not supported; use the JSON index or the source directory`,
      { origin: uri, path },
    );
  }
  const text = await readIndexFile(path, maxBytes);
  return parseUniverse(parseJsonText(text, `Universe repository ${path}`), path);
}

// ---------------------------------------------------------------------------------------------------------
// Selecting

/** An entry's release number; a 2.0 entry that never had one counts by its position, as when it was parsed. */
export function releaseOf(pkg: UniversePackage, position: number): number {
  return pkg.releaseVersion ?? position;
}

/** One package version of the merged repositories, with where it came from. */
export interface PackageCandidate {
  package: UniversePackage;
  repository: Repository;
  repoIndex: number;
  release: number;
}

/**
 * Cosmos's merge: for each name+version the entry of the lowest repository index (then the highest release),
 * ordered by name, repository index, then release from the highest.
 */
export function mergeRepositories(repos: readonly RepoPackages[]): PackageCandidate[] {
  const byCoordinate = new Map<string, PackageCandidate>();
  repos.forEach(({ repository, packages }, repoIndex) => {
    packages.forEach((pkg, position) => {
      const candidate = { package: pkg, repository, repoIndex, release: releaseOf(pkg, position) };
      const key = `${pkg.name}\0${pkg.version}`;
      const held = byCoordinate.get(key);
      if (!held || isBefore(candidate, held)) byCoordinate.set(key, candidate);
    });
  });
  return [...byCoordinate.values()].sort((a, b) => (isBefore(a, b) ? -1 : isBefore(b, a) ? 1 : 0));
}

function isBefore(a: PackageCandidate, b: PackageCandidate): boolean {
  if (a.package.name !== b.package.name) return a.package.name < b.package.name;
  if (a.repoIndex !== b.repoIndex) return a.repoIndex < b.repoIndex;
  return a.release > b.release;
}

function closeNames(repos: readonly RepoPackages[], name: string): string[] {
  const names = new Set(repos.flatMap(({ packages }) => packages.map((pkg) => pkg.name)));
  const limit = Math.max(1, Math.floor(name.length / 3));
  return [...names]
    .map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, distance }) => distance <= limit || candidate.includes(name.toLowerCase()))
    .sort((a, b) => a.distance - b.distance || (a.candidate < b.candidate ? -1 : 1))
    .slice(0, 5)
    .map(({ candidate }) => candidate);
}

function packageNotFound(repos: readonly RepoPackages[], name: string): CosmosError {
  const suggestions = closeNames(repos, name);
  const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(', ')}?)` : '';
  return new CosmosError('PackageNotFound', `Package [${name}] not found${hint}`, {
    packageName: name,
    ...(suggestions.length > 0 ? { suggestions } : {}),
  });
}

/**
 * The package `dcos package describe|install` means: the highest release of `name` in the first repository
 * that has it, or the first repository's entry for `version`. The returned package always has releaseVersion.
 */
export function selectPackage(
  repos: readonly RepoPackages[],
  name: string,
  version?: string,
): { package: UniversePackage; repository: Repository } {
  const named = mergeRepositories(repos).filter((candidate) => candidate.package.name === name);
  if (named.length === 0) throw packageNotFound(repos, name);
  const chosen = version === undefined ? named[0] : named.find((c) => c.package.version === version);
  if (!chosen) {
    throw new CosmosError('VersionNotFound', `Version [${version}] of package [${name}] not found`, {
      packageName: name,
      packageVersion: version,
    });
  }
  return { package: { ...chosen.package, releaseVersion: chosen.release }, repository: chosen.repository };
}

/** version -> releaseVersion (as a string, like Cosmos's list-versions) of every version of `name`. */
export function packageVersions(repos: readonly RepoPackages[], name: string): Record<string, string> {
  const named = mergeRepositories(repos).filter((candidate) => candidate.package.name === name);
  if (named.length === 0) throw packageNotFound(repos, name);
  return Object.fromEntries(named.map((candidate) => [candidate.package.version, String(candidate.release)]));
}
