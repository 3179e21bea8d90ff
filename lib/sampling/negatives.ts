/**
 * Sampled negatives for one user at a time: the caller marks the user's positives, then
 * draws. A draw never returns a marked item. Draws are with replacement (like on-the-fly
 * BPR sampling), so a user can get the same negative twice.
 *
 * uniform / popularity: rejection sampling (uniform over items, or proportional to real
 * train counts via an alias table); after REJECT_TRIES misses in a row the user's complement
 * is listed once and the rest is drawn from it exactly, so heavy users cannot stall it.
 * hard: uniform over the user's `hardCandidates` that are not positives; a user with none
 * falls back to uniform.
 */
import { AliasTable } from '../training/random.ts';
import type { Rng } from '../training/random.ts';
import type { Csr } from '../eval/types.ts';
import type { NegativeStats, NegativeStrategy } from './types.ts';

const REJECT_TRIES = 32;

export class NegativeSampler {
  readonly stats: NegativeStats = {
    sampled: 0,
    usersWithoutCandidates: 0,
    usersExhaustive: 0,
    usersHardFallback: 0,
  };
  private readonly mark: Int32Array;
  private stamp = 0;
  private readonly alias: AliasTable | null;
  private readonly pool: Int32Array;
  private readonly cum: Float64Array;

  constructor(
    private readonly strategy: NegativeStrategy,
    private readonly nItems: number,
    private readonly count: Int32Array,
    private readonly hard: Csr | undefined,
    private readonly rng: Rng,
  ) {
    this.mark = new Int32Array(nItems);
    let total = 0;
    for (let i = 0; i < nItems; i++) total += count[i]!;
    // Without any real positive there is no popularity: popularity degrades to uniform.
    this.alias = strategy === 'popularity' && total > 0 ? new AliasTable(count) : null;
    this.pool = new Int32Array(nItems);
    this.cum = new Float64Array(strategy === 'popularity' ? nItems : 0);
  }

  /** Starts a user: forgets the previous user's positives in O(1). */
  begin(): void {
    this.stamp++;
  }

  addPositive(item: number): void {
    this.mark[item] = this.stamp;
  }

  /**
   * Writes `m` negatives of user `u` into `out` (unsorted). `nPositives` marked items must
   * be fewer than nItems (the caller gives such users no negatives).
   */
  draw(u: number, nPositives: number, out: Int32Array, m: number): void {
    if (m === 0) return;
    this.stats.sampled += m;
    if (this.strategy === 'hard' && this.hard) {
      const n = this.hardPool(u);
      if (n > 0) {
        for (let j = 0; j < m; j++) out[j] = this.pool[Math.floor(this.rng.next() * n)]!;
        return;
      }
      this.stats.usersHardFallback++;
    }
    const { mark, stamp, rng, nItems, alias } = this;
    let j = 0;
    // Expected tries per draw: nItems / (nItems - nPositives) for uniform.
    draws: for (; j < m; j++) {
      for (let t = 0; t < REJECT_TRIES; t++) {
        const i = alias ? alias.sample(rng) : Math.floor(rng.next() * nItems);
        if (mark[i] !== stamp) {
          out[j] = i;
          continue draws;
        }
      }
      break;
    }
    if (j < m) this.drawExhaustive(nPositives, out, j, m);
  }

  /** Users counted by the caller as having every item positive. */
  noCandidates(): void {
    this.stats.usersWithoutCandidates++;
  }

  private hardPool(u: number): number {
    const { indptr, indices } = this.hard!;
    let n = 0;
    for (let k = indptr[u]!, e = indptr[u + 1]!; k < e; k++) {
      const i = indices[k]!;
      if (this.mark[i] !== this.stamp) this.pool[n++] = i;
    }
    return n;
  }

  private drawExhaustive(nPositives: number, out: Int32Array, from: number, m: number): void {
    this.stats.usersExhaustive++;
    const { mark, stamp, pool, cum, rng } = this;
    let n = 0;
    let total = 0;
    for (let i = 0; i < this.nItems; i++) {
      if (mark[i] === stamp) continue;
      pool[n] = i;
      if (this.alias) cum[n] = total += this.count[i]!;
      n++;
    }
    if (n !== this.nItems - nPositives)
      throw new Error('negative sampler: positive count mismatch');
    for (let j = from; j < m; j++) {
      if (this.alias && total > 0) {
        // Weighted draw from the complement: binary search of the cumulative counts.
        const x = rng.next() * total;
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cum[mid]! > x) hi = mid;
          else lo = mid + 1;
        }
        out[j] = pool[lo]!;
      } else out[j] = pool[Math.floor(rng.next() * n)]!;
    }
  }
}
