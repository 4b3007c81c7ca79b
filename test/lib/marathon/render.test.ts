import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { formatTable } from '../../../src/lib/cli/output.js';
import {
  APP_COLUMNS,
  appRows,
  DEPLOYMENT_COLUMNS,
  GROUP_COLUMNS,
  groupRows,
  TASK_COLUMNS,
} from '../../../src/lib/marathon/render.js';
import type {
  MarathonApp,
  MarathonDeployment,
  MarathonGroup,
  MarathonQueueItem,
  MarathonTask,
} from '../../../src/lib/marathon/types.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/marathon');
const fixture = <T>(name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

const group = fixture<MarathonGroup>('group.json');
const queue = fixture<{ queue: MarathonQueueItem[] }>('queue.json').queue;
const deployments = fixture<MarathonDeployment[]>('deployments.json');

function appsOf(root: MarathonGroup): MarathonApp[] {
  return [...root.apps, ...root.groups.flatMap(appsOf)];
}

function app(overrides: Partial<MarathonApp>): MarathonApp {
  return { id: '/a', cmd: 'sleep 1', instances: 1, cpus: 0.1, mem: 32, ...overrides };
}

function deployment(id: string, actions: MarathonDeployment['currentActions']): MarathonDeployment {
  const affectedApps = [...new Set(actions.flatMap((action) => (action.app ? [action.app] : [])))];
  const affectedPods = [...new Set(actions.flatMap((action) => (action.pod ? [action.pod] : [])))];
  return {
    id,
    version: 'v',
    affectedApps,
    affectedPods,
    steps: [{ actions }],
    currentActions: actions,
    currentStep: 1,
    totalSteps: 1,
  };
}

describe('app list rows', () => {
  it("joins the documented group's apps with the documented queue: overdue means WAITING", async () => {
    const rows = appRows(appsOf(group), deployments, queue);
    expect(rows.map((row) => [row.app.id, row.waiting, row.deployment])).toEqual([
      ['/tools/datadog-agent', true, ''],
      ['/tools/docker/registry', false, ''],
      ['/tools/oauth-server', false, ''],
    ]);
    expect(await formatTable(rows, APP_COLUMNS)).toBe(
      [
        'ID                      MEM   CPUS  TASKS  HEALTH  DEPLOYMENT  WAITING  CONTAINER  CMD',
        '/tools/datadog-agent    512   1     0/5    ---     ---         true     DOCKER     ---',
        '/tools/docker/registry  4096  0.5   0/1    ---     ---         false    DOCKER     ---',
        '/tools/oauth-server     1024  1     0/2    0/0     ---         false    DOCKER     ---',
      ].join('\n'),
    );
  });

  it("maps each deployment's current action to the DC/OS name; several become (a,b)", () => {
    const apps = [app({ id: '/b' }), app({ id: '/a' }), app({ id: '/c' })];
    const rows = appRows(
      apps,
      [
        deployment('d1', [
          { action: 'RestartApplication', app: '/a' },
          { action: 'ScaleApplication', app: '/b' },
        ]),
        deployment('d2', [{ action: 'KillAllOldTasksOf', app: '/a' }]),
        deployment('d3', [{ action: 'SomethingNew', app: '/c' }]),
      ],
      [],
    );
    expect(rows.map((row) => [row.app.id, row.deployment])).toEqual([
      ['/a', '(restart,kill-tasks)'],
      ['/b', 'scale'],
      ['/c', 'SomethingNew'],
    ]);
  });

  it('TASKS is running/instances, HEALTH healthy/running only with health checks, CMD truncated or args', () => {
    const cell = (value: MarathonApp, header: string) =>
      APP_COLUMNS.find((column) => column.header === header)?.value({
        app: value,
        deployment: '',
        waiting: false,
      });
    const checked = app({ healthChecks: [{}], tasksRunning: 3, tasksHealthy: 2, instances: 4 });
    expect(cell(checked, 'tasks')).toBe('3/4');
    expect(cell(checked, 'health')).toBe('2/3');
    expect(cell(app({ healthChecks: [] }), 'health')).toBe('');
    expect(cell(app({}), 'tasks')).toBe('0/1');
    expect(cell(app({ cmd: 'x'.repeat(35) }), 'cmd')).toBe('x'.repeat(35));
    expect(cell(app({ cmd: 'x'.repeat(36) }), 'cmd')).toBe(`${'x'.repeat(32)}...`);
    expect(cell(app({ cmd: null, args: ['nginx', '-g', 'daemon off;'] }), 'cmd')).toBe(
      '["nginx","-g","daemon off;"]',
    );
    expect(cell(app({ container: { type: 'MESOS' } }), 'container')).toBe('MESOS');
    expect(cell(app({ container: null }), 'container')).toBe('MESOS');
  });
});

describe('deployment list rows', () => {
  it('renders the documented deployment: app and pod, prefixed action, (currentStep-1)/totalSteps', async () => {
    expect(await formatTable(deployments, DEPLOYMENT_COLUMNS)).toBe(
      [
        'APP   POD   ACTION      PROGRESS  ID',
        '/foo  /bla  scale /foo  0/1       97c136bf-5a28-4821-9d94-480d9fbb01c8',
      ].join('\n'),
    );
  });

  it('one resource: the bare action; several: one line each with its id', async () => {
    const single = deployment('d1', [{ action: 'StartApplication', app: '/a' }]);
    const several = {
      ...deployment('d2', [
        { action: 'RestartApplication', app: '/a' },
        { action: 'StopApplication', app: '/b' },
      ]),
      currentStep: 2,
      totalSteps: 3,
    };
    const cells = (d: MarathonDeployment) => DEPLOYMENT_COLUMNS.map((column) => column.value(d));
    expect(cells(single)).toEqual(['/a', '', 'start', '0/1', 'd1']);
    expect(cells(several)).toEqual(['/a\n/b', '', 'restart /a\nstop /b', '1/3', 'd2']);
  });
});

describe('task list rows', () => {
  it('HEALTHY is whether every health check result is alive; STARTED falls back to N/A', () => {
    const task = (overrides: Partial<MarathonTask>): MarathonTask => ({
      id: 't',
      appId: '/a',
      host: 'h',
      ...overrides,
    });
    const cell = (value: MarathonTask, header: string) =>
      TASK_COLUMNS.find((column) => column.header === header)?.value(value);
    expect(cell(task({ healthCheckResults: [{ alive: true }, { alive: true }] }), 'healthy')).toBe('true');
    expect(cell(task({ healthCheckResults: [{ alive: true }, { alive: false }] }), 'healthy')).toBe('false');
    expect(cell(task({ healthCheckResults: [] }), 'healthy')).toBe('');
    expect(cell(task({ startedAt: null }), 'started')).toBe('N/A');
    expect(cell(task({ startedAt: '2015-09-17T09:32:42.598Z' }), 'started')).toBe('2015-09-17T09:32:42.598Z');
  });
});

describe('group list rows', () => {
  it('every group of the documented tree, counting the apps in and below it', async () => {
    expect(groupRows(group)).toEqual([
      { id: '/', apps: 3, enforceRole: undefined },
      { id: '/tools', apps: 3, enforceRole: undefined },
      { id: '/tools/docker', apps: 1, enforceRole: undefined },
      { id: '/tools/log', apps: 0, enforceRole: undefined },
    ]);
    expect(await formatTable(groupRows({ ...group, enforceRole: false }), GROUP_COLUMNS)).toBe(
      [
        'ID             APPS  ENFORCE_ROLE',
        '/              3     false',
        '/tools         3     ---',
        '/tools/docker  1     ---',
        '/tools/log     0     ---',
      ].join('\n'),
    );
  });

  it('counts all 100 apps of a real cluster dump (one group, no sub-groups)', () => {
    const dump = fixture<MarathonGroup>('155_100.json');
    expect(groupRows(dump)).toEqual([{ id: '/cudcos', apps: 100, enforceRole: undefined }]);
  });
});
