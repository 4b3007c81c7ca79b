import { Args } from '@oclif/core';

import {
  haproxyBinFlag,
  haproxyFrontendFlags,
  haproxyOptionsFromFlags,
  haproxySourceFlags,
} from '../../lib/cli/haproxy-flags.js';
import { MarathonCommand } from '../../lib/cli/marathon-command.js';
import { DcosError, UsageError } from '../../lib/errors.js';

export default class HaproxyCheck extends MarathonCommand<typeof HaproxyCheck> {
  static override summary = 'Check an haproxy.cfg, or the one the apps would get, with the real haproxy -c';
  static override description =
    'Without FILE the config is generated from --apps or the cluster first, and each error names the app whose ' +
    'lines HAProxy rejected. Exit 0 when HAProxy accepts the config, 1 when it does not.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> /etc/haproxy/haproxy.cfg',
    '<%= config.bin %> <%= command.id %> --apps apps.json --haproxy-bin /usr/local/sbin/haproxy',
  ];
  static override args = {
    file: Args.string({ description: 'haproxy.cfg to check (default: generate one from the apps)' }),
  };
  static override flags = { ...haproxySourceFlags, ...haproxyFrontendFlags, ...haproxyBinFlag };

  async run() {
    const { file } = this.args;
    const { apps, templates } = this.flags;
    const generating = this.flags['allow-app-templates'] || this.flags['ssl-cert-dir'] !== undefined;
    if (file !== undefined && (apps !== undefined || templates !== undefined || generating)) {
      throw new UsageError(
        'pass a config FILE to check, or --apps/--templates/--allow-app-templates/--ssl-cert-dir to generate one, not both',
      );
    }
    const [{ checkHaproxyConfig }, { describeProblem }] = await Promise.all([
      import('../../lib/haproxy/input.js'),
      import('../../lib/haproxy/validate.js'),
    ]);
    const outcome = await checkHaproxyConfig({
      file,
      haproxyBin: this.flags['haproxy-bin'],
      apps,
      templatesDir: templates,
      options: haproxyOptionsFromFlags(this.flags),
      stdin: process.stdin,
      clusterApps: async () => (await this.marathon()).listApps(['apps.tasks']),
    });
    for (const dropped of outcome.report?.dropped ?? [])
      this.warnLine(`${dropped.appId} left out: ${dropped.reason}`);
    for (const ignored of outcome.report?.ignoredLabels ?? [])
      this.warnLine(`${ignored.appId}: label ${ignored.label} ignored: ${ignored.reason}`);
    await this.render(outcome, () => {
      for (const problem of outcome.problems) {
        this.log(`${problem.severity === 'warning' ? 'warning' : 'error'}: ${describeProblem(problem)}`);
      }
      if (outcome.ok) this.log(`${outcome.source}: valid`);
    });
    if (!outcome.ok) {
      const errors = outcome.problems.filter((problem) => problem.severity !== 'warning').length;
      throw new DcosError(`haproxy rejected ${outcome.source} (${errors} error${errors === 1 ? '' : 's'})`, {
        code: 'invalid_config',
      });
    }
    return outcome;
  }
}
