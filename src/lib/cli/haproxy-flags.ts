import { resolve } from 'node:path';

import { Flags } from '@oclif/core';

import type { HaproxyOptions } from '../haproxy/types.js';

/** Where the apps come from and how they become a config: shared by `dcos haproxy config|check|run`. */
export const haproxySourceFlags = {
  apps: Flags.string({
    description:
      'Marathon apps with tasks (GET /v2/apps?embed=apps.tasks) from a file, an http(s) URL or - for stdin (default: the attached cluster)',
  }),
  group: Flags.string({
    description: 'HAPROXY_GROUP to serve; repeatable; * for every app (default: external)',
    multiple: true,
  }),
  'health-check': Flags.boolean({
    description: 'only tasks whose Marathon health checks all pass become servers',
  }),
  templates: Flags.string({
    description:
      'directory of template overrides named like HAPROXY_BACKEND_HEAD, and SHARED_FRONTEND_APP_TEMPLATES (see --allow-app-templates)',
  }),
  'ssl-certs': Flags.string({
    description: 'certificates (PEM with key) for the HTTPS frontend, comma-separated; repeatable',
    multiple: true,
  }),
  'allow-app-templates': Flags.boolean({
    description:
      "honour apps' template labels (HAPROXY_{n}_BACKEND_HEAD...) in their own frontend and backend, as marathon-lb does: app owners can then make HAProxy read files and connect anywhere. Shared-frontend templates also need SHARED_FRONTEND_APP_TEMPLATES in --templates DIR",
  }),
  'ssl-cert-dir': Flags.string({
    description:
      'directory whose certificates apps may name in HAPROXY_{n}_SSL_CERT (after symlinks and ..); repeatable; without one, apps naming a certificate are left out',
    multiple: true,
  }),
};

const port = (description: string) => Flags.integer({ description, min: 1, max: 65535 });

/** Where the generated frontends listen (high ports let tests and laptops run HAProxy unprivileged). */
export const haproxyFrontendFlags = {
  'http-port': port('port of the HTTP (virtual host) frontend (default 80)'),
  'https-port': port('port of the HTTPS frontend (default 443; only with certificates)'),
  'stats-port': port('port of the stats page (default 9090)'),
  'bind-address': Flags.string({ description: 'address the frontends bind to (default: all)' }),
  maxconn: Flags.integer({
    description: "HAProxy's global maxconn (default 50000, which needs an open-files limit of about 100k)",
    min: 1,
  }),
  'stats-socket': Flags.string({ description: 'add an admin stats socket at this path (runtime API)' }),
};

export const haproxyBinFlag = {
  'haproxy-bin': Flags.string({ description: 'the haproxy executable (default: haproxy on PATH)' }),
};

export interface HaproxySourceFlagValues {
  apps?: string;
  group?: string[];
  'health-check'?: boolean;
  templates?: string;
  'ssl-certs'?: string[];
  'allow-app-templates'?: boolean;
  'ssl-cert-dir'?: string[];
  'http-port'?: number;
  'https-port'?: number;
  'stats-port'?: number;
  'bind-address'?: string;
  maxconn?: number;
  'stats-socket'?: string;
}

/** The generator options the shared flags select. */
export function haproxyOptionsFromFlags(flags: HaproxySourceFlagValues): HaproxyOptions {
  const list = (values: string[] | undefined) =>
    (values ?? [])
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter(Boolean);
  return {
    groups: list(flags.group),
    healthCheck: flags['health-check'] ?? false,
    sslCerts: list(flags['ssl-certs']),
    allowAppTemplates: flags['allow-app-templates'] ?? false,
    sslCertDirs: (flags['ssl-cert-dir'] ?? []).map((dir) => resolve(dir)),
    ...(flags['http-port'] ? { httpPort: flags['http-port'] } : {}),
    ...(flags['https-port'] ? { httpsPort: flags['https-port'] } : {}),
    ...(flags['stats-port'] ? { statsPort: flags['stats-port'] } : {}),
    ...(flags['bind-address'] ? { bindAddress: flags['bind-address'] } : {}),
    ...(flags.maxconn ? { maxconn: flags.maxconn } : {}),
    ...(flags['stats-socket'] ? { statsSocket: resolve(flags['stats-socket']) } : {}),
  };
}
