import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { BIN, ROOT, tempDcosDir } from '../helpers/cli.js';

const HEAVY = ['undici', 'cli-table3', 'yaml', 'chalk', '@inquirer', 'dns-packet', 'smol-toml'];

/** Runs the built CLI and returns every module URL it resolved through ESM imports. */
function modulesResolved(args: string[], env: Record<string, string> = {}): string[] {
  const trace = join(mkdtempSync(join(tmpdir(), 'dcos-trace-')), 'imports.txt');
  const result = spawnSync(
    process.execPath,
    ['--import', join(ROOT, 'test/fixtures/trace-imports.mjs'), BIN, ...args],
    {
      env: { ...process.env, TRACE_IMPORTS_FILE: trace, DCOS_DIR: tempDcosDir(), NO_COLOR: '1', ...env },
      encoding: 'utf8',
    },
  );
  expect(result.status, result.stderr).toBe(0);
  try {
    return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * The node_modules files a run of the built CLI loaded: resolved directly, or bundled into the dist/ files it
 * loaded (the build lists each output's contents in dist/contents.json).
 */
function filesLoaded(args: string[], env: Record<string, string> = {}): string[] {
  const contents = JSON.parse(readFileSync(join(ROOT, 'dist', 'contents.json'), 'utf8')) as Record<
    string,
    string[]
  >;
  const distUrl = pathToFileURL(join(ROOT, 'dist')).href + '/';
  return modulesResolved(args, env).flatMap((url) => {
    if (url.startsWith(distUrl)) return contents[url.slice(distUrl.length)] ?? [];
    const inPackage = /node_modules\/(.+)$/.exec(url);
    return inPackage?.[1] ? [inPackage[1]] : [];
  });
}

/** The node_modules packages a run of the built CLI loaded. */
function packagesLoaded(args: string[]): Set<string> {
  const packages = new Set<string>();
  for (const file of filesLoaded(args)) {
    const match = /^((?:@[^/]+\/)?[^/]+)/.exec(file);
    if (match?.[1]) packages.add(match[1]);
  }
  return packages;
}

describe('startup stays light', () => {
  it('dcos --version loads no package at all (not even oclif)', () => {
    const loaded = packagesLoaded(['--version']);
    expect([...loaded]).toEqual([]);
  });

  it('a command that needs no HTTP, table or prompt loads none of the heavy libraries', () => {
    const loaded = packagesLoaded(['config', 'keys', '--json']);
    expect(loaded.has('@oclif/core')).toBe(true);
    for (const heavy of HEAVY)
      expect(
        [...loaded].some((name) => name.startsWith(heavy)),
        heavy,
      ).toBe(false);
  });

  it('the trace sees heavy libraries when a command does use them', () => {
    const loaded = packagesLoaded(['config', 'keys']);
    expect(loaded.has('cli-table3')).toBe(true);
  });

  it('networked commands load only the parts of undici they use, not its whole entry point', () => {
    const dir = tempDcosDir();
    mkdirSync(join(dir, 'clusters', 'c1'), { recursive: true });
    writeFileSync(join(dir, 'clusters', 'c1', 'dcos.toml'), '[core]\ndcos_url = "http://127.0.0.1:9"\n');
    const files = filesLoaded(['cluster', 'list', '--json'], { DCOS_DIR: dir });
    expect(files).toContain('undici/lib/dispatcher/agent.js');
    expect(files).not.toContain('undici/index.js');
    expect(files).not.toContain('undici/lib/web/fetch/index.js');
  });
});
