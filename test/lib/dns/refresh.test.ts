import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { parseDnsConfig } from '../../../src/lib/dns/config.js';
import { generateRecords } from '../../../src/lib/dns/records.js';
import { leaderHost, masterAddress, pollMasters, RecordStore } from '../../../src/lib/dns/refresh.js';
import { DcosError } from '../../../src/lib/errors.js';
import { startServer, type TestServer } from '../../helpers/servers.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function state(leader: string, marker = '') {
  return { leader, marker, slaves: [], frameworks: [] };
}

async function master(json: unknown, status = 200): Promise<TestServer> {
  const server = await startServer({ '/master/state': () => ({ status, json }) });
  closers.push(() => server.close());
  return server;
}

/** An HTTP server on another loopback address (127.0.0.x) and a given port; undefined if the port is taken. */
async function masterAt(
  address: string,
  port: number,
  json: unknown,
): Promise<{ requests: string[] } | undefined> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(json));
  });
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, address, () => resolve(true));
  });
  if (!ok) return undefined;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  expect((server.address() as AddressInfo).address).toBe(address);
  return { requests };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('pollMasters', () => {
  it('skips a master that is down and uses the next one', async () => {
    const down = await closedPort();
    const up = await master(state('master@127.0.0.1:5050', 'second'));
    const result = await pollMasters([`127.0.0.1:${down}`, `127.0.0.1:${up.port}`], { timeoutMs: 2000 });
    expect(result).toMatchObject({ marker: 'second' });
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.path).toBe('/master/state');
    expect(up.requests[0]!.headers['user-agent']).toBe('Mesos-DNS');
  });

  it('skips a master answering an HTTP error', async () => {
    const broken = await master({ message: 'no' }, 503);
    const up = await master(state('master@127.0.0.1:5050', 'good'));
    const result = await pollMasters([`127.0.0.1:${broken.port}`, `http://127.0.0.1:${up.port}/`], {
      timeoutMs: 2000,
    });
    expect(result).toMatchObject({ marker: 'good' });
    expect(broken.requests).toHaveLength(1);
  });

  it('hops to the reported leader host with the polled port, and uses its state', async () => {
    // A standby on 127.0.0.1 names 127.0.0.2 as leader; the leader's own state must win.
    let hop: { requests: string[] } | undefined;
    let standby: TestServer | undefined;
    for (let attempt = 0; attempt < 10 && !hop; attempt++) {
      standby = await master(state('master@127.0.0.2:5050', 'standby'));
      hop = await masterAt('127.0.0.2', standby.port, state('master@127.0.0.2:5050', 'leader'));
    }
    if (!hop || !standby) throw new Error('no port free on both 127.0.0.1 and 127.0.0.2');
    const result = await pollMasters([`127.0.0.1:${standby.port}`], {
      timeoutMs: 2000,
      headers: { authorization: 'Basic eDp5' },
    });
    expect(result).toMatchObject({ marker: 'leader' });
    expect(hop.requests).toEqual(['/master/state']);
    expect(standby.requests.at(-1)!.headers.authorization).toBe('Basic eDp5');
  });

  it('does not hop when the polled master is the leader', async () => {
    const leader = await master(state('master@127.0.0.1:5050', 'self'));
    await expect(pollMasters([`127.0.0.1:${leader.port}`], { timeoutMs: 2000 })).resolves.toMatchObject({
      marker: 'self',
    });
    expect(leader.requests).toHaveLength(1);
  });

  it('fails with one error when no master answers, and without masters', async () => {
    const down = await closedPort();
    const error = await pollMasters([`127.0.0.1:${down}`], { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DcosError);
    expect((error as DcosError).code).toBe('masters_unreachable');
    expect((error as Error).message).toMatch(/^no Mesos master answered: /);
    await expect(pollMasters([], { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'no_masters' });
  });
});

describe('leaderHost and masterAddress', () => {
  it('parse leaders and master URLs', () => {
    expect(leaderHost({ leader: 'master@10.0.0.1:5050' })).toBe('10.0.0.1');
    expect(leaderHost({ leader: 'master@[fd01::1]:5050' })).toBe('fd01::1');
    expect(leaderHost({ leader: '' })).toBeUndefined();
    expect(leaderHost({ leader: 5 })).toBeUndefined();
    expect(leaderHost(null)).toBeUndefined();
    expect(masterAddress('http://10.0.0.1:5050/')).toBe('10.0.0.1:5050');
    expect(masterAddress('10.0.0.1:5050')).toBe('10.0.0.1:5050');
  });
});

describe('RecordStore', () => {
  const config = parseDnsConfig({}, 'test');
  const build = (loaded: unknown) => generateRecords(loaded, config);

  function store(states: unknown[], clock: number[]) {
    const log: string[] = [];
    let index = 0;
    const recordStore = new RecordStore({
      load: async () => {
        const next = states[index++];
        if (next instanceof Error) throw next;
        return next;
      },
      build,
      intervalMs: 1000,
      now: () => clock[Math.min(index - 1, clock.length - 1)]!,
      log: (line) => log.push(line),
    });
    return { recordStore, log };
  }

  it('keeps the last good records and serial when a refresh fails', async () => {
    const { recordStore, log } = store(
      [state('master@10.0.0.1:5050'), new Error('master down'), state('master@10.0.0.2:5050')],
      [1_000_000, 2_000_000, 3_000_000],
    );
    const signal = new AbortController().signal;
    expect(await recordStore.refresh(signal)).toBe(true);
    const first = recordStore.current!;
    expect(first.serial).toBe(1000);
    expect(first.records.a.get('leader.mesos.')).toEqual(['10.0.0.1']);
    expect(await recordStore.refresh(signal)).toBe(false);
    expect(recordStore.current).toBe(first);
    expect(recordStore.status).toMatchObject({ successes: 1, failures: 1, lastError: 'master down' });
    expect(log).toEqual(['DNS refresh failed (keeping the previous records): master down']);
    expect(await recordStore.refresh(signal)).toBe(true);
    expect(recordStore.current!.serial).toBe(3000);
    expect(recordStore.current!.records.a.get('leader.mesos.')).toEqual(['10.0.0.2']);
    expect(recordStore.status.lastError).toBeUndefined();
  });

  it('rejects a state with an empty leader and keeps what it had', async () => {
    const { recordStore } = store([state('master@10.0.0.1:5050'), state('')], [5_000, 6_000]);
    const signal = new AbortController().signal;
    await recordStore.refresh(signal);
    const before = recordStore.current;
    expect(await recordStore.refresh(signal)).toBe(false);
    expect(recordStore.current).toBe(before);
    expect(recordStore.status.lastError).toMatch(/no leader/);
  });

  it('has no records when the first load fails', async () => {
    const { recordStore, log } = store([new Error('nope')], [1]);
    expect(await recordStore.refresh(new AbortController().signal)).toBe(false);
    expect(recordStore.current).toBeUndefined();
    expect(log).toEqual(['DNS refresh failed (no records yet): nope']);
  });

  it('run() refreshes once per interval with the injected sleep and stops on abort', async () => {
    const controller = new AbortController();
    const slept: number[] = [];
    let loads = 0;
    const recordStore = new RecordStore({
      load: async () => {
        loads++;
        return state(`master@10.0.0.${loads}:5050`);
      },
      build,
      intervalMs: 30_000,
      sleep: async (ms) => {
        slept.push(ms);
        if (slept.length === 3) controller.abort();
      },
    });
    await recordStore.run(controller.signal);
    expect(slept).toEqual([30_000, 30_000, 30_000]);
    expect(loads).toBe(2);
    expect(recordStore.current!.records.a.get('leader.mesos.')).toEqual(['10.0.0.2']);
  });
});
