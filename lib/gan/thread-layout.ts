/**
 * How the threaded CFGAN trainer (train-threads.ts) lays out its shared wasm memory and what
 * it sends its threads (thread-worker.ts): the padded sizes, the buffers, the steps of a
 * round, and the copies between train.ts's tables and the threads' layouts.
 */
import type { Allocator, ArenaPlace } from '../compute/arena.ts';
import type { WasmMemory } from '../compute/wasm-writer.ts';
import type { CfganConfig } from './types.ts';

/** Catalog rows per call of a partial-sum product (its operands stay in L2). */
export const PARTIAL_CHUNK = 128;

/** Sizes round up to whole f32x4 vectors; the padding stays zero. */
export const pad4 = (x: number) => Math.ceil(x / 4) * 4;

/** The sizes the buffers and products are laid out by. */
export interface Dims {
  width: number;
  hG: number;
  hGp: number;
  hD: number;
  hDp: number;
  nz: number;
  /** Vectors per batch of the larger pass, and that padded to 4 (the products' columns). */
  B: number;
  Bp: number;
}

export function dimsOf(width: number, c: CfganConfig): Dims {
  const B = Math.max(c.batchSize, c.discriminatorBatchSize);
  const { generatorUnits: hG, discriminatorUnits: hD, noiseDim: nz } = c;
  return { width, hG, hGp: pad4(hG), hD, hDp: pad4(hD), nz, B, Bp: pad4(B) };
}

/** The arrays the threads share (the weights they update are views of train.ts's state). */
export type SharedFloats =
  | 'w2T'
  | 'w2TM'
  | 'w2TV'
  | 'b2'
  | 'b2M'
  | 'b2V'
  | 'wx'
  | 'wxM'
  | 'wxV'
  | 'w1'
  | 'w1M'
  | 'w1V'
  | 'hT'
  | 'h'
  | 'mask'
  | 'zr'
  | 'outT'
  | 'fakeT'
  | 'doutT'
  | 'daf'
  | 'dafT'
  | 'gW2T'
  | 'gB2'
  | 'gWx'
  | 'gW1'
  | 'rowLoss'
  | 'shareGrad';

/** This thread's buffers (besides the shared ones). */
interface MainBuffers {
  preG: Float32Array;
  cond: Float32Array;
  realX: Float32Array;
  dar: Float32Array;
  daSum: Float32Array;
  dpre: Float32Array;
  z: Float32Array;
  rowGrad: Float32Array;
  rows: Int32Array;
  shareRows: Int32Array;
  pairs: Int32Array;
  /** The mask sampler's generator state. */
  rngState: Int32Array;
  partialHf: Float32Array[];
  partialDh: Float32Array[];
  /** Small gradients. */
  gB1: Float32Array;
  gWz: Float32Array;
  dB1: Float32Array;
  dW2: Float32Array;
  dB2: Float32Array;
}

/** The buffers of the threaded trainer (weights not included), from `alloc`. */
export interface ThreadBuffers {
  shared: Omit<Record<SharedFloats, Float32Array>, 'b2' | 'b2M' | 'b2V' | 'w1' | 'w1M' | 'w1V'>;
  main: MainBuffers;
}

export function threadBuffers(
  alloc: Allocator,
  width: number,
  c: CfganConfig,
  threads: number,
): ThreadBuffers {
  const { hG, hGp, hD, hDp, nz, B, Bp } = dimsOf(width, c);
  const f = (n: number) => alloc.floats(n);
  const dense = c.regG > 0;
  return {
    shared: {
      w2T: f(width * hGp),
      w2TM: f(width * hGp),
      w2TV: f(width * hGp),
      wx: f(width * hDp),
      wxM: f(width * hDp),
      wxV: f(width * hDp),
      hT: f(hGp * Bp),
      h: f(Bp * hGp),
      // Two batches' masks: the next one is drawn while the threads work on this one.
      mask: f(2 * width * Bp),
      zr: f(2 * width * Bp),
      outT: f(width * Bp),
      fakeT: f(width * Bp),
      doutT: f(width * Bp),
      daf: f(Bp * hDp),
      dafT: f(hDp * Bp),
      gW2T: f(width * hGp),
      gB2: f(width),
      gWx: f(width * hDp),
      gW1: f(dense ? width * hG : 0),
      rowLoss: f(width),
      shareGrad: f(width * Math.max(hG, hDp)),
    },
    main: {
      preG: f(B * hG),
      cond: f(B * hD),
      realX: f(B * hDp),
      dar: f(B * hDp),
      daSum: f(B * hD),
      dpre: f(B * hG),
      z: f(2 * Math.max(1, B * nz)),
      rowGrad: f(width * Math.max(hG, hDp)),
      rows: alloc.ints(width),
      shareRows: alloc.ints(width),
      pairs: alloc.ints(2 * 16384),
      rngState: alloc.ints(4),
      partialHf: Array.from({ length: threads }, () => f(Bp * hDp)),
      partialDh: Array.from({ length: threads }, () => f(Bp * hGp)),
      gB1: f(hG),
      gWz: f(nz * hG),
      dB1: f(hD),
      dW2: f(hD),
      dB2: f(1),
    },
  };
}

/**
 * One step of a round on a thread's catalog rows (`np`: the batch's padded width; `buf`: the
 * half of the mask buffers its masks are in).
 */
export type GanStep =
  | { kind: 'forward'; np: number; buf: number }
  | { kind: 'dBackward'; np: number; rate: number; count: number }
  | { kind: 'gBackward'; np: number; buf: number; rate: number; c: number; reg: number }
  | { kind: 'w1'; np: number; rate: number; reg: number; count: number };

export interface GanJob {
  steps: GanStep[];
}

export interface GanThreadInit {
  memory: WasmMemory;
  bytes: number;
  width: number;
  hG: number;
  hGp: number;
  hDp: number;
  /** This thread's catalog rows. */
  from: number;
  to: number;
  /** The padded batch widths of the two passes, and the largest (mask buffers' halves). */
  batchWidths: number[];
  Bp: number;
  beta1: number;
  beta2: number;
  eps: number;
  floats: Record<SharedFloats | 'partialHf' | 'partialDh', ArenaPlace>;
  shareRows: ArenaPlace;
}

/**
 * `out[c * outCols + r] = a[r * cols + c]` for r < rows, c < keep (default cols): the
 * transpose of a (rows x cols) matrix, each output row padded to `outCols`.
 */
export function transposeInto(
  a: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  outCols: number,
  keep = cols,
): void {
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < keep; c++) out[c * outCols + r] = a[r * cols + c]!;
}

/** The (rows x cols) matrix `a` into `out` with rows of outCols >= cols floats. */
export function padRows(
  a: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  outCols: number,
) {
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * cols, (r + 1) * cols), r * outCols);
}

/** The first outCols floats of each of the `rows` rows (of cols floats) of `a` into `out`. */
export function unpadRows(
  a: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  outCols: number,
) {
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * cols, r * cols + outCols), r * outCols);
}
