/**
 * NeuMF full-ranking scores as WebAssembly SIMD, assembled per model with every table's
 * address baked in. The first MLP layer is split as in the tfjs path: userFirst = p'_u W1_u
 * and itemFirst = q'_i W1_i + b1 are computed once (`first`), so per (user, item) pair the
 * work is relu(userFirst + itemFirst), the later layers and the output dot products. Items
 * go in blocks of ITEM_BLOCK pairs whose activations stay in L1:
 *
 * - `pairs`: h1[p] = relu(userFirst[u] + itemFirst[i0 + p]);
 * - `fwd<l>` (l >= 2): the layers, the training kernel's products (neumf-simd.ts);
 * - `out`: score[p] = <z_L[p], h_m> + <p_u * h_g, q_i> + h0;
 * - `scoreUser(uf, pg, out, scratch)`: one user against every item, calling the above.
 *
 * The memory is shared, so worker threads can run `scoreUser` for other users at once.
 */
import { Code, I32, V128, moduleBytes, namedLocals, op, simd } from '../../compute/wasm-writer.ts';
import type { WasmFunction } from '../../compute/wasm-writer.ts';
import { ROW_BLOCK, gemmFunction } from './neumf-simd.ts';

/** Items per block (rounded up to ROW_BLOCK by the products). */
export const ITEM_BLOCK = 64;

/** Byte addresses of the model's arrays in the scoring memory. */
export interface ScoreLayout {
  nItems: number;
  factors: number;
  layers: number[];
  /** itemFirst (nItems x h1), itemGmf (nItems x f). */
  itemFirst: number;
  itemGmf: number;
  /** Layer l's weights and bias (index l - 1), for l >= 2. */
  w: number[];
  b: number[];
  /** h_m (h_L floats) and h0 (one float). */
  hm: number;
  h0: number;
}

/** Bytes of one thread's scratch: the activations of one item block per layer. */
export function scratchBytes(layers: number[]): number {
  const rows = Math.ceil(ITEM_BLOCK / ROW_BLOCK) * ROW_BLOCK;
  return layers.reduce((s, size) => s + 4 * rows * size, 0);
}

const load = (c: Code, ptr: number, offset: number) => c.get(ptr).simd(simd.load).mem(4, offset);

/** `pairs(uf, itemFirst, h1, count)`: h1[p] = relu(uf + itemFirst[p]) for p < count. */
function pairsFunction(h1Size: number): WasmFunction {
  const f = namedLocals({ uf: I32, itemFirst: I32, h1: I32, count: I32 }, { p: I32, zero: V128 });
  const l = f.index;
  const c = new Code();
  c.zeroV128(l.zero).i32(0).set(l.p);
  c.loopUntil(l.p, l.count, () => {
    for (let v = 0; v < h1Size / 4; v++) {
      c.get(l.h1).get(l.zero);
      load(c, l.uf, 16 * v);
      load(c, l.itemFirst, 16 * v)
        .simd(simd.f32x4Add)
        .simd(simd.f32x4Pmax)
        .simd(simd.store)
        .mem(4, 16 * v);
    }
    c.addTo(l.itemFirst, 4 * h1Size)
      .addTo(l.h1, 4 * h1Size)
      .addTo(l.p, 1);
  });
  return { name: 'pairs', params: f.params, locals: f.locals, code: c };
}

/** `out(zl, pg, q, out, count)`: out[p] = <zl[p], h_m> + <pg, q[p]> + h0. */
function outFunction(f: number, hl: number, hm: number, h0: number): WasmFunction {
  const fn = namedLocals(
    { zl: I32, pg: I32, q: I32, out: I32, count: I32 },
    { p: I32, hmAt: I32, acc: V128 },
  );
  const l = fn.index;
  const c = new Code();
  c.i32(hm).set(l.hmAt).i32(0).set(l.p);
  c.loopUntil(l.p, l.count, () => {
    c.zeroV128(l.acc);
    // The MLP's output term, then the GMF term, into the same lanes.
    for (const [a, b, vectors] of [
      [l.zl, l.hmAt, hl / 4],
      [l.pg, l.q, f / 4],
    ] as const)
      for (let v = 0; v < vectors; v++) {
        c.get(l.acc);
        load(c, a, 16 * v);
        load(c, b, 16 * v)
          .simd(simd.f32x4Mul)
          .simd(simd.f32x4Add)
          .set(l.acc);
      }
    c.get(l.out);
    c.get(l.acc).simd(simd.f32x4ExtractLane).push(0);
    for (let lane = 1; lane < 4; lane++)
      c.get(l.acc).simd(simd.f32x4ExtractLane).push(lane).push(op.f32Add);
    c.i32(h0).push(op.f32Load, 2, 0).push(op.f32Add);
    c.push(op.f32Store, 2, 0);
    c.addTo(l.zl, 4 * hl)
      .addTo(l.q, 4 * f)
      .addTo(l.out, 4)
      .addTo(l.p, 1);
  });
  return { name: 'out', params: fn.params, locals: fn.locals, code: c };
}

/**
 * `scoreUser(uf, pg, out, scratch)`: the scores of one user (userFirst row `uf`, GMF row
 * times h_g `pg`) for every item into `out`; `scratch` holds scratchBytes(layers).
 * Functions 0 (pairs), 1 (out) and 2.. (fwd2..) are called by index.
 */
function scoreUserFunction(layout: ScoreLayout): WasmFunction {
  const fn = namedLocals(
    { uf: I32, pg: I32, out: I32, scratch: I32 },
    // The block's first item and size, its itemFirst and itemGmf rows, and nItems.
    { i0: I32, count: I32, itemFirstAt: I32, itemGmfAt: I32, itemCount: I32 },
  );
  const l = fn.index;
  const { nItems, factors: f, layers } = layout;
  const rows = Math.ceil(ITEM_BLOCK / ROW_BLOCK) * ROW_BLOCK;
  // Scratch offsets of each layer's activations.
  const act: number[] = [];
  layers.reduce((at, size) => (act.push(at), at + 4 * rows * size), 0);
  const c = new Code();
  c.i32(0).set(l.i0).i32(nItems).set(l.itemCount);
  c.i32(layout.itemFirst).set(l.itemFirstAt).i32(layout.itemGmf).set(l.itemGmfAt);
  c.loopUntil(l.i0, l.itemCount, () => {
    // count = min(ITEM_BLOCK, nItems - i0)
    c.i32(ITEM_BLOCK)
      .get(l.itemCount)
      .get(l.i0)
      .push(op.i32Sub)
      .tee(l.count)
      .get(l.count)
      .i32(ITEM_BLOCK)
      .push(op.i32GtU, op.select)
      .set(l.count);
    const scratch = (k: number) => c.get(l.scratch).i32(act[k]!).push(op.i32Add);
    c.get(l.uf).get(l.itemFirstAt);
    scratch(0).get(l.count).push(op.call, 0);
    for (let k = 1; k < layers.length; k++) {
      scratch(k - 1)
        .i32(layout.w[k]!)
        .i32(layout.b[k]!)
        .i32(0);
      scratch(k)
        .get(l.count)
        .push(op.call, 2 + k - 1);
    }
    scratch(layers.length - 1)
      .get(l.pg)
      .get(l.itemGmfAt)
      .get(l.out)
      .get(l.count)
      .push(op.call, 1);
    c.addTo(l.itemFirstAt, 4 * ITEM_BLOCK * layers[0]!)
      .addTo(l.itemGmfAt, 4 * ITEM_BLOCK * f)
      .addTo(l.out, 4 * ITEM_BLOCK)
      .addTo(l.i0, ITEM_BLOCK);
  });
  return { name: 'scoreUser', params: fn.params, locals: fn.locals, code: c };
}

/**
 * The scoring module for a model laid out as `l`, plus `first(a, w, bias, mask, out, rows)`
 * (the products of the first layer's halves: `firstUser` without bias, `firstItem` with).
 */
export function assembleNeuMfScore(l: ScoreLayout): Uint8Array {
  const { factors: f, layers } = l;
  const fns: WasmFunction[] = [
    pairsFunction(layers[0]!),
    outFunction(f, layers.at(-1)!, l.hm, l.h0),
  ];
  for (let k = 1; k < layers.length; k++)
    fns.push(gemmFunction(`fwd${k + 1}`, layers[k - 1]!, layers[k]!, 'biasRelu'));
  fns.push(scoreUserFunction(l));
  fns.push(gemmFunction('firstUser', f, layers[0]!, 'none'));
  fns.push(gemmFunction('firstItem', f, layers[0]!, 'bias'));
  return moduleBytes(fns, true);
}
