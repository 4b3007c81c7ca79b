import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { LOG_FILE } from './control.js';
import { cosmosRoutes } from './cosmos.js';
import { Engine } from './engine.js';
import { systemV1 } from './logs.js';
import { MarathonApi } from './marathon/api.js';
import { MesosApi } from './mesos/api.js';
import { checkRequest } from './guard.js';
import { packageCalls } from './package-calls.js';
import { refuse, Router, sendJson, type RouteContext } from './router.js';
import type { SaveState } from './state-store.js';
import { ensureToken } from './token.js';

export interface LocalClusterOptions {
  dir: string;
  port: number;
  agents: number;
  maxTasks: number;
  host?: string;
  tickMs?: number;
  /** false: serve without the token (`dcos local start --no-auth`). */
  auth?: boolean;
  /** How the engine writes its state file (tests inject slow or failing writers). */
  saveState?: SaveState;
}

export interface RunningCluster {
  engine: Engine;
  server: Server;
  url: string;
  port: number;
  /** What clients must send (`Authorization: token=...`); undefined when authentication is off. */
  token: string | undefined;
  orphansKilled: number;
  close(): Promise<void>;
}

export const DCOS_VERSION = '2.2.0';

function metadata(engine: Engine) {
  return (context: RouteContext) => {
    if (context.path === '/dcos-version.json') {
      return sendJson(context.response, 200, {
        version: DCOS_VERSION,
        'dcos-variant': 'open',
        'dcos-image-commit': 'dcos-local',
        'bootstrap-id': 'dcos-local',
      });
    }
    if (context.path === '/' || context.path === '') {
      const { host } = engine.masterAddress;
      return sendJson(context.response, 200, { PUBLIC_IPV4: host, CLUSTER_ID: engine.clusterId });
    }
    sendJson(context.response, 404, { message: 'not found' });
  };
}

/**
 * Starts the whole local cluster in this process: the engine plus one HTTP server laid out like DC/OS
 * Admin Router (`/service/marathon`, `/mesos`, `/agent/<id>`, `/dcos-metadata`, Cosmos's `/package` and
 * `/capabilities`). Later services mount their own prefix on the router.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<RunningCluster> {
  const host = options.host ?? '127.0.0.1';
  const token = options.auth === false ? undefined : await ensureToken(options.dir);
  const engine = new Engine({
    dir: options.dir,
    agents: options.agents,
    maxTasks: options.maxTasks,
    host,
    port: options.port,
    ...(options.tickMs ? { tickMs: options.tickMs } : {}),
    ...(token ? { token } : {}),
    ...(options.saveState ? { saveState: options.saveState } : {}),
  });
  const marathon = new MarathonApi(engine);
  const mesos = new MesosApi(engine);
  // Package work runs in a worker thread (package-calls.ts), started on the first package request: a daemon nobody
  // asks for packages never starts it. Its managers install through this server's own Marathon, whose URL is
  // known once it listens.
  let packages: ReturnType<typeof packageCalls> | undefined;
  const cosmos = cosmosRoutes((rpc, version, body) => {
    packages ??= packageCalls({
      dir: options.dir,
      clusterUrl: `http://${host}:${engine.masterAddress.port}`,
      ...(token ? { token } : {}),
    });
    return packages.answer(rpc, version, body);
  });
  const router = new Router()
    .mount('/service/marathon', marathon.handle)
    .mount('/marathon', marathon.handle)
    .mount('/mesos', mesos.master)
    .mount('/agent', mesos.agent)
    .mount('/slave', mesos.agent)
    .mount('/dcos-metadata', metadata(engine))
    .mount('/metadata', metadata(engine))
    // The daemon's stdout is its log file (see control.ts), served as every master and agent unit's log.
    .mount(
      '/system/v1',
      systemV1({
        logFile: join(options.dir, LOG_FILE),
        agentIds: () => engine.agents.map((agent) => agent.id),
        hostname: host,
      }),
    )
    .mount('/capabilities', cosmos.capabilities)
    .mount('/package', cosmos.package)
    // DC/OS answers 200 here when authentication is off, which `dcos cluster setup` checks.
    .mount('/pkgpanda', (context) => sendJson(context.response, 200, {}));
  const refusalFor = (request: IncomingMessage) =>
    checkRequest(request, { port: engine.masterAddress.port, token });
  const server = createServer((request, response) => {
    const refusal = refusalFor(request);
    if (refusal) refuse(request, response, refusal);
    else void router.handle(request, response);
  });
  // A client that asks before sending its body (`Expect: 100-continue`, as curl does for big ones) is refused
  // before it sends anything.
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    const refusal = refusalFor(request);
    if (refusal) {
      response.shouldKeepAlive = false;
      refuse(request, response, refusal);
      return;
    }
    response.writeContinue();
    void router.handle(request, response);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  engine.setPort(port);
  let orphansKilled: number;
  try {
    ({ orphansKilled } = await engine.start());
  } catch (error) {
    server.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    engine,
    server,
    url: `http://${host}:${port}`,
    port,
    token,
    orphansKilled,
    close: () =>
      (closing ??= (async () => {
        server.close();
        server.closeAllConnections();
        await packages?.close();
        await engine.stop();
      })()),
  };
}
