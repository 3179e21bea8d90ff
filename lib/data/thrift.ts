/**
 * A minimal Thrift compact-protocol writer: just what a Parquet footer and page headers
 * need (structs, lists, i32/i64, binary, bool). Parquet metadata is small, so clarity wins
 * over speed here; the bulk data never passes through this module.
 */

const T_TRUE = 1;
const T_FALSE = 2;
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

/** A Thrift value description: the writer needs the wire type of every field. */
export type ThriftValue =
  | { t: 'i32'; v: number }
  | { t: 'i64'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'binary'; v: Uint8Array | string }
  | { t: 'struct'; v: ThriftStruct }
  | { t: 'list'; elem: 'i32' | 'binary' | 'struct'; v: ThriftValue[] };

/** Fields by id; undefined fields are skipped (Thrift optionals). */
export type ThriftStruct = Record<number, ThriftValue | undefined>;

export const i32 = (v: number): ThriftValue => ({ t: 'i32', v });
export const i64 = (v: number): ThriftValue => ({ t: 'i64', v });
export const bool = (v: boolean): ThriftValue => ({ t: 'bool', v });
export const bin = (v: Uint8Array | string): ThriftValue => ({ t: 'binary', v });
export const struct = (v: ThriftStruct): ThriftValue => ({ t: 'struct', v });
export const list = (elem: 'i32' | 'binary' | 'struct', v: ThriftValue[]): ThriftValue => ({
  t: 'list',
  elem,
  v,
});

const encoder = new TextEncoder();

/** Serializes one top-level struct in the compact protocol. */
export function encodeStruct(s: ThriftStruct): Uint8Array {
  const out: number[] = [];
  writeStruct(out, s);
  return Uint8Array.from(out);
}

function writeStruct(out: number[], s: ThriftStruct): void {
  let last = 0;
  const ids = Object.keys(s)
    .map(Number)
    .sort((a, b) => a - b);
  for (const id of ids) {
    const f = s[id];
    if (f === undefined) continue;
    const type = f.t === 'bool' ? (f.v ? T_TRUE : T_FALSE) : wireType(f.t);
    const delta = id - last;
    if (delta > 0 && delta <= 15) out.push((delta << 4) | type);
    else {
      out.push(type);
      varint(out, zigzag32(id));
    }
    last = id;
    if (f.t !== 'bool') writeValue(out, f);
  }
  out.push(0); // stop
}

function wireType(t: ThriftValue['t']): number {
  switch (t) {
    case 'i32':
      return T_I32;
    case 'i64':
      return T_I64;
    case 'binary':
      return T_BINARY;
    case 'struct':
      return T_STRUCT;
    case 'list':
      return T_LIST;
    case 'bool':
      return T_TRUE;
  }
}

function writeValue(out: number[], f: ThriftValue): void {
  switch (f.t) {
    case 'i32':
      varint(out, zigzag32(f.v));
      return;
    case 'i64':
      varintBig(out, zigzag64(f.v));
      return;
    case 'bool':
      out.push(f.v ? 1 : 0);
      return;
    case 'binary': {
      const b = typeof f.v === 'string' ? encoder.encode(f.v) : f.v;
      varint(out, b.length);
      for (let k = 0; k < b.length; k++) out.push(b[k]!);
      return;
    }
    case 'struct':
      writeStruct(out, f.v);
      return;
    case 'list': {
      const et = wireType(f.elem);
      if (f.v.length < 15) out.push((f.v.length << 4) | et);
      else {
        out.push(0xf0 | et);
        varint(out, f.v.length);
      }
      for (const e of f.v) writeValue(out, e);
      return;
    }
  }
}

function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function zigzag64(n: number): bigint {
  const b = BigInt(n);
  return b >= 0n ? b << 1n : (-b << 1n) - 1n;
}

/** Unsigned LEB128 varint of a value below 2^32. */
export function varint(out: number[], v: number): void {
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

function varintBig(out: number[], v: bigint): void {
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}
