import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { logEntry, systemV1 } from '../../../src/lib/local/logs.js';
import { Router } from '../../../src/lib/local/router.js';

const LOG = join(mkdtempSync(join(tmpdir(), 'dcos-logs-')), 'daemon.log');
const AGENT = 'c1-S0';
let server: Server;
let base: string;

/** Ten daemon lines `line 1`..`line 10`, the even ones about a task. */
function resetLog(): void {
  const lines = Array.from({ length: 10 }, (_, index) => {
    const n = index + 1;
    return `2024-01-02T03:04:${String(n).padStart(2, '0')}.000Z line ${n}${n % 2 === 0 ? ' task' : ''}\n`;
  });
  writeFileSync(LOG, lines.join(''));
}

beforeAll(async () => {
  const router = new Router().mount(
    '/system/v1',
    systemV1({ logFile: LOG, agentIds: () => [AGENT], hostname: 'h', pid: 42, pollMs: 20 }),
  );
  server = createServer((request, response) => void router.handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/system/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(resetLog);

async function text(path: string, accept = 'text/plain'): Promise<{ status: number; lines: string[] }> {
  const response = await fetch(`${base}${path}`, { headers: { accept } });
  const body = await response.text();
  return { status: response.status, lines: body.split('\n').filter((line) => line !== '') };
}

const messages = (lines: string[]) =>
  lines.map((line) => (JSON.parse(line) as { fields: { MESSAGE: string } }).fields.MESSAGE);

describe('component logs (logging API v2 subset)', () => {
  it('gives the last N lines for skip=-N, on the master, the leaders and an agent', async () => {
    for (const path of [
      '/logs/v2/component',
      '/leader/mesos/logs/v2/component/dcos-mesos-master.service',
      '/leader/marathon/logs/v2/component/dcos-marathon',
      `/agent/${AGENT}/logs/v2/component/dcos-mesos-slave.service`,
    ]) {
      const { status, lines } = await text(`${path}?skip=-3`);
      expect(status, path).toBe(200);
      expect(
        lines.map((line) => line.slice(25)),
        path,
      ).toEqual(['line 8 task', 'line 9', 'line 10 task']);
    }
  });

  it('reads from the start with a limit, and skips forward from a cursor', async () => {
    expect((await text('/logs/v2/component?limit=2', 'application/json')).lines).toHaveLength(2);
    const first = await text('/logs/v2/component?limit=2', 'application/json');
    expect(messages(first.lines)).toEqual(['line 1', 'line 2 task']);
    const cursor = (JSON.parse(first.lines[1]!) as { cursor: string }).cursor;
    const next = await text(`/logs/v2/component?cursor=${cursor}&skip=1&limit=2`, 'application/json');
    expect(messages(next.lines)).toEqual(['line 3', 'line 4 task']);
    const tail = await text('/logs/v2/component?cursor=END&skip=-2&limit=1', 'application/json');
    expect(messages(tail.lines)).toEqual(['line 9']);
  });

  it('writes dcos-log entries: fields, cursor and the time in microseconds', async () => {
    const [line] = (await text('/logs/v2/component?skip=-1', 'application/json')).lines;
    expect(JSON.parse(line!)).toMatchObject({
      fields: { MESSAGE: 'line 10 task', SYSLOG_IDENTIFIER: 'dcos-mesos-master', _HOSTNAME: 'h', _PID: '42' },
      realtime_timestamp: Date.parse('2024-01-02T03:04:10.000Z') * 1000,
    });
    expect(logEntry('no time here', 0, {}, 5).realtime_timestamp).toBe(5);
  });

  it('filters on fields, counting skip in matching entries only', async () => {
    const { lines } = await text(
      '/logs/v2/component?skip=-2&filter=MESSAGE:line%206%20task&filter=MESSAGE:line%203',
      'application/json',
    );
    expect(messages(lines)).toEqual(['line 3', 'line 6 task']);
    const none = await text('/logs/v2/component?filter=SYSLOG_IDENTIFIER:other');
    expect(none.status).toBe(204);
  });

  it('answers 204 for a unit the node does not run, 404 for an unknown agent, 400 for bad input', async () => {
    expect((await text(`/agent/${AGENT}/logs/v2/component/dcos-marathon.service`)).status).toBe(204);
    expect((await text('/agent/nope/logs/v2/component')).status).toBe(404);
    expect((await text('/logs/v2/component?filter=novalue')).status).toBe(400);
    expect((await text('/logs/v2/component?skip=x')).status).toBe(400);
    expect((await text('/logs/v2/task/x/file/stdout')).status).toBe(404);
  });

  it('follows the file as server-sent events, picking up appended lines', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/logs/v2/component?skip=-1`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const readUntil = async (needle: string) => {
      for (let reads = 0; reads < 50 && !received.includes(needle); reads++) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value;
      }
      return received.includes(needle);
    };
    expect(await readUntil('line 10 task')).toBe(true);
    appendFileSync(LOG, '2024-01-02T03:05:00.000Z appended\n');
    expect(await readUntil('"MESSAGE":"appended"')).toBe(true);
    const data = received.split('\n').filter((line) => line.startsWith('data: '));
    expect(
      data.map((line) => (JSON.parse(line.slice(6)) as { fields: { MESSAGE: string } }).fields.MESSAGE),
    ).toEqual(['line 10 task', 'appended']);
    controller.abort();
  });
});
