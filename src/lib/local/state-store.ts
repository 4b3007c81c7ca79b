import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { writeFileAtomic } from '../fs-atomic.js';
import type { AppDefinition, DeploymentPlan, Group, TaskRecord } from './types.js';
import { isRecord } from '../json.js';

export const STATE_FILE = 'state.json';
const FORMAT = 1;

export interface PersistedDeployment {
  plan: DeploymentPlan;
  currentStep: number;
}

/** Everything `dcos local` must get back after a restart or a SIGKILL. */
export interface PersistedState {
  format: number;
  clusterId: string;
  frameworkId: string;
  root: Group;
  /** appId -> version -> definition, for `/v2/apps/{id}/versions` and rollbacks. */
  appVersions: Record<string, Record<string, AppDefinition>>;
  deployments: PersistedDeployment[];
  /** Tasks alive when the state was written: their process groups are cleaned up on the next start. */
  tasks: TaskRecord[];
}

export class StateFileError extends Error {}

/** Reads the state file; undefined when there is none. A damaged file is an error, never silently reset. */
export async function loadState(dir: string): Promise<PersistedState | undefined> {
  const path = join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(
      `${path} is not valid JSON (${(error as Error).message}); run \`dcos local reset\``,
    );
  }
  if (
    !isRecord(parsed) ||
    parsed.format !== FORMAT ||
    typeof parsed.clusterId !== 'string' ||
    typeof parsed.frameworkId !== 'string' ||
    !isRecord(parsed.root) ||
    !isRecord(parsed.appVersions) ||
    !Array.isArray(parsed.deployments) ||
    !Array.isArray(parsed.tasks)
  ) {
    throw new StateFileError(
      `${path} is not a dcos local state file (format ${FORMAT}); run \`dcos local reset\``,
    );
  }
  return parsed as unknown as PersistedState;
}

/** The process groups a state file recorded for its tasks, for orphan cleanup. */
export function recordedTaskGroups(
  state: PersistedState | undefined,
): Array<{ pgid: number; taskId: string }> {
  return (state?.tasks ?? []).flatMap((task) =>
    typeof task.pgid === 'number' ? [{ pgid: task.pgid, taskId: task.id }] : [],
  );
}

export async function saveState(dir: string, state: PersistedState): Promise<void> {
  await writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify({ ...state, format: FORMAT })}\n`);
}

export type SaveState = (dir: string, state: PersistedState) => Promise<void>;

export interface StateWriterOptions {
  /** The state to write, taken when a write starts (so it holds every change made before that moment). */
  snapshot: () => PersistedState;
  /** Where and how a snapshot is written (default: {@link saveState}); tests inject slow or failing ones. */
  save?: SaveState;
  /** Called once `state` is on disk, before the commits it covers resolve. */
  onSaved?: (state: PersistedState) => void;
  /** Called when writing `state` failed, before the commits waiting on it (or after it) reject. */
  onFailed?: (error: unknown, state: PersistedState | undefined) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes the state with group commit: one write at a time, each taking a fresh snapshot, and every change made
 * while a write runs waits for the next one, which covers them all. So N concurrent changes cost about two
 * writes, not N, and a {@link commit} resolves only after a write that started after the change has landed.
 */
export class StateWriter {
  /** A change that no started write covers yet. */
  private dirty = false;
  /** Commits that the next write to start will cover. */
  private waiting: Waiter[] = [];
  private running: Promise<void> | undefined;
  private readonly save: SaveState;
  /** Writes that landed, for tests and benchmarks. */
  writes = 0;

  constructor(
    private readonly dir: string,
    private readonly options: StateWriterOptions,
  ) {
    this.save = options.save ?? saveState;
  }

  /** Writes the state soon; nobody waits for it (task status updates, deployment progress). */
  schedule(): void {
    this.dirty = true;
    this.running ??= this.drain();
  }

  /** Resolves once the state as it is now is on disk; rejects if that write fails. */
  commit(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.schedule();
    });
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Changes made in the same turn of the event loop share the first write.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.dirty) {
        this.dirty = false;
        const covered = this.waiting;
        this.waiting = [];
        let state: PersistedState | undefined;
        try {
          state = this.options.snapshot();
          await this.save(this.dir, state);
        } catch (error) {
          // Changes queued behind this write were made on top of the ones that failed: they fail with them.
          const failed = [...covered, ...this.waiting];
          this.waiting = [];
          this.options.onFailed?.(error, state);
          for (const waiter of failed) waiter.reject(error);
          continue;
        }
        this.writes++;
        this.options.onSaved?.(state);
        for (const waiter of covered) waiter.resolve();
      }
    } finally {
      this.running = undefined;
    }
  }
}
