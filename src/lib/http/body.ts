/**
 * What a response body holds for the caller: the JSON it needs, the text it asked for, or the reason it is
 * neither. Pure, so every hostile answer (a login page, an empty 200, a mislabelled body) is testable alone.
 */
import type { Readable } from 'node:stream';

/** Frees the connection; undici reports destroying an unread body as an error nobody must see. */
export function releaseBody(body: Readable): void {
  if (!body.destroyed) body.on('error', () => undefined).destroy();
}

/**
 * `json`: a success must be JSON (the default: the CLI talks to REST APIs); `text`: the body as it came (a
 * CA certificate, a definition fetched from a URL); `any`: JSON when it looks like JSON, else the text.
 */
export type BodyExpectation = 'json' | 'text' | 'any';

export type DecodedBody = { value: unknown } | { problem: string };

/** `Application/JSON; charset=utf-8` -> `application/json`; undefined when there is no usable type. */
export function mediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/** `application/json` and the types built on it (Cosmos's `application/vnd.dcos...+json`). */
export function isJsonMediaType(type: string | undefined): boolean {
  return type !== undefined && type.includes('json');
}

function parsed(text: string): DecodedBody {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: `invalid JSON (${(error as Error).message})` };
  }
}

/**
 * `emptyAllowed`: an empty body stands for "nothing to say" (204, a HEAD, most writes) rather than for an
 * answer that went missing (a GET).
 */
export function decodeBody(
  text: string,
  contentType: string | undefined,
  expect: BodyExpectation,
  emptyAllowed: boolean,
): DecodedBody {
  if (expect === 'text') return { value: text };
  const type = mediaType(contentType);
  if (text === '')
    return emptyAllowed || expect === 'any' ? { value: undefined } : { problem: 'an empty body' };
  if (isJsonMediaType(type)) return parsed(text);
  if (expect === 'any') {
    const json = /^\s*[[{]/.test(text) ? parsed(text) : undefined;
    return json && 'value' in json ? json : { value: text };
  }
  if (type !== undefined && /html/.test(type))
    return { problem: `${type}: a login page or proxy in the way?` };
  // A server that labels its JSON text/plain, or not at all, still answered what was asked.
  const json = parsed(text);
  return 'value' in json ? json : { problem: type ?? 'a body with no Content-Type' };
}
