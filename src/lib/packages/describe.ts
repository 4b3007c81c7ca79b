import { CosmosError } from './errors.js';
import type { PackageManager } from './types.js';

export type DescribeView = 'package' | 'config' | 'template' | 'render' | 'versions';

/** Which view the flags ask for: options or an app id imply a render, as in the DC/OS CLI. */
export function describeView(flags: {
  'package-versions'?: boolean;
  config?: boolean;
  render?: boolean;
  app?: boolean;
  options?: boolean;
  'app-id'?: string | undefined;
}): DescribeView {
  if (flags['package-versions']) return 'versions';
  if (flags.config) return 'config';
  if (flags.render || flags.options || flags['app-id']) return 'render';
  return flags.app ? 'template' : 'package';
}

export interface DescribeInput {
  packageName: string;
  packageVersion?: string;
  view: DescribeView;
  options?: Record<string, unknown>;
  appId?: string;
}

/** What `package describe` prints: JSON for every view, the template as text (it is mustache, not JSON). */
export async function describePackage(manager: PackageManager, input: DescribeInput): Promise<unknown> {
  const { packageName, packageVersion } = input;
  switch (input.view) {
    case 'versions':
      return manager.listVersions(packageName);
    case 'render':
      return manager.render({
        packageName,
        ...(packageVersion ? { packageVersion } : {}),
        ...(input.options ? { options: input.options } : {}),
        ...(input.appId ? { appId: input.appId } : {}),
      });
    default: {
      const pkg = await manager.describe(packageName, packageVersion);
      if (input.view === 'config') return pkg.config ?? {};
      if (input.view === 'package') return pkg;
      const template = pkg.marathon?.v2AppMustacheTemplate;
      if (!template) {
        throw new CosmosError(
          'ServiceMarathonTemplateNotFound',
          `Package: [${pkg.name}] version: [${pkg.version}] does not have a Marathon template defined`,
        );
      }
      return Buffer.from(template, 'base64').toString('utf8');
    }
  }
}
