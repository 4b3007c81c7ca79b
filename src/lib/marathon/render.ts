import type { Column } from '../cli/output.js';
import type {
  MarathonApp,
  MarathonDeployment,
  MarathonGroup,
  MarathonQueueItem,
  MarathonTask,
} from './types.js';

const ACTION_NAMES: Record<string, string> = {
  ResolveArtifacts: 'artifacts',
  ScaleApplication: 'scale',
  ScalePod: 'scale',
  StartApplication: 'start',
  StartPod: 'start',
  StopApplication: 'stop',
  StopPod: 'stop',
  RestartApplication: 'restart',
  RestartPod: 'restart',
  KillAllOldTasksOf: 'kill-tasks',
};

const CMD_WIDTH = 35;

function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 3)}...` : text;
}

export interface AppRow {
  app: MarathonApp;
  deployment: string;
  waiting: boolean;
}

/** Joins apps with the deployments and queue entries that concern them, as `dcos marathon app list` shows. */
export function appRows(
  apps: MarathonApp[],
  deployments: MarathonDeployment[],
  queue: MarathonQueueItem[],
): AppRow[] {
  return [...apps]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((app) => {
      const actions = deployments.flatMap((deployment) =>
        deployment.currentActions
          .filter((action) => action.app === app.id)
          .map((action) => ACTION_NAMES[action.action] ?? action.action),
      );
      const deployment =
        actions.length === 0 ? '' : actions.length === 1 ? (actions[0] as string) : `(${actions.join(',')})`;
      const waiting = queue.some((item) => item.app?.id === app.id && item.delay?.overdue === true);
      return { app, deployment, waiting };
    });
}

export const APP_COLUMNS: Column<AppRow>[] = [
  { header: 'id', value: ({ app }) => app.id },
  { header: 'mem', value: ({ app }) => app.mem },
  { header: 'cpus', value: ({ app }) => app.cpus },
  { header: 'tasks', value: ({ app }) => `${app.tasksRunning ?? 0}/${app.instances}` },
  {
    header: 'health',
    value: ({ app }) => (app.healthChecks?.length ? `${app.tasksHealthy ?? 0}/${app.tasksRunning ?? 0}` : ''),
  },
  { header: 'deployment', value: (row) => row.deployment },
  { header: 'waiting', value: (row) => String(row.waiting) },
  { header: 'container', value: ({ app }) => app.container?.type ?? 'MESOS' },
  {
    header: 'cmd',
    value: ({ app }) => truncate(app.cmd ?? (app.args ? JSON.stringify(app.args) : ''), CMD_WIDTH),
  },
];

export const DEPLOYMENT_COLUMNS: Column<MarathonDeployment>[] = [
  { header: 'app', value: (d) => d.affectedApps.join('\n') },
  { header: 'pod', value: (d) => (d.affectedPods ?? []).join('\n') },
  {
    header: 'action',
    value: (d) => {
      const several = d.affectedApps.length + (d.affectedPods?.length ?? 0) > 1;
      return d.currentActions
        .map((action) => {
          const name = ACTION_NAMES[action.action] ?? action.action;
          return several ? `${name} ${action.app ?? action.pod}` : name;
        })
        .join('\n');
    },
  },
  { header: 'progress', value: (d) => `${Math.max(0, d.currentStep - 1)}/${d.totalSteps}` },
  { header: 'id', value: (d) => d.id },
];

export const TASK_COLUMNS: Column<MarathonTask>[] = [
  { header: 'app', value: (t) => t.appId },
  {
    header: 'healthy',
    value: (t) => (t.healthCheckResults?.length ? String(t.healthCheckResults.every((r) => r.alive)) : ''),
  },
  { header: 'started', value: (t) => t.startedAt ?? 'N/A' },
  { header: 'host', value: (t) => t.host },
  { header: 'id', value: (t) => t.id },
];

export interface GroupRow {
  id: string;
  apps: number;
  enforceRole: boolean | undefined;
}

/** Every group of the tree with the number of apps in it and below it. */
export function groupRows(root: MarathonGroup): GroupRow[] {
  const rows: GroupRow[] = [];
  const count = (group: MarathonGroup): number =>
    group.apps.length + group.groups.reduce((sum, child) => sum + count(child), 0);
  const walk = (group: MarathonGroup) => {
    rows.push({ id: group.id, apps: count(group), enforceRole: group.enforceRole });
    group.groups.forEach(walk);
  };
  walk(root);
  return rows.sort((a, b) => a.id.localeCompare(b.id));
}

export const GROUP_COLUMNS: Column<GroupRow>[] = [
  { header: 'id', value: (g) => g.id },
  { header: 'apps', value: (g) => g.apps },
  { header: 'enforce_role', value: (g) => g.enforceRole },
];
