/**
 * `dcos dns serve` as one unit: the record store with its refresh loop, the DNS listeners and the HTTP API,
 * started together and stopped by one abort signal.
 */
import { toAxfr, toEnumerate } from './axfr.js';
import { redactedConfig } from './config.js';
import type { DnsLimits } from './limits.js';
import { generateRecords } from './records.js';
import { RecordStore } from './refresh.js';
import { startDnsServer, type DnsServer, type RecordsSnapshot } from './server.js';
import { startHttpApi, type HttpApi } from './http-api.js';
import type { DnsConfig, RecordEvent } from './types.js';

export interface LoadedState {
  state: unknown;
  hosts: Map<string, string[]>;
}

export interface DnsServiceOptions {
  config: DnsConfig;
  compat: boolean;
  load: (signal: AbortSignal) => Promise<LoadedState>;
  interfaceAddresses: string[];
  version: string;
  log: (line: string) => void;
  /** Overrides for tests; otherwise Date.now and real timers. */
  now?: () => number;
  /** What clients may cost the DNS server; DEFAULT_DNS_LIMITS where absent. */
  limits?: Partial<DnsLimits>;
}

export interface RunningDnsService {
  dns: DnsServer | undefined;
  http: HttpApi | undefined;
  store: RecordStore;
  /** Resolves when the refresh loop has stopped and the listeners are closed. */
  done: Promise<void>;
}

/** Where `dns serve` reads the state on every refresh: a file (stdin once), the masters, else the cluster. */
export interface StateSources {
  config: DnsConfig;
  statePath?: string | undefined;
  stdin?: NodeJS.ReadableStream;
  /** The attached cluster's live state; used when there is neither a state file nor a master. */
  live: () => Promise<unknown>;
}

export function stateLoader(sources: StateSources): (signal: AbortSignal) => Promise<LoadedState> {
  const { config, statePath } = sources;
  let stdinState: Promise<unknown> | undefined;
  const read = async (signal: AbortSignal): Promise<unknown> => {
    const live = await import('./live.js');
    if (statePath === '-')
      return (stdinState ??= live.readStateFile('-', { stdin: sources.stdin ?? process.stdin }));
    if (statePath) return live.readStateFile(statePath);
    if (config.Masters.length === 0) return sources.live();
    const { pollMasters } = await import('./refresh.js');
    const { Principal, Secret } = config.MesosCredentials;
    return pollMasters(config.Masters, {
      https: config.MesosHTTPSOn,
      timeoutMs: config.StateTimeoutSeconds * 1000,
      signal,
      ...(config.MesosAuthentication === 'basic'
        ? { headers: { authorization: `Basic ${Buffer.from(`${Principal}:${Secret}`).toString('base64')}` } }
        : {}),
    });
  };
  return async (signal) => {
    const [{ mesosState }, { resolveStateHostnames }] = await Promise.all([
      import('./state.js'),
      import('./live.js'),
    ]);
    const state = mesosState(await read(signal));
    return { state, hosts: await resolveStateHostnames(state, config.Masters) };
  };
}

export async function startDnsService(
  options: DnsServiceOptions,
  signal: AbortSignal,
): Promise<RunningDnsService> {
  const { config } = options;
  // The state behind each record set, so /v1/enumerate can replay its generation when asked (collecting
  // every record's origin on each refresh would double the memory of a large zone for a rarely used page).
  const generations = new WeakMap<object, LoadedState>();
  let lastGeneration: LoadedState | undefined;
  const store = new RecordStore({
    intervalMs: Math.max(config.RefreshSeconds, 1) * 1000,
    log: options.log,
    ...(options.now ? { now: options.now } : {}),
    load: (loadSignal) => options.load(loadSignal),
    build: (loaded) => {
      const { state, hosts } = loaded as LoadedState;
      const records = generateRecords(state, config, {
        hosts,
        interfaceAddresses: options.interfaceAddresses,
      });
      lastGeneration = { state, hosts };
      for (const warning of records.warnings) options.log(`Warning: ${warning}`);
      return records;
    },
  });
  await store.refresh(signal);
  if (store.current && lastGeneration) generations.set(store.current, lastGeneration);
  const getRecords = () => {
    const current = store.current;
    if (current && lastGeneration && !generations.has(current)) generations.set(current, lastGeneration);
    return current;
  };
  const dns = config.DnsOn
    ? await startDnsServer({
        config,
        compat: options.compat,
        getRecords,
        listen: config.Listener,
        port: config.Port,
        log: options.log,
        ...(options.limits ? { limits: options.limits } : {}),
      })
    : undefined;
  let http: HttpApi | undefined;
  try {
    http = config.HttpOn
      ? await startHttpApi(
          {
            config,
            version: options.version,
            getRecords,
            status: () => store.status,
            metrics: () => dns?.metrics,
            shownConfig: () => redactedConfig(config),
            axfr: (snapshot: RecordsSnapshot) => toAxfr(snapshot.records, config, snapshot.serial),
            enumerate: (snapshot: RecordsSnapshot) => {
              const generation = generations.get(snapshot);
              if (!generation) return { frameworks: [] };
              const events: RecordEvent[] = [];
              generateRecords(generation.state, config, {
                hosts: generation.hosts,
                interfaceAddresses: options.interfaceAddresses,
                onRecord: (event) => events.push(event),
              });
              return toEnumerate(generation.state, events);
            },
          },
          config.HTTPListener,
          config.HttpPort,
        )
      : undefined;
  } catch (error) {
    await dns?.close();
    throw error;
  }
  const done = (async () => {
    await store.run(signal);
    await Promise.all([dns?.close(), http?.close()]);
  })();
  return { dns, http, store, done };
}
