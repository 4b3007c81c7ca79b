import type { HttpClient, HttpResponse, RequestOptions } from '../http/client.js';
import { headerValue } from '../http/client.js';
import { DcosError } from '../errors.js';
import { HttpError } from '../http/errors.js';
import type {
  MarathonApp,
  MarathonDeployment,
  MarathonGroup,
  MarathonQueueItem,
  MarathonTask,
} from './types.js';

/** Names Marathon in errors about its answers ("expected JSON from Marathon at ..."). */
const MARATHON = 'Marathon';

export interface DeploymentResult {
  deploymentId: string;
  version: string;
}

export interface ChangeOptions {
  force?: boolean;
}

/** Marathon's ids are absolute paths; users type `web`, `/web` or `web/`. */
export function normalizeId(id: string): string {
  const trimmed = id.trim().replace(/^\/+|\/+$/g, '');
  return `/${trimmed}`;
}

function idPath(id: string): string {
  return normalizeId(id)
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** `embed` repeats, which RequestOptions.query (one value per key) cannot express. */
function embedQuery(embed: string[]): string {
  return embed.length > 0 ? `?${embed.map((value) => `embed=${encodeURIComponent(value)}`).join('&')}` : '';
}

function forceQuery(options: ChangeOptions): RequestOptions['query'] {
  return options.force ? { force: true } : {};
}

/**
 * Typed access to Marathon v2 at `baseUrl` (`<dcos_url>/service/marathon`, or `marathon.url` for plain
 * Marathon). Methods that start a deployment return its id, taken from Marathon's header when the body
 * does not carry it.
 */
export class MarathonClient {
  constructor(
    readonly http: HttpClient,
    readonly baseUrl: string,
  ) {}

  private url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  private get<T>(path: string): Promise<T> {
    return this.http.get<T>(this.url(path), { service: MARATHON });
  }

  private async change(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    query: RequestOptions['query'],
  ): Promise<DeploymentResult> {
    const response = await this.http.request<
      Partial<DeploymentResult> & { deployments?: Array<{ id: string }> }
    >(method, this.url(path), { query, service: MARATHON, ...(body === undefined ? {} : { json: body }) });
    return deploymentOf(response);
  }

  info(): Promise<Record<string, unknown>> {
    return this.get('/v2/info');
  }

  async ping(): Promise<string> {
    const reply = await this.http.get<string>(this.url('/ping'), {
      headers: { accept: 'text/plain' },
      expect: 'text',
    });
    return reply.trim();
  }

  leader(): Promise<{ leader: string }> {
    return this.get('/v2/leader');
  }

  async listApps(embed: string[] = []): Promise<MarathonApp[]> {
    return (await this.get<{ apps: MarathonApp[] }>(`/v2/apps${embedQuery(embed)}`)).apps;
  }

  async getApp(id: string): Promise<MarathonApp> {
    return (await this.get<{ app: MarathonApp }>(`/v2/apps${idPath(id)}`)).app;
  }

  /** The app, or undefined when Marathon says it does not exist. */
  async findApp(id: string): Promise<MarathonApp | undefined> {
    try {
      return await this.getApp(id);
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return undefined;
      throw error;
    }
  }

  async appVersions(id: string): Promise<string[]> {
    return (await this.get<{ versions: string[] }>(`/v2/apps${idPath(id)}/versions`)).versions;
  }

  appVersion(id: string, version: string): Promise<MarathonApp> {
    return this.get(`/v2/apps${idPath(id)}/versions/${encodeURIComponent(version)}`);
  }

  createApp(app: unknown): Promise<DeploymentResult> {
    return this.change('POST', '/v2/apps', app, {});
  }

  updateApp(id: string, patch: unknown, options: ChangeOptions = {}): Promise<DeploymentResult> {
    return this.change('PUT', `/v2/apps${idPath(id)}`, patch, forceQuery(options));
  }

  removeApp(id: string, options: ChangeOptions = {}): Promise<DeploymentResult> {
    return this.change('DELETE', `/v2/apps${idPath(id)}`, undefined, forceQuery(options));
  }

  restartApp(id: string, options: ChangeOptions = {}): Promise<DeploymentResult> {
    return this.change('POST', `/v2/apps${idPath(id)}/restart`, undefined, forceQuery(options));
  }

  /** Without `scale`, returns the killed tasks; with it, the deployment that lowers `instances`. */
  async killAppTasks(
    id: string,
    options: { scale?: boolean; host?: string; force?: boolean } = {},
  ): Promise<{ tasks: MarathonTask[] } | DeploymentResult> {
    const query = {
      ...(options.scale ? { scale: true } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...forceQuery(options),
    };
    const response = await this.http.request<{ tasks?: MarathonTask[] } & Partial<DeploymentResult>>(
      'DELETE',
      this.url(`/v2/apps${idPath(id)}/tasks`),
      { query, service: MARATHON },
    );
    return options.scale ? deploymentOf(response) : { tasks: response.data.tasks ?? [] };
  }

  async listTasks(): Promise<MarathonTask[]> {
    return (await this.get<{ tasks: MarathonTask[] }>('/v2/tasks')).tasks;
  }

  async killTasks(
    ids: string[],
    options: { scale?: boolean; wipe?: boolean; force?: boolean } = {},
  ): Promise<{ tasks: MarathonTask[] } | DeploymentResult> {
    const query = {
      ...(options.scale ? { scale: true } : {}),
      ...(options.wipe ? { wipe: true } : {}),
      ...forceQuery(options),
    };
    const response = await this.http.request<{ tasks?: MarathonTask[] } & Partial<DeploymentResult>>(
      'POST',
      this.url('/v2/tasks/delete'),
      { query, json: { ids }, service: MARATHON },
    );
    return options.scale ? deploymentOf(response) : { tasks: response.data.tasks ?? [] };
  }

  getGroup(id = '/', embed: string[] = []): Promise<MarathonGroup> {
    const path = normalizeId(id) === '/' ? '' : idPath(id);
    return this.get(`/v2/groups${path}${embedQuery(embed)}`);
  }

  groupVersion(id: string, version: string): Promise<MarathonGroup> {
    return this.get(`/v2/groups${idPath(id)}/versions/${encodeURIComponent(version)}`);
  }

  createGroup(group: unknown): Promise<DeploymentResult> {
    return this.change('POST', '/v2/groups', group, {});
  }

  updateGroup(id: string, body: unknown, options: ChangeOptions = {}): Promise<DeploymentResult> {
    return this.change('PUT', `/v2/groups${idPath(id)}`, body, forceQuery(options));
  }

  removeGroup(id: string, options: ChangeOptions = {}): Promise<DeploymentResult> {
    return this.change('DELETE', `/v2/groups${idPath(id)}`, undefined, forceQuery(options));
  }

  listDeployments(): Promise<MarathonDeployment[]> {
    return this.get('/v2/deployments');
  }

  /** Rollback (a new deployment) without `force`; plain cancel with it. */
  async deleteDeployment(id: string, options: ChangeOptions = {}): Promise<DeploymentResult | undefined> {
    const response = await this.http.request<Partial<DeploymentResult>>(
      'DELETE',
      this.url(`/v2/deployments/${encodeURIComponent(id)}`),
      { query: forceQuery(options), service: MARATHON },
    );
    return options.force ? undefined : deploymentOf(response);
  }

  async queue(): Promise<MarathonQueueItem[]> {
    return (await this.get<{ queue: MarathonQueueItem[] }>('/v2/queue')).queue;
  }
}

function deploymentOf(
  response: HttpResponse<(Partial<DeploymentResult> & { deployments?: Array<{ id: string }> }) | undefined>,
): DeploymentResult {
  const body = response.data ?? {};
  const deploymentId =
    body.deploymentId ?? headerValue(response.headers['marathon-deployment-id']) ?? body.deployments?.[0]?.id;
  // Marathon always names the deployment it started; an answer that does not must not read as a success.
  if (typeof deploymentId !== 'string' || deploymentId === '') {
    throw new DcosError(
      `${MARATHON} at ${response.url} answered ${response.status} without a deployment id`,
      {
        code: 'invalid_response',
        details: { url: response.url },
      },
    );
  }
  return { deploymentId, version: typeof body.version === 'string' ? body.version : '' };
}
