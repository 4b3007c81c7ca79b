/**
 * `dcos node log` without the DC/OS logging API: loopback servers that speak only the Mesos files API (the
 * very `/files/read` code `dcos local` serves, over temp files) for the master's `/master/log` and an
 * agent's `/slave/log`, and 404 on `/capabilities`.
 */
import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { Settings } from '../../../src/lib/config/keys.js';
import { DcosError, InterruptedError, UsageError } from '../../../src/lib/errors.js';
import { HttpClient } from '../../../src/lib/http/client.js';
import { FilesError, parseFilesQuery, read } from '../../../src/lib/local/mesos/files.js';
import type { LogSink } from '../../../src/lib/logs/files-api.js';
import { nodeLog, type NodeLogRequest, type NodeTarget } from '../../../src/lib/mesos/node-log.js';
import { rejection, withDeadline } from '../../helpers/http.js';
import { startServer, type TestServer } from '../../helpers/servers.js';

const AGENT = 'a1-S0';

let dir: string;
let masterLog: string;
let agentLog: string;
/** Serves `/mesos/files/read` and `/agent/<id>/files/read` (DC/OS routing) and `/files/read` (plain Mesos). */
let master: TestServer;
/** A plain Mesos agent: `/files/read` for `/slave/log`. */
let agent: TestServer;
let client: HttpClient;

/** A files API `/files/read` that knows one virtual path, backed by a real file. */
function filesRead(virtualPath: string, realPath: () => string) {
  return async (request: { path: string }, response: ServerResponse) => {
    const parsed = parseFilesQuery(new URL(request.path, 'http://x').searchParams);
    const reply = (status: number, body: string, type: string) => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if ('error' in parsed) return reply(400, parsed.error, 'text/plain');
    if (parsed.path !== virtualPath) return reply(404, '', 'text/plain');
    try {
      reply(200, JSON.stringify(await read(realPath(), parsed.offset, parsed.length)), 'application/json');
    } catch (error) {
      if (!(error instanceof FilesError)) throw error;
      reply(error.status, error.body, 'text/plain');
    }
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dcos-node-log-'));
  masterLog = join(dir, 'mesos-master.INFO');
  agentLog = join(dir, 'mesos-agent.INFO');
  agent = await startServer({ '/files/read': filesRead('/slave/log', () => agentLog) });
  master = await startServer({
    '/mesos/files/read': filesRead('/master/log', () => masterLog),
    '/files/read': filesRead('/master/log', () => masterLog),
    [`/agent/${AGENT}/files/read`]: filesRead('/slave/log', () => agentLog),
    // An agent started without --log_dir: its files API knows no /slave/log.
    '/agent/a2-S1/files/read': filesRead('/nothing', () => agentLog),
  });
  client = new HttpClient({ baseUrl: master.url, tries: 1 });
});

afterAll(async () => {
  await client.close();
  await Promise.all([master.close(), agent.close()]);
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  master.requests.length = 0;
  agent.requests.length = 0;
});

function lines(prefix: string, count: number): string {
  return Array.from({ length: count }, (_, index) => `${prefix} line ${index + 1}\n`).join('');
}

interface Run {
  out: string;
  notes: string[];
  verbose: string[];
}

async function run(
  target: NodeTarget,
  options: Partial<NodeLogRequest> & { settings?: Settings; state?: unknown; signal?: AbortSignal } = {},
): Promise<Run> {
  const result: Run = { out: '', notes: [], verbose: [] };
  const out: LogSink = { write: (chunk) => void (result.out += chunk.toString('utf8')) };
  const { settings, state, signal, ...request } = options;
  await nodeLog(
    { target, lines: 10, follow: false, filters: [], format: 'short', ...request },
    {
      http: client,
      settings: settings ?? { 'core.dcos_url': master.url },
      state,
      signal: signal ?? new AbortController().signal,
      onLine: () => expect.fail('no logging API v2 entry expected'),
      out,
      note: (line) => result.notes.push(line),
      verbose: (line) => result.verbose.push(line),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
      intervalMs: 20,
    },
  );
  return result;
}

describe('dcos node log over the Mesos files API', () => {
  it('--lines 3 prints the last 3 lines of the master log, after /capabilities answered 404', async () => {
    writeFileSync(masterLog, lines('master', 50));
    const result = await run({ leader: true }, { lines: 3 });
    expect(result.out).toBe('master line 48\nmaster line 49\nmaster line 50\n');
    expect(master.requests[0]!.path).toBe('/capabilities');
    // No capability list: the component log is tried first, and its 404 hands over to the files API.
    expect(master.requests[1]!.path).toMatch(/^\/system\/v1\/leader\/mesos\/logs\/v2\/component\?/);
    expect(master.requests.slice(2).every((request) => request.path.startsWith('/mesos/files/read?'))).toBe(
      true,
    );
    expect(result.verbose.slice(1)).toEqual([
      `node log: ${master.url}/system/v1/leader/mesos/logs/v2/component answered 404; using the Mesos files API`,
      `node log: Mesos files API at ${master.url}/mesos/files/read?path=%2Fmaster%2Flog (${master.url}/capabilities answered 404)`,
    ]);
  });

  it("prints an agent's /slave/log via --mesos-id (DC/OS agent route, and the agent itself on plain Mesos)", async () => {
    writeFileSync(agentLog, `${lines('agent', 5)}no newline at the end`);
    const viaDcos = await run({ agentId: AGENT }, { lines: 2 });
    expect(viaDcos.out).toBe('agent line 5\nno newline at the end\n');
    expect(viaDcos.verbose[2]).toContain(`${master.url}/agent/${AGENT}/files/read?path=%2Fslave%2Flog`);

    const state = { slaves: [{ id: AGENT, pid: `slave(1)@127.0.0.1:${agent.port}` }] };
    const plain = await run(
      { agentId: AGENT },
      { lines: 1, state, settings: { 'core.dcos_url': master.url, 'mesos.master_url': master.url } },
    );
    expect(plain.out).toBe('no newline at the end\n');
    expect(plain.verbose[0]).toBe(
      `node log: Mesos files API at ${agent.url}/files/read?path=%2Fslave%2Flog (mesos.master_url is set (plain Mesos has no DC/OS logging API))`,
    );
    // mesos.master_url set: no capability probe at all.
    expect(master.requests.filter((request) => request.path === '/capabilities')).toHaveLength(1);
  });

  it('a 404 for the log path says the node was started without --log_dir (exit 1)', async () => {
    const error = await rejection(run({ agentId: 'a2-S1' }));
    expect(error).toBeInstanceOf(DcosError);
    expect(error).not.toBeInstanceOf(UsageError);
    expect((error as DcosError).exitCode).toBe(1);
    expect((error as DcosError).message).toBe(
      `agent a2-S1 has no log at /slave/log (${master.url}/agent/a2-S1/files/read?path=%2Fslave%2Flog answered 404): it was started without --log_dir`,
    );
  });

  it('rejects --component, --filter and -o json as usage errors (exit 1) before reading anything', async () => {
    writeFileSync(masterLog, lines('master', 3));
    for (const [request, text] of [
      [{ component: 'dcos-marathon' }, '--component needs the DC/OS logging API'],
      [{ filters: ['PRIORITY:3'] }, '--filter needs the DC/OS logging API'],
      [{ component: 'x', filters: ['A:b'] }, '--component and --filter need the DC/OS logging API'],
      [{ format: 'json' as const }, '-o json needs the DC/OS logging API'],
    ] as const) {
      master.requests.length = 0;
      const error = await rejection(run({ leader: true }, request));
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(1);
      expect((error as UsageError).message).toContain(text);
      // Only the capability probe and the component log's 404: the files API was not read.
      const paths = master.requests.map((entry) => entry.path.split('?')[0]);
      expect(paths).toHaveLength(2);
      expect(paths[0]).toBe('/capabilities');
      expect(paths[1]).toMatch(/^\/system\/v1\/leader\/(mesos|marathon)\/logs\/v2\/component/);
    }
  });

  it('--follow prints appended lines, starts over after a truncation, and stops on abort', async () => {
    writeFileSync(masterLog, lines('old', 4));
    const controller = new AbortController();
    const out: string[] = [];
    const notes: string[] = [];
    const following = nodeLog(
      { target: { leader: true }, lines: 1, follow: true, filters: [], format: 'cat' },
      {
        http: client,
        settings: { 'core.dcos_url': master.url },
        signal: controller.signal,
        onLine: () => expect.fail('no logging API v2 entry expected'),
        out: { write: (chunk) => void out.push(chunk.toString('utf8')) },
        note: (line) => notes.push(line),
        intervalMs: 20,
      },
    );
    const until = async (what: string, done: () => boolean) =>
      withDeadline(
        (async () => {
          while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
        })(),
        5_000,
        what,
      );
    await until('the last line', () => out.join('') === 'old line 4\n');
    appendFileSync(masterLog, 'new line\n');
    await until('the appended line', () => out.join('').endsWith('new line\n'));
    truncateSync(masterLog, 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    appendFileSync(masterLog, 'after rotation\n');
    await until('the line after truncation', () => out.join('').endsWith('after rotation\n'));
    expect(notes).toEqual([
      'Note: the log of the leading Mesos master shrank (truncated or rotated); printing it from the start.',
    ]);
    controller.abort();
    expect(await rejection(following)).toBeInstanceOf(InterruptedError);
  });
});
