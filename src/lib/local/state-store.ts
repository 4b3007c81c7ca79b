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

export async function saveState(dir: string, state: PersistedState): Promise<void> {
  await writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify({ ...state, format: FORMAT })}\n`);
}

/**
 * Coalesces saves: many changes in one tick become one write, and writes never overlap (the last state
 * always lands last).
 */
export class StateWriter {
  private pending: (() => PersistedState) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly dir: string) {}

  schedule(snapshot: () => PersistedState): void {
    this.pending = snapshot;
    this.running ??= this.drain();
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.pending) {
        const snapshot = this.pending;
        this.pending = undefined;
        await saveState(this.dir, snapshot());
      }
    } finally {
      this.running = undefined;
    }
  }
}
