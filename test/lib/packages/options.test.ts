import { describe, expect, it } from 'vitest';

import { DcosError, UsageError } from '../../../src/lib/errors.js';
import { CosmosError } from '../../../src/lib/packages/errors.js';
import {
  mergeOptions,
  resolveOptions,
  schemaDefaults,
  validateOptions,
} from '../../../src/lib/packages/options.js';
import type { JsonSchema, UniversePackage } from '../../../src/lib/packages/types.js';
import { parseUniverse } from '../../../src/lib/packages/universe.js';
import { thrownBy } from '../../helpers/errors.js';
import { fixtureJson, helloworldPackage, stubPackage, v3Packages } from './fixtures.js';

const nginx = () => v3Packages()[0]!;
const cassandra = () => v3Packages().find((pkg) => pkg.name === 'cassandra' && pkg.releaseVersion === 7)!;
const helloWorldV5 = (): UniversePackage =>
  parseUniverse(fixtureJson('package-with-custom-manager.json'), 'custom-manager')[0]!;

describe('schemaDefaults', () => {
  it('takes each default, nesting objects that have none', () => {
    expect(schemaDefaults(fixtureJson<JsonSchema>('helloworld/config.json'))).toEqual({ port: 8080 });
    expect(schemaDefaults(fixtureJson<JsonSchema>('package/universe-time-server-0/config.json'))).toEqual({
      service: { name: 'time-server', cpus: 0.1, mem: 256 },
    });
    expect(schemaDefaults(nginx().config!)).toEqual({
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
    });
  });

  it('walks nested objects without defaults: cassandra has objects two levels deep', () => {
    const defaults = schemaDefaults(cassandra().config!) as Record<string, Record<string, unknown>>;
    expect(Object.keys(defaults).sort()).toEqual(['cassandra', 'executor', 'nodes', 'service', 'task']);
    expect(defaults.nodes!.heap).toEqual({ size: 2048, new: 100 });
    expect(defaults.service!.name).toBe('cassandra');
  });

  it('keeps array and empty-string defaults as they are, and copies them', () => {
    const schema = fixtureJson<JsonSchema>('package/universe-marathon-lb-45/config.json');
    const defaults = schemaDefaults(schema) as { 'marathon-lb': Record<string, unknown> };
    expect(defaults['marathon-lb'].parameters).toEqual([]);
    (defaults['marathon-lb'].parameters as unknown[]).push('changed');
    const properties = (
      schema.properties as Record<string, { properties: Record<string, { default?: unknown }> }>
    )['marathon-lb']!.properties;
    expect(properties.parameters!.default).toEqual([]);
    expect(
      (schemaDefaults(helloWorldV5().config!) as { service: Record<string, unknown> }).service,
    ).toMatchObject({
      service_account: '',
      log_level: 'INFO',
    });
  });

  it('refuses an object without properties, and skips free-form maps', () => {
    const error = thrownBy(
      () => schemaDefaults({ type: 'object', properties: { service: { type: 'object' } } }),
      DcosError,
    );
    expect(error.code).toBe('invalid_package_config');
    expect(error.message).toContain("missing the required 'properties' feature at /service");
    expect(() => schemaDefaults({ type: 'object' })).toThrow(/at \//);
    const maps = {
      type: 'object',
      properties: { labels: { type: 'object', additionalProperties: { type: 'string' } }, free: {} },
    };
    expect(schemaDefaults(maps)).toEqual({});
  });
});

describe('mergeOptions', () => {
  it('merges objects recursively and replaces everything else, leaving the inputs alone', () => {
    const base = { service: { name: 'a', cpus: 1, tags: ['x'] }, port: 80 };
    const override = { service: { cpus: 2, tags: ['y', 'z'], extra: { deep: true } }, port: null };
    const merged = mergeOptions(base, override);
    expect(merged).toEqual({
      service: { name: 'a', cpus: 2, tags: ['y', 'z'], extra: { deep: true } },
      port: null,
    });
    expect(base).toEqual({ service: { name: 'a', cpus: 1, tags: ['x'] }, port: 80 });
    (merged.service as { extra: { deep: boolean } }).extra.deep = false;
    expect(override.service.extra.deep).toBe(true);
  });

  it('replaces an object by a scalar and a scalar by an object', () => {
    expect(mergeOptions({ a: { b: 1 }, c: 1 }, { a: 'flat', c: { d: 2 } })).toEqual({
      a: 'flat',
      c: { d: 2 },
    });
  });
});

describe('validateOptions', () => {
  const schema = nginx().config!;

  it('accepts the defaults and returns no problems', () => {
    expect(validateOptions(schema, schemaDefaults(schema))).toEqual([]);
  });

  it('names each wrong field by JSON pointer with a readable reason', () => {
    const options = mergeOptions(schemaDefaults(schema), {
      nginx: { instances: 1.5, cpus: 0.5, name: 7, mem: 'lots' },
    });
    expect(validateOptions(schema, options)).toEqual([
      { path: '/nginx/cpus', message: 'must be >= 1' },
      { path: '/nginx/instances', message: 'must be integer' },
      { path: '/nginx/mem', message: 'must be number' },
      { path: '/nginx/name', message: 'must be string' },
    ]);
  });

  it('reports missing required fields and unknown fields at their own path', () => {
    expect(validateOptions(schema, { nginx: { cpus: 1, mem: 512, instances: 1 } })).toEqual([
      { path: '/nginx/name', message: 'is required' },
    ]);
    const helloworld = helloworldPackage().config!;
    expect(validateOptions(helloworld, { port: 80, colour: 'red', 'a/b': 1 })).toEqual([
      { path: '/a~1b', message: 'is not allowed' },
      { path: '/colour', message: 'is not allowed' },
    ]);
    const nested = cassandra().config!;
    const problems = validateOptions(nested, mergeOptions(schemaDefaults(nested), { task: { gpus: 1 } }));
    expect(problems).toEqual([{ path: '/task/gpus', message: 'is not allowed' }]);
  });

  it('lists the allowed values of an enum', () => {
    const config = helloWorldV5().config!;
    const options = mergeOptions(schemaDefaults(config), { service: { log_level: 'LOUD' } });
    expect(validateOptions(config, options)).toEqual([
      {
        path: '/service/log_level',
        message: 'must be one of: OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE, ALL',
      },
    ]);
  });

  it('uses / for the root and joins multiple types', () => {
    expect(validateOptions(schema, [])).toEqual([{ path: '/', message: 'must be object' }]);
    expect(validateOptions({ properties: { x: { type: ['string', 'null'] } } }, { x: 1 })).toEqual([
      { path: '/x', message: 'must be string or null' },
    ]);
  });

  it('compiles schemas whose ids repeat (cassandra gives two properties the same id)', () => {
    const config = cassandra().config!;
    expect(JSON.stringify(config).match(/executor\/mem"/g)?.length).toBeGreaterThan(1);
    expect(validateOptions(config, mergeOptions(schemaDefaults(config), { task: { mem: 'x' } }))).toEqual([
      { path: '/task/mem', message: 'must be integer' },
    ]);
  });
});

describe('resolveOptions', () => {
  it('merges the user options over the defaults', () => {
    expect(resolveOptions(helloworldPackage(), { name: 'hallo' })).toEqual({ name: 'hallo', port: 8080 });
    expect(resolveOptions(nginx(), { nginx: { bridge: true } })).toMatchObject({
      nginx: { bridge: true, name: 'nginx', cpus: 1 },
    });
  });

  it('refuses options that break the schema with every problem, as a usage error', () => {
    const error = thrownBy(
      () => resolveOptions(helloworldPackage(), { port: 'eighty', name: 3 }),
      UsageError,
    );
    expect(error.code).toBe('invalid_options');
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      'options for helloworld are invalid: /name: must be string; /port: must be integer',
    );
    expect(error.details).toEqual({
      errors: [
        { path: '/name', message: 'must be string' },
        { path: '/port', message: 'must be integer' },
      ],
    });
  });

  it('refuses options for a package without a schema, and accepts none', () => {
    const plain = stubPackage({ name: 'plain' });
    expect(resolveOptions(plain)).toEqual({});
    const error = thrownBy(() => resolveOptions(plain, { a: 1 }), CosmosError);
    expect(error.type).toBe('OptionsNotAllowed');
  });

  it('does not check an empty result, as Cosmos does not', () => {
    const strict = stubPackage({
      name: 'strict',
      config: { type: 'object', properties: { token: { type: 'string' } }, required: ['token'] },
    });
    expect(resolveOptions(strict)).toEqual({});
    expect(() => resolveOptions(strict, { other: 1 })).toThrow(/\/token: is required/);
  });

  it('names the package when its schema is unusable', () => {
    const broken = stubPackage({
      name: 'broken',
      version: '2.1',
      config: { properties: { x: { type: 'object' } } },
    });
    expect(thrownBy(() => resolveOptions(broken), DcosError).message).toMatch(
      /^broken 2\.1: the package's config/,
    );
  });
});

describe('options schema patterns', () => {
  const redos = (value: string, pattern = '^(a+)+$') =>
    stubPackage({
      name: 'redos',
      config: {
        type: 'object',
        properties: {
          service: { type: 'object', properties: { name: { type: 'string', pattern, default: value } } },
        },
      },
    });

  it("checks ^(a+)+$ against the package's own 31-character default at once, naming the field", () => {
    const started = Date.now();
    const error = thrownBy(() => resolveOptions(redos(`${'a'.repeat(30)}!`)), UsageError);
    expect(error.message).toBe('options for redos are invalid: /service/name: must match pattern "^(a+)+$"');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(resolveOptions(redos('aaaa'))).toEqual({ service: { name: 'aaaa' } });
  });

  it('refuses a pattern RE2 cannot match in linear time, naming the package and the field (exit 1)', () => {
    const error = thrownBy(() => resolveOptions(redos('ab', '^(?=a)\\w+$')), DcosError);
    expect(error).not.toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(1);
    expect(error.code).toBe('invalid_package_config');
    expect(error.message).toMatch(
      /^redos 1\.0\.0: the package's config\.json pattern for \/service\/name: the pattern \^\(\?=a\)\\w\+\$ cannot be matched in linear time/,
    );
  });

  it('matches patternProperties keys with RE2 too, and names the map they check', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        env: {
          type: 'object',
          patternProperties: { '^(x+x+)+y$': { type: 'string' } },
          additionalProperties: false,
        },
      },
    };
    const started = Date.now();
    expect(validateOptions(schema, { env: { [`${'x'.repeat(40)}`]: 'v' } })).toEqual([
      { path: `/env/${'x'.repeat(40)}`, message: 'is not allowed' },
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    const refused: JsonSchema = {
      type: 'object',
      properties: { env: { type: 'object', patternProperties: { '(a)\\1': { type: 'string' } } } },
    };
    expect(thrownBy(() => validateOptions(refused, { env: {} }), DcosError).message).toContain(
      "the package's config.json pattern for /env/*: the pattern (a)\\1 cannot be matched",
    );
  });
});

describe('what checking options may cost', () => {
  /** Definitions d1..dN, each anyOf the one before twice: 2^N checks of one value if followed naively. */
  function doubling(levels: number): JsonSchema {
    const definitions: Record<string, unknown> = { d0: { type: 'string', minLength: 1 } };
    for (let level = 1; level <= levels; level += 1) {
      const before = { $ref: `#/definitions/d${level - 1}` };
      definitions[`d${level}`] = { anyOf: [before, before] };
    }
    return { type: 'object', definitions, properties: { x: { $ref: `#/definitions/d${levels}` } } };
  }

  it('refuses a schema whose $refs multiply the checks, before Ajv runs them', () => {
    expect(validateOptions(doubling(8), { x: 'ok' })).toEqual([]);
    const started = Date.now();
    const error = thrownBy(
      () => resolveOptions(stubPackage({ name: 'doubling', config: doubling(30) }), { x: '' }),
      DcosError,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      "doubling 1.0.0: the package's config.json is too complex to check options against: its subschemas, " +
        'each $ref counted where it is used, number more than 100000',
    );
  });

  it('still checks recursive schemas, and the real packages', () => {
    const tree: JsonSchema = {
      type: 'object',
      properties: { node: { $ref: '#/definitions/node' } },
      definitions: {
        node: {
          type: 'object',
          properties: { children: { type: 'array', items: { $ref: '#/definitions/node' } } },
        },
      },
    };
    expect(validateOptions(tree, { node: { children: [{ children: [] }] } })).toEqual([]);
    expect(validateOptions(tree, { node: { children: [5] } })).toEqual([
      { path: '/node/children/0', message: 'must be object' },
    ]);
    expect(() => resolveOptions(cassandra())).not.toThrow();
    const malformed: JsonSchema = { type: 'object', properties: { x: { $ref: '#/definitions/%zz' } } };
    expect(thrownBy(() => validateOptions(malformed, { x: 1 }), DcosError).message).toMatch(
      /^the package's config\.json is not a usable JSON schema: /,
    );
  });

  it('refuses an array too long to compare every pair of, when the schema wants unique items', () => {
    const schema: JsonSchema = { type: 'object', properties: { a: { type: 'array', uniqueItems: true } } };
    const items = (count: number) => Array.from({ length: count }, (_, index) => ({ index }));
    expect(validateOptions(schema, { a: items(100) })).toEqual([]);
    const started = Date.now();
    const error = thrownBy(() => validateOptions(schema, { a: items(50_000) }), DcosError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.message).toBe(
      'options for a schema with unique items may hold arrays of at most 5000 items; /a has 50000',
    );
  });
});
