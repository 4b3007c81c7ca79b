/**
 * Shapes shared by the two package managers (a cluster's Cosmos, and the client-side manager that works from
 * Universe repositories with Marathon) and by `dcos local`'s Cosmos endpoints. Field names are Cosmos's
 * (`../shared/reference/apis.md` §6), so `--json` prints the same thing whichever manager answered.
 */

/** A JSON schema (draft-04) as found in a package's `config`. */
export type JsonSchema = Record<string, unknown>;

/** A package's descriptive fields (what `/package/list` returns): no template, schema or resources. */
export interface PackageMetadata {
  packagingVersion: string;
  name: string;
  version: string;
  /** Absent only in packaging 2.0 indexes; the manager then uses the entry's position. */
  releaseVersion?: number;
  maintainer: string;
  description: string;
  tags: string[];
  selected?: boolean;
  framework?: boolean;
  preInstallNotes?: string;
  postInstallNotes?: string;
  postUninstallNotes?: string;
  [extra: string]: unknown;
}

/** One package version as it appears in a Universe index (`packages[]`) and in describe v3's `package`. */
export interface UniversePackage extends PackageMetadata {
  packagingVersion: '2.0' | '3.0' | '4.0' | '5.0';
  scm?: string;
  website?: string;
  licenses?: { name: string; url: string }[];
  minDcosReleaseVersion?: string;
  /** Base64 of `marathon.json.mustache`; a package without it is CLI-only. */
  marathon?: { v2AppMustacheTemplate: string };
  resource?: Record<string, unknown>;
  config?: JsonSchema;
  command?: Record<string, unknown>;
}

export interface Repository {
  name: string;
  uri: string;
}

/** `/package/search` response entry. */
export interface SearchResult {
  name: string;
  currentVersion: string;
  /** version -> releaseVersion (as a string, the way Cosmos sends it). */
  versions: Record<string, string>;
  description: string;
  framework: boolean;
  tags: string[];
  selected: boolean;
  images?: Record<string, unknown>;
}

export interface InstallRequest {
  packageName: string;
  packageVersion?: string;
  /** The user's options only; the manager merges the schema's defaults. */
  options?: Record<string, unknown>;
  appId?: string;
}

export interface InstallResponse {
  packageName: string;
  packageVersion: string;
  appId?: string;
  postInstallNotes?: string;
  cli?: Record<string, unknown>;
}

/** `/package/list` entry: an installed app and the package it came from. */
export interface InstalledPackage {
  appId: string;
  packageInformation: {
    packageDefinition: PackageMetadata;
    resourceDefinition?: Record<string, unknown>;
  };
}

export interface UninstallRequest {
  packageName: string;
  appId?: string;
  all?: boolean;
}

export interface UninstallResult {
  packageName: string;
  appId: string;
  packageVersion?: string;
  postUninstallNotes?: string;
}

/** Both managers implement this; commands never know which one they hold (except for notes in --verbose). */
export interface PackageManager {
  readonly kind: 'cosmos' | 'client';
  search(query?: string): Promise<SearchResult[]>;
  /** The full package definition (describe v3 `package`): highest releaseVersion unless `version` is given. */
  describe(packageName: string, packageVersion?: string): Promise<UniversePackage>;
  /** version -> releaseVersion */
  listVersions(packageName: string): Promise<Record<string, string>>;
  /** The Marathon app the install would POST (defaults merged, validated, template rendered, labels set). */
  render(request: InstallRequest): Promise<Record<string, unknown>>;
  install(request: InstallRequest): Promise<InstallResponse>;
  list(filter?: { packageName?: string; appId?: string }): Promise<InstalledPackage[]>;
  uninstall(request: UninstallRequest): Promise<UninstallResult[]>;
  repositories(): Promise<Repository[]>;
  /** Returns the whole list after the change, like Cosmos. `index` defaults to the end. */
  addRepository(repository: Repository, index?: number): Promise<Repository[]>;
  removeRepository(name: string): Promise<Repository[]>;
}

/** One problem with the options, by JSON pointer into the merged options (`/service/name`, or `/` for the root). */
export interface OptionProblem {
  path: string;
  message: string;
}
