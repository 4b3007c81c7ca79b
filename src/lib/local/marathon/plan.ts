/**
 * Deployment planning (Marathon's `DeploymentPlan.apply`) and rollback (`DeploymentPlanReverter`). Pure.
 */
import type { AppDefinition, DeploymentPlan, Group, PlanAction, PlanActionType, PlanStep } from '../types.js';
import {
  allApps,
  allGroups,
  dependencyGraph,
  findGroup,
  putApp,
  putGroup,
  removeApp,
  removeGroup,
} from './groups.js';
import { appJson, canonicalJson, configChanged } from './normalize.js';

export interface BuildPlanOptions {
  id: string;
  version: string;
  /** Apps to restart even when their definition did not change (`POST /v2/apps/{id}/restart`). */
  restart?: ReadonlySet<string>;
  /** Instances a `kill --scale` sentenced, by app id (carried on the plan for the scale action). */
  toKill?: Record<string, string[]>;
}

function index(root: Group): Map<string, AppDefinition> {
  return new Map(allApps(root).map((app) => [app.id, app]));
}

/** Length of the longest dependency chain starting at each app (1 = no dependencies); cycles are cut. */
function chainLengths(edges: Map<string, string[]>): Map<string, number> {
  const lengths = new Map<string, number>();
  const open = new Set<string>();
  const length = (id: string): number => {
    const known = lengths.get(id);
    if (known !== undefined) return known;
    if (open.has(id)) return 0;
    open.add(id);
    let longest = 0;
    for (const dep of edges.get(id) ?? []) longest = Math.max(longest, length(dep));
    open.delete(id);
    lengths.set(id, longest + 1);
    return longest + 1;
  };
  for (const id of [...edges.keys()].sort()) length(id);
  return lengths;
}

/** The action the dependency-ordered part of the plan takes for a target app, if any. */
function actionFor(
  before: AppDefinition | undefined,
  after: AppDefinition,
  restart: ReadonlySet<string>,
): PlanActionType | undefined {
  if (!before) return 'ScaleApplication';
  const config = configChanged(before, after) || restart.has(after.id);
  const scaled = before.instances !== after.instances;
  if (!config && !scaled) return undefined;
  if (after.instances === 0 || !config) return 'ScaleApplication';
  return 'RestartApplication';
}

/**
 * Natural order of ids (digit runs compared as numbers): `/test/sleep60` before `/test/sleep120`, as in Marathon's
 * documented plan for `examples/apps_create.json`. Used for the actions inside a step.
 */
export function compareIds(a: string, b: string): number {
  const chunks = (s: string): string[] => s.match(/\d+|\D+/g) ?? [];
  const left = chunks(a);
  const right = chunks(b);
  let tie = 0; // numbers equal in value but written differently (9 / 09): decided only if nothing else differs
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const x = left[i] as string;
    const y = right[i] as string;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return diff;
      if (tie === 0) tie = x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length || tie;
}

const step = (action: PlanActionType, ids: string[]): PlanStep => ({
  actions: ids.map((app): PlanAction => ({ action, app })),
});

/**
 * The plan that takes `original` to `target` (§4.1): a step stopping removed apps, a step starting new apps
 * (with 0 instances), then one step per dependency layer (apps with the shortest longest-dependency-chain in
 * `target` first) scaling new and scale-only-changed apps and restarting apps whose configuration changed (or
 * that are in `restart`). Empty steps are dropped; actions in a step are in natural id order (`compareIds`),
 * `affectedApps` is sorted plainly.
 */
export function buildPlan(original: Group, target: Group, options: BuildPlanOptions): DeploymentPlan {
  const before = index(original);
  const after = index(target);
  const restart = options.restart ?? new Set<string>();

  const stopped = [...before.keys()].filter((id) => !after.has(id)).sort(compareIds);
  const started = [...after.keys()].filter((id) => !before.has(id)).sort(compareIds);

  const actions = new Map<string, PlanActionType>();
  for (const [id, app] of after) {
    const action = actionFor(before.get(id), app, restart);
    if (action) actions.set(id, action);
  }

  const lengths = chainLengths(dependencyGraph(target));
  const layers = new Map<number, PlanAction[]>();
  for (const id of [...actions.keys()].sort(compareIds)) {
    const layer = lengths.get(id) ?? 1;
    const list = layers.get(layer) ?? [];
    list.push({ action: actions.get(id) as PlanActionType, app: id });
    layers.set(layer, list);
  }

  const steps: PlanStep[] = [
    step('StopApplication', stopped),
    step('StartApplication', started),
    ...[...layers.keys()].sort((a, b) => a - b).map((layer) => ({ actions: layers.get(layer) ?? [] })),
  ].filter((s) => s.actions.length > 0);

  const affectedApps = [...new Set(steps.flatMap((s) => s.actions.map((a) => a.app)))].sort();
  const changed = new Set([...stopped, ...started]);
  for (const [id, app] of after) {
    const previous = before.get(id);
    if (previous !== undefined && previous !== app && !sameApp(previous, app)) changed.add(id);
  }
  const plan: DeploymentPlan = {
    id: options.id,
    version: options.version,
    original: withAppsOnly(original, changed),
    target: withAppsOnly(target, changed),
    steps,
    affectedApps,
  };
  if (options.toKill) {
    const toKill: Record<string, string[]> = {};
    for (const [appId, instances] of Object.entries(options.toKill)) toKill[appId] = [...instances];
    plan.toKill = toKill;
  }
  return plan;
}

/**
 * `root` with every group but only the apps in `ids`. A plan keeps its roots like this: revert and the scheduler
 * only read the apps the plan changes, and a persisted deployment must not carry a copy of every other app
 * (200 deployments pending over 200 apps would otherwise write 80,000 app definitions per state write).
 */
function withAppsOnly(root: Group, ids: ReadonlySet<string>): Group {
  return {
    ...root,
    apps: root.apps.filter((app) => ids.has(app.id)),
    groups: root.groups.map((group) => withAppsOnly(group, ids)),
  };
}

function sameApp(a: AppDefinition, b: AppDefinition): boolean {
  return canonicalJson(appJson(a)) === canonicalJson(appJson(b));
}

function depth(id: string): number {
  return id === '/' ? 0 : id.split('/').length - 1;
}

/**
 * `DeploymentPlanReverter.revert` (§4.4): `current` with this plan's changes undone. Apps the plan added are
 * removed, apps it removed come back with their original definition, apps it changed get their original
 * definition back; apps it did not touch keep their current state. Groups the plan removed are re-created and
 * group dependency changes are reverted; groups it added are removed (inner ones first) once empty.
 * Changed groups get `version`.
 */
export function revertPlan(plan: DeploymentPlan, current: Group, version: string): Group {
  const originalApps = index(plan.original);
  const targetApps = index(plan.target);
  const originalGroups = new Map(allGroups(plan.original).map((g) => [g.id, g]));
  const targetGroups = new Map(allGroups(plan.target).map((g) => [g.id, g]));
  let root = current;

  // Groups the plan removed come back (outer first), with their original settings.
  const removedGroups = [...originalGroups.keys()].filter((id) => !targetGroups.has(id));
  for (const id of removedGroups.sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1))) {
    if (findGroup(root, id)) continue;
    const original = originalGroups.get(id) as Group;
    root = putGroup(
      root,
      {
        id,
        apps: [],
        groups: [],
        pods: [],
        dependencies: [...original.dependencies],
        version,
        enforceRole: original.enforceRole ?? false,
      },
      version,
    );
  }

  // Group dependency changes are undone.
  for (const [id, original] of originalGroups) {
    const target = targetGroups.get(id);
    if (!target || canonicalJson(target.dependencies) === canonicalJson(original.dependencies)) continue;
    const group = findGroup(root, id);
    if (group)
      root = putGroup(root, { ...group, dependencies: [...original.dependencies], version }, version);
  }

  // Apps.
  for (const [id, target] of targetApps) {
    const original = originalApps.get(id);
    if (!original) root = removeApp(root, id, version);
    else if (!sameApp(original, target)) root = putApp(root, original, version);
  }
  for (const [id, original] of originalApps) {
    if (!targetApps.has(id)) root = putApp(root, original, version);
  }

  // Groups the plan added go away once nothing is left in them (inner first).
  const addedGroups = [...targetGroups.keys()].filter((id) => !originalGroups.has(id));
  for (const id of addedGroups.sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1))) {
    const group = findGroup(root, id);
    if (group && group.apps.length === 0 && group.groups.length === 0 && group.pods.length === 0) {
      root = removeGroup(root, id, version);
    }
  }
  return root;
}

/** The plan as events carry it: `{id, version, steps}`. */
export function planJson(plan: DeploymentPlan): { id: string; version: string; steps: PlanStep[] } {
  return {
    id: plan.id,
    version: plan.version,
    steps: plan.steps.map((s) => ({ actions: s.actions.map((a) => ({ action: a.action, app: a.app })) })),
  };
}

/** The running deployments `plan` conflicts with: those whose affected app ids intersect its own. */
export function conflicts(plan: DeploymentPlan, running: DeploymentPlan[]): DeploymentPlan[] {
  const mine = new Set(plan.affectedApps);
  return running.filter((other) => other.id !== plan.id && other.affectedApps.some((id) => mine.has(id)));
}
