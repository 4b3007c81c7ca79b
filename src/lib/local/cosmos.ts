/**
 * Cosmos's HTTP API for `dcos local` (`apis.md` §6), mounted where DC/OS Admin Router puts it: `GET /capabilities`
 * and `POST /package/<rpc>`. The work is done by a {@link PackageManager}; this layer is Cosmos's transport:
 * - the request `Content-Type` must be the RPC's request media type (else 415 `UnsupportedContentType`);
 * - the response version is the first one `Accept` lists that the RPC can encode (describe v3 or v2, install v2
 *   or v1; a missing Accept or a wildcard gets the newest), echoed in the response `Content-Type`; an Accept that
 *   names none is 400 `not_valid` as in Cosmos;
 * - failures are `{type, message, data?}` as `application/vnd.dcos.package.error+json;charset=utf-8;version=v1`,
 *   400 unless the error says otherwise (409 for PackageAlreadyInstalled); options that break the package's
 *   schema are `JsonSchemaMismatch` with one `data.errors[]` entry per field (`instance.pointer`, `message`).
 */
import { DcosError } from '../errors.js';
import { fieldErrors, HttpError, NetworkError, serverMessage } from '../http/errors.js';
import { isRecord } from '../json.js';
import { CosmosError, REPOSITORY_FAILURES } from '../packages/errors.js';
import {
  CAPABILITIES_TYPE,
  ERROR_TYPE,
  RESPONSE_VERSIONS,
  parseMediaType,
  requestType,
  responseType,
  type CosmosRpc,
} from '../packages/media-types.js';
import type {
  InstallRequest,
  InstallResponse,
  OptionProblem,
  PackageManager,
  UniversePackage,
} from '../packages/types.js';
import { BodyTooLargeError, type Handler, type RouteContext } from './router.js';

/**
 * What `/capabilities` lists by default. Not LOGGING/LOGGING_V2: `dcos task log` switches to the logging API v2's
 * task routes when it sees LOGGING_V2, and `dcos local` serves only the component logs of that API, so listing it
 * would break task logs here. Add them through `capabilities` once `/system/v1/logs/v2/task` exists.
 */
export const LOCAL_CAPABILITIES: readonly string[] = ['PACKAGE_MANAGEMENT'];

export interface CosmosRoutesOptions {
  capabilities?: readonly string[];
}

/** The manager, or a factory called for every request (so each request sees the repositories as they are now). */
export type ManagerSource = PackageManager | (() => PackageManager | Promise<PackageManager>);

/**
 * Answers one RPC whose transport checks passed: the response body, or a failure ({@link asReply} turns any
 * error into Cosmos's). The daemon answers in a worker thread (package-calls.ts); {@link answerWith} in-process.
 */
export type CosmosAnswer = (
  rpc: CosmosRpc,
  version: number,
  body: Record<string, unknown>,
) => Promise<unknown>;

/** Answers with a manager in this thread. */
export function answerWith(source: ManagerSource): CosmosAnswer {
  return async (rpc, version, body) =>
    answer(rpc, version, body, typeof source === 'function' ? await source() : source);
}

/** A Cosmos failure on the wire. */
export class CosmosReply extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'CosmosReply';
  }
}

const RPCS: Readonly<Record<string, CosmosRpc>> = {
  '/search': 'search',
  '/describe': 'describe',
  '/list-versions': 'list-versions',
  '/render': 'render',
  '/install': 'install',
  '/list': 'list',
  '/uninstall': 'uninstall',
  '/repository/list': 'repository.list',
  '/repository/add': 'repository.add',
  '/repository/delete': 'repository.delete',
};

/** The fields Cosmos's describe v2 response has: the package definition flat, without releaseVersion. */
const DESCRIBE_V2_FIELDS = [
  'packagingVersion',
  'name',
  'version',
  'maintainer',
  'description',
  'tags',
  'selected',
  'scm',
  'website',
  'framework',
  'preInstallNotes',
  'postInstallNotes',
  'postUninstallNotes',
  'licenses',
  'minDcosReleaseVersion',
  'marathon',
  'resource',
  'config',
  'command',
] as const;

/** `/capabilities` and `/package/*` handlers; mount them at those prefixes. */
export function cosmosRoutes(
  answerRpc: CosmosAnswer,
  options: CosmosRoutesOptions = {},
): { capabilities: Handler; package: Handler } {
  const capabilities = options.capabilities ?? LOCAL_CAPABILITIES;

  return {
    capabilities: (context) => {
      if (context.path !== '/') return sendError(context, notFound(`/capabilities${context.path}`));
      if (context.method !== 'GET') return sendError(context, methodNotAllowed('GET'), { allow: 'GET' });
      send(context, 200, CAPABILITIES_TYPE, { capabilities: capabilities.map((name) => ({ name })) });
    },
    package: async (context) => {
      try {
        const rpc = RPCS[context.path.replace(/\/+$/, '')];
        if (!rpc) throw notFound(`/package${context.path}`);
        if (context.method !== 'POST') throw methodNotAllowed('POST');
        checkContentType(rpc, header(context, 'content-type'));
        const version = responseVersion(rpc, header(context, 'accept'));
        const body = await readBody(context);
        const reply = await answerRpc(rpc, version, body);
        send(context, 200, responseType(rpc, version), reply);
      } catch (error) {
        sendError(
          context,
          asReply(error),
          error instanceof CosmosReply && error.status === 405 ? { allow: 'POST' } : {},
        );
      }
    },
  };
}

async function answer(
  rpc: CosmosRpc,
  version: number,
  body: Record<string, unknown>,
  manager: PackageManager,
): Promise<unknown> {
  switch (rpc) {
    case 'search': {
      const query = optionalString(body, 'query');
      return { packages: await manager.search(query === '' ? undefined : query) };
    }
    case 'describe': {
      const pkg = await manager.describe(
        requiredString(body, 'packageName'),
        optionalString(body, 'packageVersion'),
      );
      return version >= 3 ? { package: pkg } : describeV2(pkg);
    }
    case 'list-versions': {
      optionalBoolean(body, 'includePackageVersions');
      return { results: await manager.listVersions(requiredString(body, 'packageName')) };
    }
    case 'render':
      return { marathonJson: await manager.render(installRequest(body)) };
    case 'install':
      return installReply(await manager.install(installRequest(body)), version);
    case 'list': {
      const packageName = optionalString(body, 'packageName');
      const appId = optionalString(body, 'appId');
      return {
        packages: await manager.list({
          ...(packageName !== undefined ? { packageName } : {}),
          ...(appId !== undefined ? { appId } : {}),
        }),
      };
    }
    case 'uninstall': {
      const appId = optionalString(body, 'appId');
      const all = optionalBoolean(body, 'all');
      optionalString(body, 'packageVersion');
      const results = await manager.uninstall({
        packageName: requiredString(body, 'packageName'),
        ...(appId !== undefined ? { appId } : {}),
        ...(all !== undefined ? { all } : {}),
      });
      return { results };
    }
    case 'repository.list':
      return { repositories: await manager.repositories() };
    case 'repository.add': {
      const index = body.index;
      if (index !== undefined && index !== null && (!Number.isSafeInteger(index) || (index as number) < 0)) {
        throw notValid('index', 'must be an integer of 0 or more');
      }
      const repository = { name: requiredString(body, 'name'), uri: requiredString(body, 'uri') };
      return {
        repositories: await manager.addRepository(repository, typeof index === 'number' ? index : undefined),
      };
    }
    case 'repository.delete': {
      const name = optionalString(body, 'name');
      const uri = optionalString(body, 'uri');
      if (name === undefined && uri === undefined) throw notValid('name', 'name or uri is required');
      return { repositories: await manager.removeRepository(name ?? (await repositoryNamed(manager, uri!))) };
    }
  }
}

/** Cosmos deletes by name or by URI; the manager by name. */
async function repositoryNamed(manager: PackageManager, uri: string): Promise<string> {
  const found = (await manager.repositories()).find((repository) => repository.uri === uri);
  if (!found) {
    throw new CosmosReply(400, 'RepositoryNotPresent', `Repository URI [${uri}] is not present in the list`, {
      uri,
    });
  }
  return found.name;
}

function describeV2(pkg: UniversePackage): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const field of DESCRIBE_V2_FIELDS) if (pkg[field] !== undefined) flat[field] = pkg[field];
  return flat;
}

function installReply(installed: InstallResponse, version: number): Record<string, unknown> {
  const { packageName, packageVersion, appId } = installed;
  if (version === 1) return { packageName, packageVersion, ...(appId !== undefined ? { appId } : {}) };
  return {
    packageName,
    packageVersion,
    ...(appId !== undefined ? { appId } : {}),
    ...(installed.postInstallNotes !== undefined ? { postInstallNotes: installed.postInstallNotes } : {}),
    ...(installed.cli !== undefined ? { cli: installed.cli } : {}),
  };
}

function installRequest(body: Record<string, unknown>): InstallRequest {
  const packageVersion = optionalString(body, 'packageVersion');
  const appId = optionalString(body, 'appId');
  const options = body.options;
  if (options !== undefined && options !== null && !isRecord(options)) {
    throw notValid('options', 'must be a JSON object');
  }
  return {
    packageName: requiredString(body, 'packageName'),
    ...(packageVersion !== undefined ? { packageVersion } : {}),
    ...(isRecord(options) ? { options } : {}),
    ...(appId !== undefined && appId !== '' ? { appId } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Transport

function header(context: RouteContext, name: string): string | undefined {
  const value = context.request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function checkContentType(rpc: CosmosRpc, contentType: string | undefined): void {
  const expected = requestType(rpc);
  const media = parseMediaType(contentType);
  if (media?.kind === `package.${rpc}-request` && media.version === 1) return;
  throw new CosmosReply(
    415,
    'UnsupportedContentType',
    contentType
      ? `Unsupported Content-Type: ${contentType} Accept: [${expected}]`
      : `Unspecified Content-Type Accept: [${expected}]`,
    { supported: [expected], ...(contentType ? { actual: contentType } : {}) },
  );
}

/**
 * The first entry of `Accept` (in the client's order) this RPC can answer: its response type with a version
 * it encodes (no version = the newest), or a wildcard / plain JSON, which gets the newest.
 */
export function responseVersion(rpc: CosmosRpc, accept: string | undefined): number {
  const versions = RESPONSE_VERSIONS[rpc];
  const newest = versions[0]!;
  if (accept === undefined || accept.trim() === '') return newest;
  const entries = accept
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const bare = entry.split(';')[0]!.trim().toLowerCase();
    if (bare === '*/*' || bare === 'application/*' || bare === 'application/json') return newest;
    const media = parseMediaType(entry);
    if (media?.kind !== `package.${rpc}-response`) continue;
    if (media.version === undefined) return newest;
    if (versions.includes(media.version)) return media.version;
  }
  const available = versions.map((version) => responseType(rpc, version));
  throw new CosmosReply(
    400,
    'not_valid',
    `Item header 'Accept' deemed invalid by rule: should match one of: ${available.join(', ')}`,
    { invalidItem: { type: 'header', name: 'Accept' }, specified: entries, available },
  );
}

async function readBody(context: RouteContext): Promise<Record<string, unknown>> {
  const text = (await context.body()).toString('utf8');
  // Cosmos clients send `{}` for RPCs without fields; an empty body means the same.
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CosmosReply(400, 'not_parsed', `Request body is not valid JSON: ${(error as Error).message}`, {
      invalidItem: { type: 'body', name: 'body' },
    });
  }
  if (!isRecord(parsed)) {
    throw new CosmosReply(400, 'not_parsed', 'Request body must be a JSON object', {
      invalidItem: { type: 'body', name: 'body' },
    });
  }
  return parsed;
}

function notValid(field: string, reason: string): CosmosReply {
  return new CosmosReply(400, 'not_valid', `Request body field '${field}' ${reason}`, {
    invalidItem: { type: 'body', name: field },
  });
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw notValid(field, 'is required and must be a string');
  return value;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw notValid(field, 'must be a string');
  return value;
}

function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw notValid(field, 'must be true or false');
  return value;
}

function notFound(path: string): CosmosReply {
  return new CosmosReply(404, 'NotFound', `No Cosmos endpoint at ${path}`);
}

function methodNotAllowed(allowed: string): CosmosReply {
  return new CosmosReply(405, 'MethodNotAllowed', `Only ${allowed} is supported here`);
}

// ---------------------------------------------------------------------------------------------------------
// Errors

/**
 * Any failure as Cosmos would report it. The manager's CosmosErrors keep their type and data (their message
 * without the CLI's hint); invalid options become JsonSchemaMismatch; Marathon's refusals become Cosmos's
 * Marathon errors with Marathon's body as data.
 */
export function asReply(error: unknown): CosmosReply {
  if (error instanceof CosmosReply) return error;
  if (error instanceof BodyTooLargeError) {
    return new CosmosReply(413, 'RequestTooLarge', 'Request body is too large');
  }
  if (error instanceof CosmosError) {
    const details = isRecord(error.details) ? error.details : {};
    const message = typeof details.message === 'string' ? details.message : error.message;
    const status =
      typeof details.status === 'number'
        ? details.status
        : error.type === 'PackageAlreadyInstalled'
          ? 409
          : 400;
    return new CosmosReply(status, error.type, message, error.data);
  }
  if (error instanceof DcosError && error.code === 'invalid_options') {
    const problems =
      isRecord(error.details) && Array.isArray(error.details.errors) ? error.details.errors : [];
    return new CosmosReply(400, 'JsonSchemaMismatch', 'Options JSON failed validation', {
      errors: (problems as OptionProblem[]).map(schemaError),
    });
  }
  if (error instanceof DcosError && REPOSITORY_FAILURES.has(error.code)) {
    const reply = repositoryReply(error);
    if (reply) return reply;
  }
  if (error instanceof HttpError) return marathonFailure(error);
  if (error instanceof NetworkError) {
    return new CosmosReply(502, 'ServiceUnavailable', `Marathon is unavailable: ${error.message}`);
  }
  if (error instanceof DcosError)
    return new CosmosReply(400, errorTypeOf(error.code), error.message, error.details);
  return new CosmosReply(500, 'UnhandledException', error instanceof Error ? error.message : String(error));
}

/**
 * A repository that cannot be used, in the error types real Cosmos gives when it fetches one: it cannot be
 * reached or read (`RepositoryUriConnection`), its URI has a scheme it does not read (`UnsupportedRepositoryUri`),
 * or what it holds does not decode as a repository (`JsonDecodingError`). The message keeps our cause, which
 * names the file and what is wrong with it.
 */
function repositoryReply(error: DcosError): CosmosReply | undefined {
  const details = isRecord(error.details) ? error.details : {};
  const repository = isRecord(details.repository) ? details.repository : undefined;
  if (!repository) return undefined;
  const { name, uri } = repository as { name: string; uri: string };
  const cause = typeof details.cause === 'string' ? details.cause : error.message;
  switch (error.code) {
    case 'unsupported_repository_uri':
      return new CosmosReply(
        400,
        'UnsupportedRepositoryUri',
        `Repository URI [${uri}] uses an unsupported scheme. Only http, https and file are supported`,
        { uri },
      );
    case 'invalid_repository':
      return new CosmosReply(
        400,
        'JsonDecodingError',
        `Unable to decode the JSON value as a Repository: ${cause}`,
        {
          typeName: 'Repository',
          decodingErrorMessage: cause,
        },
      );
    default:
      return new CosmosReply(
        400,
        'RepositoryUriConnection',
        `Could not access data at URI for repository [${name}]: ${uri}: ${cause}`,
        { repository: { name, uri }, cause },
      );
  }
}

/** json-schema-validator's report shape, which Cosmos passes on and the CLI's Cosmos client reads back. */
function schemaError(problem: OptionProblem): Record<string, unknown> {
  return {
    level: 'error',
    instance: { pointer: problem.path === '/' ? '' : problem.path },
    domain: 'validation',
    message: problem.message,
  };
}

function marathonFailure(error: HttpError): CosmosReply {
  const said = serverMessage(error.body) ?? error.message;
  if (error.status === 409) {
    return new CosmosReply(409, 'PackageAlreadyInstalled', 'Package is already installed');
  }
  if (error.status === 404) return new CosmosReply(404, 'MarathonAppNotFound', said);
  if (error.status >= 500) {
    return new CosmosReply(502, 'MarathonBadGateway', `Marathon answered ${error.status}: ${said}`);
  }
  // Cosmos passes Marathon's field errors on as `data.errors` ({path, errors}), which the CLI's client prints.
  const fields = fieldErrors(error.body);
  return new CosmosReply(
    400,
    'MarathonBadResponse',
    said,
    fields.length > 0 ? { errors: fields } : undefined,
  );
}

/** `invalid_repository` -> `InvalidRepository`: Cosmos's error types are class names. */
function errorTypeOf(code: string): string {
  return code
    .split(/[_-]/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}

/** A response body already written as JSON (by the package worker, so a big one costs this thread nothing). */
export class JsonText {
  constructor(readonly text: string) {}
}

function send(context: RouteContext, status: number, contentType: string, body: unknown): void {
  const text = body instanceof JsonText ? body.text : JSON.stringify(body);
  context.response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
  });
  context.response.end(text);
}

function sendError(context: RouteContext, reply: CosmosReply, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({
    type: reply.type,
    message: reply.message,
    ...(reply.data !== undefined ? { data: reply.data } : {}),
  });
  context.response.writeHead(reply.status, {
    'content-type': ERROR_TYPE,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  context.response.end(text);
}
