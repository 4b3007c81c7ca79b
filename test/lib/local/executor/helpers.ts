import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { expect } from 'vitest';

import { processAlive as pidAlive } from '../../../../src/lib/proc.js';
import type { MesosTaskState } from '../../../../src/lib/local/types.js';
import type { LaunchSpec, TaskEvents } from '../../../../src/lib/local/executor/process.js';

export { pidAlive };

/** Polls `condition` every 20 ms until it holds; fails the test after `ms`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Every process (group) a test started, so `killTracked` can make sure none survives the test: it SIGKILLs
 * each group and pid and then checks by PID that they are gone.
 */
const tracked = new Set<number>();

export function track(pid: number | undefined): void {
  if (pid !== undefined) tracked.add(pid);
}

export async function killTracked(): Promise<void> {
  const pids = [...tracked];
  tracked.clear();
  for (const pid of pids) {
    // Only what still runs: a dead pid may have been reused by an unrelated process by now.
    if (!pidAlive(pid)) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await waitFor(() => pids.every((pid) => !pidAlive(pid)), 5000, `processes ${pids.join(', ')} to be gone`);
  for (const pid of pids) expect(pidAlive(pid), `pid ${pid} is still alive`).toBe(false);
}

/** Reads a pid a task wrote into its sandbox, once it is there. */
export async function readPidFile(path: string): Promise<number> {
  let pid = NaN;
  await waitFor(
    async () => {
      pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      return Number.isInteger(pid) && pid > 0;
    },
    5000,
    `pid file ${path}`,
  );
  track(pid);
  return pid;
}

export interface Recorded {
  taskId: string;
  state: MesosTaskState;
  message: string | undefined;
}

/** TaskEvents that record everything, track every pgid, and let a test wait for a state. */
export function recorder() {
  const statuses: Recorded[] = [];
  const pids = new Map<string, number>();
  const events: TaskEvents = {
    onStatus: (taskId, state, message) => statuses.push({ taskId, state, message }),
    onPid: (taskId, pgid) => {
      pids.set(taskId, pgid);
      track(pgid);
    },
  };
  const statesOf = (taskId: string) => statuses.filter((s) => s.taskId === taskId).map((s) => s.state);
  const last = (taskId: string) => statuses.filter((s) => s.taskId === taskId).at(-1);
  const waitForState = (taskId: string, state: MesosTaskState, ms = 10_000) =>
    waitFor(() => statesOf(taskId).includes(state), ms, `${taskId} to reach ${state}`);
  const TERMINAL: MesosTaskState[] = [
    'TASK_FINISHED',
    'TASK_FAILED',
    'TASK_KILLED',
    'TASK_ERROR',
    'TASK_LOST',
  ];
  const waitForTerminal = async (taskId: string, ms = 10_000) => {
    await waitFor(() => TERMINAL.includes(last(taskId)?.state as MesosTaskState), ms, `${taskId} to end`);
    return last(taskId)!;
  };
  return { events, statuses, pids, statesOf, last, waitForState, waitForTerminal };
}

export function spec(sandboxRoot: string, taskId: string, fields: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    taskId,
    appId: '/test/app',
    version: '2024-01-02T03:04:05.678Z',
    env: {},
    sandbox: join(sandboxRoot, taskId),
    host: '127.0.0.1',
    ports: [],
    ...fields,
  };
}
