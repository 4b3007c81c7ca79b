/**
 * `dcos task log`: find the task(s) in the master state, pick the backend once (the DC/OS logging API v2 when
 * the cluster lists the LOGGING_V2 capability, else the Mesos files API through the agent), print the last
 * lines or the whole file, and with --follow keep printing until Ctrl-C or the task ends.
 */
import { settingString } from '../config/clusters.js';
import type { Settings } from '../config/keys.js';
import { serviceUrl } from '../config/services.js';
import { DcosError, InterruptedError, UsageError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { isRecord } from '../json.js';
import {
  agentBaseUrl,
  fetchMasterState,
  listMesosTasks,
  matchTasks,
  type MesosTaskInfo,
} from '../mesos/tasks.js';
import { FilesApiFile, MissingFileError, sandboxFile, sandboxPath, type LogSink } from './files-api.js';
import { LoggingV2TaskFile, type LineCount } from './logging-v2.js';

export type { LineCount } from './logging-v2.js';

export interface TaskLogRequest {
  /** A task id, or part of task ids/names. */
  filter: string;
  /** Sandbox-relative file (default `stdout`). */
  file: string;
  lines: LineCount;
  follow: boolean;
  /** Every matching task, each line prefixed with `[<task id>] `. */
  all: boolean;
  /** Also finished tasks. */
  completed: boolean;
}

export interface TaskLogContext {
  http: HttpClient;
  settings: Settings;
  signal: AbortSignal;
  out: LogSink;
  /** One line for the user on stderr (notes, per-task failures with --all). */
  note: (line: string) => void;
  /** --verbose: which backend and URL. */
  verbose?: (line: string) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Files API poll period while following (default 500 ms). */
  intervalMs?: number;
}

export type Backend = { kind: 'logging-v2' | 'files'; reason: string };

const CAPABILITIES_TYPE = 'application/vnd.dcos.capabilities+json;charset=utf-8;version=v1';
const TERMINAL_STATES = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);
/** The master state is fetched at most this often for end-of-task checks, however many tasks are followed. */
const STATE_MAX_AGE_MS = 1_000;

/** `--lines`: a count (a negative one is taken as its size, as the DC/OS CLI does) or `all`. */
export function parseLines(text: string): LineCount {
  if (text.trim().toLowerCase() === 'all') return 'all';
  if (!/^\s*-?\d+\s*$/.test(text)) {
    throw new UsageError(`--lines takes a number of lines or "all", not "${text}"`);
  }
  return Math.abs(Number(text));
}

/**
 * The log backend for this cluster, probed once: the logging API v2 when Cosmos' `/capabilities` lists
 * LOGGING_V2; the files API when it does not, when there is no such endpoint (404: not DC/OS, e.g. `dcos
 * local`), or on a plain Mesos cluster (`mesos.master_url` set).
 */
export async function chooseBackend(
  http: HttpClient,
  settings: Settings,
  signal?: AbortSignal,
): Promise<Backend> {
  if (settingString(settings, 'mesos.master_url')) {
    return { kind: 'files', reason: 'mesos.master_url is set (plain Mesos has no DC/OS logging API)' };
  }
  const response = await http.request<unknown>('GET', '/capabilities', {
    headers: { accept: CAPABILITIES_TYPE },
    // 401/403 are worth an error of their own; anything else only means "no capability list here".
    acceptStatus: (status) => status !== 401 && status !== 403,
    ...(signal ? { signal } : {}),
  });
  if (response.status < 200 || response.status >= 300) {
    return { kind: 'files', reason: `${response.url} answered ${response.status}` };
  }
  const listed =
    isRecord(response.data) &&
    Array.isArray(response.data.capabilities) &&
    response.data.capabilities.some((entry) => isRecord(entry) && entry.name === 'LOGGING_V2');
  return listed
    ? { kind: 'logging-v2', reason: 'the cluster lists the LOGGING_V2 capability' }
    : { kind: 'files', reason: 'the cluster does not list the LOGGING_V2 capability' };
}

/** The tasks `filter` names: one, or several with --all; errors say what matched or came close. */
export function selectTasks(state: unknown, request: Pick<TaskLogRequest, 'filter' | 'all' | 'completed'>) {
  const tasks = listMesosTasks(state, { completed: request.completed });
  const { matches, closest } = matchTasks(tasks, request.filter);
  if (matches.length === 0) {
    if (!request.completed) {
      const finished = matchTasks(listMesosTasks(state, { completed: true }), request.filter).matches;
      if (finished.length > 0) {
        throw new DcosError(
          `no running task matches '${request.filter}', but ${finished.length} finished ${finished.length === 1 ? 'task does' : 'tasks do'}; add --completed to see ${finished.length === 1 ? 'its' : 'their'} logs`,
          { code: 'task_not_found', details: { completed: finished.map((task) => task.id) } },
        );
      }
    }
    const hint = closest.length > 0 ? `; closest: ${closest.join(', ')}` : '';
    throw new DcosError(`no task matches '${request.filter}'${hint}`, {
      code: 'task_not_found',
      details: { closest },
    });
  }
  if (matches.length > 1 && !request.all) {
    throw new DcosError(
      `'${request.filter}' matches ${matches.length} tasks: ${matches.map((task) => task.id).join(', ')}; give one task id, or --all for each of them`,
      { code: 'ambiguous_task', details: { tasks: matches.map((task) => task.id) } },
    );
  }
  return matches;
}

/** Runs `dcos task log`. Resolves when done (or when followed tasks ended); throws InterruptedError on Ctrl-C. */
export async function taskLog(request: TaskLogRequest, context: TaskLogContext): Promise<void> {
  const { http, settings, signal } = context;
  const mesosUrl = serviceUrl(settings, 'mesos');
  const state = await fetchMasterState(http, mesosUrl, signal);
  const tasks = selectTasks(state, request);
  const backend = await chooseBackend(http, settings, signal);
  context.verbose?.(
    `Logs backend: ${backend.kind === 'files' ? 'Mesos files API' : 'DC/OS logging API v2'} (${backend.reason})`,
  );
  const ended = endWatcher(http, mesosUrl, signal, context.now ?? Date.now);
  const failures: string[] = [];
  const one = async (task: MesosTaskInfo) => {
    const sink = request.all
      ? new PrefixedLines(`[${task.id}] `, context.out)
      : new FinalNewline(context.out);
    try {
      await logTask(task, request, context, backend, state, sink, () => ended(task));
      if (request.follow && !signal.aborted) {
        const how = ended.stateOf(task);
        context.note(`Task ${task.id} ended${how ? ` (${how})` : ''}; stopped following.`);
      }
    } catch (error) {
      if (!request.all || error instanceof InterruptedError || signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      failures.push(task.id);
      context.note(`Error: task ${task.id}: ${message}`);
    } finally {
      if (!signal.aborted) await sink.flush();
    }
  };
  if (request.follow) await Promise.all(tasks.map(one));
  else for (const task of tasks) await one(task);
  if (signal.aborted) throw new InterruptedError();
  if (failures.length > 0) {
    throw new DcosError(`could not print the logs of ${failures.length} of ${tasks.length} tasks`, {
      code: 'partial_failure',
      details: { tasks: failures },
    });
  }
}

async function logTask(
  task: MesosTaskInfo,
  request: TaskLogRequest,
  context: TaskLogContext,
  backend: Backend,
  state: unknown,
  sink: LogSink,
  ended: () => Promise<boolean>,
): Promise<void> {
  const { http, signal } = context;
  if (backend.kind === 'logging-v2') {
    const reader = new LoggingV2TaskFile(http, task.id, request.file, {
      signal,
      ...(context.sleep ? { sleep: context.sleep } : {}),
      onReconnect: (error, delayMs) =>
        context.verbose?.(
          `log stream of ${task.id} lost (${(error as Error).message}); reconnecting in ${delayMs} ms`,
        ),
    });
    context.verbose?.(`Task ${task.id}: ${reader.url}`);
    try {
      if (request.follow) await reader.follow(request.lines, sink, { ended });
      else await reader.read(request.lines, sink);
      return;
    } catch (error) {
      if (error instanceof MissingFileError) throw missingFile(task, request.file);
      throw error;
    }
  }
  const agentUrl = agentBaseUrl(context.settings, task.agentId, state);
  const agentState = await http.get<unknown>(`${agentUrl}/state`, { signal, service: 'the Mesos agent' });
  const sandbox = sandboxPath(agentState, task);
  if (!sandbox) {
    throw new DcosError(
      `the sandbox of task ${task.id} is no longer on agent ${task.agentHostname ?? task.agentId} (Mesos removes old sandboxes)`,
      { code: 'sandbox_not_found' },
    );
  }
  const file = new FilesApiFile(http, agentUrl, sandboxFile(sandbox, request.file), {
    signal,
    ...(context.sleep ? { sleep: context.sleep } : {}),
    ...(context.now ? { now: context.now } : {}),
  });
  context.verbose?.(`Task ${task.id}: ${file.url}`);
  try {
    const position =
      request.lines === 'all' ? await file.readAll(sink) : await file.readLastLines(request.lines, sink);
    if (!request.follow) return;
    await file.follow(sink, position, {
      ended,
      ...(context.intervalMs ? { intervalMs: context.intervalMs } : {}),
      onReset: (reason) =>
        context.note(
          reason === 'truncated'
            ? `Note: ${request.file} of task ${task.id} shrank (truncated or rotated); printing it from the start.`
            : `Note: ${request.file} of task ${task.id} was replaced (rotated); printing the new file from the start.`,
        ),
    });
  } catch (error) {
    if (error instanceof MissingFileError) throw missingFile(task, request.file);
    throw error;
  }
}

function missingFile(task: MesosTaskInfo, file: string): DcosError {
  return new DcosError(`task ${task.id} has no file '${file}' in its sandbox`, { code: 'file_not_found' });
}

/**
 * "Has this task ended?" for every followed task from one master state, fetched at most once a second. A
 * failed fetch counts as "not ended" (the log may well still flow); a task gone from the state has ended.
 */
function endWatcher(http: HttpClient, mesosUrl: string, signal: AbortSignal, now: () => number) {
  let cached: { at: number; tasks: Promise<MesosTaskInfo[]> } | undefined;
  const states = new Map<string, string>();
  const check = async (task: MesosTaskInfo): Promise<boolean> => {
    if (!cached || now() - cached.at >= STATE_MAX_AGE_MS) {
      const tasks = fetchMasterState(http, mesosUrl, signal).then((state) =>
        listMesosTasks(state, { completed: true }),
      );
      tasks.catch(() => undefined);
      cached = { at: now(), tasks };
    }
    let tasks: MesosTaskInfo[];
    try {
      tasks = await cached.tasks;
    } catch {
      return false;
    }
    const current = tasks.find((entry) => entry.id === task.id && entry.frameworkId === task.frameworkId);
    if (current && !current.completed && !TERMINAL_STATES.has(current.state)) return false;
    states.set(task.id, current?.state ?? 'gone from the master state');
    return true;
  };
  return Object.assign(check, { stateOf: (task: MesosTaskInfo) => states.get(task.id) });
}

/** A sink whose output is finished by `flush` (a newline the file lacked, a partial line). */
export interface FlushingSink extends LogSink {
  flush(): Promise<void>;
}

/** Passes bytes through; at the end adds the newline a file without a trailing one lacks (the prompt stays clean). */
export class FinalNewline implements FlushingSink {
  private last = 0x0a;

  constructor(private readonly out: LogSink) {}

  write(chunk: Buffer): void | Promise<void> {
    if (chunk.length === 0) return;
    this.last = chunk[chunk.length - 1]!;
    return this.out.write(chunk);
  }

  async flush(): Promise<void> {
    if (this.last !== 0x0a) await this.out.write(Buffer.from('\n'));
    this.last = 0x0a;
  }
}

/**
 * Prefixes each line with its task, writing whole lines only so the lines of tasks followed together
 * interleave cleanly. A partial line is held until its newline, up to LINE_LIMIT bytes (memory stays flat).
 */
export class PrefixedLines implements FlushingSink {
  static readonly LINE_LIMIT = 64 * 1024;
  private readonly prefix: Buffer;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The line being held was already started on the output (it outgrew LINE_LIMIT). */
  private started = false;

  constructor(
    prefix: string,
    private readonly out: LogSink,
  ) {
    this.prefix = Buffer.from(prefix, 'utf8');
  }

  write(chunk: Buffer): void | Promise<void> {
    const pieces: Buffer[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(0x0a, start); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      if (!this.started) pieces.push(this.prefix);
      pieces.push(...this.partial, chunk.subarray(start, newline + 1));
      this.partial = [];
      this.partialBytes = 0;
      this.started = false;
      start = newline + 1;
    }
    if (start < chunk.length) {
      this.partial.push(Buffer.from(chunk.subarray(start)));
      this.partialBytes += chunk.length - start;
      if (this.partialBytes > PrefixedLines.LINE_LIMIT) {
        if (!this.started) pieces.push(this.prefix);
        pieces.push(...this.partial);
        this.partial = [];
        this.partialBytes = 0;
        this.started = true;
      }
    }
    if (pieces.length > 0) return this.out.write(Buffer.concat(pieces));
  }

  async flush(): Promise<void> {
    if (this.partialBytes === 0 && !this.started) return;
    await this.out.write(
      Buffer.concat([...(this.started ? [] : [this.prefix]), ...this.partial, Buffer.from('\n')]),
    );
    this.partial = [];
    this.partialBytes = 0;
    this.started = false;
  }
}

/**
 * stdout (or any writable) as a sink that waits for 'drain' when the pipe is full, so a slow reader slows
 * the download rather than filling memory. A reader that went away (EPIPE: `| head`) ends the copy quietly.
 */
export function writableSink(stream: NodeJS.WritableStream): LogSink {
  let failure: Error | undefined;
  stream.on('error', (error: Error) => (failure ??= error));
  return {
    write(chunk: Buffer) {
      if (failure) throw failure;
      if (stream.write(chunk)) return;
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          stream.off('drain', done);
          stream.off('error', done);
          if (error) reject(error);
          else resolve();
        };
        stream.on('drain', done);
        stream.on('error', done);
      });
    },
  };
}

export function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}
