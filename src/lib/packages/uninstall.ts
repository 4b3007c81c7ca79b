import { UsageError } from '../errors.js';
import type { InstallConversation } from './install.js';
import type { PackageManager, UninstallResult } from './types.js';

export interface UninstallInput {
  packageName: string;
  appId?: string;
  all: boolean;
  yes: boolean;
}

/**
 * Shows which apps would go (from the installed list) and asks before removing them; the manager then
 * enforces the rest (not installed, several installs without --app-id or --all).
 */
export async function uninstallPackage(
  manager: PackageManager,
  input: UninstallInput,
  conversation: Pick<InstallConversation, 'confirm' | 'note'>,
): Promise<UninstallResult[]> {
  if (!input.yes) {
    if (!conversation.confirm) {
      throw new UsageError(
        `uninstalling ${input.packageName} needs confirmation and there is no terminal to ask on; rerun with --yes`,
        { code: 'confirmation_required' },
      );
    }
    const installed = await manager.list({
      packageName: input.packageName,
      ...(input.appId ? { appId: input.appId } : {}),
    });
    const apps = installed.map((entry) => entry.appId);
    const what = apps.length > 0 && (input.all || apps.length === 1) ? ` (${apps.join(', ')})` : '';
    if (!(await conversation.confirm(`Uninstall ${input.packageName}${what}?`))) {
      throw new UsageError('uninstall cancelled; nothing was removed', { code: 'cancelled' });
    }
  }
  return manager.uninstall({
    packageName: input.packageName,
    ...(input.appId ? { appId: input.appId } : {}),
    ...(input.all ? { all: true } : {}),
  });
}
