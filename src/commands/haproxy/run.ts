import { Flags } from '@oclif/core';

import {
  haproxyBinFlag,
  haproxyFrontendFlags,
  haproxyOptionsFromFlags,
  haproxySourceFlags,
} from '../../lib/cli/haproxy-flags.js';
import { MarathonCommand } from '../../lib/cli/marathon-command.js';
import { UsageError } from '../../lib/errors.js';

// `run` always follows the attached cluster; reading apps from a file is `haproxy config`'s business.
const { apps: _apps, ...sourceFlags } = haproxySourceFlags;

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
    ...haproxyFrontendFlags,
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
    const [{ runHaproxyForMarathon }, { describeAction }] = await Promise.all([
      import('../../lib/haproxy/run.js'),
      import('../../lib/haproxy/runner.js'),
    ]);
    const flags = this.flags;
    if (flags['max-wait'] < flags.debounce) throw new UsageError('--max-wait must be at least --debounce');
    // SIGTERM is a normal stop (exit 0); Ctrl-C goes through the base class (exit 130).
    const stop = new AbortController();
    const onTerm = () => stop.abort();
    process.once('SIGTERM', onTerm);
    try {
      return await runHaproxyForMarathon(
        await this.marathon(),
        {
          configFile: flags['config-file'],
          generateOptions: haproxyOptionsFromFlags(flags),
          templatesDir: flags.templates,
          haproxyBin: flags['haproxy-bin'],
          masterSocket: flags['master-socket'],
          pidFile: flags['pid-file'],
          reloadTimeoutMs: flags['reload-timeout'] * 1000,
          quietMs: flags.debounce,
          maxWaitMs: flags['max-wait'],
          resyncMs: flags.resync * 1000,
          keepRunning: flags['keep-running'],
          report: (action) =>
            process.stdout.write(
              this.json ? `${JSON.stringify(action)}\n` : `${action.at} ${describeAction(action)}\n`,
            ),
          log: this.verbose ? (line) => process.stderr.write(`haproxy: ${line}\n`) : undefined,
        },
        AbortSignal.any([stop.signal, this.abortController.signal]),
      );
    } finally {
      process.off('SIGTERM', onTerm);
    }
  }
}
