/**
 * A task's sandbox file read over the Mesos files API (`<agent>/files/read?path=&offset=&length=`, reference
 * §3.3): the one log source every Mesos cluster has. Mesos answers `{"data": "<text>", "offset": N}`, at most
 * 64 KiB per request; `offset=-1` gives the file size. Everything here keeps memory flat: bytes go to the sink
 * as they arrive and only a few windows are ever held.
 *
 * Byte accounting: `data` is text, so a read that starts inside a multi-byte UTF-8 character comes back with
 * one U+FFFD per stray continuation byte, and a read that stops inside one is cut short by `dcos local` (real
 * Mesos sends the raw bytes). Reads that start where the previous one ended are always on a character
 * boundary; reads that start at a computed position (backward windows, read-ahead) drop those U+FFFDs and are
 * checked against the bytes before them, falling back to a plain sequential read when they disagree.
 */
import { DcosError, InterruptedError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { releaseBody } from '../http/body.js';
import { describeNetworkFailure, HttpError, NetworkError } from '../http/errors.js';
import { abortableSleep, backoffDelay, RETRYABLE_STATUS } from '../http/retry.js';
import { isRecord } from '../json.js';
import { parseReadAnswer, type ReadAnswer } from './read-answer.js';

/** Where log bytes go; a returned promise is waited for (stdout backpressure). */
export interface LogSink {
  write(chunk: Buffer): void | Promise<void>;
}

/** The task fields that locate its sandbox in an agent's `/state`. */
export interface SandboxTask {
  id: string;
  frameworkId: string;
  /** The task id for command tasks (their executor is named after the task). */
  executorId: string;
}

/** A read position: the next byte to read, and the last bytes before it (to recognise a replaced file). */
export interface FilePosition {
  end: number;
  tail: Buffer;
}

export type ResetReason = 'truncated' | 'replaced';

export interface FollowOptions {
  /** Poll period for new bytes (DC/OS polled every second; half that feels live). */
  intervalMs?: number;
  /** How often, at most, `ended` is asked while the file is idle. */
  endCheckMs?: number;
  /** True once the task is over: the file is read one last time and following stops. */
  ended: () => Promise<boolean>;
  /** The file shrank or was replaced; reading restarts at its beginning. */
  onReset?: (reason: ResetReason) => void;
}

export interface FilesApiOptions {
  /** Aborts requests and sleeps (Ctrl-C); the reader then throws InterruptedError. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Bytes per window; the default leaves room for SLACK inside Mesos' 64 KiB cap, so a window is one request. */
  windowBytes?: number;
  /** Window requests in flight during a forward copy (what makes full reads of big files fast). */
  readAhead?: number;
}

/** The file the files API was asked for does not exist (404). */
export class MissingFileError extends DcosError {
  constructor(readonly path: string) {
    super(`no file ${path}`, { code: 'file_not_found' });
    this.name = 'MissingFileError';
  }
}

const EMPTY = Buffer.alloc(0);
const NEWLINE = 0x0a;
export const DEFAULT_WINDOW_BYTES = 64 * 1024 - 8;
const DEFAULT_READ_AHEAD = 8;
/** Asked past a window's end so the character straddling it arrives whole. */
const SLACK = 3;
/** Tries per read when the connection resets or a proxy answers 502/503/504. */
const CALL_TRIES = 3;
/** Far more than any files API answer (Mesos sends at most 64 KiB of data); a bigger body is not one. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** Bytes remembered before the read position; compared on each poll to notice a replaced file. */
const TAIL_BYTES = 16;

/**
 * The sandbox directory of `task` in an agent's `/state` (reference §3.4): its framework in `frameworks` or
 * `completed_frameworks`, then the executor (active or completed) that lists the task, else the one with the
 * task's executor id. The default executor (pods) keeps each task below `<directory>/tasks/<task id>`.
 * Undefined when the agent no longer knows the task (its sandbox was garbage-collected).
 */
export function sandboxPath(agentState: unknown, task: SandboxTask): string | undefined {
  if (!isRecord(agentState)) return undefined;
  const frameworks = [...records(agentState.frameworks), ...records(agentState.completed_frameworks)].filter(
    (framework) => framework.id === task.frameworkId,
  );
  let byExecutorId: Record<string, unknown> | undefined;
  for (const framework of frameworks) {
    for (const executor of [...records(framework.executors), ...records(framework.completed_executors)]) {
      // An executor id is reused across restarts; the run that lists the task is the one with its files.
      const lists = ['tasks', 'queued_tasks', 'completed_tasks'].some((key) =>
        records(executor[key]).some((entry) => entry.id === task.id),
      );
      if (lists) return directoryOf(executor, task.id);
      if (executor.id === (task.executorId || task.id)) byExecutorId ??= executor;
    }
  }
  return byExecutorId ? directoryOf(byExecutorId, task.id) : undefined;
}

function directoryOf(executor: Record<string, unknown>, taskId: string): string | undefined {
  const directory = typeof executor.directory === 'string' ? executor.directory : '';
  if (directory === '') return undefined;
  return executor.type === 'DEFAULT' ? `${directory.replace(/\/+$/, '')}/tasks/${taskId}` : directory;
}

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** A sandbox-relative file (`stdout`, `logs/app.log`) below the sandbox directory. */
export function sandboxFile(sandbox: string, file: string): string {
  return `${sandbox.replace(/\/+$/, '')}/${file.replace(/^\/+/, '')}`;
}

interface Window {
  /** Position of the first byte of `parts`. */
  start: number;
  /** Position after the last byte; short of the asked end only when the file ended there. */
  end: number;
  parts: Buffer[];
}

/** One file on one agent, read through its files API. */
export class FilesApiFile {
  private readonly windowBytes: number;
  private readonly readAhead: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly http: HttpClient,
    /** The agent's base URL (`<dcos_url>/agent/<id>`, or the agent itself on plain Mesos). */
    readonly agentUrl: string,
    /** Absolute path on the agent. */
    readonly path: string,
    private readonly options: FilesApiOptions = {},
  ) {
    this.windowBytes = Math.max(16, options.windowBytes ?? DEFAULT_WINDOW_BYTES);
    this.readAhead = Math.max(1, options.readAhead ?? DEFAULT_READ_AHEAD);
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? Date.now;
  }

  /** The read endpoint, for --verbose. */
  get url(): string {
    return this.http.url(`${this.agentUrl.replace(/\/+$/, '')}/files/read`, { path: this.path });
  }

  /** The file's size now (`offset=-1`). */
  async size(): Promise<number> {
    return (await this.call(-1)).offset;
  }

  /** Prints the last `lines` lines (0: none) and returns where following continues. */
  async readLastLines(lines: number, sink: LogSink): Promise<FilePosition> {
    const size = await this.size();
    if (size === 0) return { end: 0, tail: EMPTY };
    if (lines <= 0) {
      const last = await this.backwardWindow(Math.max(0, size - TAIL_BYTES), size);
      return { end: last.end, tail: lastBytes(last.parts, TAIL_BYTES) };
    }
    let first: Window | undefined;
    let start: number | undefined;
    let found = 0;
    // Backward windows until `lines` newlines are behind the end; bounded by the file's size over the window.
    for (let windowEnd = size; windowEnd > 0 && start === undefined;) {
      const window = await this.backwardWindow(Math.max(0, windowEnd - this.windowBytes), windowEnd);
      // A window placed by its U+FFFDs may run past its end, into bytes the later window counted already.
      const limit = first ? windowEnd : window.end - (endsWithNewline(window) ? 1 : 0);
      first ??= window;
      let offset = window.end;
      for (let index = window.parts.length - 1; index >= 0 && start === undefined; index--) {
        const part = window.parts[index]!;
        offset -= part.length;
        let at = Math.min(part.length, limit - offset) - 1;
        while (at >= 0) {
          const newline = part.lastIndexOf(NEWLINE, at);
          if (newline === -1) break;
          if (++found === lines) {
            start = offset + newline + 1;
            break;
          }
          at = newline - 1;
        }
      }
      windowEnd = Math.min(windowEnd, window.start);
    }
    start ??= 0;
    if (!first) return { end: size, tail: EMPTY };
    if (start >= first.start) {
      const parts = skipBytes(first.parts, start - first.start);
      for (const part of parts) await sink.write(part);
      return { end: first.end, tail: lastBytes(first.parts, TAIL_BYTES) };
    }
    const copied = await this.copy(start, first.end, sink, EMPTY);
    return copied === 'mismatch' ? { end: first.end, tail: EMPTY } : copied;
  }

  /** Prints the whole file as it is now. */
  async readAll(sink: LogSink): Promise<FilePosition> {
    const size = await this.size();
    if (size === 0) return { end: 0, tail: EMPTY };
    const copied = await this.copy(0, size, sink, EMPTY);
    return copied === 'mismatch' ? { end: size, tail: EMPTY } : copied;
  }

  /**
   * Prints bytes as they are appended, polling the size every `intervalMs`, until `ended()` says the task is
   * over (returns after one last read) or the signal fires (throws InterruptedError). A file that shrinks
   * (truncated, or rotated to a new, shorter one) or whose bytes before the read position change (replaced by
   * a file that already outgrew it) is read again from its start, after `onReset`. A file that disappears for
   * a while (rotation in progress) is waited for.
   */
  async follow(sink: LogSink, from: FilePosition, options: FollowOptions): Promise<void> {
    const intervalMs = options.intervalMs ?? 500;
    const endCheckMs = options.endCheckMs ?? 2_000;
    let position = from;
    let lastEndCheck = Number.NEGATIVE_INFINITY;
    let finalPass = false;
    for (;;) {
      this.checkAborted();
      const size = await this.size().catch((error: unknown) => {
        if (error instanceof MissingFileError) return undefined;
        throw error;
      });
      let moved = false;
      if (size !== undefined && size < position.end) {
        options.onReset?.('truncated');
        position = { end: 0, tail: EMPTY };
      }
      if (size !== undefined && size > position.end) {
        const copied = await this.copy(position.end, size, sink, alignedTail(position.tail));
        if (copied === 'mismatch') {
          options.onReset?.('replaced');
          position = { end: 0, tail: EMPTY };
          continue;
        }
        position = copied;
        moved = true;
      }
      if (finalPass) return;
      if (!moved && this.now() - lastEndCheck >= endCheckMs) {
        lastEndCheck = this.now();
        if (await options.ended()) {
          finalPass = true;
          continue;
        }
      }
      await this.sleep(intervalMs, this.options.signal);
    }
  }

  /**
   * Copies `[from, to)` (or to where the file now ends) to the sink with `readAhead` requests in flight, each
   * window written as soon as it and those before it are in. `anchor` are the bytes just before `from`: they
   * are read again and must be unchanged, else nothing is written and the answer is 'mismatch'.
   */
  private async copy(
    from: number,
    to: number,
    sink: LogSink,
    anchor: Buffer,
  ): Promise<FilePosition | 'mismatch'> {
    const begin = from - anchor.length;
    const queue: Array<{ start: number; end: number; answer: Promise<Buffer> }> = [];
    let next = begin;
    const launch = () => {
      while (queue.length < this.readAhead && next < to) {
        const start = next;
        const end = Math.min(to, start + this.windowBytes);
        const answer = this.readAt(start, end - start + SLACK, false).then((read) => read.bytes);
        // Settled later in order; a failure must not count as unhandled while earlier windows are awaited.
        answer.catch(() => undefined);
        queue.push({ start, end, answer });
        next = end;
      }
    };
    let position = begin;
    let tail: Buffer = EMPTY;
    launch();
    while (queue.length > 0) {
      const item = queue.shift()!;
      if (position >= item.end) continue;
      const window = await this.place(item.start, item.end, await item.answer, position, tail);
      let parts = skipBytes(window.parts, position - window.start);
      tail = appendTail(tail, parts);
      if (position < from) {
        const seen = firstBytes(parts, from - position);
        if (!seen.equals(anchor.subarray(anchor.length - (from - position)))) return 'mismatch';
        parts = skipBytes(parts, seen.length);
      }
      for (const part of parts) await sink.write(part);
      position = Math.max(position, window.end);
      // The file ended early: it shrank since its size was read. Later windows would find nothing.
      if (window.end < item.end) break;
      launch();
    }
    if (position < from) return 'mismatch';
    return { end: position, tail };
  }

  /**
   * Places a read-ahead answer for `[start, end)` after `position`. The bytes just written say exactly how
   * many continuation bytes `start` fell on (each came back as one U+FFFD), so the answer's bytes get exact
   * positions; a server that answered short is read on from there, and an answer that cannot be placed is
   * replaced by a plain read from `position`.
   */
  private async place(
    start: number,
    end: number,
    answer: Buffer,
    position: number,
    tail: Buffer,
  ): Promise<Window> {
    const stray = start >= position ? 0 : continuationBytes(tail, tail.length - (position - start));
    if (start > position || stray === undefined || !startsWithReplacements(answer, stray)) {
      return this.window(position, end, false);
    }
    const bytes = answer.subarray(stray * 3);
    const placed: Window = { start: start + stray, end: start + stray + bytes.length, parts: [bytes] };
    if (placed.start > position) return this.window(position, end, false);
    if (placed.end >= end || answer.length === 0) return placed;
    const rest = await this.window(placed.end, end, false);
    return { start: placed.start, end: rest.end, parts: [bytes, ...rest.parts] };
  }

  /**
   * `[start, end)` read backwards, `end` being a character boundary (the end of the file, or where the later
   * window starts). Asked in one request that the server does not cut, the answer is `end - start` bytes plus
   * two more per continuation byte `start` fell on (each came back as a 3-byte U+FFFD): that difference says
   * exactly how many leading U+FFFDs are stray. A shorter answer (a server with a smaller cap than Mesos', or
   * a file that changed meanwhile) is placed by its leading U+FFFDs instead, which a genuine U+FFFD right at
   * `start` would mislead by a few bytes.
   */
  private async backwardWindow(start: number, end: number): Promise<Window> {
    const { bytes } = await this.readAt(start, end - start, false);
    const extra = bytes.length - (end - start);
    if (extra >= 0 && extra % 2 === 0 && extra <= 6 && startsWithReplacements(bytes, extra / 2)) {
      const stray = extra / 2;
      return { start: start + stray, end, parts: [bytes.subarray(stray * 3)] };
    }
    return this.window(start, end, true);
  }

  /**
   * `[start, end)` plus up to SLACK bytes to finish the last character, in as many requests as the server's
   * cap needs. `unaligned`: `start` may be inside a character, whose stray bytes are dropped.
   */
  private async window(start: number, end: number, unaligned: boolean): Promise<Window> {
    const first = await this.readAt(start, end - start + SLACK, unaligned);
    const parts = first.bytes.length > 0 ? [first.bytes] : [];
    let position = first.start + first.bytes.length;
    // Each request moves forward or finds the end of the file: bounded by the window's size.
    // An answer of stray bytes only is not the end of the file: `got` counts them.
    for (let got = first.bytes.length + (first.start - start); position < end && got > 0;) {
      const { bytes } = await this.readAt(position, end - position + SLACK, false);
      if (bytes.length > 0) parts.push(bytes);
      position += bytes.length;
      got = bytes.length;
    }
    return { start: first.start, end: position, parts };
  }

  private async readAt(
    offset: number,
    length: number,
    unaligned: boolean,
  ): Promise<{ start: number; bytes: Buffer }> {
    const { data: bytes } = await this.call(offset, length);
    if (!unaligned || offset === 0) return { start: offset, bytes };
    let stray = 0;
    while (stray < 3 && isReplacementAt(bytes, stray * 3)) stray++;
    return { start: offset + stray, bytes: bytes.subarray(stray * 3) };
  }

  /**
   * One `/files/read`. The body is parsed from its bytes (see read-answer.ts); transient failures (a reset
   * connection, 502/503/504) are tried again, as the client does for its JSON requests.
   */
  private async call(offset: number, length?: number): Promise<ReadAnswer> {
    const url = `${this.agentUrl.replace(/\/+$/, '')}/files/read`;
    for (let attempt = 1; ; attempt++) {
      this.checkAborted();
      try {
        return await this.callOnce(url, offset, length);
      } catch (error) {
        const transient =
          (error instanceof NetworkError && error.kind === 'reset') ||
          (error instanceof HttpError && RETRYABLE_STATUS.has(error.status));
        if (!transient || attempt >= CALL_TRIES || this.options.signal?.aborted) throw error;
        await this.sleep(backoffDelay(attempt, Math.random), this.options.signal);
      }
    }
  }

  private async callOnce(url: string, offset: number, length: number | undefined): Promise<ReadAnswer> {
    const response = await this.http.stream(url, {
      query: { path: this.path, offset, length },
      // One chunk of the file: a finite answer, due within core.timeout like any other.
      bounded: true,
      acceptStatus: (status) => status === 404 || (status >= 200 && status < 300),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      if (response.status === 404) throw new MissingFileError(this.path);
      for await (const chunk of response.body) {
        chunks.push(chunk as Buffer);
        size += (chunk as Buffer).length;
        if (size > MAX_ANSWER_BYTES) break;
      }
    } catch (error) {
      if (this.options.signal?.aborted) throw new InterruptedError();
      throw error instanceof DcosError ? error : describeNetworkFailure(error, response.url);
    } finally {
      releaseBody(response.body);
    }
    const answer = size > MAX_ANSWER_BYTES ? undefined : parseReadAnswer(Buffer.concat(chunks, size));
    if (!answer) {
      throw new DcosError(`${response.url} did not answer like the Mesos files API ({"data", "offset"})`, {
        code: 'invalid_response',
      });
    }
    return answer;
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) throw new InterruptedError();
  }
}

function isReplacementAt(bytes: Buffer, at: number): boolean {
  return bytes.length >= at + 3 && bytes[at] === 0xef && bytes[at + 1] === 0xbf && bytes[at + 2] === 0xbd;
}

function endsWithNewline(window: Window): boolean {
  const last = window.parts[window.parts.length - 1];
  return last !== undefined && last[last.length - 1] === NEWLINE;
}

/** How many UTF-8 continuation bytes `tail` has from `at` on (at most 3); undefined when `at` is not in it. */
function continuationBytes(tail: Buffer, at: number): number | undefined {
  if (at < 0) return undefined;
  let count = 0;
  while (count < 3 && at + count < tail.length && (tail[at + count]! & 0xc0) === 0x80) count++;
  return count;
}

function startsWithReplacements(bytes: Buffer, count: number): boolean {
  for (let index = 0; index < count; index++) if (!isReplacementAt(bytes, index * 3)) return false;
  return true;
}

function skipBytes(parts: Buffer[], count: number): Buffer[] {
  let left = count;
  const kept: Buffer[] = [];
  for (const part of parts) {
    if (left >= part.length) left -= part.length;
    else {
      kept.push(left > 0 ? part.subarray(left) : part);
      left = 0;
    }
  }
  return kept;
}

function firstBytes(parts: Buffer[], count: number): Buffer {
  const taken: Buffer[] = [];
  let left = count;
  for (const part of parts) {
    if (left <= 0) break;
    taken.push(part.subarray(0, left));
    left -= Math.min(left, part.length);
  }
  return Buffer.concat(taken);
}

function lastBytes(parts: Buffer[], count: number): Buffer {
  const taken: Buffer[] = [];
  let left = count;
  for (let index = parts.length - 1; index >= 0 && left > 0; index--) {
    const part = parts[index]!;
    taken.unshift(part.subarray(Math.max(0, part.length - left)));
    left -= Math.min(left, part.length);
  }
  return Buffer.concat(taken);
}

function appendTail(tail: Buffer, parts: Buffer[]): Buffer {
  return lastBytes([tail, ...parts], TAIL_BYTES);
}

/** The tail without a leading partial character, so a read from its start begins on a character boundary. */
function alignedTail(tail: Buffer): Buffer {
  let at = 0;
  while (at < tail.length && (tail[at]! & 0xc0) === 0x80) at++;
  return tail.subarray(at);
}
