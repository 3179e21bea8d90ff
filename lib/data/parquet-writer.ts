/**
 * Encodes flat tables of typed arrays as Parquet bytes. See `parquet.ts` for why the
 * project writes Parquet itself and which readers were checked.
 *
 * Layout: required (non-null) columns only, data page v1, one data page per column chunk.
 * Per column and row group the encoding is chosen from the data, deterministically:
 * - INT32 with values in [0, max] and a small max (dense indices): RLE_DICTIONARY over
 *   the identity dictionary 0..max, i.e. bit-packed indices, with RLE runs for sorted data;
 * - FLOAT/DOUBLE with at most 256 distinct values (ratings): RLE_DICTIONARY;
 * - other FLOAT/DOUBLE: BYTE_STREAM_SPLIT (high bytes of timestamps then compress well);
 * - everything else: PLAIN, which for numbers is the little-endian array bytes as they are.
 * Pages are SNAPPY-compressed on libuv's thread pool, so compression runs in parallel.
 */
import { compress } from 'snappy';
import { bin, encodeStruct, i32, i64, list, struct } from './thrift.ts';
import type { ThriftStruct, ThriftValue } from './thrift.ts';

/** Column data the writer accepts; the Parquet type follows from the array type. */
export type ColumnData = Int32Array | Float32Array | Float64Array | readonly string[];

export interface ParquetWriteOptions {
  /** Rows per row group. @default 1048576 */
  rowGroupSize?: number;
  /** Extra key/value metadata stored in the footer (e.g. a schema version). */
  metadata?: Record<string, string>;
}

// Parquet enums (parquet.thrift).
const TYPE = { INT32: 1, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const ENC = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8, BYTE_STREAM_SPLIT: 9 } as const;
const CODEC_SNAPPY = 1;
const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
const REQUIRED = 0;
const CONVERTED_UTF8 = 0;
const MAGIC = new TextEncoder().encode('PAR1');
/** Identity dictionaries stay below this many entries (4 MB of dictionary page). */
const MAX_IDENTITY_DICT = 1 << 20;
const MAX_VALUE_DICT = 256;

type Physical = keyof typeof TYPE;

function physicalType(data: ColumnData): Physical {
  if (data instanceof Int32Array) return 'INT32';
  if (data instanceof Float32Array) return 'FLOAT';
  if (data instanceof Float64Array) return 'DOUBLE';
  return 'BYTE_ARRAY';
}

/** One encoded column chunk, before compression. */
interface EncodedChunk {
  dictionary?: { bytes: Uint8Array; count: number };
  data: Uint8Array;
  encoding: number;
  stats?: { min: Uint8Array; max: Uint8Array };
}

/**
 * Yields the bytes of a Parquet file in order. Equal input gives equal bytes: nothing
 * depends on time, platform or thread scheduling.
 */
export async function* encodeParquet(
  columns: Record<string, ColumnData>,
  opts: ParquetWriteOptions = {},
): AsyncGenerator<Uint8Array> {
  const names = Object.keys(columns);
  if (names.length === 0) throw new Error('parquet: at least one column is required');
  const rows = columns[names[0]!]!.length;
  for (const n of names) {
    if (columns[n]!.length !== rows)
      throw new Error(
        `parquet: column "${n}" has ${columns[n]!.length} values, expected ${rows} like "${names[0]}"`,
      );
  }
  const groupSize = Math.max(1, opts.rowGroupSize ?? 1 << 20);
  const types = names.map((n) => physicalType(columns[n]!));
  let offset = MAGIC.length;
  yield MAGIC;
  const rowGroups: ThriftValue[] = [];
  const group = (start: number) => {
    const end = Math.min(rows, start + groupSize);
    const encoded = names.map((n) => encodeChunk(slice(columns[n]!, start, end)));
    // Compress every page of the row group concurrently (snappy runs off the main thread).
    const compressed = Promise.all(
      encoded.map((e) =>
        Promise.all([e.dictionary ? snappy(e.dictionary.bytes) : undefined, snappy(e.data)]),
      ),
    );
    // Awaited in order below; a consumer that stops early must not leave it unhandled.
    compressed.catch(() => undefined);
    return { start, end, encoded, compressed };
  };
  // An empty table has no row groups (as pyarrow writes it).
  let next = rows > 0 ? group(0) : undefined;
  while (next) {
    const { start, end, encoded } = next;
    const pending = next.compressed;
    // Encode the next row group on this thread while the pool compresses this one.
    next = end < rows ? group(end) : undefined;
    const compressed = await pending;
    const chunks: ThriftValue[] = [];
    let groupBytes = 0;
    let groupCompressed = 0;
    const groupStart = offset;
    for (let c = 0; c < names.length; c++) {
      const e = encoded[c]!;
      const [dictZ, dataZ] = compressed[c]!;
      const chunkStart = offset;
      let uncompressed = 0;
      let dictOffset: number | undefined;
      if (e.dictionary && dictZ) {
        const header = encodeStruct({
          1: i32(PAGE_DICTIONARY),
          2: i32(e.dictionary.bytes.length),
          3: i32(dictZ.length),
          7: struct({ 1: i32(e.dictionary.count), 2: i32(ENC.PLAIN) }),
        });
        dictOffset = offset;
        yield header;
        yield dictZ;
        offset += header.length + dictZ.length;
        uncompressed += header.length + e.dictionary.bytes.length;
      }
      const header = encodeStruct({
        1: i32(PAGE_DATA),
        2: i32(e.data.length),
        3: i32(dataZ.length),
        5: struct({
          1: i32(end - start),
          2: i32(e.encoding),
          3: i32(ENC.RLE),
          4: i32(ENC.RLE),
        }),
      });
      const dataOffset = offset;
      yield header;
      yield dataZ;
      offset += header.length + dataZ.length;
      uncompressed += header.length + e.data.length;
      const encodings = e.dictionary ? [ENC.PLAIN, ENC.RLE, e.encoding] : [ENC.RLE, e.encoding];
      const meta: ThriftStruct = {
        1: i32(TYPE[types[c]!]),
        2: list(
          'i32',
          encodings.map((x) => i32(x)),
        ),
        3: list('binary', [bin(names[c]!)]),
        4: i32(CODEC_SNAPPY),
        5: i64(end - start),
        6: i64(uncompressed),
        7: i64(offset - chunkStart),
        9: i64(dataOffset),
        11: dictOffset === undefined ? undefined : i64(dictOffset),
        12: e.stats
          ? struct({ 3: i64(0), 5: bin(e.stats.max), 6: bin(e.stats.min) })
          : struct({ 3: i64(0) }),
      };
      chunks.push(struct({ 2: i64(chunkStart), 3: struct(meta) }));
      groupBytes += uncompressed;
      groupCompressed += offset - chunkStart;
    }
    rowGroups.push(
      struct({
        1: list('struct', chunks),
        2: i64(groupBytes),
        3: i64(end - start),
        5: i64(groupStart),
        6: i64(groupCompressed),
        7: i32(rowGroups.length),
      }),
    );
  }
  const schema: ThriftValue[] = [
    struct({ 4: bin('schema'), 5: i32(names.length) }),
    ...names.map((n, c) =>
      struct({
        1: i32(TYPE[types[c]!]),
        3: i32(REQUIRED),
        4: bin(n),
        6: types[c] === 'BYTE_ARRAY' ? i32(CONVERTED_UTF8) : undefined,
        // LogicalType.STRING, for readers that prefer logical over converted types.
        10: types[c] === 'BYTE_ARRAY' ? struct({ 1: struct({}) }) : undefined,
      }),
    ),
  ];
  const kv = Object.entries(opts.metadata ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => struct({ 1: bin(k), 2: bin(v) }));
  const footer = encodeStruct({
    1: i32(1),
    2: list('struct', schema),
    3: i64(rows),
    4: list('struct', rowGroups),
    5: kv.length ? list('struct', kv) : undefined,
    6: bin('recsys-augment parquet writer 1'),
  });
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setUint32(0, footer.length, true);
  tail.set(MAGIC, 4);
  yield footer;
  yield tail;
}

async function snappy(bytes: Uint8Array): Promise<Uint8Array> {
  const out = await compress(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  // A view, not `new Uint8Array(out)`, which would copy every compressed page once more.
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function slice(data: ColumnData, start: number, end: number): ColumnData {
  return Array.isArray(data)
    ? (data as string[]).slice(start, end)
    : (data as Int32Array).subarray(start, end);
}

function encodeChunk(data: ColumnData): EncodedChunk {
  if (data instanceof Int32Array) return encodeInt32(data);
  if (data instanceof Float32Array || data instanceof Float64Array) return encodeFloat(data);
  return { data: plainStrings(data as readonly string[]), encoding: ENC.PLAIN };
}

function bytesOf(a: Int32Array | Float32Array | Float64Array): Uint8Array {
  // Parquet PLAIN is little-endian, as are typed arrays on every platform Node supports.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function encodeInt32(a: Int32Array): EncodedChunk {
  let min = 0;
  let max = 0;
  if (a.length > 0) {
    min = a[0]!;
    max = a[0]!;
    for (let k = 1; k < a.length; k++) {
      const v = a[k]!;
      if (v < min) min = v;
      else if (v > max) max = v;
    }
  }
  const stats = { min: bytesOf(Int32Array.of(min)), max: bytesOf(Int32Array.of(max)) };
  if (a.length > 0 && min >= 0 && max < MAX_IDENTITY_DICT && max < 4 * a.length + 1024) {
    const dict = new Int32Array(max + 1);
    for (let k = 0; k <= max; k++) dict[k] = k;
    return {
      dictionary: { bytes: bytesOf(dict), count: max + 1 },
      data: rleHybrid(a, bitWidth(max)),
      encoding: ENC.RLE_DICTIONARY,
      stats,
    };
  }
  return { data: bytesOf(a), encoding: ENC.PLAIN, stats: a.length ? stats : undefined };
}

function encodeFloat(a: Float32Array | Float64Array): EncodedChunk {
  const single = a instanceof Float32Array;
  if (!fewDistinct(a))
    return { data: byteStreamSplit(a), encoding: ENC.BYTE_STREAM_SPLIT, stats: floatStats(a) };
  // Separate loops per array type: one loop seeing both types ran ~1.5x slower in V8.
  const d = single ? dictionary32(a) : dictionary64(a as Float64Array);
  const { distinct, indexes, slotLo, slotHi, slotUsed, hasNaN, min, max } = d;
  const stats =
    !hasNaN && a.length > 0
      ? {
          min: bytesOf(single ? Float32Array.of(min) : Float64Array.of(min)),
          max: bytesOf(single ? Float32Array.of(max) : Float64Array.of(max)),
        }
      : undefined;
  if (distinct > 0 && distinct <= MAX_VALUE_DICT) {
    // Dictionary order = sorted by value (NaN last), so it does not depend on row order.
    const values: number[] = new Array<number>(distinct);
    for (let h = 0; h < DICT_TABLE; h++) {
      const id = slotUsed[h]!;
      if (id < 0) continue;
      const pair = single ? Uint32Array.of(slotLo[h]!) : Uint32Array.of(slotLo[h]!, slotHi[h]!);
      values[id] = single ? new Float32Array(pair.buffer)[0]! : new Float64Array(pair.buffer)[0]!;
    }
    const order = values.map((_, i) => i).sort((x, y) => cmpNum(values[x]!, values[y]!));
    const remap = new Int32Array(distinct);
    order.forEach((old, pos) => (remap[old] = pos));
    for (let k = 0; k < indexes.length; k++) indexes[k] = remap[indexes[k]!]!;
    const dict = single ? new Float32Array(distinct) : new Float64Array(distinct);
    order.forEach((old, pos) => (dict[pos] = values[old]!));
    return {
      dictionary: { bytes: bytesOf(dict), count: distinct },
      data: rleHybrid(indexes, bitWidth(distinct - 1)),
      encoding: ENC.RLE_DICTIONARY,
      stats,
    };
  }
  return { data: byteStreamSplit(a), encoding: ENC.BYTE_STREAM_SPLIT, stats };
}

const DICT_TABLE = 1024;

/**
 * Distinct values by bit pattern (first-seen ids, via a small open-addressing table),
 * each row's id, and min/max over the non-NaN values. Counting stops past
 * MAX_VALUE_DICT + 1 distinct values (the caller then falls back), min/max do not.
 */
interface DictionaryScan {
  distinct: number;
  indexes: Int32Array;
  slotLo: Uint32Array;
  slotHi: Uint32Array;
  slotUsed: Int32Array;
  hasNaN: boolean;
  min: number;
  max: number;
}

/**
 * Row ids of the last scan, reused up to a default row group's size: they are consumed
 * synchronously (remapped and bit-packed into a new buffer) before the next scan, and a
 * fresh 4 MB array per row group only made garbage (external memory that triggers full GCs).
 */
const SCRATCH_ROWS = 1 << 20;
let scratch: Int32Array | undefined;

function newScan(n: number): DictionaryScan {
  const indexes =
    n <= SCRATCH_ROWS
      ? (scratch ??= new Int32Array(SCRATCH_ROWS)).subarray(0, n)
      : new Int32Array(n);
  return {
    distinct: 0,
    indexes,
    slotLo: new Uint32Array(DICT_TABLE),
    slotHi: new Uint32Array(DICT_TABLE),
    slotUsed: new Int32Array(DICT_TABLE).fill(-1),
    hasNaN: false,
    min: Infinity,
    max: -Infinity,
  };
}

function dictionary32(a: Float32Array): DictionaryScan {
  const d = newScan(a.length);
  const { indexes, slotLo, slotUsed } = d;
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let distinct = 0;
  let hasNaN = false;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < a.length; k++) {
    const v = a[k]!;
    if (v !== v) hasNaN = true;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (distinct > MAX_VALUE_DICT) continue;
    const lo = bits[k]!;
    let h = (Math.imul(lo, 0x85ebca6b) >>> 22) & (DICT_TABLE - 1);
    for (;;) {
      const used = slotUsed[h]!;
      if (used < 0) {
        slotUsed[h] = distinct;
        slotLo[h] = lo;
        indexes[k] = distinct++;
        break;
      }
      if (slotLo[h] === lo) {
        indexes[k] = used;
        break;
      }
      h = (h + 1) & (DICT_TABLE - 1);
    }
  }
  Object.assign(d, { distinct, hasNaN, min, max });
  return d;
}

function dictionary64(a: Float64Array): DictionaryScan {
  const d = newScan(a.length);
  const { indexes, slotLo, slotHi, slotUsed } = d;
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  let distinct = 0;
  let hasNaN = false;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < a.length; k++) {
    const v = a[k]!;
    if (v !== v) hasNaN = true;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (distinct > MAX_VALUE_DICT) continue;
    const lo = bits[2 * k]!;
    const hi = bits[2 * k + 1]!;
    let h = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 22) & (DICT_TABLE - 1);
    for (;;) {
      const used = slotUsed[h]!;
      if (used < 0) {
        slotUsed[h] = distinct;
        slotLo[h] = lo;
        slotHi[h] = hi;
        indexes[k] = distinct++;
        break;
      }
      if (slotLo[h] === lo && slotHi[h] === hi) {
        indexes[k] = used;
        break;
      }
      h = (h + 1) & (DICT_TABLE - 1);
    }
  }
  Object.assign(d, { distinct, hasNaN, min, max });
  return d;
}

/** Whether the first 4096 values have at most 256 distinct ones (worth a dictionary try). */
function fewDistinct(a: Float32Array | Float64Array): boolean {
  const seen = new Set<number>();
  const end = Math.min(a.length, 4096);
  for (let k = 0; k < end; k++) {
    seen.add(a[k]!);
    if (seen.size > MAX_VALUE_DICT) return false;
  }
  return true;
}

function floatStats(a: Float32Array | Float64Array): EncodedChunk['stats'] {
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < a.length; k++) {
    const v = a[k]!;
    if (v !== v) return undefined; // NaN: no min/max statistics
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (a.length === 0) return undefined;
  const single = a instanceof Float32Array;
  return {
    min: bytesOf(single ? Float32Array.of(min) : Float64Array.of(min)),
    max: bytesOf(single ? Float32Array.of(max) : Float64Array.of(max)),
  };
}

function cmpNum(x: number, y: number): number {
  if (x !== x) return y !== y ? 0 : 1;
  if (y !== y) return -1;
  return x - y || (Object.is(x, -0) ? -1 : Object.is(y, -0) ? 1 : 0);
}

/** BYTE_STREAM_SPLIT: byte b of every value, for b = 0..width-1, one stream after another. */
export function byteStreamSplit(a: Float32Array | Float64Array): Uint8Array {
  // Whole words in and, 4 rows at a time, whole words out: ~3x faster than a strided byte
  // gather. Streams start at multiples of n bytes, so word stores need n % 4 === 0.
  const words = new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
  const out = new Uint8Array(a.byteLength);
  const n = a.length;
  const perRow = a.BYTES_PER_ELEMENT >> 2;
  if (n % 4 !== 0) {
    splitBytes(words, out, n, perRow);
    return out;
  }
  const o = new Uint32Array(out.buffer, 0, out.length >> 2);
  for (let w = 0; w < perRow; w++) splitWords(words, o, w, perRow, n >> 2);
  return out;
}

/**
 * Streams 4w..4w+3 (the bytes of word `w` of each row, `perRow` words a row), each `q`
 * output words long; output word j of a stream holds rows 4j..4j+3.
 */
function splitWords(words: Uint32Array, o: Uint32Array, w: number, perRow: number, q: number) {
  const s0 = 4 * w * q;
  const s1 = s0 + q;
  const s2 = s1 + q;
  const s3 = s2 + q;
  for (let j = 0, p = w; j < q; j++, p += 4 * perRow) {
    const x0 = words[p]!;
    const x1 = words[p + perRow]!;
    const x2 = words[p + 2 * perRow]!;
    const x3 = words[p + 3 * perRow]!;
    o[s0 + j] = (x0 & 0xff) | ((x1 & 0xff) << 8) | ((x2 & 0xff) << 16) | (x3 << 24);
    o[s1 + j] = ((x0 >>> 8) & 0xff) | (x1 & 0xff00) | ((x2 & 0xff00) << 8) | ((x3 & 0xff00) << 16);
    o[s2 + j] =
      ((x0 >>> 16) & 0xff) | ((x1 >>> 8) & 0xff00) | (x2 & 0xff0000) | ((x3 & 0xff0000) << 8);
    o[s3 + j] = (x0 >>> 24) | ((x1 >>> 16) & 0xff00) | ((x2 >>> 8) & 0xff0000) | (x3 & 0xff000000);
  }
}

/** The same, a byte at a time, for any n. */
function splitBytes(words: Uint32Array, out: Uint8Array, n: number, perRow: number) {
  for (let k = 0; k < n; k++) {
    for (let w = 0; w < perRow; w++) {
      const x = words[k * perRow + w]!;
      const base = 4 * w * n + k;
      out[base] = x;
      out[base + n] = x >>> 8;
      out[base + 2 * n] = x >>> 16;
      out[base + 3 * n] = x >>> 24;
    }
  }
}

function bitWidth(max: number): number {
  return max <= 0 ? 0 : 32 - Math.clz32(max);
}

/**
 * RLE / bit-packed hybrid encoding of non-negative ints, prefixed by the bit width byte
 * (the dictionary-index layout of a v1 data page). Runs of 16+ equal values become RLE
 * runs; the rest is bit-packed in groups of 8 (the last group zero-padded).
 */
export function rleHybrid(values: Int32Array, width: number): Uint8Array {
  const n = values.length;
  const out = new Growable(16 + Math.ceil((n * width) / 8) + (n >> 3));
  out.byte(width);
  if (width === 0) {
    // All zeros: one RLE run with an empty value.
    out.varint(n << 1);
    return out.done();
  }
  const valueBytes = (width + 7) >> 3;
  let litStart = 0;
  let pos = 0;
  while (pos < n) {
    const v = values[pos]!;
    let end = pos + 1;
    while (end < n && values[end] === v) end++;
    const run = end - pos;
    if (run >= 16) {
      // Literals before a run must fill whole groups of 8: borrow from the run.
      const pad = (8 - ((pos - litStart) & 7)) & 7;
      bitPack(out, values, litStart, pos + pad, width);
      out.varint((run - pad) << 1);
      for (let b = 0; b < valueBytes; b++) out.byte((v >>> (8 * b)) & 0xff);
      litStart = end;
    }
    pos = end;
  }
  bitPack(out, values, litStart, n, width);
  return out.done();
}

function bitPack(out: Growable, values: Int32Array, start: number, end: number, width: number) {
  if (width > 24) throw new Error(`parquet: bit width ${width} is above 24`);
  const count = end - start;
  if (count <= 0) return;
  const groups = Math.ceil(count / 8);
  out.varint((groups << 1) | 1);
  out.ensure(groups * width);
  const buf = out.buf;
  let p = out.len;
  let acc = 0;
  let bits = 0;
  for (let k = 0; k < groups * 8; k++) {
    const v = start + k < end ? values[start + k]! : 0;
    // Accumulate LSB-first; width <= 24 keeps acc below 2^31 before flushing.
    acc |= v << bits;
    bits += width;
    while (bits >= 8) {
      buf[p++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) buf[p++] = acc & 0xff;
  out.len = p;
}

function plainStrings(values: readonly string[]): Uint8Array {
  let total = 0;
  for (const s of values) total += 4 + Buffer.byteLength(s, 'utf8');
  const buf = Buffer.allocUnsafe(total);
  let p = 0;
  for (const s of values) {
    const len = buf.write(s, p + 4, 'utf8');
    buf.writeUInt32LE(len, p);
    p += 4 + len;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, total);
}

/** A byte buffer that grows by doubling. */
class Growable {
  buf: Uint8Array;
  len = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }
  ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  varint(v: number): void {
    this.ensure(5);
    while (v > 0x7f) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
