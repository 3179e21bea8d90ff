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
import {
  Code,
  F32,
  I32,
  V128,
  localRun,
  moduleBytes,
  namedLocals,
  op,
  simd,
} from '../../compute/wasm-writer.ts';
import type { WasmFunction } from '../../compute/wasm-writer.ts';

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
 * rowStride bytes) splat into splat0.., `vb` vectors of the other operand (at colPtr) into
 * vec0.., then acc[r][v] += s[r] * v[v] for the rows x vb accumulators at acc0 (VEC_BLOCK
 * per row). All are local indices; the runs splat0.., vec0.. and acc0.. are contiguous.
 */
function registerBlockStep(
  c: Code,
  b: {
    rows: number;
    vb: number;
    rowPtr: number;
    rowStride: number;
    colPtr: number;
    acc0: number;
    splat0: number;
    vec0: number;
  },
): void {
  for (let r = 0; r < b.rows; r++) splat(c, b.rowPtr, r * b.rowStride).set(b.splat0 + r);
  for (let v = 0; v < b.vb; v++) load(c, b.colPtr, 16 * v).set(b.vec0 + v);
  for (let r = 0; r < b.rows; r++)
    for (let v = 0; v < b.vb; v++) {
      const acc = b.acc0 + r * VEC_BLOCK + v;
      c.get(acc)
        .get(b.splat0 + r)
        .get(b.vec0 + v)
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
  const P = ROW_BLOCK;
  const f = namedLocals(
    { a: I32, w: I32, bias: I32, mask: I32, out: I32, rows: I32 },
    {
      row: I32,
      colBlock: I32,
      // The bound of the loop at hand: column blocks, then the inner dimension.
      limit: I32,
      inner: I32,
      aAt: I32,
      wAt: I32,
      // The current column block's addresses in w, bias, out and mask.
      wCol: I32,
      biasCol: I32,
      outCol: I32,
      maskCol: I32,
      ...localRun('acc', P * VEC_BLOCK, V128),
      ...localRun('aSplat', P, V128),
      ...localRun('wVec', VEC_BLOCK, V128),
      zero: V128,
    },
  );
  const l = f.index;
  const acc = (p: number, v: number) => l.acc0 + p * VEC_BLOCK + v;
  const c = new Code();
  /** One column block of `vb` vectors at wCol/biasCol/outCol/maskCol, then they move past it. */
  const block = (vb: number) => {
    for (let p = 0; p < P; p++)
      for (let v = 0; v < vb; v++)
        if (epilogue.startsWith('bias')) load(c, l.biasCol, 16 * v).set(acc(p, v));
        else c.zeroV128(acc(p, v));
    c.get(l.a).set(l.aAt).get(l.wCol).set(l.wAt).i32(0).set(l.inner);
    c.i32(k).set(l.limit);
    c.loopUntil(l.inner, l.limit, () => {
      registerBlockStep(c, {
        rows: P,
        vb,
        rowPtr: l.aAt,
        rowStride: 4 * k,
        colPtr: l.wAt,
        acc0: l.acc0,
        splat0: l.aSplat0,
        vec0: l.wVec0,
      });
      c.addTo(l.aAt, 4)
        .addTo(l.wAt, 4 * n)
        .addTo(l.inner, 1);
    });
    for (let p = 0; p < P; p++)
      for (let v = 0; v < vb; v++) {
        const o = 4 * p * n + 16 * v;
        c.get(l.outCol);
        if (epilogue === 'biasRelu') c.get(l.zero).get(acc(p, v)).simd(simd.f32x4Pmax);
        else if (epilogue === 'mask') {
          c.get(acc(p, v));
          load(c, l.maskCol, o).get(l.zero).simd(simd.f32x4Gt).simd(simd.v128And);
        } else c.get(acc(p, v));
        c.simd(simd.store).mem(4, o);
      }
    for (const ptr of [l.wCol, l.biasCol, l.outCol, l.maskCol]) c.addTo(ptr, 16 * vb);
  };
  const full = Math.floor(n / 4 / VEC_BLOCK);
  const rest = n / 4 - full * VEC_BLOCK;
  c.zeroV128(l.zero);
  c.i32(0).set(l.row);
  c.loopUntil(l.row, l.rows, () => {
    c.get(l.w).set(l.wCol).get(l.bias).set(l.biasCol).get(l.out).set(l.outCol);
    c.get(l.mask).set(l.maskCol);
    c.i32(0).set(l.colBlock);
    if (full > 0) {
      c.i32(full).set(l.limit);
      c.loopUntil(l.colBlock, l.limit, () => {
        block(VEC_BLOCK);
        c.addTo(l.colBlock, 1).i32(full).set(l.limit);
      });
    }
    if (rest > 0) block(rest);
    c.addTo(l.a, 4 * P * k)
      .addTo(l.mask, 4 * P * n)
      .addTo(l.out, 4 * P * n)
      .addTo(l.row, P);
  });
  return { name, params: f.params, locals: f.locals, code: c };
}

/**
 * `name(z, du, gw, rows)`: gw += Z^T dU for Z (rows x k) and dU (rows x n), each weight's
 * sum running over the samples in order. Tiles of 2 weight rows x 16 columns stay in
 * registers over GW_CHUNK samples (both operands' chunks sit in L1), then go back to
 * memory. Loops, not unrolled code (see gemmFunction).
 */
export function weightGradFunction(name: string, k: number, n: number): WasmFunction {
  /** Weight rows per tile. */
  const J = 2;
  const f = namedLocals(
    { z: I32, du: I32, gw: I32, rows: I32 },
    {
      chunk: I32,
      count: I32,
      sample: I32,
      zAt: I32,
      duAt: I32,
      rowPair: I32,
      rowPairs: I32,
      colBlock: I32,
      colBlocks: I32,
      // The tile's first column of the chunk's Z and row of gw, then its dU and gw columns.
      zCol: I32,
      gwRow: I32,
      duCol: I32,
      gwAt: I32,
      ...localRun('acc', J * VEC_BLOCK, V128),
      ...localRun('zSplat', J, V128),
      ...localRun('duVec', VEC_BLOCK, V128),
    },
  );
  const l = f.index;
  const acc = (a: number, v: number) => l.acc0 + a * VEC_BLOCK + v;
  const full = Math.floor(n / 4 / VEC_BLOCK);
  const rest = n / 4 - full * VEC_BLOCK;
  const c = new Code();
  /** The tile of rows zCol.., columns duCol.. over the chunk's samples; then duCol, gwAt move on. */
  const tile = (vb: number) => {
    for (let a = 0; a < J; a++)
      for (let v = 0; v < vb; v++) load(c, l.gwAt, 4 * a * n + 16 * v).set(acc(a, v));
    c.get(l.zCol).set(l.zAt).get(l.duCol).set(l.duAt).i32(0).set(l.sample);
    c.loopUntil(l.sample, l.count, () => {
      registerBlockStep(c, {
        rows: J,
        vb,
        rowPtr: l.zAt,
        rowStride: 4,
        colPtr: l.duAt,
        acc0: l.acc0,
        splat0: l.zSplat0,
        vec0: l.duVec0,
      });
      c.addTo(l.zAt, 4 * k)
        .addTo(l.duAt, 4 * n)
        .addTo(l.sample, 1);
    });
    for (let a = 0; a < J; a++)
      for (let v = 0; v < vb; v++)
        c.get(l.gwAt)
          .get(acc(a, v))
          .simd(simd.store)
          .mem(4, 4 * a * n + 16 * v);
    c.addTo(l.duCol, 16 * vb).addTo(l.gwAt, 16 * vb);
  };
  c.i32(0).set(l.chunk);
  c.loopUntil(l.chunk, l.rows, () => {
    // count = min(GW_CHUNK, rows - chunk)
    c.i32(GW_CHUNK)
      .get(l.rows)
      .get(l.chunk)
      .push(op.i32Sub)
      .tee(l.count)
      .get(l.count)
      .i32(GW_CHUNK)
      .push(op.i32GtU, op.select)
      .set(l.count);
    c.get(l.z)
      .set(l.zCol)
      .get(l.gw)
      .set(l.gwRow)
      .i32(0)
      .set(l.rowPair)
      .i32(k / J)
      .set(l.rowPairs);
    c.loopUntil(l.rowPair, l.rowPairs, () => {
      c.get(l.du).set(l.duCol).get(l.gwRow).set(l.gwAt);
      c.i32(0).set(l.colBlock).i32(full).set(l.colBlocks);
      if (full > 0)
        c.loopUntil(l.colBlock, l.colBlocks, () => {
          tile(VEC_BLOCK);
          c.addTo(l.colBlock, 1);
        });
      if (rest > 0) tile(rest);
      c.addTo(l.zCol, 4 * J)
        .addTo(l.gwRow, 4 * J * n)
        .addTo(l.rowPair, 1);
    });
    c.addTo(l.z, 4 * GW_CHUNK * k)
      .addTo(l.du, 4 * GW_CHUNK * n)
      .addTo(l.chunk, GW_CHUNK);
  });
  return { name, params: f.params, locals: f.locals, code: c };
}

/** `name(du, gb, rows)`: gb += column sums of dU (rows x n), in sample order. */
export function biasGradFunction(name: string, n: number): WasmFunction {
  const f = namedLocals(
    { du: I32, gb: I32, rows: I32 },
    { sample: I32, duAt: I32, ...localRun('acc', VEC_BLOCK, V128) },
  );
  const l = f.index;
  const c = new Code();
  for (let v0 = 0; v0 < n / 4; v0 += VEC_BLOCK) {
    const vb = Math.min(VEC_BLOCK, n / 4 - v0);
    for (let v = 0; v < vb; v++) load(c, l.gb, 16 * (v0 + v)).set(l.acc0 + v);
    c.get(l.du).set(l.duAt).i32(0).set(l.sample);
    c.loopUntil(l.sample, l.rows, () => {
      for (let v = 0; v < vb; v++)
        c.get(l.acc0 + v)
          .get(l.duAt)
          .simd(simd.load)
          .mem(4, 16 * (v0 + v))
          .simd(simd.f32x4Add)
          .set(l.acc0 + v);
      c.addTo(l.duAt, 4 * n).addTo(l.sample, 1);
    });
    for (let v = 0; v < vb; v++)
      c.get(l.gb)
        .get(l.acc0 + v)
        .simd(simd.store)
        .mem(4, 16 * (v0 + v));
  }
  return { name, params: f.params, locals: f.locals, code: c };
}

/** `gather(rows, users, items, um, im, z0)`: z0[k] = [um[users[k]] ; im[items[k]]]. */
export function gatherFunction(f: number): WasmFunction {
  const fn = namedLocals(
    { rows: I32, users: I32, items: I32, um: I32, im: I32, z0: I32 },
    { k: I32, uRow: I32, iRow: I32 },
  );
  const l = fn.index;
  const c = new Code();
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.rows, () => {
    rowOf(c, l.users, l.um, 4 * f, l.uRow);
    rowOf(c, l.items, l.im, 4 * f, l.iRow);
    for (let v = 0; v < f / 4; v++) {
      c.get(l.z0);
      load(c, l.uRow, 16 * v)
        .simd(simd.store)
        .mem(4, 16 * v);
      c.get(l.z0);
      load(c, l.iRow, 16 * v)
        .simd(simd.store)
        .mem(4, 4 * f + 16 * v);
    }
    c.addTo(l.users, 4)
      .addTo(l.items, 4)
      .addTo(l.z0, 8 * f)
      .addTo(l.k, 1);
  });
  return { name: 'gather', params: fn.params, locals: fn.locals, code: c };
}

/**
 * `head(rows, users, items, ug, ig, um, im, zl, h, x, sq)`: x[k] = <p_u * q_i, h_g> +
 * <z_L[k], h_m> (h0 is added by the caller) and sq[k] = the squared norms of the sample's
 * four embedding rows.
 */
export function headFunction(f: number, hl: number): WasmFunction {
  const fn = namedLocals(
    {
      rows: I32,
      users: I32,
      items: I32,
      ug: I32,
      ig: I32,
      um: I32,
      im: I32,
      zl: I32,
      h: I32,
      x: I32,
      sq: I32,
    },
    {
      k: I32,
      // The sample's GMF rows, then its MLP rows.
      uRow: I32,
      iRow: I32,
      umRow: I32,
      imRow: I32,
      acc: V128,
      sqAcc: V128,
      u: V128,
      i: V128,
    },
  );
  const l = fn.index;
  const c = new Code();
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.rows, () => {
    rowOf(c, l.users, l.ug, 4 * f, l.uRow);
    rowOf(c, l.items, l.ig, 4 * f, l.iRow);
    rowOf(c, l.users, l.um, 4 * f, l.umRow);
    rowOf(c, l.items, l.im, 4 * f, l.imRow);
    c.zeroV128(l.acc).zeroV128(l.sqAcc);
    for (let v = 0; v < f / 4; v++) {
      load(c, l.uRow, 16 * v).set(l.u);
      load(c, l.iRow, 16 * v).set(l.i);
      c.get(l.acc).get(l.u).get(l.i).simd(simd.f32x4Mul);
      load(c, l.h, 16 * v)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .set(l.acc);
      c.get(l.sqAcc).get(l.u).get(l.u).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      c.get(l.i).get(l.i).simd(simd.f32x4Mul).simd(simd.f32x4Add);
      load(c, l.umRow, 16 * v)
        .tee(l.u)
        .get(l.u)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add);
      load(c, l.imRow, 16 * v)
        .tee(l.i)
        .get(l.i)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .set(l.sqAcc);
    }
    for (let v = 0; v < hl / 4; v++) {
      c.get(l.acc);
      load(c, l.zl, 16 * v);
      load(c, l.h, 4 * f + 16 * v)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .set(l.acc);
    }
    c.get(l.x);
    lanesSum(c, l.acc);
    c.push(op.f32Store, 2, 0);
    c.get(l.sq);
    lanesSum(c, l.sqAcc);
    c.push(op.f32Store, 2, 0);
    c.addTo(l.users, 4)
      .addTo(l.items, 4)
      .addTo(l.zl, 4 * hl)
      .addTo(l.x, 4)
      .addTo(l.sq, 4)
      .addTo(l.k, 1);
  });
  return { name: 'head', params: fn.params, locals: fn.locals, code: c };
}

/**
 * `headBack(rows, users, items, uSlot, iSlot, ug, ig, zl, h, dx, sumUg, sumIg, dul, gh,
 * decay)`: per sample k with d = dx[k], adds d h_g * q_i + decay p_u to the user's GMF row
 * sum and d h_g * p_u + decay q_i to the item's, d [p_u * q_i ; z_L] to dh, and writes the
 * last layer's gradient dU_L[k] = d h_m where z_L[k] > 0.
 */
export function headBackFunction(f: number, hl: number): WasmFunction {
  const fn = namedLocals(
    {
      rows: I32,
      users: I32,
      items: I32,
      uSlot: I32,
      iSlot: I32,
      ug: I32,
      ig: I32,
      zl: I32,
      h: I32,
      dx: I32,
      sumUg: I32,
      sumIg: I32,
      dul: I32,
      gh: I32,
      decay: F32,
    },
    {
      k: I32,
      // The sample's GMF rows, then their row sums.
      uRow: I32,
      iRow: I32,
      gURow: I32,
      gIRow: I32,
      d: V128,
      decayV: V128,
      u: V128,
      i: V128,
      g: V128,
      z: V128,
      zero: V128,
    },
  );
  const l = fn.index;
  const c = new Code();
  c.get(l.decay).simd(simd.f32x4Splat).set(l.decayV);
  c.zeroV128(l.zero);
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.rows, () => {
    rowOf(c, l.users, l.ug, 4 * f, l.uRow);
    rowOf(c, l.items, l.ig, 4 * f, l.iRow);
    rowOf(c, l.uSlot, l.sumUg, 4 * f, l.gURow);
    rowOf(c, l.iSlot, l.sumIg, 4 * f, l.gIRow);
    c.get(l.dx).push(op.f32Load, 2, 0).simd(simd.f32x4Splat).set(l.d);
    for (let v = 0; v < f / 4; v++) {
      const o = 16 * v;
      load(c, l.uRow, o).set(l.u);
      load(c, l.iRow, o).set(l.i);
      c.get(l.d);
      load(c, l.h, o).simd(simd.f32x4Mul).set(l.g);
      // sumUg += g q + decay p ; sumIg += g p + decay q
      c.get(l.gURow);
      load(c, l.gURow, o).get(l.g).get(l.i).simd(simd.f32x4Mul);
      c.get(l.decayV).get(l.u).simd(simd.f32x4Mul);
      c.simd(simd.f32x4Add).simd(simd.f32x4Add).simd(simd.store).mem(4, o);
      c.get(l.gIRow);
      load(c, l.gIRow, o).get(l.g).get(l.u).simd(simd.f32x4Mul);
      c.get(l.decayV).get(l.i).simd(simd.f32x4Mul);
      c.simd(simd.f32x4Add).simd(simd.f32x4Add).simd(simd.store).mem(4, o);
      // dh_g += d (p q)
      c.get(l.gh);
      load(c, l.gh, o).get(l.d).get(l.u).get(l.i).simd(simd.f32x4Mul).simd(simd.f32x4Mul);
      c.simd(simd.f32x4Add).simd(simd.store).mem(4, o);
    }
    for (let v = 0; v < hl / 4; v++) {
      const o = 16 * v;
      load(c, l.zl, o).set(l.z);
      // dU_L = d h_m masked by z > 0
      c.get(l.dul).get(l.d);
      load(c, l.h, 4 * f + o)
        .simd(simd.f32x4Mul)
        .get(l.z)
        .get(l.zero)
        .simd(simd.f32x4Gt)
        .simd(simd.v128And)
        .simd(simd.store)
        .mem(4, o);
      // dh_m += d z
      c.get(l.gh);
      load(c, l.gh, 4 * f + o)
        .get(l.d)
        .get(l.z)
        .simd(simd.f32x4Mul)
        .simd(simd.f32x4Add)
        .simd(simd.store)
        .mem(4, 4 * f + o);
    }
    for (const p of [l.users, l.items, l.uSlot, l.iSlot, l.dx]) c.addTo(p, 4);
    c.addTo(l.zl, 4 * hl)
      .addTo(l.dul, 4 * hl)
      .addTo(l.k, 1);
  });
  return { name: 'headBack', params: fn.params, locals: fn.locals, code: c };
}

/**
 * `embBack(rows, users, items, uSlot, iSlot, um, im, dz0, sumUm, sumIm, decay)`: adds
 * dz0[k][:f] + decay p'_u to the user's MLP row sum and dz0[k][f:] + decay q'_i to the item's.
 */
export function embBackFunction(f: number): WasmFunction {
  const fn = namedLocals(
    {
      rows: I32,
      users: I32,
      items: I32,
      uSlot: I32,
      iSlot: I32,
      um: I32,
      im: I32,
      dz0: I32,
      sumUm: I32,
      sumIm: I32,
      decay: F32,
    },
    { k: I32, uRow: I32, iRow: I32, gURow: I32, gIRow: I32, decayV: V128 },
  );
  const l = fn.index;
  const c = new Code();
  c.get(l.decay).simd(simd.f32x4Splat).set(l.decayV);
  c.i32(0).set(l.k);
  c.loopUntil(l.k, l.rows, () => {
    rowOf(c, l.users, l.um, 4 * f, l.uRow);
    rowOf(c, l.items, l.im, 4 * f, l.iRow);
    rowOf(c, l.uSlot, l.sumUm, 4 * f, l.gURow);
    rowOf(c, l.iSlot, l.sumIm, 4 * f, l.gIRow);
    for (let v = 0; v < f / 4; v++) {
      const o = 16 * v;
      c.get(l.gURow);
      load(c, l.gURow, o);
      load(c, l.dz0, o);
      c.get(l.decayV);
      load(c, l.uRow, o).simd(simd.f32x4Mul).simd(simd.f32x4Add).simd(simd.f32x4Add);
      c.simd(simd.store).mem(4, o);
      c.get(l.gIRow);
      load(c, l.gIRow, o);
      load(c, l.dz0, 4 * f + o);
      c.get(l.decayV);
      load(c, l.iRow, o).simd(simd.f32x4Mul).simd(simd.f32x4Add).simd(simd.f32x4Add);
      c.simd(simd.store).mem(4, o);
    }
    for (const p of [l.users, l.items, l.uSlot, l.iSlot]) c.addTo(p, 4);
    c.addTo(l.dz0, 8 * f).addTo(l.k, 1);
  });
  return { name: 'embBack', params: fn.params, locals: fn.locals, code: c };
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
