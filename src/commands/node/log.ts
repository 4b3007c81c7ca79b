import { Flags } from '@oclif/core';

import { MesosCommand } from '../../lib/cli/mesos-command.js';

export default class NodeLog extends MesosCommand<typeof NodeLog> {
  static override summary = 'Print or follow the log of the leading master or of an agent';
  static override description =
    'Reads the DC/OS logging API v2 (dcos-log) when the cluster has it: --component picks a systemd unit ' +
    "(e.g. dcos-marathon); without it the node's whole journal is shown. Otherwise (plain Mesos) reads the " +
    "Mesos master's or agent's own log through the Mesos files API (needs Mesos started with --log_dir; " +
    '--component, --filter and -o json then do not apply). --verbose says which.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --leader --lines 20',
    '<%= config.bin %> <%= command.id %> --mesos-id <agent-id> --follow',
    '<%= config.bin %> <%= command.id %> --leader --component dcos-marathon --filter PRIORITY:3',
  ];
  static override flags = {
    leader: Flags.boolean({ description: "the leading master's log" }),
    'mesos-id': Flags.string({ description: "this agent's log (an agent id from `dcos node list`)" }),
    lines: Flags.integer({ description: 'print the last N entries', default: 10, min: 0 }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing new entries until Ctrl-C' }),
    component: Flags.string({ description: 'a systemd unit, e.g. dcos-mesos-master or dcos-marathon' }),
    filter: Flags.string({
      description: 'only entries whose field KEY is VALUE (KEY:VALUE)',
      multiple: true,
    }),
    output: Flags.string({
      char: 'o',
      description: 'short: time, unit and message; cat: message only; json: the entries',
      options: ['short', 'cat', 'json'],
      default: 'short',
    }),
  };

  async run() {
    const [nodeLog, { isClosedPipe, writableSink }] = await Promise.all([
      import('../../lib/mesos/node-log.js'),
      import('../../lib/logs/task-log.js'),
    ]);
    const target = nodeLog.nodeTarget({ leader: this.flags.leader, mesosId: this.flags['mesos-id'] });
    const filters = nodeLog.parseFilters(this.flags.filter ?? []);
    let state: unknown;
    if ('agentId' in target) {
      const { agentIds } = await import('../../lib/mesos/cluster.js');
      state = await this.masterState();
      nodeLog.requireAgent(agentIds(state), target.agentId);
    }
    const { settings } = await this.cluster();
    try {
      await nodeLog.nodeLog(
        {
          target,
          lines: this.flags.lines,
          follow: this.flags.follow,
          ...(this.flags.component === undefined ? {} : { component: this.flags.component }),
          filters,
          format: this.flags.output as 'short' | 'cat' | 'json',
        },
        {
          http: await this.http(),
          settings,
          state,
          signal: this.abortController.signal,
          onLine: (line) => process.stdout.write(`${line}\n`),
          out: writableSink(process.stdout),
          note: (line) => this.stderrLine(line),
          ...(this.verbose ? { verbose: (line: string) => this.stderrLine(line) } : {}),
        },
      );
    } catch (error) {
      // The reader went away (`dcos node log --leader | head`): nothing left to do.
      if (!isClosedPipe(error)) throw error;
      return;
    }
    if (this.flags.follow) process.stderr.write('The log stream ended.\n');
  }
}
