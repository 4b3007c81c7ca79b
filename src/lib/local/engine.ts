import { randomUUID } from 'node:crypto';
import { realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { ensurePrivateDir, removeAtomicTempFiles } from '../fs-atomic.js';
import { EventBus } from './events.js';
import { HealthMonitor } from './executor/health.js';
import { killOrphans, TaskRunner } from './executor/process.js';
import { allApps, dependencyCycle, emptyRoot, findApp } from './marathon/groups.js';
import { appJson } from './marathon/normalize.js';
import { buildPlan, conflicts, planJson } from './marathon/plan.js';
import { createAgents } from './mesos/agents.js';
import { placeTask, type NoOfferMatchReason, type PlacedTask } from './mesos/placement.js';
import {
  loadState,
  recordedTaskGroups,
  StateWriter,
  type PersistedDeployment,
  type PersistedState,
  type SaveState,
} from './state-store.js';
import type {
  AgentSpec,
  AppDefinition,
  DeploymentPlan,
  Group,
  HealthResult,
  MesosTaskState,
  TaskRecord,
} from './types.js';

/** A failure a Marathon API call answers with: the exact status and JSON body Marathon would send. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? `HTTP ${status}`));
  }
}

export interface EngineOptions {
  dir: string;
  agents: number;
  maxTasks: number;
  /** Where the master answers (for Mesos state and `/v2/info`). */
  host: string;
  port: number;
  now?: () => Date;
  tickMs?: number;
  /** The token the cluster's API wants, handed to tasks as DCOS_LOCAL_TOKEN. */
  token?: string;
  /** How the state file is written (default: `saveState`); tests inject slow or failing writers. */
  saveState?: SaveState;
}

export interface DeployOptions {
  force?: boolean;
  restart?: ReadonlySet<string>;
  toKill?: Record<string, string[]>;
}

export interface Deployment {
  plan: DeploymentPlan;
  /** 1-based index of the step being executed; 0 before the first step starts. */
  currentStep: number;
  /** On disk: only then does the scheduler act on it. */
  durable: boolean;
}

interface LaunchDelay {
  failures: number;
  until: number;
  since: string;
}

export interface Rejection {
  reasons: Record<string, string>;
  /** Marathon's reject reasons per agent, for the queue's processedOffersSummary. */
  byAgent: Record<string, NoOfferMatchReason[]>;
  summary: string;
  processed: number;
  at: string;
}

const TERMINAL: ReadonlySet<MesosTaskState> = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_GONE',
  'TASK_DROPPED',
]);
const KEEP_TERMINAL = 200;

export function isTerminal(state: MesosTaskState): boolean {
  return TERMINAL.has(state);
}

/** Marathon's task id: `<app path with / as _>.instance-<uuid>._app.<incarnation>`. */
export function newTaskId(appId: string): { taskId: string; instanceId: string } {
  const instanceId = `${appId.replace(/^\//, '').replace(/\//g, '_')}.instance-${randomUUID()}`;
  return { taskId: `${instanceId}._app.1`, instanceId };
}

/**
 * The local cluster's brain: Marathon's root group and deployments, Mesos' agents and tasks. Every change
 * goes through `deploy`; a periodic `tick` moves deployments forward and makes tasks match the apps.
 *
 * Durability: `deploy` (and every other change an API call makes) resolves only once the change is in the
 * state file, written with group commit (see StateWriter). The scheduler acts only on what is on disk
 * (`durableRoot` and durable deployments), so no task runs for a change a crash could still undo. When a write
 * fails, the apps, groups and deployments go back to what the last good write holds and every change not yet
 * written fails with 503: memory never claims what the disk does not have.
 */
export class Engine {
  readonly events: EventBus;
  readonly agents: AgentSpec[];
  readonly now: () => Date;
  clusterId: string = randomUUID();
  frameworkId = `${randomUUID()}-0000`;
  /** The accepted root group: what the API shows and validates against. */
  root: Group;
  /** The root group of the last write that landed: what the scheduler runs. */
  private durableRoot: Group;
  /** The last state that landed on disk; a failed write brings the apps and deployments back to it. */
  private lastWritten: PersistedState | undefined;
  readonly appVersions = new Map<string, Map<string, AppDefinition>>();
  readonly deployments = new Map<string, Deployment>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly terminal: TaskRecord[] = [];
  readonly delays = new Map<string, LaunchDelay>();
  readonly rejections = new Map<string, Rejection>();
  readonly lastTaskFailure = new Map<string, Record<string, unknown>>();
  readonly startedAt: Date;
  private readonly runner: TaskRunner;
  private readonly health: HealthMonitor;
  private readonly writer: StateWriter;
  private timer: NodeJS.Timeout | undefined;
  private lastVersion = 0;
  private ticking = false;
  /** The state directory, canonical: every task carries it as DCOS_LOCAL_DIR. */
  private stateDir: string;
  /** Set once `stop` begins: nothing is scheduled or launched any more, so killed tasks stay dead. */
  private stopping = false;
  /**
   * Set once `start` has restored and written the state. The HTTP server listens before that: a change accepted
   * earlier would be written over an empty root, then lost when the saved state is restored.
   */
  private started = false;

  constructor(private readonly options: EngineOptions) {
    this.now = options.now ?? (() => new Date());
    this.stateDir = options.dir;
    this.startedAt = this.now();
    this.events = new EventBus(this.now);
    this.root = emptyRoot(this.nextVersion());
    this.durableRoot = this.root;
    this.agents = [];
    this.writer = new StateWriter(options.dir, {
      snapshot: () => this.snapshot(),
      ...(options.saveState ? { save: options.saveState } : {}),
      onSaved: (state) => this.onSaved(state),
      onFailed: () => this.onWriteFailed(),
    });
    this.runner = new TaskRunner({
      onStatus: (taskId, state, message) => this.onStatus(taskId, state, message),
      onPid: (taskId, pgid) => {
        const task = this.tasks.get(taskId);
        if (task) {
          task.pgid = pgid;
          this.persist();
        }
      },
    });
    this.health = new HealthMonitor({
      onResult: (taskId, results, alive) => this.onHealth(taskId, results, alive),
      onUnhealthy: (taskId, cause) => this.onUnhealthy(taskId, cause),
      now: this.now,
    });
  }

  get dir(): string {
    return this.options.dir;
  }

  get maxTasks(): number {
    return this.options.maxTasks;
  }

  get masterAddress(): { host: string; port: number } {
    return { host: this.options.host, port: this.options.port };
  }

  setPort(port: number): void {
    this.options.port = port;
  }

  /**
   * Loads saved state, cleans up what a killed daemon left behind (task processes, temp files of an interrupted
   * write), and starts scheduling. Nothing of ours is legitimately running yet: every process carrying this
   * directory's DCOS_LOCAL_DIR goes, and the saved apps are relaunched.
   */
  async start(): Promise<{ orphansKilled: number }> {
    const { dir } = this.options;
    await ensurePrivateDir(dir);
    this.stateDir = await realpath(dir);
    await removeAtomicTempFiles(dir);
    const saved = await loadState(dir);
    if (saved) {
      this.clusterId = saved.clusterId;
      this.frameworkId = saved.frameworkId;
      this.restoreDesired(saved);
      this.lastVersion = Date.parse(saved.root.version) || 0;
    }
    const orphansKilled = await killOrphans({ stateDir: this.stateDir, records: recordedTaskGroups(saved) });
    this.durableRoot = this.root;
    this.lastWritten = this.snapshot();
    this.agents.splice(
      0,
      this.agents.length,
      ...createAgents(this.options.agents, { clusterId: this.clusterId }),
    );
    // A state directory we cannot write to fails the start, not every later request.
    await this.writer.commit();
    this.started = true;
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 250);
    void this.tick();
    return { orphansKilled };
  }

  /** Stops every task (no orphans) and writes the state, so the next start relaunches them. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.health.stopAll();
    const alive = [...this.tasks.values()];
    // What comes back on the next start is decided by the apps; the records only serve orphan cleanup.
    await this.runner.killAll();
    for (const task of alive) this.tasks.delete(task.id);
    this.persist();
    await this.writer.flush();
    this.events.close();
  }

  /** A strictly increasing ISO timestamp: versions double as ids, so two changes in one millisecond must differ. */
  nextVersion(): string {
    const now = Math.max(this.now().getTime(), this.lastVersion + 1);
    this.lastVersion = now;
    return new Date(now).toISOString();
  }

  /** The apps, groups and deployments of `saved` (what the API and the scheduler follow); tasks are left alone. */
  private restoreDesired(saved: PersistedState): void {
    this.root = saved.root;
    this.appVersions.clear();
    for (const [appId, versions] of Object.entries(saved.appVersions)) {
      this.appVersions.set(appId, new Map(Object.entries(versions)));
    }
    this.deployments.clear();
    for (const { plan, currentStep } of saved.deployments) {
      this.deployments.set(plan.id, { plan, currentStep, durable: true });
    }
  }

  snapshot(): PersistedState {
    const appVersions: PersistedState['appVersions'] = {};
    for (const [appId, versions] of this.appVersions) appVersions[appId] = Object.fromEntries(versions);
    const deployments: PersistedDeployment[] = [...this.deployments.values()].map(
      ({ plan, currentStep }) => ({
        plan,
        currentStep,
      }),
    );
    return {
      format: 1,
      clusterId: this.clusterId,
      frameworkId: this.frameworkId,
      root: this.root,
      appVersions,
      deployments,
      tasks: [...this.tasks.values()],
    };
  }

  /** Writes the state soon, without anyone waiting: task and deployment progress. */
  persist(): void {
    this.writer.schedule();
  }

  /** Resolves once every change made so far is on disk; a failed write is Marathon's 503 (nothing was applied). */
  async commit(): Promise<void> {
    try {
      await this.writer.commit();
    } catch (error) {
      throw new ApiError(503, {
        message: `dcos local could not write its state to ${this.options.dir} (${(error as Error).message}); the change was not applied`,
      });
    }
  }

  async flush(): Promise<void> {
    await this.writer.flush();
  }

  /** How many state writes have landed (for tests and benchmarks of group commit). */
  get stateWrites(): number {
    return this.writer.writes;
  }

  private onSaved(state: PersistedState): void {
    this.lastWritten = state;
    let changed = state.root !== this.durableRoot;
    this.durableRoot = state.root;
    for (const { plan } of state.deployments) {
      const deployment = this.deployments.get(plan.id);
      if (deployment && !deployment.durable) {
        deployment.durable = true;
        changed = true;
      }
    }
    if (changed) setImmediate(() => void this.tick());
  }

  private onWriteFailed(): void {
    if (this.lastWritten) this.restoreDesired(this.lastWritten);
  }

  private durableDeployments(): Deployment[] {
    return [...this.deployments.values()].filter((deployment) => deployment.durable);
  }

  // ---- deployments -------------------------------------------------------------------------------

  /**
   * Replace the root group with `target` as one deployment; resolves once it is on disk, then announces it.
   * Refused with Marathon's 409 when it touches apps a running deployment holds, unless `force` cancels those.
   * Validation and the change itself happen before the first await, so concurrent calls see each other's changes.
   */
  async deploy(target: Group, options: DeployOptions = {}): Promise<DeploymentPlan> {
    this.requireStarted();
    // Invalid targets are refused before locks are looked at, as Marathon validates first.
    this.checkTaskCap(target);
    if (dependencyCycle(target)) {
      throw new ApiError(422, { message: 'Dependency graph has cyclic dependencies.' });
    }
    const version = target.version;
    const plan = buildPlan(this.root, target, {
      id: randomUUID(),
      version,
      ...(options.restart ? { restart: options.restart } : {}),
      ...(options.toKill ? { toKill: options.toKill } : {}),
    });
    const blocking = conflicts(
      plan,
      [...this.deployments.values()].map((deployment) => deployment.plan),
    );
    if (blocking.length > 0 && !options.force) {
      throw new ApiError(409, {
        message:
          "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
        deployments: blocking.map((deployment) => ({ id: deployment.id })),
      });
    }
    const canceled = blocking.flatMap((blocked) => this.withdraw(blocked.id) ?? []);
    this.root = target;
    for (const app of allApps(target)) this.rememberVersion(app);
    // A plan without steps is done at once: it never shows in /v2/deployments.
    if (plan.steps.length > 0) this.deployments.set(plan.id, { plan, currentStep: 1, durable: false });
    await this.commit();
    for (const deployment of canceled) this.announceCanceled(deployment, 'canceled by a forced deployment');
    this.events.publish('group_change_success', { groupId: '/', version });
    if (plan.steps.length === 0) {
      this.events.publish('deployment_success', { id: plan.id, plan: planJson(plan) });
    } else {
      this.events.publish('deployment_info', { plan: planJson(plan), currentStep: plan.steps[0] });
    }
    return plan;
  }

  /** `DELETE /v2/deployments/{id}?force=true`: stop following the plan, leave things as they are. */
  async cancel(id: string, reason = 'canceled'): Promise<void> {
    this.requireStarted();
    const deployment = this.withdraw(id);
    if (!deployment) return;
    await this.commit();
    this.announceCanceled(deployment, reason);
  }

  private requireStarted(): void {
    if (!this.started) {
      throw new ApiError(503, { message: 'dcos local is still starting; try again in a moment' });
    }
  }

  private withdraw(id: string): Deployment | undefined {
    const deployment = this.deployments.get(id);
    this.deployments.delete(id);
    return deployment;
  }

  private announceCanceled(deployment: Deployment, reason: string): void {
    const { plan } = deployment;
    this.events.publish('deployment_failed', { id: plan.id, plan: planJson(plan), reason });
  }

  private finish(deployment: Deployment): void {
    this.deployments.delete(deployment.plan.id);
    this.events.publish('deployment_success', { id: deployment.plan.id, plan: planJson(deployment.plan) });
    this.persist();
  }

  private checkTaskCap(target: Group): void {
    const wanted = allApps(target).reduce((sum, app) => sum + app.instances, 0);
    if (wanted > this.options.maxTasks) {
      throw new ApiError(422, {
        message: 'Object is not valid',
        details: [
          {
            path: '/instances',
            errors: [
              `dcos local runs at most ${this.options.maxTasks} tasks and this change asks for ${wanted}; ` +
                'lower the instances or restart dcos local with a larger --max-tasks',
            ],
          },
        ],
      });
    }
  }

  private rememberVersion(app: AppDefinition): void {
    let versions = this.appVersions.get(app.id);
    if (!versions) {
      versions = new Map();
      this.appVersions.set(app.id, versions);
    }
    if (!versions.has(app.version)) versions.set(app.version, app);
  }

  /**
   * The app a task should run right now, from what is on disk: deployments hold an app at its old definition
   * until its step.
   */
  effectiveApp(appId: string): AppDefinition | undefined {
    const target = findApp(this.durableRoot, appId);
    for (const { plan, currentStep } of this.durableDeployments()) {
      let lastStep = -1;
      plan.steps.forEach((step, index) => {
        if (step.actions.some((action) => action.app === appId && action.action !== 'StartApplication')) {
          lastStep = index;
        }
      });
      if (lastStep === -1 || currentStep >= lastStep + 1) continue;
      const original = findApp(plan.original, appId);
      if (original) return original;
      return target ? { ...target, instances: 0 } : undefined;
    }
    return target;
  }

  // ---- tasks -----------------------------------------------------------------------------------

  activeTasks(appId?: string): TaskRecord[] {
    return [...this.tasks.values()].filter(
      (task) =>
        (appId === undefined || task.appId === appId) &&
        task.goal === 'Running' &&
        !isTerminal(task.state) &&
        task.state !== 'TASK_KILLING',
    );
  }

  tasksOf(appId: string): TaskRecord[] {
    return [...this.tasks.values()].filter((task) => task.appId === appId);
  }

  /** Every app's tasks in one pass (a per-app `tasksOf` over a big list would be quadratic). */
  tasksByApp(): Map<string, TaskRecord[]> {
    const byApp = new Map<string, TaskRecord[]>();
    for (const task of this.tasks.values()) {
      const list = byApp.get(task.appId);
      if (list) list.push(task);
      else byApp.set(task.appId, [task]);
    }
    return byApp;
  }

  isHealthy(task: TaskRecord, app: AppDefinition | undefined): boolean {
    if (task.state !== 'TASK_RUNNING') return false;
    if (!app?.healthChecks?.length) return true;
    return task.healthCheckResults.length > 0 && task.healthCheckResults.every((result) => result.alive);
  }

  /** Kills tasks; with `decommission` they are not replaced (scale down, app removal). */
  killTask(task: TaskRecord, decommission: boolean): void {
    if (isTerminal(task.state)) return;
    if (decommission) task.goal = 'Decommissioned';
    if (task.state === 'TASK_KILLING') return;
    task.state = 'TASK_KILLING';
    this.health.unwatch(task.id);
    this.recordStatus(task, 'TASK_KILLING');
    const grace = (findApp(this.root, task.appId)?.taskKillGracePeriodSeconds ?? 3) * 1000;
    void this.runner.kill(task.id, grace).then(() => {
      // A task killed before its process started never reports; close it here.
      if (!isTerminal(task.state)) this.onStatus(task.id, 'TASK_KILLED');
    });
    this.persist();
  }

  private recordStatus(task: TaskRecord, state: MesosTaskState, message?: string): void {
    const status = { state, timestamp: this.now().getTime() / 1000, ...(message ? { message } : {}) };
    task.statuses.push(status);
    if (task.statuses.length > 20) task.statuses.splice(0, task.statuses.length - 20);
  }

  private onStatus(taskId: string, state: MesosTaskState, message?: string): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    if (isTerminal(task.state)) return;
    const killing = task.state === 'TASK_KILLING';
    // A process we were killing may still report RUNNING on its way out; keep it KILLING.
    if (killing && !isTerminal(state)) return;
    task.state = state;
    this.recordStatus(task, state, message);
    const app = findApp(this.root, task.appId);
    if (state === 'TASK_RUNNING') {
      task.startedAt = this.now().toISOString();
      if (app?.healthChecks?.length) {
        this.health.watch(
          {
            taskId: task.id,
            instanceId: task.instanceId,
            host: task.host,
            ports: task.ports,
            startedAt: this.now(),
            sandbox: task.sandbox,
            env: this.taskEnv(app),
          },
          app.healthChecks,
        );
      }
    }
    if (isTerminal(state)) {
      this.health.unwatch(task.id);
      this.tasks.delete(task.id);
      this.terminal.push(task);
      if (this.terminal.length > KEEP_TERMINAL) {
        // Like the Mesos agent's sandbox GC: a crash-looping app must not fill the disk with old sandboxes.
        for (const evicted of this.terminal.splice(0, this.terminal.length - KEEP_TERMINAL)) {
          void rm(evicted.sandbox, { recursive: true, force: true }).catch(() => undefined);
        }
      }
      if (!killing && state !== 'TASK_KILLED' && task.goal === 'Running')
        this.recordFailure(task, state, message);
    }
    this.events.publish('status_update_event', {
      slaveId: task.agentId,
      taskId: task.id,
      taskStatus: state,
      message: message ?? '',
      appId: task.appId,
      host: task.host,
      ipAddresses: [{ ipAddress: this.agentIp(task.agentId), protocol: 'IPv4' }],
      ports: task.ports,
      version: task.version,
    });
    this.events.publish('instance_changed_event', {
      instanceId: task.instanceId,
      condition: conditionOf(state),
      runSpecId: task.appId,
      agentId: task.agentId,
      host: task.host,
      runSpecVersion: task.version,
    });
    this.persist();
    setImmediate(() => void this.tick());
  }

  /** Marathon's launch backoff: each unexpected exit multiplies the delay, up to maxLaunchDelaySeconds. */
  private recordFailure(task: TaskRecord, state: MesosTaskState, message?: string): void {
    const app = findApp(this.root, task.appId);
    if (!app) return;
    const previous = this.delays.get(app.id);
    const failures = (previous?.failures ?? 0) + 1;
    const delaySeconds = Math.min(
      app.backoffSeconds * app.backoffFactor ** (failures - 1),
      app.maxLaunchDelaySeconds,
    );
    this.delays.set(app.id, {
      failures,
      until: this.now().getTime() + delaySeconds * 1000,
      since: previous?.since ?? this.now().toISOString(),
    });
    this.lastTaskFailure.set(app.id, {
      appId: app.id,
      host: task.host,
      message: message ?? '',
      state,
      taskId: task.id,
      timestamp: this.now().toISOString(),
      version: task.version,
      slaveId: task.agentId,
    });
  }

  private onHealth(taskId: string, results: HealthResult[], alive: boolean | undefined): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    const before =
      task.healthCheckResults.every((result) => result.alive) && task.healthCheckResults.length > 0;
    task.healthCheckResults = results;
    const after = alive === true;
    if (before !== after) {
      this.events.publish('health_status_changed_event', {
        appId: task.appId,
        instanceId: task.instanceId,
        version: task.version,
        alive: after,
      });
      this.events.publish('instance_health_changed_event', {
        instanceId: task.instanceId,
        runSpecId: task.appId,
        healthy: alive ?? null,
        runSpecVersion: task.version,
      });
      setImmediate(() => void this.tick());
    }
  }

  private onUnhealthy(taskId: string, cause: string): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    this.events.publish('unhealthy_instance_kill_event', {
      appId: task.appId,
      taskId: task.id,
      instanceId: task.instanceId,
      version: task.version,
      reason: cause,
      host: task.host,
      slaveId: task.agentId,
    });
    // Replaced, not decommissioned: the instance count stays and the scheduler launches a new task.
    this.killTask(task, false);
  }

  agentIp(agentId: string): string {
    return this.agents.find((agent) => agent.id === agentId)?.ip ?? '127.0.0.1';
  }

  taskEnv(app: AppDefinition): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(app.env ?? {})) if (typeof value === 'string') env[key] = value;
    return env;
  }

  // ---- scheduling ------------------------------------------------------------------------------

  /** One scheduling round: advance deployments, then make each app's tasks match what it should run. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    try {
      this.advanceDeployments();
      const apps = allApps(this.durableRoot);
      const known = new Set(apps.map((app) => app.id));
      for (const task of this.tasks.values()) {
        if (!known.has(task.appId)) this.killTask(task, true);
      }
      for (const app of apps) this.reconcile(app.id);
    } finally {
      this.ticking = false;
    }
  }

  private advanceDeployments(): void {
    for (const deployment of this.durableDeployments()) {
      const { plan } = deployment;
      while (deployment.currentStep >= 1 && deployment.currentStep <= plan.steps.length) {
        const step = plan.steps[deployment.currentStep - 1];
        if (!step || !step.actions.every((action) => this.actionDone(action.action, action.app))) break;
        this.events.publish('deployment_step_success', { plan: planJson(plan), currentStep: step });
        deployment.currentStep++;
        const next = plan.steps[deployment.currentStep - 1];
        if (next) this.events.publish('deployment_info', { plan: planJson(plan), currentStep: next });
        this.persist();
      }
      if (deployment.currentStep > plan.steps.length) this.finish(deployment);
    }
  }

  private actionDone(action: string, appId: string): boolean {
    if (action === 'StartApplication') return true;
    const all = this.tasksOf(appId);
    if (action === 'StopApplication') {
      const done = all.length === 0;
      if (done) this.events.publish('app_terminated_event', { appId });
      return done;
    }
    const app = findApp(this.durableRoot, appId);
    if (!app) return true;
    const active = this.activeTasks(appId);
    if (all.length !== active.length) return false;
    return (
      active.length === app.instances &&
      active.every(
        (task) => task.configVersion === app.versionInfo.lastConfigChangeAt && this.isHealthy(task, app),
      )
    );
  }

  private reconcile(appId: string): void {
    const app = this.effectiveApp(appId);
    if (!app) return;
    const active = this.activeTasks(appId);
    const configVersion = app.versionInfo.lastConfigChangeAt;
    const stale = active.filter((task) => task.configVersion !== configVersion);
    const fresh = active.filter((task) => task.configVersion === configVersion);
    const wanted = app.instances;
    if (stale.length === 0) {
      if (fresh.length > wanted) this.killSurplus(app, fresh, fresh.length - wanted);
      else this.launch(app, wanted - fresh.length);
      return;
    }
    this.rollingRestart(app, stale, fresh);
  }

  /** Marathon's TaskReplaceActor: replace old-config tasks within minimumHealthCapacity/maximumOverCapacity. */
  private rollingRestart(app: AppDefinition, stale: TaskRecord[], fresh: TaskRecord[]): void {
    const wanted = app.instances;
    const { minimumHealthCapacity, maximumOverCapacity } = app.upgradeStrategy;
    const minHealthy = Math.ceil(wanted * minimumHealthCapacity);
    let maxCapacity = Math.floor(wanted * (1 + maximumOverCapacity));
    let current = stale.length + fresh.length;
    // With no room to spare, a non-resident app may go one over so the restart can make progress.
    if (minHealthy === maxCapacity && current >= maxCapacity) maxCapacity += 1;
    const healthy = (task: TaskRecord) => this.isHealthy(task, app);
    // Old tasks that are not healthy keep nobody up: they go at once.
    for (const task of stale.filter((candidate) => !healthy(candidate))) {
      this.killTask(task, true);
      current--;
    }
    let healthyNow = stale.filter(healthy).length + fresh.filter(healthy).length;
    const oldestFirst = stale.filter(healthy).sort((a, b) => a.stagedAt.localeCompare(b.stagedAt));
    for (const task of oldestFirst) {
      if (healthyNow - 1 < minHealthy && current <= maxCapacity) break;
      this.killTask(task, true);
      healthyNow--;
      current--;
    }
    this.launch(app, Math.min(wanted - fresh.length, maxCapacity - current));
  }

  private killSurplus(app: AppDefinition, tasks: TaskRecord[], count: number): void {
    const sentenced = new Set(
      this.durableDeployments().flatMap((deployment) => deployment.plan.toKill?.[app.id] ?? []),
    );
    const ordered = [...tasks].sort((a, b) => {
      const chosen = Number(sentenced.has(b.instanceId)) - Number(sentenced.has(a.instanceId));
      if (chosen !== 0) return chosen;
      const age = a.stagedAt.localeCompare(b.stagedAt);
      return app.killSelection === 'OLDEST_FIRST' ? age : -age;
    });
    for (const task of ordered.slice(0, count)) this.killTask(task, true);
  }

  private launch(app: AppDefinition, count: number): void {
    if (count <= 0 || this.stopping) return;
    const delay = this.delays.get(app.id);
    if (delay && delay.until > this.now().getTime()) return;
    for (let launched = 0; launched < count; launched++) {
      const placed: PlacedTask[] = [...this.tasks.values()].map((task) => ({
        appId: task.appId,
        agentId: task.agentId,
        cpus: task.cpus,
        mem: task.mem,
        disk: task.disk,
        gpus: task.gpus,
        ports: task.ports,
      }));
      const portCount = app.portDefinitions?.length ?? 0;
      const placement = placeTask(
        {
          appId: app.id,
          cpus: app.cpus,
          mem: app.mem,
          disk: app.disk,
          gpus: app.gpus,
          portCount,
          requirePorts: app.requirePorts,
          requestedPorts: (app.portDefinitions ?? []).map((definition) => definition.port),
          constraints: app.constraints ?? [],
          ...(app.acceptedResourceRoles ? { acceptedResourceRoles: app.acceptedResourceRoles } : {}),
        },
        this.agents,
        placed,
      );
      const previous = this.rejections.get(app.id);
      if (!placement.ok) {
        this.rejections.set(app.id, {
          reasons: placement.reasons,
          byAgent: placement.rejections,
          summary: placement.reason,
          processed: (previous?.processed ?? 0) + 1,
          at: this.now().toISOString(),
        });
        return;
      }
      this.rejections.delete(app.id);
      this.startTask(app, placement.agentId, placement.ports);
    }
  }

  private startTask(app: AppDefinition, agentId: string, ports: number[]): void {
    const agent = this.agents.find((candidate) => candidate.id === agentId) as AgentSpec;
    const { taskId, instanceId } = newTaskId(app.id);
    const sandbox = join(
      this.options.dir,
      'work',
      'slaves',
      agentId,
      'frameworks',
      this.frameworkId,
      'executors',
      taskId,
      'runs',
      randomUUID(),
    );
    const task: TaskRecord = {
      id: taskId,
      instanceId,
      appId: app.id,
      version: app.version,
      configVersion: app.versionInfo.lastConfigChangeAt,
      agentId,
      host: agent.hostname,
      ports,
      servicePorts: (app.portDefinitions ?? []).map((definition) => definition.port),
      state: 'TASK_STAGING',
      stagedAt: this.now().toISOString(),
      startedAt: null,
      statuses: [],
      sandbox,
      cpus: app.cpus,
      mem: app.mem,
      disk: app.disk,
      gpus: app.gpus,
      healthCheckResults: [],
      goal: 'Running',
    };
    this.recordStatus(task, 'TASK_STAGING');
    this.tasks.set(taskId, task);
    this.runner.launch({
      taskId,
      appId: app.id,
      version: app.version,
      ...(app.cmd !== undefined ? { cmd: app.cmd } : {}),
      ...(app.args !== undefined ? { args: app.args } : {}),
      env: this.taskEnv(app),
      sandbox,
      ...(app.fetch ? { fetch: app.fetch } : {}),
      ...(app.container ? { container: app.container } : {}),
      host: agent.ip,
      ports,
      portNames: (app.portDefinitions ?? []).map((definition) => definition.name),
      requestedPorts: (app.portDefinitions ?? []).map((definition) => definition.port),
      resources: { cpus: app.cpus, mem: app.mem, disk: app.disk, gpus: app.gpus },
      labels: app.labels,
      clusterUrl: `http://${this.options.host}:${this.options.port}`,
      ...(this.options.token ? { clusterToken: this.options.token } : {}),
      stateDir: this.stateDir,
    });
    this.persist();
  }

  // ---- views -----------------------------------------------------------------------------------

  deploymentsOf(appId: string): Array<{ id: string }> {
    return [...this.deployments.values()]
      .filter((deployment) => deployment.plan.affectedApps.includes(appId))
      .map((deployment) => ({ id: deployment.plan.id }));
  }

  appVersionsOf(appId: string): string[] {
    return [...(this.appVersions.get(appId)?.keys() ?? [])].sort().reverse();
  }

  appJson(app: AppDefinition): Record<string, unknown> {
    return appJson(app);
  }
}

function conditionOf(state: MesosTaskState): string {
  const conditions: Record<string, string> = {
    TASK_STAGING: 'Staging',
    TASK_STARTING: 'Starting',
    TASK_RUNNING: 'Running',
    TASK_KILLING: 'Killing',
    TASK_FINISHED: 'Finished',
    TASK_FAILED: 'Failed',
    TASK_KILLED: 'Killed',
    TASK_ERROR: 'Error',
    TASK_LOST: 'Unknown',
    TASK_GONE: 'Gone',
    TASK_DROPPED: 'Dropped',
  };
  return conditions[state] ?? 'Unknown';
}
