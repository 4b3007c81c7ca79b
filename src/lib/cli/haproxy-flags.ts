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
  templates: Flags.string({ description: 'directory of template overrides named like HAPROXY_BACKEND_HEAD' }),
  'ssl-certs': Flags.string({
    description: 'certificates (PEM with key) for the HTTPS frontend, comma-separated; repeatable',
    multiple: true,
  }),
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
  };
}
