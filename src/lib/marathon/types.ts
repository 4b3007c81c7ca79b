/** The parts of Marathon's JSON the CLI reads; everything else is passed through untouched. */

/** Fields Marathon adds to apps in its answers (AppInfo); they are not part of an app definition. */
export const APP_RESPONSE_FIELDS: readonly string[] = [
  'deployments',
  'lastTaskFailure',
  'readinessCheckResults',
  'taskStats',
  'tasks',
  'tasksHealthy',
  'tasksRunning',
  'tasksStaged',
  'tasksUnhealthy',
];

export interface MarathonHealthResult {
  alive: boolean;
  lastFailureCause?: string | null;
}

export interface MarathonTask {
  id: string;
  appId: string;
  host: string;
  slaveId?: string;
  state?: string;
  startedAt?: string | null;
  stagedAt?: string | null;
  version?: string;
  ports?: number[];
  healthCheckResults?: MarathonHealthResult[];
  role?: string;
  [field: string]: unknown;
}

export interface MarathonApp {
  id: string;
  cmd?: string | null;
  args?: string[] | null;
  instances: number;
  cpus: number;
  mem: number;
  container?: { type?: string } | null;
  healthChecks?: unknown[] | null;
  tasksRunning?: number;
  tasksHealthy?: number;
  tasksUnhealthy?: number;
  tasksStaged?: number;
  deployments?: Array<{ id: string }>;
  tasks?: MarathonTask[];
  lastTaskFailure?: { message?: string; state?: string; taskId?: string; timestamp?: string; host?: string };
  version?: string;
  role?: string;
  [field: string]: unknown;
}

export interface MarathonAction {
  action: string;
  app?: string;
  pod?: string;
}

export interface MarathonDeployment {
  id: string;
  version: string;
  affectedApps: string[];
  affectedPods?: string[];
  steps: Array<{ actions: MarathonAction[] }>;
  currentActions: MarathonAction[];
  currentStep: number;
  totalSteps: number;
}

export interface MarathonGroup {
  id: string;
  apps: MarathonApp[];
  groups: MarathonGroup[];
  pods?: unknown[];
  dependencies?: string[];
  version?: string;
  enforceRole?: boolean;
  [field: string]: unknown;
}

export interface MarathonQueueItem {
  app?: { id: string };
  pod?: { id: string };
  count: number;
  delay?: { timeLeftSeconds: number; overdue: boolean };
  since?: string;
  processedOffersSummary?: {
    processedOffersCount?: number;
    rejectSummaryLastOffers?: Array<{ reason: string; declined: number; processed: number }>;
  };
  [field: string]: unknown;
}
