/**
 * Entry point of dcos local's package worker thread (see package-calls.ts): Cosmos's RPCs answered with the
 * daemon's package managers, away from the thread that serves Marathon and Mesos.
 */
import { workerData } from 'node:worker_threads';

import { answerWith, asReply } from './cosmos.js';
import { localPackageManagers, type LocalPackageManagerOptions } from './packages.js';
import type { PackageCall, PackageReply } from './package-calls.js';
import { serveCalls } from './worker-calls.js';

const answer = answerWith(localPackageManagers(workerData as LocalPackageManagerOptions));

serveCalls<PackageCall>(async ({ rpc, version, body }): Promise<PackageReply> => {
  try {
    // Serialized here: a search of a big repository is megabytes of JSON.
    return { ok: true, text: JSON.stringify(await answer(rpc, version, body)) };
  } catch (error) {
    const { status, type, message, data } = asReply(error);
    return { ok: false, status, type, message, ...(data !== undefined ? { data } : {}) };
  }
});
