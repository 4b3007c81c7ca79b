import { Args, Flags } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';

export default class TaskLog extends DcosCommand<typeof TaskLog> {
  static override summary = "Print the end of a task's stdout, stderr or any sandbox file, and follow it";
  static override description =
    'Reads the file through the DC/OS logging API v2 when the cluster has it, else through the Mesos files ' +
    'API of the agent (--verbose says which). The task is a task id or part of task ids or names; a filter ' +
    'matching several tasks is an error unless --all.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> shell',
    '<%= config.bin %> <%= command.id %> shell stderr --lines 50',
    '<%= config.bin %> <%= command.id %> web --all --follow',
    '<%= config.bin %> <%= command.id %> shell --lines all > shell.log',
  ];
  static override args = {
    task: Args.string({ required: true, description: 'task id, or part of task ids or names' }),
    file: Args.string({ description: 'file in the task sandbox', default: 'stdout' }),
  };
  static override flags = {
    lines: Flags.string({
      description: 'how many lines from the end to print, or "all" for the whole file',
      default: '10',
    }),
    follow: Flags.boolean({
      description: 'keep printing new lines until Ctrl-C (exit 130) or the task ends (exit 0)',
    }),
    all: Flags.boolean({ description: 'every matching task, each line prefixed with [<task id>]' }),
    completed: Flags.boolean({ description: 'also look at finished tasks' }),
  };

  async run() {
    const { isClosedPipe, parseLines, taskLog, writableSink } = await import('../../lib/logs/task-log.js');
    const lines = parseLines(this.flags.lines);
    const cluster = await this.cluster();
    try {
      await taskLog(
        {
          filter: this.args.task,
          file: this.args.file,
          lines,
          follow: this.flags.follow,
          all: this.flags.all,
          completed: this.flags.completed,
        },
        {
          http: await this.http(),
          settings: cluster.settings,
          signal: this.abortController.signal,
          out: writableSink(process.stdout),
          note: (line) => this.stderrLine(line),
          ...(this.verbose ? { verbose: (line: string) => this.stderrLine(line) } : {}),
        },
      );
    } catch (error) {
      // The reader went away (`dcos task log x | head`): nothing left to do, and nothing went wrong.
      if (!isClosedPipe(error)) throw error;
    }
  }
}
