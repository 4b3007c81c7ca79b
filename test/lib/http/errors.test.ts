import { describe, expect, it } from 'vitest';

import { DcosError } from '../../../src/lib/errors.js';
import {
  blockingDeployments,
  describeHttpFailure,
  describeNetworkFailure,
  fieldErrors,
  HttpError,
  NetworkError,
  serverMessage,
} from '../../../src/lib/http/errors.js';

const URL_ = 'https://dcos.example.test/service/marathon/v2/apps/web?force=false';

function failure(status: number, body: unknown, method = 'PUT') {
  return { status, method, url: URL_, body };
}

describe('describeHttpFailure', () => {
  it("401 is the DC/OS CLI's line; where and why are the --verbose detail", () => {
    const described = describeHttpFailure(
      failure(401, { title: 'Unauthorized', description: 'token expired' }),
    );
    expect(described.code).toBe('unauthorized');
    expect(described.message).toBe('authentication failed, please run `dcos auth login`');
    expect(described.debug).toBe(
      'PUT /service/marathon/v2/apps/web at https://dcos.example.test answered 401: token expired',
    );
    expect(describeHttpFailure(failure(401, '')).message).toBe(
      'authentication failed, please run `dcos auth login`',
    );
  });

  it("403 is the DC/OS CLI's line; the server's reason is the --verbose detail", () => {
    const described = describeHttpFailure(failure(403, { message: 'no access to /prod' }));
    expect(described).toMatchObject({
      code: 'forbidden',
      message: 'you are not authorized to perform this operation',
    });
    expect(described.debug).toContain('answered 403: no access to /prod');
  });

  it('404 uses the server message when there is one', () => {
    expect(describeHttpFailure(failure(404, { message: "App '/web' does not exist" })).message).toBe(
      "App '/web' does not exist",
    );
    expect(describeHttpFailure(failure(404, '<html>Not Found</html>', 'GET')).message).toBe(
      'not found: GET /service/marathon/v2/apps/web',
    );
  });

  it('409 from Marathon names the blocking deployments; --force is advice kept apart for commands that take it', () => {
    const body = {
      message:
        "App is locked by one or more deployments. Override with the option '?force=true'. " +
        "View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
      deployments: [{ id: 'd1' }, { id: 'd2' }],
    };
    const described = describeHttpFailure(failure(409, body));
    expect(described.code).toBe('conflict');
    expect(described.details).toEqual({ deployments: ['d1', 'd2'] });
    expect(described.message).toContain('d1');
    expect(described.message).toContain('d2');
    expect(described.message).toBe(
      'blocked by deployments d1, d2 in progress; wait for them (`dcos marathon deployment watch d1`)',
    );
    expect(described.forceHint).toBe(' or retry with --force');
    expect(describeHttpFailure(failure(409, { deployments: [{ id: 'only' }] })).message).toBe(
      'blocked by deployment only in progress; wait for it (`dcos marathon deployment watch only`)',
    );
  });

  it('409 without deployments falls back to the server message', () => {
    const described = describeHttpFailure(failure(409, { message: 'An app with id [/web] already exists.' }));
    expect(described).toEqual({ code: 'conflict', message: 'An app with id [/web] already exists.' });
  });

  it('422 from Marathon lists every path and message on one line, with details.fields', () => {
    const body = {
      message: 'Object is not valid',
      details: [
        { path: '/id', errors: ['error.pattern'] },
        { path: '/cpus', errors: ['must be >= 0'] },
      ],
    };
    const described = describeHttpFailure(failure(422, body, 'POST'));
    expect(described.code).toBe('invalid');
    expect(described.message).toBe('Object is not valid: /id: error.pattern; /cpus: must be >= 0');
    expect(described.message).not.toContain('\n');
    expect(described.details).toEqual({
      fields: [
        { path: '/id', errors: ['error.pattern'] },
        { path: '/cpus', errors: ['must be >= 0'] },
      ],
    });
  });

  it('400 with details as a plain string appends it', () => {
    const described = describeHttpFailure(
      failure(400, { message: 'Invalid JSON', details: "Unexpected character ('}') at line 1" }),
    );
    expect(described).toEqual({
      code: 'invalid',
      message: "Invalid JSON: Unexpected character ('}') at line 1",
    });
  });

  it('400 with field errors but no message, and with neither', () => {
    expect(describeHttpFailure(failure(400, { details: [{ path: '', errors: [] }] })).message).toBe(
      'invalid request: /: invalid',
    );
    expect(describeHttpFailure(failure(400, '')).message).toBe(
      'bad request: PUT /service/marathon/v2/apps/web',
    );
  });

  it('5xx names the origin, the status and suggests trying later', () => {
    const described = describeHttpFailure(failure(503, { message: 'no leader' }, 'GET'));
    expect(described.code).toBe('server_error');
    expect(described.message).toBe(
      'https://dcos.example.test failed with HTTP 503 on GET /service/marathon/v2/apps/web (no leader); try again later',
    );
    // An HTML error page from a proxy is not worth quoting.
    expect(describeHttpFailure(failure(502, '<html><body>Bad Gateway</body></html>')).message).toBe(
      'https://dcos.example.test failed with HTTP 502 on PUT /service/marathon/v2/apps/web; try again later',
    );
  });

  it('other statuses get a generic code', () => {
    expect(describeHttpFailure(failure(418, 'short and stout'))).toEqual({
      code: 'http_418',
      message: 'HTTP 418 on PUT /service/marathon/v2/apps/web: short and stout',
    });
  });
});

describe('HttpError', () => {
  it('carries the rendered message, code, details and the raw failure', () => {
    const body = { message: 'Object is not valid', details: [{ path: '/id', errors: ['error.pattern'] }] };
    const error = new HttpError(failure(422, body));
    expect(error).toBeInstanceOf(DcosError);
    expect(error.name).toBe('HttpError');
    expect(error.message).toBe('Object is not valid: /id: error.pattern');
    expect(error.code).toBe('invalid');
    expect(error.exitCode).toBe(1);
    expect(error.details).toEqual({ fields: [{ path: '/id', errors: ['error.pattern'] }] });
    expect(error).toMatchObject({ status: 422, method: 'PUT', url: URL_, body });
  });
});

describe('body helpers', () => {
  it('serverMessage reads message, description, title or error, and short plain text', () => {
    expect(serverMessage({ message: ' m ' })).toBe('m');
    expect(serverMessage({ description: 'd', title: 't' })).toBe('d');
    expect(serverMessage({ title: 't' })).toBe('t');
    expect(serverMessage({ error: 'e' })).toBe('e');
    expect(serverMessage({ message: '' })).toBeUndefined();
    expect(serverMessage('first line\nsecond')).toBe('first line');
    expect(serverMessage('x'.repeat(301))).toBeUndefined();
    expect(serverMessage('<!DOCTYPE html>')).toBeUndefined();
    expect(serverMessage([1])).toBeUndefined();
  });

  it('fieldErrors and blockingDeployments tolerate odd shapes', () => {
    expect(fieldErrors({ details: 'text' })).toEqual([]);
    expect(fieldErrors({ details: [null, { path: '/x', errors: [1, 'b'] }] })).toEqual([
      { path: '/x', errors: ['1', 'b'] },
    ]);
    expect(blockingDeployments({ deployments: ['plain-id', { id: 'obj-id' }, { id: 5 }] })).toEqual([
      'plain-id',
      'obj-id',
    ]);
    expect(blockingDeployments(null)).toEqual([]);
  });
});

describe('describeNetworkFailure', () => {
  const url = 'https://dcos.example.test:8443/mesos/state';

  function coded(code: string, cause?: unknown): Error {
    return Object.assign(new Error(`failed with ${code}`, cause === undefined ? undefined : { cause }), {
      code,
    });
  }

  it.each([
    ['ENOTFOUND', 'dns', 'cannot resolve the host of https://dcos.example.test:8443; check the URL'],
    [
      'ECONNREFUSED',
      'refused',
      'connection refused by https://dcos.example.test:8443; is the service running?',
    ],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect_timeout', 'timed out connecting to https://dcos.example.test:8443'],
    ['ECONNRESET', 'reset', 'connection to https://dcos.example.test:8443 was closed unexpectedly'],
    ['UND_ERR_SOCKET', 'reset', 'connection to https://dcos.example.test:8443 was closed unexpectedly'],
  ])('maps %s to kind %s', (code, kind, message) => {
    const error = describeNetworkFailure(coded(code), url);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.kind).toBe(kind);
    expect(error.message).toBe(message);
    expect(error.url).toBe(url);
    expect(error.details).toEqual({ url });
    expect(error.debug).toBe(`${code}: failed with ${code}`);
  });

  it('finds codes in the cause chain and in AggregateErrors', () => {
    const wrapped = new TypeError('fetch failed', { cause: coded('ECONNREFUSED') });
    expect(describeNetworkFailure(wrapped, url).kind).toBe('refused');
    const aggregate = new AggregateError([coded('ETIMEDOUT'), coded('ECONNREFUSED')], 'all failed');
    expect(describeNetworkFailure(aggregate, url).kind).toBe('refused');
  });

  it('maps certificate errors to kind tls; the --verbose detail points at --ca-certs', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      const error = describeNetworkFailure(coded(code), url);
      expect(error.kind).toBe('tls');
      expect(error.code).toBe('network_tls');
      expect(error.debug).toContain('--ca-certs');
      expect(error.debug).toContain('https://dcos.example.test:8443');
    }
  });

  it('reports timeouts with the configured duration', () => {
    expect(describeNetworkFailure(coded('UND_ERR_HEADERS_TIMEOUT'), url, 180).message).toBe(
      'request to https://dcos.example.test:8443/mesos/state timed out after 180s; raise core.timeout if the cluster is slow',
    );
    expect(describeNetworkFailure(coded('UND_ERR_BODY_TIMEOUT'), url, 0.25).message).toContain('after 0.3s;');
    expect(describeNetworkFailure(coded('UND_ERR_BODY_TIMEOUT'), url).message).toContain('timed out;');
  });

  it('falls back to kind network with the innermost reason', () => {
    const error = describeNetworkFailure(new Error('outer', { cause: new Error('inner reason') }), url);
    expect(error.kind).toBe('network');
    expect(error.code).toBe('network');
    expect(error.message).toBe('cannot reach https://dcos.example.test:8443: inner reason');
    expect(error.debug).toBe('no code: inner reason');
  });
});
