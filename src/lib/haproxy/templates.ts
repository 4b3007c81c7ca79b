/**
 * The config templates (marathon-lb's names and roles, HAProxy >= 2.4 syntax) and the small engine that fills
 * them. Placeholders are `{name}` as in Python's str.format, which marathon-lb users write; `{{` and `}}` are
 * literal braces. Only plain names are supported: a placeholder the template may not use, a format spec or
 * an unbalanced brace is a TemplateError, found when the template is compiled rather than half-way through a
 * config.
 */

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** What a template is filled with, which decides the placeholders it may use. */
export type TemplateKind = 'head' | 'http-head' | 'https-head' | 'service' | 'server';

export interface TemplateInfo {
  kind: TemplateKind;
  /** May an app override it with a `HAPROXY_{n}_<NAME>` or `HAPROXY_<NAME>` label? */
  overridable: boolean;
  /** Does it open a section (and then must open exactly that one)? */
  opens?: 'frontend' | 'backend';
  /**
   * The frontend every vhost app shares that its text goes into: an app setting it writes rules that decide
   * other apps' traffic, so it needs the operator's leave (SHARED_FRONTEND_APP_TEMPLATES) beyond
   * --allow-app-templates.
   */
  sharedFrontend?: SharedFrontend;
  text: string;
}

export type SharedFrontend = 'marathon_http_in' | 'marathon_https_in';

/** Mozilla's "intermediate" TLS settings: TLS 1.2+ with forward-secret AEAD ciphers. */
const CIPHERS =
  'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:' +
  'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:' +
  'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384';

const HEAD = `global
  log /dev/log local0
  log /dev/log local1 notice
  spread-checks 5
  max-spread-checks 15000
  maxconn {maxconn}
  tune.ssl.default-dh-param 2048
  ssl-default-bind-ciphers ${CIPHERS}
  ssl-default-bind-options no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets
  ssl-default-server-ciphers ${CIPHERS}
  ssl-default-server-options no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets
{statsSocket}
defaults
  log global
  retries 3
  backlog 10000
  maxconn 10000
  timeout connect 3s
  timeout client 30s
  timeout server 30s
  timeout tunnel 3600s
  timeout http-keep-alive 1s
  timeout http-request 15s
  timeout queue 30s
  timeout tarpit 60s
  option dontlognull
  option http-server-close
  option redispatch
  default-server init-addr libc,none

listen stats
  bind {bindAddr}:{statsPort}
  mode http
  stats enable
  monitor-uri /_haproxy_health_check
`;

/** Every template this generator uses, by marathon-lb name without the `HAPROXY_` prefix. */
export const TEMPLATES: Readonly<Record<string, TemplateInfo>> = {
  HEAD: { kind: 'head', overridable: false, text: HEAD },
  HTTP_FRONTEND_HEAD: {
    kind: 'http-head',
    overridable: false,
    text: '\nfrontend marathon_http_in\n  bind {bindAddr}:{httpPort}\n  mode http\n',
  },
  HTTPS_FRONTEND_HEAD: {
    kind: 'https-head',
    overridable: false,
    text: '\nfrontend marathon_https_in\n  bind {bindAddr}:{httpsPort} ssl {sslCerts}\n  mode http\n',
  },
  FRONTEND_HEAD: {
    kind: 'service',
    overridable: true,
    opens: 'frontend',
    text: '\nfrontend {backend}\n  bind {bindAddr}:{servicePort}{sslCert}{bindOptions}\n  mode {mode}\n',
  },
  FRONTEND_BACKEND_GLUE: { kind: 'service', overridable: true, text: '  use_backend {backend}\n' },
  BACKEND_HEAD: {
    kind: 'service',
    overridable: true,
    opens: 'backend',
    text: '\nbackend {backend}\n  balance {balance}\n  mode {mode}\n',
  },
  BACKEND_HTTP_OPTIONS: {
    kind: 'service',
    overridable: true,
    text:
      '  option forwardfor\n' +
      '  http-request set-header X-Forwarded-Port %[dst_port]\n' +
      '  http-request add-header X-Forwarded-Proto https if {{ ssl_fc }}\n',
  },
  BACKEND_STICKY_OPTIONS: {
    kind: 'service',
    overridable: true,
    text: '  cookie mesosphere_server_id insert indirect nocache\n',
  },
  BACKEND_HTTP_HEALTHCHECK_OPTIONS: {
    kind: 'service',
    overridable: true,
    text: '  option httpchk GET {healthCheckPath}\n  timeout check {healthCheckTimeoutSeconds}s\n',
  },
  BACKEND_TCP_HEALTHCHECK_OPTIONS: { kind: 'service', overridable: true, text: '' },
  BACKEND_SERVER_OPTIONS: {
    kind: 'server',
    overridable: true,
    text: '  server {serverName} {host}:{port}{cookieOptions}{healthCheckOptions}{otherOptions}\n',
  },
  BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS: {
    kind: 'service',
    overridable: true,
    text: ' check inter {healthCheckIntervalSeconds}s fall {healthCheckFalls}{healthCheckPortOptions}{healthCheckSslOptions}',
  },
  BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS: {
    kind: 'service',
    overridable: true,
    text: ' check inter {healthCheckIntervalSeconds}s fall {healthCheckFalls}{healthCheckPortOptions}',
  },
  HTTP_FRONTEND_ACL_ONLY: {
    kind: 'service',
    overridable: true,
    sharedFrontend: 'marathon_http_in',
    text: '  acl host_{backend} hdr(host) -i {hostnames}\n',
  },
  HTTP_FRONTEND_ACL_ONLY_WITH_PATH: {
    kind: 'service',
    overridable: true,
    sharedFrontend: 'marathon_http_in',
    text: '  acl path_{backend} path_beg {path}\n',
  },
  HTTP_FRONTEND_ROUTING_ONLY: {
    kind: 'service',
    overridable: true,
    sharedFrontend: 'marathon_http_in',
    text: '  use_backend {backend} if host_{backend}\n',
  },
  HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH: {
    kind: 'service',
    overridable: true,
    sharedFrontend: 'marathon_http_in',
    text: '  use_backend {backend} if host_{backend} path_{backend}\n',
  },
  BACKEND_REDIRECT_HTTP_TO_HTTPS: {
    kind: 'service',
    overridable: true,
    sharedFrontend: 'marathon_http_in',
    text: '  http-request redirect scheme https code 301 if !{{ ssl_fc }} host_{backend}\n',
  },
  BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH: {
    kind: 'service',
    overridable: true,
    sharedFrontend: 'marathon_http_in',
    text: '  http-request redirect scheme https code 301 if !{{ ssl_fc }} host_{backend} path_{backend}\n',
  },
  HTTPS_FRONTEND_ACL: {
    kind: 'service',
    overridable: true,
    sharedFrontend: 'marathon_https_in',
    text: '  use_backend {backend} if {{ ssl_fc_sni -i {hostnames} }}\n',
  },
  HTTPS_FRONTEND_ACL_WITH_PATH: {
    kind: 'service',
    overridable: true,
    sharedFrontend: 'marathon_https_in',
    text:
      '  acl path_{backend} path_beg {path}\n' +
      '  use_backend {backend} if {{ ssl_fc_sni -i {hostnames} }} path_{backend}\n',
  },
};

export type TemplateName = keyof typeof TEMPLATES;

const SERVICE_VARS = [
  'appId',
  'backend',
  'servicePort',
  'bindAddr',
  'bindOptions',
  'sslCert',
  'mode',
  'balance',
  'hostname',
  'hostnames',
  'path',
  'healthCheckProtocol',
  'healthCheckPath',
  'healthCheckTimeoutSeconds',
  'healthCheckIntervalSeconds',
  'healthCheckMaxConsecutiveFailures',
  'healthCheckFalls',
  'healthCheckPortOptions',
  'healthCheckSslOptions',
];

/** The placeholders each kind of template may use. */
export const TEMPLATE_VARIABLES: Readonly<Record<TemplateKind, ReadonlySet<string>>> = {
  head: new Set(['maxconn', 'statsSocket', 'bindAddr', 'statsPort']),
  'http-head': new Set(['bindAddr', 'httpPort']),
  'https-head': new Set(['bindAddr', 'httpsPort', 'sslCerts']),
  service: new Set(SERVICE_VARS),
  // `host_ipv4` is marathon-lb's name for the server address; it is the task's host here (no DNS lookup).
  server: new Set([
    ...SERVICE_VARS,
    'serverName',
    'host',
    'host_ipv4',
    'port',
    'cookieOptions',
    'healthCheckOptions',
    'otherOptions',
  ]),
};

/** Literal text and placeholder names, alternating: parts[0] text, parts[1] name, parts[2] text... */
export interface CompiledTemplate {
  parts: string[];
}

const compiledCache = new Map<string, CompiledTemplate>();

/** Parses `text` once (cached by text and kind); throws TemplateError on a placeholder `kind` does not offer. */
export function compileTemplate(text: string, kind: TemplateKind): CompiledTemplate {
  const key = `${kind}\u0000${text}`;
  const cached = compiledCache.get(key);
  if (cached) return cached;
  const allowed = TEMPLATE_VARIABLES[kind];
  const parts: string[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '{' && text[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (c === '}' && text[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (c === '}') {
      throw new TemplateError(`single '}' at offset ${i} (write '}}' for a literal brace)`);
    } else if (c === '{') {
      const end = text.indexOf('}', i + 1);
      if (end < 0) throw new TemplateError(`unclosed '{' at offset ${i}`);
      const name = text.slice(i + 1, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new TemplateError(`unsupported placeholder '{${name}}' (only plain names like {backend})`);
      }
      if (!allowed.has(name)) {
        throw new TemplateError(`unknown placeholder '{${name}}' (known: ${[...allowed].sort().join(', ')})`);
      }
      parts.push(literal, name);
      literal = '';
      i = end + 1;
    } else {
      literal += c;
      i++;
    }
  }
  parts.push(literal);
  const compiled = { parts };
  // The cache only grows with distinct template texts (defaults, --templates files, app labels).
  if (compiledCache.size > 10_000) compiledCache.clear();
  compiledCache.set(key, compiled);
  return compiled;
}

/**
 * Fills a compiled template from `extra` (per-server values), then `values`; every name was checked at compile
 * time, so a missing value is a bug.
 */
export function renderTemplate(
  template: CompiledTemplate,
  values: Readonly<Record<string, string>>,
  extra?: Readonly<Record<string, string>>,
): string {
  const { parts } = template;
  if (parts.length === 1) return parts[0]!;
  // One join gives a flat string; `+=` would leave a rope of cons cells for the GC and the final join.
  const pieces = new Array<string>(parts.length);
  pieces[0] = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i]!;
    const value = extra?.[name] ?? values[name];
    if (value === undefined) throw new Error(`no value for template placeholder {${name}}`);
    pieces[i] = value;
    pieces[i + 1] = parts[i + 1]!;
  }
  return pieces.join('');
}

/** `HAPROXY_BACKEND_HEAD` -> `BACKEND_HEAD` when it names a template; undefined otherwise. */
export function templateName(name: string): TemplateName | undefined {
  const bare = name.startsWith('HAPROXY_') ? name.slice('HAPROXY_'.length) : name;
  return Object.hasOwn(TEMPLATES, bare) ? bare : undefined;
}

/**
 * The template set after global overrides (`--templates DIR`, keyed by `HAPROXY_<NAME>` or `<NAME>`), each
 * compiled; an unknown name or a broken override is a TemplateError naming the template.
 */
export function compileTemplateSet(
  overrides: Record<string, string> = {},
): Map<TemplateName, CompiledTemplate> {
  const texts = new Map<TemplateName, string>();
  for (const name of Object.keys(TEMPLATES)) texts.set(name, TEMPLATES[name]!.text);
  for (const [given, text] of Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const name = templateName(given);
    if (!name) {
      throw new TemplateError(
        `unknown template ${given} (known: ${Object.keys(TEMPLATES)
          .map((known) => `HAPROXY_${known}`)
          .join(', ')})`,
      );
    }
    texts.set(name, text.replace(/\r\n/g, '\n'));
  }
  const compiled = new Map<TemplateName, CompiledTemplate>();
  for (const [name, text] of texts) {
    try {
      compiled.set(name, compileTemplate(text, TEMPLATES[name]!.kind));
    } catch (error) {
      throw new TemplateError(`template HAPROXY_${name}: ${(error as Error).message}`);
    }
  }
  return compiled;
}
