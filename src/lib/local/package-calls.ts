/**
 * Where dcos local does its package work: in a worker thread, so that a hostile repository or package
 * (a schema, a template or a repository built to take long) never stalls the daemon's event loop, which keeps
 * answering Marathon, Mesos and the other Cosmos requests. The work itself is bounded too (patterns matched in
 * linear time under a time limit, rendering and repositories capped); the thread is what makes "never" hold, and
 * a call that still runs past {@link PACKAGE_CALL_TIMEOUT_MS} has its worker terminated.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { CosmosRpc } from '../packages/media-types.js';
import { CosmosReply, JsonText, type CosmosAnswer } from './cosmos.js';
import { packageRoot } from './install-paths.js';
import type { LocalPackageManagerOptions } from './packages.js';
import { WorkerCalls, WorkerCallTimeout } from './worker-calls.js';

/** Longer than a repository download (60 s) plus Marathon's answer to an install (30 s). */
export const PACKAGE_CALL_TIMEOUT_MS = 120_000;
/** A worker past this much heap is stopped by V8 (a failed call), not the daemon. */
const WORKER_HEAP_MB = 1024;

export interface PackageCall {
  rpc: CosmosRpc;
  version: number;
  body: Record<string, unknown>;
}

export type PackageReply =
  { ok: true; text: string } | { ok: false; status: number; type: string; message: string; data?: unknown };

/**
 * The worker: built, it is dist/lib/local/package-worker.js; from the sources (tests, bin/dev), tsx runs
 * package-worker.ts through scripts/ts-worker.js.
 */
function startWorker(options: LocalPackageManagerOptions): Worker {
  const here = fileURLToPath(import.meta.url);
  const settings = { workerData: options, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
  if (here.endsWith('.ts')) {
    return new Worker(join(packageRoot(), 'scripts', 'ts-worker.js'), {
      ...settings,
      argv: [join(dirname(here), 'package-worker.ts')],
    });
  }
  return new Worker(join(packageRoot(), 'dist', 'lib', 'local', 'package-worker.js'), settings);
}

/** Cosmos's RPCs answered in the package worker; `close` ends it. */
export function packageCalls(
  options: LocalPackageManagerOptions,
  timeoutMs = PACKAGE_CALL_TIMEOUT_MS,
): { answer: CosmosAnswer; close: () => Promise<void> } {
  const calls = new WorkerCalls<PackageCall, PackageReply>({ start: () => startWorker(options), timeoutMs });
  const answer: CosmosAnswer = async (rpc, version, body) => {
    let reply: PackageReply;
    try {
      reply = await calls.call({ rpc, version, body });
    } catch (error) {
      if (error instanceof WorkerCallTimeout) {
        const seconds = timeoutMs / 1000;
        const operation = `/package/${rpc.replace('.', '/')}`;
        throw new CosmosReply(
          500,
          'TimeoutError',
          `${operation} timed out on dcos local after ${seconds} seconds`,
          {
            operation,
            destination: 'dcos local',
            timeout: `${seconds} seconds`,
          },
        );
      }
      throw new CosmosReply(
        503,
        'ServiceUnavailable',
        `dcos local's package worker failed: ${(error as Error).message}`,
      );
    }
    if (reply.ok) return new JsonText(reply.text);
    throw new CosmosReply(reply.status, reply.type, reply.message, reply.data);
  };
  return { answer, close: () => calls.close() };
}
