/**
 * A seeded uniform sample of a CSR's non-empty rows: the others become empty. Used where
 * ranking every item for every user would cost more than the figure needs (early stopping's
 * validation users, evaluate's test users at a million users).
 */
import { Rng } from '../training/random.ts';
import { keepRows, nonEmptyRows } from './csr.ts';
import type { Csr } from './types.ts';

/**
 * `csr` cut to a seeded uniform sample of `maxRows` of its non-empty rows (their entries
 * whole; other rows empty), or `csr` itself when no more than `maxRows` rows have entries or
 * `maxRows` is 0 (no cap). `stream` separates samples drawn from one run seed.
 */
export function sampleRows(csr: Csr, maxRows: number, seed: number, stream: number): Csr {
  const rows = nonEmptyRows(csr);
  const candidates = rows.length;
  if (maxRows <= 0 || candidates <= maxRows) return csr;
  // A partial Fisher-Yates: the first maxRows slots become a uniform sample.
  const rng = new Rng((seed ^ stream) >>> 0);
  for (let k = 0; k < maxRows; k++) {
    const j = k + rng.int(candidates - k);
    const t = rows[k]!;
    rows[k] = rows[j]!;
    rows[j] = t;
  }
  return keepRows(csr, rows.subarray(0, maxRows));
}
