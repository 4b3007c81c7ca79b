import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { Flags } from '@oclif/core';

import { haproxyBinFlag, haproxyOptionsFromFlags, haproxySourceFlags } from '../../lib/cli/haproxy-flags.js';
import { MarathonCommand } from '../../lib/cli/marathon-command.js';
import { UsageError } from '../../lib/errors.js';

// `run` always follows the attached cluster; reading apps from a file is `haproxy config`'s business.
const { apps: _apps, ...sourceFlags } = haproxySourceFlags;

const port = (description: string) => Flags.integer({ description, min: 1, max: 65535 });

export default class HaproxyRun extends MarathonCommand<typeof HaproxyRun> {
  static override summary =
    "Keep HAProxy in step with Marathon's apps, reloading without dropping connections";
  static override description =
    "Follows Marathon's event stream (full resync on every reconnect and every --resync seconds), debounces " +
    'bursts, and when the generated config changed: checks it with haproxy -c, writes it atomically to ' +
    '--config-file and reloads HAProxy in master-worker mode (started if it is not running; listening sockets ' +
    'are handed over, so no connection is refused). A config HAProxy rejects is not written: the last good one ' +
    'keeps serving, or the config without the apps HAProxy blames. One line per action (--json: JSON lines). ' +
    'Runs until Ctrl-C or SIGTERM, then stops the HAProxy it started unless --keep-running.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --config-file /etc/haproxy/haproxy.cfg --group external',
    '<%= config.bin %> <%= command.id %> --config-file ./haproxy.cfg --http-port 8080 --stats-port 9090 --json',
  ];
  static override flags = {
    'config-file': Flags.string({ description: 'the haproxy.cfg to maintain', required: true }),
    ...sourceFlags,
    ...haproxyBinFlag,
    'http-port': port('port of the HTTP (virtual host) frontend (default 80)'),
    'https-port': port('port of the HTTPS frontend (default 443; only with certificates)'),
    'stats-port': port('port of the stats page (default 9090)'),
    'bind-address': Flags.string({ description: 'address the frontends bind to (default: all)' }),
    maxconn: Flags.integer({
      description: "HAProxy's global maxconn (default 50000, which needs an open-files limit of about 100k)",
      min: 1,
    }),
    'stats-socket': Flags.string({ description: 'add an admin stats socket at this path (runtime API)' }),
    'master-socket': Flags.string({
      description:
        "HAProxy's master CLI socket (default: <config-file>.sock); a master already there is reused",
    }),
    'pid-file': Flags.string({ description: "write the HAProxy master's pid here" }),
    'reload-timeout': Flags.integer({
      description: 'seconds a start or reload may take to be confirmed',
      default: 10,
      min: 1,
    }),
    debounce: Flags.integer({
      description: 'milliseconds of quiet after events before regenerating',
      default: 1_000,
      min: 0,
    }),
    'max-wait': Flags.integer({
      description: 'milliseconds after the first event of a burst by which to regenerate regardless',
      default: 5_000,
      min: 0,
    }),
    resync: Flags.integer({
      description: 'seconds between full resyncs without events',
      default: 300,
      min: 1,
    }),
    'keep-running': Flags.boolean({ description: 'leave HAProxy running on exit' }),
  };

  protected override interruptGraceMs = 10_000;

  async run() {
    const [
      { runHaproxy, describeAction, RELEVANT_EVENTS },
      { HaproxyProcess },
      { validateConfig },
      { generateHaproxyConfig },
    ] = await Promise.all([
      import('../../lib/haproxy/runner.js'),
      import('../../lib/haproxy/reload.js'),
      import('../../lib/haproxy/validate.js'),
      import('../../lib/haproxy/model.js'),
    ]);
    const [{ followEvents }, { readTemplatesDir, writeConfigFile }] = await Promise.all([
      import('../../lib/http/sse.js'),
      import('../../lib/haproxy/input.js'),
    ]);
    const flags = this.flags;
    if (flags['max-wait'] < flags.debounce) throw new UsageError('--max-wait must be at least --debounce');
    const configFile = resolve(flags['config-file']);
    // haproxy -c runs in the config's directory (relative paths), so it must exist before the first check.
    await mkdir(dirname(configFile), { recursive: true });
    const templates = flags.templates ? await readTemplatesDir(flags.templates) : undefined;
    const generateOptions = {
      ...haproxyOptionsFromFlags(flags),
      ...(templates ? { templates } : {}),
      ...(flags['http-port'] ? { httpPort: flags['http-port'] } : {}),
      ...(flags['https-port'] ? { httpsPort: flags['https-port'] } : {}),
      ...(flags['stats-port'] ? { statsPort: flags['stats-port'] } : {}),
      ...(flags['bind-address'] ? { bindAddress: flags['bind-address'] } : {}),
      ...(flags.maxconn ? { maxconn: flags.maxconn } : {}),
      ...(flags['stats-socket'] ? { statsSocket: resolve(flags['stats-socket']) } : {}),
    };
    const haproxyBin = flags['haproxy-bin'];
    const haproxy = new HaproxyProcess({
      configFile,
      masterSocket: resolve(flags['master-socket'] ?? `${configFile}.sock`),
      ...(haproxyBin ? { haproxyBin } : {}),
      ...(flags['pid-file'] ? { pidFile: resolve(flags['pid-file']) } : {}),
      timeoutMs: flags['reload-timeout'] * 1000,
      ...(this.verbose ? { log: (line: string) => process.stderr.write(`haproxy: ${line}\n`) } : {}),
    });
    const marathon = await this.marathon();
    const query = new URLSearchParams({ 'plan-format': 'light' });
    for (const type of RELEVANT_EVENTS) query.append('event_type', type);

    // SIGTERM is a normal stop (exit 0); Ctrl-C goes through the base class (exit 130).
    const stop = new AbortController();
    const onTerm = () => stop.abort();
    process.once('SIGTERM', onTerm);
    const signal = AbortSignal.any([stop.signal, this.abortController.signal]);
    try {
      return await runHaproxy(
        {
          configFile,
          generateOptions,
          quietMs: flags.debounce,
          maxWaitMs: flags['max-wait'],
          resyncMs: flags.resync * 1000,
        },
        {
          fetchApps: () => marathon.listApps(['apps.tasks']),
          events: (eventSignal, onError) =>
            followEvents(marathon.http, `${marathon.baseUrl}/v2/events?${query}`, {
              signal: eventSignal,
              backoff: { baseMs: 2_000, maxMs: 60_000 },
              onError,
            }),
          generate: generateHaproxyConfig,
          validate: (text, lineOwners) =>
            validateConfig(text, {
              lineOwners,
              cwd: dirname(configFile),
              displayName: configFile,
              ...(haproxyBin ? { haproxyBin } : {}),
            }),
          write: writeConfigFile,
          apply: () => haproxy.apply(),
          report: (action) =>
            process.stdout.write(
              this.json ? `${JSON.stringify(action)}\n` : `${action.at} ${describeAction(action)}\n`,
            ),
        },
        signal,
      );
    } finally {
      process.off('SIGTERM', onTerm);
      if (!flags['keep-running']) await haproxy.stop();
    }
  }
}
