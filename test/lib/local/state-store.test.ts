import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  loadState,
  saveState,
  STATE_FILE,
  StateWriter,
  type PersistedState,
} from '../../../src/lib/local/state-store.js';
import { emptyRoot } from '../../../src/lib/local/marathon/groups.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function state(marker: string): PersistedState {
  return {
    format: 1,
    clusterId: marker,
    frameworkId: 'fw',
    root: emptyRoot('2024-01-01T00:00:00.000Z'),
    appVersions: {},
    deployments: [],
    tasks: [],
  };
}

/** A save that waits until the test lets it finish (or fail), recording what each write held. */
function gatedSave() {
  const writes: Array<{ clusterId: string; finish: () => void; fail: (error: Error) => void }> = [];
  let announce: (() => void) | undefined;
  const save = (_dir: string, written: PersistedState) =>
    new Promise<void>((resolve, reject) => {
      writes.push({ clusterId: written.clusterId, finish: resolve, fail: reject });
      announce?.();
    });
  /** Resolves once the n-th write (1-based) has started. */
  const started = (n: number) =>
    new Promise<(typeof writes)[number]>((resolve) => {
      const check = () => {
        if (writes.length >= n) resolve(writes[n - 1]!);
      };
      announce = check;
      check();
    });
  return { save, writes, started };
}

/** Lets every callback and I/O phase that is ready run, a few times over. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('StateWriter: group commit', () => {
  it('a commit resolves only after a write that began after it; changes made during a write share the next one', async () => {
    let current = 'v1';
    const gate = gatedSave();
    const writer = new StateWriter('/unused', { snapshot: () => state(current), save: gate.save });
    const log: string[] = [];

    const first = writer.commit().then(() => log.push('first'));
    const write1 = await gate.started(1);
    expect(write1.clusterId).toBe('v1');

    // 50 changes arrive while write 1 runs: they must wait for a write that starts after them.
    current = 'v2';
    const rest = Array.from({ length: 50 }, (_, i) => writer.commit().then(() => log.push(`later${i}`)));
    await settle();
    expect(log).toEqual([]);

    write1.finish();
    await first;
    await settle();
    expect(log).toEqual(['first']);

    const write2 = await gate.started(2);
    expect(write2.clusterId).toBe('v2');
    write2.finish();
    await Promise.all(rest);
    await writer.flush();
    expect(gate.writes).toHaveLength(2);
    expect(writer.writes).toBe(2);
    expect(log).toHaveLength(51);
  });

  it('a failed write rejects its commits and the ones queued behind it, and reports the failure first', async () => {
    const gate = gatedSave();
    const failures: string[] = [];
    const writer = new StateWriter('/unused', {
      snapshot: () => state('s'),
      save: gate.save,
      onFailed: (error) => failures.push((error as Error).message),
    });
    const covered = writer.commit();
    const write1 = await gate.started(1);
    const queued = writer.commit();
    const outcomes = Promise.allSettled([covered, queued]);
    write1.fail(new Error('ENOSPC: no space left on device'));
    const [a, b] = await outcomes;
    expect([a.status, b.status]).toEqual(['rejected', 'rejected']);
    expect(failures).toEqual(['ENOSPC: no space left on device']);

    // The writer keeps working. The queued commit left a change unwritten, so write 2 (already started: it
    // holds what memory went back to) runs; the next commit waits for write 3.
    const again = writer.commit();
    (await gate.started(2)).finish();
    (await gate.started(3)).finish();
    await again;
    expect(gate.writes).toHaveLength(3);
    await writer.flush();
  });

  it('writes through saveState: the file on disk holds the state when the commit resolves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dcos-state-'));
    dirs.push(dir);
    const writer = new StateWriter(dir, { snapshot: () => state('on-disk') });
    await writer.commit();
    expect((await loadState(dir))?.clusterId).toBe('on-disk');
    expect(JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8'))).toMatchObject({ format: 1 });
    await saveState(dir, state('direct'));
    expect((await loadState(dir))?.clusterId).toBe('direct');
  });
});
