/**
 * `dcos node log` over the DC/OS logging API v2 (dcos-log): component logs of the leading master or of one
 * agent, the last N entries as newline-delimited JSON, or followed as server-sent events. Entries are parsed
 * as they arrive, so memory stays flat however long the log is. A cluster without that API (plain Mesos, or
 * DC/OS without LOGGING_V2) gets Mesos' own log instead, read through the files API (`/master/log` on the
 * master, `/slave/log` on the agent) with the same reader as `dcos task log`.
 */
import { StringDecoder } from 'node:string_decoder';

import { settingString } from '../config/clusters.js';
import type { Settings } from '../config/keys.js';
import { clusterUrl, serviceUrl } from '../config/services.js';
import { DcosError, InterruptedError, UsageError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { releaseBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { SseParser } from '../http/sse.js';
import { isRecord } from '../json.js';
import { FilesApiFile, MissingFileError, type LogSink } from '../logs/files-api.js';
import { chooseBackend, FinalNewline } from '../logs/task-log.js';
import { agentBaseUrl, closestNames } from './tasks.js';

export type NodeTarget = { leader: true } | { agentId: string };
export type LogFormat = 'short' | 'cat' | 'json';

/** Longer NDJSON lines are a broken server, not a log entry; stop rather than buffer them. */
const MAX_ENTRY_BYTES = 1024 * 1024;

/**
 * The component-log path (below the cluster URL). Only Mesos and Marathon have a leader; the Marathon unit
 * is asked of the leading Marathon, which may run on another master than the leading Mesos.
 */
export function componentLogPath(target: NodeTarget, component?: string): string {
  const unit = component ? `/${encodeURIComponent(component.replace(/\.service$/, ''))}.service` : '';
  if ('leader' in target) {
    const leader = component?.startsWith('dcos-marathon') ? 'marathon' : 'mesos';
    return `/system/v1/leader/${leader}/logs/v2/component${unit}`;
  }
  return `/system/v1/agent/${encodeURIComponent(target.agentId)}/logs/v2/component${unit}`;
}

/** `--filter KEY:VALUE` values checked, in dcos-log's query form. */
export function parseFilters(filters: readonly string[]): string[] {
  for (const filter of filters) {
    if (filter.indexOf(':') <= 0) {
      throw new UsageError(`invalid filter argument ${filter}, must be --filter=key:value`, {
        code: 'invalid_filter',
      });
    }
  }
  return [...filters];
}

/**
 * The query for the last `lines` entries (cursor at the end, `lines` back), plus `limit` when not following
 * so a log written to meanwhile still gives exactly `lines` entries.
 */
export function logQuery(lines: number, follow: boolean, filters: readonly string[]): URLSearchParams {
  const query = new URLSearchParams({ cursor: 'END', skip: String(-lines) });
  if (!follow) query.set('limit', String(lines));
  for (const filter of filters) query.append('filter', filter);
  return query;
}

/** One dcos-log entry as a line: `short` = `<UTC time> <identifier>[<pid>]: <message>` like journalctl. */
export function formatEntry(entry: unknown, format: LogFormat): string | undefined {
  if (!isRecord(entry) || !isRecord(entry.fields)) return undefined;
  const fields = entry.fields;
  const message = typeof fields.MESSAGE === 'string' ? fields.MESSAGE : '';
  if (format === 'cat') return message;
  if (format === 'json') return JSON.stringify(entry);
  const micros = typeof entry.realtime_timestamp === 'number' ? entry.realtime_timestamp : 0;
  const time = `${new Date(micros / 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  const identifier = typeof fields.SYSLOG_IDENTIFIER === 'string' ? fields.SYSLOG_IDENTIFIER : '';
  const pid = typeof fields._PID === 'string' && fields._PID !== '' ? `[${fields._PID}]` : '';
  return `${time}${identifier ? ` ${identifier}${pid}` : ''}: ${message}`;
}

export interface NodeLogOptions {
  lines: number;
  follow: boolean;
  filters: readonly string[];
  format: LogFormat;
  signal?: AbortSignal;
  /** Called with each formatted line, in order. */
  onLine: (line: string) => void;
}

/**
 * Prints the log: without follow, at most `lines` entries then returns the number printed; with follow, runs
 * until the server ends the stream (returns) or the signal aborts (throws InterruptedError).
 */
export async function readNodeLog(http: HttpClient, url: string, options: NodeLogOptions): Promise<number> {
  if (!options.follow && options.lines === 0) return 0;
  const query = logQuery(options.lines, options.follow, options.filters);
  const response = await http.stream(`${url}?${query.toString()}`, {
    headers: { accept: options.follow ? 'text/event-stream' : 'application/json' },
    // Without --follow the log is a finite answer, due within core.timeout like any other.
    bounded: !options.follow,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let printed = 0;
  const emit = (entry: unknown) => {
    if (!options.follow && printed >= options.lines) return;
    const line = formatEntry(entry, options.format);
    if (line === undefined) return;
    printed += 1;
    options.onLine(line);
  };
  if (response.status === 204) {
    response.body.resume();
    return 0;
  }
  const sse = options.follow ? new SseParser() : undefined;
  let pending = '';
  try {
    // A decoder, not setEncoding: undici's body yields Buffers regardless, and UTF-8 may split across chunks.
    const decoder = new StringDecoder('utf8');
    for await (const raw of response.body as AsyncIterable<Buffer | string>) {
      const chunk = typeof raw === 'string' ? raw : decoder.write(raw);
      if (sse) {
        for (const event of sse.feed(chunk)) if (event.data !== '') emit(parseEntry(event.data));
        continue;
      }
      pending += chunk;
      let newline = pending.indexOf('\n');
      for (; newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== '') emit(parseEntry(line));
      }
      if (pending.length > MAX_ENTRY_BYTES) {
        throw new DcosError(`${response.url} sent a log entry over ${MAX_ENTRY_BYTES} bytes`, {
          code: 'invalid_response',
        });
      }
      if (printed >= options.lines) break;
    }
  } catch (error) {
    if (options.signal?.aborted) throw new InterruptedError();
    throw error;
  } finally {
    // Destroying an unfinished undici body reports an 'error' that must not become an uncaught exception.
    releaseBody(response.body);
  }
  if (options.signal?.aborted) throw new InterruptedError();
  if (pending.trim() !== '') emit(parseEntry(pending.trim()));
  return printed;
}

function parseEntry(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DcosError(`the logging API sent an entry that is not JSON: ${text.slice(0, 80)}`, {
      code: 'invalid_response',
    });
  }
}

/** `--leader` xor `--mesos-id`, with the DC/OS CLI's messages. */
export function nodeTarget(flags: { leader?: boolean; mesosId?: string }): NodeTarget {
  if (flags.leader && flags.mesosId !== undefined) {
    throw new UsageError('unable to use --leader and --mesos-id at the same time', { code: 'usage' });
  }
  if (flags.leader) return { leader: true };
  if (flags.mesosId !== undefined) return { agentId: flags.mesosId };
  throw new UsageError("'--leader' or '--mesos-id' must be provided", { code: 'usage' });
}

/** Fails with the closest agent ids when `agentId` is not an agent of the state. */
export function requireAgent(agentIds: readonly string[], agentId: string): void {
  if (agentIds.includes(agentId)) return;
  const closest = closestNames(agentId, agentIds, 3);
  throw new DcosError(
    `agent '${agentId}' not found${closest.length > 0 ? `; closest: ${closest.join(', ')}` : ''}`,
    { code: 'agent_not_found', details: { closest } },
  );
}

export interface NodeLogRequest {
  target: NodeTarget;
  lines: number;
  follow: boolean;
  /** A systemd unit: logging API v2 only. */
  component?: string;
  /** Checked `KEY:VALUE` filters (parseFilters): logging API v2 only. */
  filters: readonly string[];
  format: LogFormat;
}

export interface NodeLogContext {
  http: HttpClient;
  settings: Settings;
  /** The master state; needed for an agent's address on plain Mesos (`mesos.master_url`). */
  state?: unknown;
  signal: AbortSignal;
  /** Each formatted logging API v2 entry. */
  onLine: (line: string) => void;
  /** The raw bytes of a files API log. */
  out: LogSink;
  /** One line for the user on stderr (rotation notes). */
  note: (line: string) => void;
  /** --verbose: which backend and URL. */
  verbose?: (line: string) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Files API poll period while following (default 500 ms). */
  intervalMs?: number;
}

/**
 * Runs `dcos node log` with the backend the cluster has (probed like `dcos task log`). Following over the
 * files API runs until the signal aborts (a node's log never ends); the logging API v2 stream may end.
 */
export async function nodeLog(request: NodeLogRequest, context: NodeLogContext): Promise<void> {
  const { http, settings, signal } = context;
  const backend = await chooseBackend(http, settings, signal);
  const url = `${clusterUrl(settings).replace(/\/+$/, '')}${componentLogPath(request.target, request.component)}`;
  const readV2 = () => readNodeLog(http, url, { ...request, signal, onLine: context.onLine });
  if (backend.kind === 'logging-v2') {
    context.verbose?.(`node log: DC/OS logging API v2 at ${url}`);
    await readV2();
    return;
  }
  if (!settingString(settings, 'mesos.master_url')) {
    // No capability list is not proof of no logging API: some clusters (`dcos local`) serve the component
    // logs without /capabilities. A 404 there comes before any output, so the files API can still take over.
    context.verbose?.(`node log: DC/OS logging API v2 at ${url}? (${backend.reason})`);
    try {
      await readV2();
      return;
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 404) throw error;
      context.verbose?.(`node log: ${url} answered 404; using the Mesos files API`);
    }
  }
  const journald = [
    request.component !== undefined && '--component',
    request.filters.length > 0 && '--filter',
  ]
    .filter((flag): flag is string => typeof flag === 'string')
    .join(' and ');
  if (journald) {
    throw new UsageError(
      `${journald} need${journald.includes(' and ') ? '' : 's'} the DC/OS logging API, which this cluster does not have (${backend.reason}); without ${journald.includes(' and ') ? 'them' : 'it'}, Mesos' own log is shown`,
      { code: 'usage' },
    );
  }
  if (request.format === 'json') {
    throw new UsageError(
      `-o json needs the DC/OS logging API, which this cluster does not have (${backend.reason}); the Mesos log is plain text`,
      { code: 'usage' },
    );
  }
  const file = mesosLogFile(request.target, context);
  const what = 'leader' in request.target ? 'the leading Mesos master' : `agent ${request.target.agentId}`;
  context.verbose?.(`node log: Mesos files API at ${file.url} (${backend.reason})`);
  const sink = new FinalNewline(context.out);
  try {
    const position = await file.readLastLines(request.lines, sink);
    if (!request.follow) return;
    await file.follow(sink, position, {
      ended: () => Promise.resolve(false),
      ...(context.intervalMs ? { intervalMs: context.intervalMs } : {}),
      onReset: (reason) =>
        context.note(
          reason === 'truncated'
            ? `Note: the log of ${what} shrank (truncated or rotated); printing it from the start.`
            : `Note: the log of ${what} was replaced (rotated); printing the new file from the start.`,
        ),
    });
  } catch (error) {
    if (error instanceof MissingFileError) {
      throw new DcosError(
        `${what} has no log at ${file.path} (${file.url} answered 404): it was started without --log_dir`,
        { code: 'log_not_found' },
      );
    }
    throw error;
  } finally {
    if (!signal.aborted) await sink.flush();
  }
}

/** Mesos' own log as a files API file: `/master/log` on the leading master, `/slave/log` on an agent. */
export function mesosLogFile(
  target: NodeTarget,
  context: Pick<NodeLogContext, 'http' | 'settings' | 'state' | 'signal' | 'sleep'>,
): FilesApiFile {
  const options = { signal: context.signal, ...(context.sleep ? { sleep: context.sleep } : {}) };
  if ('leader' in target) {
    return new FilesApiFile(context.http, serviceUrl(context.settings, 'mesos'), '/master/log', options);
  }
  const agentUrl = agentBaseUrl(context.settings, target.agentId, context.state);
  return new FilesApiFile(context.http, agentUrl, '/slave/log', options);
}
