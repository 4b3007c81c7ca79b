/**
 * Repositories written to hurt the reader: special files, symbolic links that loop or lead out of the
 * repository, files and downloads too big or too slow. Each one must fail fast, with one error naming the file
 * (and, through the manager, the repository), never hang, never read what it should not.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DcosError } from '../../../src/lib/errors.js';
import { HttpClient } from '../../../src/lib/http/client.js';
import { ClientPackageManager } from '../../../src/lib/packages/client-manager.js';
import { fileRepositoryStore } from '../../../src/lib/packages/repositories.js';
import {
  downloadWithClient,
  downloadWithFetch,
  MAX_REPOSITORY_FILE_BYTES,
} from '../../../src/lib/packages/repository-files.js';
import { loadUniverse } from '../../../src/lib/packages/universe.js';
import { rejectionOf } from '../../helpers/errors.js';
import { sourceRepository } from '../../helpers/universe.js';

const noFetch = () => Promise.reject(new Error('no network in this test'));
const SECRET = 'SECRET-CREDENTIALS-7f3a';

let dir: string;
let repo: string;
let version: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dcos-hostile-'));
  repo = join(dir, 'repo');
  version = join(repo, 'packages', 'H', 'hostile', '0');
  sourceRepository(repo, { hostile: {} });
  // Outside the repository, readable by whoever loads it.
  await writeFile(join(dir, 'credentials.json'), JSON.stringify({ [SECRET]: { default: SECRET } }));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads the repository, expecting one failure; checked to come quickly and never to carry the secret. */
async function refusal(uri = repo): Promise<DcosError> {
  const started = Date.now();
  const error = await rejectionOf(loadUniverse(uri, { fetchText: noFetch }), DcosError);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(SECRET);
  return error;
}

describe('a Universe source tree', () => {
  it('follows a symbolic link that stays inside the repository', async () => {
    await mkdir(join(repo, 'shared'));
    await writeFile(join(repo, 'shared', 'config.json'), '{"properties": {"cmd": {"default": "true"}}}');
    await symlink('../../../../shared/config.json', join(version, 'config.json'));
    const [pkg] = await loadUniverse(repo, { fetchText: noFetch });
    expect(pkg!.config).toEqual({ properties: { cmd: { default: 'true' } } });
  });

  it('refuses a file that is a symbolic link out of the repository, without reading it', async () => {
    await symlink(join(dir, 'credentials.json'), join(version, 'config.json'));
    const error = await refusal();
    expect(error.code).toBe('repository_unreadable');
    expect(error.message).toBe(`${join(version, 'config.json')} leads outside the repository`);
  });

  it('refuses a package directory that is a symbolic link out of the repository', async () => {
    await mkdir(join(dir, 'elsewhere', '0'), { recursive: true });
    await symlink(join(dir, 'elsewhere'), join(repo, 'packages', 'H', 'outside'));
    const error = await refusal();
    expect(error.message).toBe(`${join(repo, 'packages', 'H', 'outside')} leads outside the repository`);
  });

  it('refuses a link to /dev/zero (out of the repository, and a device) at once', async () => {
    await symlink('/dev/zero', join(version, 'config.json'));
    expect((await refusal()).message).toBe(`${join(version, 'config.json')} leads outside the repository`);
  });

  it('refuses a FIFO instead of waiting for a writer', async () => {
    execFileSync('mkfifo', [join(version, 'config.json')]);
    const error = await refusal();
    expect(error.code).toBe('repository_unreadable');
    expect(error.message).toBe(`${join(version, 'config.json')} is a FIFO, not a regular file`);
  });

  it('refuses symbolic link loops, by the file that loops', async () => {
    await symlink('config.json', join(version, 'config.json'));
    expect((await refusal()).message).toBe(
      `${join(version, 'config.json')} is a symbolic link loop (too many levels of symbolic links)`,
    );
    await rm(join(version, 'config.json'));
    await symlink('b', join(version, 'a'));
    await symlink('a', join(version, 'b'));
    await symlink('a', join(version, 'resource.json'));
    expect((await refusal()).message).toContain(`${join(version, 'resource.json')} is a symbolic link loop`);
  });

  it('refuses a file over the per-file limit by its size, before reading it', async () => {
    await writeFile(join(version, 'config.json'), '');
    // Sparse: the size is there, the bytes never are.
    await truncate(join(version, 'config.json'), MAX_REPOSITORY_FILE_BYTES + 1);
    const error = await refusal();
    expect(error.message).toBe(
      `${join(version, 'config.json')} is larger than the 4 MiB limit for a repository file`,
    );
  });

  it('refuses nesting deep enough to overflow the walks that follow', async () => {
    let config = '{}';
    for (let depth = 0; depth < 100; depth += 1) config = `{"properties": {"x": ${config}}}`;
    await writeFile(join(version, 'config.json'), config);
    expect((await refusal()).message).toContain('nests objects and arrays more than 64 levels deep');
  });
});

describe('a repository that is one index file', () => {
  it('refuses a link to /dev/zero: not a regular file', async () => {
    await symlink('/dev/zero', join(dir, 'zero.json'));
    const error = await refusal(join(dir, 'zero.json'));
    expect(error.message).toBe(`${join(dir, 'zero.json')} is a character device, not a regular file`);
  });

  it('refuses a FIFO and a link loop', async () => {
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    expect((await refusal(join(dir, 'fifo.json'))).message).toBe(
      `${join(dir, 'fifo.json')} is a FIFO, not a regular file`,
    );
    await symlink('loop.json', join(dir, 'loop.json'));
    expect((await refusal(join(dir, 'loop.json'))).message).toContain('is a symbolic link loop');
  });
});

describe('repository URIs', () => {
  it('refuses a file: URL that names no file here, as an unsupported URI', async () => {
    const error = await refusal('file://elsewhere.example/repo.json');
    expect(error.code).toBe('unsupported_repository_uri');
    expect(error.message).toMatch(/^unsupported repository URI file:\/\/elsewhere\.example\/repo\.json: /);
  });
});

describe('the client-side manager', () => {
  it('names the repository and the file, and adds no repository that fails to load', async () => {
    execFileSync('mkfifo', [join(version, 'config.json')]);
    const store = fileRepositoryStore(join(dir, 'package-repositories.json'));
    const manager = new ClientPackageManager({
      store,
      loadUniverse: (uri) => loadUniverse(uri, { fetchText: noFetch }),
    });
    const error = await rejectionOf(manager.addRepository({ name: 'hostile', uri: repo }), DcosError);
    expect(error.message).toBe(
      `repository hostile (${repo}): ${join(version, 'config.json')} is a FIFO, not a regular file`,
    );
    expect(await store.load()).toEqual([]);
  });
});

describe('downloads', () => {
  let server: Server;
  let base: string;
  const INDEX = JSON.stringify({ packages: [] });

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/index') {
        response.end(INDEX);
      } else if (request.url === '/announced') {
        response.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
        response.write('{');
      } else if (request.url === '/endless') {
        // Chunked and never ending; stopped by the client or at the end of the test.
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        const pump = () => {
          while (!response.destroyed && response.write(chunk));
        };
        response.on('drain', pump);
        pump();
      } else if (request.url === '/silent') {
        // Headers and nothing else, forever.
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const http = () => new HttpClient({ baseUrl: base, tries: 1 });
  const downloads = [
    [
      'fetch()',
      (url: string, maxBytes: number, timeoutMs?: number) =>
        downloadWithFetch(url, { maxBytes, ...(timeoutMs ? { timeoutMs } : {}) }),
    ],
    [
      'the CLI client',
      (url: string, maxBytes: number, timeoutMs?: number) =>
        downloadWithClient(http(), url, { maxBytes, ...(timeoutMs ? { timeoutMs } : {}) }),
    ],
  ] as const;

  for (const [name, download] of downloads) {
    it(`with ${name}: reads an index, and stops at the byte limit or the time limit`, async () => {
      expect(await download(`${base}/index`, 1024)).toBe(INDEX);
      const started = Date.now();
      const announced = await rejectionOf(download(`${base}/announced`, 1024 * 1024), DcosError);
      expect(announced.message).toBe(`Universe repository ${base}/announced is larger than the 1 MiB limit`);
      const endless = await rejectionOf(download(`${base}/endless`, 1024 * 1024), DcosError);
      expect(endless.message).toBe(`Universe repository ${base}/endless is larger than the 1 MiB limit`);
      const silent = await rejectionOf(download(`${base}/silent`, 1024 * 1024, 500), DcosError);
      expect(silent.code).toBe('repository_unavailable');
      expect(silent.message).toBe(
        `cannot fetch the Universe repository ${base}/silent: it took longer than 0.5 s`,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  }
});
