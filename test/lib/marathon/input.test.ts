import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { DcosError, UsageError } from '../../../src/lib/errors.js';
import { lineAndColumn, parseJson, readDefinition } from '../../../src/lib/marathon/input.js';
import { removeTempDirs, tempDir } from '../config/helpers.js';

afterEach(removeTempDirs);

const notTty = () => Object.assign(Readable.from([]), { isTTY: false });

async function fileWith(name: string, content: string | Buffer): Promise<{ dir: string; path: string }> {
  const dir = await tempDir('dcos-input-');
  const path = join(dir, name);
  await writeFile(path, content);
  return { dir, path };
}

async function failure(promise: Promise<unknown>): Promise<DcosError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DcosError);
    return error as DcosError;
  }
  throw new Error('expected a failure');
}

describe('readDefinition: sources', () => {
  it('reads a JSON file relative to cwd and names it as given', async () => {
    const { dir } = await fileWith('app.json', '{"id": "/x", "cmd": "sleep 1"}');
    const result = await readDefinition('app.json', { stdin: notTty(), cwd: dir });
    expect(result).toEqual({ value: { id: '/x', cmd: 'sleep 1' }, origin: 'app.json' });
  });

  it('reads stdin for "-" and for no source', async () => {
    for (const source of ['-', undefined]) {
      const stdin = Object.assign(Readable.from([Buffer.from('{"id":'), Buffer.from(' "/s"}')]), {
        isTTY: false,
      });
      expect(await readDefinition(source, { stdin })).toEqual({ value: { id: '/s' }, origin: 'stdin' });
    }
  });

  it('refuses to read from a terminal instead of hanging', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const error = await failure(readDefinition(undefined, { stdin }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      'refusing to read the application definition from a terminal; pass a file or pipe it: dcos marathon app add < app.json',
    );
    const group = await failure(
      readDefinition('-', { stdin, what: 'group', usage: 'dcos marathon group add < group.json' }),
    );
    expect(group.message).toMatch(/^refusing to read the group definition .*group add < group\.json$/);
  });

  it('reports a missing file as a usage error with the errno code', async () => {
    const dir = await tempDir('dcos-input-');
    const error = await failure(readDefinition('nope.json', { stdin: notTty(), cwd: dir }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe('cannot read nope.json: ENOENT');
    const directory = await failure(readDefinition(dir, { stdin: notTty() }));
    expect(directory.message).toBe(`cannot read ${dir}: EISDIR`);
  });

  it('fetches http(s) URLs and turns a non-2xx answer into an error', async () => {
    const fetched: string[] = [];
    const fetchUrl = async (url: string) => {
      fetched.push(url);
      return url.endsWith('missing.json')
        ? { status: 404, body: 'not found' }
        : { status: 200, body: 'id: /from-url\ninstances: 2\n' };
    };
    const ok = await readDefinition('https://example.test/app.yaml', { stdin: notTty(), fetchUrl });
    expect(ok).toEqual({ value: { id: '/from-url', instances: 2 }, origin: 'https://example.test/app.yaml' });
    const error = await failure(
      readDefinition('http://example.test/missing.json', { stdin: notTty(), fetchUrl }),
    );
    expect(error).not.toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe('cannot fetch http://example.test/missing.json: HTTP 404');
    expect(fetched).toEqual(['https://example.test/app.yaml', 'http://example.test/missing.json']);
    const thrown = await failure(
      readDefinition('http://example.test/x', {
        stdin: notTty(),
        fetchUrl: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:9');
        },
      }),
    );
    expect(thrown.message).toBe('cannot fetch http://example.test/x: connect ECONNREFUSED 127.0.0.1:9');
  });

  describe('with the default fetch against a loopback server', () => {
    let server: Server | undefined;
    afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

    it('GETs the URL', async () => {
      server = createServer((request, response) => {
        if (request.url === '/app.json') response.end('{"id": "/served"}');
        else response.writeHead(404).end();
      });
      await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await readDefinition(`${base}/app.json`, { stdin: notTty() })).value).toEqual({
        id: '/served',
      });
      const error = await failure(readDefinition(`${base}/other.json`, { stdin: notTty() }));
      expect(error.message).toBe(`cannot fetch ${base}/other.json: HTTP 404`);
    });
  });
});

describe('readDefinition: size limit', () => {
  it('refuses a 2 MiB file with the default 1 MiB limit', async () => {
    const big = `{"id": "/big", "cmd": "${'x'.repeat(2 * 1024 * 1024)}"}`;
    const { path } = await fileWith('big.json', big);
    const error = await failure(readDefinition(path, { stdin: notTty() }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`${path} is larger than the 1 MiB limit for a application definition`);
  });

  it('accepts exactly maxBytes and refuses one byte more', async () => {
    const { path } = await fileWith('edge.json', '{"a": 1}');
    expect((await readDefinition(path, { stdin: notTty(), maxBytes: 8 })).value).toEqual({ a: 1 });
    const error = await failure(readDefinition(path, { stdin: notTty(), maxBytes: 7, what: 'group' }));
    expect(error.message).toBe(`${path} is larger than the 7 bytes limit for a group definition`);
  });

  it('never reads an endless file to the end', async () => {
    const error = await failure(readDefinition('/dev/zero', { stdin: notTty(), maxBytes: 64 * 1024 }));
    expect(error.message).toMatch(/larger than the 64 KiB limit/);
  });

  it('stops reading an endless stdin', async () => {
    let produced = 0;
    async function* endless() {
      for (;;) {
        produced += 1;
        yield Buffer.alloc(16 * 1024, 0x20);
      }
    }
    const stdin = Object.assign(Readable.from(endless()), { isTTY: false });
    const error = await failure(readDefinition(undefined, { stdin, maxBytes: 100 * 1024 }));
    expect(error.message).toBe('stdin is larger than the 100 KiB limit for a application definition');
    expect(produced).toBeLessThan(20);
  });

  it('applies the limit to fetched bodies', async () => {
    const error = await failure(
      readDefinition('https://example.test/a.json', {
        stdin: notTty(),
        maxBytes: 10,
        fetchUrl: async () => ({ status: 200, body: '{"id": "/much-too-long"}' }),
      }),
    );
    expect(error.message).toMatch(/^https:\/\/example\.test\/a\.json is larger than the 10 bytes limit/);
  });
});

describe('readDefinition: formats', () => {
  it('parses YAML by extension and JSON-looking content as JSON', async () => {
    const yaml = await fileWith('app.yml', 'id: /y\ncmd: sleep 10\ncpus: 0.5\nlabels:\n  a: "1"\n');
    expect((await readDefinition(yaml.path, { stdin: notTty() })).value).toEqual({
      id: '/y',
      cmd: 'sleep 10',
      cpus: 0.5,
      labels: { a: '1' },
    });
    // No extension: decided by content.
    const sniffedYaml = await fileWith('app', 'id: /z\ninstances: 0\n');
    expect((await readDefinition(sniffedYaml.path, { stdin: notTty() })).value).toEqual({
      id: '/z',
      instances: 0,
    });
    const sniffedJson = await fileWith('app', '\n  [{"id": "/a"}]');
    expect((await readDefinition(sniffedJson.path, { stdin: notTty() })).value).toEqual([{ id: '/a' }]);
  });

  it('a .json file is parsed as JSON even when it looks like YAML', async () => {
    const { path } = await fileWith('app.json', 'id: /x\n');
    const error = await failure(readDefinition(path, { stdin: notTty() }));
    expect(error.message).toMatch(
      /^invalid JSON in .*app\.json at line 1, column 1: unexpected 'id'; expected a value$/,
    );
  });

  it('strips a byte-order mark', async () => {
    const { path } = await fileWith('bom.json', '\ufeff{"id": "/bom"}');
    expect((await readDefinition(path, { stdin: notTty() })).value).toEqual({ id: '/bom' });
  });

  it('refuses empty input and plain scalars', async () => {
    const empty = await fileWith('empty.json', '  \n\t\n');
    const error = await failure(readDefinition(empty.path, { stdin: notTty() }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`${empty.path} is empty; expected a JSON or YAML application definition`);
    const stdin = Object.assign(Readable.from(['just some words']), { isTTY: false });
    const scalar = await failure(readDefinition(undefined, { stdin }));
    expect(scalar.message).toBe(
      'stdin does not hold a JSON or YAML application definition (an object); found string',
    );
  });

  it('reports a YAML error with its line and column', async () => {
    const { dir } = await fileWith('app.yaml', 'id: /x\ncmd: sleep 1\n  cpus: 1\n');
    const error = await failure(readDefinition('app.yaml', { stdin: notTty(), cwd: dir }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^invalid YAML in app\.yaml at line 2, column 6: /);
    expect(error.details).toEqual({ line: 2, column: 6 });
  });

  it('rejects duplicate YAML keys with their position', async () => {
    const { dir } = await fileWith('app.yaml', 'id: /x\ncpus: 1\nmem: 32\ncpus: 2\n');
    const error = await failure(readDefinition('app.yaml', { stdin: notTty(), cwd: dir }));
    expect(error.message).toBe('invalid YAML in app.yaml at line 4, column 1: Map keys must be unique');
  });

  it('reports an unresolved YAML alias', async () => {
    const { dir } = await fileWith('app.yaml', 'id: /x\nlabels: *missing\n');
    const error = await failure(readDefinition('app.yaml', { stdin: notTty(), cwd: dir }));
    expect(error.message).toMatch(/^invalid YAML in app\.yaml/);
  });
});

describe('parseJson', () => {
  const at = (text: string) => {
    try {
      parseJson(text, 'app.json');
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error('expected a failure');
  };

  it('turns the error position into line and column', () => {
    expect(at('{\n  "id": "/x",\n  "cpus": ,\n  "mem": 32\n}')).toBe(
      "invalid JSON in app.json at line 3, column 11: unexpected ','; expected a value",
    );
    expect(at('{\n  "id": "/x"\n  "cpus": 1\n}')).toBe(
      "invalid JSON in app.json at line 3, column 3: unexpected '\"'; expected ',' or '}' after a property value",
    );
    expect(at('{\n  "id": "/x",\n}')).toBe(
      "invalid JSON in app.json at line 3, column 1: unexpected '}' after ','; JSON allows no trailing comma",
    );
    expect(at('[1, 2,\n]')).toBe(
      "invalid JSON in app.json at line 2, column 1: unexpected ']' after ','; JSON allows no trailing comma",
    );
    expect(at("{'id': 1}")).toBe(
      `invalid JSON in app.json at line 1, column 2: unexpected "'" (JSON strings need double quotes); expected a double-quoted property name`,
    );
    expect(at('{"id": "/x",\n  "cmd": "sleep\n1"}')).toBe(
      'invalid JSON in app.json at line 2, column 16: control character in string (write a line break as \\n)',
    );
    expect(at('{"id": "/x", "cmd": "sleep 1}')).toBe(
      'invalid JSON in app.json at line 1, column 21: unterminated string',
    );
    expect(at('{"id": "/x"')).toBe(
      "invalid JSON in app.json at line 1, column 12: unexpected end of input; expected ',' or '}' after a property value",
    );
    expect(at('{"a": 01}')).toBe("invalid JSON in app.json at line 1, column 7: invalid number '01'");
    expect(at('{"a": tru}')).toBe(
      "invalid JSON in app.json at line 1, column 7: unexpected 'tru'; expected a value",
    );
    expect(at('{"a": 1} // note')).toBe(
      "invalid JSON in app.json at line 1, column 10: unexpected '/' (JSON has no comments) after the end of the JSON document",
    );
    expect(at('{"a": "\\x"}')).toBe(
      "invalid JSON in app.json at line 1, column 8: invalid escape '\\x' in string",
    );
  });

  it('agrees with V8 wherever V8 reports a position', () => {
    const broken = [
      '{"a": 1,\n "b" 2}',
      '{"a": 1,\n\n   }',
      '[1,\n 2\n 3]',
      '{\n"a": [1, 2}',
      '{"x": {"y": [true, false, nul]}}',
      '{"a":1}\n\n x',
      '{"k": "v\\u12G4"}',
    ];
    let compared = 0;
    for (const text of broken) {
      let v8: string | undefined;
      try {
        JSON.parse(text);
      } catch (error) {
        v8 = (error as Error).message;
      }
      const position = /at position (\d+)/.exec(v8 ?? '');
      if (!position) continue;
      compared += 1;
      const { line, column } = lineAndColumn(text, Number(position[1]));
      expect(at(text), text).toContain(`at line ${line}, column ${column}:`);
    }
    expect(compared).toBeGreaterThanOrEqual(3);
  });

  it('rejects duplicate keys in one object, not across objects', () => {
    expect(at('{\n  "id": "/x",\n  "cpus": 1,\n  "cpus": 2\n}')).toBe(
      'invalid JSON in app.json at line 4, column 3: duplicate key "cpus"',
    );
    expect(at('{"env": {"A": "1", "\\u0041": "2"}}')).toMatch(/duplicate key "A"/);
    expect(parseJson('[{"a": 1}, {"a": 2, "b": {"a": 3}}]', 'x')).toEqual([{ a: 1 }, { a: 2, b: { a: 3 } }]);
  });

  it('parses valid JSON exactly like JSON.parse, however deep', () => {
    const text =
      '{"a": [1, -2.5e3, true, false, null, "s\\"\\n\\u00e9"], "b": {}, "c": [], "d": {"e": [{}]}}';
    expect(parseJson(text, 'x')).toEqual(JSON.parse(text));
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    expect(() => parseJson(deep, 'x')).not.toThrow();
  });

  it('computes 1-based lines and columns', () => {
    expect(lineAndColumn('abc', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd\nef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn('ab\ncd\nef', 6)).toEqual({ line: 3, column: 1 });
  });
});
