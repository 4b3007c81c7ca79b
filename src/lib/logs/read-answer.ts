/**
 * Parses a Mesos `/files/read` answer, `{"data": "<text>", "offset": N}`, straight from its bytes: `data`
 * comes out as the bytes the server put in the JSON string (escapes decoded), never as a JS string. That
 * keeps a full read of a big file from making three 64 KiB copies per request (body text, parsed string,
 * re-encoded Buffer), which is what V8's heap grew on, and passes through bytes real Mesos sends unescaped
 * (invalid UTF-8 included) exactly as they are in the file.
 */

export interface ReadAnswer {
  data: Buffer;
  offset: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The answer, or undefined when the body is not a flat JSON object with a numeric `offset`. */
export function parseReadAnswer(body: Buffer): ReadAnswer | undefined {
  const parser = new Parser(body);
  try {
    return parser.answer();
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

class Parser {
  private at = 0;

  constructor(private readonly body: Buffer) {}

  answer(): ReadAnswer | undefined {
    let data: Buffer = Buffer.alloc(0);
    let offset: number | undefined;
    this.expect(0x7b); // {
    this.space();
    if (this.body[this.at] === 0x7d) return undefined;
    // One pass over the members; each step consumes input, so the loop ends with the body.
    for (;;) {
      const key = this.string().toString('utf8');
      this.space();
      this.expect(0x3a); // :
      this.space();
      if (this.body[this.at] === QUOTE) {
        const value = this.string();
        if (key === 'data') data = value;
      } else {
        const value = this.scalar();
        if (key === 'offset') offset = Number(value);
      }
      this.space();
      const next = this.body[this.at++];
      if (next === 0x7d) break; // }
      if (next !== 0x2c) throw new SyntaxError('expected , or }');
      this.space();
    }
    return offset !== undefined && Number.isSafeInteger(offset) ? { data, offset } : undefined;
  }

  private space(): void {
    while (this.at < this.body.length) {
      const byte = this.body[this.at]!;
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return;
      this.at++;
    }
  }

  private expect(byte: number): void {
    this.space();
    if (this.body[this.at++] !== byte) throw new SyntaxError(`expected ${String.fromCharCode(byte)}`);
  }

  /** A number or literal: the bytes up to the next delimiter. */
  private scalar(): string {
    const start = this.at;
    while (this.at < this.body.length) {
      const byte = this.body[this.at]!;
      if (byte === 0x2c || byte === 0x7d || byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09)
        break;
      this.at++;
    }
    if (this.at === start) throw new SyntaxError('expected a value');
    return this.body.toString('latin1', start, this.at);
  }

  /** A JSON string's bytes: runs without escapes are copied whole, escapes decoded to UTF-8. */
  private string(): Buffer {
    if (this.body[this.at++] !== QUOTE) throw new SyntaxError('expected a string');
    const { body } = this;
    // Decoding never makes a string longer than its JSON form.
    const out = Buffer.allocUnsafe(body.length - this.at);
    let length = 0;
    // Each search runs once past each position (searching again per escape would rescan the rest every
    // time): -2 is "not searched yet", -1 "none left".
    let quote = -2;
    let backslash = -2;
    for (;;) {
      if (quote !== -1 && quote < this.at) quote = body.indexOf(QUOTE, this.at);
      if (quote === -1) throw new SyntaxError('unterminated string');
      if (backslash !== -1 && backslash < this.at) backslash = body.indexOf(BACKSLASH, this.at);
      const stop = backslash !== -1 && backslash < quote ? backslash : quote;
      length += body.copy(out, length, this.at, stop);
      this.at = stop + 1;
      if (stop === quote) return out.subarray(0, length);
      length += this.escape(out, length);
    }
  }

  private escape(out: Buffer, at: number): number {
    const code = this.body[this.at++];
    const simple: Record<number, number> = {
      0x22: 0x22,
      0x5c: 0x5c,
      0x2f: 0x2f,
      0x62: 8,
      0x66: 12,
      0x6e: 10,
      0x72: 13,
      0x74: 9,
    };
    if (code !== undefined && code in simple) {
      out[at] = simple[code]!;
      return 1;
    }
    if (code !== 0x75) throw new SyntaxError('bad escape'); // u
    let unit = this.hex4();
    // A surrogate pair is one character; a lone surrogate becomes U+FFFD, as Buffer.from(string) does.
    if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      this.body[this.at] === BACKSLASH &&
      this.body[this.at + 1] === 0x75
    ) {
      const saved = this.at;
      this.at += 2;
      const low = this.hex4();
      if (low >= 0xdc00 && low <= 0xdfff) unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
      else this.at = saved;
    }
    if (unit >= 0xd800 && unit <= 0xdfff) unit = 0xfffd;
    return out.write(String.fromCodePoint(unit), at, 'utf8');
  }

  private hex4(): number {
    const text = this.body.toString('latin1', this.at, this.at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(text)) throw new SyntaxError('bad \\u escape');
    this.at += 4;
    return parseInt(text, 16);
  }
}
