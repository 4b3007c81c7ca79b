import { DcosError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { headerValue } from '../http/client.js';
import { HttpError, NetworkError } from '../http/errors.js';
import { isRecord } from '../json.js';
import { CosmosError, invalidOptionsError } from './errors.js';
import {
  CAPABILITIES_TYPE,
  type CosmosRpc,
  parseMediaType,
  requestType,
  RESPONSE_VERSIONS,
  responseType,
} from './media-types.js';
import type {
  InstalledPackage,
  InstallRequest,
  InstallResponse,
  OptionProblem,
  PackageManager,
  Repository,
  SearchResult,
  UninstallRequest,
  UninstallResult,
  UniversePackage,
} from './types.js';

/** A decoded RPC response body and the response version the server chose. */
interface RpcReply {
  body: Record<string, unknown>;
  version: number;
}

/**
 * `dcos package` against a cluster's Cosmos (`apis.md` §6): every RPC is a POST carrying Cosmos's versioned media
 * types, the response type is checked before the body is trusted, and Cosmos's `{type, message, data}` errors
 * become CosmosErrors (options that fail the package's schema become a usage error listing every field).
 */
export class CosmosPackageManager implements PackageManager {
  readonly kind = 'cosmos' as const;
  private readonly root: string;

  constructor(
    private readonly http: HttpClient,
    baseUrl: string,
  ) {
    this.root = baseUrl.replace(/\/+$/, '');
  }

  async search(query?: string): Promise<SearchResult[]> {
    const { body } = await this.call('search', { query });
    return arrayField<SearchResult>(body, 'packages', 'search');
  }

  async describe(packageName: string, packageVersion?: string): Promise<UniversePackage> {
    const { body, version } = await this.call('describe', { packageName, packageVersion }, packageName);
    // v2 is the package definition itself, flat at the top level; v3 wraps it in `package`.
    const definition = version >= 3 ? body.package : body;
    if (
      !isRecord(definition) ||
      typeof definition.name !== 'string' ||
      typeof definition.version !== 'string'
    ) {
      throw invalidResponse('describe', 'it carries no package definition (name and version)');
    }
    return definition as UniversePackage;
  }

  async listVersions(packageName: string): Promise<Record<string, string>> {
    const { body } = await this.call(
      'list-versions',
      { packageName, includePackageVersions: true },
      packageName,
    );
    if (!isRecord(body.results)) throw invalidResponse('list-versions', '`results` is not an object');
    return Object.fromEntries(
      Object.entries(body.results).map(([version, release]) => [version, String(release)]),
    );
  }

  async render(request: InstallRequest): Promise<Record<string, unknown>> {
    const { body } = await this.call('render', installBody(request), request.packageName);
    if (!isRecord(body.marathonJson)) throw invalidResponse('render', '`marathonJson` is not an object');
    return body.marathonJson;
  }

  async install(request: InstallRequest): Promise<InstallResponse> {
    const { body, version } = await this.call('install', installBody(request), request.packageName);
    if (typeof body.packageName !== 'string' || typeof body.packageVersion !== 'string') {
      throw invalidResponse('install', 'it lacks packageName or packageVersion');
    }
    const installed: InstallResponse = { packageName: body.packageName, packageVersion: body.packageVersion };
    // v1 is `{packageName, packageVersion, appId}`; only v2 adds notes and the CLI binaries.
    if (typeof body.appId === 'string') installed.appId = body.appId;
    if (version >= 2 && typeof body.postInstallNotes === 'string')
      installed.postInstallNotes = body.postInstallNotes;
    if (version >= 2 && isRecord(body.cli)) installed.cli = body.cli;
    return installed;
  }

  async list(filter: { packageName?: string; appId?: string } = {}): Promise<InstalledPackage[]> {
    const { body } = await this.call(
      'list',
      { packageName: filter.packageName, appId: filter.appId },
      filter.packageName,
    );
    return arrayField<InstalledPackage>(body, 'packages', 'list');
  }

  async uninstall(request: UninstallRequest): Promise<UninstallResult[]> {
    const { body } = await this.call(
      'uninstall',
      { packageName: request.packageName, appId: request.appId, all: request.all },
      request.packageName,
    );
    return arrayField<UninstallResult>(body, 'results', 'uninstall');
  }

  async repositories(): Promise<Repository[]> {
    const { body } = await this.call('repository.list', {});
    return arrayField<Repository>(body, 'repositories', 'repository.list');
  }

  async addRepository(repository: Repository, index?: number): Promise<Repository[]> {
    const { body } = await this.call('repository.add', { name: repository.name, uri: repository.uri, index });
    return arrayField<Repository>(body, 'repositories', 'repository.add');
  }

  async removeRepository(name: string): Promise<Repository[]> {
    const { body } = await this.call('repository.delete', { name });
    return arrayField<Repository>(body, 'repositories', 'repository.delete');
  }

  /**
   * `packageName` names the package in an options error (Cosmos's JsonSchemaMismatch does not). Fields left
   * undefined are dropped by JSON.stringify, so optional ones never reach Cosmos as nulls.
   */
  private async call(rpc: CosmosRpc, json: Record<string, unknown>, packageName?: string): Promise<RpcReply> {
    const accepted = RESPONSE_VERSIONS[rpc].map((version) => responseType(rpc, version));
    let response;
    try {
      response = await this.http.request<unknown>('POST', `${this.root}/package/${rpc.replace('.', '/')}`, {
        json,
        // Cosmos picks the first type it can encode, so the order is our preference.
        headers: { 'content-type': requestType(rpc), accept: accepted.join(',') },
        service: 'Cosmos',
      });
    } catch (error) {
      throw translateFailure(error, packageName);
    }
    const contentType = headerValue(response.headers['content-type']);
    const media = parseMediaType(contentType);
    if (media?.kind === 'package.error' && isCosmosErrorBody(response.data)) {
      throw cosmosFailure(response.data, response.status, packageName);
    }
    const version = media?.version;
    if (
      media?.kind !== `package.${rpc}-response` ||
      version === undefined ||
      !RESPONSE_VERSIONS[rpc].includes(version)
    ) {
      throw new DcosError(
        `Server returned incorrect response type, expected ${accepted.join(' or ')} but got ${contentType ?? 'no Content-Type'}`,
        { code: 'invalid_response', details: { expected: accepted, actual: contentType ?? null } },
      );
    }
    if (!isRecord(response.data)) throw invalidResponse(rpc, 'the body is not a JSON object');
    return { body: response.data, version };
  }
}

/**
 * Whether `baseUrl` runs Cosmos with package management: false where nothing answers (refused) or the server does
 * not know `/capabilities` (plain Marathon answers 404). Authentication and other failures are the caller's to show.
 */
export async function cosmosAvailable(http: HttpClient, baseUrl: string): Promise<boolean> {
  let response;
  try {
    response = await http.request<unknown>('GET', `${baseUrl.replace(/\/+$/, '')}/capabilities`, {
      headers: { accept: CAPABILITIES_TYPE },
      acceptStatus: (status) => status === 404 || (status >= 200 && status < 300),
      // A probe: a page that is not a capability list means "no Cosmos here", not an error.
      expect: 'any',
    });
  } catch (error) {
    if (error instanceof NetworkError && error.kind === 'refused') return false;
    throw error;
  }
  if (response.status === 404 || !isRecord(response.data) || !Array.isArray(response.data.capabilities)) {
    return false;
  }
  return response.data.capabilities.some(
    (capability) => isRecord(capability) && capability.name === 'PACKAGE_MANAGEMENT',
  );
}

/**
 * The problems in a JsonSchemaMismatch's `data.errors` (json-schema-validator reports: `instance.pointer`,
 * `keyword`, `message` and keyword-specific fields), one per offending field: a `required` or
 * `additionalProperties` report naming several properties yields one problem for each.
 */
export function schemaProblems(errors: unknown): OptionProblem[] {
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry): OptionProblem[] => {
    if (!isRecord(entry)) return [{ path: '/', message: String(entry) }];
    const pointer =
      isRecord(entry.instance) && typeof entry.instance.pointer === 'string' ? entry.instance.pointer : '';
    const path = pointer === '' ? '/' : pointer;
    const names = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
    const missing = names(entry.missing);
    if (entry.keyword === 'required' && missing.length > 0) {
      return missing.map((name) => ({ path: childPointer(pointer, name), message: 'required but missing' }));
    }
    const unwanted = names(entry.unwanted);
    if (unwanted.length > 0) {
      return unwanted.map((name) => ({
        path: childPointer(pointer, name),
        message: "not allowed: the package's options schema has no such property",
      }));
    }
    return [{ path, message: schemaReason(entry) }];
  });
}

function schemaReason(entry: Record<string, unknown>): string {
  const shown = (value: unknown) => JSON.stringify(value);
  const serverText = typeof entry.message === 'string' && entry.message !== '' ? entry.message : undefined;
  switch (entry.keyword) {
    case 'type':
      if (Array.isArray(entry.expected) && entry.found !== undefined) {
        return `expected ${entry.expected.map(String).join(' or ')}, found ${String(entry.found)}`;
      }
      break;
    case 'minimum':
    case 'maximum': {
      const limit = entry[entry.keyword];
      if (limit !== undefined && entry.found !== undefined) {
        const exclusive = entry.exclusiveMinimum === true || entry.exclusiveMaximum === true;
        const bound =
          entry.keyword === 'minimum'
            ? exclusive
              ? 'greater than'
              : 'at least'
            : exclusive
              ? 'less than'
              : 'at most';
        return `must be ${bound} ${shown(limit)}, found ${shown(entry.found)}`;
      }
      break;
    }
    case 'minLength':
    case 'maxLength': {
      const limit = entry[entry.keyword];
      if (limit !== undefined && entry.found !== undefined) {
        const bound = entry.keyword === 'minLength' ? 'at least' : 'at most';
        return `must be ${bound} ${shown(limit)} characters long, found ${shown(entry.found)}`;
      }
      break;
    }
    case 'enum':
      if (Array.isArray(entry.enum)) {
        const found = entry.value === undefined ? '' : `, found ${shown(entry.value)}`;
        return `must be one of ${entry.enum.map(shown).join(', ')}${found}`;
      }
      break;
    case 'pattern':
      if (typeof entry.regex === 'string') return `must match the pattern ${shown(entry.regex)}`;
      break;
  }
  return serverText ?? 'does not match the options schema';
}

function childPointer(pointer: string, name: string): string {
  return `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Marathon's field errors inside a MarathonBadResponse: `{path, errors[]}` (older Marathon: `{attribute, error}`). */
function marathonFieldErrors(data: unknown): string[] {
  if (!isRecord(data) || !Array.isArray(data.errors)) return [];
  return data.errors.filter(isRecord).map((detail) => {
    const where =
      typeof detail.path === 'string' && detail.path !== ''
        ? detail.path
        : typeof detail.attribute === 'string' && detail.attribute !== ''
          ? detail.attribute
          : '/';
    const reasons = Array.isArray(detail.errors)
      ? detail.errors.map(String)
      : typeof detail.error === 'string'
        ? [detail.error]
        : [];
    return `${where}: ${reasons.join(', ') || 'invalid'}`;
  });
}

function isCosmosErrorBody(body: unknown): body is { type: string; message: string; data?: unknown } {
  return isRecord(body) && typeof body.type === 'string' && typeof body.message === 'string';
}

function cosmosFailure(
  body: { type: string; message: string; data?: unknown },
  status: number,
  packageName: string | undefined,
): DcosError {
  const { type, message, data } = body;
  if (type === 'JsonSchemaMismatch') {
    const problems = schemaProblems(isRecord(data) ? data.errors : undefined);
    return invalidOptionsError(
      packageName ?? 'the package',
      problems.length > 0 ? problems : [{ path: '/', message }],
    );
  }
  if (type === 'MarathonBadResponse') {
    const fields = marathonFieldErrors(data);
    return new CosmosError(
      type,
      fields.length > 0 ? `${message}: ${fields.join('; ')}` : message,
      data,
      status,
    );
  }
  return new CosmosError(type, message, data, status);
}

/** Cosmos's own errors become CosmosErrors; credentials, permissions and transport failures stay as they are. */
function translateFailure(error: unknown, packageName: string | undefined): unknown {
  if (!(error instanceof HttpError) || error.status === 401 || error.status === 403) return error;
  return isCosmosErrorBody(error.body) ? cosmosFailure(error.body, error.status, packageName) : error;
}

function invalidResponse(rpc: CosmosRpc, reason: string): DcosError {
  return new DcosError(`Cosmos returned an unusable /package/${rpc.replace('.', '/')} response: ${reason}`, {
    code: 'invalid_response',
  });
}

function arrayField<T>(body: Record<string, unknown>, key: string, rpc: CosmosRpc): T[] {
  const value = body[key];
  if (!Array.isArray(value)) throw invalidResponse(rpc, `\`${key}\` is not a list`);
  return value as T[];
}

function installBody(request: InstallRequest): Record<string, unknown> {
  return {
    packageName: request.packageName,
    packageVersion: request.packageVersion,
    options: request.options,
    appId: request.appId,
  };
}
