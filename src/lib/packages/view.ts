import type { Column } from '../cli/output.js';
import type { InstalledPackage, Repository, SearchResult } from './types.js';

const DESCRIPTION_WIDTH = 60;

export function truncate(text: string, width = DESCRIPTION_WIDTH): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > width ? `${oneLine.slice(0, width - 3)}...` : oneLine;
}

export const SEARCH_COLUMNS: readonly Column<SearchResult>[] = [
  { header: 'NAME', value: (result) => result.name },
  { header: 'VERSION', value: (result) => result.currentVersion },
  { header: 'SELECTED', value: (result) => result.selected },
  { header: 'FRAMEWORK', value: (result) => result.framework },
  { header: 'DESCRIPTION', value: (result) => truncate(result.description) },
];

/** One row per package name and version, its apps joined (the DC/OS CLI's `package list` table). */
export interface InstalledRow {
  name: string;
  version: string;
  apps: string[];
  selected: boolean;
  description: string;
}

export function installedRows(installed: readonly InstalledPackage[]): InstalledRow[] {
  const rows = new Map<string, InstalledRow>();
  for (const { appId, packageInformation } of installed) {
    const definition = packageInformation.packageDefinition;
    const key = `${definition.name}\u0000${definition.version}`;
    const row = rows.get(key) ?? {
      name: String(definition.name),
      version: String(definition.version),
      apps: [],
      selected: definition.selected === true,
      description: String(definition.description ?? ''),
    };
    row.apps.push(appId);
    rows.set(key, row);
  }
  return [...rows.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

export const INSTALLED_COLUMNS: readonly Column<InstalledRow>[] = [
  { header: 'NAME', value: (row) => row.name },
  { header: 'VERSION', value: (row) => row.version },
  { header: 'SELECTED', value: (row) => row.selected },
  { header: 'APP', value: (row) => row.apps.join('\n') },
  { header: 'DESCRIPTION', value: (row) => truncate(row.description) },
];

export function repositoryLines(repositories: readonly Repository[]): string[] {
  return repositories.map((repository) => `${repository.name}: ${repository.uri}`);
}
