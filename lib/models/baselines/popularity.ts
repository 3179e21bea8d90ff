import { itemCounts, validateCsr } from '../../eval/csr.ts';
import type { Csr, Scorer } from '../../eval/types.ts';

/**
 * Most-popular baseline: every user gets the same scores, the number of train interactions
 * per item. Items the user already has are excluded by the evaluator, not here. Equal counts
 * fall to the evaluator's tie rule (lower item id first).
 */
export class PopularityScorer implements Scorer {
  /** Train interactions per item, as scores. */
  readonly scores: Float32Array;

  private constructor(
    readonly nItems: number,
    counts: Int32Array,
  ) {
    this.scores = Float32Array.from(counts);
  }

  /**
   * Counts item popularity on a train CSR.
   * @param train - user x item train interactions (any number of users)
   * @param nItems - catalog size
   */
  static fit(train: Csr, nItems: number): PopularityScorer {
    validateCsr(train, train.indptr.length - 1, nItems, 'train');
    return new PopularityScorer(nItems, itemCounts(train, nItems));
  }

  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    const n = this.nItems;
    if (out.length < userIds.length * n) throw new RangeError('score buffer is too small');
    // One memcpy per row: the scores do not depend on the user.
    for (let r = 0; r < userIds.length; r++) out.set(this.scores, r * n);
  }
}
