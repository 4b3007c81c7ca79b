import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  checkAppCertificates,
  checkCertificateDirs,
  generateWithAppCertificates,
} from '../../../src/lib/haproxy/certificates.js';
import { UsageError } from '../../../src/lib/errors.js';
import { validateConfig } from '../../../src/lib/haproxy/validate.js';
import { thrownBy } from '../../helpers/errors.js';
import { haproxyCertDir } from '../../helpers/haproxy.js';
import { app } from './cases.js';

/**
 * <root>/certs (allowed) holds app.pem and a link to it; <root>/tenant-b holds another tenant's key, reached
 * from inside certs by a symbolic link, by `..`, and by a link to the whole directory.
 */
function layout() {
  const root = realpathSync(haproxyCertDir());
  const certs = join(root, 'certs');
  const other = join(root, 'tenant-b');
  mkdirSync(other);
  writeFileSync(join(other, 'key.pem'), 'tenant b key\n');
  symlinkSync(join(certs, 'app.pem'), join(certs, 'alias.pem'));
  symlinkSync(join(other, 'key.pem'), join(certs, 'stolen.pem'));
  symlinkSync(other, join(certs, 'tenant-b'));
  mkdirSync(join(certs, 'sub'));
  return { root, certs, other };
}

const withCerts = (...paths: string[]) =>
  paths.map((path, index) => app(`/tls${index}`, [10300 + index], { HAPROXY_0_SSL_CERT: path }));

describe('checkAppCertificates', () => {
  it('finds real paths inside the allowed directories and refuses the rest, saying what it found', () => {
    const { certs, other } = layout();
    const checked = checkAppCertificates(
      {
        apps: withCerts(
          join(certs, 'app.pem'),
          join(certs, 'alias.pem'),
          ` ${join(certs, 'app.pem')} `,
          join(certs, 'stolen.pem'),
          `${certs}/../tenant-b/key.pem`,
          join(certs, 'tenant-b', 'key.pem'),
          join(certs, 'sub'),
          certs,
          join(certs, 'missing.pem'),
          'certs/app.pem',
          '/etc/shadow',
        ),
      },
      [certs],
    );
    const outside = {
      refused: `leads to ${join(other, 'key.pem')}, outside the directories allowed by --ssl-cert-dir`,
    };
    expect(Object.fromEntries(checked)).toEqual({
      [join(certs, 'app.pem')]: { path: join(certs, 'app.pem') },
      [join(certs, 'alias.pem')]: { path: join(certs, 'app.pem') },
      [join(certs, 'stolen.pem')]: outside,
      [`${certs}/../tenant-b/key.pem`]: outside,
      [join(certs, 'tenant-b', 'key.pem')]: outside,
      [join(certs, 'sub')]: { refused: `leads to ${join(certs, 'sub')}, which is not a regular file` },
      [certs]: { refused: `leads to ${certs}, which is not a regular file` },
      [join(certs, 'missing.pem')]: { refused: 'cannot be used (ENOENT)' },
      'certs/app.pem': { refused: 'is not an absolute path' },
      '/etc/shadow': { refused: 'leads to /etc/shadow, outside the directories allowed by --ssl-cert-dir' },
    });
  });

  it('an allowed directory given through a symbolic link is its real directory', () => {
    const { root, certs } = layout();
    symlinkSync(certs, join(root, 'certs-link'));
    const checked = checkAppCertificates(withCerts(join(certs, 'app.pem')), [join(root, 'certs-link')]);
    expect(checked.get(join(certs, 'app.pem'))).toEqual({ path: join(certs, 'app.pem') });
  });

  it('without directories nothing is checked (the generator refuses every app certificate)', () => {
    expect(checkAppCertificates(withCerts('/etc/ssl/cert.pem'), []).size).toBe(0);
  });

  it('a directory that is gone allows nothing, without failing the generation', () => {
    const { certs } = layout();
    const checked = checkAppCertificates(withCerts(join(certs, 'app.pem')), ['/nonexistent/certs']);
    expect(checked.get(join(certs, 'app.pem'))).toEqual({
      refused: `leads to ${join(certs, 'app.pem')}, outside the directories allowed by --ssl-cert-dir`,
    });
  });

  it('checkCertificateDirs: a missing directory or a file is a usage error', () => {
    const { certs } = layout();
    expect(thrownBy(() => checkCertificateDirs(['/nonexistent/certs']), UsageError).message).toBe(
      '--ssl-cert-dir /nonexistent/certs: ENOENT',
    );
    expect(thrownBy(() => checkCertificateDirs([join(certs, 'app.pem')]), UsageError).message).toBe(
      `--ssl-cert-dir ${join(certs, 'app.pem')} is not a directory`,
    );
    expect(() => checkCertificateDirs([certs])).not.toThrow();
  });
});

describe('generateWithAppCertificates', () => {
  it("serves the allowed certificate, leaves out the app naming another tenant's key, and HAProxy agrees", async () => {
    const { certs } = layout();
    const victimCert = join(certs, 'default.pem');
    const { text, report } = generateWithAppCertificates(
      withCerts(join(certs, 'alias.pem'), join(certs, 'stolen.pem')),
      { sslCertDirs: [certs], sslCerts: [victimCert] },
    );
    expect(report.included).toEqual(['/tls0']);
    expect(report.dropped).toEqual([
      {
        appId: '/tls1',
        reason: expect.stringMatching(
          /^label HAPROXY_0_SSL_CERT: ".*stolen.pem" leads to .*tenant-b\/key.pem, outside/,
        ),
      },
    ]);
    expect(text).toContain(`  bind *:10300 ssl crt ${join(certs, 'app.pem')}\n`);
    expect(text).not.toContain('tenant-b');
    const result = await validateConfig(text);
    expect(result.problems.filter((problem) => problem.severity === 'alert')).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
