/**
 * What may reach haproxy.cfg from an app. HAProxy has no escaping worth relying on: a newline starts a new
 * directive, `#` starts a comment, an unbalanced quote breaks the parser for the whole file, a space splits a
 * word into two arguments. So every value is checked against the narrow shape its place in the config needs,
 * and anything else drops the app (with the reason) rather than being "cleaned" into something unintended.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A value that cannot go into the config; the message names what is wrong, never echoes raw control bytes. */
export class UnsafeValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeValueError';
  }
}

/** Shows a value in a message: JSON-escaped (newlines as \n) and cut to a readable length. */
export function printable(value: string, max = 60): string {
  const shown = JSON.stringify(value.length > max ? `${value.slice(0, max)}...` : value);
  return shown;
}

/** Why `value` is not printable ASCII text, or undefined when it is. */
function controlProblem(value: string, allowNewlines = false): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 10 && allowNewlines) continue;
    if (c === 9 && allowNewlines) continue;
    if (c === 10 || c === 13) return 'contains a line break';
    if (c < 32 || c === 127) return `contains the control character U+${c.toString(16).padStart(4, '0')}`;
    if (c > 126) return 'contains a non-ASCII character';
  }
  return undefined;
}

/** Does every quote in the line close (HAProxy's rules: `\` escapes outside single quotes)? */
export function quotesBalanced(line: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      return true;
    }
  }
  return quote === undefined;
}

function check(value: string, what: string, pattern: RegExp, shape: string): string {
  const problem = controlProblem(value);
  if (problem) throw new UnsafeValueError(`${what} ${problem}`);
  if (value.includes('#')) throw new UnsafeValueError(`${what} contains '#', which would start a comment`);
  if (/["'\\]/.test(value)) throw new UnsafeValueError(`${what} contains a quote or backslash`);
  if (!pattern.test(value)) throw new UnsafeValueError(`${what} must be ${shape}, not ${printable(value)}`);
  return value;
}

const APP_ID = /^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const HOSTNAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/;
const PATH_WORD = /^[A-Za-z0-9._~/%!$&()*+,;=:@-]+$/;

/** Marathon's app id, absolute; Marathon itself allows only [a-z0-9.-] segments, this a little more. */
export function appIdValue(id: unknown): string {
  if (typeof id !== 'string' || id === '') throw new UnsafeValueError('app has no id');
  check(id, 'app id', APP_ID, 'slash-separated words of letters, digits, ".", "-" and "_"');
  return id.startsWith('/') ? id : `/${id}`;
}

/** `HAPROXY_{n}_VHOST`: comma-separated host names, lower-cased, duplicates removed, order kept. */
export function vhostsValue(value: string, what: string): string[] {
  const hosts: string[] = [];
  for (const part of value.split(',')) {
    const host = part.trim().toLowerCase();
    if (host === '') continue;
    check(host, what, HOSTNAME, 'comma-separated host names');
    if (host.length > 253) throw new UnsafeValueError(`${what} has a host name longer than 253 characters`);
    if (!hosts.includes(host)) hosts.push(host);
  }
  if (hosts.length === 0) throw new UnsafeValueError(`${what} names no host`);
  return hosts;
}

/**
 * `HAPROXY_{n}_PATH`: the words after `path_beg` (so `-i /a /b` works), single spaces between them. The only
 * flag is `-i`: `-f`/`-M` would make HAProxy read a file of the app's choosing, `-m` change the match.
 */
export function pathValue(value: string, what: string): string {
  const words = value.trim().split(/ +/);
  if (words.length === 0 || words[0] === '') throw new UnsafeValueError(`${what} is empty`);
  for (const word of words) {
    check(word, what, PATH_WORD, 'path prefixes and path_beg flags like -i');
    if (word !== '-i' && !word.startsWith('/')) {
      throw new UnsafeValueError(`${what} must be paths starting with / (and -i), not ${printable(word)}`);
    }
  }
  return words.join(' ');
}

export function modeValue(value: string, what: string): 'http' | 'tcp' {
  const mode = value.trim().toLowerCase();
  if (mode !== 'http' && mode !== 'tcp') {
    controlProblemOrThrow(value, what);
    throw new UnsafeValueError(`${what} must be http or tcp, not ${printable(value)}`);
  }
  return mode;
}

function controlProblemOrThrow(value: string, what: string): void {
  const problem = controlProblem(value);
  if (problem) throw new UnsafeValueError(`${what} ${problem}`);
}

export function portValue(value: string, what: string): number {
  check(value.trim(), what, /^\d{1,5}$/, 'a port number');
  const port = Number(value.trim());
  if (port < 1 || port > 65535) throw new UnsafeValueError(`${what} must be a port from 1 to 65535`);
  return port;
}

export function integerValue(value: string, what: string): number {
  check(value.trim(), what, /^-?\d{1,9}$/, 'an integer');
  return Number(value.trim());
}

/** marathon-lb's booleans: true/t/yes/y; here false/f/no/n/0/1 too, anything else is a mistake worth reporting. */
export function booleanValue(value: string, what: string): boolean {
  const word = value.trim().toLowerCase();
  if (['true', 't', 'yes', 'y', '1'].includes(word)) return true;
  if (['false', 'f', 'no', 'n', '0', ''].includes(word)) return false;
  controlProblemOrThrow(value, what);
  throw new UnsafeValueError(`${what} must be true or false, not ${printable(value)}`);
}

/**
 * `--bind-address`: one address token from the operator (`*`, an IPv4/IPv6 address, a host name, or HAProxy's
 * `ipv4@`-style prefixes).
 */
export function bindAddrValue(value: string, what: string): string {
  return check(value.trim(), what, /^[A-Za-z0-9.:*_@/[\]-]+$/, 'one address such as 127.0.0.1 or *');
}

/**
 * `_BIND_ADDR` from an app: `*`, an IPv4 or IPv6 address, or a host name. Not HAProxy's `unix@`, `abns@`,
 * `fd@`, `sockpair@`, `ipv4@`... prefixes (a socket made where the app says, as HAProxy's user, or a descriptor
 * HAProxy inherited), not an IPv6 zone (an interface), and not the short or octal IPv4 forms HAProxy also
 * takes (`127.1`, `0177.0.0.1`), which would hide from the port-conflict check which address is meant.
 */
export function appBindAddrValue(value: string, what: string): string {
  const address = value.trim();
  controlProblemOrThrow(address, what);
  if (address === '*') return address;
  const bracketed = address.startsWith('[') && address.endsWith(']');
  const bare = bracketed ? address.slice(1, -1) : address;
  if (isIPv4(bare) && !bracketed) return address;
  if (isIPv6(bare) && !bare.includes('%') && !bare.includes('.')) return address;
  const lastLabel = address.split('.').pop()!;
  if (
    !bracketed &&
    address.length <= 253 &&
    HOSTNAME.test(address.toLowerCase()) &&
    !/^(\d+|0x[0-9a-f]*)$/i.test(lastLabel)
  ) {
    return address;
  }
  throw new UnsafeValueError(`${what} must be *, an IP address or a host name, not ${printable(value)}`);
}

/** `_SSL_CERT`: one file path (HAProxy would split a path with spaces into two arguments). */
export function certPathValue(value: string, what: string): string {
  return check(value.trim(), what, /^[A-Za-z0-9._/@:+=,~-]+$/, 'one certificate path without spaces');
}

/** `_BALANCE`: an algorithm and its arguments, e.g. `leastconn`, `url_param userid`, `hdr(host)`. */
export function balanceValue(value: string, what: string): string {
  return check(
    value.trim(),
    what,
    /^[a-z][a-z0-9_-]*(\([A-Za-z0-9_.-]*\))?( [A-Za-z0-9_.,=()-]+)*$/,
    'a balance algorithm such as roundrobin or leastconn',
  );
}

/** What a bind option's argument must look like, and an example for the message. */
interface OptionArgument {
  shape: RegExp;
  example: string;
}

const COUNT: OptionArgument = { shape: /^[1-9]\d{0,6}$/, example: '1000' };
const TLS_VERSION: OptionArgument = { shape: /^TLSv1\.[23]$/, example: 'TLSv1.2' };

/**
 * The bind options an app may set, and each one's argument (null: a flag). Each changes only how the app's own
 * listener accepts connections. Left out on purpose: anything naming a file (`crt`, `crt-list`, `ca-file`,
 * `crl-file`, `ca-sign-file`, and `ssl`, which only `_SSL_CERT` turns on, from an allowed directory); the
 * socket and admin options (`expose-fd`, `level`, `user`, `group`, `uid`, `gid`, `mode`); where the socket
 * lives or who else sees it (`namespace`, `interface`, `transparent`, which binds addresses the host does not
 * own, `process`, `thread`, `name`, `id`, `nice`); and TLS settings that would weaken the operator's policy
 * (`ciphers`, `allow-0rtt`, TLS below 1.2).
 */
export const APP_BIND_OPTIONS: Readonly<Record<string, OptionArgument | null>> = {
  'accept-proxy': null,
  'defer-accept': null,
  tfo: null,
  v4v6: null,
  v6only: null,
  'strict-sni': null,
  'no-tls-tickets': null,
  'prefer-client-ciphers': null,
  maxconn: COUNT,
  backlog: COUNT,
  mss: { shape: /^[1-9]\d{0,4}$/, example: '1400' },
  alpn: { shape: /^[a-z0-9./-]+(,[a-z0-9./-]+)*$/, example: 'h2,http/1.1' },
  'ssl-min-ver': TLS_VERSION,
  'ssl-max-ver': TLS_VERSION,
};

/** `_BIND_OPTIONS`: words from APP_BIND_OPTIONS, each followed by its argument when it takes one. */
export function bindOptionsValue(value: string, what: string): string {
  const trimmed = value.trim();
  controlProblemOrThrow(trimmed, what);
  const words = trimmed.split(/\s+/).filter((word) => word !== '');
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!Object.hasOwn(APP_BIND_OPTIONS, word)) {
      throw new UnsafeValueError(
        `${what}: ${printable(word)} is not a bind option apps may set (allowed: ${Object.keys(APP_BIND_OPTIONS).join(', ')})`,
      );
    }
    const argument = APP_BIND_OPTIONS[word];
    if (!argument) continue;
    const given = words[++i];
    if (given === undefined || !argument.shape.test(given)) {
      const found = given === undefined ? '' : `, not ${printable(given)}`;
      throw new UnsafeValueError(`${what}: ${word} needs a value like ${argument.example}${found}`);
    }
  }
  return words.join(' ');
}

/** `HAPROXY_GROUP`, `HAPROXY_{n}_GROUP`: comma-separated group names. */
export function groupsValue(value: string, what: string): string[] {
  const groups = value
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
  for (const group of groups) check(group, what, /^[A-Za-z0-9_.*-]+$/, 'comma-separated group names');
  return groups;
}

/** A Marathon health check's `path`: one word starting with `/`. */
export function healthPathValue(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new UnsafeValueError(`${what} must be a string`);
  return check(value, what, /^\/[A-Za-z0-9._~/%!$&()*+,;=:@?-]*$/, 'a URL path starting with /');
}

/** Task host or IP address as Marathon reports it. */
export function taskHostValue(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9._:-]+$/.test(value)) return undefined;
  return value;
}

const SECTION_KEYWORDS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'userlist',
  'peers',
  'resolvers',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
  'fcgi-app',
  'log-forward',
  'crt-store',
  'traces',
]);

/** A directive keyword HAProxy reads as written: it strips quotes and decodes `\xNN` in keywords too. */
const PLAIN_KEYWORD = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Where an app's label template goes, which decides what its text may do. */
export interface AppTemplatePlace {
  /** The section the template opens (FRONTEND_HEAD: `frontend <backend>`, BACKEND_HEAD: `backend <backend>`). */
  opens: { keyword: 'frontend' | 'backend'; name: string } | undefined;
  /** The app's own backend for this service port: the only one its rules may route to. */
  backend: string;
  /** The service's bind lines as the operator's FRONTEND_HEAD writes them (words joined by one space). */
  binds: () => ReadonlySet<string>;
}

/**
 * Text an app's label template rendered: it stays inside the app's own section. Control characters and
 * unbalanced quotes are refused. Every directive starts with a plain keyword, so a quoted `"listen"` or a
 * `.if` block cannot hide from the checks that follow: a section keyword may only open the section the
 * template itself opens, so a label cannot start a `global` or a frontend on another port; a `bind` may only
 * repeat the service's own (another bind on a shared port would take a share of its connections); and
 * `use_backend`/`default_backend` may only name the app's own backend.
 */
export function checkLabelTemplateOutput(text: string, what: string, place: AppTemplatePlace): void {
  const problem = controlProblem(text, true);
  if (problem) throw new UnsafeValueError(`${what} ${problem}`);
  const { opens } = place;
  let opened = 0;
  for (const line of text.split('\n')) {
    if (!quotesBalanced(line)) throw new UnsafeValueError(`${what} has an unbalanced quote`);
    const words = line.trim().split(/\s+/);
    const keyword = words[0]!;
    if (keyword === '' || keyword.startsWith('#')) continue;
    if (!PLAIN_KEYWORD.test(keyword)) {
      throw new UnsafeValueError(`${what} has a directive ${printable(keyword)} that is not a plain word`);
    }
    if (SECTION_KEYWORDS.has(keyword)) {
      if (
        !opens ||
        keyword !== opens.keyword ||
        words[1] !== opens.name ||
        words.length !== 2 ||
        opened > 0
      ) {
        throw new UnsafeValueError(`${what} opens a '${keyword}' section, which an app label may not do`);
      }
      opened++;
    } else if (keyword === 'bind' && !place.binds().has(words.join(' '))) {
      throw new UnsafeValueError(
        `${what} binds ${printable(words.slice(1).join(' '))}; an app may only repeat its own bind (${[...place.binds()].join(', ') || 'none'})`,
      );
    } else if ((keyword === 'use_backend' || keyword === 'default_backend') && words[1] !== place.backend) {
      throw new UnsafeValueError(
        `${what} routes to ${printable(words[1] ?? '')}; an app may only route to its own backend ${place.backend}`,
      );
    }
  }
  if (opens && opened === 0) {
    throw new UnsafeValueError(`${what} must open the section '${opens.keyword} ${opens.name}'`);
  }
}
