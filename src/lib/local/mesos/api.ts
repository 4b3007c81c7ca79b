import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

import type { Engine } from '../engine.js';
import { findApp } from '../marathon/groups.js';
import { sendJson, type RouteContext } from '../router.js';
import {
  browse,
  download,
  FilesError,
  inaccessible,
  notFound,
  parseFilesQuery,
  read,
  resolveVirtualPath,
} from './files.js';
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
    if (endpoint.startsWith('/files/')) {
      return this.files(context, agentId, endpoint.slice('/files/'.length));
    }
    return sendJson(context.response, 404, { message: `no agent endpoint ${endpoint}` });
  };

  /**
   * Where a files API path really is, and the directory it must stay in: like a Mesos agent, which serves only the
   * sandboxes it attached, a path in a task's sandbox must resolve (symlinks and all) inside that sandbox, and any
   * other path below this agent's directory inside the agent's directory. A path anywhere else is 404 (Mesos: not
   * attached); one that leads out through a symlink is 400 `'<path>' is inaccessible.` (Mesos' `resolve`).
   */
  private async servedPath(agentId: string, requested: string): Promise<{ real: string; root: string }> {
    const work = resolve(this.engine.dir, 'work');
    const lexical = isAbsolute(requested) ? resolve(requested) : resolve(work, requested);
    const rootParts = confinementOf(relative(work, lexical), agentId);
    if (rootParts === undefined) throw notFound();
    const root = join(work, ...rootParts);
    const [realWork, realRoot] = await Promise.all([
      realpath(work).catch(() => undefined),
      realpath(root).catch(() => undefined),
    ]);
    if (realWork === undefined || realRoot === undefined) throw notFound();
    // A sandbox that is itself a symlink (a task can write anywhere) could lead anywhere.
    if (realRoot !== join(realWork, ...rootParts)) throw inaccessible(requested);
    const real = await resolveVirtualPath(new Map([[root, root]]), lexical);
    if (real === null) throw notFound();
    return { real, root: realRoot };
  }

  private async files(context: RouteContext, agentId: string, action: string): Promise<void> {
    if (!['browse', 'read', 'download'].includes(action)) {
      return sendJson(context.response, 404, { message: `no files endpoint ${action}` });
    }
    const parsed = parseFilesQuery(context.query);
    if ('error' in parsed) {
      context.response.writeHead(400, { 'content-type': 'text/plain' });
      context.response.end(parsed.error);
      return;
    }
    try {
      const { real, root } = await this.servedPath(agentId, parsed.path);
      const confinement = { within: root };
      if (action === 'browse') {
        return sendJson(context.response, 200, await browse(real, parsed.path, confinement));
      }
      if (action === 'read') {
        return sendJson(context.response, 200, await read(real, parsed.offset, parsed.length, confinement));
      }
      const file = await download(real, confinement);
      context.response.writeHead(200, { 'content-type': file.contentType, 'content-length': file.size });
      file.stream.pipe(context.response);
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

/**
 * The directory a files API path (relative to the work directory) is confined to, as path segments: the task
 * sandbox it lies in (`slaves/<agent>/frameworks/<framework>/executors/<executor>/runs/<run>`), or else this
 * agent's directory (`slaves/<agent>`); undefined for anything outside this agent's directory. Lexical only.
 */
function confinementOf(fromWork: string, agentId: string): string[] | undefined {
  if (isAbsolute(fromWork)) return undefined;
  const parts = fromWork.split(sep);
  if (parts[0] !== 'slaves' || parts[1] !== agentId) return undefined;
  const inSandbox =
    parts.length >= 8 && parts[2] === 'frameworks' && parts[4] === 'executors' && parts[6] === 'runs';
  return inSandbox ? parts.slice(0, 8) : parts.slice(0, 2);
}
