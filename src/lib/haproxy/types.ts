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
  /** Ports nothing may take as a service port (stats, 80, 443, and any configured). */
  reservedPorts?: number[];
  /** Certificates for the HTTPS frontend (`--ssl-certs`, marathon-lb's default /etc/ssl/cert.pem). */
  sslCerts?: string[];
}

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

export interface HaproxyReport {
  /** App ids that made it into the config, sorted. */
  included: string[];
  dropped: DroppedApp[];
  conflicts: PortConflict[];
  warnings: string[];
}

export interface HaproxyConfig {
  /** The whole haproxy.cfg text; the same input always gives the same bytes. */
  text: string;
  report: HaproxyReport;
  /** For `haproxy check`: which app produced each line (1-based line number -> app id). */
  lineOwners: Map<number, string>;
}

export interface ValidationProblem {
  line?: number;
  message: string;
  /** The app whose part of the config the line belongs to, when known. */
  appId?: string;
}

export interface ValidationResult {
  ok: boolean;
  problems: ValidationProblem[];
}
