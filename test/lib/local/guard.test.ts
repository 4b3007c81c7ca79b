import { describe, expect, it } from 'vitest';

import { checkRequest, MAX_BODY_BYTES, presentedToken } from '../../../src/lib/local/guard.js';

const port = 4321;
const token = 'A'.repeat(43);
const ok = { host: `127.0.0.1:${port}`, authorization: `token=${token}` };
const verdict = (method: string, url: string, headers: Record<string, string>, auth = true) =>
  checkRequest({ method, url, headers }, { port, token: auth ? token : undefined })?.status;

describe('checkRequest', () => {
  it('lets through a request from this CLI: own host, token, JSON', () => {
    expect(verdict('GET', '/service/marathon/v2/apps', ok)).toBeUndefined();
    expect(
      verdict('POST', '/service/marathon/v2/apps', {
        ...ok,
        'content-type': 'application/json; charset=utf-8',
        'content-length': '20',
      }),
    ).toBeUndefined();
    expect(
      verdict('POST', '/service/marathon/v2/apps/x/restart', { ...ok, 'content-length': '0' }),
    ).toBeUndefined();
    expect(verdict('DELETE', '/service/marathon/v2/apps/x', ok)).toBeUndefined();
  });

  it('names the daemon only by loopback names with its port', () => {
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `LocalHost:${port}`]) {
      expect(verdict('GET', '/', { ...ok, host }), host).toBeUndefined();
    }
    for (const host of [
      'localhost',
      `127.0.0.2:${port}`,
      `evil.example:${port}`,
      `127.0.0.1:${port}.evil`,
      '',
    ]) {
      expect(verdict('GET', '/', { ...ok, host }), host).toBe(403);
    }
    expect(checkRequest({ method: 'GET', url: '/', headers: {} }, { port, token })?.status).toBe(403);
  });

  it('refuses any Origin but its own, before asking for the token', () => {
    expect(verdict('GET', '/', { ...ok, origin: `http://127.0.0.1:${port}` })).toBeUndefined();
    for (const origin of [
      'null',
      'http://evil.example',
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port}.evil.example`,
    ]) {
      expect(verdict('GET', '/', { host: ok.host, origin }), origin).toBe(403);
    }
  });

  it('asks for the token everywhere but the DC/OS version document', () => {
    expect(verdict('GET', '/service/marathon/v2/apps', { host: ok.host })).toBe(401);
    expect(verdict('GET', '/dcos-metadata/dcos-version.json', { host: ok.host })).toBeUndefined();
    expect(verdict('POST', '/dcos-metadata/dcos-version.json', { host: ok.host })).toBe(401);
    expect(verdict('GET', '/dcos-metadata/dcos-version.json?x', { host: ok.host })).toBeUndefined();
    expect(verdict('GET', '/service/marathon/v2/apps', { host: ok.host }, false)).toBeUndefined();
    const refusal = checkRequest({ method: 'GET', url: '/', headers: { host: ok.host } }, { port, token });
    expect(refusal).toMatchObject({ status: 401, headers: { 'www-authenticate': 'oauthjwt' } });
    expect(JSON.stringify(refusal)).not.toContain(token);
  });

  it('wants a JSON type on writes with a body, and leaves Cosmos RPCs their own 415', () => {
    const body = { 'content-length': '10' };
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
    ]) {
      expect(
        verdict('POST', '/service/marathon/v2/apps', { ...ok, ...body, 'content-type': type }),
        type,
      ).toBe(415);
    }
    expect(verdict('PUT', '/service/marathon/v2/apps/x', { ...ok, ...body })).toBe(415);
    expect(verdict('PATCH', '/service/marathon/v2/apps/x', { ...ok, 'transfer-encoding': 'chunked' })).toBe(
      415,
    );
    expect(
      verdict('POST', '/package/install', {
        ...ok,
        ...body,
        'content-type': 'application/vnd.dcos.package.install-request+json;charset=utf-8;version=v1',
      }),
    ).toBeUndefined();
    expect(
      verdict('POST', '/package/install', { ...ok, ...body, 'content-type': 'text/plain' }),
    ).toBeUndefined();
    expect(
      verdict('GET', '/service/marathon/v2/apps', { ...ok, 'content-type': 'text/plain' }),
    ).toBeUndefined();
  });

  it('answers 400 to a path that does not decode and 413 to a declared body over the limit', () => {
    expect(verdict('GET', '/service/marathon/v2/apps/%zz', ok)).toBe(400);
    expect(verdict('GET', '/service/marathon/v2/apps/%C3%28', ok)).toBe(400);
    expect(verdict('GET', '/service/marathon/v2/apps/%2Fa?q=%zz', ok)).toBeUndefined();
    const json = { ...ok, 'content-type': 'application/json' };
    expect(
      verdict('POST', '/service/marathon/v2/apps', { ...json, 'content-length': String(MAX_BODY_BYTES) }),
    ).toBeUndefined();
    expect(
      verdict('POST', '/service/marathon/v2/apps', { ...json, 'content-length': String(MAX_BODY_BYTES + 1) }),
    ).toBe(413);
  });
});

describe('presentedToken', () => {
  it('reads token=, Bearer and the password of basic auth', () => {
    expect(presentedToken(`token=${token}`)).toBe(token);
    expect(presentedToken(`Bearer ${token}`)).toBe(token);
    expect(presentedToken(`Basic ${Buffer.from(`any:${token}`).toString('base64')}`)).toBe(token);
    expect(presentedToken(`Basic ${Buffer.from(token).toString('base64')}`)).toBeUndefined();
    expect(presentedToken('Digest x')).toBeUndefined();
    expect(presentedToken(undefined)).toBeUndefined();
  });
});
