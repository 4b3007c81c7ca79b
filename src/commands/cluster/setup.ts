import { Args, Flags } from '@oclif/core';

import { DcosCommand } from '../../lib/cli/base-command.js';
import { credentialFlags, credentialsFromFlags } from '../../lib/cli/flags.js';
import { confirmPrompt, isInteractive } from '../../lib/cli/prompt.js';
import { setupCluster, type SetupResult } from '../../lib/config/setup.js';

export default class ClusterSetup extends DcosCommand<typeof ClusterSetup> {
  static override summary = 'Set up a cluster (DC/OS, or plain Marathon + Mesos) and attach it';
  static override description =
    'Detects DC/OS by /dcos-metadata/dcos-version.json and logs in through /acs/api/v1/auth/login; ' +
    'otherwise checks for Marathon (/v2/info) and Mesos (/version or /master/state). Nothing is saved unless every check passes.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> https://dcos.example.com --username alice --password-env DCOS_PASSWORD',
    '<%= config.bin %> <%= command.id %> http://10.0.0.5:8080 --mesos-url http://10.0.0.5:5050 --name lab',
    '<%= config.bin %> <%= command.id %> https://dcos.example.com --ca-certs ./dcos-ca.crt --token-env CI_DCOS_TOKEN',
  ];
  static override args = {
    url: Args.string({ required: true, description: 'cluster URL (https:// assumed when missing)' }),
  };
  static override flags = {
    name: Flags.string({ description: 'name for the cluster (default: the name it reports, else its host)' }),
    'marathon-url': Flags.string({ description: 'Marathon URL, for a plain Marathon cluster' }),
    'mesos-url': Flags.string({ description: 'Mesos master URL, for a plain Marathon cluster' }),
    ...credentialFlags,
    'ca-certs': Flags.string({ description: 'PEM file of the CA that signed the cluster certificate' }),
    insecure: Flags.boolean({
      description: 'do not verify TLS certificates (prints a warning)',
      exclusive: ['ca-certs'],
    }),
    'no-check': Flags.boolean({
      description: 'trust the CA the cluster serves at /ca/dcos-ca.crt without asking',
    }),
  };

  async run(): Promise<SetupResult> {
    const { flags } = this;
    const credentials = await credentialsFromFlags(flags, this.env);
    this.progress(`Setting up ${this.args.url} ...`);
    const result = await setupCluster(
      {
        url: this.args.url,
        name: flags.name,
        marathonUrl: flags['marathon-url'],
        mesosUrl: flags['mesos-url'],
        credentials,
        caCertsPath: flags['ca-certs'],
        insecure: flags.insecure,
        noCheck: flags['no-check'],
        interactive: isInteractive(),
      },
      {
        store: this.store(),
        // Setting up with --insecure is the one moment an unverified cluster is worth a warning by default.
        hooks: { ...this.clientHooks(), warn: (message: string) => this.warnLine(message) },
        confirm: confirmPrompt,
      },
    );
    await this.render(result, () => {
      const version = result.version ? ` ${result.version}` : '';
      this.log(`Cluster ${result.name} (${result.type}${version}) at ${result.url} is set up and attached.`);
    });
    return result;
  }
}
