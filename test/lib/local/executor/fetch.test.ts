import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  FetchError,
  fetchUris,
  isLoopbackAddress,
  isLoopbackHost,
} from '../../../../src/lib/local/executor/fetch.js';
import { startServer } from '../../../helpers/servers.js';
import type { TestServer } from '../../../helpers/servers.js';
import { rejection } from '../../../helpers/http.js';
import { removeTempDirs, tempDir } from '../../config/helpers.js';

const servers: TestServer[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await removeTempDirs();
});

/** A directory with `app/run.sh` and `app/data.txt`, packed as app.tar.gz (and app.zip when zip exists). */
async function archives(): Promise<{ dir: string; tarGz: Buffer; zip?: Buffer }> {
  const dir = await tempDir('dcos-fetch-src-');
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app', 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  await writeFile(join(dir, 'app', 'data.txt'), 'payload\n');
  execFileSync('tar', ['-C', dir, '-czf', join(dir, 'app.tar.gz'), 'app']);
  let zip: Buffer | undefined;
  if (hasCommand('zip')) {
    execFileSync('zip', ['-q', '-r', join(dir, 'app.zip'), 'app'], { cwd: dir });
    zip = await readFile(join(dir, 'app.zip'));
  }
  return { dir, tarGz: await readFile(join(dir, 'app.tar.gz')), ...(zip ? { zip } : {}) };
}

function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, name)));
}

async function fileServer(files: Record<string, Buffer | string>): Promise<TestServer> {
  const routes: Record<string, Parameters<typeof startServer>[0][string]> = {};
  for (const [path, body] of Object.entries(files)) {
    routes[`GET ${path}`] = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(body);
    };
  }
  routes['GET /moved'] = () => ({ status: 302, headers: { location: '/files/plain.txt' } });
  routes['GET /away'] = () => ({ status: 302, headers: { location: 'http://192.0.2.1/evil.txt' } });
  const server = await startServer(routes);
  servers.push(server);
  return server;
}

describe('fetchUris: local files', () => {
  it('copies file: URIs and absolute paths, honouring destPath and executable', async () => {
    const src = await tempDir('dcos-fetch-src-');
    await writeFile(join(src, 'config.json'), '{"a":1}');
    await writeFile(join(src, 'tool'), '#!/bin/sh\n', { mode: 0o600 });
    const sandbox = await tempDir('dcos-sandbox-');

    await fetchUris(
      [
        { uri: `file://${join(src, 'config.json')}` },
        { uri: join(src, 'tool'), executable: true },
        { uri: join(src, 'config.json'), destPath: 'conf/renamed.json' },
      ],
      sandbox,
    );
    expect(await readFile(join(sandbox, 'config.json'), 'utf8')).toBe('{"a":1}');
    expect((await stat(join(sandbox, 'tool'))).mode & 0o777).toBe(0o755);
    expect(await readFile(join(sandbox, 'conf', 'renamed.json'), 'utf8')).toBe('{"a":1}');
  });

  it('extracts archives unless told not to, and never extracts executables', async () => {
    const { dir } = await archives();
    const sandbox = await tempDir('dcos-sandbox-');
    await fetchUris([{ uri: `file://${join(dir, 'app.tar.gz')}` }], sandbox);
    expect(await readFile(join(sandbox, 'app', 'data.txt'), 'utf8')).toBe('payload\n');
    expect((await stat(join(sandbox, 'app', 'run.sh'))).mode & 0o111).not.toBe(0);
    expect(existsSync(join(sandbox, 'app.tar.gz'))).toBe(true); // the archive stays, as with Mesos

    const plain = await tempDir('dcos-sandbox-');
    await fetchUris([{ uri: join(dir, 'app.tar.gz'), extract: false }], plain);
    await fetchUris([{ uri: join(dir, 'app.tar.gz'), executable: true, destPath: 'x.tar.gz' }], plain);
    expect(existsSync(join(plain, 'app.tar.gz'))).toBe(true);
    expect(existsSync(join(plain, 'x.tar.gz'))).toBe(true);
    expect(existsSync(join(plain, 'app'))).toBe(false);
  });

  it('decompresses a plain .gz next to itself, and not through a link', async () => {
    const src = await tempDir('dcos-fetch-src-');
    await writeFile(join(src, 'notes.txt.gz'), gzipSync('notes\n'));
    const sandbox = await tempDir('dcos-sandbox-');
    await fetchUris([{ uri: join(src, 'notes.txt.gz') }], sandbox);
    expect(await readFile(join(sandbox, 'notes.txt'), 'utf8')).toBe('notes\n');

    const outside = await tempDir('dcos-outside-');
    const linked = await tempDir('dcos-sandbox-');
    await symlink(join(outside, 'victim'), join(linked, 'notes.txt'));
    const error = (await rejection(fetchUris([{ uri: join(src, 'notes.txt.gz') }], linked))) as Error;
    expect(error.message).toContain("'notes.txt' in the sandbox is a symbolic link");
    expect(tree(outside)).toEqual([]);
  });

  it('extracts .zip with unzip', async (context) => {
    if (!hasCommand('zip') || !hasCommand('unzip')) context.skip();
    const { dir } = await archives();
    const sandbox = await tempDir('dcos-sandbox-');
    await fetchUris([{ uri: join(dir, 'app.zip') }], sandbox);
    expect(await readFile(join(sandbox, 'app', 'data.txt'), 'utf8')).toBe('payload\n');
  });

  it('names the URI in every error', async () => {
    const sandbox = await tempDir('dcos-sandbox-');
    const missing = (await rejection(fetchUris([{ uri: '/no/such/file.txt' }], sandbox))) as FetchError;
    expect(missing).toBeInstanceOf(FetchError);
    expect(missing.message).toBe("Failed to fetch '/no/such/file.txt': no such file: /no/such/file.txt");

    const cases: Array<[string, RegExp, string?]> = [
      ['relative/path.txt', /relative paths are not supported/],
      ['ftp://127.0.0.1/file', /unsupported scheme 'ftp'/],
      ['hdfs://namenode/file', /unsupported scheme 'hdfs'/],
      ['file://otherhost/etc/hosts', /not local/],
      ['/etc/hostname', /leaves the sandbox/, '../escape'],
      ['/etc/hostname', /must be relative/, '/etc/evil'],
    ];
    for (const [uri, pattern, destPath] of cases) {
      const error = (await rejection(
        fetchUris([{ uri, ...(destPath ? { destPath } : {}) }], sandbox),
      )) as Error;
      expect(error.message).toContain(`Failed to fetch '${uri}'`);
      expect(error.message).toMatch(pattern);
    }
  });

  it('fails clearly on a corrupt archive', async () => {
    const src = await tempDir('dcos-fetch-src-');
    await writeFile(join(src, 'bad.tgz'), 'not gzip at all');
    const sandbox = await tempDir('dcos-sandbox-');
    const error = (await rejection(fetchUris([{ uri: join(src, 'bad.tgz') }], sandbox))) as Error;
    expect(error.message).toMatch(/^Failed to fetch '.*bad\.tgz': extracting bad\.tgz with tar failed/);
  });
});

/** The names in `dir`, recursively, as `a`, `a/b`, ... (links are not followed). */
function tree(dir: string): string[] {
  return execFileSync('find', ['.', '-mindepth', '1'], { cwd: dir, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(2))
    .sort();
}

/**
 * A tar archive whose entries come from several directories in order (`tar -r` appends), so it can hold a link
 * and then a file "through" it, which no real directory tree can.
 */
async function tarOf(name: string, ...layers: Array<(dir: string) => Promise<string[]>>): Promise<string> {
  const out = join(await tempDir('dcos-fetch-evil-'), name);
  for (const [index, layer] of layers.entries()) {
    const dir = await tempDir('dcos-fetch-layer-');
    const entries = await layer(dir);
    execFileSync('tar', [index === 0 ? '-cf' : '-rf', out, '-C', dir, ...entries]);
  }
  return out;
}

describe('fetchUris: nothing is written outside the sandbox', () => {
  it('an archive with a link out and then a file through it fails, naming the link; nothing lands outside', async () => {
    const outside = await tempDir('dcos-outside-');
    for (const target of [outside, '../../../../../../..' + outside]) {
      const archive = await tarOf(
        'evil.tar',
        async (dir) => {
          await symlink(target, join(dir, 'link'));
          return ['link'];
        },
        async (dir) => {
          await mkdir(join(dir, 'link'));
          await writeFile(join(dir, 'link', 'pwned'), 'pwned\n');
          return ['link/pwned'];
        },
      );
      const sandbox = await tempDir('dcos-sandbox-');
      const error = (await rejection(fetchUris([{ uri: archive }], sandbox))) as Error;
      expect(error.message).toBe(
        `Failed to fetch '${archive}': evil.tar holds the symbolic link 'link' -> '${target}', which points outside the sandbox`,
      );
      expect(tree(outside)).toEqual([]);
      expect(tree(sandbox)).toEqual(['evil.tar']);
    }
  });

  it('the same in a zip archive', async (context) => {
    if (!hasCommand('zip') || !hasCommand('unzip')) context.skip();
    const outside = await tempDir('dcos-outside-');
    const first = await tempDir('dcos-fetch-layer-');
    const second = await tempDir('dcos-fetch-layer-');
    const archive = join(await tempDir('dcos-fetch-evil-'), 'evil.zip');
    await symlink(outside, join(first, 'link'));
    execFileSync('zip', ['-q', '-y', archive, 'link'], { cwd: first });
    await mkdir(join(second, 'link'));
    await writeFile(join(second, 'link', 'pwned'), 'pwned\n');
    execFileSync('zip', ['-q', archive, 'link/pwned'], { cwd: second });
    const sandbox = await tempDir('dcos-sandbox-');
    const error = (await rejection(fetchUris([{ uri: archive }], sandbox))) as Error;
    expect(error.message).toContain(`evil.zip holds the symbolic link 'link' -> '${outside}'`);
    expect(tree(outside)).toEqual([]);
    expect(tree(sandbox)).toEqual(['evil.zip']);
  });

  it('a link already in the sandbox: destPath through it, a file onto it and an archive into it all fail', async () => {
    const outside = await tempDir('dcos-outside-');
    await writeFile(join(outside, 'victim'), 'original\n');
    const src = await tempDir('dcos-fetch-src-');
    await writeFile(join(src, 'payload.txt'), 'payload\n');
    const archive = await tarOf('into.tar', async (dir) => {
      await mkdir(join(dir, 'd'));
      await writeFile(join(dir, 'd', 'pwned'), 'pwned\n');
      return ['d/pwned'];
    });
    const cases: Array<[{ uri: string; destPath?: string }, string]> = [
      [{ uri: join(src, 'payload.txt'), destPath: 'd/payload.txt' }, "'d' in the sandbox is a symbolic link"],
      [
        { uri: join(src, 'payload.txt'), destPath: 'victim-link' },
        "'victim-link' in the sandbox is a symbolic link",
      ],
      [{ uri: archive }, "'d' in the sandbox is a symbolic link"],
    ];
    for (const [item, reason] of cases) {
      const sandbox = await tempDir('dcos-sandbox-');
      await symlink(outside, join(sandbox, 'd'));
      await symlink(join(outside, 'victim'), join(sandbox, 'victim-link'));
      const error = (await rejection(fetchUris([item], sandbox))) as Error;
      expect(error.message).toBe(
        `Failed to fetch '${item.uri}': ${reason}; the fetcher never writes through symbolic links`,
      );
      expect(tree(outside)).toEqual(['victim']);
      expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('original\n');
    }
  });

  it('links that only lead out once in place, and special files, are refused too', async () => {
    const chained = await tarOf('chain.tar', async (dir) => {
      await symlink('.', join(dir, 'top'));
      await symlink('top/..', join(dir, 'esc'));
      return ['top', 'esc'];
    });
    const sandbox = await tempDir('dcos-sandbox-');
    const error = (await rejection(fetchUris([{ uri: chained }], sandbox))) as Error;
    expect(error.message).toBe(
      `Failed to fetch '${chained}': chain.tar holds the symbolic link 'esc', which leads outside the sandbox through other links`,
    );
    expect(existsSync(join(sandbox, 'esc'))).toBe(false);

    const fifo = await tarOf('fifo.tar', async (dir) => {
      execFileSync('mkfifo', [join(dir, 'pipe')]);
      return ['pipe'];
    });
    const other = await tempDir('dcos-sandbox-');
    const special = (await rejection(fetchUris([{ uri: fifo }], other))) as Error;
    expect(special.message).toContain(
      "fifo.tar holds 'pipe', a special file (device, FIFO or socket); only files, directories and symbolic links are extracted",
    );
    expect(tree(other)).toEqual(['fifo.tar']);
  });

  it('links inside the sandbox are kept, and archives merge into existing directories', async () => {
    const archive = await tarOf('app.tar', async (dir) => {
      await mkdir(join(dir, 'app-1.0', 'bin'), { recursive: true });
      await writeFile(join(dir, 'app-1.0', 'bin', 'run'), 'run\n');
      await symlink('app-1.0', join(dir, 'current'));
      await symlink('../app-1.0/bin/run', join(dir, 'app-1.0', 'run-link'));
      return ['app-1.0', 'current'];
    });
    const more = await tarOf('more.tar', async (dir) => {
      await mkdir(join(dir, 'app-1.0', 'conf'), { recursive: true });
      await writeFile(join(dir, 'app-1.0', 'conf', 'settings'), 'x=1\n');
      return ['app-1.0/conf/settings'];
    });
    const sandbox = await tempDir('dcos-sandbox-');
    await fetchUris([{ uri: archive }, { uri: more }], sandbox);
    expect(await readFile(join(sandbox, 'current', 'bin', 'run'), 'utf8')).toBe('run\n');
    expect(await readFile(join(sandbox, 'app-1.0', 'run-link'), 'utf8')).toBe('run\n');
    expect(tree(sandbox)).toEqual([
      'app-1.0',
      'app-1.0/bin',
      'app-1.0/bin/run',
      'app-1.0/conf',
      'app-1.0/conf/settings',
      'app-1.0/run-link',
      'app.tar',
      'current',
      'more.tar',
    ]);
  });
});

describe('fetchUris: HTTP', () => {
  it('downloads from loopback servers, follows redirects there, and extracts a .tar.gz', async () => {
    const { tarGz } = await archives();
    const server = await fileServer({ '/files/app.tar.gz': tarGz, '/files/plain.txt': 'hello\n' });
    const sandbox = await tempDir('dcos-sandbox-');
    const base = `http://127.0.0.1:${server.port}`;
    await fetchUris(
      [
        { uri: `${base}/files/app.tar.gz` },
        { uri: `http://localhost:${server.port}/files/plain.txt`, destPath: 'via-localhost.txt' },
        { uri: `${base}/moved`, destPath: 'redirected.txt' },
      ],
      sandbox,
    );
    expect(await readFile(join(sandbox, 'app', 'data.txt'), 'utf8')).toBe('payload\n');
    expect(await readFile(join(sandbox, 'via-localhost.txt'), 'utf8')).toBe('hello\n');
    expect(await readFile(join(sandbox, 'redirected.txt'), 'utf8')).toBe('hello\n');
    expect(server.requests.map((request) => request.path)).toEqual([
      '/files/app.tar.gz',
      '/files/plain.txt',
      '/moved',
      '/files/plain.txt',
    ]);
  });

  it('fails on HTTP errors, naming the URI', async () => {
    const server = await fileServer({});
    const sandbox = await tempDir('dcos-sandbox-');
    const uri = `http://127.0.0.1:${server.port}/missing.tgz`;
    const error = (await rejection(fetchUris([{ uri }], sandbox))) as Error;
    expect(error.message).toBe(`Failed to fetch '${uri}': HTTP 404 Not Found`);
  });

  it('refuses non-loopback hosts before any network activity', async () => {
    const get = vi.spyOn(http, 'get');
    const getTls = vi.spyOn(https, 'get');
    const sandbox = await tempDir('dcos-sandbox-');
    for (const uri of [
      'http://example.com/app.tgz',
      'https://downloads.mesosphere.com/x.tar.gz',
      'http://10.0.0.5:8080/file',
      'http://[2001:db8::1]/file',
      'http://127.0.0.1.example.com/file',
    ]) {
      const error = (await rejection(fetchUris([{ uri }], sandbox))) as Error;
      expect(error.message).toContain(`Failed to fetch '${uri}'`);
      expect(error.message).toContain('is not a loopback address');
    }
    // An allowHost that admits everything still cannot reach a non-loopback address literal.
    const error = (await rejection(
      fetchUris([{ uri: 'http://192.0.2.7/file' }], sandbox, { allowHost: () => true }),
    )) as Error;
    expect(error.message).toContain('is not a loopback address');
    expect(get).not.toHaveBeenCalled();
    expect(getTls).not.toHaveBeenCalled();
  });

  it('does not follow a redirect off the machine', async () => {
    const server = await fileServer({});
    const sandbox = await tempDir('dcos-sandbox-');
    const get = vi.spyOn(http, 'get');
    const uri = `http://127.0.0.1:${server.port}/away`;
    const error = (await rejection(fetchUris([{ uri }], sandbox))) as Error;
    expect(error.message).toBe(
      `Failed to fetch '${uri}': host '192.0.2.1' is not a loopback address; dcos local fetches only from this machine (127.0.0.0/8, ::1, localhost)`,
    );
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('knows loopback addresses and hosts', () => {
    for (const yes of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.9', '::ffff:7f00:1']) {
      expect(isLoopbackAddress(yes), yes).toBe(true);
    }
    for (const no of ['128.0.0.1', '10.0.0.1', '::2', '::ffff:10.0.0.1', '::ffff:a00:1', 'localhost', '']) {
      expect(isLoopbackAddress(no), no).toBe(false);
    }
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('LOCALHOST.')).toBe(true);
    expect(isLoopbackHost('agent.localhost')).toBe(true);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
  });
});
