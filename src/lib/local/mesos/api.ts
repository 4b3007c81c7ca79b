import { isAbsolute, relative, resolve } from 'node:path';

import type { Engine } from '../engine.js';
import { findApp } from '../marathon/groups.js';
import { sendJson, type RouteContext } from '../router.js';
import { browse, download, FilesError, parseFilesQuery, read } from './files.js';
import {
  agentState,
  frameworks,
  masterState,
  slaves,
  stateSummary,
  tasks as tasksView,
  type ClusterSnapshot,
} from './state.js';

export const MESOS_VERSION = '1.10.0';

/** Mesos master (`/mesos/...`) and agent (`/agent/<id>/...`) endpoints of the local cluster. */
export class MesosApi {
  constructor(private readonly engine: Engine) {}

  snapshot(): ClusterSnapshot {
    const { engine } = this;
    const all = [...engine.tasks.values(), ...engine.terminal];
    const taskNames: Record<string, string> = {};
    const discovery: NonNullable<ClusterSnapshot['discovery']> = {};
    const labels: NonNullable<ClusterSnapshot['labels']> = {};
    for (const task of all) {
      const app = findApp(engine.root, task.appId) ?? engine.appVersions.get(task.appId)?.get(task.version);
      // Marathon names Mesos tasks after the app path read backwards ("/prod/web" -> "web.prod").
      taskNames[task.id] = task.appId.split('/').filter(Boolean).reverse().join('.');
      discovery[task.id] = {
        name: taskNames[task.id] as string,
        ports: (app?.portDefinitions ?? []).map((definition, index) => ({
          number: task.ports[index] ?? definition.port,
          ...(definition.name ? { name: definition.name } : {}),
          protocol: definition.protocol ?? 'tcp',
          ...(definition.labels ? { labels: definition.labels } : {}),
        })),
      };
      if (app?.labels && Object.keys(app.labels).length > 0) labels[task.id] = app.labels;
    }
    const { host, port } = engine.masterAddress;
    return {
      clusterId: engine.clusterId,
      clusterName: 'local',
      masterIp: host,
      masterPort: port,
      startTime: engine.startedAt.getTime() / 1000,
      frameworkId: engine.frameworkId,
      frameworkName: 'marathon',
      agents: engine.agents,
      tasks: all,
      taskNames,
      discovery,
      labels,
    };
  }

  master = async (context: RouteContext): Promise<void> => {
    const path = context.path.replace(/\.json$/, '');
    const snapshot = () => this.snapshot();
    switch (path) {
      case '/master/state':
      case '/state':
        return sendJson(context.response, 200, masterState(snapshot()));
      case '/master/state-summary':
      case '/state-summary':
        return sendJson(context.response, 200, stateSummary(snapshot()));
      case '/master/slaves':
        return sendJson(context.response, 200, slaves(snapshot()));
      case '/master/frameworks':
        return sendJson(context.response, 200, frameworks(snapshot()));
      case '/master/tasks':
        return sendJson(context.response, 200, tasksView(snapshot(), context.query));
      case '/version':
        return sendJson(context.response, 200, { version: MESOS_VERSION, build_user: 'dcos-local' });
      case '/master/health':
      case '/health':
        context.response.writeHead(200);
        context.response.end();
        return;
      default:
        return sendJson(context.response, 404, { message: `no Mesos endpoint ${context.path}` });
    }
  };

  /** `/agent/<agent-id>/<endpoint>`: the agent's state and its files API over task sandboxes. */
  agent = async (context: RouteContext): Promise<void> => {
    const match = /^\/([^/]+)(\/.*)?$/.exec(context.path);
    const agentId = match?.[1] ? decodeURIComponent(match[1]) : '';
    if (!this.engine.agents.some((agent) => agent.id === agentId)) {
      return sendJson(context.response, 404, { message: `Agent ${agentId} not found` });
    }
    const endpoint = (match?.[2] ?? '/').replace(/^\/slave\(1\)/, '').replace(/\.json$/, '');
    if (endpoint === '/state') return sendJson(context.response, 200, agentState(this.snapshot(), agentId));
    if (endpoint.startsWith('/files/')) return this.files(context, endpoint.slice('/files/'.length));
    return sendJson(context.response, 404, { message: `no agent endpoint ${endpoint}` });
  };

  /** Only paths inside the cluster's work directory are served: the files API must not expose the laptop. */
  private sandboxPath(path: string): string | undefined {
    const root = resolve(this.engine.dir, 'work');
    const real = isAbsolute(path) ? resolve(path) : resolve(root, path);
    const inside = relative(root, real);
    return inside.startsWith('..') || isAbsolute(inside) ? undefined : real;
  }

  private async files(context: RouteContext, action: string): Promise<void> {
    const parsed = parseFilesQuery(context.query);
    if ('error' in parsed) {
      context.response.writeHead(400, { 'content-type': 'text/plain' });
      context.response.end(parsed.error);
      return;
    }
    const real = this.sandboxPath(parsed.path);
    if (!real) {
      context.response.writeHead(404);
      context.response.end();
      return;
    }
    try {
      if (action === 'browse') return sendJson(context.response, 200, await browse(real, parsed.path));
      if (action === 'read')
        return sendJson(context.response, 200, await read(real, parsed.offset, parsed.length));
      if (action === 'download') {
        const file = await download(real);
        context.response.writeHead(200, { 'content-type': file.contentType, 'content-length': file.size });
        file.stream.pipe(context.response);
        return;
      }
      sendJson(context.response, 404, { message: `no files endpoint ${action}` });
    } catch (error) {
      if (error instanceof FilesError) {
        context.response.writeHead(error.status, { 'content-type': 'text/plain' });
        context.response.end(error.body);
        return;
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        context.response.writeHead(404);
        context.response.end();
        return;
      }
      throw error;
    }
  }
}
