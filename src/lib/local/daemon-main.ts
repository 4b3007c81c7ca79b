// Entry point of the `dcos local` daemon process (spawned detached by `dcos local start`).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { writeFileAtomic } from '../fs-atomic.js';
import { DAEMON_FILE, NO_AUTH_WARNING, type DaemonInfo } from './control.js';
import { startLocalCluster } from './server.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    port: { type: 'string', default: '0' },
    agents: { type: 'string', default: '3' },
    'max-tasks': { type: 'string', default: '200' },
    'no-auth': { type: 'boolean', default: false },
  },
});

const dir = values.dir as string;
const log = (message: string) => process.stdout.write(`${new Date().toISOString()} ${message}\n`);

try {
  const cluster = await startLocalCluster({
    dir,
    port: Number(values.port),
    agents: Number(values.agents),
    maxTasks: Number(values['max-tasks']),
    auth: !values['no-auth'],
  });
  const info: DaemonInfo = {
    pid: process.pid,
    url: cluster.url,
    port: cluster.port,
    clusterId: cluster.engine.clusterId,
    agents: cluster.engine.agents.length,
    startedAt: new Date().toISOString(),
    auth: cluster.token !== undefined,
  };
  await writeFileAtomic(join(dir, DAEMON_FILE), `${JSON.stringify(info)}\n`);
  log(
    `listening on ${cluster.url} (${info.agents} agents, ${cluster.orphansKilled} orphaned tasks cleaned up)`,
  );
  if (!info.auth) log(`WARNING: ${NO_AUTH_WARNING}`);
  // What a master/Marathon log would show, so `dcos node log` (served from this file) has something to follow.
  cluster.engine.events.listen((event) => {
    if (event.eventType === 'status_update_event') {
      log(`task ${String(event.taskId)} is ${String(event.taskStatus)} on agent ${String(event.slaveId)}`);
    } else if (event.eventType === 'deployment_success' || event.eventType === 'deployment_failed') {
      log(
        `deployment ${String(event.id)} ${event.eventType === 'deployment_success' ? 'succeeded' : 'failed'}`,
      );
    }
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping tasks`);
    await cluster.close();
    await rm(join(dir, DAEMON_FILE), { force: true });
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  const reason =
    (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? `port ${values.port} on 127.0.0.1 is already in use; choose another with --port (0 picks a free one)`
      : (error as Error).message;
  log(`failed to start: ${reason}`);
  process.exit(1);
}
