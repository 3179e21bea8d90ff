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
