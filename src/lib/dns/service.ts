/**
 * `dcos dns serve` as one unit: the record store with its refresh loop, the DNS listeners and the HTTP API,
 * started together and stopped by one abort signal.
 */
import { toAxfr, toEnumerate } from './axfr.js';
import { redactedConfig } from './config.js';
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
}

export interface RunningDnsService {
  dns: DnsServer | undefined;
  http: HttpApi | undefined;
  store: RecordStore;
  /** Resolves when the refresh loop has stopped and the listeners are closed. */
  done: Promise<void>;
}

interface Generation {
  state: unknown;
  events: RecordEvent[];
}

export async function startDnsService(
  options: DnsServiceOptions,
  signal: AbortSignal,
): Promise<RunningDnsService> {
  const { config } = options;
  const generations = new WeakMap<object, Generation>();
  let lastGeneration: Generation | undefined;
  const store = new RecordStore({
    intervalMs: Math.max(config.RefreshSeconds, 1) * 1000,
    log: options.log,
    ...(options.now ? { now: options.now } : {}),
    load: (loadSignal) => options.load(loadSignal),
    build: (loaded) => {
      const { state, hosts } = loaded as LoadedState;
      const events: RecordEvent[] = [];
      const records = generateRecords(state, config, {
        hosts,
        interfaceAddresses: options.interfaceAddresses,
        ...(config.EnumerationOn ? { onRecord: (event: RecordEvent) => events.push(event) } : {}),
      });
      lastGeneration = { state, events };
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
              return generation ? toEnumerate(generation.state, generation.events) : { frameworks: [] };
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
