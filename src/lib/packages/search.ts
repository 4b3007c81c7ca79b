/**
 * `/package/search` computed on the client, the way Cosmos's `PackageCollection.search` does it (`apis.md` §6.3):
 * one result per package name, described by the entry Cosmos would install by default, with every version.
 */
import { isRecord } from '../json.js';
import type { SearchResult } from './types.js';
import { mergeRepositories, type RepoPackages } from './universe.js';

type Predicate = (result: SearchResult) => boolean;

const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * `*` matches anything (but a line break) and the rest literally, against the whole field and case-sensitively,
 * as Cosmos's `^a.*b$` does. Matched without a regular expression: a backtracking engine takes time to the power
 * of the number of `*`s against a long field, and repositories choose their descriptions.
 */
export function wildcardMatcher(query: string): (text: string) => boolean {
  const parts = query.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1);
  // Neither a literal part nor a `*` can match a line break, unless the query itself holds one.
  const lineBreaksMatch = LINE_TERMINATOR.test(query);
  return (text) => {
    if (!lineBreaksMatch && LINE_TERMINATOR.test(text)) return false;
    if (parts.length === 1) return text === first;
    if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) {
      return false;
    }
    // Each middle part at its leftmost place after the one before leaves the most room for the rest.
    const end = text.length - last.length;
    let at = first.length;
    for (const part of middle) {
      const found = text.indexOf(part, at);
      if (found === -1 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

function predicateFor(query: string | undefined): Predicate {
  if (query === undefined || query === '') return () => true;
  if (query.includes('*')) {
    const matches = wildcardMatcher(query);
    return (result) =>
      matches(result.name) || matches(result.description) || result.tags.some((tag) => matches(tag));
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
