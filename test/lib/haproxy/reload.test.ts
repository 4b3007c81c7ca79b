/**
 * The real haproxy (master-worker) on loopback high ports: start, hitless reload to a new worker, a refused
 * config that leaves the old worker serving, finding a running master again, and stopping everything.
 */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { DcosError } from '../../../src/lib/errors.js';
import { HaproxyProcess, parseShowProc } from '../../../src/lib/haproxy/reload.js';
import { processAlive } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'dcos-haproxy-reload-'));
const running: HaproxyProcess[] = [];
const masters = new Set<number>();

afterEach(async () => {
  await Promise.all(running.splice(0).map((haproxy) => haproxy.stop()));
  // Belt and braces: a failed assertion must not leave a master (or its workers) behind.
  for (const pid of masters) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  masters.clear();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(port: number, body: string): string {
  return [
    'global',
    '  maxconn 200',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend web',
    `  bind 127.0.0.1:${port}`,
    `  http-request return status 200 content-type text/plain string "${body}"`,
    '',
  ].join('\n');
}

/** One request on a fresh connection (no keep-alive: every request goes through accept()). */
function fetchText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

async function setup(name: string, body = 'A') {
  const port = await freePort();
  const configFile = join(dir, `${name}.cfg`);
  await writeFile(configFile, config(port, body));
  const options = { configFile, masterSocket: join(dir, `${name}.sock`), timeoutMs: 10_000 };
  const haproxy = new HaproxyProcess(options);
  running.push(haproxy);
  return { port, configFile, haproxy, options };
}

describe('parseShowProc', () => {
  it('reads the master, current and old workers of HAProxy 2.6', () => {
    const status = parseShowProc(
      [
        '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
        '11946           master          4 [failed: 1]   0d00h11m28s     2.6.12-1+deb12u4',
        '# workers',
        '22922           worker          0               0d00h00m01s     2.6.12-1+deb12u4',
        '# old workers',
        '22893           worker          1               0d00h00m03s     2.6.12-1+deb12u4',
        '# programs',
        '',
        '',
      ].join('\n'),
    );
    expect(status).toEqual({
      master: { pid: 11946, reloads: 4, failedReloads: 1, uptime: '0d00h11m28s' },
      workers: [{ pid: 22922, reloads: 0, uptime: '0d00h00m01s' }],
      oldWorkers: [{ pid: 22893, reloads: 1, uptime: '0d00h00m03s' }],
    });
  });

  it('rejects an answer without a master line', () => {
    expect(() => parseShowProc('Unknown command.\n')).toThrow(DcosError);
  });
});

describe('HaproxyProcess with the real haproxy', () => {
  it('starts a master-worker haproxy, reloads it hitlessly to a new worker, and stops it', async () => {
    const { port, configFile, haproxy } = await setup('hitless');
    const start = await haproxy.apply();
    masters.add(start.masterPid);
    expect(start).toMatchObject({ kind: 'started' });
    expect(haproxy.owned).toBe(true);
    expect(await fetchText(port)).toBe('A');

    // Requests on fresh connections all through five reloads: not one may be refused or reset.
    let stopLoad = false;
    const seen: string[] = [];
    const failures: string[] = [];
    const load = (async () => {
      for (let i = 0; i < 5_000 && !stopLoad; i++) {
        await fetchText(port).then(
          (text) => seen.push(text),
          (error: Error) => failures.push(error.message),
        );
      }
    })();
    let previous = start.workerPid;
    for (const body of ['B', 'C', 'D', 'E', 'F']) {
      await writeFile(configFile, config(port, body));
      const reload = await haproxy.apply();
      expect(reload).toMatchObject({
        kind: 'reloaded',
        masterPid: start.masterPid,
        previousWorkerPid: previous,
      });
      expect(reload.workerPid).not.toBe(previous);
      previous = reload.workerPid;
      expect(await fetchText(port)).toBe(body);
    }
    stopLoad = true;
    await load;
    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(20);
    expect(new Set(seen)).toEqual(new Set(['A', 'B', 'C', 'D', 'E', 'F']));

    await haproxy.stop();
    expect(processAlive(start.masterPid)).toBe(false);
    expect(processAlive(previous)).toBe(false);
    await expect(fetchText(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses an invalid config on reload and keeps the old worker serving', async () => {
    const { port, configFile, haproxy } = await setup('refused');
    const start = await haproxy.apply();
    masters.add(start.masterPid);
    await writeFile(configFile, `${config(port, 'B')}  no-such-keyword here\n`);
    const error = await haproxy.apply().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DcosError);
    expect(error).toMatchObject({ code: 'haproxy_reload_failed' });
    expect((error as Error).message).toMatch(/refused the new config.*no-such-keyword/s);
    expect(await fetchText(port)).toBe('A');
    const status = await haproxy.status();
    expect(status?.workers.map((worker) => worker.pid)).toEqual([start.workerPid]);

    // A good config afterwards goes through as usual.
    await writeFile(configFile, config(port, 'C'));
    expect(await haproxy.apply()).toMatchObject({ kind: 'reloaded' });
    expect(await fetchText(port)).toBe('C');
  });

  it('finds a master already running on the socket, reloads it, and leaves it running on stop', async () => {
    const { port, configFile, haproxy, options } = await setup('adopt');
    const start = await haproxy.apply();
    masters.add(start.masterPid);
    const again = new HaproxyProcess(options);
    await writeFile(configFile, config(port, 'B'));
    expect(await again.apply()).toMatchObject({ kind: 'reloaded', masterPid: start.masterPid });
    expect(again.owned).toBe(false);
    await again.stop();
    expect(processAlive(start.masterPid)).toBe(true);
    expect(await fetchText(port)).toBe('B');
  });

  it('reports a start that fails (port taken) with haproxy alerts, leaving no process', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as AddressInfo;
      const configFile = join(dir, 'taken.cfg');
      await writeFile(configFile, config(port, 'A'));
      let pid: number | undefined;
      const haproxy = new HaproxyProcess({
        configFile,
        masterSocket: join(dir, 'taken.sock'),
        spawn: (command, args, spawnOptions) => {
          const child = spawn(command, args, spawnOptions);
          pid = child.pid;
          return child;
        },
      });
      const error = await haproxy.apply().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'haproxy_start_failed' });
      expect((error as Error).message).toMatch(/exited at start.*cannot bind socket/s);
      expect(pid).toBeDefined();
      expect(processAlive(pid!)).toBe(false);
      expect(haproxy.owned).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('says so when the haproxy binary does not exist', async () => {
    const haproxy = new HaproxyProcess({
      configFile: join(dir, 'none.cfg'),
      masterSocket: join(dir, 'none.sock'),
      haproxyBin: join(dir, 'no-such-haproxy'),
    });
    await expect(haproxy.apply()).rejects.toMatchObject({ code: 'haproxy_not_found' });
  });

  it('refuses a master socket path too long for a Unix socket', () => {
    expect(
      () => new HaproxyProcess({ configFile: 'x.cfg', masterSocket: `/tmp/${'x'.repeat(120)}.sock` }),
    ).toThrow(/too long/);
  });
});
