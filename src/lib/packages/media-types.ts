/**
 * Cosmos's versioned media types (`apis.md` §6.1): `application/vnd.dcos.<ns>.<kind>+json;charset=utf-8;version=vN`.
 * Shared by the Cosmos client and by `dcos local`'s Cosmos endpoints so both sides spell them the same way.
 */
export type CosmosRpc =
  | 'search'
  | 'describe'
  | 'list-versions'
  | 'render'
  | 'install'
  | 'list'
  | 'uninstall'
  | 'repository.list'
  | 'repository.add'
  | 'repository.delete';

export function mediaType(kind: string, version: number): string {
  return `application/vnd.dcos.${kind}+json;charset=utf-8;version=v${version}`;
}

export function requestType(rpc: CosmosRpc): string {
  return mediaType(`package.${rpc}-request`, 1);
}

export function responseType(rpc: CosmosRpc, version = 1): string {
  return mediaType(`package.${rpc}-response`, version);
}

export const CAPABILITIES_TYPE = mediaType('capabilities', 1);
export const ERROR_TYPE = mediaType('package.error', 1);

/** The response versions a client accepts, most preferred first (describe v3 then v2; install v2 then v1). */
export const RESPONSE_VERSIONS: Readonly<Record<CosmosRpc, readonly number[]>> = {
  search: [1],
  describe: [3, 2],
  'list-versions': [1],
  render: [1],
  install: [2, 1],
  list: [1],
  uninstall: [1],
  'repository.list': [1],
  'repository.add': [1],
  'repository.delete': [1],
};

/** `application/vnd.dcos.package.describe-response+json; charset=utf-8; version=v3` -> {kind, version}. */
export function parseMediaType(header: string | undefined): { kind: string; version?: number } | undefined {
  if (!header) return undefined;
  const [type = '', ...params] = header.split(';').map((part) => part.trim());
  const match = /^application\/vnd\.dcos\.(.+)\+json$/i.exec(type);
  if (!match?.[1]) return undefined;
  const version = params.map((param) => /^version=v(\d+)$/i.exec(param)?.[1]).find(Boolean);
  return { kind: match[1].toLowerCase(), ...(version ? { version: Number(version) } : {}) };
}
