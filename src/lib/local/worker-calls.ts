/**
 * Calls into one long-lived worker thread, each with a deadline. Work that might run long (a hostile package's
 * schema, template or repository) goes there, so the daemon's own event loop keeps answering Marathon, Mesos
 * and everything else. JavaScript cannot interrupt a synchronous loop, but it can terminate the thread running
 * it: a call past its deadline ends the worker (failing the calls it still held), and the next call starts a
 * fresh one.
 */
import { parentPort, type Worker } from 'node:worker_threads';

/** The call took longer than its deadline; the worker was terminated. */
export class WorkerCallTimeout extends Error {
  override name = 'WorkerCallTimeout';
}

/** The worker ended before answering: it crashed, ran out of memory, or was terminated for another call. */
export class WorkerStopped extends Error {
  override name = 'WorkerStopped';
}

interface CallMessage {
  id: number;
  request: unknown;
}

type AnswerMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

interface Pending {
  worker: Worker;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface WorkerCallsOptions {
  /** Starts a worker that runs {@link serveCalls}. */
  start: () => Worker;
  /** How long one call may take. */
  timeoutMs: number;
}

export class WorkerCalls<Request, Reply> {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly options: WorkerCallsOptions) {}

  call(request: Request): Promise<Reply> {
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new WorkerCallTimeout(`no answer within ${this.options.timeoutMs / 1000} s`));
        void this.end(worker, 'it was stopped: another call took too long');
      }, this.options.timeoutMs);
      this.pending.set(id, { worker, resolve: resolve as (value: unknown) => void, reject, timer });
      worker.postMessage({ id, request } satisfies CallMessage);
    });
  }

  /** Terminates the worker; calls in flight fail with WorkerStopped. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker) await this.end(worker, 'it was closed');
  }

  private spawn(): Worker {
    const worker = this.options.start();
    // The daemon's server keeps the process alive; an idle worker must not.
    worker.unref();
    worker.on('message', (answer: AnswerMessage) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      clearTimeout(pending.timer);
      if (answer.ok) pending.resolve(answer.value);
      else pending.reject(new Error(answer.message));
    });
    worker.on('error', (error) => void this.end(worker, `it failed: ${error.message}`));
    worker.on('exit', (code) => void this.end(worker, `it exited with code ${code}`));
    return worker;
  }

  /** Forgets `worker` and fails the calls it held, then terminates it. */
  private async end(worker: Worker, reason: string): Promise<void> {
    if (this.worker === worker) this.worker = undefined;
    for (const [id, pending] of this.pending) {
      if (pending.worker !== worker) continue;
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(new WorkerStopped(`the worker stopped before answering: ${reason}`));
    }
    await worker.terminate();
  }
}

/** The worker's side: answers every call with `handle`; a failure travels back as its message. */
export function serveCalls<Request>(handle: (request: Request) => Promise<unknown>): void {
  const port = parentPort;
  if (!port) throw new Error('serveCalls runs in a worker thread');
  port.on('message', ({ id, request }: CallMessage) => {
    handle(request as Request).then(
      (value) => port.postMessage({ id, ok: true, value } satisfies AnswerMessage),
      (error: unknown) =>
        port.postMessage({
          id,
          ok: false,
          message: error instanceof Error ? error.message : String(error),
        } satisfies AnswerMessage),
    );
  });
}
