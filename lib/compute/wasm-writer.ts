/**
 * A minimal WebAssembly binary writer: just what the project's run-time assembled SIMD
 * kernels need (full-ranking dot products, BPR-MF training steps). Kernels are built in
 * memory with their shapes baked in as constants - no toolchain, no binary blob in the repo.
 */

export const PAGE = 65536;
/** Offsets are passed as i32; memories stay below 2 GiB so they never turn negative. */
export const MAX_BYTES = 2 ** 31 - PAGE;

// The few WebAssembly JS-API members used, typed structurally: the project compiles
// against Node's types without the DOM lib, which is where TypeScript declares them.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
export const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

export const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  end: 0x0b,
  call: 0x10,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  i32Store: 0x36,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Const: 0x41,
  i64Const: 0x42,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i64Shl: 0x86,
  f64Ge: 0x66,
  f64Gt: 0x64,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f64Abs: 0x99,
  f64Neg: 0x9a,
  f64Nearest: 0x9e,
  f64Sqrt: 0x9f,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  f64Min: 0xa4,
  f64Max: 0xa5,
  i64ExtendI32U: 0xad,
  f32DemoteF64: 0xb6,
  f64PromoteF32: 0xbb,
  f64ReinterpretI64: 0xbf,
  /** Prefix of the saturating conversions ({@link sat}). */
  sat: 0xfc,
  simd: 0xfd,
} as const;

/** Saturating float-to-int sub-opcodes (after 0xfc): NaN gives 0, never a trap. */
export const sat = {
  i32TruncF64S: 2,
} as const;

/** SIMD sub-opcodes (LEB128-encoded after 0xfd). */
export const simd = {
  load: 0,
  load32Splat: 9,
  load64Splat: 10,
  store: 11,
  const: 12,
  /** Followed by 16 lane indices (0-15 the first operand's bytes, 16-31 the second's). */
  i8x16Shuffle: 13,
  f32x4Splat: 19,
  f64x2Splat: 20,
  f32x4ExtractLane: 31,
  f64x2ExtractLane: 33,
  f32x4Gt: 68,
  v128And: 78,
  store64Lane: 91,
  f32x4DemoteF64x2Zero: 94,
  f64x2PromoteLowF32x4: 95,
  f32x4Neg: 225,
  f32x4Sqrt: 227,
  f32x4Add: 228,
  f32x4Sub: 229,
  f32x4Mul: 230,
  f32x4Div: 231,
  /** b < a ? a : b per lane (pmax(0, x) is ReLU in one x86 maxps). */
  f32x4Pmax: 235,
  f64x2Sqrt: 239,
  f64x2Add: 240,
  f64x2Sub: 241,
  f64x2Mul: 242,
  f64x2Div: 243,
} as const;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function str(s: string): number[] {
  return [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
}

/** A function body under construction: instruction helpers over a byte list. */
export class Code {
  readonly bytes: number[] = [];

  push(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  get(l: number): this {
    return this.push(op.localGet, ...uleb(l));
  }
  set(l: number): this {
    return this.push(op.localSet, ...uleb(l));
  }
  tee(l: number): this {
    return this.push(op.localTee, ...uleb(l));
  }
  i32(v: number): this {
    return this.push(op.i32Const, ...sleb(v));
  }
  /** f64.const v (the 8 bytes of the double, little-endian). */
  f64(v: number): this {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v, true);
    return this.push(op.f64Const, ...new Uint8Array(view.buffer));
  }
  /** i64.const v, for |v| < 2^31 (what the kernels need). */
  i64(v: number): this {
    return this.push(op.i64Const, ...sleb(v));
  }
  simd(code: number): this {
    return this.push(op.simd, ...uleb(code));
  }
  /** A memory immediate: log2 alignment and a constant byte offset. */
  mem(align: number, offset: number): this {
    return this.push(...uleb(align), ...uleb(offset));
  }
  /** local l += v (i32). */
  addTo(l: number, v: number): this {
    return this.get(l).i32(v).push(op.i32Add).set(l);
  }
  /** local `into` = v128.load(local `ptr` + `offset`). */
  loadV128(ptr: number, offset: number, into: number): this {
    return this.get(ptr).simd(simd.load).mem(4, offset).set(into);
  }
  /** local `into` = base + i32.load(local `idx`) * rowBytes: the row an index names. */
  rowAddress(idx: number, base: number, rowBytes: number, into: number): this {
    return this.get(idx)
      .push(op.i32Load, 2, 0)
      .i32(rowBytes)
      .push(op.i32Mul)
      .get(base)
      .push(op.i32Add)
      .set(into);
  }
  zeroV128(l: number): this {
    return this.simd(simd.const)
      .push(...new Array<number>(16).fill(0))
      .set(l);
  }
  /** `block { loop { if (i >= limit) break; ...body; br loop } }` over an i32 local. */
  loopUntil(i: number, limit: number, body: () => void): this {
    this.push(op.block, 0x40, op.loop, 0x40);
    this.get(i).get(limit).push(op.i32GeU, op.brIf, 1);
    body();
    return this.push(op.br, 0, op.end, op.end);
  }
}

export interface WasmFunction {
  name: string;
  params: number[];
  /** Extra locals as [count, type] runs (after the params). */
  locals: [number, number][];
  code: Code;
  /** Result types (none when absent): what the body leaves on the stack. */
  results?: number[];
}

/**
 * A function's params and locals by name: `params` first, in order, then `locals`, each
 * given its type; their indices follow that order. Kernels then write `c.get(l.rows)`
 * rather than `c.get(0)`, and the declaration is the one place that fixes the layout.
 */
export function namedLocals<P extends Record<string, number>, L extends Record<string, number>>(
  params: P,
  locals: L,
): {
  index: { readonly [K in keyof P | keyof L]: number };
  params: number[];
  locals: [number, number][];
} {
  const names = [...Object.keys(params), ...Object.keys(locals)];
  if (new Set(names).size !== names.length) throw new Error(`duplicate local in ${names}`);
  const index = Object.fromEntries(names.map((n, k) => [n, k])) as {
    [K in keyof P | keyof L]: number;
  };
  // Locals are declared as runs of one type.
  const runs: [number, number][] = [];
  for (const type of Object.values(locals)) {
    const last = runs.at(-1);
    if (last && last[1] === type) last[0]++;
    else runs.push([1, type]);
  }
  return { index, params: Object.values(params), locals: runs };
}

/**
 * `count` locals of one `type` named `${name}0`, `${name}1`, ..., to spread into
 * {@link namedLocals}' `locals`: a register block whose size is a parameter. They are
 * declared together, so member k's index is `index[`${name}0`] + k`; the type names the
 * first member only, the one such code reads.
 */
export function localRun<N extends string>(
  name: N,
  count: number,
  type: number,
): { [K in `${N}0`]: number } {
  if (!(count >= 1)) throw new RangeError(`a run of ${count} locals named ${name}`);
  return Object.fromEntries(Array.from({ length: count }, (_, k) => [`${name}${k}`, type])) as {
    [K in `${N}0`]: number;
  };
}

/**
 * A module importing `env.memory` and exporting `functions`. `shared`: the memory is a
 * shared one (see {@link newSharedMemory}), for kernels that several threads run on.
 */
export function moduleBytes(functions: WasmFunction[], shared = false): Uint8Array {
  const types = functions.flatMap((f) => {
    const results = f.results ?? [];
    return [0x60, ...uleb(f.params.length), ...f.params, ...uleb(results.length), ...results];
  });
  const bodies = functions.flatMap((f) => {
    const locals = [...uleb(f.locals.length), ...f.locals.flatMap(([n, t]) => [...uleb(n), t])];
    const body = [...locals, ...f.code.bytes, op.end];
    return [...uleb(body.length), ...body];
  });
  const n = functions.length;
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [...uleb(n), ...types]),
    ...section(2, [
      1,
      ...str('env'),
      ...str('memory'),
      0x02,
      ...(shared ? [0x03, 0x01, ...uleb(65536)] : [0x00, 0x01]),
    ]),
    ...section(3, [...uleb(n), ...functions.flatMap((_, k) => uleb(k))]),
    ...section(7, [...uleb(n), ...functions.flatMap((f, k) => [...str(f.name), 0x00, ...uleb(k)])]),
    ...section(10, [...uleb(n), ...bodies]),
  ];
  return Uint8Array.from(bytes);
}

/** Compiles `bytes` against `memory` and returns the instance's exports. */
export function instantiate(bytes: Uint8Array, memory: WasmMemory): Record<string, unknown> {
  if (!wasm) throw new Error('WebAssembly is not available in this runtime');
  const module = new wasm.Module(bytes);
  return new wasm.Instance(module, { env: { memory } }).exports;
}

export function newMemory(bytes: number): WasmMemory {
  if (!wasm) throw new Error('WebAssembly is not available in this runtime');
  if (bytes > MAX_BYTES) throw new RangeError(`${bytes} bytes of wasm memory: over 2 GiB`);
  return new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
}

/** A fixed-size memory that worker threads can share (the module must import it `shared`). */
export function newSharedMemory(bytes: number): WasmMemory {
  if (!wasm) throw new Error('WebAssembly is not available in this runtime');
  if (bytes > MAX_BYTES) throw new RangeError(`${bytes} bytes of wasm memory: over 2 GiB`);
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  return new wasm.Memory({ initial: pages, maximum: pages, shared: true });
}

/** True when this runtime compiles `bytes` (e.g. a SIMD kernel). */
export function wasmValidates(bytes: () => Uint8Array): boolean {
  try {
    return wasm !== undefined && wasm.validate(bytes());
  } catch {
    return false;
  }
}
