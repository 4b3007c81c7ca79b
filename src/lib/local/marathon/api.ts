import { ApiError, isTerminal, type Engine } from '../engine.js';
import { rejectSummary } from '../mesos/placement.js';
import { sendJson, sendJsonText, sendText, type RouteContext } from '../router.js';
import type { AppDefinition, DeploymentPlan, Group, TaskRecord } from '../types.js';
import {
  allApps,
  findApp,
  findGroup,
  normalizeGroup,
  putApp,
  putGroup,
  removeApp,
  removeGroup,
  resolveId,
  scaleGroup,
} from './groups.js';
import { applyAppUpdate, appJson, assignServicePorts, normalizeApp, withVersionInfo } from './normalize.js';
import { buildPlan, revertPlan } from './plan.js';
import { validateApp, validateGroup } from './validate.js';
import { isRecord } from '../../json.js';

/** `embed` values that add per-task fields to each app (the others only name what every answer has). */
const EMBEDS_WITH_TASKS = new Set(['tasks', 'failures', 'lastTaskFailure']);

export const MARATHON_VERSION = '1.10.17';

function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name);
  if (value === null) return fallback;
  return value === '' || value.toLowerCase() === 'true';
}

async function jsonBody(context: RouteContext): Promise<unknown> {
  const text = (await context.body()).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, { message: 'Invalid JSON', details: (error as Error).message });
  }
}

function invalid(details: unknown[]): ApiError {
  return new ApiError(422, { message: 'Object is not valid', details });
}

function deploymentResult(
  context: RouteContext,
  plan: DeploymentPlan,
  status = 200,
  location?: string,
): void {
  const headers: Record<string, string> = { 'Marathon-Deployment-Id': plan.id };
  if (location) headers.Location = location;
  sendJson(context.response, status, { deploymentId: plan.id, version: plan.version }, headers);
}

/** Marathon v2 REST API served from the engine (mounted at /service/marathon and /marathon). */
export class MarathonApi {
  /** Definitions never change once stored (a change makes a new object), so their JSON view can be reused. */
  private readonly jsonViews = new WeakMap<AppDefinition, Record<string, unknown>>();
  private readonly jsonTexts = new WeakMap<AppDefinition, string>();

  constructor(private readonly engine: Engine) {}

  private appView(app: AppDefinition): Record<string, unknown> {
    let view = this.jsonViews.get(app);
    if (!view) {
      view = appJson(app);
      this.jsonViews.set(app, view);
    }
    return view;
  }

  handle = async (context: RouteContext): Promise<void> => {
    try {
      await this.route(context);
    } catch (error) {
      if (error instanceof ApiError) sendJson(context.response, error.status, error.body);
      else throw error;
    }
  };

  private async route(context: RouteContext): Promise<void> {
    const { method, path } = context;
    if (path === '/ping') return sendText(context.response, 200, 'pong');
    if (path === '/v2/info' && method === 'GET') return sendJson(context.response, 200, this.info());
    if (path === '/v2/leader' && method === 'GET')
      return sendJson(context.response, 200, { leader: this.leader() });
    if (path === '/v2/events' && method === 'GET') return this.events(context);
    if (path === '/v2/apps' || path === '/v2/apps/') return this.apps(context);
    if (path.startsWith('/v2/apps/')) return this.app(context, path.slice('/v2/apps'.length));
    if (path === '/v2/tasks' && method === 'GET') return this.listTasks(context);
    if (path === '/v2/tasks/delete' && method === 'POST') return this.deleteTasks(context);
    if (path === '/v2/groups' || path.startsWith('/v2/groups/')) {
      return this.groups(context, path.slice('/v2/groups'.length) || '/');
    }
    if (path === '/v2/deployments' && method === 'GET') {
      return sendJson(
        context.response,
        200,
        [...this.engine.deployments.values()].map((d) => this.deploymentJson(d)),
      );
    }
    if (path.startsWith('/v2/deployments/') && method === 'DELETE') {
      return this.deleteDeployment(context, decodeURIComponent(path.slice('/v2/deployments/'.length)));
    }
    if (path === '/v2/queue' && method === 'GET')
      return sendJson(context.response, 200, { queue: this.queue() });
    const delay = /^\/v2\/queue\/(.+)\/delay$/.exec(path);
    if (delay && method === 'DELETE') return this.resetDelay(context, `/${delay[1]}`.replace(/^\/+/, '/'));
    sendJson(context.response, 404, { message: 'URI not found' });
  }

  // ---- info ----

  private leader(): string {
    const { host, port } = this.engine.masterAddress;
    return `${host}:${port}`;
  }

  private info(): Record<string, unknown> {
    const { host, port } = this.engine.masterAddress;
    return {
      name: 'marathon',
      version: MARATHON_VERSION,
      buildref: 'dcos-local',
      elected: true,
      leader: this.leader(),
      frameworkId: this.engine.frameworkId,
      marathon_config: {
        master: `http://${host}:${port}/mesos`,
        mesos_role: '*',
        mesos_leader_ui_url: `http://${host}:${port}/mesos`,
        features: [],
        local_port_min: 10000,
        local_port_max: 20000,
        task_launch_timeout: 300000,
      },
      zookeeper_config: { zk: 'zk://localhost:2181/marathon', zk_timeout: 10000 },
      http_config: { http_port: port, https_port: 8443 },
    };
  }

  private events(context: RouteContext): void {
    if (context.request.headers.accept !== 'text/event-stream') {
      sendText(context.response, 405, 'HTTP method GET is not supported by this URL');
      return;
    }
    const remote = context.request.socket.remoteAddress ?? '127.0.0.1';
    this.engine.events.attach(context.response, remote, context.query.getAll('event_type'));
  }

  // ---- apps ----

  private async apps(context: RouteContext): Promise<void> {
    const { method, query } = context;
    if (method === 'GET') {
      const embed = new Set(
        query.getAll('embed').map((value) => value.replace(/^(apps|app|group\.apps)\./, '')),
      );
      const id = query.get('id')?.toLowerCase();
      const cmd = query.get('cmd')?.toLowerCase();
      const label = query.get('label');
      const apps = allApps(this.engine.root).filter(
        (app) =>
          (!id || app.id.toLowerCase().includes(id)) &&
          (!cmd || (app.cmd ?? '').toLowerCase().includes(cmd)) &&
          (!label || matchesLabels(app.labels, label)),
      );
      // A thousand-app list is what `dcos marathon app list` waits on: each definition's JSON is kept as text
      // and only the live counts are written per request.
      if (![...embed].some((name) => EMBEDS_WITH_TASKS.has(name))) {
        const tasksByApp = this.engine.tasksByApp();
        const texts = apps.map((app) => this.appInfoText(app, tasksByApp.get(app.id) ?? []));
        return sendJsonText(context.response, 200, `{"apps":[${texts.join(',')}]}`);
      }
      return sendJson(context.response, 200, { apps: apps.map((app) => this.appInfo(app, embed)) });
    }
    if (method === 'POST') return this.createApp(context);
    if (method === 'PUT' || method === 'PATCH') return this.updateApps(context, method === 'PATCH');
    sendJson(context.response, 405, { message: `${method} not allowed` });
  }

  private async createApp(context: RouteContext): Promise<void> {
    const raw = await jsonBody(context);
    const errors = validateApp(raw);
    if (errors.length > 0) throw invalid(errors);
    const version = this.engine.nextVersion();
    let app = normalizeApp(raw as Record<string, unknown>, { version });
    if (findApp(this.engine.root, app.id)) {
      throw new ApiError(409, { message: `An app with id [${app.id}] already exists.` });
    }
    if (findGroup(this.engine.root, app.id)) {
      throw new ApiError(409, { message: `A group with id [${app.id}] already exists.` });
    }
    app = assignServicePorts(app, this.usedServicePorts());
    const plan = await this.engine.deploy(putApp(this.engine.root, app, version), {
      force: flag(context.query, 'force', false),
    });
    this.engine.events.publish('api_post_event', {
      clientIp: context.request.socket.remoteAddress ?? '',
      uri: `/v2/apps${app.id}`,
      appDefinition: appJson(app),
    });
    sendJson(
      context.response,
      201,
      { ...this.appInfo(app, new Set()), deployments: [{ id: plan.id }] },
      { Location: `/v2/apps${app.id}`, 'Marathon-Deployment-Id': plan.id },
    );
  }

  /** Turns an update body into the next definition of the app (partial by default, `{version}` = roll back). */
  private nextApp(
    id: string,
    body: unknown,
    partial: boolean,
    version: string,
  ): { app: AppDefinition; created: boolean } {
    const existing = findApp(this.engine.root, id);
    if (isRecord(body) && Object.keys(body).length === 1 && typeof body.version === 'string' && existing) {
      const old = this.engine.appVersions.get(id)?.get(body.version);
      if (!old) throw new ApiError(404, { message: `App '${id}' does not exist in version ${body.version}` });
      const restored: AppDefinition = {
        ...old,
        version,
        versionInfo: { lastScalingAt: version, lastConfigChangeAt: version },
      };
      return { app: restored, created: false };
    }
    let raw: unknown = body;
    if (isRecord(body)) {
      raw = existing && partial ? applyAppUpdate(existing, body) : { ...body, id };
    }
    const errors = validateApp(raw);
    if (errors.length > 0) throw invalid(errors);
    let app = normalizeApp(raw as Record<string, unknown>, { version });
    app = { ...app, id };
    const used = this.usedServicePorts(id);
    app = withVersionInfo(existing, assignServicePorts(app, used));
    return { app, created: !existing };
  }

  private async updateApps(context: RouteContext, patch: boolean): Promise<void> {
    const body = await jsonBody(context);
    if (!Array.isArray(body)) throw invalid([{ path: '/', errors: ['error.expected.jsarray'] }]);
    const version = this.engine.nextVersion();
    let target = this.engine.root;
    body.forEach((item, index) => {
      if (!isRecord(item) || typeof item.id !== 'string') {
        throw invalid([{ path: `(${index})/id`, errors: ['error.path.missing'] }]);
      }
      const id = resolveId(item.id, '/');
      if (patch && !findApp(this.engine.root, id))
        throw new ApiError(404, { message: `App '${id}' does not exist` });
      const partial = patch || flag(context.query, 'partialUpdate', true);
      target = putApp(target, this.nextApp(id, item, partial, version).app, version);
    });
    const plan = await this.engine.deploy(target, { force: flag(context.query, 'force', false) });
    deploymentResult(context, plan);
  }

  private async app(context: RouteContext, rest: string): Promise<void> {
    const { method } = context;
    const patterns: Array<[RegExp, (match: RegExpExecArray) => Promise<void> | void]> = [
      [
        /^(.+)\/versions\/([^/]+)$/,
        (m) => this.appVersion(context, appIdOf(m[1]), decodeURIComponent(m[2] as string)),
      ],
      [/^(.+)\/versions$/, (m) => this.appVersions(context, appIdOf(m[1]))],
      [
        /^(.+)\/tasks\/([^/]+)$/,
        (m) => this.appTask(context, appIdOf(m[1]), decodeURIComponent(m[2] as string)),
      ],
      [/^(.+)\/tasks$/, (m) => this.appTasks(context, appIdOf(m[1]))],
    ];
    if (method === 'POST') patterns.push([/^(.+)\/restart$/, (m) => this.restart(context, appIdOf(m[1]))]);
    for (const [pattern, handler] of patterns) {
      const match = pattern.exec(rest);
      if (match) return handler(match);
    }
    const id = appIdOf(rest);
    if (method === 'GET') {
      if (id.endsWith('/*')) {
        const group = id.slice(0, -2) || '/';
        const apps = allApps(this.engine.root).filter((app) =>
          app.id.startsWith(group === '/' ? '/' : `${group}/`),
        );
        return sendJson(context.response, 200, { '*': apps.map((app) => this.appInfo(app, new Set())) });
      }
      const app = this.requireApp(id);
      const embed = new Set(context.query.getAll('embed').map((value) => value.replace(/^(apps|app)\./, '')));
      for (const always of ['counts', 'tasks', 'lastTaskFailure', 'deployments']) embed.add(always);
      return sendJson(context.response, 200, { app: this.appInfo(app, embed) });
    }
    if (method === 'PUT' || method === 'PATCH') {
      const body = await jsonBody(context);
      if (method === 'PATCH') this.requireApp(id);
      const version = this.engine.nextVersion();
      const partial = method === 'PATCH' || flag(context.query, 'partialUpdate', true);
      const { app, created } = this.nextApp(id, body, partial, version);
      const plan = await this.engine.deploy(putApp(this.engine.root, app, version), {
        force: flag(context.query, 'force', false),
      });
      return deploymentResult(context, plan, created ? 201 : 200, created ? `/v2/apps${id}` : undefined);
    }
    if (method === 'DELETE') {
      this.requireApp(id);
      // Marathon deletes with force=true unless told otherwise.
      const plan = await this.engine.deploy(removeApp(this.engine.root, id, this.engine.nextVersion()), {
        force: flag(context.query, 'force', true),
      });
      return deploymentResult(context, plan);
    }
    sendJson(context.response, 405, { message: `${method} not allowed` });
  }

  private requireApp(id: string): AppDefinition {
    const app = findApp(this.engine.root, id);
    if (!app) throw new ApiError(404, { message: `App '${id}' does not exist` });
    return app;
  }

  private appVersions(context: RouteContext, id: string): void {
    this.requireApp(id);
    sendJson(context.response, 200, { versions: this.engine.appVersionsOf(id) });
  }

  private appVersion(context: RouteContext, id: string, version: string): void {
    this.requireApp(id);
    const app = this.engine.appVersions.get(id)?.get(version);
    if (!app) throw new ApiError(404, { message: `App '${id}' does not exist in version ${version}` });
    sendJson(context.response, 200, appJson(app));
  }

  private async restart(context: RouteContext, id: string): Promise<void> {
    const app = this.requireApp(id);
    const version = this.engine.nextVersion();
    const restarted: AppDefinition = {
      ...app,
      version,
      versionInfo: { lastScalingAt: version, lastConfigChangeAt: version },
    };
    const plan = await this.engine.deploy(putApp(this.engine.root, restarted, version), {
      force: flag(context.query, 'force', false),
      restart: new Set([id]),
    });
    deploymentResult(context, plan);
  }

  private async appTasks(context: RouteContext, id: string): Promise<void> {
    const app = this.requireApp(id);
    if (context.method === 'GET') {
      return sendJson(context.response, 200, {
        tasks: this.engine.tasksOf(id).map((task) => this.taskJson(task)),
      });
    }
    if (context.method !== 'DELETE') return sendJson(context.response, 405, { message: 'not allowed' });
    const host = context.query.get('host');
    const tasks = this.engine.activeTasks(id).filter((task) => !host || host === '*' || task.host === host);
    await this.killTasks(context, new Map([[app.id, tasks]]), 'tasks');
  }

  private async appTask(context: RouteContext, id: string, taskId: string): Promise<void> {
    const app = this.requireApp(id);
    if (context.method !== 'DELETE') return sendJson(context.response, 405, { message: 'not allowed' });
    const task = this.engine
      .tasksOf(id)
      .find((candidate) => candidate.id === taskId || candidate.instanceId === taskId);
    if (!task || isTerminal(task.state))
      throw new ApiError(404, { message: `Task '${taskId}' does not exist` });
    await this.killTasks(context, new Map([[app.id, [task]]]), 'task');
  }

  /** Kill with `scale=true` is a deployment that lowers instances; without, tasks die and are replaced. */
  private async killTasks(
    context: RouteContext,
    byApp: Map<string, TaskRecord[]>,
    shape: 'tasks' | 'task',
  ): Promise<void> {
    const scale = flag(context.query, 'scale', false);
    const wipe = flag(context.query, 'wipe', false);
    if (scale && wipe)
      throw new ApiError(400, { message: 'You cannot use scale and wipe at the same time.' });
    if (scale) {
      const version = this.engine.nextVersion();
      let target = this.engine.root;
      const toKill: Record<string, string[]> = {};
      for (const [appId, tasks] of byApp) {
        const app = findApp(target, appId) as AppDefinition;
        const active = tasks.filter((task) => task.goal === 'Running' && !isTerminal(task.state));
        toKill[appId] = active.map((task) => task.instanceId);
        const scaled: AppDefinition = {
          ...app,
          instances: Math.max(0, app.instances - active.length),
          version,
          versionInfo: { ...app.versionInfo, lastScalingAt: version },
        };
        target = putApp(target, scaled, version);
      }
      const plan = await this.engine.deploy(target, { force: flag(context.query, 'force', false), toKill });
      for (const tasks of byApp.values()) for (const task of tasks) this.engine.killTask(task, true);
      return deploymentResult(context, plan);
    }
    const killed = [...byApp.values()].flat();
    for (const task of killed) this.engine.killTask(task, false);
    await this.engine.commit();
    if (shape === 'task') sendJson(context.response, 200, { task: this.taskJson(killed[0] as TaskRecord) });
    else sendJson(context.response, 200, { tasks: killed.map((task) => this.taskJson(task)) });
  }

  private listTasks(context: RouteContext): void {
    const statuses = [...context.query.getAll('status'), ...context.query.getAll('status[]')].map((s) =>
      s.toLowerCase(),
    );
    const tasks = [...this.engine.tasks.values()].filter((task) => {
      if (statuses.length === 0) return true;
      const state =
        task.state === 'TASK_RUNNING' ? 'running' : task.state === 'TASK_STAGING' ? 'staging' : 'other';
      return statuses.includes(state);
    });
    sendJson(context.response, 200, { tasks: tasks.map((task) => this.taskJson(task)) });
  }

  private async deleteTasks(context: RouteContext): Promise<void> {
    const body = await jsonBody(context);
    const ids = isRecord(body) && Array.isArray(body.ids) ? body.ids : undefined;
    if (!ids || !ids.every((id) => typeof id === 'string')) {
      throw invalid([{ path: '/ids', errors: ['error.expected.jsarray'] }]);
    }
    const byApp = new Map<string, TaskRecord[]>();
    for (const id of ids as string[]) {
      if (!/\.(instance-|marathon-)?[0-9a-f-]{8,}/.test(id) && !id.includes('.')) {
        throw new ApiError(400, { message: `Invalid task id '${id}'. [${id}]` });
      }
      const task = [...this.engine.tasks.values()].find((candidate) => candidate.id === id);
      if (!task) continue;
      byApp.set(task.appId, [...(byApp.get(task.appId) ?? []), task]);
    }
    await this.killTasks(context, byApp, 'tasks');
  }

  // ---- groups ----

  private async groups(context: RouteContext, rest: string): Promise<void> {
    const { method, query } = context;
    const versions = /^(.*?)\/versions(?:\/([^/]+))?$/.exec(rest);
    if (method === 'GET' && versions) {
      const group = this.requireGroup(appIdOf(versions[1] || '/'));
      if (!versions[2]) return sendJson(context.response, 200, [group.version]);
      if (decodeURIComponent(versions[2]) !== group.version) {
        throw new ApiError(404, { message: `Group '${group.id}' does not exist in version ${versions[2]}` });
      }
      return sendJson(context.response, 200, this.groupJson(group, new Set()));
    }
    const id = appIdOf(rest === '' ? '/' : rest);
    if (method === 'GET') {
      const embed = new Set(query.getAll('embed').map((value) => value.replace(/^group\.apps\./, '')));
      return sendJson(context.response, 200, this.groupJson(this.requireGroup(id), embed));
    }
    if (method === 'POST') return this.createGroup(context, id);
    if (method === 'PUT') return this.updateGroup(context, id);
    if (method === 'DELETE') {
      this.requireGroup(id);
      const target =
        id === '/'
          ? { ...this.engine.root, apps: [], groups: [], version: this.engine.nextVersion() }
          : removeGroup(this.engine.root, id, this.engine.nextVersion());
      const plan = await this.engine.deploy(target, { force: flag(query, 'force', false) });
      return deploymentResult(context, plan);
    }
    sendJson(context.response, 405, { message: `${method} not allowed` });
  }

  private requireGroup(id: string): Group {
    const group = findGroup(this.engine.root, id);
    if (!group) throw new ApiError(404, { message: `Group '${id}' does not exist` });
    return group;
  }

  private async createGroup(context: RouteContext, pathId: string): Promise<void> {
    const body = await jsonBody(context);
    const errors = validateGroup(body, { base: pathId });
    if (errors.length > 0) throw invalid(errors);
    const raw = body as Record<string, unknown>;
    const id = resolveId(typeof raw.id === 'string' ? raw.id : '', pathId);
    if (findGroup(this.engine.root, id) && id !== '/') {
      throw new ApiError(409, { message: `Group ${id} is already created. Use PUT to change this group.` });
    }
    const version = this.engine.nextVersion();
    const group = this.withServicePorts(normalizeGroup({ ...raw, id }, { version, parentId: '/' }));
    const plan = await this.engine.deploy(putGroup(this.engine.root, group, version), {
      force: flag(context.query, 'force', false),
    });
    deploymentResult(context, plan, 201, `/v2/groups${id}`);
  }

  private async updateGroup(context: RouteContext, id: string): Promise<void> {
    const body = await jsonBody(context);
    if (!isRecord(body)) throw invalid([{ path: '/', errors: ['error.expected.jsobject'] }]);
    const version = this.engine.nextVersion();
    const existing = findGroup(this.engine.root, id);
    let target: Group;
    if (typeof body.scaleBy === 'number') {
      if (!existing) throw new ApiError(404, { message: `Group '${id}' does not exist` });
      target = scaleGroup(this.engine.root, id, body.scaleBy, version);
    } else {
      const errors = validateGroup({ ...body, id });
      if (errors.length > 0) throw invalid(errors);
      const group = this.withServicePorts(normalizeGroup({ ...body, id }, { version, parentId: '/' }));
      target = putGroup(this.engine.root, group, version);
    }
    if (flag(context.query, 'dryRun', false)) {
      const plan = buildPlan(this.engine.root, target, { id: 'dry-run', version });
      return sendJson(context.response, 200, { steps: plan.steps });
    }
    const plan = await this.engine.deploy(target, { force: flag(context.query, 'force', false) });
    deploymentResult(context, plan, existing ? 200 : 201, existing ? undefined : `/v2/groups${id}`);
  }

  private withServicePorts(group: Group): Group {
    const used = this.usedServicePorts();
    const assign = (node: Group): Group => ({
      ...node,
      apps: node.apps.map((app) => {
        const existing = findApp(this.engine.root, app.id);
        const assigned = assignServicePorts(app, used);
        for (const port of servicePortsOf(assigned)) used.add(port);
        return withVersionInfo(existing, assigned);
      }),
      groups: node.groups.map(assign),
    });
    return assign(group);
  }

  // ---- deployments & queue ----

  private async deleteDeployment(context: RouteContext, id: string): Promise<void> {
    const deployment = this.engine.deployments.get(id);
    if (!deployment) throw new ApiError(404, { message: `DeploymentPlan ${id} does not exist` });
    if (flag(context.query, 'force', false)) {
      await this.engine.cancel(id);
      context.response.writeHead(202);
      context.response.end();
      return;
    }
    const version = this.engine.nextVersion();
    let target = revertPlan(deployment.plan, this.engine.root, version);
    // The restored definitions are a new change: like Marathon, give them a new version (newest first in /versions).
    for (const restored of allApps(target)) {
      const current = findApp(this.engine.root, restored.id);
      if (current?.version === restored.version) continue;
      const fresh = {
        ...restored,
        version,
        versionInfo: { lastScalingAt: version, lastConfigChangeAt: version },
      };
      target = putApp(target, withVersionInfo(current, fresh), version);
    }
    const plan = await this.engine.deploy(target, { force: true });
    deploymentResult(context, plan);
  }

  private resetDelay(context: RouteContext, appId: string): void {
    if (!this.engine.delays.has(appId)) {
      throw new ApiError(404, { message: `Application ${appId} not found in tasks queue.` });
    }
    this.engine.delays.delete(appId);
    context.response.writeHead(204);
    context.response.end();
  }

  private queue(): unknown[] {
    const now = this.engine.now().getTime();
    return allApps(this.engine.root).flatMap((app) => {
      const effective = this.engine.effectiveApp(app.id) ?? app;
      const missing = effective.instances - this.engine.activeTasks(app.id).length;
      if (missing <= 0) return [];
      const delay = this.engine.delays.get(app.id);
      const rejection = this.engine.rejections.get(app.id);
      const timeLeft = delay ? Math.max(0, Math.ceil((delay.until - now) / 1000)) : 0;
      return [
        {
          app: appJson(app),
          count: missing,
          role: app.role,
          delay: { timeLeftSeconds: timeLeft, overdue: timeLeft === 0 },
          since: delay?.since ?? app.versionInfo.lastScalingAt,
          processedOffersSummary: {
            processedOffersCount: rejection?.processed ?? 0,
            unusedOffersCount: rejection ? rejection.processed : 0,
            ...(rejection ? { lastUnusedOfferAt: rejection.at } : {}),
            rejectSummaryLastOffers: rejectSummary(rejection?.byAgent ?? {}),
          },
          ...(rejection
            ? { waitingReason: rejection.summary }
            : delay && timeLeft > 0
              ? { waitingReason: `backoff: next launch in ${timeLeft}s` }
              : {}),
        },
      ];
    });
  }

  // ---- JSON views ----

  deploymentJson(deployment: { plan: DeploymentPlan; currentStep: number }): Record<string, unknown> {
    const { plan, currentStep } = deployment;
    const current = plan.steps[currentStep - 1];
    return {
      id: plan.id,
      version: plan.version,
      affectedApps: plan.affectedApps,
      affectedPods: [],
      steps: plan.steps,
      currentActions: (current?.actions ?? []).map((action) => ({ ...action, readinessCheckResults: [] })),
      currentStep,
      totalSteps: plan.steps.length,
    };
  }

  taskJson(task: TaskRecord): Record<string, unknown> {
    const active = !isTerminal(task.state);
    return {
      appId: task.appId,
      id: task.id,
      host: task.host,
      slaveId: task.agentId,
      state: task.state,
      stagedAt: active ? task.stagedAt : undefined,
      startedAt: active ? (task.startedAt ?? undefined) : undefined,
      version: task.version,
      ports: task.ports,
      servicePorts: task.servicePorts,
      ipAddresses: [{ ipAddress: this.engine.agentIp(task.agentId), protocol: 'IPv4' }],
      ...(task.healthCheckResults.length > 0 ? { healthCheckResults: task.healthCheckResults } : {}),
      localVolumes: [],
      role: findApp(this.engine.root, task.appId)?.role ?? '*',
    };
  }

  /** `appInfo` without embedded tasks, as JSON text: the definition's cached text plus the live fields. */
  private appInfoText(app: AppDefinition, tasks: readonly TaskRecord[]): string {
    let view = this.jsonTexts.get(app);
    if (view === undefined) {
      view = JSON.stringify(this.appView(app));
      this.jsonTexts.set(app, view);
    }
    const live = JSON.stringify(this.liveFields(app, tasks));
    return view === '{}' ? live : `${view.slice(0, -1)},${live.slice(1)}`;
  }

  private liveFields(app: AppDefinition, tasks: readonly TaskRecord[]) {
    const hasChecks = (app.healthChecks?.length ?? 0) > 0;
    let staged = 0;
    let running = 0;
    let healthy = 0;
    let unhealthy = 0;
    for (const task of tasks) {
      if (task.state === 'TASK_STAGING' || task.state === 'TASK_STARTING') staged++;
      if (task.state === 'TASK_RUNNING') running++;
      if (hasChecks && this.engine.isHealthy(task, app)) healthy++;
      if (hasChecks && task.healthCheckResults.some((result) => !result.alive)) unhealthy++;
    }
    return {
      tasksStaged: staged,
      tasksRunning: running,
      tasksHealthy: healthy,
      tasksUnhealthy: unhealthy,
      deployments: this.engine.deploymentsOf(app.id),
    };
  }

  appInfo(app: AppDefinition, embed: ReadonlySet<string>): Record<string, unknown> {
    const tasks = this.engine.tasksOf(app.id);
    const info: Record<string, unknown> = { ...this.appView(app), ...this.liveFields(app, tasks) };
    if (embed.has('tasks') || embed.has('failures')) info.tasks = tasks.map((task) => this.taskJson(task));
    if (embed.has('lastTaskFailure') || embed.has('failures')) {
      const failure = this.engine.lastTaskFailure.get(app.id);
      if (failure) info.lastTaskFailure = failure;
    }
    return info;
  }

  groupJson(group: Group, embed: ReadonlySet<string>): Record<string, unknown> {
    return {
      id: group.id,
      apps: group.apps.map((app) => (embed.size > 0 ? this.appInfo(app, embed) : appJson(app))),
      groups: group.groups.map((child) => this.groupJson(child, embed)),
      pods: [],
      dependencies: group.dependencies,
      version: group.version,
      enforceRole: group.enforceRole ?? false,
    };
  }

  private usedServicePorts(exceptApp?: string): Set<number> {
    return new Set(
      allApps(this.engine.root)
        .filter((app) => app.id !== exceptApp)
        .flatMap(servicePortsOf)
        .filter((port) => port > 0),
    );
  }
}

/** Service ports an app holds: its port definitions, or its container port mappings' service ports. */
function servicePortsOf(app: AppDefinition): number[] {
  const mappings = (app.container?.portMappings ?? []) as Array<{ servicePort?: number }>;
  return [
    ...(app.portDefinitions ?? []).map((definition) => definition.port),
    ...mappings.map((mapping) => mapping.servicePort ?? 0),
  ];
}

/** `/v2/apps//foo/` and `foo` both mean `/foo`. */
function appIdOf(raw: string | undefined): string {
  const decoded = decodeURIComponent(raw ?? '/');
  const trimmed = decoded.replace(/\/+$/, '').replace(/^\/*/, '/');
  return trimmed === '' ? '/' : trimmed;
}

/** Marathon's label selector: `key`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`, comma = AND. */
export function matchesLabels(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(/,(?![^(]*\))/)
    .map((part) => part.trim())
    .filter(Boolean)
    .every((part) => {
      let match = /^([\w.-]+)\s*(==|!=)\s*(.*)$/.exec(part);
      if (match) {
        const [, key, op, value] = match as unknown as [string, string, string, string];
        return op === '==' ? labels[key] === value : labels[key] !== value;
      }
      match = /^([\w.-]+)\s+(in|notin)\s+\((.*)\)$/.exec(part);
      if (match) {
        const [, key, op, list] = match as unknown as [string, string, string, string];
        const values = list.split(',').map((value) => value.trim());
        const value = labels[key];
        const inside = value !== undefined && values.includes(value);
        return op === 'in' ? inside : !inside;
      }
      return labels[part] !== undefined;
    });
}
