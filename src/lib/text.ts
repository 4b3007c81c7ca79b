/** Levenshtein distance: how many single-character edits turn `a` into `b` (for "did you mean" lists). */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** `268435456` -> `256 MiB`; exact sizes only, so a limit is never shown rounded. */
export function formatSize(bytes: number): string {
  const KiB = 1024;
  const MiB = KiB * 1024;
  const GiB = MiB * 1024;
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

// C0 controls, DEL, C1 controls (a UTF-8 terminal may take U+009B as CSI), and the bidirectional overrides
// and isolates that make a terminal show text in another order than it is.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a server, made safe to print on a terminal: every control character is shown as an escape (`\n`,
 * `\x1b`, `\u202e`) instead of acting, so a hostile answer can neither colour, move or clear the screen nor
 * fake a line of output. `keepLineBreaks` keeps `\n` and `\t` for text meant to span lines (package notes).
 */
export function escapeControlCharacters(text: string, options: { keepLineBreaks?: boolean } = {}): string {
  const source = options.keepLineBreaks ? text.replace(/\r\n/g, '\n') : text;
  return source.replace(options.keepLineBreaks ? CONTROL_BUT_LINE_BREAKS : CONTROL, (char) => {
    const named = NAMED_ESCAPES[char];
    if (named) return named;
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}
