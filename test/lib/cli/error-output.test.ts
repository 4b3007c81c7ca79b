import { describe, expect, it } from 'vitest';

import { renderError } from '../../../src/lib/cli/error-output.js';
import { ConfigError, DcosError, InterruptedError, UsageError } from '../../../src/lib/errors.js';
import { HttpError } from '../../../src/lib/http/errors.js';

const human = { json: false, verbose: false };
const json = { json: true, verbose: false };

describe('renderError', () => {
  it('maps our error classes to exit codes 1, 2 and 130', () => {
    expect(renderError(new DcosError('boom'), human).exitCode).toBe(1);
    expect(renderError(new ConfigError('bad file'), human).exitCode).toBe(1);
    expect(renderError(new UsageError('bad flag'), human).exitCode).toBe(1);
    expect(renderError(new InterruptedError(), human).exitCode).toBe(130);
  });

  it('treats oclif parser errors as usage errors, and the not-found plugin exit 127 as 2', () => {
    const parser = Object.assign(new Error('Nonexistent flag: --nope\nSee more help with --help'), {
      oclif: { exit: 2 },
    });
    expect(renderError(parser, human)).toEqual({ exitCode: 1, text: 'Error: Nonexistent flag: --nope\n' });
    const notFound = Object.assign(new Error('Run dcos help'), { oclif: { exit: 127 } });
    expect(renderError(notFound, human).exitCode).toBe(1);
  });

  it('prints one line without a stack unless --verbose', () => {
    const error = new DcosError('connection refused by http://127.0.0.1:9', { debug: 'ECONNREFUSED' });
    const plain = renderError(error, human).text;
    expect(plain).toBe('Error: connection refused by http://127.0.0.1:9\n');
    const verbose = renderError(error, { json: false, verbose: true }).text;
    expect(verbose).toContain('detail: ECONNREFUSED');
    expect(verbose).toMatch(/\n\s+at /);
  });

  it('renders --json errors as one JSON object with code, message and details', () => {
    const conflict = new HttpError({
      status: 409,
      method: 'PUT',
      url: 'http://m/v2/apps/web',
      body: { message: 'App is locked', deployments: [{ id: 'd-1' }] },
    });
    const { text, exitCode } = renderError(conflict, { ...json, canForce: true });
    expect(exitCode).toBe(1);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(1);
    const parsed = JSON.parse(text) as { error: { code: string; message: string; details: unknown } };
    expect(parsed.error.code).toBe('conflict');
    expect(parsed.error.message).toContain('--force');
    expect(parsed.error.details).toEqual({ deployments: ['d-1'] });
  });

  it('advises --force on a 409 only to a command that takes --force', () => {
    const conflict = new HttpError({
      status: 409,
      method: 'GET',
      url: 'http://m/v2/apps',
      body: { message: 'locked', deployments: [{ id: 'd-1' }] },
    });
    const advice = 'or retry with --force';
    expect(renderError(conflict, { ...human, canForce: true }).text).toContain(advice);
    expect(renderError(conflict, human).text).toBe(
      'Error: blocked by deployment d-1 in progress; wait for it (`dcos marathon deployment watch d-1`)\n',
    );
    expect(JSON.parse(renderError(conflict, json).text).error.message).not.toContain('--force');
  });

  it('shows control characters from a server escaped: one line, no terminal codes', () => {
    const hostile = new HttpError({
      status: 422,
      method: 'POST',
      url: 'http://m/v2/apps',
      body: {
        message: 'Object is not valid\n\u001b[31mError: fake second line\u001b[0m',
        details: [{ path: '/id\r', errors: ['bad\u0007', '\u009b2J\u202eevil'] }],
      },
    });
    const { text } = renderError(hostile, human);
    expect(text).toBe(
      'Error: Object is not valid\\n\\x1b[31mError: fake second line\\x1b[0m: ' +
        '/id\\r: bad\\x07, \\x9b2J\\u202eevil\n',
    );
    // eslint-disable-next-line no-control-regex
    expect(text.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    const verbose = renderError(hostile, { json: false, verbose: true }).text;
    expect(verbose).not.toContain('\u001b');
    // --json was escaped by JSON already and stays byte for byte what JSON.stringify gives.
    const parsed = JSON.parse(renderError(hostile, json).text) as { error: { message: string } };
    expect(parsed.error.message).toBe(hostile.message);
  });

  it('labels unexpected exceptions as internal errors', () => {
    const { text, exitCode } = renderError(
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      human,
    );
    expect(exitCode).toBe(1);
    expect(text).toMatch(/^Error: internal error: .*--verbose/);
  });
});
