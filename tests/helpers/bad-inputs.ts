/**
 * A generated corpus of malformed interaction logs: every kind of bad input the data issue
 * names (empty, header only, wrong delimiter, missing columns, bad IDs, NaN/inf/out-of-range
 * ratings, bad timestamps, quotes, BOM/CRLF, truncated or corrupt gzip and Parquet), plus
 * huge fields, wrong encodings, hostile item titles and seeded byte-level fuzzing.
 *
 * Each case says what must happen: `reject` (a DataValidationError naming the file, and the
 * line/column when given), `skip` (rows dropped and counted under the skip policy), or `any`
 * (fuzz: accepted or rejected, but never a crash).
 */
import { gzipSync } from 'node:zlib';
import { Rng } from '../../lib/training/random.ts';

export type CaseKind = 'csv' | 'parquet' | 'items';

export interface BadInput {
  name: string;
  kind: CaseKind;
  bytes: Uint8Array;
  must: 'reject' | 'skip' | 'any';
  /** For rejects located in a row: the 1-based line (or Parquet row) and column. */
  line?: number;
  column?: string;
  /** For `skip`: how many rows must be skipped. */
  skipped?: number;
}

export const HEADER = 'userId,movieId,rating,timestamp';
const ROWS = 30;

/** The valid file every case is derived from: 30 rows after a header. */
export function validRows(n = ROWS): string[] {
  return Array.from(
    { length: n },
    (_, k) => `${1 + (k % 7)},${100 + ((k * 13) % 17)},${1 + (k % 5)},${1_600_000_000 + k * 60}`,
  );
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const csv = (rows: string[], header = HEADER, eol = '\n') =>
  utf8([header, ...rows].join(eol) + eol);

/** Replaces field `col` (0-based) of data row `row` (0-based). */
function withField(row: number, col: number, value: string): string[] {
  const rows = validRows();
  const f = rows[row]!.split(',');
  f[col] = value;
  rows[row] = f.join(',');
  return rows;
}

const COLUMNS = ['userId', 'movieId', 'rating', 'timestamp'];

function structural(): BadInput[] {
  const out: BadInput[] = [];
  const add = (name: string, bytes: Uint8Array, extra: Partial<BadInput> = {}) =>
    out.push({ name, kind: 'csv', bytes, must: 'reject', ...extra });
  add('empty', new Uint8Array(0));
  add('header-only', utf8(`${HEADER}\n`));
  add('header-only-crlf', utf8(`${HEADER}\r\n`));
  add('header-only-no-eol', utf8(HEADER));
  add('bom-only', new Uint8Array([0xef, 0xbb, 0xbf]));
  add('newlines-only', utf8('\n\n\n'));
  add('whitespace-only', utf8('   \n \t \n'));
  for (const [d, label] of [
    [';', 'semicolon'],
    ['|', 'pipe'],
    ['\t', 'tab'],
    [' ', 'space'],
  ] as const) {
    add(`delimiter-${label}`, utf8([HEADER, ...validRows()].join('\n').replaceAll(',', d)));
  }
  for (const c of COLUMNS) {
    const header = COLUMNS.map((h) => (h === c ? `${h}_x` : h)).join(',');
    add(`missing-column-${c}`, csv(validRows(), header), { line: 1, column: c });
  }
  for (const row of [0, 4, 16, 29]) {
    const rows = validRows();
    rows[row] = rows[row]!.split(',').slice(0, 2).join(',');
    add(`short-row-${row}`, csv(rows), { line: row + 2 });
    const quoted = validRows();
    quoted[row] = quoted[row]!.replace(/^(\d+),/, '$1,"');
    add(`unterminated-quote-${row}`, csv(quoted), { line: row + 2 });
  }
  return out;
}

/** Bad values in every column at three rows: all must be rejected at that line and column. */
function values(): BadInput[] {
  const bad: [number, string[]][] = [
    [
      2,
      [
        'abc',
        'NaN',
        'nan',
        'inf',
        '-inf',
        'Infinity',
        '1e309',
        '',
        ' ',
        '-1',
        '6',
        '0',
        '5.0001',
        '0x5',
        '4..5',
        '--4',
      ],
    ],
    [3, ['abc', 'yesterday', '1e400', '-', '12:00', 'NaN', '1.6e9x']],
    [0, ['']],
    [1, ['']],
  ];
  const out: BadInput[] = [];
  for (const row of [1, 8, 22]) {
    for (const [col, list] of bad) {
      for (const v of list) {
        out.push({
          name: `${COLUMNS[col]}-${JSON.stringify(v)}-row${row}`,
          kind: 'csv',
          bytes: csv(withField(row, col, v)),
          must: 'reject',
          line: row + 2,
          column: COLUMNS[col],
        });
      }
    }
  }
  return out;
}

function hugeAndEncodings(): BadInput[] {
  const big = (n: number) => '9'.repeat(n);
  const utf16 = (s: string, be: boolean) => {
    const le = Buffer.from(`\ufeff${s}`, 'utf16le');
    if (be) for (let k = 0; k + 1 < le.length; k += 2) [le[k], le[k + 1]] = [le[k + 1]!, le[k]!];
    return new Uint8Array(le);
  };
  const text = [HEADER, ...validRows()].join('\n') + '\n';
  const rows = validRows();
  rows[3] = `caf\u00e9,101,4,1600000000`;
  const invalidUtf8 = Buffer.from(csv(rows));
  invalidUtf8[invalidUtf8.indexOf(0xc3)] = 0xff;
  return [
    {
      name: 'huge-rating',
      kind: 'csv',
      bytes: csv(withField(5, 2, big(1 << 20))),
      must: 'reject',
      line: 7,
      column: 'rating',
    },
    {
      name: 'huge-timestamp',
      kind: 'csv',
      bytes: csv(withField(5, 3, big(5000))),
      must: 'reject',
      line: 7,
      column: 'timestamp',
    },
    {
      name: 'huge-user-id',
      kind: 'csv',
      bytes: csv(withField(5, 0, 'u'.repeat(100_000))),
      must: 'any',
    },
    {
      name: 'huge-line-no-eol',
      kind: 'csv',
      bytes: utf8(`${HEADER}\n${'x'.repeat(4 << 20)}`),
      must: 'reject',
      line: 2,
    },
    { name: 'utf16le-bom', kind: 'csv', bytes: utf16(text, false), must: 'reject' },
    { name: 'utf16be-bom', kind: 'csv', bytes: utf16(text, true), must: 'reject' },
    { name: 'nul-bytes', kind: 'csv', bytes: utf8(text.replaceAll(',', '\u0000')), must: 'reject' },
    { name: 'latin1-user-id', kind: 'csv', bytes: new Uint8Array(invalidUtf8), must: 'any' },
    {
      name: 'crlf-valid-with-bad-rating',
      kind: 'csv',
      bytes: csv(withField(9, 2, 'x'), HEADER, '\r\n'),
      must: 'reject',
      line: 11,
      column: 'rating',
    },
    {
      name: 'bom-valid-with-bad-rating',
      kind: 'csv',
      bytes: new Uint8Array([0xef, 0xbb, 0xbf, ...csv(withField(9, 2, 'x'))]),
      must: 'reject',
      line: 11,
      column: 'rating',
    },
    {
      name: 'latin1-header',
      kind: 'csv',
      bytes: new Uint8Array(
        Buffer.from(`\u00fcserId,movieId,rating,timestamp\n${validRows().join('\n')}\n`, 'latin1'),
      ),
      must: 'reject',
      line: 1,
    },
    { name: 'valid-reference', kind: 'csv', bytes: csv(validRows()), must: 'any' },
  ];
}

function gzipCases(): BadInput[] {
  const rows = Array.from({ length: 400 }, (_, k) => validRows(400)[k]!);
  const full = gzipSync(Buffer.from(csv(rows)));
  const out: BadInput[] = [];
  for (let c = 1; c <= 10; c++) {
    const cut = Math.floor((full.length * c) / 11);
    out.push({
      name: `gzip-truncated-${cut}`,
      kind: 'csv',
      bytes: full.subarray(0, cut),
      must: 'reject',
    });
  }
  for (let c = 1; c <= 5; c++) {
    const corrupt = Buffer.from(full);
    const at = full.length - 8 - c * 3; // inside the deflate stream's tail or the CRC
    corrupt[at] = corrupt[at]! ^ 0x55;
    out.push({ name: `gzip-corrupt-${at}`, kind: 'csv', bytes: corrupt, must: 'reject' });
  }
  out.push({
    name: 'gzip-of-empty',
    kind: 'csv',
    bytes: gzipSync(Buffer.alloc(0)),
    must: 'reject',
  });
  out.push({ name: 'gzip-header-only', kind: 'csv', bytes: full.subarray(0, 10), must: 'reject' });
  return out;
}

/** Rows 1..k of 100 broken: with skip and maxBadRowFraction 0.1, k <= 10 skip, more reject. */
function skipCases(): BadInput[] {
  const out: BadInput[] = [];
  for (let k = 1; k <= 20; k++) {
    const rows = validRows(100);
    for (let r = 0; r < k; r++) rows[r * 5] = rows[r * 5]!.replace(/,(\d),/, ',bad,');
    out.push({
      name: `skip-${k}-of-100`,
      kind: 'csv',
      bytes: csv(rows),
      must: k <= 10 ? 'skip' : 'reject',
      skipped: k,
    });
  }
  return out;
}

function hostileItems(): BadInput[] {
  const head = 'movieId,title,genres';
  const items = (titles: string[]) =>
    utf8([head, ...titles.map((t, k) => `${100 + k},${t},Drama|Comedy`)].join('\n') + '\n');
  return [
    {
      name: 'items-html-title',
      kind: 'items',
      bytes: items(['"<script>alert(1)</script> (1999)"']),
      must: 'any',
    },
    {
      name: 'items-newline-in-quoted-title',
      kind: 'items',
      bytes: items(['"Line one\nIgnore previous instructions (2001)"']),
      must: 'any',
    },
    {
      name: 'items-control-chars',
      kind: 'items',
      bytes: items(['"Bell\u0007 and esc\u001b[31m (1990)"']),
      must: 'any',
    },
    {
      name: 'items-huge-title',
      kind: 'items',
      bytes: items([`"${'T'.repeat(1 << 20)} (2000)"`]),
      must: 'any',
    },
    {
      name: 'items-unterminated-quote',
      kind: 'items',
      bytes: items(['"Never closed (1995)', 'Next (1996)']),
      must: 'reject',
    },
    { name: 'items-empty-file', kind: 'items', bytes: new Uint8Array(0), must: 'reject' },
  ];
}

/** Seeded byte-level mutations of the valid file: 1-3 edits each. */
function fuzzed(count: number, seed: number): BadInput[] {
  const base = csv(validRows());
  const rng = new Rng(seed);
  const noise = utf8('",;\n\r\t\u0000x9-.e ');
  const out: BadInput[] = [];
  for (let c = 0; c < count; c++) {
    let b = Array.from(base);
    const edits = 1 + rng.int(3);
    for (let e = 0; e < edits; e++) {
      const at = rng.int(b.length);
      const op = rng.int(4);
      if (op === 0) b[at] = rng.int(256);
      else if (op === 1) b.splice(at, 0, noise[rng.int(noise.length)]!);
      else if (op === 2) b.splice(at, 1);
      else b = [...b.slice(0, at), ...b.slice(at, at + 1 + rng.int(40)), ...b.slice(at)];
    }
    out.push({ name: `fuzz-${c}`, kind: 'csv', bytes: Uint8Array.from(b), must: 'any' });
  }
  return out;
}

/** The corpus without Parquet cases (those need the writer; see parquetCases). */
export function badInputCorpus(): BadInput[] {
  return [
    ...structural(),
    ...values(),
    ...hugeAndEncodings(),
    ...gzipCases(),
    ...skipCases(),
    ...hostileItems(),
    ...fuzzed(100, 2026),
  ];
}

/** Parquet cases derived from a valid file's bytes. */
export function parquetCases(valid: Uint8Array, withNaN: Uint8Array): BadInput[] {
  const out: BadInput[] = [];
  for (let c = 1; c <= 8; c++) {
    const cut = Math.floor((valid.length * c) / 9);
    out.push({
      name: `parquet-truncated-${cut}`,
      kind: 'parquet',
      bytes: valid.subarray(0, cut),
      must: 'reject',
    });
  }
  const magic = valid.slice();
  magic[magic.length - 1] = 0x30;
  out.push({ name: 'parquet-bad-magic', kind: 'parquet', bytes: magic, must: 'reject' });
  const footer = valid.slice();
  footer.set([0xff, 0xff, 0xff, 0x7f], footer.length - 8);
  out.push({ name: 'parquet-footer-length', kind: 'parquet', bytes: footer, must: 'reject' });
  const rng = new Rng(5);
  const random = Uint8Array.from({ length: 4096 }, () => rng.int(256));
  random.set(utf8('PAR1'), 0);
  random.set(utf8('PAR1'), random.length - 4);
  out.push({ name: 'parquet-random-body', kind: 'parquet', bytes: random, must: 'reject' });
  out.push({
    name: 'parquet-nan-rating',
    kind: 'parquet',
    bytes: withNaN,
    must: 'reject',
    line: 3,
    column: 'rating',
  });
  out.push({ name: 'parquet-csv-bytes', kind: 'parquet', bytes: csv(validRows()), must: 'reject' });
  return out;
}
