/**
 * DNS label sanitisers of Mesos-DNS (`records/labels`): the same output for every input, quirks included, so
 * names match what a Mesos-DNS cluster serves.
 */

export type LabelFunction = (name: string) => string;

const DASH = 45;

/** Lowercase letters and digits stay, `-`, `.`, `_` become `-`, everything else (non-ASCII too) is dropped. */
function mapChars(name: string): string {
  let out = '';
  let start = 0;
  // Copy runs of characters that need no change in one slice: most names are already clean.
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === DASH) continue;
    out += name.slice(start, i);
    start = i + 1;
    if (c >= 65 && c <= 90) out += String.fromCharCode(c + 32);
    else if (c === 46 || c === 95) out += '-';
  }
  return start === 0 ? name : out + name.slice(start);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Cuts at `max` and trims trailing dashes; when the trim shortened the head, Mesos-DNS "refills" it from the
 * text after the cut (leading dashes skipped) up to the cut length. Kept bug-for-bug: `hello` + 58 dashes +
 * `f` becomes `hellof`.
 */
function trimCut(label: string, max: number, noDigitStart: boolean): string {
  let from = 0;
  while (from < label.length) {
    const c = label.charCodeAt(from);
    if (c === DASH || (noDigitStart && isDigit(c))) from++;
    else break;
  }
  const trimmed = from === 0 ? label : label.slice(from);
  const size = Math.min(trimmed.length, max);
  let end = size;
  while (end > 0 && trimmed.charCodeAt(end - 1) === DASH) end--;
  if (end === size) return size === trimmed.length ? trimmed : trimmed.slice(0, size);
  const head = trimmed.slice(0, end);
  let tailStart = size;
  while (tailStart < trimmed.length && trimmed.charCodeAt(tailStart) === DASH) tailStart++;
  if (tailStart >= trimmed.length) return head;
  return head + trimmed.slice(tailStart, tailStart + (size - end));
}

/** RFC 1123 label (the default): up to 63 characters, no leading or trailing dash. */
export function rfc1123(name: string): string {
  return trimCut(mapChars(name), 63, false);
}

/** RFC 952 label (`EnforceRFC952`): up to 24 characters, no leading digit or dash. */
export function rfc952(name: string): string {
  return trimCut(mapChars(name), 24, true);
}

export function labelFunction(enforceRfc952: boolean): LabelFunction {
  return enforceRfc952 ? rfc952 : rfc1123;
}

/** Framework names: each dot-separated part sanitised on its own, empty parts dropped, so dots survive. */
export function domainFrag(name: string, label: LabelFunction): string {
  const parts: string[] = [];
  for (const part of name.split('.')) {
    const sanitised = label(part);
    if (sanitised !== '') parts.push(sanitised);
  }
  return parts.join('.');
}
