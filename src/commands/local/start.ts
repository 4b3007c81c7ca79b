import { Flags } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import { localDirFlag } from '../../lib/cli/flags.js';
import { dcosDir } from '../../lib/config/clusters.js';
import {
  attachLocalCluster,
  localDir,
  NO_AUTH_WARNING,
  runForeground,
  startDaemon,
  type StartResult,
} from '../../lib/local/control.js';

export default class LocalStart extends DcosCommand<typeof LocalStart> {
  static override summary = 'Start a single-machine Marathon + Mesos cluster and attach it as "local"';
  static override description =
    'Marathon v2, Mesos master and agents on one loopback port, laid out like DC/OS; tasks run as local processes.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --agents 5 --port 8480',
    '<%= config.bin %> <%= command.id %> --foreground',
  ];
  static override flags = {
    ...localDirFlag,
    agents: Flags.integer({ description: 'number of agents', default: 3, min: 1, max: 20 }),
    port: Flags.integer({
      description: 'loopback port (default: any free port)',
      default: 0,
      min: 0,
      max: 65535,
    }),
    'max-tasks': Flags.integer({
      description: 'most tasks the cluster will run at once',
      default: 200,
      min: 1,
    }),
    foreground: Flags.boolean({
      description: 'run in this terminal until Ctrl-C instead of in the background',
    }),
    auth: Flags.boolean({
      description:
        'require the token (kept in the state directory, sent by this CLI); --no-auth lets anyone who reaches the port in',
      default: true,
      allowNo: true,
    }),
  };

  protected override interruptGraceMs = 20_000;

  async run(): Promise<StartResult> {
    const store = this.store();
    const options = {
      dir: localDir(this.flags.dir, dcosDir(this.env)),
      port: this.flags.port,
      agents: this.flags.agents,
      maxTasks: this.flags['max-tasks'],
      auth: this.flags.auth,
    };
    const report = (result: StartResult) => {
      if (!result.auth) this.warnLine(NO_AUTH_WARNING);
      else if (!options.auth) {
        this.warnLine(
          'dcos local is already running with authentication on; --no-auth applies to a new start',
        );
      }
      return this.render(result, () => {
        const verb = result.alreadyRunning ? 'is already running' : 'is running';
        this.log(
          `dcos local ${verb} at ${result.url} with ${result.agents} agents (cluster "local" attached).`,
        );
      });
    };
    if (this.flags.foreground) {
      await runForeground(options, store, this.abortController.signal, (result) => void report(result));
      return {
        url: '',
        pid: process.pid,
        clusterId: '',
        agents: options.agents,
        alreadyRunning: false,
        auth: options.auth,
      };
    }
    this.progress('Starting dcos local ...');
    const result = await startDaemon(options, this.abortController.signal);
    await attachLocalCluster(store, options.dir, result.url, result.clusterId);
    await report(result);
    return result;
  }
}
