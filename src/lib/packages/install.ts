import { UsageError } from '../errors.js';
import type { InstallResponse, JsonSchema, PackageManager, UniversePackage } from './types.js';

/** How the install talks to the person running it; everything is optional so CI runs need none of it. */
export interface InstallConversation {
  /** Present on a terminal: asks for the options from the package's schema (defaults offered). */
  askOptions?: (schema: JsonSchema, defaults: Record<string, unknown>) => Promise<Record<string, unknown>>;
  /** Present on a terminal: a yes/no question. */
  confirm?: (message: string) => Promise<boolean>;
  /** Present on a terminal: where to save the answers (undefined = don't). */
  askSavePath?: () => Promise<string | undefined>;
  saveOptions?: (path: string, options: Record<string, unknown>) => Promise<void>;
  /** Notes and notices for a human (stderr). */
  note: (text: string) => void;
}

export interface InstallInput {
  packageName: string;
  packageVersion?: string;
  appId?: string;
  /** From --options; undefined = none given. */
  options?: Record<string, unknown>;
  yes: boolean;
}

export type InstallOutcome = InstallResponse & { savedOptions?: string };

export const COMMUNITY_NOTICE =
  'This is a Community service. Community services are not tested for production environments. ' +
  'There may be bugs, incomplete features, incorrect documentation, or other discrepancies.';

/**
 * The DC/OS CLI's install flow: describe, settle the options (file, or answers on a terminal), check them
 * against the package's schema before anything is sent, show the notes, confirm, install. Options are
 * validated here for either manager, so a bad value is reported the same way and nothing is installed.
 */
export async function installPackage(
  manager: PackageManager,
  input: InstallInput,
  conversation: InstallConversation,
): Promise<InstallOutcome> {
  const pkg = await manager.describe(input.packageName, input.packageVersion);
  const { resolveOptions, schemaDefaults } = await import('./options.js');
  let options = input.options;
  let savedOptions: string | undefined;
  if (options === undefined && !input.yes && pkg.config && conversation.askOptions) {
    options = await conversation.askOptions(pkg.config, schemaDefaults(pkg.config));
    resolveOptions(pkg, options);
    const path = await conversation.askSavePath?.();
    if (path && conversation.saveOptions) {
      await conversation.saveOptions(path, options);
      savedOptions = path;
    }
  } else {
    resolveOptions(pkg, options ?? {});
  }
  for (const note of installNotes(pkg)) conversation.note(note);
  if (!input.yes) {
    if (!conversation.confirm) {
      throw new UsageError(
        `installing ${pkg.name} needs confirmation and there is no terminal to ask on; rerun with --yes`,
        { code: 'confirmation_required' },
      );
    }
    if (!(await conversation.confirm('Continue installing?'))) {
      throw new UsageError('installation cancelled; nothing was installed', { code: 'cancelled' });
    }
  }
  const response = await manager.install({
    packageName: pkg.name,
    packageVersion: pkg.version,
    ...(options && Object.keys(options).length > 0 ? { options } : {}),
    ...(input.appId ? { appId: input.appId } : {}),
  });
  return { ...response, ...(savedOptions ? { savedOptions } : {}) };
}

export function installNotes(pkg: UniversePackage): string[] {
  const notes: string[] = [];
  if (pkg.selected !== true) notes.push(COMMUNITY_NOTICE);
  if (pkg.preInstallNotes) notes.push(pkg.preInstallNotes.trim());
  return notes;
}
