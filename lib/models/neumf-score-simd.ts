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
import { Code, I32, V128, moduleBytes, op, simd } from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';
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
function pairsFunction(h1: number): WasmFunction {
  const [UF, IF, H1, COUNT] = [0, 1, 2, 3];
  const [P] = [4];
  const ZERO = 5;
  const c = new Code();
  c.zeroV128(ZERO).i32(0).set(P);
  c.loopUntil(P, COUNT, () => {
    for (let v = 0; v < h1 / 4; v++) {
      c.get(H1).get(ZERO);
      load(c, UF, 16 * v);
      load(c, IF, 16 * v)
        .simd(simd.f32x4Add)
        .simd(simd.f32x4Pmax)
        .simd(simd.store)
        .mem(4, 16 * v);
    }
    c.addTo(IF, 4 * h1)
      .addTo(H1, 4 * h1)
      .addTo(P, 1);
  });
  return {
    name: 'pairs',
    params: [I32, I32, I32, I32],
    locals: [
      [1, I32],
      [1, V128],
    ],
    code: c,
  };
}

/** `out(zl, pg, q, out, count)`: out[p] = <zl[p], h_m> + <pg, q[p]> + h0. */
function outFunction(f: number, hl: number, hm: number, h0: number): WasmFunction {
  const [ZL, PG, Q, OUT, COUNT] = [0, 1, 2, 3, 4];
  const [P, HM] = [5, 6];
  const ACC = 7;
  const c = new Code();
  c.i32(hm).set(HM).i32(0).set(P);
  c.loopUntil(P, COUNT, () => {
    c.zeroV128(ACC);
    // The MLP's output term, then the GMF term, into the same lanes.
    for (const [a, b, vectors] of [
      [ZL, HM, hl / 4],
      [PG, Q, f / 4],
    ] as const)
      for (let v = 0; v < vectors; v++) {
        c.get(ACC);
        load(c, a, 16 * v);
        load(c, b, 16 * v)
          .simd(simd.f32x4Mul)
          .simd(simd.f32x4Add)
          .set(ACC);
      }
    c.get(OUT);
    c.get(ACC).simd(simd.f32x4ExtractLane).push(0);
    for (let lane = 1; lane < 4; lane++)
      c.get(ACC).simd(simd.f32x4ExtractLane).push(lane).push(op.f32Add);
    c.i32(h0).push(op.f32Load, 2, 0).push(op.f32Add);
    c.push(op.f32Store, 2, 0);
    c.addTo(ZL, 4 * hl)
      .addTo(Q, 4 * f)
      .addTo(OUT, 4)
      .addTo(P, 1);
  });
  return {
    name: 'out',
    params: [I32, I32, I32, I32, I32],
    locals: [
      [2, I32],
      [1, V128],
    ],
    code: c,
  };
}

/**
 * `scoreUser(uf, pg, out, scratch)`: the scores of one user (userFirst row `uf`, GMF row
 * times h_g `pg`) for every item into `out`; `scratch` holds scratchBytes(layers).
 * Functions 0 (pairs), 1 (out) and 2.. (fwd2..) are called by index.
 */
function scoreUserFunction(l: ScoreLayout): WasmFunction {
  const [UF, PG, OUT, SCRATCH] = [0, 1, 2, 3];
  const [I0, CNT, IFP, QP, N] = [4, 5, 6, 7, 8];
  const { nItems, factors: f, layers } = l;
  const rows = Math.ceil(ITEM_BLOCK / ROW_BLOCK) * ROW_BLOCK;
  // Scratch offsets of each layer's activations.
  const act: number[] = [];
  layers.reduce((at, size) => (act.push(at), at + 4 * rows * size), 0);
  const c = new Code();
  c.i32(0).set(I0).i32(nItems).set(N).i32(l.itemFirst).set(IFP).i32(l.itemGmf).set(QP);
  c.loopUntil(I0, N, () => {
    // cnt = min(ITEM_BLOCK, nItems - i0)
    c.i32(ITEM_BLOCK)
      .get(N)
      .get(I0)
      .push(op.i32Sub)
      .tee(CNT)
      .get(CNT)
      .i32(ITEM_BLOCK)
      .push(op.i32GtU, op.select)
      .set(CNT);
    const scratch = (k: number) => c.get(SCRATCH).i32(act[k]!).push(op.i32Add);
    c.get(UF).get(IFP);
    scratch(0).get(CNT).push(op.call, 0);
    for (let k = 1; k < layers.length; k++) {
      scratch(k - 1)
        .i32(l.w[k]!)
        .i32(l.b[k]!)
        .i32(0);
      scratch(k)
        .get(CNT)
        .push(op.call, 2 + k - 1);
    }
    scratch(layers.length - 1)
      .get(PG)
      .get(QP)
      .get(OUT)
      .get(CNT)
      .push(op.call, 1);
    c.addTo(IFP, 4 * ITEM_BLOCK * layers[0]!)
      .addTo(QP, 4 * ITEM_BLOCK * f)
      .addTo(OUT, 4 * ITEM_BLOCK)
      .addTo(I0, ITEM_BLOCK);
  });
  return { name: 'scoreUser', params: [I32, I32, I32, I32], locals: [[5, I32]], code: c };
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
