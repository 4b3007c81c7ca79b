/**
 * dcos local answers a change only once it is on disk: a real cluster on loopback whose state writer the
 * test controls (held, failed or counted), so the order of write and answer is observed, not timed.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { fetchWithToken } from '../../helpers/local.js';
import { until } from '../../helpers/wait.js';

import type { MarathonEvent } from '../../../src/lib/local/events.js';
import { ApiError, Engine } from '../../../src/lib/local/engine.js';
import { startLocalCluster, type RunningCluster } from '../../../src/lib/local/server.js';
import { saveState, STATE_FILE, type PersistedState } from '../../../src/lib/local/state-store.js';
import { allApps, putApp } from '../../../src/lib/local/marathon/groups.js';
import { makeApp, V2 } from './marathon/helpers.js';

type Outcome = 'write' | 'fail';

/**
 * The engine's state writer, under the test's control: `pass` writes at once; `hold` keeps each write waiting
 * until `release` says how it ends (written to disk, or failed as a full disk would).
 */
class ControlledSave {
  mode: 'pass' | 'hold' = 'pass';
  started = 0;
  landed = 0;
  readonly log: string[] = [];
  private held: Array<(outcome: Outcome) => void> = [];

  save = async (dir: string, state: PersistedState): Promise<void> => {
    this.started++;
    if (this.mode === 'hold') {
      this.log.push('write held');
      const outcome = await new Promise<Outcome>((resolve) => this.held.push(resolve));
      if (outcome === 'fail') {
        this.log.push('write failed');
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
    }
    await saveState(dir, state);
    this.landed++;
    this.log.push('write landed');
  };

  /** Waits until a write is held, then ends it. */
  async release(outcome: Outcome): Promise<void> {
    await until('a held write', () => this.held.length > 0);
    this.held.shift()?.(outcome);
  }

  /** Lets every write through from now on (so a failed test still shuts its cluster down). */
  passAll(): void {
    this.mode = 'pass';
    for (const resolve of this.held.splice(0)) resolve('write');
  }
}

const clusters: Array<{ cluster: RunningCluster; dir: string; save: ControlledSave }> = [];
const fetch = fetchWithToken(
  (origin) => clusters.find(({ cluster }) => new URL(cluster.url).origin === origin)?.cluster.token,
);

afterEach(async () => {
  for (const { cluster, dir, save } of clusters.splice(0)) {
    save.passAll();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
});

async function cluster(save: ControlledSave): Promise<RunningCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'dcos-durable-'));
  const running = await startLocalCluster({
    dir,
    port: 0,
    agents: 2,
    maxTasks: 20,
    tickMs: 50,
    saveState: save.save,
  });
  clusters.push({ cluster: running, dir, save });
  // From here on the log holds only what the test does (not the write of the start).
  save.log.length = 0;
  save.started = 0;
  save.landed = 0;
  return running;
}

function post(running: RunningCluster, app: Record<string, unknown>): Promise<Response> {
  return fetch(`${running.url}/service/marathon/v2/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(app),
  });
}

function appsOnDisk(running: RunningCluster): string[] {
  const state = JSON.parse(readFileSync(join(running.engine.dir, STATE_FILE), 'utf8')) as PersistedState;
  return allApps(state.root).map((app) => app.id);
}

const sleeper = (id: string, instances = 1) => ({ id, cmd: 'sleep 1000', cpus: 0.01, mem: 8, instances });

describe('dcos local: a 2xx means the change is on disk', () => {
  it('answers POST /v2/apps only after the write that holds the app has landed, and runs no task before', async () => {
    const save = new ControlledSave();
    const running = await cluster(save);
    save.mode = 'hold';
    const answered = post(running, sleeper('/held')).then((response) => {
      save.log.push(`answered ${response.status}`);
      // What the client may rely on the moment it sees the 201: the app is in the state file.
      save.log.push(appsOnDisk(running).includes('/held') ? 'app on disk' : 'app NOT on disk');
      return response;
    });
    await until('the write to be held', () => save.log.includes('write held'));

    // Accepted (the API shows it) but not on disk: the scheduler must not act on it.
    const accepted = await fetch(`${running.url}/service/marathon/v2/apps/held`);
    expect(accepted.status).toBe(200);
    await running.engine.tick();
    await running.engine.tick();
    expect(running.engine.tasksOf('/held')).toEqual([]);
    expect(save.log).toEqual(['write held']);

    save.mode = 'pass';
    await save.release('write');
    expect((await answered).status).toBe(201);
    expect(save.log).toEqual(['write held', 'write landed', 'answered 201', 'app on disk']);
    await until('the task to start', () => running.engine.activeTasks('/held').length === 1);
  });

  it('a failed write answers 503, takes the change back and launches nothing; requests queued behind it fail too', async () => {
    const save = new ControlledSave();
    const running = await cluster(save);
    const events: MarathonEvent[] = [];
    running.engine.events.listen((event) => events.push(event));

    save.mode = 'hold';
    const first = post(running, sleeper('/lost'));
    await until('the write to be held', () => save.log.includes('write held'));
    // Arrives while the first write runs: made on top of /lost, it waits for the next write.
    const queued = post(running, sleeper('/queued'));
    await until('/queued to be accepted', () =>
      allApps(running.engine.root).some((app) => app.id === '/queued'),
    );
    save.mode = 'pass';
    await save.release('fail');

    const [lost, behind] = await Promise.all([first, queued]);
    expect(lost.status).toBe(503);
    expect(((await lost.json()) as { message: string }).message).toMatch(
      /^dcos local could not write its state to .+ \(ENOSPC: no space left on device, write\); the change was not applied$/,
    );
    expect(behind.status).toBe(503);
    await behind.body?.cancel();

    for (const id of ['/lost', '/queued']) {
      expect((await fetch(`${running.url}/service/marathon/v2/apps${id}`)).status).toBe(404);
    }
    expect(
      (await (await fetch(`${running.url}/service/marathon/v2/deployments`)).json()) as unknown[],
    ).toEqual([]);
    await running.engine.tick();
    await running.engine.tick();
    expect(running.engine.tasks.size).toBe(0);
    expect(events.filter((event) => event.eventType === 'group_change_success')).toEqual([]);
    expect(appsOnDisk(running)).toEqual([]);

    // The disk is back: the same app goes through and runs.
    const retried = await post(running, sleeper('/lost'));
    expect(retried.status).toBe(201);
    await until('the task to start', () => running.engine.activeTasks('/lost').length === 1);
  });

  it('group commit: 200 concurrent POST /v2/apps share a handful of writes, each 201 coming after its own', async () => {
    const save = new ControlledSave();
    const running = await cluster(save);
    const before = running.engine.stateWrites;
    const N = 200;
    // The first write is held until every request has been accepted, so all of them arrive while it runs.
    save.mode = 'hold';
    const missing: string[] = [];
    const answers = Array.from({ length: N }, (_, i) =>
      post(running, sleeper(`/group/app${i}`, 0)).then(async (response) => {
        if (!appsOnDisk(running).includes(`/group/app${i}`)) missing.push(`/group/app${i}`);
        await response.body?.cancel();
        return response.status;
      }),
    );
    await until('every request to be accepted', () => allApps(running.engine.root).length === N, 60_000);
    save.mode = 'pass';
    await save.release('write');
    const statuses = await Promise.all(answers);
    expect(new Set(statuses)).toEqual(new Set([201]));
    expect(missing).toEqual([]);
    const writes = running.engine.stateWrites - before;
    // The held write covers the first request(s), the next one every other; a few more record deployments
    // finishing. Nowhere near one per request.
    expect(writes).toBeLessThan(10);
    expect(save.landed).toBe(writes);
  }, 90_000);

  it('refuses changes with 503 until the start has restored and written the state', async () => {
    const save = new ControlledSave();
    save.mode = 'hold';
    const dir = await mkdtemp(join(tmpdir(), 'dcos-durable-'));
    const engine = new Engine({
      dir,
      agents: 1,
      maxTasks: 5,
      host: '127.0.0.1',
      port: 0,
      saveState: save.save,
    });
    const started = engine.start();
    await until('the start to write the state', () => save.log.includes('write held'));
    const early = await engine
      .deploy(putApp(engine.root, makeApp({ id: '/early', cmd: 'true', instances: 0 }), V2))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(early).toBeInstanceOf(ApiError);
    expect(early).toMatchObject({
      status: 503,
      body: { message: 'dcos local is still starting; try again in a moment' },
    });
    save.mode = 'pass';
    await save.release('write');
    await started;
    try {
      const plan = await engine.deploy(
        putApp(engine.root, makeApp({ id: '/later', cmd: 'true', instances: 0 }), V2),
      );
      expect(plan.affectedApps).toEqual(['/later']);
    } finally {
      await engine.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
