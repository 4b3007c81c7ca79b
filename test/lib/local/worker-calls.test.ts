/**
 * The worker calls behind dcos local's package work: answers come back, a call stuck in a synchronous loop is
 * ended at its deadline while this thread keeps running, and the next call gets a fresh worker.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { afterEach, describe, expect, it } from 'vitest';

import { WorkerCalls, WorkerCallTimeout, WorkerStopped } from '../../../src/lib/local/worker-calls.js';
import { ROOT } from '../../helpers/cli.js';
import { rejectionOf } from '../../helpers/errors.js';

type Request = { spin?: boolean; fail?: string; value?: unknown };

let calls: WorkerCalls<Request, { echo: unknown }> | undefined;
let started = 0;

function spinWorkerCalls(timeoutMs: number): WorkerCalls<Request, { echo: unknown }> {
  calls = new WorkerCalls({
    start: () => {
      started += 1;
      return new Worker(join(ROOT, 'scripts', 'ts-worker.js'), {
        argv: [join(ROOT, 'test', 'fixtures', 'spin-worker.ts')],
      });
    },
    timeoutMs,
  });
  return calls;
}

afterEach(async () => {
  await calls?.close();
  calls = undefined;
  started = 0;
});

describe('WorkerCalls', () => {
  it('answers calls from one worker, and passes a failure back as an error', async () => {
    const worker = spinWorkerCalls(20_000);
    expect(await Promise.all([1, 2, 3].map((value) => worker.call({ value })))).toEqual([
      { echo: 1 },
      { echo: 2 },
      { echo: 3 },
    ]);
    await expect(worker.call({ fail: 'no such package' })).rejects.toThrow('no such package');
    expect(started).toBe(1);
  });

  it('ends a worker stuck past the deadline while this thread keeps running; the next call starts another', async () => {
    const worker = spinWorkerCalls(20_000);
    // Started first: the worker's own start (compiling TypeScript) is not part of what is timed.
    expect(await worker.call({ value: 'warm' })).toEqual({ echo: 'warm' });
    const stuck = spinWorkerCalls(1_000);
    await stuck.call({ value: 'warm' });
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 20);
    try {
      const spinning = rejectionOf(stuck.call({ spin: true }), WorkerCallTimeout);
      const behind = rejectionOf(stuck.call({ value: 'queued behind it' }), WorkerStopped);
      expect((await spinning).message).toBe('no answer within 1 s');
      const stopped = await behind;
      expect(stopped.message).toContain('another call took too long');
      // This thread's timers kept firing while the worker spun (about 50 in that second).
      expect(ticks).toBeGreaterThan(10);
    } finally {
      clearInterval(ticker);
    }
    expect(await stuck.call({ value: 'again' })).toEqual({ echo: 'again' });
    expect(started).toBe(3);
    await worker.close();
  });

  it('fails calls in flight when closed', async () => {
    const worker = spinWorkerCalls(20_000);
    await worker.call({ value: 'warm' });
    const spinning = rejectionOf(worker.call({ spin: true }), WorkerStopped);
    await worker.close();
    expect((await spinning).message).toContain('it was closed');
  });
});
