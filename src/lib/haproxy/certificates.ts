/**
 * Which certificate files apps may have HAProxy load (`HAPROXY_{n}_SSL_CERT`). HAProxy reads them as the user
 * it starts as, often root, so an app naming any path could have another tenant's key, or any file, loaded.
 * A path must lead, after symbolic links and `..`, to a regular file inside a directory the operator allows
 * (`--ssl-cert-dir`). The file system is read here, before generating, so the generator stays pure.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';

import { UsageError } from '../errors.js';
import { isRecord } from '../json.js';
import { isInside } from '../paths.js';
import { appList, generateHaproxyConfig } from './model.js';
import type { AppCertificate, HaproxyConfig, HaproxyOptions } from './types.js';

const SSL_CERT_LABEL = /^HAPROXY_\d{1,4}_SSL_CERT$/;

/** Each SSL_CERT label value of the apps (trimmed, as the generator looks it up) and what checking it found. */
export function checkAppCertificates(apps: unknown, dirs: readonly string[]): Map<string, AppCertificate> {
  const checked = new Map<string, AppCertificate>();
  if (dirs.length === 0) return checked;
  // A directory gone since the start allows nothing; `run` keeps serving the rest rather than stopping.
  const roots = dirs.flatMap((dir) => {
    try {
      return [realDirectory(dir)];
    } catch {
      return [];
    }
  });
  for (const app of appList(apps)) {
    if (!isRecord(app) || !isRecord(app.labels)) continue;
    for (const [key, value] of Object.entries(app.labels)) {
      if (!SSL_CERT_LABEL.test(key) || typeof value !== 'string') continue;
      const given = value.trim();
      if (!checked.has(given)) checked.set(given, checkCertificate(given, roots));
    }
  }
  return checked;
}

/** The config for these apps with their certificate paths checked on this host. */
export function generateWithAppCertificates(apps: unknown, options: HaproxyOptions): HaproxyConfig {
  const appCertificates = checkAppCertificates(apps, options.sslCertDirs ?? []);
  return generateHaproxyConfig(apps, { ...options, appCertificates });
}

/** `--ssl-cert-dir`s that are not directories are the operator's mistake, said once at the start. */
export function checkCertificateDirs(dirs: readonly string[]): void {
  for (const dir of dirs) realDirectory(dir);
}

function realDirectory(dir: string): string {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (error) {
    throw new UsageError(`--ssl-cert-dir ${dir}: ${(error as NodeJS.ErrnoException).code}`, {
      code: 'unreadable_input',
      cause: error,
    });
  }
  if (!statSync(real).isDirectory()) throw new UsageError(`--ssl-cert-dir ${dir} is not a directory`);
  return real;
}

function checkCertificate(given: string, roots: string[]): AppCertificate {
  // Relative to what? HAProxy's working directory is no business of the app's.
  if (!isAbsolute(given)) return { refused: 'is not an absolute path' };
  let real: string;
  try {
    real = realpathSync(given);
  } catch (error) {
    return { refused: `cannot be used (${(error as NodeJS.ErrnoException).code})` };
  }
  if (!roots.some((root) => isInside(real, root))) {
    return { refused: `leads to ${real}, outside the directories allowed by --ssl-cert-dir` };
  }
  // A directory would load every certificate in it, for whichever names they cover.
  if (!statSync(real).isFile()) return { refused: `leads to ${real}, which is not a regular file` };
  return { path: real };
}
