/**
 * `/package/search` computed on the client, the way Cosmos's `PackageCollection.search` does it (`apis.md` §6.3):
 * one result per package name, described by the entry Cosmos would install by default, with every version.
 */
import { isRecord } from '../json.js';
import type { SearchResult } from './types.js';
import { mergeRepositories, type RepoPackages } from './universe.js';

type Predicate = (result: SearchResult) => boolean;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `*` matches anything and the rest literally, against the whole field and case-sensitively, as in Cosmos. */
export function wildcardPattern(query: string): RegExp {
  return new RegExp(`^${query.split('*').map(escapeRegExp).join('.*')}$`);
}

function predicateFor(query: string | undefined): Predicate {
  if (query === undefined || query === '') return () => true;
  if (query.includes('*')) {
    const pattern = wildcardPattern(query);
    return (result) =>
      pattern.test(result.name) ||
      pattern.test(result.description) ||
      result.tags.some((tag) => pattern.test(tag));
  }
  const needle = query.toLowerCase();
  return (result) =>
    result.name.toLowerCase().includes(needle) ||
    result.description.toLowerCase().includes(needle) ||
    result.tags.some((tag) => tag.toLowerCase().includes(needle));
}

/** Packages of `repos` matching `query` (all without one), selected packages first, then by name. */
export function searchPackages(repos: readonly RepoPackages[], query?: string): SearchResult[] {
  const byName = new Map<string, SearchResult>();
  // The merged list starts each name with its default entry (first repository, highest release): that entry
  // describes the result and gives currentVersion, as in Cosmos.
  for (const { package: pkg, release } of mergeRepositories(repos)) {
    const known = byName.get(pkg.name);
    if (known) {
      const held = known.versions[pkg.version];
      known.versions[pkg.version] = String(held === undefined ? release : Math.max(Number(held), release));
      continue;
    }
    const images = isRecord(pkg.resource) && isRecord(pkg.resource.images) ? pkg.resource.images : undefined;
    byName.set(pkg.name, {
      name: pkg.name,
      currentVersion: pkg.version,
      versions: { [pkg.version]: String(release) },
      description: pkg.description,
      framework: pkg.framework ?? false,
      tags: [...pkg.tags],
      selected: pkg.selected ?? false,
      ...(images ? { images } : {}),
    });
  }
  const matches = predicateFor(query);
  return [...byName.values()].filter(matches).sort((a, b) => {
    if (a.selected !== b.selected) return a.selected ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}
