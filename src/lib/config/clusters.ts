import { readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { ConfigError, UsageError } from '../errors.js';
import { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from '../fs-atomic.js';
import { withFileLock } from '../fs-lock.js';
import {
  effectiveSettings,
  flattenToml,
  nestSettings,
  type EnvSource,
  type Settings,
  type SettingValue,
} from './keys.js';

export const CONFIG_FILE = 'dcos.toml';
export const ATTACHED_MARKER = 'attached';

export interface ClusterEntry {
  id: string;
  dir: string;
  attached: boolean;
  /** The file's settings; empty when the file could not be read (see `problem`). */
  settings: Settings;
  /** Why this cluster's file is unusable, if it is. */
  problem?: ConfigError;
}

export function clusterName(cluster: Pick<ClusterEntry, 'id' | 'settings'>): string {
  const name = cluster.settings['cluster.name'];
  return typeof name === 'string' && name !== '' ? name : cluster.id;
}

export function dcosDir(env: EnvSource, cwd = process.cwd()): string {
  const fromEnv = env.DCOS_DIR;
  return fromEnv ? resolve(cwd, fromEnv) : join(homedir(), '.dcos');
}

/** Parse a cluster file's text; a syntax error names the file, line and column. */
export async function parseClusterToml(text: string, path: string): Promise<Settings> {
  const { parse, TomlError } = await import('smol-toml');
  try {
    return flattenToml(parse(text) as Record<string, unknown>);
  } catch (error) {
    const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
    const reason = (error as Error).message.split('\n')[0];
    throw new ConfigError(`invalid TOML in ${path}${where}: ${reason}; fix or remove that file`, {
      code: 'invalid_config_file',
      details: { path },
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface ClusterStoreOptions {
  /** Told about directories and files other users could read or change (tightened when they are ours). */
  warn?: (message: string) => void;
}

/** The clusters under `$DCOS_DIR/clusters`, each with its file, in the DC/OS CLI's layout. */
export class ClusterStore {
  readonly root: string;
  private permissionsChecked = false;

  constructor(
    root: string,
    private readonly options: ClusterStoreOptions = {},
  ) {
    this.root = root;
  }

  get clustersDir(): string {
    return join(this.root, 'clusters');
  }

  async list(): Promise<ClusterEntry[]> {
    let ids: string[];
    try {
      const entries = await readdir(this.clustersDir, { withFileTypes: true });
      ids = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new ConfigError(`cannot read ${this.clustersDir}: ${(error as Error).message}`);
    }
    await this.checkPermissions(ids);
    const clusters = await Promise.all(ids.sort().map((id) => this.load(id)));
    return clusters.filter((cluster): cluster is ClusterEntry => cluster !== undefined);
  }

  /**
   * Whoever can write in `$DCOS_DIR` or a cluster directory can point a stored token at another server, and
   * whoever can read there has the token. Ours: tightened (0700, files 0600) and said once; someone else's:
   * reported on every command.
   */
  private async checkPermissions(ids: readonly string[]): Promise<void> {
    if (this.permissionsChecked) return;
    this.permissionsChecked = true;
    const paths = [
      { path: this.root, mode: PRIVATE_DIR_MODE },
      { path: this.clustersDir, mode: PRIVATE_DIR_MODE },
      ...ids.flatMap((id) => [
        { path: join(this.clustersDir, id), mode: PRIVATE_DIR_MODE },
        { path: join(this.clustersDir, id, CONFIG_FILE), mode: PRIVATE_FILE_MODE },
      ]),
    ];
    await Promise.all(paths.map(({ path, mode }) => this.tighten(path, mode)));
  }

  private async tighten(path: string, wanted: number): Promise<void> {
    let info: Stats;
    try {
      info = await stat(path);
    } catch {
      return;
    }
    const mode = info.mode & 0o777;
    if ((mode & 0o077) === 0) return;
    const octal = (value: number) => `0${value.toString(8)}`;
    const ours = typeof process.getuid !== 'function' || info.uid === process.getuid();
    if (ours) {
      try {
        await chmod(path, wanted);
        this.options.warn?.(
          `${path} was open to other users (mode ${octal(mode)}) and holds cluster credentials: changed to ${octal(wanted)}`,
        );
        return;
      } catch {
        // reported below
      }
    }
    this.options.warn?.(
      `${path} is open to other users (mode ${octal(mode)}${ours ? '' : `, owner uid ${info.uid}`}): ` +
        `anyone who can write there can send your credentials elsewhere; make it yours and \`chmod ${octal(wanted)}\` it`,
    );
  }

  private async load(id: string): Promise<ClusterEntry | undefined> {
    const dir = join(this.clustersDir, id);
    const file = join(dir, CONFIG_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // A directory without a dcos.toml is a half-removed cluster or a plugin leftover: not a cluster.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      const problem = new ConfigError(`cannot read ${file}: ${(error as Error).message}`, {
        code: 'unreadable_config_file',
        details: { path: file },
      });
      // Keep the marker: an attached cluster with an unreadable file must report that, not "none attached".
      return { id, dir, attached: await exists(join(dir, ATTACHED_MARKER)), settings: {}, problem };
    }
    const attached = await exists(join(dir, ATTACHED_MARKER));
    try {
      return { id, dir, attached, settings: await parseClusterToml(text, file) };
    } catch (error) {
      return { id, dir, attached, settings: {}, problem: error as ConfigError };
    }
  }

  /** Replaces the cluster's settings (a new cluster, or settings that do not depend on the file's). */
  async save(id: string, settings: Settings): Promise<ClusterEntry> {
    return this.write(id, () => settings);
  }

  /**
   * Changes the cluster's settings as `change` says, given the file's settings as they are now, under a lock:
   * commands running side by side (CI jobs) each see the other's change, and none is lost.
   */
  async update(id: string, change: (current: Settings) => Settings): Promise<ClusterEntry> {
    return this.write(id, async () => {
      const current = await this.load(id);
      if (current?.problem) throw current.problem;
      return change(current?.settings ?? {});
    });
  }

  private async write(id: string, next: () => Settings | Promise<Settings>): Promise<ClusterEntry> {
    const dir = join(this.clustersDir, id);
    await ensurePrivateDir(this.root);
    await ensurePrivateDir(this.clustersDir);
    await ensurePrivateDir(dir);
    const file = join(dir, CONFIG_FILE);
    const settings = await withFileLock(file, async () => {
      const settings = await next();
      const { stringify } = await import('smol-toml');
      await writeFileAtomic(file, stringify(nestSettings(settings)));
      return settings;
    });
    return { id, dir, attached: await exists(join(dir, ATTACHED_MARKER)), settings };
  }

  /** Creates a cluster directory with a fresh id unless one is given (DC/OS uses its CLUSTER_ID). */
  // The Web Crypto global, not node:crypto: every command reads this module and few create a cluster.
  async create(settings: Settings, id: string = globalThis.crypto.randomUUID()): Promise<ClusterEntry> {
    if (!/^[A-Za-z0-9._-]+$/.test(id) || id.startsWith('.')) {
      throw new ConfigError(`refusing cluster id "${id}": it is not a safe directory name`);
    }
    return this.save(id, settings);
  }

  /** Moves the `attached` marker: detach every other cluster first, so a crash never leaves two attached. */
  async attach(id: string): Promise<void> {
    const clusters = await this.list();
    // Check before detaching anything, so a bad id leaves the current attachment alone.
    if (!clusters.some((cluster) => cluster.id === id)) {
      const file = join(this.clustersDir, id, CONFIG_FILE);
      throw new ConfigError(`cannot attach cluster "${id}": there is no ${file}`, {
        code: 'cluster_not_found',
      });
    }
    await Promise.all(
      clusters
        .filter((cluster) => cluster.id !== id && cluster.attached)
        .map((cluster) => rm(join(cluster.dir, ATTACHED_MARKER), { force: true })),
    );
    const marker = join(this.clustersDir, id, ATTACHED_MARKER);
    await writeFile(marker, '', { mode: PRIVATE_FILE_MODE });
    await chmod(marker, PRIVATE_FILE_MODE);
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.clustersDir, id), { recursive: true, force: true });
  }
}

/** Find a cluster by exact name, exact id, or unique id prefix (as `dcos cluster attach` does). */
export function findCluster(clusters: readonly ClusterEntry[], nameOrId: string): ClusterEntry {
  const byName = clusters.filter((cluster) => !cluster.problem && clusterName(cluster) === nameOrId);
  const byId = clusters.find((cluster) => cluster.id === nameOrId);
  if (byId) return byId;
  if (byName.length === 1) return byName[0] as ClusterEntry;
  if (byName.length > 1) {
    throw new UsageError(
      `more than one cluster is named "${nameOrId}" (${byName.map((c) => c.id).join(', ')}); use its id`,
      { code: 'ambiguous_cluster' },
    );
  }
  const byPrefix = clusters.filter((cluster) => cluster.id.startsWith(nameOrId));
  if (byPrefix.length === 1) return byPrefix[0] as ClusterEntry;
  if (byPrefix.length > 1) {
    throw new UsageError(`"${nameOrId}" matches several cluster ids; use more of the id`, {
      code: 'ambiguous_cluster',
      details: { candidates: byPrefix.map((c) => c.id) },
    });
  }
  throw new UsageError(`no cluster named "${nameOrId}"; run \`dcos cluster list\` to see the clusters`, {
    code: 'cluster_not_found',
  });
}

export interface SelectionInput {
  /** `--cluster` */
  flag?: string | undefined;
  env: EnvSource;
}

/**
 * Which cluster a command talks to: `--cluster` > `DCOS_CLUSTER` > the only one > the attached one.
 * Returns undefined when nothing is configured or attached (the caller may still use `DCOS_URL`).
 */
export function selectCluster(
  clusters: readonly ClusterEntry[],
  input: SelectionInput,
): ClusterEntry | undefined {
  const wanted = input.flag || input.env.DCOS_CLUSTER;
  if (wanted) return findCluster(clusters, wanted);
  if (clusters.length === 1) return clusters[0];
  const attached = clusters.filter((cluster) => cluster.attached);
  if (attached.length > 1) {
    throw new ConfigError(
      `more than one cluster is attached (${attached.map(clusterName).join(', ')}); run \`dcos cluster attach <name>\``,
      { code: 'multiple_attached' },
    );
  }
  return attached[0];
}

/** The cluster a command works with, with flag/env/file precedence already applied. */
export interface ResolvedCluster {
  id: string;
  name: string;
  /** Undefined for a cluster described only by environment variables. */
  dir: string | undefined;
  fileSettings: Settings;
  settings: Settings;
  /**
   * Set when DCOS_URL names another origin than the cluster's stored core.dcos_url: the settings then leave
   * out what belongs to the stored cluster alone (its credentials and service URLs).
   */
  urlOverride?: { stored: string; effective: string };
}

/**
 * What a cluster's file holds for that cluster alone: its secrets, and where its services are (which the
 * secrets are sent to). None of it follows DCOS_URL to another origin; DCOS_ACS_TOKEN still can.
 */
const BOUND_TO_STORED_ORIGIN = [
  'core.dcos_acs_token',
  'core.basic_auth_username',
  'core.basic_auth_password',
  'marathon.url',
  'mesos.master_url',
  'package.cosmos_url',
];

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return a === b;
  }
}

export function noClusterError(): ConfigError {
  return new ConfigError(
    'no cluster is attached; run `dcos cluster setup <url>` or `dcos cluster attach <name>`',
    {
      code: 'no_cluster',
    },
  );
}

export function resolveCluster(
  clusters: readonly ClusterEntry[],
  input: SelectionInput & { overrides?: Settings },
): ResolvedCluster {
  const selected = selectCluster(clusters, input);
  if (selected?.problem) throw selected.problem;
  if (!selected) {
    // CI pipelines can describe a cluster entirely through DCOS_URL (+ DCOS_ACS_TOKEN) without a config dir.
    const settings = effectiveSettings({}, input.env, input.overrides);
    const url = settings['core.dcos_url'];
    if (typeof url !== 'string') throw noClusterError();
    return { id: 'env', name: new URL(url).host, dir: undefined, fileSettings: {}, settings };
  }
  const resolved: ResolvedCluster = {
    id: selected.id,
    name: clusterName(selected),
    dir: selected.dir,
    fileSettings: selected.settings,
    settings: effectiveSettings(selected.settings, input.env, input.overrides),
  };
  const stored = settingString(selected.settings, 'core.dcos_url');
  const effective = settingString(resolved.settings, 'core.dcos_url');
  if (stored === undefined || effective === undefined || sameOrigin(stored, effective)) return resolved;
  const own = Object.fromEntries(
    Object.entries(selected.settings).filter(([key]) => !BOUND_TO_STORED_ORIGIN.includes(key)),
  );
  return {
    ...resolved,
    settings: effectiveSettings(own, input.env, input.overrides),
    urlOverride: { stored, effective },
  };
}

export function settingString(settings: Settings, key: string): string | undefined {
  const value: SettingValue | undefined = settings[key];
  return value === undefined ? undefined : String(value);
}
