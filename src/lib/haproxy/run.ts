/**
 * `dcos haproxy run` put together: the runner (runner.ts) wired to Marathon's apps and event stream, the
 * generator, `haproxy -c`, the atomic writer and the HAProxy master process.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import type { MarathonClient } from '../marathon/client.js';
import type { HaproxyOptions } from './types.js';
import type { RunnerSummary, TimedAction } from './runner.js';

export interface HaproxyRunOptions {
  configFile: string;
  generateOptions: HaproxyOptions;
  templatesDir?: string | undefined;
  haproxyBin?: string | undefined;
  /** The master CLI socket (default `<config-file>.sock`); a master already answering there is reused. */
  masterSocket?: string | undefined;
  pidFile?: string | undefined;
  reloadTimeoutMs: number;
  quietMs: number;
  maxWaitMs: number;
  resyncMs: number;
  /** Leave HAProxy running when the run ends. */
  keepRunning: boolean;
  report: (action: TimedAction) => void;
  /** HAProxy's own output (with --verbose). */
  log?: ((line: string) => void) | undefined;
}

export async function runHaproxyForMarathon(
  marathon: MarathonClient,
  options: HaproxyRunOptions,
  signal: AbortSignal,
): Promise<RunnerSummary> {
  const [
    { runHaproxy, RELEVANT_EVENTS },
    { HaproxyProcess },
    { validateConfig },
    { checkCertificateDirs, generateWithAppCertificates },
  ] = await Promise.all([
    import('./runner.js'),
    import('./reload.js'),
    import('./validate.js'),
    import('./certificates.js'),
  ]);
  const [{ followEvents }, { readTemplatesDir, writeConfigFile }] = await Promise.all([
    import('../http/sse.js'),
    import('./input.js'),
  ]);
  const configFile = resolve(options.configFile);
  // haproxy -c runs in the config's directory (relative paths), so it must exist before the first check.
  await mkdir(dirname(configFile), { recursive: true });
  const operator = options.templatesDir ? await readTemplatesDir(options.templatesDir) : {};
  checkCertificateDirs(options.generateOptions.sslCertDirs ?? []);
  const { haproxyBin } = options;
  const haproxy = new HaproxyProcess({
    configFile,
    masterSocket: resolve(options.masterSocket ?? `${configFile}.sock`),
    ...(haproxyBin ? { haproxyBin } : {}),
    ...(options.pidFile ? { pidFile: resolve(options.pidFile) } : {}),
    timeoutMs: options.reloadTimeoutMs,
    ...(options.log ? { log: options.log } : {}),
  });
  const query = new URLSearchParams({ 'plan-format': 'light' });
  for (const type of RELEVANT_EVENTS) query.append('event_type', type);
  try {
    return await runHaproxy(
      {
        configFile,
        generateOptions: { ...options.generateOptions, ...operator },
        quietMs: options.quietMs,
        maxWaitMs: options.maxWaitMs,
        resyncMs: options.resyncMs,
      },
      {
        fetchApps: () => marathon.listApps(['apps.tasks']),
        events: (eventSignal, onError) =>
          followEvents(marathon.http, `${marathon.baseUrl}/v2/events?${query}`, {
            signal: eventSignal,
            backoff: { baseMs: 2_000, maxMs: 60_000 },
            onError,
          }),
        // Certificates are checked again on every generation: the files may have changed since.
        generate: generateWithAppCertificates,
        validate: (text, lineOwners) =>
          validateConfig(text, {
            lineOwners,
            cwd: dirname(configFile),
            displayName: configFile,
            ...(haproxyBin ? { haproxyBin } : {}),
          }),
        write: writeConfigFile,
        apply: () => haproxy.apply(),
        report: options.report,
      },
      signal,
    );
  } finally {
    if (!options.keepRunning) await haproxy.stop();
  }
}
