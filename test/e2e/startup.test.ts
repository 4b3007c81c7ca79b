import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BIN, ROOT, tempDcosDir } from '../helpers/cli.js';

const HEAVY = ['undici', 'cli-table3', 'yaml', 'chalk', '@inquirer', 'dns-packet', 'smol-toml'];

/** Runs the built CLI and returns the node_modules packages it loaded (ESM and CommonJS alike). */
function packagesLoaded(args: string[]): Set<string> {
  const trace = join(mkdtempSync(join(tmpdir(), 'dcos-trace-')), 'imports.txt');
  const result = spawnSync(
    process.execPath,
    ['--import', join(ROOT, 'test/fixtures/trace-imports.mjs'), BIN, ...args],
    {
      env: { ...process.env, TRACE_IMPORTS_FILE: trace, DCOS_DIR: tempDcosDir(), NO_COLOR: '1' },
      encoding: 'utf8',
    },
  );
  expect(result.status, result.stderr).toBe(0);
  let lines: string[] = [];
  try {
    lines = readFileSync(trace, 'utf8').split('\n');
  } catch {
    lines = [];
  }
  const packages = new Set<string>();
  for (const line of lines) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(line);
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
});
