import { gzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import {
  encodeLabelJson,
  encodePackageDefinition,
  installedPackageFromApp,
  PACKAGE_DEFINITION_LABEL,
  PACKAGE_METADATA_LABEL,
  PACKAGE_NAME_LABEL,
  PACKAGE_RELEASE_LABEL,
  PACKAGE_VERSION_LABEL,
  packageDefinitionOf,
  packageMetadata,
  universeMediaVersion,
} from '../../../src/lib/packages/labels.js';
import { fixtureJson, helloworldPackage, v3Packages } from './fixtures.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('installedPackageFromApp', () => {
  it('ignores apps that did not come from a package, and non-apps', () => {
    expect(installedPackageFromApp({ id: '/web', labels: { HAPROXY_GROUP: 'external' } })).toBeUndefined();
    expect(installedPackageFromApp({ id: '/web' })).toBeUndefined();
    expect(installedPackageFromApp({ id: '/web', labels: { DCOS_PACKAGE_NAME: '' } })).toBeUndefined();
    expect(installedPackageFromApp(null)).toBeUndefined();
    expect(installedPackageFromApp('app')).toBeUndefined();
  });

  it('reads the definition Cosmos stored on an app it installed', () => {
    const app = {
      ...fixtureJson<Record<string, unknown>>('recorded/test_describe_helloworld_app_render.json'),
    };
    app.id = '/helloworld';
    const installed = installedPackageFromApp(app)!;
    expect(installed.appId).toBe('/helloworld');
    const definition = installed.packageInformation.packageDefinition;
    expect(definition).toMatchObject({
      packagingVersion: '3.0',
      name: 'helloworld',
      version: '0.1.0',
      releaseVersion: 0,
      postInstallNotes: 'A sample post-installation message',
      website: 'https://github.com/mesosphere/dcos-helloworld',
    });
    // Cosmos's nulls are gone, and the package.json-level view has no template or schema.
    expect(definition).not.toHaveProperty('selected');
    expect(definition).not.toHaveProperty('marathon');
    expect(definition).not.toHaveProperty('config');
    expect(installed.packageInformation.resourceDefinition).toEqual({
      cli: expect.objectContaining({ binaries: expect.objectContaining({ linux: expect.any(Object) }) }),
    });
  });

  it('falls back to the metadata label when the definition cannot be read', () => {
    const nginx = v3Packages()[0]!;
    const labels = {
      [PACKAGE_NAME_LABEL]: 'nginx',
      [PACKAGE_VERSION_LABEL]: '1.8.1',
      [PACKAGE_DEFINITION_LABEL]: 'not base64 json',
      [PACKAGE_METADATA_LABEL]: encodeLabelJson(packageMetadata(nginx)),
    };
    const installed = installedPackageFromApp({ id: '/nginx', labels })!;
    expect(installed.packageInformation.packageDefinition).toMatchObject({
      name: 'nginx',
      scm: 'http://hg.nginx.org/nginx/',
      postUninstallNotes: 'Nginx was uninstalled successfully.',
    });
    expect(installed.packageInformation.packageDefinition).not.toHaveProperty('images');
    expect(installed.packageInformation.resourceDefinition).toEqual({ images: nginx.resource!.images });
  });

  it('makes do with the name and version labels alone', () => {
    const installed = installedPackageFromApp({
      id: '/old',
      labels: { [PACKAGE_NAME_LABEL]: 'old', [PACKAGE_VERSION_LABEL]: '0.1', [PACKAGE_RELEASE_LABEL]: '3' },
    });
    expect(installed).toEqual({
      appId: '/old',
      packageInformation: {
        packageDefinition: {
          packagingVersion: '2.0',
          name: 'old',
          version: '0.1',
          releaseVersion: 3,
          maintainer: '',
          description: '',
          tags: [],
        },
      },
    });
  });

  it('never throws on broken labels', () => {
    const broken = [
      base64('{"metadata": {"Content-Encoding": "gzip"}, "data": "bm90IGd6aXA="}'),
      base64('{"metadata": {}, "data": 5}'),
      base64('[1, 2]'),
      '%%%',
    ];
    for (const definition of broken) {
      const app = {
        id: '/x',
        labels: {
          [PACKAGE_NAME_LABEL]: 'x',
          [PACKAGE_DEFINITION_LABEL]: definition,
          [PACKAGE_METADATA_LABEL]: '%%%',
        },
      };
      expect(packageDefinitionOf(app)).toBeUndefined();
      expect(installedPackageFromApp(app)!.packageInformation.packageDefinition.name).toBe('x');
    }
  });

  it('reads an envelope stored without gzip', () => {
    const data = base64(JSON.stringify({ name: 'plain', version: '1' }));
    const labels = {
      [PACKAGE_NAME_LABEL]: 'plain',
      [PACKAGE_DEFINITION_LABEL]: encodeLabelJson({ metadata: { 'Content-Type': 'x' }, data }),
    };
    expect(packageDefinitionOf({ labels })).toEqual({ name: 'plain', version: '1' });
  });
});

describe('encoding', () => {
  it('drops null-valued keys but keeps nulls inside arrays', () => {
    expect(Buffer.from(encodeLabelJson({ a: null, b: [null, 1], c: { d: null } }), 'base64').toString()).toBe(
      '{"b":[null,1],"c":{}}',
    );
  });

  it('stores each packaging version under its universe media type version', () => {
    expect(
      ['2.0', '3.0', '4.0', '5.0'].map((v) => universeMediaVersion({ packagingVersion: v as '2.0' })),
    ).toEqual([3, 3, 4, 5]);
  });

  it('round-trips a definition through the envelope', () => {
    const pkg = helloworldPackage();
    const label = encodePackageDefinition(pkg);
    expect(packageDefinitionOf({ labels: { [PACKAGE_DEFINITION_LABEL]: label } })).toEqual(pkg);
    const envelope = JSON.parse(Buffer.from(label, 'base64').toString()) as { data: string };
    // The data really is gzip (magic bytes 1f 8b).
    expect(Buffer.from(envelope.data, 'base64').subarray(0, 2)).toEqual(gzipSync('x').subarray(0, 2));
  });

  it('keeps package.json-level fields and images in the metadata', () => {
    const cassandra = v3Packages()[2]!;
    const metadata = packageMetadata(cassandra);
    for (const field of ['marathon', 'config', 'resource', 'command'])
      expect(metadata).not.toHaveProperty(field);
    expect(metadata).toMatchObject({
      name: 'cassandra',
      framework: true,
      images: cassandra.resource!.images,
    });
  });
});
