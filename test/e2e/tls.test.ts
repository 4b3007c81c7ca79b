import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli, tempDcosDir } from '../helpers/cli.js';
import { makeSelfSignedCert, type SelfSignedCert } from '../helpers/servers.js';
import {
  clusterDir,
  clusterIds,
  jsonOf,
  linesOf,
  mode,
  printed,
  readClusterToml,
  seedCluster,
  startFakeDcosHttps,
  type FakeDcos,
} from './fakes.js';

let cert: SelfSignedCert;
let dcos: FakeDcos;

beforeAll(async () => {
  cert = makeSelfSignedCert();
  dcos = await startFakeDcosHttps(cert, { name: 'secure', version: '2.2.0' });
});
afterAll(async () => {
  await dcos?.close();
});

describe('cluster setup against a DC/OS cluster with a self-signed certificate', () => {
  it('is rejected by default, pointing at --ca-certs, and nothing is saved', async () => {
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', dcos.url], { env: { DCOS_DIR: dir } });

    expect(setup.code, printed(setup)).toBe(1);
    expect(linesOf(setup.stderr)).toHaveLength(1);
    expect(setup.stderr).toMatch(/^Error: .*--ca-certs/);
    expect(setup.stdout).toBe('');
    expect(clusterIds(dir)).toEqual([]);
  });

  it('is accepted with --ca-certs, which is copied into the cluster directory and used afterwards', async () => {
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', dcos.url, '--ca-certs', cert.certPath], {
      env: { DCOS_DIR: dir },
    });

    expect(setup.code, printed(setup)).toBe(0);
    expect(setup.stderr).toBe('');
    expect(clusterIds(dir)).toEqual([dcos.clusterId]);
    const sslVerify = readClusterToml(dir, dcos.clusterId).core?.ssl_verify;
    const copied = join(clusterDir(dir, dcos.clusterId), 'dcos_ca.crt');
    expect(sslVerify).toBe(copied);
    expect(readFileSync(copied, 'utf8')).toBe(cert.cert);
    expect(mode(copied)).toBe(0o600);

    // Later commands verify the cluster with the copy, not with the original file.
    const list = await runCli(['cluster', 'list', '--json'], { env: { DCOS_DIR: dir } });
    expect(list.code, printed(list)).toBe(0);
    expect(jsonOf(list)).toEqual([expect.objectContaining({ name: 'secure', status: 'AVAILABLE' })]);
  });

  it('is accepted with --insecure, with a warning on stderr and ssl_verify stored as false', async () => {
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', dcos.url, '--insecure'], { env: { DCOS_DIR: dir } });

    expect(setup.code, printed(setup)).toBe(0);
    expect(setup.stderr).toMatch(/^Warning: .*not verified/m);
    expect(readClusterToml(dir, dcos.clusterId).core?.ssl_verify).toBe('false');
  });

  it('refuses --insecure together with --ca-certs as a usage error', async () => {
    const dir = tempDcosDir();

    const setup = await runCli(['cluster', 'setup', dcos.url, '--insecure', '--ca-certs', cert.certPath], {
      env: { DCOS_DIR: dir },
    });

    expect(setup.code, printed(setup)).toBe(1);
    expect(setup.stderr).toMatch(/^Error: .*--insecure.*\n$/);
    expect(setup.stderr).toContain('--ca-certs');
    expect(clusterIds(dir)).toEqual([]);
  });

  it.each([
    ['a missing file', () => join(mkdtempSync(join(tmpdir(), 'dcos-ca-')), 'missing.pem')],
    ['a directory', () => mkdtempSync(join(tmpdir(), 'dcos-ca-'))],
  ])('fails with one clear line and creates nothing when --ca-certs is %s', async (_what, makePath) => {
    const dir = tempDcosDir();
    const path = makePath();
    const before = dcos.requests.length;

    const setup = await runCli(['cluster', 'setup', dcos.url, '--ca-certs', path], {
      env: { DCOS_DIR: dir },
    });

    expect(setup.code, printed(setup)).toBe(1);
    expect(linesOf(setup.stderr)).toEqual([expect.stringMatching(/^Error: cannot read the CA bundle /)]);
    expect(setup.stderr).toContain(path);
    expect(clusterIds(dir)).toEqual([]);
    expect(dcos.requests.length).toBe(before);
  });

  it('fails with one clear line when --ca-certs is not a PEM certificate', async () => {
    const dir = tempDcosDir();
    const path = join(mkdtempSync(join(tmpdir(), 'dcos-ca-')), 'ca.pem');
    writeFileSync(path, 'this is not a certificate\n');

    const setup = await runCli(['cluster', 'setup', dcos.url, '--ca-certs', path], {
      env: { DCOS_DIR: dir },
    });

    expect(setup.code, printed(setup)).toBe(1);
    expect(linesOf(setup.stderr)).toEqual([`Error: ${path} is not a PEM certificate`]);
    expect(clusterIds(dir)).toEqual([]);
  });
});

describe('commands against a cluster whose certificate is not trusted: the DC/OS CLI texts', () => {
  function seeded(sslVerify: string): Record<string, string> {
    const dir = tempDcosDir();
    seedCluster(dir, dcos.clusterId, { name: 'secure', url: dcos.url, attached: true, sslVerify });
    dcos.routes['GET /service/marathon/v2/apps'] = () => ({ json: { apps: [] } });
    return { DCOS_DIR: dir };
  }

  it('fails with its two lines when the certificate is not trusted', async () => {
    const list = await runCli(['marathon', 'app', 'list'], { env: seeded('true') });
    expect(list.code, printed(list)).toBe(1);
    expect(list.stdout).toBe('');
    expect(list.stderr).toBe(
      "Error: An SSL error occurred. To configure your SSL settings, please run: 'dcos config set core.ssl_verify <value>'\n" +
        '<value>: Whether to verify SSL certs for HTTPS or path to certs. Valid values are a path to a CA_BUNDLE, True (will then use system CA certificates), or False (will then send insecure requests).\n',
    );
    const verbose = await runCli(['marathon', 'app', 'list', '--verbose'], { env: seeded('true') });
    expect(verbose.stderr).toMatch(
      /detail: TLS verification failed for https:\/\/127\.0\.0\.1:\d+ .*--ca-certs/,
    );
  });

  it('says nothing about core.ssl_verify false unless --verbose, as the DC/OS CLI', async () => {
    const env = seeded('false');
    const list = await runCli(['marathon', 'app', 'list', '--json'], { env });
    expect(list.code, printed(list)).toBe(0);
    expect(list.stdout).toBe('[]\n');
    expect(list.stderr).toBe('');
    const verbose = await runCli(['marathon', 'app', 'list', '--json', '--verbose'], { env });
    expect(verbose.stderr).toContain('Warning: TLS certificates are not verified for this cluster');
  });
});
