import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** A fresh temp directory (removed by `removeTempDirs`). */
export async function tempDir(prefix = 'dcos-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A DCOS_DIR path inside a fresh temp directory; the DCOS_DIR itself does not exist yet. */
export async function tempDcosDir(): Promise<string> {
  return join(await tempDir('dcos-dir-'), 'dcos');
}

export async function removeTempDirs(): Promise<void> {
  const dirs = created.splice(0);
  // Restore write permission first, in case a test left a directory read-only.
  await Promise.all(dirs.map((dir) => chmod(dir, 0o700).catch(() => undefined)));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * Lays out `$DCOS_DIR/clusters/<id>/dcos.toml` (and the `attached` marker) with plain fs calls, the way the
 * DC/OS CLI would, so tests of ClusterStore's reading side do not depend on its writing side.
 */
export async function writeClusterFile(
  root: string,
  id: string,
  toml: string,
  options: { attached?: boolean } = {},
): Promise<string> {
  const dir = join(root, 'clusters', id);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'dcos.toml');
  await writeFile(file, toml);
  if (options.attached) await writeFile(join(dir, 'attached'), '');
  return file;
}

export function clusterToml(name: string, url: string, extra = ''): string {
  return `[cluster]\nname = "${name}"\n\n[core]\ndcos_url = "${url}"\n${extra}`;
}

export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Leftover `.dcos.toml.<hex>.tmp` files from writeFileAtomic. */
export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
}

export async function snapshot(path: string): Promise<{ bytes: Buffer; mtimeMs: number }> {
  return { bytes: await readFile(path), mtimeMs: (await stat(path)).mtimeMs };
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
