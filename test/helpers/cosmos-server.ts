import { readFileSync } from 'node:fs';

import {
  CAPABILITIES_TYPE,
  type CosmosRpc,
  ERROR_TYPE,
  parseMediaType,
  requestType,
  RESPONSE_VERSIONS,
  responseType,
} from '../../src/lib/packages/media-types.js';
import type { Repository, SearchResult, UniversePackage } from '../../src/lib/packages/types.js';
import { type RecordedRequest, type Routes, startServer, type TestServer } from './servers.js';

const FIXTURES = new URL('../fixtures/cosmos/', import.meta.url);

/** A file under `test/fixtures/cosmos/` (e.g. `recorded/test_repo_list.json`), parsed. */
export function cosmosFixture<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, FIXTURES), 'utf8')) as T;
}

/** One canned answer to an RPC; without `contentType`, the response type Cosmos would pick for the request. */
export interface CosmosReply {
  status?: number;
  body: unknown;
  contentType?: string;
  /** Answer with this response version instead of the negotiated one (e.g. a recorded v1 install body). */
  version?: number;
}

/** A Cosmos error envelope (`{type, message, data?}` with the error media type), 400 unless told. */
export function cosmosError(type: string, message: string, data?: unknown, status = 400): CosmosReply {
  return {
    status,
    body: data === undefined ? { type, message } : { type, message, data },
    contentType: ERROR_TYPE,
  };
}

export interface CosmosReplayOptions {
  /** The repository index the server searches and describes; default the v3 Universe fixture (nginx, cassandra). */
  packages?: UniversePackage[];
  /** Configured repositories; default the DC/OS CLI's recorded `repo list` (three repositories). */
  repositories?: Repository[];
  /** `/capabilities` names; default the list DC/OS 1.11 advertises. */
  capabilities?: string[];
  /** Response versions this Cosmos can encode, per RPC (an older Cosmos: `{describe: [2], install: [1]}`). */
  versions?: Partial<Record<CosmosRpc, readonly number[]>>;
}

export interface CosmosReplayServer {
  url: string;
  server: TestServer;
  /** Everything received, in order (headers as Node lower-cased them). */
  requests: RecordedRequest[];
  /** The current repository list (repository add/delete change it). */
  repositories: Repository[];
  /** Queues answers for the next calls of `rpc`, served in order before the built-in behaviour. */
  reply(rpc: CosmosRpc, ...replies: CosmosReply[]): void;
  /** The requests one RPC received, with their JSON bodies parsed. */
  calls(rpc: CosmosRpc): Array<RecordedRequest & { json: unknown }>;
  close(): Promise<void>;
}

const RPCS: readonly CosmosRpc[] = Object.keys(RESPONSE_VERSIONS) as CosmosRpc[];
const DEFAULT_CAPABILITIES = [
  'PACKAGE_MANAGEMENT',
  'SUPPORT_CLUSTER_REPORT',
  'METRONOME',
  'LOGGING',
  'LOGGING_V2',
];

type Answer = { status?: number; json?: unknown; headers?: Record<string, string> };

function rpcPath(rpc: CosmosRpc): string {
  return `/package/${rpc.replace('.', '/')}`;
}

function errorAnswer(type: string, message: string, status: number, data?: unknown): Answer {
  return {
    status,
    json: data === undefined ? { type, message } : { type, message, data },
    headers: { 'content-type': ERROR_TYPE },
  };
}

/** Like Cosmos: the first type in Accept it can encode for this RPC, if any. */
function negotiate(
  accept: string | undefined,
  rpc: CosmosRpc,
  supported: readonly number[],
): number | undefined {
  for (const candidate of (accept ?? '').split(',')) {
    const media = parseMediaType(candidate.trim());
    if (media?.kind === `package.${rpc}-response` && media.version && supported.includes(media.version)) {
      return media.version;
    }
  }
  return undefined;
}

function sameRequestType(header: string | undefined, rpc: CosmosRpc): boolean {
  const media = parseMediaType(header);
  const charset = /charset=([^;]+)/i
    .exec(header ?? '')?.[1]
    ?.trim()
    .toLowerCase();
  return media?.kind === `package.${rpc}-request` && media.version === 1 && (!charset || charset === 'utf-8');
}

function highestRelease(candidates: UniversePackage[]): UniversePackage | undefined {
  return candidates.reduce<UniversePackage | undefined>(
    (best, candidate) =>
      !best || (candidate.releaseVersion ?? 0) > (best.releaseVersion ?? 0) ? candidate : best,
    undefined,
  );
}

/** describe v2 is the v3 package without the fields v2 could not carry. */
function describeV2(definition: UniversePackage): Record<string, unknown> {
  const { releaseVersion: _releaseVersion, ...flat } = definition;
  return flat;
}

/**
 * Case-insensitive substring search on name, description and tags, one entry per name (enough for the client's
 * tests; the real rules, wildcards included, belong to the client-side manager's own tests).
 */
function search(packages: UniversePackage[], query: string | undefined): SearchResult[] {
  const needle = query?.toLowerCase() ?? '';
  const byName = new Map<string, UniversePackage[]>();
  for (const definition of packages) {
    const haystack = [definition.name, definition.description, ...definition.tags].join('\n').toLowerCase();
    if (!haystack.includes(needle)) continue;
    byName.set(definition.name, [...(byName.get(definition.name) ?? []), definition]);
  }
  return [...byName.values()].map((versions) => {
    const latest = highestRelease(versions) as UniversePackage;
    const images = latest.resource?.images;
    return {
      name: latest.name,
      currentVersion: latest.version,
      versions: versionMap(versions),
      description: latest.description,
      framework: latest.framework ?? false,
      tags: latest.tags,
      selected: latest.selected ?? false,
      ...(isImages(images) ? { images } : {}),
    };
  });
}

/** version -> releaseVersion; an index may list one version twice (re-releases), the newest release wins. */
function versionMap(entries: UniversePackage[]): Record<string, string> {
  const releases = new Map<string, number>();
  for (const entry of entries) {
    const release = entry.releaseVersion ?? 0;
    releases.set(entry.version, Math.max(release, releases.get(entry.version) ?? release));
  }
  return Object.fromEntries([...releases].map(([version, release]) => [version, String(release)]));
}

function isImages(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A loopback Cosmos that checks media types the way Cosmos does (415 for a wrong Content-Type, 406 when Accept
 * names nothing it can encode, both with Cosmos error bodies), echoes the negotiated response type, answers
 * search, describe and list-versions from a Universe index, keeps a repository list, and serves queued replies
 * (recorded bodies, error envelopes) for anything a test wants to script.
 */
export async function startCosmosServer(options: CosmosReplayOptions = {}): Promise<CosmosReplayServer> {
  const packages =
    options.packages ??
    cosmosFixture<{ packages: UniversePackage[] }>('test-v3-repo-up-to-1.8.json').packages;
  const repositories = [
    ...(options.repositories ??
      cosmosFixture<{ repositories: Repository[] }>('recorded/test_repo_list.json').repositories),
  ];
  const queued = new Map<CosmosRpc, CosmosReply[]>();

  const find = (name: unknown, version: unknown): UniversePackage | Answer => {
    const named = packages.filter((entry) => entry.name === name);
    if (named.length === 0) {
      return errorAnswer('PackageNotFound', `Package [${String(name)}] not found`, 400, {
        packageName: name,
      });
    }
    const chosen =
      version === undefined ? highestRelease(named) : named.find((entry) => entry.version === version);
    return (
      chosen ??
      errorAnswer(
        'VersionNotFound',
        `Version [${String(version)}] of package [${String(name)}] not found`,
        400,
        {
          packageName: name,
          packageVersion: version,
        },
      )
    );
  };
  const isAnswer = (value: UniversePackage | Answer): value is Answer => !('packagingVersion' in value);

  const builtIn = (rpc: CosmosRpc, body: Record<string, unknown>, version: number): Answer => {
    switch (rpc) {
      case 'search':
        return {
          json: { packages: search(packages, typeof body.query === 'string' ? body.query : undefined) },
        };
      case 'describe': {
        const found = find(body.packageName, body.packageVersion);
        if (isAnswer(found)) return found;
        return { json: version >= 3 ? { package: found } : describeV2(found) };
      }
      case 'list-versions': {
        const found = find(body.packageName, undefined);
        if (isAnswer(found)) return found;
        return { json: { results: versionMap(packages.filter((entry) => entry.name === body.packageName)) } };
      }
      case 'install': {
        const found = find(body.packageName, body.packageVersion);
        if (isAnswer(found)) return found;
        const appId = typeof body.appId === 'string' ? body.appId : `/${found.name}`;
        const v1 = { packageName: found.name, packageVersion: found.version, appId };
        return { json: version >= 2 ? { ...v1, postInstallNotes: found.postInstallNotes } : v1 };
      }
      case 'list':
        return { json: { packages: [] } };
      case 'uninstall':
        return errorAnswer(
          'PackageNotInstalled',
          `Package [${String(body.packageName)}] is not installed`,
          400,
          {
            packageName: body.packageName,
          },
        );
      case 'render':
        return errorAnswer('NotImplemented', 'the replay server renders only queued replies', 501);
      case 'repository.list':
        return { json: { repositories } };
      case 'repository.add': {
        const duplicate = repositories.find((entry) => entry.name === body.name || entry.uri === body.uri);
        if (duplicate) {
          const message =
            duplicate.name === body.name
              ? `Repository name [${String(body.name)}] is already present in the list`
              : `Repository URI [${String(body.uri)}] is already present in the list`;
          return errorAnswer('RepositoryAlreadyPresent', message, 400, { name: body.name, uri: body.uri });
        }
        const index = typeof body.index === 'number' ? body.index : repositories.length;
        if (index < 0 || index > repositories.length) {
          return errorAnswer(
            'RepositoryAddIndexOutOfBounds',
            `Index (${index}) is out of range. Index value must be between 0 and ${repositories.length} inclusive.`,
            400,
            { attempted: index, max: repositories.length },
          );
        }
        repositories.splice(index, 0, { name: String(body.name), uri: String(body.uri) });
        return { json: { repositories } };
      }
      case 'repository.delete': {
        const at = repositories.findIndex((entry) => entry.name === body.name || entry.uri === body.uri);
        if (at < 0) {
          return errorAnswer(
            'RepositoryNotPresent',
            `Repository name [${String(body.name)}] is not present in the list`,
            400,
            {
              name: body.name,
            },
          );
        }
        repositories.splice(at, 1);
        return { json: { repositories } };
      }
    }
  };

  const routes: Routes = {
    '/capabilities': (request) => {
      if (request.method !== 'GET') return errorAnswer('MethodNotAllowed', 'GET only', 405);
      const accept = request.headers.accept ?? '';
      if (!accept.split(',').some((candidate) => parseMediaType(candidate.trim())?.kind === 'capabilities')) {
        return errorAnswer('NotAcceptable', `Accept ${accept} does not allow ${CAPABILITIES_TYPE}`, 406);
      }
      return {
        json: { capabilities: (options.capabilities ?? DEFAULT_CAPABILITIES).map((name) => ({ name })) },
        headers: { 'content-type': CAPABILITIES_TYPE },
      };
    },
  };
  for (const rpc of RPCS) {
    routes[rpcPath(rpc)] = (request) => {
      if (request.method !== 'POST')
        return errorAnswer('MethodNotAllowed', `${rpcPath(rpc)} takes POST`, 405);
      const contentType = request.headers['content-type'];
      if (!sameRequestType(contentType, rpc)) {
        const message = contentType
          ? `Unsupported Content-Type: ${contentType} Accept: [${requestType(rpc)}]`
          : `Unspecified Content-Type Accept: [${requestType(rpc)}]`;
        return errorAnswer('UnsupportedContentType', message, 415, {
          supported: [requestType(rpc)],
          ...(contentType ? { actual: contentType } : {}),
        });
      }
      const supported = options.versions?.[rpc] ?? RESPONSE_VERSIONS[rpc];
      const version = negotiate(request.headers.accept, rpc, supported);
      if (version === undefined) {
        const available = supported.map((candidate) => responseType(rpc, candidate));
        return errorAnswer(
          'NotAcceptable',
          `Accept ${request.headers.accept ?? '(none)'} names none of [${available.join(', ')}]`,
          406,
          { supported: available },
        );
      }
      const scripted = queued.get(rpc)?.shift();
      if (scripted) {
        return {
          status: scripted.status ?? 200,
          json: scripted.body,
          headers: { 'content-type': scripted.contentType ?? responseType(rpc, scripted.version ?? version) },
        };
      }
      let body: unknown;
      try {
        body = JSON.parse(request.body || '{}');
      } catch (error) {
        return errorAnswer(
          'JsonParsingError',
          `Unable to parse request body: ${(error as Error).message}`,
          400,
        );
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return errorAnswer('JsonDecodingError', 'the request body is not a JSON object', 400);
      }
      const answer = builtIn(rpc, body as Record<string, unknown>, version);
      return { ...answer, headers: answer.headers ?? { 'content-type': responseType(rpc, version) } };
    };
  }

  const server = await startServer(routes);
  return {
    url: server.url,
    server,
    requests: server.requests,
    repositories,
    reply(rpc, ...replies) {
      queued.set(rpc, [...(queued.get(rpc) ?? []), ...replies]);
    },
    calls(rpc) {
      return server.requests
        .filter((request) => request.path.split('?')[0] === rpcPath(rpc))
        .map((request) => ({
          ...request,
          json: request.body === '' ? undefined : (JSON.parse(request.body) as unknown),
        }));
    },
    close: () => server.close(),
  };
}
