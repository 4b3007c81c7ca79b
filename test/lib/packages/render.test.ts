import { gunzipSync } from 'node:zlib';

import Mustache from 'mustache';
import { describe, expect, it } from 'vitest';

import { DcosError, UsageError } from '../../../src/lib/errors.js';
import { CosmosError } from '../../../src/lib/packages/errors.js';
import { installedPackageFromApp, packageDefinitionOf } from '../../../src/lib/packages/labels.js';
import { jsonErrorOffset, normalizeAppId, renderMarathonApp } from '../../../src/lib/packages/render.js';
import type { UniversePackage } from '../../../src/lib/packages/types.js';
import { parseUniverse, selectPackage } from '../../../src/lib/packages/universe.js';
import { thrownBy } from '../../helpers/errors.js';
import {
  fixtureJson,
  fixtureText,
  helloworldPackage,
  stubPackage,
  templateOf,
  UNIVERSE,
  v3Repo,
} from './fixtures.js';

const HELLOWORLD_SOURCE = 'http://helloworld-universe.marathon.mesos:8086/repo';

type App = Record<string, unknown> & { labels: Record<string, string> };

function render(pkg: UniversePackage, userOptions?: Record<string, unknown>, appId?: string): App {
  return renderMarathonApp(pkg, {
    repositoryUri: UNIVERSE.uri,
    ...(userOptions ? { userOptions } : {}),
    ...(appId ? { appId } : {}),
  }) as App;
}

function withoutLabels(app: Record<string, unknown>): Record<string, unknown> {
  const { labels: _labels, ...rest } = app;
  return rest;
}

function decodeLabel(value: string | undefined): unknown {
  return JSON.parse(Buffer.from(value!, 'base64').toString('utf8'));
}

describe('renderMarathonApp: helloworld against what Cosmos rendered', () => {
  it('renders the defaults to the same app, with the same identifying labels', () => {
    const recorded = fixtureJson<App>('recorded/test_describe_helloworld_app_render.json');
    const app = renderMarathonApp(helloworldPackage(), { repositoryUri: HELLOWORLD_SOURCE }) as App;
    expect(withoutLabels(app)).toEqual(withoutLabels(recorded));
    for (const label of [
      'DCOS_PACKAGE_NAME',
      'DCOS_PACKAGE_VERSION',
      'DCOS_PACKAGE_SOURCE',
      'DCOS_PACKAGE_OPTIONS',
    ]) {
      expect(app.labels[label], label).toBe(recorded.labels[label]);
    }
    // The stored definition has the same template and schema as the one Cosmos stored.
    const ours = packageDefinitionOf(app)!;
    const theirs = packageDefinitionOf(recorded)!;
    expect(ours.marathon).toEqual(theirs.marathon);
    expect(ours.config).toEqual(theirs.config);
  });

  it('renders user options like Cosmos, and stores exactly the user options', () => {
    const recorded = fixtureJson<App>('recorded/test_describe_app_options.json');
    const options = { name: 'hallo', port: 80 };
    const app = renderMarathonApp(helloworldPackage(), {
      repositoryUri: HELLOWORLD_SOURCE,
      userOptions: options,
    }) as App;
    expect(withoutLabels(app)).toEqual(withoutLabels(recorded));
    expect(app.labels.DCOS_PACKAGE_OPTIONS).toBe(recorded.labels.DCOS_PACKAGE_OPTIONS);
    expect(decodeLabel(app.labels.DCOS_PACKAGE_OPTIONS)).toEqual(options);
  });

  it('puts --app-id in the id, absolute', () => {
    const recorded = fixtureJson<App>('recorded/test_describe_helloworld_app_id_render.json');
    const app = renderMarathonApp(helloworldPackage(), {
      repositoryUri: HELLOWORLD_SOURCE,
      appId: 'helloworld',
    }) as App;
    expect(withoutLabels(app)).toEqual(withoutLabels(recorded));
    expect(render(helloworldPackage(), {}, '/team/web/').id).toBe('/team/web');
  });

  it('adds the client-side labels: release, framework flag, metadata, and the definition envelope', () => {
    const pkg = helloworldPackage();
    const app = render(pkg);
    expect(app.labels.DCOS_PACKAGE_RELEASE).toBe('0');
    expect(app.labels.DCOS_PACKAGE_IS_FRAMEWORK).toBe('false');
    expect(app.labels).not.toHaveProperty('DCOS_PACKAGE_FRAMEWORK_NAME');
    const metadata = decodeLabel(app.labels.DCOS_PACKAGE_METADATA) as Record<string, unknown>;
    expect(metadata).toMatchObject({ name: 'helloworld', version: '0.1.0', packagingVersion: '3.0' });
    expect(metadata).not.toHaveProperty('marathon');
    expect(metadata).not.toHaveProperty('config');
    const envelope = decodeLabel(app.labels.DCOS_PACKAGE_DEFINITION) as {
      metadata: Record<string, string>;
      data: string;
    };
    expect(envelope.metadata).toEqual({
      'Content-Type': 'application/vnd.dcos.universe.package+json;charset=utf-8;version=v3',
      'Content-Encoding': 'gzip',
    });
    expect(JSON.parse(gunzipSync(Buffer.from(envelope.data, 'base64')).toString('utf8'))).toEqual(pkg);
  });

  it('escapes option strings for JSON and does no HTML escaping', () => {
    const app = render(helloworldPackage(), { name: 'say "hi" & <bye>\n' });
    expect(app.id).toBe('say "hi" & <bye>\n');
    // The global escape function is untouched for other users of Mustache.
    expect(Mustache.escape('<')).toBe('&lt;');
  });
});

describe('renderMarathonApp: Universe packages', () => {
  const repos = [v3Repo()];

  it('renders nginx with its defaults and resources', () => {
    const app = render(selectPackage(repos, 'nginx').package);
    expect(app).toMatchObject({
      id: '/nginx',
      instances: 1,
      cpus: 1,
      mem: 1024,
      container: { type: 'DOCKER', docker: { image: 'nginx:1.8.1', network: 'HOST' } },
      acceptedResourceRoles: ['*'],
    });
    expect(app).not.toHaveProperty('cmd');
    expect(app).not.toHaveProperty('uris');
    expect(app.labels).toMatchObject({
      DCOS_SERVICE_NAME: 'nginx',
      DCOS_SERVICE_SCHEME: 'http',
      DCOS_PACKAGE_NAME: 'nginx',
      DCOS_PACKAGE_VERSION: '1.8.1',
      DCOS_PACKAGE_RELEASE: '1',
      DCOS_PACKAGE_SOURCE: UNIVERSE.uri,
      DCOS_PACKAGE_OPTIONS: 'e30=',
    });
  });

  it('follows the template sections with user options', () => {
    const options = {
      nginx: { name: 'web', bridge: true, contentDir: 'site', contentUrl: 'https://x/site.tgz' },
    };
    const app = render(selectPackage(repos, 'nginx').package, options);
    expect(app.id).toBe('/web');
    expect(app.cmd).toContain('/mnt/mesos/sandbox/site ');
    expect(app.uris).toEqual(['https://x/site.tgz']);
    expect(app.container).toMatchObject({
      docker: { network: 'BRIDGE', portMappings: [{ containerPort: 80 }, { containerPort: 443 }] },
    });
    expect(decodeLabel(app.labels.DCOS_PACKAGE_OPTIONS)).toEqual(options);
  });

  it('renders cassandra, keeping the framework name its template sets', () => {
    const app = render(selectPackage(repos, 'cassandra').package, {
      service: { name: 'cass2' },
      nodes: { count: 1 },
    });
    expect(app.id).toBe('/cass2');
    expect(app.labels.DCOS_PACKAGE_FRAMEWORK_NAME).toBe('cass2');
    expect(app.labels.DCOS_MIGRATION_API_PATH).toBe('/v1/plan');
    expect(app.labels.DCOS_PACKAGE_IS_FRAMEWORK).toBe('true');
    expect(app.labels.DCOS_PACKAGE_RELEASE).toBe('7');
    expect(app.uris).toEqual([
      'https://downloads.mesosphere.com/cassandra/assets/1.0.4-2.2.5/scheduler.zip',
      'https://downloads.mesosphere.com/cassandra/assets/1.0.4-2.2.5/server-jre-8u74-linux-x64.tar.gz',
    ]);
    expect(app.env).toMatchObject({ NODES: '1', FRAMEWORK_NAME: 'cass2', CASSANDRA_HEAP_SIZE_MB: '2048' });
  });

  it('renders an older cassandra release picked by version', () => {
    const app = render(selectPackage(repos, 'cassandra', '0.2.0-1').package);
    expect(app.labels.DCOS_PACKAGE_VERSION).toBe('0.2.0-1');
    expect(app.labels.DCOS_PACKAGE_RELEASE).toBe('0');
  });

  it('adds the framework name from service.name or <package>.framework-name when the template has none', () => {
    const timeServer = stubPackage({
      name: 'time-server',
      packagingVersion: '4.0',
      config: fixtureJson('package/universe-time-server-0/config.json'),
      resource: fixtureJson('package/universe-time-server-0/resource.json'),
      marathon: templateOf(fixtureText('package/universe-time-server-0/marathon.json.mustache')),
    });
    const app = render(timeServer, { service: { name: 'clock' } });
    expect(app.labels.DCOS_PACKAGE_FRAMEWORK_NAME).toBe('clock');
    expect(app.container).toMatchObject({ docker: { image: 'docker-user-name/time-server:part1' } });
    expect(decodeLabel(app.labels.DCOS_PACKAGE_DEFINITION)).toMatchObject({
      metadata: { 'Content-Type': expect.stringMatching(/version=v4$/) },
    });

    const chronos = stubPackage({
      name: 'chronos',
      config: {
        properties: { chronos: { properties: { 'framework-name': { type: 'string', default: 'chronos' } } } },
      },
      marathon: templateOf('{"id": "/{{chronos.framework-name}}"}'),
    });
    expect(render(chronos).labels.DCOS_PACKAGE_FRAMEWORK_NAME).toBe('chronos');
  });

  it('renders marathon-lb: arrays of objects in sections, a multi-line certificate, packaging 4.0', () => {
    const dir = 'package/universe-marathon-lb-45/';
    const marathonLb = stubPackage({
      ...fixtureJson<UniversePackage>(`${dir}package.json`),
      releaseVersion: 45,
      config: fixtureJson(`${dir}config.json`),
      resource: fixtureJson(`${dir}resource.json`),
      marathon: templateOf(fixtureText(`${dir}marathon.json.mustache`)),
    });
    const certificate = '-----BEGIN CERTIFICATE-----\nMIIB "quoted"\n-----END CERTIFICATE-----\n';
    const app = render(marathonLb, {
      'marathon-lb': { parameters: [{ key: 'ulimit', value: 'nofile=65536' }], 'ssl-cert': certificate },
    });
    expect(app.id).toBe('marathon-lb');
    expect((app.container as { docker: { parameters: unknown[] } }).docker.parameters[0]).toEqual({
      key: 'ulimit',
      value: 'nofile=65536',
    });
    expect((app.env as Record<string, string>).HAPROXY_SSL_CERT).toBe(certificate);
    expect(app.args).toContain('--haproxy-map');
    expect(app.ports).toHaveLength(105);
    expect(decodeLabel(app.labels.DCOS_PACKAGE_DEFINITION)).toMatchObject({
      metadata: { 'Content-Type': expect.stringMatching(/version=v4$/) },
    });
  });

  it('stores packaging 5.0 definitions as v5 and validates their enums', () => {
    const [helloWorld] = parseUniverse(fixtureJson('package-with-custom-manager.json'), 'custom');
    const app = render(helloWorld!);
    expect(app.id).toBe('hello-world');
    expect(app.labels.DCOS_COMMONS_API_VERSION).toBe('v1');
    expect(decodeLabel(app.labels.DCOS_PACKAGE_DEFINITION)).toMatchObject({
      metadata: { 'Content-Type': expect.stringMatching(/version=v5$/) },
    });
    expect(() => render(helloWorld!, { service: { log_level: 'LOUD' } })).toThrow(UsageError);
  });

  it('round-trips through the labels into a package list entry', () => {
    const { package: pkg } = selectPackage(repos, 'cassandra');
    const installed = installedPackageFromApp(render(pkg, {}, 'db/cassandra'))!;
    expect(installed.appId).toBe('/db/cassandra');
    expect(installed.packageInformation.packageDefinition).toMatchObject({
      name: 'cassandra',
      version: '1.0.5-2.2.5',
      releaseVersion: 7,
      postUninstallNotes: pkg.postUninstallNotes,
    });
    expect(installed.packageInformation.resourceDefinition).toEqual(pkg.resource);
  });
});

describe('renderMarathonApp: templates', () => {
  const withTemplate = (template: string, fields: Partial<UniversePackage> = {}) =>
    stubPackage({ name: 'shaped', version: '0.3', marathon: templateOf(template), ...fields });

  it('quotes strings inside arrays and writes {{#asJson}} values as JSON, as Cosmos does', () => {
    const pkg = withTemplate(
      '{"id": "x", "args": [{{#list}}{{.}}, {{/list}}"end"], "env": {{#asJson}}env{{/asJson}}}',
      {
        config: {
          properties: {
            list: { type: 'array', default: ['a', 'say "b"'] },
            env: { type: 'object', properties: {}, default: { A: '1', B: 'two' } },
          },
        },
      },
    );
    const app = render(pkg);
    expect(app.args).toEqual(['a', 'say "b"', 'end']);
    expect(app.env).toEqual({ A: '1', B: 'two' });
  });

  it('keeps the template labels but not over the package labels, and its framework name over service.name', () => {
    const pkg = withTemplate(
      '{"id": "x", "labels": {"OWN": "1", "DCOS_PACKAGE_NAME": "fake", "DCOS_PACKAGE_FRAMEWORK_NAME": "fw"}}',
      { config: { properties: { service: { properties: { name: { type: 'string', default: 'svc' } } } } } },
    );
    const app = render(pkg);
    expect(app.labels).toMatchObject({
      OWN: '1',
      DCOS_PACKAGE_NAME: 'shaped',
      DCOS_PACKAGE_FRAMEWORK_NAME: 'fw',
    });
  });

  it('says where a rendered template stops being JSON', () => {
    const pkg = withTemplate('{\n  "id": "x",\n  "cpus": {{cpus}},\n}', {
      config: { properties: { cpus: { type: 'number', default: 1 } } },
    });
    const error = thrownBy(() => render(pkg), DcosError);
    expect(error.code).toBe('invalid_template');
    expect(error.message).toMatch(
      /^the Marathon template of shaped 0\.3 did not render to valid JSON: .+ at line 4, column 1: \}$/,
    );
    expect(error.details).toMatchObject({ packageName: 'shaped', packageVersion: '0.3', line: 4, column: 1 });
    // A missing value renders as nothing: the error points at it.
    const empty = thrownBy(() => render(withTemplate('{"id": "x", "cpus": {{cpus}}}')), DcosError);
    expect(empty.message).toContain('at line 1, column 21: {"id": "x", "cpus": }');
  });

  it('refuses a template that renders to something other than an object', () => {
    const error = thrownBy(() => render(withTemplate('[{"id": "x"}]')), CosmosError);
    expect(error.type).toBe('MarathonTemplateMustBeJsonObject');
  });

  it('refuses labels that are not strings and broken Mustache', () => {
    expect(() => render(withTemplate('{"id": "x", "labels": {"A": 1}}'))).toThrow(
      /labels that are not an object of strings/,
    );
    expect(() => render(withTemplate('{"id": "{{#open}}"}'))).toThrow(
      /not a valid Mustache template: Unclosed section/,
    );
  });

  it('cannot render a package without a template', () => {
    const error = thrownBy(() => render(stubPackage({ name: 'cli-only', version: '2.0' })), CosmosError);
    expect(error.type).toBe('ServiceMarathonTemplateNotFound');
    expect(error.message).toBe(
      'Package: [cli-only] version: [2.0] does not have a Marathon template defined and can not be rendered',
    );
  });

  it('checks the options before rendering', () => {
    const error = thrownBy(() => render(helloworldPackage(), { port: 'x' }), UsageError);
    expect(error.message).toBe('options for helloworld are invalid: /port: must be integer');
  });

  /** A package whose template repeats sections over an array default of `count` items. */
  function expanding(template: string, count = 100): UniversePackage {
    return stubPackage({
      name: 'bomb',
      config: {
        type: 'object',
        properties: { a: { type: 'array', default: Array.from({ length: count }, (_, index) => index) } },
      },
      marathon: templateOf(template),
    });
  }

  it('stops a nested expansion at the 1 MiB limit instead of rendering 10 MB first', () => {
    // 20 x 20 x 20 repetitions of 1,250 characters: 10 MB if rendered in full.
    const bomb = expanding(
      `{"id": "x", "cmd": "{{#a}}{{#a}}{{#a}}${'x'.repeat(1_250)}{{/a}}{{/a}}{{/a}}"}`,
      20,
    );
    const started = Date.now();
    const error = thrownBy(() => render(bomb), DcosError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.code).toBe('template_too_large');
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      'the Marathon template of bomb 1.0.0 was not rendered: its output passes the 1 MiB limit for a Marathon app',
    );
    // {{#asJson}} output counts too.
    const json = expanding('{"id": "x", "cmd": "{{#a}}{{#a}}{{#asJson}}a{{/asJson}}{{/a}}{{/a}}"}', 200);
    expect(thrownBy(() => render(json), DcosError).code).toBe('template_too_large');
  });

  it('stops sections that repeat without writing anything, and sections nested too deep', () => {
    const silent = expanding('{"id": "x"{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}}');
    const started = Date.now();
    expect(thrownBy(() => render(silent), DcosError).message).toMatch(
      /was not rendered: it takes more than \d+ template steps \(sections repeat too often\)$/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    const deep = expanding(`{"id": "x"${'{{#a}}'.repeat(101)}${'{{/a}}'.repeat(101)}}`, 1);
    expect(thrownBy(() => render(deep), DcosError).message).toMatch(
      /its sections nest 101 deep \(at most 100\)$/,
    );
  });
});

describe('jsonErrorOffset and normalizeAppId', () => {
  it('finds the first syntax error, or -1', () => {
    expect(jsonErrorOffset('{"a": [1, 2.5e3, true, null, "x\\u0041"]}')).toBe(-1);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a": 01}')).toBe(7);
    expect(jsonErrorOffset('{"a": "b\\q"}')).toBe(9);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
    expect(jsonErrorOffset('{"a": "open')).toBe(11);
  });

  it('makes ids absolute', () => {
    expect(['web', '/web', 'web/', ' //a/b/ '].map(normalizeAppId)).toEqual(['/web', '/web', '/web', '/a/b']);
  });
});
