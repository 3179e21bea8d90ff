/**
 * The CFGAN's per-batch masks: partial masking (PM: which non-interacted entries the
 * discriminator also sees) and zero-reconstruction (ZR: which ones the generator is pushed
 * towards 0 on), drawn from the epoch's generator in one fixed order whichever trainer
 * consumes them.
 */
import type { Csr } from '../eval/types.ts';
import type { Rng } from '../training/random.ts';

/**
 * Per vector of the batch: `mask` = e_u + k_u (PM) and `zr` = the ZR sample, both drawn among
 * the vector's zero entries with probabilities pmT/65536 and zrT/65536 (one 32-bit draw
 * serves both). Both are written entry-major: vector r's entry j at `j * stride + r`; with
 * stride > n, columns n..stride (padding) are zeros in both.
 */
export function sampleMasks(
  train: Csr,
  users: Int32Array,
  n: number,
  width: number,
  rng: Rng,
  zrT: number,
  pmT: number,
  mask: Float32Array,
  zr: Float32Array,
  stride = n,
): void {
  const { indptr, indices } = train;
  if (stride === n) mask.fill(0, 0, n * width);
  else
    for (let j = 0; j < width; j++) {
      mask.fill(0, j * stride, (j + 1) * stride);
      zr.fill(0, j * stride + n, (j + 1) * stride);
    }
  for (let r = 0; r < n; r++) {
    const u = users[r]!;
    // 2 marks the interacted entries, which take no draw.
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) mask[indices[p]! * stride + r] = 2;
    for (let j = 0, o = r; j < width; j++, o += stride) {
      if (mask[o] === 2) {
        mask[o] = 1;
        zr[o] = 0;
        continue;
      }
      // Branch-free `low < zrT ? 1 : 0` (the draws are coin flips a predictor cannot learn).
      const x = rng.u32();
      zr[o] = ((x & 0xffff) - zrT) >>> 31;
      mask[o] = ((x >>> 16) - pmT) >>> 31;
    }
  }
}

/** The vectors with at least one non-zero: the ones with a condition to learn from. */
export function activeRows(rows: Csr): Int32Array {
  const nRows = rows.indptr.length - 1;
  const out = new Int32Array(nRows);
  let n = 0;
  for (let u = 0; u < nRows; u++) if (rows.indptr[u + 1]! > rows.indptr[u]!) out[n++] = u;
  return out.slice(0, n);
}

/**
 * The reconstruction weights of a batch, in place: `zr` arrives as the ZR sample (0/1) and
 * leaves as each entry's weight in G's squared-error term: zrCoefficient on the ZR sample,
 * reconstructionCoefficient on the vector's own entries (target 1), 0 elsewhere. Same
 * layout as sampleMasks.
 */
export function reconstructionWeights(
  rows: Csr,
  users: Int32Array,
  n: number,
  width: number,
  zr: Float32Array,
  zrCoefficient: number,
  ownCoefficient: number,
  stride = n,
): void {
  if (zrCoefficient !== 1)
    for (let j = 0; j < width; j++) {
      const o = j * stride;
      for (let r = 0; r < n; r++) zr[o + r] = zr[o + r]! * zrCoefficient;
    }
  if (ownCoefficient === 0) return;
  const { indptr, indices } = rows;
  for (let r = 0; r < n; r++) {
    const u = users[r]!;
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) zr[indices[p]! * stride + r] = ownCoefficient;
  }
}

/**
 * `outT[j * stride + r] += delta` at the own entries j of each batch vector r: with delta -1
 * the generator's output becomes its error against the target 1 there.
 */
export function shiftOwnEntries(
  rows: Csr,
  users: Int32Array,
  n: number,
  outT: Float32Array,
  delta: number,
  stride = n,
): void {
  const { indptr, indices } = rows;
  for (let r = 0; r < n; r++) {
    const u = users[r]!;
    for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
      const o = indices[p]! * stride + r;
      outT[o] = outT[o]! + delta;
    }
  }
}

/** What G's first layer reads for a batch: the rows `users[0..n)` of `csr`. */
export interface GeneratorInput {
  csr: Csr;
  users: Int32Array;
}

/**
 * The generator's inputs of a batch with each entry hidden with probability dropT / 65536:
 * one draw per entry, batch vector by vector in CSR order (after the batch's masks and
 * noise). The result is a CSR over the batch positions 0..n-1, reused by the next call.
 */
export class InputDropout {
  private readonly indptr: Int32Array;
  private indices = new Int32Array(1024);
  /** 0, 1, ..., maxBatch - 1: the batch positions that index the CSR. */
  private readonly positions: Int32Array;

  constructor(maxBatch: number) {
    this.indptr = new Int32Array(maxBatch + 1);
    this.positions = Int32Array.from({ length: maxBatch }, (_, k) => k);
  }

  draw(rows: Csr, users: Int32Array, n: number, rng: Rng, dropT: number): GeneratorInput {
    const { indptr, indices } = rows;
    let need = 0;
    for (let r = 0; r < n; r++) need += indptr[users[r]! + 1]! - indptr[users[r]!]!;
    if (this.indices.length < need) this.indices = new Int32Array(need * 2);
    const out = this.indices;
    let k = 0;
    for (let r = 0; r < n; r++) {
      const u = users[r]!;
      this.indptr[r] = k;
      for (let p = indptr[u]!; p < indptr[u + 1]!; p++) {
        out[k] = indices[p]!;
        // Branch-free: kept when the draw's low half is at least dropT.
        k += 1 - ((((rng.u32() & 0xffff) - dropT) >>> 31) as number);
      }
    }
    this.indptr[n] = k;
    return {
      csr: { indptr: this.indptr.subarray(0, n + 1), indices: out.subarray(0, k) },
      users: this.positions,
    };
  }
}
