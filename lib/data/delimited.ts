/**
 * Byte-level helpers for delimited text (CSV, TSV, `::`, `|`): field scanning, number
 * parsing straight from bytes, and a small record tokenizer for catalog-sized files. The
 * hot interaction reader (`interaction-parser.ts`) uses the same conventions: a UTF-8 BOM
 * is skipped, CRLF and LF both end a line, quoted fields follow RFC 4180 (`""` escapes,
 * embedded delimiters and newlines), blank lines are ignored.
 */

export const QUOTE = 0x22;
export const LF = 0x0a;
export const CR = 0x0d;
export const MAX_FIELDS = 1024;

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY_TEXT = /^[+-]?(inf|infinity)$/i;

/** Decodes a field; quoted fields have their `""` escapes undone. */
export function fieldText(
  b: Uint8Array,
  s: number,
  e: number,
  quoted: number,
  encoding: 'utf-8' | 'latin1' = 'utf-8',
): string {
  const t = (encoding === 'latin1' ? latin1 : utf8).decode(b.subarray(s, e));
  return quoted ? t.replace(/""/g, '"') : t;
}

/**
 * A canonical non-negative integer (no sign, no leading zero, at most 15 digits) read from
 * bytes, or -1. Lets numeric IDs skip string building.
 */
export function canonicalUint(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len === 0 || len > 15 || (b[s] === 0x30 && len > 1)) return -1;
  let v = 0;
  for (let p = s; p < e; p++) {
    const c = b[p]! - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Parses a decimal number from bytes (`-12`, `3.5`, `1e9`, surrounding blanks allowed).
 * Returns NaN when the text is not a number and +-Infinity for `inf`/`Infinity`, so the
 * caller can say which. Plain decimals take a fast path that is exactly as precise as
 * `Number()`: both parts are exact integers and one division rounds correctly.
 */
export function parseNumber(b: Uint8Array, s: number, e: number, quoted = 0): number {
  let p = s;
  while (p < e && (b[p] === 0x20 || b[p] === 0x09)) p++;
  while (e > p && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
  if (p === e) return NaN;
  const neg = b[p] === 0x2d;
  if (neg || b[p] === 0x2b) p++;
  let int = 0;
  let digits = 0;
  let c = 0;
  while (p < e && (c = b[p]! - 0x30) >= 0 && c <= 9) {
    int = int * 10 + c;
    p++;
    digits++;
  }
  let scale = 1;
  if (p < e && b[p] === 0x2e) {
    p++;
    while (p < e && (c = b[p]! - 0x30) >= 0 && c <= 9) {
      int = int * 10 + c;
      scale *= 10;
      p++;
      digits++;
    }
  }
  if (p === e && digits > 0 && digits <= 15) return (neg ? -int : int) / scale;
  // Exponents, long numbers and words: exactness matters more than speed here.
  const t = fieldText(b, s, e, quoted).trim();
  if (NUMBER_TEXT.test(t)) return Number(t);
  if (INFINITY_TEXT.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return NaN;
}

/** The delimiter's bytes (latin1, so `::` is two bytes and `\t` one). */
export function delimiterBytes(d: string): Uint8Array {
  if (d.length === 0) throw new Error('delimiter must not be empty');
  return Uint8Array.from(Buffer.from(d, 'latin1'));
}

/** A human name for a delimiter in messages. */
export function delimiterName(d: string): string {
  const names: Record<string, string> = {
    ',': 'comma',
    '\t': 'tab',
    ';': 'semicolon',
    '|': 'pipe',
    '::': '"::"',
  };
  return names[d] ?? JSON.stringify(d);
}

/** The most frequent candidate delimiter in a line, for "wrong delimiter" hints. */
export function guessDelimiter(line: string): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const c of ['::', ',', '\t', ';', '|']) {
    const count = line.split(c).length - 1;
    if (count > bestCount) {
      best = c;
      bestCount = count;
    }
  }
  return best;
}

/** One record of `forEachRecord`: field ranges into the bytes, valid during the callback. */
export interface RecordView {
  count: number;
  line: number;
  text(i: number): string;
}

/**
 * Calls `onRecord` for every non-blank record of a whole (small) file: item metadata and
 * the like. Interaction files use the chunked parser instead.
 */
export function forEachRecord(
  bytes: Uint8Array,
  delimiter: string,
  encoding: 'utf-8' | 'latin1',
  onRecord: (r: RecordView) => void,
  onUnterminatedQuote: (line: number) => never,
): void {
  const d = delimiterBytes(delimiter);
  const d0 = d[0]!;
  const dLen = d.length;
  const starts = new Int32Array(MAX_FIELDS);
  const ends = new Int32Array(MAX_FIELDS);
  const quoted = new Uint8Array(MAX_FIELDS);
  const view: RecordView = {
    count: 0,
    line: 0,
    text: (i) =>
      i < view.count ? fieldText(bytes, starts[i]!, ends[i]!, quoted[i]!, encoding) : '',
  };
  const n = bytes.length;
  let p = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  while (p < n) {
    view.line = line;
    let count = 0;
    for (;;) {
      let fs = p;
      let fe: number;
      let q = 0;
      if (p < n && bytes[p] === QUOTE) {
        p++;
        fs = p;
        for (;;) {
          if (p >= n) onUnterminatedQuote(view.line);
          if (bytes[p] === QUOTE) {
            if (bytes[p + 1] === QUOTE) {
              p += 2;
              continue;
            }
            break;
          }
          if (bytes[p] === LF) line++;
          p++;
        }
        fe = p;
        p++;
        q = 1;
        while (p < n && bytes[p] !== LF && !isDelim(bytes, p, d0, d, dLen)) p++;
      } else {
        while (p < n && bytes[p] !== LF && !isDelim(bytes, p, d0, d, dLen)) p++;
        fe = p;
        if ((p >= n || bytes[p] === LF) && fe > fs && bytes[fe - 1] === CR) fe--;
      }
      if (count < MAX_FIELDS) {
        starts[count] = fs;
        ends[count] = fe;
        quoted[count] = q;
        count++;
      }
      if (p >= n || bytes[p] === LF) break;
      p += dLen;
    }
    p++;
    line++;
    view.count = count;
    if (count === 1 && starts[0] === ends[0] && !quoted[0]) continue; // blank line
    onRecord(view);
  }
}

function isDelim(b: Uint8Array, p: number, d0: number, d: Uint8Array, dLen: number): boolean {
  if (b[p] !== d0) return false;
  for (let k = 1; k < dLen; k++) if (b[p + k] !== d[k]) return false;
  return true;
}
