import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';

import { describe, expect, it, vi } from 'vitest';

import { DcosError, InterruptedError } from '../../../src/lib/errors.js';
import {
  askOptions,
  changedOptions,
  inquirerAsker,
  type ChoiceQuestion,
  type ConfirmQuestion,
  type NumberQuestion,
  type OptionAsker,
  type SecretQuestion,
  type TextQuestion,
} from '../../../src/lib/packages/prompt.js';
import type { JsonSchema } from '../../../src/lib/packages/types.js';
import { ROOT } from '../../helpers/cli.js';
import { rejectionOf } from '../../helpers/errors.js';

/** nginx 1.8.1's config defaults (its two optional settings without a default are absent). */
const NGINX_DEFAULTS = {
  nginx: {
    mem: 1024,
    instances: 1,
    minimumHealthCapacity: 0.5,
    bridge: false,
    role: '*',
    cpus: 1,
    name: 'nginx',
    maximumOverCapacity: 0.2,
  },
};

const FIXTURES = join(ROOT, 'test/fixtures/cosmos/prompt');

function fixture(name: string): JsonSchema {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.config.json`), 'utf8')) as JsonSchema;
}

/** Stands for the user pressing Enter without typing: the asker answers with the question's default. */
const ENTER = Symbol('enter');

type Question = TextQuestion | NumberQuestion | ConfirmQuestion | ChoiceQuestion<unknown> | SecretQuestion;

interface Asked {
  kind: keyof OptionAsker;
  path: string;
  question: Question;
}

/**
 * Answers from a script keyed by the dotted path each message starts with, the way a person would: an answer its
 * `validate` rejects is recorded and the next scripted one is tried; an unscripted question gets Enter.
 */
class ScriptedAsker implements OptionAsker {
  readonly asked: Asked[] = [];
  readonly rejected: { path: string; answer: unknown; message: string }[] = [];

  constructor(private readonly script: Record<string, readonly unknown[]> = {}) {}

  get paths(): string[] {
    return this.asked.map((entry) => entry.path);
  }

  question(path: string): Asked {
    const found = this.asked.find((entry) => entry.path === path);
    if (!found) throw new Error(`${path} was not asked; asked: ${this.paths.join(', ')}`);
    return found;
  }

  async text(question: TextQuestion): Promise<string> {
    return this.answer('text', question, () => question.default ?? '', question.validate);
  }

  async number(question: NumberQuestion): Promise<number | undefined> {
    return this.answer('number', question, () => question.default, question.validate);
  }

  async confirm(question: ConfirmQuestion): Promise<boolean> {
    return this.answer('confirm', question, () => question.default ?? false);
  }

  async choice<T>(question: ChoiceQuestion<T>): Promise<T> {
    const offered = (value: T): true | string =>
      question.choices.some((choice) => choice.value === value) || 'not one of the choices';
    return this.answer('choice', question as ChoiceQuestion<unknown>, () => question.default as T, offered);
  }

  async secret(question: SecretQuestion): Promise<string> {
    return this.answer('secret', question, () => '', question.validate);
  }

  private answer<T>(
    kind: keyof OptionAsker,
    question: Question,
    enter: () => T,
    validate?: (value: T) => true | string,
  ): T {
    const path = /^[^\s:(]+/.exec(question.message)?.[0] ?? '';
    this.asked.push({ kind, path, question });
    for (const scripted of this.script[path] ?? [ENTER]) {
      const value = scripted === ENTER ? enter() : (scripted as T);
      const verdict = validate ? validate(value) : true;
      if (verdict === true) return value;
      this.rejected.push({ path, answer: value, message: verdict });
    }
    throw new Error(`every scripted answer for ${path} was rejected`);
  }
}

describe('askOptions on real package schemas', () => {
  it('asks nginx settings in schema order with their defaults and returns the defaults on Enter', async () => {
    const asker = new ScriptedAsker();
    const options = await askOptions(fixture('nginx-1.8.1'), asker);

    expect(asker.paths).toEqual([
      'nginx.contentUrl',
      'nginx.mem',
      'nginx.contentDir',
      'nginx.instances',
      'nginx.minimumHealthCapacity',
      'nginx.bridge',
      'nginx.role',
      'nginx.cpus',
      'nginx.name',
      'nginx.maximumOverCapacity',
    ]);
    expect(asker.question('nginx.mem')).toMatchObject({ kind: 'number', question: { default: 1024 } });
    expect(asker.question('nginx.bridge')).toMatchObject({ kind: 'confirm', question: { default: false } });
    expect(asker.question('nginx.name')).toMatchObject({ kind: 'text', question: { default: 'nginx' } });
    expect(asker.question('nginx.instances').question.message).toBe(
      'nginx.instances (integer, ≥ 1): Number of instances to run.',
    );
    // The two optional settings without a default were skipped, so they are not in the options.
    expect(options).toEqual(NGINX_DEFAULTS);
  });

  it('walks cassandra three levels deep, by dotted path, keeping the nesting in the answers', async () => {
    const asker = new ScriptedAsker({
      'cassandra.dc.default-dc': ['EU1'],
      'cassandra.framework.authentication.enabled': [true],
      'cassandra.framework.authentication.principal': ['cassandra-principal'],
    });
    const options = await askOptions(fixture('cassandra-0.2.0-1'), asker);

    expect(asker.paths).toEqual([
      'mesos.master',
      'cassandra.node-count',
      'cassandra.dc.default-dc',
      'cassandra.dc.default-rack',
      'cassandra.dc.external-dcs',
      'cassandra.zk-timeout-ms',
      'cassandra.zk',
      'cassandra.cluster-name',
      'cassandra.health-check-interval-seconds',
      'cassandra.seed-count',
      'cassandra.bootstrap-grace-time-seconds',
      'cassandra.data-directory',
      'cassandra.resources.disk',
      'cassandra.resources.mem',
      'cassandra.resources.heap-mb',
      'cassandra.resources.cpus',
      'cassandra.framework.mem',
      'cassandra.framework.authentication.enabled',
      'cassandra.framework.authentication.principal',
      'cassandra.framework.authentication.secret',
      'cassandra.framework.instances',
      'cassandra.framework.failover-timeout-seconds',
      'cassandra.framework.cpus',
      'cassandra.framework.role',
    ]);
    expect(asker.question('mesos.master').question).toMatchObject({
      default: 'zk://master.mesos:2181/mesos',
    });
    expect(options).toEqual({
      mesos: { master: 'zk://master.mesos:2181/mesos' },
      cassandra: {
        'node-count': 3,
        dc: { 'default-dc': 'EU1', 'default-rack': 'RAC1' },
        'zk-timeout-ms': 10000,
        'cluster-name': 'dcos',
        'health-check-interval-seconds': 60,
        'seed-count': 2,
        'bootstrap-grace-time-seconds': 120,
        'data-directory': '.',
        resources: { disk: 16, mem: 768, cpus: 0.1 },
        framework: {
          mem: 512,
          authentication: { enabled: true, principal: 'cassandra-principal' },
          instances: 1,
          'failover-timeout-seconds': 604800,
          cpus: 0.5,
          role: '*',
        },
      },
    });
  });

  it('shows a long description by its first sentence, or cut at a word when that is long too', async () => {
    const asker = new ScriptedAsker();
    await askOptions(fixture('cassandra-0.2.0-1'), asker);

    expect(asker.question('cassandra.cluster-name').question.message).toBe(
      'cassandra.cluster-name: The name of the framework to register with mesos. Will also be used as the cluster name in Cassandra',
    );
    expect(asker.question('cassandra.bootstrap-grace-time-seconds').question.message).toBe(
      'cassandra.bootstrap-grace-time-seconds (integer, ≥ 15): The minimum number of seconds to wait between starting each node.',
    );
    expect(asker.question('cassandra.health-check-interval-seconds').question.message).toBe(
      'cassandra.health-check-interval-seconds (integer, ≥ 15): The interval in seconds that the framework should check the health of each Cassandra Server…',
    );
  });

  it('offers an enum as a choice of exactly its values, preselecting the default', async () => {
    const asker = new ScriptedAsker({ 'service.log_level': ['DEBUG'] });
    const options = await askOptions(fixture('hello-world-stub-universe'), asker);

    const logLevel = asker.question('service.log_level');
    expect(logLevel.kind).toBe('choice');
    const question = logLevel.question as ChoiceQuestion<unknown>;
    expect(question.choices.map((choice) => choice.value)).toEqual([
      'OFF',
      'FATAL',
      'ERROR',
      'WARN',
      'INFO',
      'DEBUG',
      'TRACE',
      'ALL',
    ]);
    expect(question.default).toBe('INFO');
    expect(options.service).toMatchObject({ log_level: 'DEBUG', yaml: 'svc' });
    // An empty string is a real enum value; it gets a visible name.
    const yaml = asker.question('service.yaml').question as ChoiceQuestion<unknown>;
    expect(yaml.choices.at(-1)).toEqual({ name: '(empty)', value: '' });
  });

  it('keeps settings whose package default is the empty string, and never masks a setting with a default', async () => {
    const asker = new ScriptedAsker();
    const options = await askOptions(fixture('hello-world-stub-universe'), asker);

    expect(asker.question('service.service_account_secret')).toMatchObject({
      kind: 'text',
      question: { default: '' },
    });
    expect(asker.question('hello.secret1').kind).toBe('text');
    expect(options.service).toMatchObject({ service_account: '', service_account_secret: '', region: '' });
  });
});

describe('askOptions validation', () => {
  it('rejects a fractional or too small integer and asks again', async () => {
    const asker = new ScriptedAsker({ 'nginx.instances': [1.5, 0, 3] });
    const options = await askOptions(fixture('nginx-1.8.1'), asker);

    expect(asker.rejected).toEqual([
      { path: 'nginx.instances', answer: 1.5, message: 'Must be a whole number' },
      { path: 'nginx.instances', answer: 0, message: 'Must be at least 1' },
    ]);
    expect(options.nginx).toMatchObject({ instances: 3 });
  });

  it('accepts fractions for a number but enforces its minimum', async () => {
    const asker = new ScriptedAsker({ 'nginx.mem': [100, 512.5] });
    const options = await askOptions(fixture('nginx-1.8.1'), asker);

    expect(asker.rejected).toEqual([{ path: 'nginx.mem', answer: 100, message: 'Must be at least 256' }]);
    expect(options.nginx).toMatchObject({ mem: 512.5 });
  });

  it('enforces exclusive bounds and maximum', async () => {
    const asker = new ScriptedAsker();
    const schema = {
      type: 'object',
      properties: { ratio: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1 } },
    };
    await askOptions(schema, asker);
    const { validate } = asker.question('ratio').question as NumberQuestion;

    expect(validate(0)).toBe('Must be greater than 0');
    expect(validate(1.01)).toBe('Must be at most 1');
    expect(validate(1)).toBe(true);
    expect(validate(undefined)).toBe(true);
  });

  it('does not accept an empty answer for a required string', async () => {
    const schema = {
      type: 'object',
      properties: {
        service: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      },
    };
    const asker = new ScriptedAsker({ 'service.name': [ENTER, 'hello'] });
    const options = await askOptions(schema, asker);

    expect(asker.rejected).toEqual([
      { path: 'service.name', answer: '', message: 'service.name is required' },
    ]);
    expect(options).toEqual({ service: { name: 'hello' } });
  });

  it('does not accept clearing the default of a required string', async () => {
    const asker = new ScriptedAsker({ 'nginx.name': ['', 'web'] });
    const options = await askOptions(fixture('nginx-1.8.1'), asker);

    expect(asker.rejected).toEqual([{ path: 'nginx.name', answer: '', message: 'nginx.name is required' }]);
    expect(options.nginx).toMatchObject({ name: 'web' });
  });

  it('does not accept an empty required number without a default', async () => {
    const schema = { type: 'object', properties: { port: { type: 'integer' } }, required: ['port'] };
    const asker = new ScriptedAsker({ port: [undefined, 8080] });

    expect(await askOptions(schema, asker)).toEqual({ port: 8080 });
    expect(asker.rejected).toEqual([{ path: 'port', answer: undefined, message: 'port is required' }]);
  });

  it('checks format and pattern with a message that says what is expected', async () => {
    const schema = {
      type: 'object',
      properties: {
        url: { type: 'string', format: 'uri' },
        host: { type: 'string', format: 'hostname' },
        address: { type: 'string', format: 'ipv4' },
        slug: { type: 'string', pattern: '^[a-z]+$' },
        code: { type: 'string', minLength: 3 },
      },
    };
    const asker = new ScriptedAsker({
      url: ['not a url', 'https://example.com/site.tgz'],
      host: ['bad_host!', 'node-1.example.com'],
      address: ['10.0.0.300', '10.0.0.3'],
      slug: ['ABC', 'abc'],
      code: ['ab', 'abc'],
    });
    const options = await askOptions(schema, asker);

    expect(asker.rejected.map(({ path, message }) => [path, message])).toEqual([
      ['url', 'Must be a URI such as https://example.com/path'],
      ['host', 'Must be a host name such as node-1.example.com'],
      ['address', 'Must be an IPv4 address such as 10.0.0.1'],
      ['slug', 'Must match the pattern ^[a-z]+$'],
      ['code', 'Must be at least 3 characters'],
    ]);
    expect(asker.question('url').question.message).toBe('url (uri)');
    expect(options).toEqual({
      url: 'https://example.com/site.tgz',
      host: 'node-1.example.com',
      address: '10.0.0.3',
      slug: 'abc',
      code: 'abc',
    });
  });

  it('checks a backtracking-prone pattern at once, and refuses one RE2 cannot match before asking', async () => {
    const schema = {
      type: 'object',
      properties: {
        service: { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } },
      },
    };
    const asker = new ScriptedAsker({ 'service.name': [`${'a'.repeat(30)}!`, 'aaa'] });
    const started = Date.now();
    expect(await askOptions(schema, asker)).toEqual({ service: { name: 'aaa' } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(asker.rejected.map(({ message }) => message)).toEqual(['Must match the pattern ^(a+)+$']);

    const lookahead = {
      type: 'object',
      properties: {
        service: { type: 'object', properties: { name: { type: 'string', pattern: '^(?!x)' } } },
      },
    };
    const refusing = new ScriptedAsker({});
    const error = await rejectionOf(askOptions(lookahead, refusing), DcosError);
    expect(error.message).toMatch(
      /^the package's config\.json pattern for service\.name: the pattern \^\(\?!x\) cannot be matched in linear time/,
    );
    expect(refusing.asked).toEqual([]);
  });
});

describe('askOptions question kinds', () => {
  it('asks a boolean with a default as yes/no, and one without as a choice that can stay unset', async () => {
    const schema = {
      type: 'object',
      properties: {
        debug: { type: 'boolean', default: false },
        verbose: { type: 'boolean' },
        tls: { type: 'boolean' },
      },
      required: ['tls'],
    };
    const asker = new ScriptedAsker({ debug: [true], tls: [false] });
    const options = await askOptions(schema, asker);

    expect(asker.question('debug')).toMatchObject({ kind: 'confirm', question: { default: false } });
    const verbose = asker.question('verbose').question as ChoiceQuestion<unknown>;
    expect(verbose.choices.map((choice) => choice.name)).toEqual(['(leave unset)', 'yes', 'no']);
    const tls = asker.question('tls').question as ChoiceQuestion<unknown>;
    expect(tls.choices.map((choice) => choice.value)).toEqual([true, false]);
    expect(options).toEqual({ debug: true, tls: false });
  });

  it('parses a list of strings from commas or from a JSON array, and shows a default list with commas', async () => {
    const schema = {
      type: 'object',
      properties: {
        hosts: { type: 'array', items: { type: 'string' } },
        tags: { type: 'array', items: { type: 'string' } },
        zones: { type: 'array', items: { type: 'string' }, default: ['a', 'b'] },
      },
    };
    const asker = new ScriptedAsker({
      hosts: [' a.example , b.example,, c.example '],
      tags: ['["x,y", "z"]'],
    });
    const options = await askOptions(schema, asker);

    expect(asker.question('hosts').question.message).toBe('hosts (comma-separated, or a JSON array)');
    expect(asker.question('zones').question).toMatchObject({ default: 'a, b' });
    expect(options).toEqual({
      hosts: ['a.example', 'b.example', 'c.example'],
      tags: ['x,y', 'z'],
      zones: ['a', 'b'],
    });
  });

  it('parses a list of integers and rejects an item that is not one', async () => {
    const schema = { type: 'object', properties: { ports: { type: 'array', items: { type: 'integer' } } } };
    const asker = new ScriptedAsker({ ports: ['80, http', '80, 1.5', '[80, "443"]', '80, 443'] });
    const options = await askOptions(schema, asker);

    expect(asker.rejected.map((entry) => entry.message)).toEqual([
      '"http" is not a whole number',
      '"1.5" is not a whole number',
      '"443" is not a whole number',
    ]);
    expect(options).toEqual({ ports: [80, 443] });
  });

  it('asks for an array of objects as JSON', async () => {
    const entry = { name: 'dc2', url: 'http://dc2.example/v1/seeds' };
    const asker = new ScriptedAsker({
      'cassandra.dc.external-dcs': ['{"name": "dc2"}', '[{"name": ', JSON.stringify([entry])],
    });
    const options = await askOptions(fixture('cassandra-0.2.0-1'), asker);

    expect(asker.question('cassandra.dc.external-dcs').question.message).toBe(
      'cassandra.dc.external-dcs (JSON array): Name and URL for another instance of Cassandra DCOS Service',
    );
    expect(asker.rejected.map((rejection) => rejection.message)).toEqual([
      'Must be a JSON array',
      'Not valid JSON: write a JSON array',
    ]);
    expect(options).toMatchObject({ cassandra: { dc: { 'external-dcs': [entry] } } });
  });

  it('masks settings named like secrets that have no default, judging by the last word of the name', async () => {
    const schema = {
      type: 'object',
      properties: {
        api_key: { type: 'string' },
        dbPassword: { type: 'string' },
        access_token: { type: 'string' },
        key_cache_save_period: { type: 'string' },
        num_tokens: { type: 'string' },
        secret_name: { type: 'string' },
      },
    };
    const asker = new ScriptedAsker({ dbPassword: ['s3cret'] });
    const options = await askOptions(schema, asker);

    expect(asker.asked.map((entry) => [entry.path, entry.kind])).toEqual([
      ['api_key', 'secret'],
      ['dbPassword', 'secret'],
      ['access_token', 'secret'],
      ['key_cache_save_period', 'text'],
      ['num_tokens', 'text'],
      ['secret_name', 'text'],
    ]);
    expect(options).toEqual({ dbPassword: 's3cret' });
  });

  it('masks the Mesos secret of cassandra and keeps a secret given in initial when left empty', async () => {
    const asker = new ScriptedAsker();
    const initial = { cassandra: { framework: { authentication: { secret: '/run/secret' } } } };
    const options = await askOptions(fixture('cassandra-0.2.0-1'), asker, { initial });

    const secret = asker.question('cassandra.framework.authentication.secret');
    expect(secret.kind).toBe('secret');
    expect(secret.question.message).toContain('(empty keeps the current value)');
    expect(options).toMatchObject(initial);
  });

  it('leaves out skipped optional settings, and an optional section where everything was skipped', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        size: { type: 'integer' },
        mode: { type: 'string', enum: ['fast', 'safe'] },
        env: { type: 'object' },
        extras: { type: 'object', properties: { label: { type: 'string' } } },
        service: { type: 'object', properties: { label: { type: 'string' } } },
      },
      required: ['service'],
    };
    const asker = new ScriptedAsker();
    const options = await askOptions(schema, asker);

    expect(asker.paths).toEqual(['name', 'size', 'mode', 'env', 'extras.label', 'service.label']);
    const mode = asker.question('mode').question as ChoiceQuestion<unknown>;
    expect(mode.choices.map((choice) => choice.name)).toEqual(['(leave unset)', 'fast', 'safe']);
    expect(asker.question('env').question.message).toBe('env (JSON object)');
    // `service` is required, so it stays even though it is empty.
    expect(options).toEqual({ service: {} });
  });

  it('infers the kind of an untyped setting from its default, and reads a nullable type as its other type', async () => {
    const schema = {
      type: 'object',
      properties: {
        port: { default: 8080 },
        enabled: { default: true },
        label: { type: ['null', 'string'] },
      },
    };
    const asker = new ScriptedAsker({ port: [0.5], label: ['web'] });
    const options = await askOptions(schema, asker);

    expect(asker.asked.map((entry) => [entry.path, entry.kind])).toEqual([
      ['port', 'number'],
      ['enabled', 'confirm'],
      ['label', 'text'],
    ]);
    // Nothing declared it an integer, so a fraction is accepted.
    expect(options).toEqual({ port: 0.5, enabled: true, label: 'web' });
  });

  it('offers values from initial instead of the defaults, and keeps initial keys the schema does not know', async () => {
    const asker = new ScriptedAsker();
    const initial = { nginx: { name: 'web', instances: 3, bridge: true }, marathon: { extra: 1 } };
    const options = await askOptions(fixture('nginx-1.8.1'), asker, { initial });

    expect(asker.question('nginx.name').question).toMatchObject({ default: 'web' });
    expect(asker.question('nginx.instances').question).toMatchObject({ default: 3 });
    expect(asker.question('nginx.bridge').question).toMatchObject({ default: true });
    expect(asker.question('nginx.role').question).toMatchObject({ default: '*' });
    expect(options).toMatchObject({
      nginx: { name: 'web', instances: 3, bridge: true, role: '*' },
      marathon: { extra: 1 },
    });
  });

  it('preselects an enum value from initial', async () => {
    const asker = new ScriptedAsker();
    const options = await askOptions(fixture('hello-world-stub-universe'), asker, {
      initial: { service: { log_level: 'WARN' } },
    });

    expect((asker.question('service.log_level').question as ChoiceQuestion<unknown>).default).toBe('WARN');
    expect(options.service).toMatchObject({ log_level: 'WARN' });
  });
});

describe('changedOptions', () => {
  it('keeps only the answers that differ from the defaults, deeply', () => {
    const defaults = {
      service: { name: 'hello', cpus: 0.1, placement: [['hostname', 'UNIQUE']], debug: false },
      hello: { count: 1 },
    };
    const answers = {
      service: { name: 'hello', cpus: 0.5, placement: [['hostname', 'UNIQUE']], debug: false, token: 'abc' },
      hello: { count: 1 },
      extra: { nested: { value: 1 } },
    };

    expect(changedOptions(defaults, answers)).toEqual({
      service: { cpus: 0.5, token: 'abc' },
      extra: { nested: { value: 1 } },
    });
  });

  it('keeps a changed list whole and drops an unchanged one', () => {
    expect(changedOptions({ tags: ['a', 'b'], ports: [80] }, { tags: ['a', 'c'], ports: [80] })).toEqual({
      tags: ['a', 'c'],
    });
  });

  it('is empty when every answer is a default', async () => {
    const asker = new ScriptedAsker();
    const answers = await askOptions(fixture('nginx-1.8.1'), asker);
    const defaults = NGINX_DEFAULTS;

    expect(changedOptions(defaults, answers)).toEqual({});
  });
});

describe('inquirerAsker', () => {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Drives the real prompts through a stream, the way a terminal would; one per question, as inquirer ends it. */
  async function terminal(): Promise<{
    asker: OptionAsker;
    type: (keys: string) => Promise<void>;
    shown: () => string;
  }> {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const asker = await inquirerAsker({ input, output });
    const type = async (keys: string) => {
      await pause(20);
      input.write(keys);
      await pause(20);
    };
    return { asker, type, shown: () => shown };
  }

  it('returns the default when the user just presses Enter', async () => {
    const { asker, type } = await terminal();
    const name = asker.text({ message: 'service.name', default: 'hello' });
    await type('\r');
    expect(await name).toBe('hello');
  });

  it('keeps asking for a number until validate accepts, showing its message', async () => {
    const { asker, type, shown } = await terminal();
    const count = asker.number({
      message: 'service.count',
      validate: (value) => (value !== undefined && Number.isInteger(value)) || 'Must be a whole number',
    });
    await type('1.5\r');
    await vi.waitFor(() => expect(shown()).toContain('Must be a whole number'));
    await type('\x7f\x7f\x7f2\r');
    expect(await count).toBe(2);
  });

  it('returns the value of the chosen choice, and yes/no as a boolean', async () => {
    const choosing = await terminal();
    const mode = choosing.asker.choice({
      message: 'service.mode',
      choices: [
        { name: 'a', value: 'a' },
        { name: 'b', value: 'b' },
      ],
    });
    await choosing.type('\x1b[B\r');
    expect(await mode).toBe('b');

    const confirming = await terminal();
    const debug = confirming.asker.confirm({ message: 'service.debug', default: false });
    await confirming.type('y\r');
    expect(await debug).toBe(true);
  });

  it('turns Ctrl-C into InterruptedError (exit 130)', async () => {
    const { asker, type } = await terminal();

    const secret = asker.secret({ message: 'service.token' });
    const settled = secret.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    await type('\x03');
    const error = await settled;
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error).toMatchObject({ exitCode: 130 });
  });
});

describe('loading', () => {
  it('importing the module loads no package; inquirer loads only when inquirerAsker() is called', () => {
    const trace = join(mkdtempSync(join(tmpdir(), 'dcos-trace-')), 'imports.txt');
    const moduleUrl = pathToFileURL(join(ROOT, 'src/lib/packages/prompt.ts')).href;
    const script = [
      "import { appendFileSync } from 'node:fs';",
      `const prompt = await import(${JSON.stringify(moduleUrl)});`,
      "appendFileSync(process.env.TRACE_IMPORTS_FILE, 'IMPORTED\\n');",
      'await prompt.inquirerAsker();',
    ].join('\n');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        join(ROOT, 'test/fixtures/trace-imports.mjs'),
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: ROOT, env: { ...process.env, TRACE_IMPORTS_FILE: trace }, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(0);

    const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    const start = lines.indexOf(moduleUrl);
    const imported = lines.indexOf('IMPORTED');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(imported).toBeGreaterThan(start);
    expect(lines.slice(start, imported).filter((url) => url.includes('/node_modules/'))).toEqual([]);
    expect(lines.slice(imported).some((url) => url.includes('/node_modules/@inquirer/prompts/'))).toBe(true);
  });
});
