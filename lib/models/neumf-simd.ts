/**
 * NeuMF's batch math as WebAssembly SIMD (f32x4), assembled at run time with the layer
 * sizes baked in (the products are register-blocked loops, the per-sample row operations
 * unrolled). Through tfjs a batch is ~40 ops, each a dispatch, an intermediate tensor and
 * (for the matrix products) a pass of XNNPACK over memory; here it is a dozen calls over
 * buffers that stay in cache:
 *
 * - `gather`: the MLP input rows [p'_u ; q'_i] of every sample;
 * - `fwd<l>`: Z_l = relu(Z_{l-1} W_l + b_l), register-blocked 2 samples x 16 outputs;
 * - `head`: logit parts <p_u * q_i, h_g> + <z_L, h_m> and each sample's squared norms;
 * - `headBack`: from dloss/dx, the GMF rows' gradients into their row sums, dh, and the
 *   last layer's masked gradient;
 * - `gw<l>`, `gb<l>`: dW_l = Z_{l-1}^T dU_l and db_l = column sums of dU_l, in sample order,
 *   32 samples at a time so both operands sit in L1;
 * - `back<l>`: dU_{l-1} = (dU_l W_l^T) masked by Z_{l-1} > 0 (l = 1: the MLP input's
 *   gradient, unmasked);
 * - `embBack`: the MLP rows' gradients into their row sums.
 *
 * Float32 throughout, like tfjs; every sum runs in a fixed order, so a given input gives the
 * same bits on every run. Layer sizes and the embedding size must be multiples of 4.
 */
import { Code, F32, I32, V128, moduleBytes, op, simd } from '../compute/wasm-writer.ts';
import type { WasmFunction } from '../compute/wasm-writer.ts';

/**
 * Samples per register block of the forward and backward products (buffers round up to it).
 * 2 x 4 vectors measured best with 4 x 2 (~42 GFLOP/s on one core here); larger blocks spill.
 */
export const ROW_BLOCK = 2;
/** f32x4 vectors of outputs per register block. */
const VEC_BLOCK = 4;
/** Samples per pass of the weight-gradient products (operands in L1). */
const GW_CHUNK = 32;

const load = (c: Code, ptr: number, offset: number) => c.get(ptr).simd(simd.load).mem(4, offset);
const splat = (c: Code, ptr: number, offset: number) =>
  c.get(ptr).simd(simd.load32Splat).mem(2, offset);

/** Sum of the four lanes of a v128 local, left on the stack as f32 (lane order 0..3). */
function lanesSum(c: Code, v: number): void {
  c.get(v).simd(simd.f32x4ExtractLane).push(0);
  for (let lane = 1; lane < 4; lane++)
    c.get(v).simd(simd.f32x4ExtractLane).push(lane).push(op.f32Add);
}

/** local `into` = base + i32.load(local `idx`) * rowBytes. */
function rowOf(c: Code, idx: number, base: number, rowBytes: number, into: number): void {
  c.rowAddress(idx, base, rowBytes, into);
}

/**
 * One step of a register-blocked product: a scalar of each of `rows` rows (at rowPtr, every
 * rowStride bytes) splat into S0.., `vb` vectors of the other operand (at colPtr) into V0..,
 * then acc[r][v] += s[r] * v[v] for the rows x vb accumulators at ACC (VEC_BLOCK per row).
 */
function registerBlockStep(
  c: Code,
  b: {
    rows: number;
    vb: number;
    rowPtr: number;
    rowStride: number;
    colPtr: number;
    ACC: number;
    S0: number;
    V0: number;
  },
): void {
  for (let r = 0; r < b.rows; r++) splat(c, b.rowPtr, r * b.rowStride).set(b.S0 + r);
  for (let v = 0; v < b.vb; v++) load(c, b.colPtr, 16 * v).set(b.V0 + v);
  for (let r = 0; r < b.rows; r++)
    for (let v = 0; v < b.vb; v++) {
      const acc = b.ACC + r * VEC_BLOCK + v;
      c.get(acc)
        .get(b.S0 + r)
        .get(b.V0 + v)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .set(acc);
    }
}

/**
 * `name(a, w, bias, mask, out, rows)`: out = epilogue(A W) for row-major A (rows x k) and
 * W (k x n), in blocks of ROW_BLOCK rows (a partial last block computes whole rows).
 * Epilogues: `biasRelu` (out = relu(A W + bias), the sums start from the bias), `bias`
 * (the same without the ReLU), `mask`
 * (out = A W where mask > 0, else 0), `none`. Loops over row blocks, column blocks and the
 * inner dimension, none unrolled: V8 allocates registers far worse in long straight-line
 * code (a 64 x 32 product: 42 GFLOP/s as loops, 17 unrolled by 16, 12 fully unrolled).
 */
export function gemmFunction(
  name: string,
  k: number,
  n: number,
  epilogue: 'biasRelu' | 'bias' | 'mask' | 'none',
): WasmFunction {
  const [A, W, BIAS, MASK, OUT, ROWS] = [0, 1, 2, 3, 4, 5];
  const [R, CB, NB, J, AP, WP, WC, BC, OC, MC] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const P = ROW_BLOCK;
  const ACC = 16;
  const S0 = ACC + P * VEC_BLOCK;
  const W0 = S0 + P;
  const ZERO = W0 + VEC_BLOCK;
  const c = new Code();
  /** One column block of `vb` vectors at WC/BC/OC/MC, then those pointers move past it. */
  const block = (vb: number) => {
    for (let p = 0; p < P; p++)
      for (let v = 0; v < vb; v++)
        if (epilogue.startsWith('bias')) load(c, BC, 16 * v).set(ACC + p * VEC_BLOCK + v);
        else c.zeroV128(ACC + p * VEC_BLOCK + v);
    c.get(A).set(AP).get(WC).set(WP).i32(0).set(J);
    c.i32(k).set(NB);
    c.loopUntil(J, NB, () => {
      registerBlockStep(c, {
        rows: P,
        vb,
        rowPtr: AP,
        rowStride: 4 * k,
        colPtr: WP,
        ACC,
        S0,
        V0: W0,
      });
      c.addTo(AP, 4)
        .addTo(WP, 4 * n)
        .addTo(J, 1);
    });
    for (let p = 0; p < P; p++)
      for (let v = 0; v < vb; v++) {
        const o = 4 * p * n + 16 * v;
        c.get(OC);
        if (epilogue === 'biasRelu')
          c.get(ZERO)
            .get(ACC + p * VEC_BLOCK + v)
            .simd(simd.f32x4Pmax);
        else if (epilogue === 'mask') {
          c.get(ACC + p * VEC_BLOCK + v);
          load(c, MC, o).get(ZERO).simd(simd.f32x4Gt).simd(simd.v128And);
        } else c.get(ACC + p * VEC_BLOCK + v);
        c.simd(simd.store).mem(4, o);
      }
    for (const ptr of [WC, BC, OC, MC]) c.addTo(ptr, 16 * vb);
  };
  const full = Math.floor(n / 4 / VEC_BLOCK);
  const rest = n / 4 - full * VEC_BLOCK;
  c.zeroV128(ZERO);
  c.i32(0).set(R);
  c.loopUntil(R, ROWS, () => {
    c.get(W).set(WC).get(BIAS).set(BC).get(OUT).set(OC).get(MASK).set(MC);
    c.i32(0).set(CB);
    if (full > 0) {
      c.i32(full).set(NB);
      c.loopUntil(CB, NB, () => {
        block(VEC_BLOCK);
        c.addTo(CB, 1).i32(full).set(NB);
      });
    }
    if (rest > 0) block(rest);
    c.addTo(A, 4 * P * k)
      .addTo(MASK, 4 * P * n)
      .addTo(OUT, 4 * P * n)
      .addTo(R, P);
  });
  return {
    name,
    params: [I32, I32, I32, I32, I32, I32],
    locals: [
      [10, I32],
      [P * VEC_BLOCK + P + VEC_BLOCK + 1, V128],
    ],
    code: c,
  };
}

/**
 * `name(z, du, gw, rows)`: gw += Z^T dU for Z (rows x k) and dU (rows x n), each weight's
 * sum running over the samples in order. Tiles of 2 weight rows x 16 columns stay in
 * registers over GW_CHUNK samples (both operands' chunks sit in L1), then go back to
 * memory. Loops, not unrolled code (see gemmFunction).
 */
export function weightGradFunction(name: string, k: number, n: number): WasmFunction {
  const [Z, DU, GW, ROWS] = [0, 1, 2, 3];
  const [C0, CNT, KK, ZP, DP, JT, NJ, VB, NV, ZT, GT, DV, GV] = [
    4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  ];
  const J = 2;
  const ACC = 17;
  const S0 = ACC + J * VEC_BLOCK;
  const D0 = S0 + J;
  const full = Math.floor(n / 4 / VEC_BLOCK);
  const rest = n / 4 - full * VEC_BLOCK;
  const c = new Code();
  /** The tile of rows ZT.., columns DV.. over the chunk's samples; then DV, GV move on. */
  const tile = (vb: number) => {
    for (let a = 0; a < J; a++)
      for (let v = 0; v < vb; v++) load(c, GV, 4 * a * n + 16 * v).set(ACC + a * VEC_BLOCK + v);
    c.get(ZT).set(ZP).get(DV).set(DP).i32(0).set(KK);
    c.loopUntil(KK, CNT, () => {
      registerBlockStep(c, { rows: J, vb, rowPtr: ZP, rowStride: 4, colPtr: DP, ACC, S0, V0: D0 });
      c.addTo(ZP, 4 * k)
        .addTo(DP, 4 * n)
        .addTo(KK, 1);
    });
    for (let a = 0; a < J; a++)
      for (let v = 0; v < vb; v++)
        c.get(GV)
          .get(ACC + a * VEC_BLOCK + v)
          .simd(simd.store)
          .mem(4, 4 * a * n + 16 * v);
    c.addTo(DV, 16 * vb).addTo(GV, 16 * vb);
  };
  c.i32(0).set(C0);
  c.loopUntil(C0, ROWS, () => {
    // cnt = min(GW_CHUNK, rows - c0)
    c.i32(GW_CHUNK)
      .get(ROWS)
      .get(C0)
      .push(op.i32Sub)
      .tee(CNT)
      .get(CNT)
      .i32(GW_CHUNK)
      .push(op.i32GtU, op.select)
      .set(CNT);
    c.get(Z)
      .set(ZT)
      .get(GW)
      .set(GT)
      .i32(0)
      .set(JT)
      .i32(k / J)
      .set(NJ);
    c.loopUntil(JT, NJ, () => {
      c.get(DU).set(DV).get(GT).set(GV).i32(0).set(VB).i32(full).set(NV);
      if (full > 0)
        c.loopUntil(VB, NV, () => {
          tile(VEC_BLOCK);
          c.addTo(VB, 1);
        });
      if (rest > 0) tile(rest);
      c.addTo(ZT, 4 * J)
        .addTo(GT, 4 * J * n)
        .addTo(JT, 1);
    });
    c.addTo(Z, 4 * GW_CHUNK * k)
      .addTo(DU, 4 * GW_CHUNK * n)
      .addTo(C0, GW_CHUNK);
  });
  return {
    name,
    params: [I32, I32, I32, I32],
    locals: [
      [13, I32],
      [J * VEC_BLOCK + J + VEC_BLOCK, V128],
    ],
    code: c,
  };
}

/** `name(du, gb, rows)`: gb += column sums of dU (rows x n), in sample order. */
export function biasGradFunction(name: string, n: number): WasmFunction {
  const [DU, GB, ROWS] = [0, 1, 2];
  const [KK, DP] = [3, 4];
  const ACC = 5;
  const c = new Code();
  for (let v0 = 0; v0 < n / 4; v0 += VEC_BLOCK) {
    const vb = Math.min(VEC_BLOCK, n / 4 - v0);
    for (let v = 0; v < vb; v++) load(c, GB, 16 * (v0 + v)).set(ACC + v);
    c.get(DU).set(DP).i32(0).set(KK);
    c.loopUntil(KK, ROWS, () => {
      for (let v = 0; v < vb; v++)
        c.get(ACC + v)
          .get(DP)
          .simd(simd.load)
          .mem(4, 16 * (v0 + v))
          .simd(simd.f32x4Add)
          .set(ACC + v);
      c.addTo(DP, 4 * n).addTo(KK, 1);
    });
    for (let v = 0; v < vb; v++)
      c.get(GB)
        .get(ACC + v)
        .simd(simd.store)
        .mem(4, 16 * (v0 + v));
  }
  return {
    name,
    params: [I32, I32, I32],
    locals: [
      [2, I32],
      [VEC_BLOCK, V128],
    ],
    code: c,
  };
}

/** `gather(rows, users, items, um, im, z0)`: z0[k] = [um[users[k]] ; im[items[k]]]. */
export function gatherFunction(f: number): WasmFunction {
  const [ROWS, USERS, ITEMS, UM, IM, Z0] = [0, 1, 2, 3, 4, 5];
  const [KK, PU, PI] = [6, 7, 8];
  const c = new Code();
  c.i32(0).set(KK);
  c.loopUntil(KK, ROWS, () => {
    rowOf(c, USERS, UM, 4 * f, PU);
    rowOf(c, ITEMS, IM, 4 * f, PI);
    for (let v = 0; v < f / 4; v++) {
      c.get(Z0);
      load(c, PU, 16 * v)
        .simd(simd.store)
        .mem(4, 16 * v);
      c.get(Z0);
      load(c, PI, 16 * v)
        .simd(simd.store)
        .mem(4, 4 * f + 16 * v);
    }
    c.addTo(USERS, 4)
      .addTo(ITEMS, 4)
      .addTo(Z0, 8 * f)
      .addTo(KK, 1);
  });
  return { name: 'gather', params: [I32, I32, I32, I32, I32, I32], locals: [[3, I32]], code: c };
}

/**
 * `head(rows, users, items, ug, ig, um, im, zl, h, x, sq)`: x[k] = <p_u * q_i, h_g> +
 * <z_L[k], h_m> (h0 is added by the caller) and sq[k] = the squared norms of the sample's
 * four embedding rows.
 */
export function headFunction(f: number, hl: number): WasmFunction {
  const [ROWS, USERS, ITEMS, UG, IG, UM, IM, ZL, H, X, SQ] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [KK, PU, PI, PMU, PMI] = [11, 12, 13, 14, 15];
  const [ACC, SQA, U, I] = [16, 17, 18, 19];
  const c = new Code();
  c.i32(0).set(KK);
  c.loopUntil(KK, ROWS, () => {
    rowOf(c, USERS, UG, 4 * f, PU);
    rowOf(c, ITEMS, IG, 4 * f, PI);
    rowOf(c, USERS, UM, 4 * f, PMU);
    rowOf(c, ITEMS, IM, 4 * f, PMI);
    c.zeroV128(ACC).zeroV128(SQA);
    for (let v = 0; v < f / 4; v++) {
      load(c, PU, 16 * v).set(U);
      load(c, PI, 16 * v).set(I);
      c.get(ACC).get(U).get(I).simd(simd.f32x4Mul);
      load(c, H, 16 * v)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .set(ACC);
      c.get(SQA).get(U).get(U).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      c.get(I).get(I).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      load(c, PMU, 16 * v)
        .tee(U)
        .get(U)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add);
      load(c, PMI, 16 * v)
        .tee(I)
        .get(I)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .set(SQA);
    }
    for (let v = 0; v < hl / 4; v++) {
      c.get(ACC);
      load(c, ZL, 16 * v);
      load(c, H, 4 * f + 16 * v)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .set(ACC);
    }
    c.get(X);
    lanesSum(c, ACC);
    c.push(op.f32Store, 2, 0);
    c.get(SQ);
    lanesSum(c, SQA);
    c.push(op.f32Store, 2, 0);
    c.addTo(USERS, 4)
      .addTo(ITEMS, 4)
      .addTo(ZL, 4 * hl)
      .addTo(X, 4)
      .addTo(SQ, 4)
      .addTo(KK, 1);
  });
  return {
    name: 'head',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [
      [5, I32],
      [4, V128],
    ],
    code: c,
  };
}

/**
 * `headBack(rows, users, items, uSlot, iSlot, ug, ig, zl, h, dx, sumUg, sumIg, dul, gh,
 * decay)`: per sample k with d = dx[k], adds d h_g * q_i + decay p_u to the user's GMF row
 * sum and d h_g * p_u + decay q_i to the item's, d [p_u * q_i ; z_L] to dh, and writes the
 * last layer's gradient dU_L[k] = d h_m where z_L[k] > 0.
 */
export function headBackFunction(f: number, hl: number): WasmFunction {
  const [ROWS, USERS, ITEMS, USLOT, ISLOT, UG, IG, ZL, H, DX, SUG, SIG, DUL, GH, DECAY] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
  ];
  const [KK, PU, PI, GU, GI] = [15, 16, 17, 18, 19];
  const [D, DEC, U, I, G, Z, ZERO] = [20, 21, 22, 23, 24, 25, 26];
  const c = new Code();
  c.get(DECAY).simd(simd.f32x4Splat).set(DEC);
  c.zeroV128(ZERO);
  c.i32(0).set(KK);
  c.loopUntil(KK, ROWS, () => {
    rowOf(c, USERS, UG, 4 * f, PU);
    rowOf(c, ITEMS, IG, 4 * f, PI);
    rowOf(c, USLOT, SUG, 4 * f, GU);
    rowOf(c, ISLOT, SIG, 4 * f, GI);
    c.get(DX).push(op.f32Load, 2, 0).simd(simd.f32x4Splat).set(D);
    for (let v = 0; v < f / 4; v++) {
      const o = 16 * v;
      load(c, PU, o).set(U);
      load(c, PI, o).set(I);
      c.get(D);
      load(c, H, o).simd(simd.f32x4Mul).set(G);
      // sumUg += g q + decay p ; sumIg += g p + decay q
      c.get(GU);
      load(c, GU, o).get(G).get(I).simd(simd.f32x4Mul).get(DEC).get(U).simd(simd.f32x4Mul);
      c.simd(simd.f32x4Add).simd(simd.f32x4Add).simd(simd.store).mem(4, o);
      c.get(GI);
      load(c, GI, o).get(G).get(U).simd(simd.f32x4Mul).get(DEC).get(I).simd(simd.f32x4Mul);
      c.simd(simd.f32x4Add).simd(simd.f32x4Add).simd(simd.store).mem(4, o);
      // dh_g += d (p q)
      c.get(GH);
      load(c, GH, o).get(D).get(U).get(I).simd(simd.f32x4Mul).simd(simd.f32x4Mul);
      c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    }
    for (let v = 0; v < hl / 4; v++) {
      const o = 16 * v;
      load(c, ZL, o).set(Z);
      // dU_L = d h_m masked by z > 0
      c.get(DUL).get(D);
      load(c, H, 4 * f + o)
        .simd(simd.f32x4Mul)
        .get(Z)
        .get(ZERO)
        .simd(simd.f32x4Gt)
        .simd(simd.v128And)
        .simd(simd.store)
        .mem(4, o);
      // dh_m += d z
      c.get(GH);
      load(c, GH, 4 * f + o)
        .get(D)
        .get(Z)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .simd(simd.store)
        .mem(4, 4 * f + o);
    }
    for (const p of [USERS, ITEMS, USLOT, ISLOT, DX]) c.addTo(p, 4);
    c.addTo(ZL, 4 * hl)
      .addTo(DUL, 4 * hl)
      .addTo(KK, 1);
  });
  return {
    name: 'headBack',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32],
    locals: [
      [5, I32],
      [7, V128],
    ],
    code: c,
  };
}

/**
 * `embBack(rows, users, items, uSlot, iSlot, um, im, dz0, sumUm, sumIm, decay)`: adds
 * dz0[k][:f] + decay p'_u to the user's MLP row sum and dz0[k][f:] + decay q'_i to the item's.
 */
export function embBackFunction(f: number): WasmFunction {
  const [ROWS, USERS, ITEMS, USLOT, ISLOT, UM, IM, DZ0, SUM, SIM, DECAY] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  ];
  const [KK, PU, PI, GU, GI] = [11, 12, 13, 14, 15];
  const DEC = 16;
  const c = new Code();
  c.get(DECAY).simd(simd.f32x4Splat).set(DEC);
  c.i32(0).set(KK);
  c.loopUntil(KK, ROWS, () => {
    rowOf(c, USERS, UM, 4 * f, PU);
    rowOf(c, ITEMS, IM, 4 * f, PI);
    rowOf(c, USLOT, SUM, 4 * f, GU);
    rowOf(c, ISLOT, SIM, 4 * f, GI);
    for (let v = 0; v < f / 4; v++) {
      const o = 16 * v;
      c.get(GU);
      load(c, GU, o);
      load(c, DZ0, o);
      c.get(DEC);
      load(c, PU, o).simd(simd.f32x4Mul).simd(simd.f32x4Add).simd(simd.f32x4Add);
      c.simd(simd.store).mem(4, o);
      c.get(GI);
      load(c, GI, o);
      load(c, DZ0, 4 * f + o);
      c.get(DEC);
      load(c, PI, o).simd(simd.f32x4Mul).simd(simd.f32x4Add).simd(simd.f32x4Add);
      c.simd(simd.store).mem(4, o);
    }
    for (const p of [USERS, ITEMS, USLOT, ISLOT]) c.addTo(p, 4);
    c.addTo(DZ0, 8 * f).addTo(KK, 1);
  });
  return {
    name: 'embBack',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32],
    locals: [
      [5, I32],
      [1, V128],
    ],
    code: c,
  };
}

/** Every function of a NeuMF of embedding size `f` and hidden sizes `layers`. */
export function assembleNeuMfSimd(f: number, layers: number[]): Uint8Array {
  const fns: WasmFunction[] = [gatherFunction(f), headFunction(f, layers.at(-1)!)];
  fns.push(headBackFunction(f, layers.at(-1)!), embBackFunction(f));
  let fanIn = 2 * f;
  layers.forEach((size, l) => {
    fns.push(gemmFunction(`fwd${l + 1}`, fanIn, size, 'biasRelu'));
    fns.push(weightGradFunction(`gw${l + 1}`, fanIn, size));
    fns.push(biasGradFunction(`gb${l + 1}`, size));
    // dU_l W_l^T: W_l^T is (size x fanIn); masked by Z_{l-1} except at the input.
    fns.push(gemmFunction(`back${l + 1}`, size, fanIn, l === 0 ? 'none' : 'mask'));
    fanIn = size;
  });
  return moduleBytes(fns);
}
