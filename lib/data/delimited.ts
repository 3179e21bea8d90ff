import { TextDecoder } from 'node:util';
/**
 * A byte-level tokenizer for delimited text (CSV, TSV, `::`, `|`). It never splits the
 * input into line strings: fields are byte ranges into the buffer, numbers are parsed
 * straight from bytes, and strings are decoded only when a caller asks. Quoted fields
 * (RFC 4180, `""` escapes, embedded delimiters and newlines) take a slower path.
 */

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const MAX_FIELDS = 512;

/** The current record: field byte ranges, valid until the callback returns. */
export class Record {
  count = 0;
  readonly start = new Int32Array(MAX_FIELDS);
  readonly end = new Int32Array(MAX_FIELDS);
  /** 1 where the field was quoted (its bytes still hold the `""` escapes). */
  readonly quoted = new Uint8Array(MAX_FIELDS);
  /** 1-based physical line where the record starts. */
  line = 0;

  constructor(
    readonly bytes: Uint8Array,
    private readonly decoder: TextDecoder,
  ) {}

  /** The field as a string (unescaped when quoted). */
  text(i: number): string {
    const s = this.decoder.decode(this.bytes.subarray(this.start[i]!, this.end[i]!));
    return this.quoted[i] ? s.replace(/""/g, '"') : s;
  }

  /**
   * The field as a canonical non-negative integer (no sign, no leading zero, at most 15
   * digits, unquoted), or -1. Lets numeric IDs skip string building entirely.
   */
  canonicalUint(i: number): number {
    if (this.quoted[i]) return -1;
    const b = this.bytes;
    const s = this.start[i]!;
    const e = this.end[i]!;
    const len = e - s;
    if (len === 0 || len > 15 || (b[s] === 0x30 && len > 1)) return -1;
    let v = 0;
    for (let p = s; p < e; p++) {
      const c = b[p]!;
      if (c < 0x30 || c > 0x39) return -1;
      v = v * 10 + (c - 0x30);
    }
    return v;
  }

  isEmpty(i: number): boolean {
    return this.start[i] === this.end[i];
  }

  /**
   * Parses a decimal number from the field's bytes (`-12`, `3.5`, `1e9`). Returns NaN for
   * anything else, so callers can report the raw text.
   */
  number(i: number): number {
    const b = this.bytes;
    let p = this.start[i]!;
    let e = this.end[i]!;
    while (p < e && (b[p] === 0x20 || b[p] === 0x09)) p++;
    while (e > p && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
    if (p === e) return NaN;
    let neg = false;
    if (b[p] === 0x2d || b[p] === 0x2b) {
      neg = b[p] === 0x2d;
      p++;
    }
    let int = 0;
    let digits = 0;
    while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) {
      int = int * 10 + (b[p]! - 0x30);
      p++;
      digits++;
    }
    let scale = 1;
    if (p < e && b[p] === 0x2e) {
      // A plain decimal fraction: one correctly rounded division, as exact as Number().
      p++;
      while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) {
        int = int * 10 + (b[p]! - 0x30);
        scale *= 10;
        p++;
        digits++;
      }
    }
    if (p === e && digits > 0 && digits <= 15) return (neg ? -int : int) / scale;
    // Exponents and long numbers: exactness matters more than speed here.
    const t = this.text(i).trim();
    return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
  }
}

export interface TokenizeOptions {
  /** One or more bytes, e.g. `,` `\t` `|` `::`. */
  delimiter: string;
  /** Text encoding of string fields. @default utf-8 */
  encoding?: 'utf-8' | 'latin1';
}

/**
 * Calls `onRecord` for every non-blank record. A UTF-8 BOM is skipped; CRLF and LF line
 * ends are both accepted. Returns the number of records seen.
 */
export function tokenize(
  bytes: Uint8Array,
  opts: TokenizeOptions,
  onRecord: (rec: Record) => void,
  onUnterminatedQuote: (line: number) => never,
): number {
  const delim = Buffer.from(opts.delimiter, 'latin1');
  const d0 = delim[0]!;
  const dLen = delim.length;
  const rec = new Record(bytes, new TextDecoder(opts.encoding === 'latin1' ? 'latin1' : 'utf-8'));
  const n = bytes.length;
  let p = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  let records = 0;
  while (p < n) {
    rec.line = line;
    rec.count = 0;
    let fieldStart = p;
    let isQuoted = 0;
    // Scan one record.
    for (;;) {
      if (p < n && bytes[p] === QUOTE && p === fieldStart) {
        // Quoted field: find the closing quote that is not an escaped "".
        const open = line;
        p++;
        fieldStart = p;
        for (;;) {
          if (p >= n) onUnterminatedQuote(open);
          const c = bytes[p]!;
          if (c === QUOTE) {
            if (bytes[p + 1] === QUOTE) {
              p += 2;
              continue;
            }
            break;
          }
          if (c === LF) line++;
          p++;
        }
        isQuoted = 1;
        const fieldEnd = p;
        p++; // closing quote
        pushField(rec, fieldStart, fieldEnd, isQuoted);
        // After a quoted field comes a delimiter or a line end.
        if (p < n && bytes[p] === d0 && matches(bytes, p, delim, dLen)) {
          p += dLen;
          fieldStart = p;
          isQuoted = 0;
          continue;
        }
        while (p < n && bytes[p] !== LF) p++;
        break;
      }
      // Unquoted field: scan to delimiter or line end.
      while (p < n) {
        const c = bytes[p]!;
        if (c === LF) break;
        if (c === d0 && (dLen === 1 || matches(bytes, p, delim, dLen))) break;
        p++;
      }
      let fieldEnd = p;
      if (p >= n || bytes[p] === LF) {
        if (fieldEnd > fieldStart && bytes[fieldEnd - 1] === CR) fieldEnd--;
        pushField(rec, fieldStart, fieldEnd, 0);
        break;
      }
      pushField(rec, fieldStart, fieldEnd, 0);
      p += dLen;
      fieldStart = p;
    }
    p++; // the LF
    line++;
    // A blank line (one empty field) is not a record.
    if (!(rec.count === 1 && rec.start[0] === rec.end[0] && !rec.quoted[0])) {
      records++;
      onRecord(rec);
    }
  }
  return records;
}

function pushField(rec: Record, start: number, end: number, quoted: number): void {
  if (rec.count >= MAX_FIELDS) return; // Extra fields are counted by callers as a column mismatch.
  rec.start[rec.count] = start;
  rec.end[rec.count] = end;
  rec.quoted[rec.count] = quoted;
  rec.count++;
}

function matches(bytes: Uint8Array, p: number, delim: Uint8Array, len: number): boolean {
  for (let k = 1; k < len; k++) if (bytes[p + k] !== delim[k]) return false;
  return true;
}

/** Guesses the delimiter of a header line, for "wrong delimiter" messages. */
export function guessDelimiter(firstLine: string): string | undefined {
  const candidates = [',', '\t', ';', '|', '::'];
  let best: string | undefined;
  let bestCount = 0;
  for (const c of candidates) {
    const count = firstLine.split(c).length - 1;
    if (count > bestCount) {
      best = c;
      bestCount = count;
    }
  }
  return best;
}

export function delimiterName(d: string): string {
  return d === '\t'
    ? 'tab'
    : d === ','
      ? 'comma'
      : d === ';'
        ? 'semicolon'
        : d === '|'
          ? 'pipe'
          : JSON.stringify(d);
}
