import { DcosError, InterruptedError } from '../errors.js';
import { followEvents } from '../http/sse.js';
import type { MarathonClient } from './client.js';
import type { MarathonDeployment } from './types.js';

export interface DeploymentProgress {
  step: number;
  totalSteps: number;
  actions: string[];
}

export interface WaitOptions {
  timeoutMs: number;
  /** How often `/v2/deployments` is polled (events only make the next poll come sooner). */
  intervalMs?: number;
  /** Task failures of the affected apps after which a deployment that cannot finish is reported as failed. */
  failureThreshold?: number;
  signal?: AbortSignal;
  onProgress?: (progress: DeploymentProgress) => void;
  /** Follow `/v2/events` (default true); polling alone still works against servers without it. */
  useEvents?: boolean;
}

export interface WaitResult {
  deploymentId: string;
  seconds: number;
}

interface FailureSeen {
  taskId: string;
  appId: string;
  state: string;
  message: string;
}

const FAILED_STATES = new Set(['TASK_FAILED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE']);

function describeActions(deployment: MarathonDeployment): string[] {
  return deployment.currentActions.map((action) =>
    `${action.action} ${action.app ?? action.pod ?? ''}`.trim(),
  );
}

function failed(code: string, message: string, details: Record<string, unknown>): DcosError {
  return new DcosError(message, { code, details });
}

/**
 * Follows a deployment until Marathon finishes it (exit 0), or until it is clear it will not: canceled or
 * rolled back by someone else, its apps' tasks keep failing, or the timeout passes (each a DcosError with
 * the reason). Marathon's event stream makes it react at once; polling `/v2/deployments` is the source of
 * truth, so servers without events work too.
 */
export async function waitForDeployment(
  client: MarathonClient,
  deploymentId: string,
  options: WaitOptions,
): Promise<WaitResult> {
  const started = Date.now();
  const interval = options.intervalMs ?? 1_000;
  const threshold = options.failureThreshold ?? 3;
  const stop = new AbortController();
  const signals = [stop.signal, ...(options.signal ? [options.signal] : [])];
  const signal = signals.length > 1 ? AbortSignal.any(signals) : stop.signal;
  const failures = new Map<string, FailureSeen>();
  let outcome: { success: boolean; reason?: string } | undefined;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();
  let affected: string[] = [];
  let lastProgress = '';
  let lastDeployment: MarathonDeployment | undefined;

  const events = options.useEvents === false ? Promise.resolve() : followDeploymentEvents();

  async function followDeploymentEvents(): Promise<void> {
    try {
      for await (const item of followEvents(client.http, `${client.baseUrl}/v2/events`, {
        signal,
        maxConnectFailures: 1,
        query: {},
      })) {
        if (item.kind !== 'event') continue;
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(item.event.data) as Record<string, unknown>;
        } catch {
          continue;
        }
        const type = item.event.event;
        if ((type === 'deployment_success' || type === 'deployment_failed') && data.id === deploymentId) {
          outcome =
            type === 'deployment_success'
              ? { success: true }
              : { success: false, reason: String(data.reason ?? 'failed') };
          nudge();
        } else if (type === 'status_update_event' && affected.includes(String(data.appId))) {
          if (FAILED_STATES.has(String(data.taskStatus))) {
            recordFailure(
              String(data.taskId),
              String(data.appId),
              String(data.taskStatus),
              String(data.message ?? ''),
            );
          }
        } else if (type === 'unhealthy_instance_kill_event' && affected.includes(String(data.appId))) {
          recordFailure(
            String(data.taskId),
            String(data.appId),
            'unhealthy',
            String(data.reason ?? 'health check failed'),
          );
        } else if (type.startsWith('deployment_')) {
          nudge();
        }
      }
    } catch {
      // No event stream (or it broke): polling carries on alone.
    }
  }

  function recordFailure(taskId: string, appId: string, state: string, message: string): void {
    failures.set(taskId, { taskId, appId, state, message });
    nudge();
  }

  /** Without events, Marathon's lastTaskFailure tells the same story, one failure per poll at most. */
  async function pollFailures(): Promise<void> {
    for (const appId of affected) {
      const app = await client.findApp(appId);
      const failure = app?.lastTaskFailure;
      if (failure?.taskId && failure.timestamp && Date.parse(failure.timestamp) >= started) {
        failures.set(failure.taskId, {
          taskId: failure.taskId,
          appId,
          state: failure.state ?? 'TASK_FAILED',
          message: failure.message ?? '',
        });
      }
    }
  }

  try {
    for (;;) {
      if (options.signal?.aborted) throw new InterruptedError();
      const deployments = await client.listDeployments();
      const current = deployments.find((deployment) => deployment.id === deploymentId);
      if (current) {
        lastDeployment = current;
        affected = current.affectedApps;
        const progress = {
          step: current.currentStep,
          totalSteps: current.totalSteps,
          actions: describeActions(current),
        };
        const key = JSON.stringify(progress);
        if (key !== lastProgress) {
          lastProgress = key;
          options.onProgress?.(progress);
        }
      } else {
        if (outcome && !outcome.success) {
          throw failed('deployment_failed', `deployment ${deploymentId} failed: ${outcome.reason}`, {
            deploymentId,
          });
        }
        // Gone without a success event: if another deployment now holds the same apps, someone replaced it.
        const successor = lastDeployment
          ? deployments.find((deployment) =>
              deployment.affectedApps.some((app) => lastDeployment?.affectedApps.includes(app)),
            )
          : undefined;
        if (successor && !outcome?.success) {
          throw failed(
            'deployment_replaced',
            `deployment ${deploymentId} was replaced by deployment ${successor.id} (rolled back or forced by someone else)`,
            { deploymentId, replacedBy: successor.id },
          );
        }
        return { deploymentId, seconds: (Date.now() - started) / 1000 };
      }
      if (options.useEvents === false) await pollFailures();
      if (failures.size >= threshold) {
        const last = [...failures.values()].at(-1) as FailureSeen;
        throw failed(
          'deployment_failing',
          `deployment ${deploymentId} cannot finish: ${failures.size} tasks of ${last.appId} failed since it started ` +
            `(last: ${last.state}${last.message ? `, ${last.message}` : ''}); it keeps running: ` +
            `\`dcos marathon deployment rollback ${deploymentId}\` undoes it`,
          { deploymentId, failures: [...failures.values()] },
        );
      }
      const left = options.timeoutMs - (Date.now() - started);
      if (left <= 0) {
        const where = lastDeployment
          ? ` (step ${lastDeployment.currentStep}/${lastDeployment.totalSteps}: ${describeActions(lastDeployment).join(', ')})`
          : '';
        const last = [...failures.values()].at(-1);
        const cause = last
          ? `; last task failure: ${last.state}${last.message ? `, ${last.message}` : ''}`
          : '';
        throw failed(
          'deployment_timeout',
          `deployment ${deploymentId} did not finish within ${Math.round(options.timeoutMs / 100) / 10}s${where}${cause}`,
          { deploymentId },
        );
      }
      // Woken early by an event, or by Ctrl-C (the loop's first check then ends it).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(interval, left));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        options.signal?.addEventListener('abort', wake, { once: true });
      });
      if (wake) options.signal?.removeEventListener('abort', wake);
      wake = undefined;
    }
  } finally {
    stop.abort();
    await events;
  }
}
