/**
 * The Marathon group tree (root group `/`): lookups and copy-on-write updates. Pure: every update returns a new
 * root and leaves its input alone; the version timestamp comes in as a parameter.
 */
import type { AppDefinition, Group } from '../types.js';
import { appJson, isObject, normalizeApp, parentId, resolveId } from './normalize.js';

export { resolveId } from './normalize.js';

type Json = Record<string, unknown>;

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function emptyGroup(id: string, version: string): Group {
  return { id, apps: [], groups: [], pods: [], dependencies: [], version, enforceRole: false };
}

export function emptyRoot(version: string): Group {
  return emptyGroup('/', version);
}

/** Every app in the tree, sorted by id. */
export function allApps(root: Group): AppDefinition[] {
  const out: AppDefinition[] = [];
  const walk = (group: Group): void => {
    out.push(...group.apps);
    group.groups.forEach(walk);
  };
  walk(root);
  return out.sort(byId);
}

/** Every group in the tree (the root included), outer groups before inner ones. */
export function allGroups(root: Group): Group[] {
  const out: Group[] = [];
  const walk = (group: Group): void => {
    out.push(group);
    group.groups.forEach(walk);
  };
  walk(root);
  return out;
}

export function findApp(root: Group, id: string): AppDefinition | undefined {
  const wanted = resolveId(id, '/');
  const walk = (group: Group): AppDefinition | undefined => {
    const app = group.apps.find((a) => a.id === wanted);
    if (app) return app;
    for (const child of group.groups) {
      const found = walk(child);
      if (found) return found;
    }
    return undefined;
  };
  return walk(root);
}

export function findGroup(root: Group, id: string): Group | undefined {
  const wanted = resolveId(id, '/');
  const walk = (group: Group): Group | undefined => {
    if (group.id === wanted) return group;
    for (const child of group.groups) {
      if (wanted === child.id || wanted.startsWith(`${child.id}/`)) {
        const found = walk(child);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(root);
}

/** The chain of groups from the root to the group holding the app (empty when the app is not in the tree). */
function groupsHolding(root: Group, appId: string): Group[] {
  const walk = (group: Group, chain: Group[]): Group[] | undefined => {
    const here = [...chain, group];
    if (group.apps.some((a) => a.id === appId)) return here;
    for (const child of group.groups) {
      const found = walk(child, here);
      if (found) return found;
    }
    return undefined;
  };
  return walk(root, []) ?? [];
}

/**
 * Applies `change` to the group `groupId`, creating missing groups on the way when `create` is set (`mkdir -p`),
 * and stamps `version` on every group from the root down to it. Returns `root` itself when the group is missing
 * and `create` is not set.
 */
function updateGroupAt(
  root: Group,
  groupId: string,
  version: string,
  change: (group: Group) => Group,
  create: boolean,
): Group {
  const target = resolveId(groupId, '/');
  const walk = (group: Group): Group | undefined => {
    if (group.id === target) return { ...change(group), version };
    const nextId = childIdOnPath(group.id, target);
    const existing = group.groups.find((g) => g.id === nextId);
    const child = existing ?? (create ? emptyGroup(nextId, version) : undefined);
    if (!child) return undefined;
    const updated = walk(child);
    if (!updated) return undefined;
    const groups = existing
      ? group.groups.map((g) => (g === existing ? updated : g))
      : [...group.groups, updated].sort(byId);
    return { ...group, groups, version };
  };
  return walk(root) ?? root;
}

/** The id of the child of `groupId` that lies on the way to `target` (a descendant of `groupId`). */
function childIdOnPath(groupId: string, target: string): string {
  const base = groupId === '/' ? '' : groupId;
  const rest = target.slice(base.length + 1);
  const cut = rest.indexOf('/');
  return `${base}/${cut < 0 ? rest : rest.slice(0, cut)}`;
}

function withoutApp(group: Group, appId: string, version: string): Group {
  let changed = false;
  const apps = group.apps.filter((a) => a.id !== appId);
  if (apps.length !== group.apps.length) changed = true;
  const groups = group.groups.map((child) => {
    const next = withoutApp(child, appId, version);
    if (next !== child) changed = true;
    return next;
  });
  return changed ? { ...group, apps, groups, version } : group;
}

/**
 * A new root with `app` inserted or replaced (wherever the old definition was), creating intermediate groups;
 * every changed group gets `version`.
 */
export function putApp(root: Group, app: AppDefinition, version: string): Group {
  const without = withoutApp(root, app.id, version);
  return updateGroupAt(
    without,
    parentId(app.id),
    version,
    (group) => ({ ...group, apps: [...group.apps, app].sort(byId) }),
    true,
  );
}

/** A new root without the app `id` (groups stay); the groups that held it get `version`. */
export function removeApp(root: Group, id: string, version: string): Group {
  return withoutApp(root, resolveId(id, '/'), version);
}

/** A new root without the group `id` and everything in it; removing `/` empties the root. */
export function removeGroup(root: Group, id: string, version: string): Group {
  const target = resolveId(id, '/');
  if (target === '/') return { ...root, apps: [], groups: [], pods: [], version };
  if (!findGroup(root, target)) return root;
  return updateGroupAt(
    root,
    parentId(target),
    version,
    (group) => ({ ...group, groups: group.groups.filter((g) => g.id !== target) }),
    false,
  );
}

/** A new root with `group` (already normalised) at its id, replacing what was there; parents are created. */
export function putGroup(root: Group, group: Group, version: string): Group {
  if (group.id === '/') return group;
  return updateGroupAt(
    root,
    parentId(group.id),
    version,
    (parent) => ({
      ...parent,
      groups: [...parent.groups.filter((g) => g.id !== group.id), group].sort(byId),
    }),
    true,
  );
}

export interface NormalizeGroupOptions {
  version: string;
  /** Base for a relative `id`; also the group's id when the body has none (e.g. a `PUT /v2/groups/{id}` body). */
  parentId: string;
  /** Role for apps without one; by default the top-level group's name when it has `enforceRole`, else `*`. */
  defaultRole?: string;
}

/**
 * A group body (validated by `validateGroup`) as a `Group`: relative ids of apps and sub-groups taken against the
 * group id, apps through `normalizeApp`, dependencies absolute (relative ones against the group id), every
 * group and app stamped with `version`.
 */
export function normalizeGroup(raw: Record<string, unknown>, options: NormalizeGroupOptions): Group {
  const id =
    typeof raw.id === 'string' ? resolveId(raw.id, options.parentId) : resolveId('', options.parentId);
  const enforceRole = raw.enforceRole === true;
  let defaultRole = options.defaultRole;
  if (defaultRole === undefined && enforceRole && parentId(id) === '/' && id !== '/')
    defaultRole = id.slice(1);

  const apps = (Array.isArray(raw.apps) ? raw.apps : [])
    .filter(isObject)
    .map((app) =>
      normalizeApp(app, {
        version: options.version,
        parentGroup: id,
        ...(defaultRole !== undefined ? { defaultRole } : {}),
      }),
    )
    .sort(byId);
  const groups = (Array.isArray(raw.groups) ? raw.groups : [])
    .filter(isObject)
    .map((child) =>
      normalizeGroup(child, {
        version: options.version,
        parentId: id,
        ...(defaultRole !== undefined ? { defaultRole } : {}),
      }),
    )
    .sort(byId);
  const dependencies = Array.isArray(raw.dependencies)
    ? [
        ...new Set(
          raw.dependencies.filter((d): d is string => typeof d === 'string').map((d) => resolveId(d, id)),
        ),
      ]
    : [];
  return {
    id,
    apps,
    groups,
    pods: Array.isArray(raw.pods) ? (JSON.parse(JSON.stringify(raw.pods)) as unknown[]) : [],
    dependencies,
    version: options.version,
    enforceRole,
  };
}

/**
 * `PUT /v2/groups/{id}` with `scaleBy`: every app under the group gets `ceil(instances × factor)` instances
 * (a changed app gets `version` and a new `lastScalingAt`).
 */
export function scaleGroup(root: Group, groupId: string, factor: number, version: string): Group {
  const target = resolveId(groupId, '/');
  const scale = (group: Group): Group => ({
    ...group,
    apps: group.apps.map((app) => {
      // Guard against binary noise such as 10 × 0.3 = 3.0000000000000004.
      const instances = Math.max(0, Math.ceil(app.instances * factor - 1e-9));
      if (instances === app.instances) return app;
      return {
        ...app,
        instances,
        version,
        versionInfo: { lastScalingAt: version, lastConfigChangeAt: app.versionInfo.lastConfigChangeAt },
      };
    }),
    groups: group.groups.map(scale),
    version,
  });
  if (!findGroup(root, target)) return root;
  return updateGroupAt(root, target, version, scale, false);
}

/**
 * App id → ids of the apps it depends on (sorted, without itself), as Marathon's
 * `RootGroup.applicationDependencies` for every app: the app's own `dependencies` (an app id, or a
 * group id meaning all apps under that group) plus the `dependencies` of every group holding it (each such
 * dependency expands the same way). Ids that name nothing are ignored.
 */
export function dependencyGraph(root: Group): Map<string, string[]> {
  const apps = new Map<string, AppDefinition>();
  const groups = new Map<string, Group>();
  for (const group of allGroups(root)) {
    groups.set(group.id, group);
    for (const app of group.apps) apps.set(app.id, app);
  }
  const transitive = new Map<string, string[]>();
  const appsUnder = (group: Group): string[] => {
    let ids = transitive.get(group.id);
    if (!ids) {
      ids = [...group.apps.map((a) => a.id), ...group.groups.flatMap(appsUnder)];
      transitive.set(group.id, ids);
    }
    return ids;
  };
  const expand = (id: string): string[] => {
    if (apps.has(id)) return [id];
    const group = groups.get(id);
    return group ? appsUnder(group) : [];
  };

  const edges = new Map<string, string[]>();
  const walk = (group: Group, inherited: string[]): void => {
    const groupDeps = [...inherited, ...group.dependencies.flatMap(expand)];
    for (const app of group.apps) {
      const deps = new Set([...groupDeps, ...(app.dependencies ?? []).flatMap(expand)]);
      deps.delete(app.id);
      edges.set(app.id, [...deps].sort());
    }
    for (const child of group.groups) walk(child, groupDeps);
  };
  walk(root, []);
  return edges;
}

/** The ids of the apps `appId` depends on (see `dependencyGraph`); `[]` for an unknown app. */
export function appDependencies(root: Group, appId: string): string[] {
  const id = resolveId(appId, '/');
  if (groupsHolding(root, id).length === 0) return [];
  return dependencyGraph(root).get(id) ?? [];
}

/** A dependency cycle among the apps (as a list of app ids, first = last), or undefined when there is none. */
export function dependencyCycle(root: Group): string[] | undefined {
  const edges = dependencyGraph(root);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const seen = state.get(id);
    if (seen === 'done') return undefined;
    if (seen === 'open') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'open');
    stack.push(id);
    for (const dep of edges.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of [...edges.keys()].sort()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The group as `GET /v2/groups` writes it (apps through `appJson`). */
export function groupJson(group: Group): Record<string, unknown> {
  const out: Json = {
    id: group.id,
    apps: group.apps.map(appJson),
    groups: group.groups.map(groupJson),
    pods: JSON.parse(JSON.stringify(group.pods)) as unknown[],
    dependencies: [...group.dependencies],
    version: group.version,
  };
  if (group.enforceRole !== undefined) out.enforceRole = group.enforceRole;
  return out;
}
