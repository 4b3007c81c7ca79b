/**
 * The contract between the HAProxy config generator (`model.ts`, pure), its validation (`validate.ts`, runs
 * `haproxy -c`) and the runner (`dcos haproxy run`: events, debounce, atomic write, hitless reload).
 */

export interface HaproxyOptions {
  /** HAPROXY_GROUP values to include (`--group`); empty or absent: apps of the default group `external`. */
  groups?: string[];
  /** Only tasks whose Marathon health checks all pass become servers (`--health-check`). */
  healthCheck?: boolean;
  /** Template overrides by name (marathon-lb's HAPROXY_* template names), e.g. from `--templates DIR`. */
  templates?: Record<string, string>;
  /**
   * Honour apps' template labels (`HAPROXY_{n}_<TEMPLATE>`, `HAPROXY_<TEMPLATE>`) in the app's own frontend and
   * backend (`--allow-app-templates`). Off by default: an app owner's template can make HAProxy read any file,
   * connect anywhere or take other apps' traffic, so they are ignored and reported.
   */
  allowAppTemplates?: boolean;
  /**
   * Templates of the shared vhost frontends (`HTTP_FRONTEND_ROUTING_ONLY`, ...) that apps may set as well, with
   * allowAppTemplates: the operator's `SHARED_FRONTEND_APP_TEMPLATES` file in `--templates DIR`.
   */
  sharedFrontendAppTemplates?: string[];
  /** Directories whose certificates apps may name in `HAPROXY_{n}_SSL_CERT` (`--ssl-cert-dir`). */
  sslCertDirs?: string[];
  /**
   * Each app certificate path (as the label gives it) and what checking it on this host found: the real path
   * to use, or why not. Made by `checkAppCertificates` before generating, which keeps the generator pure; a
   * path missing here is refused.
   */
  appCertificates?: ReadonlyMap<string, AppCertificate>;
  /** Ports nothing may take as a service port (stats, 80, 443, and any configured). */
  reservedPorts?: number[];
  /** Certificates for the HTTPS frontend (`--ssl-certs`, marathon-lb's default /etc/ssl/cert.pem). */
  sslCerts?: string[];
  /** Adds `stats socket <path> expose-fd listeners level admin` to `global` (master-worker reloads need it). */
  statsSocket?: string;
  /** Port of the HTTP vhost frontend `marathon_http_in` (default 80). */
  httpPort?: number;
  /** Port of the HTTPS (SNI) frontend `marathon_https_in` (default 443); only emitted with certificates. */
  httpsPort?: number;
  /** Port of the stats listener (default 9090). */
  statsPort?: number;
  /** Address the shared frontends and service ports without `_BIND_ADDR` bind to (default `*`). */
  bindAddress?: string;
  /** `maxconn` in `global` (default 50000, as marathon-lb; needs an FD limit of about 100k). */
  maxconn?: number;
}

export type AppCertificate = { path: string } | { refused: string };

export interface DroppedApp {
  appId: string;
  reason: string;
}

export interface PortConflict {
  port: number;
  /** The app (and service-port index) that keeps the port: chosen deterministically. */
  winner: string;
  losers: string[];
}

/** A label the generator did not honour for trust reasons; the app itself is still served. */
export interface IgnoredLabel {
  appId: string;
  label: string;
  reason: string;
}

export interface HaproxyReport {
  /** App ids that made it into the config, sorted. */
  included: string[];
  dropped: DroppedApp[];
  conflicts: PortConflict[];
  warnings: string[];
  /** Apps left out on purpose (other group, no service ports, no live tasks), with why. */
  skipped?: DroppedApp[];
  /**
   * Template labels not honoured: app templates off, a shared frontend the operator did not open, or a
   * template apps can never set (HEAD, the shared frontends' heads). Each is in `warnings` too.
   */
  ignoredLabels?: IgnoredLabel[];
}

export interface HaproxyConfig {
  /** The whole haproxy.cfg text; the same input always gives the same bytes. */
  text: string;
  report: HaproxyReport;
  /** For `haproxy check`: which app produced each line (1-based line number -> app id). */
  lineOwners: Map<number, string>;
}

export interface ValidationProblem {
  /** `alert` (HAProxy refuses the config) or `warning` (it accepts it). */
  severity?: 'alert' | 'warning';
  line?: number;
  message: string;
  /** The app whose part of the config the line belongs to, when known. */
  appId?: string;
  /** The section the line is in, e.g. `backend web_10000`. */
  section?: string;
}

export interface ValidationResult {
  ok: boolean;
  problems: ValidationProblem[];
}
