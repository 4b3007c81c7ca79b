/**
 * Shared shapes of the `dcos local` cluster. Marathon objects keep Marathon's JSON field names so they can be
 * served as they are; runtime objects (instances, agents) are ours.
 */

export interface PortDefinition {
  port: number;
  protocol: string;
  name?: string;
  labels?: Record<string, string>;
}

export type HealthCheckProtocol =
  'HTTP' | 'HTTPS' | 'TCP' | 'COMMAND' | 'MESOS_HTTP' | 'MESOS_HTTPS' | 'MESOS_TCP';

export interface HealthCheck {
  protocol: HealthCheckProtocol;
  path?: string;
  portIndex?: number;
  port?: number;
  command?: { value: string };
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  delaySeconds?: number;
  ignoreHttp1xx?: boolean;
  /** `IPv4` (default, not written) or `IPv6`; kept when given. */
  ipProtocol?: string;
}

export interface FetchUri {
  uri: string;
  extract?: boolean;
  executable?: boolean;
  cache?: boolean;
  destPath?: string;
}

export interface UpgradeStrategy {
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
}

/** A normalised Marathon app definition (defaults applied, ids absolute), as `GET /v2/apps/{id}/versions/{v}` shows it. */
export interface AppDefinition {
  id: string;
  cmd?: string;
  args?: string[];
  user?: string;
  env?: Record<string, string | { secret: string }>;
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  executor: string;
  constraints?: string[][];
  fetch?: FetchUri[];
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
  container?: Record<string, unknown> & { type?: string; docker?: Record<string, unknown> };
  healthChecks?: HealthCheck[];
  readinessChecks?: unknown[];
  dependencies?: string[];
  upgradeStrategy: UpgradeStrategy;
  unreachableStrategy: unknown;
  killSelection: 'YOUNGEST_FIRST' | 'OLDEST_FIRST';
  labels: Record<string, string>;
  requirePorts: boolean;
  portDefinitions?: PortDefinition[];
  networks: Array<{ mode: string; name?: string; labels?: Record<string, string> }>;
  acceptedResourceRoles?: string[];
  taskKillGracePeriodSeconds?: number;
  role: string;
  version: string;
  versionInfo: { lastScalingAt: string; lastConfigChangeAt: string };
  /** Marathon fields we keep and echo but do not act on (secrets, ipAddress, residency, ...). */
  [field: string]: unknown;
}

export interface Group {
  id: string;
  apps: AppDefinition[];
  groups: Group[];
  pods: unknown[];
  dependencies: string[];
  version: string;
  enforceRole?: boolean;
}

export type PlanActionType =
  'StartApplication' | 'StopApplication' | 'ScaleApplication' | 'RestartApplication';

export interface PlanAction {
  action: PlanActionType;
  app: string;
}

export interface PlanStep {
  actions: PlanAction[];
}

/** A deployment: the change from `original` to `target`, cut into ordered steps. */
export interface DeploymentPlan {
  id: string;
  version: string;
  original: Group;
  target: Group;
  steps: PlanStep[];
  affectedApps: string[];
  /** Instances a `kill --scale` sentenced, by app id: they are the ones removed when scaling down. */
  toKill?: Record<string, string[]>;
}

/** One Marathon validation failure, as in a 422 body's `details[]`. */
export interface FieldError {
  path: string;
  errors: string[];
}

export type MesosTaskState =
  | 'TASK_STAGING'
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_KILLING'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_KILLED'
  | 'TASK_ERROR'
  | 'TASK_LOST'
  | 'TASK_GONE'
  | 'TASK_DROPPED';

export interface AgentSpec {
  /** Mesos agent id, e.g. `6a2c3f9e-...-S0`. */
  id: string;
  /** Loopback address the agent's tasks are reached at, e.g. 127.0.0.2. */
  ip: string;
  hostname: string;
  port: number;
  attributes: Record<string, string | number>;
  resources: { cpus: number; mem: number; disk: number; gpus: number; ports: Array<[number, number]> };
}

export interface HealthResult {
  alive: boolean;
  consecutiveFailures: number;
  firstSuccess: string | null;
  lastSuccess: string | null;
  lastFailure: string | null;
  lastFailureCause: string | null;
  instanceId: string;
}

export interface TaskStatus {
  state: MesosTaskState;
  /** Seconds since the epoch, as Mesos writes it. */
  timestamp: number;
  message?: string;
  healthy?: boolean;
}

/** A task the local cluster launched (one per Marathon instance). */
export interface TaskRecord {
  id: string;
  instanceId: string;
  appId: string;
  /** The app version the task runs. */
  version: string;
  /** The app's `versionInfo.lastConfigChangeAt` at launch: tasks with an older one are replaced on restart. */
  configVersion?: string;
  agentId: string;
  host: string;
  ports: number[];
  servicePorts: number[];
  state: MesosTaskState;
  stagedAt: string;
  startedAt: string | null;
  statuses: TaskStatus[];
  sandbox: string;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  healthCheckResults: HealthResult[];
  /** Process group of the task's process tree; recorded so a restarted daemon can clean up orphans. */
  pgid?: number;
  /** Marathon's instance goal: Decommissioned tasks are not replaced. */
  goal: 'Running' | 'Decommissioned';
}
