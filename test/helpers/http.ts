import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';

/** A loopback port that was free a moment ago and has nothing listening on it now. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An injectable `sleep` that returns at once and records every delay it was asked for. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms: number) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

/** Resolves with the promise's outcome, or rejects once `ms` have passed so a hung test fails, not stalls. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles with whatever `promise` throws (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** A handler body that never answers: resolves only when the client (or the server's close) drops it. */
export function hang(response: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    if (response.destroyed) resolve();
    else response.on('close', () => resolve());
  });
}

/** Drops the TCP connection without sending a response (the client sees a reset / "other side closed"). */
export function dropConnection(response: ServerResponse): void {
  response.socket?.destroy();
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads an async iterable until `until` returns true or `max` items arrived (then stops it early), or until it
 * ends by itself (`ended: true`). Always bounded, whatever the code under test does.
 */
export async function take<T>(
  iterable: AsyncIterable<T>,
  options: { max: number; until?: (item: T, items: readonly T[]) => boolean | void },
): Promise<{ items: T[]; ended: boolean }> {
  const items: T[] = [];
  for await (const item of iterable) {
    items.push(item);
    if (options.until?.(item, items) === true || items.length >= options.max) return { items, ended: false };
  }
  return { items, ended: true };
}
