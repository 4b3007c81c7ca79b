/**
 * The `DCOS_PACKAGE_*` labels that tie a Marathon app to the package it was installed from. Cosmos writes them
 * on install and reads them back for `package list` and `uninstall`; the client-side manager does the same, so
 * apps installed by either are listed by both.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

import { isRecord } from '../json.js';
import type { InstalledPackage, UniversePackage } from './types.js';

export const PACKAGE_NAME_LABEL = 'DCOS_PACKAGE_NAME';
export const PACKAGE_VERSION_LABEL = 'DCOS_PACKAGE_VERSION';
export const PACKAGE_RELEASE_LABEL = 'DCOS_PACKAGE_RELEASE';
export const PACKAGE_SOURCE_LABEL = 'DCOS_PACKAGE_SOURCE';
export const PACKAGE_OPTIONS_LABEL = 'DCOS_PACKAGE_OPTIONS';
export const PACKAGE_DEFINITION_LABEL = 'DCOS_PACKAGE_DEFINITION';
export const PACKAGE_METADATA_LABEL = 'DCOS_PACKAGE_METADATA';
export const PACKAGE_IS_FRAMEWORK_LABEL = 'DCOS_PACKAGE_IS_FRAMEWORK';
export const PACKAGE_FRAMEWORK_NAME_LABEL = 'DCOS_PACKAGE_FRAMEWORK_NAME';

/** Parts of a package definition that are not its package.json-level metadata. */
const CONTENT_FIELDS = ['marathon', 'config', 'resource', 'command'];
/** A decoded label is never allowed to grow past this (a gzip bomb in a label would otherwise be unbounded). */
const MAX_DECODED_BYTES = 16 * 1024 * 1024;

/** Cosmos's label encoding: JSON without null-valued keys, in base64. */
export function encodeLabelJson(value: unknown): string {
  const json = JSON.stringify(value, (_key, field: unknown) => (field === null ? undefined : field));
  return Buffer.from(json, 'utf8').toString('base64');
}

/** The universe media-type version a package definition is stored under: v3 (packaging 2.0/3.0), v4, v5. */
export function universeMediaVersion(pkg: Pick<UniversePackage, 'packagingVersion'>): number {
  switch (pkg.packagingVersion) {
    case '4.0':
      return 4;
    case '5.0':
      return 5;
    default:
      return 3;
  }
}

/** `DCOS_PACKAGE_DEFINITION`: the whole package in Cosmos's storage envelope (gzipped JSON inside JSON). */
export function encodePackageDefinition(pkg: UniversePackage): string {
  const packageJson = JSON.stringify(pkg, (_key, field: unknown) => (field === null ? undefined : field));
  return encodeLabelJson({
    metadata: {
      'Content-Type': `application/vnd.dcos.universe.package+json;charset=utf-8;version=v${universeMediaVersion(pkg)}`,
      'Content-Encoding': 'gzip',
    },
    data: gzipSync(Buffer.from(packageJson, 'utf8')).toString('base64'),
  });
}

/**
 * The package.json-level fields of a package (what `package list` shows), plus its images as Cosmos's
 * `DCOS_PACKAGE_METADATA` carries them.
 */
export function packageMetadata(pkg: UniversePackage): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pkg)) {
    if (!CONTENT_FIELDS.includes(key) && value !== null && value !== undefined) metadata[key] = value;
  }
  if (isRecord(pkg.resource) && isRecord(pkg.resource.images)) metadata.images = pkg.resource.images;
  return metadata;
}

// ---------------------------------------------------------------------------------------------------------
// Reading labels back. Labels are whatever is on the app (older CLIs, hand edits): nothing here throws.

function labelsOf(app: unknown): Record<string, unknown> {
  return isRecord(app) && isRecord(app.labels) ? app.labels : {};
}

function stringLabel(labels: Record<string, unknown>, name: string): string | undefined {
  const value = labels[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** JSON parsed with null-valued keys dropped: Cosmos writes them for absent fields (`"scm": null`). */
function parseWithoutNulls(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown) {
    return value === null && !Array.isArray(this) ? undefined : value;
  });
}

function decodeBase64Json(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return parseWithoutNulls(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The package definition stored on an app by an install (`DCOS_PACKAGE_DEFINITION`), when it can be read. */
export function packageDefinitionOf(app: unknown): UniversePackage | undefined {
  const envelope = decodeBase64Json(stringLabel(labelsOf(app), PACKAGE_DEFINITION_LABEL));
  if (!isRecord(envelope) || typeof envelope.data !== 'string') return undefined;
  const metadata = isRecord(envelope.metadata) ? envelope.metadata : {};
  try {
    let bytes = Buffer.from(envelope.data, 'base64');
    if (String(metadata['Content-Encoding'] ?? '').toLowerCase() === 'gzip') {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_DECODED_BYTES });
    }
    const definition = parseWithoutNulls(bytes.toString('utf8'));
    return isRecord(definition) && typeof definition.name === 'string'
      ? (definition as UniversePackage)
      : undefined;
  } catch {
    return undefined;
  }
}

function withoutImages(metadata: Record<string, unknown>): Record<string, unknown> {
  const { images: _images, ...rest } = metadata;
  return rest;
}

/**
 * The `package list` entry for a Marathon app, or undefined when the app did not come from a package. Reads the
 * stored definition, else the metadata label, else just the name and version labels; fields none of them
 * carry get neutral values (empty description and tags, packaging 2.0).
 */
export function installedPackageFromApp(app: unknown): InstalledPackage | undefined {
  const labels = labelsOf(app);
  const name = stringLabel(labels, PACKAGE_NAME_LABEL);
  if (!name || !isRecord(app)) return undefined;

  let known: Record<string, unknown> = {};
  let resourceDefinition: Record<string, unknown> | undefined;
  const definition = packageDefinitionOf(app);
  if (definition) {
    known = withoutImages(packageMetadata(definition));
    if (isRecord(definition.resource)) resourceDefinition = definition.resource;
  } else {
    const metadata = decodeBase64Json(stringLabel(labels, PACKAGE_METADATA_LABEL));
    if (isRecord(metadata)) {
      known = withoutImages(packageMetadata(metadata as UniversePackage));
      if (isRecord(metadata.images)) resourceDefinition = { images: metadata.images };
    }
  }

  const release = Number(stringLabel(labels, PACKAGE_RELEASE_LABEL));
  const packageDefinition = {
    packagingVersion: '2.0' as const,
    maintainer: '',
    description: '',
    tags: [] as string[],
    ...(Number.isSafeInteger(release) && release >= 0 ? { releaseVersion: release } : {}),
    ...known,
    name,
    version:
      stringLabel(labels, PACKAGE_VERSION_LABEL) ?? (typeof known.version === 'string' ? known.version : ''),
  } as InstalledPackage['packageInformation']['packageDefinition'];

  return {
    appId: typeof app.id === 'string' ? app.id : '',
    packageInformation: { packageDefinition, ...(resourceDefinition ? { resourceDefinition } : {}) },
  };
}
