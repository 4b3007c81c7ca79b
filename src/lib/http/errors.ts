import { DcosError } from '../errors.js';
import { isRecord } from '../json.js';
import { formatSize } from '../text.js';

export interface FieldError {
  path: string;
  errors: string[];
}

export interface HttpFailure {
  status: number;
  method: string;
  url: string;
  /** Parsed JSON body when the server sent JSON, else the text (possibly empty). */
  body: unknown;
}

export class HttpError extends DcosError {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly body: unknown;

  constructor(failure: HttpFailure) {
    const { message, code, details, forceHint, debug } = describeHttpFailure(failure);
    super(message, { code, details, ...(forceHint ? { forceHint } : {}), ...(debug ? { debug } : {}) });
    this.name = 'HttpError';
    this.status = failure.status;
    this.method = failure.method;
    this.url = failure.url;
    this.body = failure.body;
  }
}

export type NetworkFailureKind =
  'dns' | 'refused' | 'reset' | 'tls' | 'connect_timeout' | 'timeout' | 'network';

export class NetworkError extends DcosError {
  readonly kind: NetworkFailureKind;
  readonly url: string;

  constructor(kind: NetworkFailureKind, url: string, message: string, debug?: string, cause?: unknown) {
    super(message, {
      code: kind === 'network' ? 'network' : `network_${kind}`,
      debug,
      cause,
      details: { url },
    });
    this.name = 'NetworkError';
    this.kind = kind;
    this.url = url;
  }
}

/** Servers put their reason in different places: Marathon `message`, DC/OS `description`/`title`, Cosmos `message`. */
export function serverMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    const text = body.trim();
    return text && text.length <= 300 && !text.startsWith('<') ? text.split('\n')[0] : undefined;
  }
  if (!isRecord(body)) return undefined;
  for (const key of ['message', 'description', 'title', 'error']) {
    const value = body[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** Marathon 422/400 bodies: `details: [{path, errors: [...]}]` (sometimes `details` is a plain string). */
export function fieldErrors(body: unknown): FieldError[] {
  if (!isRecord(body) || !Array.isArray(body.details)) return [];
  return body.details.filter(isRecord).map((detail) => ({
    path: typeof detail.path === 'string' && detail.path !== '' ? detail.path : '/',
    errors: Array.isArray(detail.errors) ? detail.errors.map(String) : [],
  }));
}

export function blockingDeployments(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.deployments)) return [];
  return body.deployments
    .map((deployment) => (isRecord(deployment) ? deployment.id : deployment))
    .filter((id): id is string => typeof id === 'string');
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname;
  } catch {
    return url;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** One line a user can act on for every HTTP failure we know how to explain. */
export function describeHttpFailure(failure: HttpFailure): {
  message: string;
  code: string;
  details?: unknown;
  forceHint?: string;
  /** Where and why, for --verbose: the DC/OS CLI's own texts for 401 and 403 say neither. */
  debug?: string;
} {
  const { status, method, url, body } = failure;
  const reason = serverMessage(body);
  const where = `${method} ${pathOf(url)}`;
  switch (status) {
    case 401:
      return {
        code: 'unauthorized',
        message: 'authentication failed, please run `dcos auth login`',
        debug: `${where} at ${originOf(url)} answered 401${reason ? `: ${reason}` : ''}`,
      };
    case 403:
      return {
        code: 'forbidden',
        message: 'you are not authorized to perform this operation',
        debug: `${where} at ${originOf(url)} answered 403${reason ? `: ${reason}` : ''}; a cluster administrator can grant it`,
      };
    case 404:
      return { code: 'not_found', message: reason ?? `not found: ${where}` };
    case 409: {
      const deployments = blockingDeployments(body);
      if (deployments.length > 0) {
        const ids = deployments.join(', ');
        const plural = deployments.length > 1 ? 's' : '';
        return {
          code: 'conflict',
          details: { deployments },
          message:
            `blocked by deployment${plural} ${ids} in progress; wait for ${plural ? 'them' : 'it'} ` +
            `(\`dcos marathon deployment watch ${deployments[0]}\`)`,
          forceHint: ' or retry with --force',
        };
      }
      return { code: 'conflict', message: reason ?? `conflict: ${where}` };
    }
    case 400:
    case 422: {
      const fields = fieldErrors(body);
      if (fields.length > 0) {
        const listed = fields
          .map((field) => `${field.path}: ${field.errors.join(', ') || 'invalid'}`)
          .join('; ');
        return { code: 'invalid', details: { fields }, message: `${reason ?? 'invalid request'}: ${listed}` };
      }
      const detail = isRecord(body) && typeof body.details === 'string' ? `: ${body.details}` : '';
      return { code: 'invalid', message: `${reason ?? `bad request: ${where}`}${detail}` };
    }
    default:
      if (status >= 500) {
        return {
          code: 'server_error',
          message: `${originOf(url)} failed with HTTP ${status} on ${where}${reason ? ` (${reason})` : ''}; try again later`,
        };
      }
      return { code: `http_${status}`, message: `HTTP ${status} on ${where}${reason ? `: ${reason}` : ''}` };
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isRecord(current); depth++) {
    if (typeof current.code === 'string') codes.push(current.code);
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) codes.push(...errorCodes(inner));
  }
  return codes;
}

function deepestMessage(error: unknown): string {
  let current: unknown = error;
  let message = String(error);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    message = current.message;
    current = current.cause;
  }
  return message;
}

/** Turns a socket/TLS/DNS failure from undici into a NetworkError with a message saying what to do. */
export function describeNetworkFailure(error: unknown, url: string, timeoutSeconds?: number): NetworkError {
  const codes = errorCodes(error);
  const origin = originOf(url);
  const debug = `${codes.join(' <- ') || 'no code'}: ${deepestMessage(error)}`;
  const has = (...wanted: string[]) => codes.some((code) => wanted.includes(code));
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME')) {
    return new NetworkError('dns', url, `cannot resolve the host of ${origin}; check the URL`, debug, error);
  }
  if (has('ECONNREFUSED')) {
    return new NetworkError(
      'refused',
      url,
      `connection refused by ${origin}; is the service running?`,
      debug,
      error,
    );
  }
  if (codes.some((code) => TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    // The DC/OS CLI's two lines, word for word; what failed, and for whom, is the --verbose detail.
    const failure = new NetworkError(
      'tls',
      url,
      "An SSL error occurred. To configure your SSL settings, please run: 'dcos config set core.ssl_verify <value>'",
      `TLS verification failed for ${origin} (${debug}); pass the cluster's CA with --ca-certs, or ` +
        '`dcos config set core.ssl_verify <ca-file>` (--insecure skips verification)',
      error,
    );
    failure.moreLines.push(
      '<value>: Whether to verify SSL certs for HTTPS or path to certs. Valid values are a path to a CA_BUNDLE, ' +
        'True (will then use system CA certificates), or False (will then send insecure requests).',
    );
    return failure;
  }
  if (has('UND_ERR_CONNECT_TIMEOUT')) {
    return new NetworkError('connect_timeout', url, `timed out connecting to ${origin}`, debug, error);
  }
  if (has('UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'TimeoutError', 'ABORT_ERR')) {
    return timeoutFailure(url, timeoutSeconds, debug, error);
  }
  if (has('ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED')) {
    return new NetworkError('reset', url, `connection to ${origin} was closed unexpectedly`, debug, error);
  }
  return new NetworkError('network', url, `cannot reach ${origin}: ${deepestMessage(error)}`, debug, error);
}

/** The exchange with `url` ran out of time (core.timeout covers connecting, waiting, the body and retries). */
export function timeoutFailure(
  url: string,
  timeoutSeconds?: number,
  debug?: string,
  cause?: unknown,
): NetworkError {
  // Whole seconds normally (core.timeout is in seconds); one decimal for sub-second test/probe timeouts.
  const after = timeoutSeconds === undefined ? '' : ` after ${Math.round(timeoutSeconds * 10) / 10}s`;
  return new NetworkError(
    'timeout',
    url,
    `request to ${originOf(url)}${pathOf(url)} timed out${after}; raise core.timeout if the cluster is slow`,
    debug,
    cause,
  );
}

/** A success whose body is more than the CLI will hold in memory (core.max_response_bytes). */
export function responseTooLarge(url: string, limitBytes: number): DcosError {
  return new DcosError(
    `the response from ${url} is larger than ${formatSize(limitBytes)}; ` +
      'raise core.max_response_bytes if an answer this large is expected',
    { code: 'response_too_large', details: { url, limitBytes } },
  );
}

/**
 * A success that is not the JSON the caller needs: most often a login page or a proxy answering for the
 * service, which must not pass for an empty result or a created deployment.
 */
export function unexpectedBody(url: string, service: string | undefined, got: string): DcosError {
  return new DcosError(`expected JSON from ${service ? `${service} at ` : ''}${url}, got ${got}`, {
    code: 'invalid_response',
    details: { url },
  });
}
