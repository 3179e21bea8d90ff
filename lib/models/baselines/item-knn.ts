import { runSteps, runStepsAsync } from '../../async/steps.ts';
import type { Steps } from '../../async/steps.ts';
import { itemCounts, transposeCsr, validateCsr } from '../../eval/csr.ts';
import { TopKSelector } from '../../eval/topk.ts';
import type { Csr, Scorer } from '../../eval/types.ts';

/** Options of {@link ItemKnnScorer.fit}. */
export interface ItemKnnOptions {
  /** Neighbours kept per item (the k of kNN). @default 100 */
  neighbours?: number;
  /**
   * Shrinkage added to the cosine denominator, damping similarities supported by few
   * co-occurrences: sim = co / (sqrt(n_i n_j) + shrink). @default 0
   */
  shrink?: number;
  /**
   * Add a tiny popularity prior (< 1e-6 of a similarity unit) so items with equal (often
   * zero) similarity are ordered by popularity instead of by id, e.g. for users whose
   * history has no neighbours. @default true
   */
  popularityTieBreak?: boolean;
  /**
   * The item-item similarity: `cosine` (above) or `rp3beta` (Paudel et al. 2016, tuned by
   * Dacrema et al. 2019): the probability of a random walk item i -> user -> item j,
   * sim(i, j) = sum over users u of both of 1 / (|U_i| |I_u|), divided by |U_j|^beta so that
   * popular targets are damped. @default 'cosine'
   */
  similarity?: 'cosine' | 'rp3beta';
  /** rp3beta's popularity damping exponent. @default 0.5 */
  beta?: number;
}

/**
 * Item-based kNN (Sarwar et al. 2001; the tuned baseline of Dacrema et al. 2019) on binary
 * implicit feedback. Cosine similarity between items' user sets:
 * sim(i, j) = |U_i ∩ U_j| / (sqrt(|U_i| |U_j|) + shrink). Each target item j keeps its
 * `neighbours` most similar items N(j) (ties: lower id); a user's score for j is
 * sum over i in N(j) ∩ history(u) of sim(i, j).
 *
 * Sparse throughout: fitting costs O(sum over users of |history|^2) with a dense co-count
 * accumulator reused per item, memory O(items * neighbours); scoring a user costs
 * O(|history| * neighbours) plus one row copy.
 */
export class ItemKnnScorer implements Scorer {
  private constructor(
    readonly nItems: number,
    /** Users' deduplicated train histories. */
    private readonly history: Csr,
    /** For each history entry, the entry of the train CSR it came from. */
    private readonly historySource: Int32Array,
    /** Each history entry's weight (recency.ts); absent: 1. */
    private readonly historyWeight: Float32Array | undefined,
    /** For each source item i: the targets j with i in N(j) and their similarities. */
    private readonly fanPtr: Int32Array,
    private readonly fanItem: Int32Array,
    private readonly fanSim: Float32Array,
    private readonly prior: Float32Array,
  ) {}

  /** Neighbour entries kept in total (items x neighbours at most). */
  get size(): number {
    return this.fanItem.length;
  }

  /**
   * Learns the neighbourhoods from a train CSR.
   * @param train - user x item train interactions; duplicates are ignored
   * @param nItems - catalog size
   */
  static fit(train: Csr, nItems: number, options: ItemKnnOptions = {}): ItemKnnScorer {
    return runSteps(ItemKnnScorer.fitSteps(train, nItems, options));
  }

  /** {@link fit} for an activity: the event loop gets a turn every second. */
  static fitAsync(train: Csr, nItems: number, options: ItemKnnOptions = {}) {
    return runStepsAsync(ItemKnnScorer.fitSteps(train, nItems, options));
  }

  /** {@link fit} as steps (lib/async/steps.ts): it yields after each target item. */
  static *fitSteps(train: Csr, nItems: number, options: ItemKnnOptions = {}): Steps<ItemKnnScorer> {
    const k = options.neighbours ?? 100;
    const shrink = options.shrink ?? 0;
    const walk = options.similarity === 'rp3beta';
    const beta = options.beta ?? 0.5;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`neighbours must be >= 1, got ${k}`);
    if (!(shrink >= 0)) throw new RangeError(`shrink must be >= 0, got ${shrink}`);
    if (!(beta >= 0)) throw new RangeError(`beta must be >= 0, got ${beta}`);
    const nUsers = train.indptr.length - 1;
    // A turn between the whole-log passes too: at 10M rows each is a fraction of a second.
    validateCsr(train, nUsers, nItems, 'train');
    yield;
    const { history, source: historySource } = dedupeRows(train, nItems);
    yield;
    const byItem = transposeCsr(history, nItems);
    const deg = itemCounts(history, nItems);
    yield;

    // Pass 1: per target j, co-counts with every item sharing a user, then its top k.
    // (rp3beta: the walk's mass through each shared user, 1 / |I_u| per user.)
    const co = new Float64Array(nItems);
    const sim = new Float64Array(nItems);
    const touched = new Int32Array(nItems);
    const selector = new TopKSelector(k);
    const nbrPtr = new Int32Array(nItems + 1);
    let nbrItem: Int32Array = new Int32Array(Math.min(nItems * k, 1 << 20));
    let nbrSim: Float32Array = new Float32Array(nbrItem.length);
    let w = 0;
    for (let j = 0; j < nItems; j++) {
      let t = 0;
      for (let a = byItem.indptr[j]!; a < byItem.indptr[j + 1]!; a++) {
        const u = byItem.indices[a]!;
        const mass = walk ? 1 / (history.indptr[u + 1]! - history.indptr[u]!) : 1;
        for (let b = history.indptr[u]!; b < history.indptr[u + 1]!; b++) {
          const i = history.indices[b]!;
          if (i === j) continue;
          if (co[i] === 0) touched[t++] = i;
          co[i]! += mass;
        }
      }
      const dj = deg[j]!;
      const damp = walk ? Math.pow(dj, beta) : 0;
      for (let c = 0; c < t; c++) {
        const i = touched[c]!;
        sim[i] = walk ? co[i]! / (deg[i]! * damp) : co[i]! / (Math.sqrt(dj * deg[i]!) + shrink);
      }
      const m = selector.selectSparse(touched, t, sim);
      if (w + m > nbrItem.length) {
        const grown = Math.min(nItems * k, Math.max(w + m, nbrItem.length * 2));
        nbrItem = growInt(nbrItem, grown);
        nbrSim = growFloat(nbrSim, grown);
      }
      for (let p = 0; p < m; p++) {
        nbrItem[w] = selector.ids[p]!;
        nbrSim[w++] = selector.scores[p]!;
      }
      nbrPtr[j + 1] = w;
      for (let c = 0; c < t; c++) co[touched[c]!] = 0;
      yield; // a popular item's co-counts walk many users' histories
    }

    // Pass 2: transpose target -> neighbours into source -> targets, so scoring walks the
    // user's history once.
    const fanPtr = new Int32Array(nItems + 1);
    for (let e = 0; e < w; e++) fanPtr[nbrItem[e]! + 1]!++;
    for (let i = 0; i < nItems; i++) fanPtr[i + 1]! += fanPtr[i]!;
    const fill = fanPtr.slice(0, nItems);
    const fanItem = new Int32Array(w);
    const fanSim = new Float32Array(w);
    for (let j = 0; j < nItems; j++) {
      for (let e = nbrPtr[j]!; e < nbrPtr[j + 1]!; e++) {
        const slot = fill[nbrItem[e]!]!++;
        fanItem[slot] = j;
        fanSim[slot] = nbrSim[e]!;
      }
    }

    const prior = new Float32Array(nItems);
    if (options.popularityTieBreak ?? true) {
      let max = 0;
      for (let i = 0; i < nItems; i++) max = Math.max(max, deg[i]!);
      for (let i = 0; i < nItems; i++) prior[i] = (1e-7 * deg[i]!) / (max + 1);
    }
    return new ItemKnnScorer(
      nItems,
      history,
      historySource,
      undefined,
      fanPtr,
      fanItem,
      fanSim,
      prior,
    );
  }

  /**
   * The same neighbourhoods scoring the same histories with each entry weighted by
   * `weight`, aligned with the entries of the train CSR this was fitted on (recency.ts).
   */
  withHistoryWeight(weight: Float32Array): ItemKnnScorer {
    const w = new Float32Array(this.historySource.length);
    for (let k = 0; k < w.length; k++) {
      const from = this.historySource[k]!;
      if (from >= weight.length)
        throw new RangeError('ItemKNN history weights: fewer weights than train entries');
      w[k] = weight[from]!;
    }
    return new ItemKnnScorer(
      this.nItems,
      this.history,
      this.historySource,
      w,
      this.fanPtr,
      this.fanItem,
      this.fanSim,
      this.prior,
    );
  }

  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    const n = this.nItems;
    if (out.length < userIds.length * n) throw new RangeError('score buffer is too small');
    const { fanPtr, fanItem, fanSim } = this;
    const { indptr, indices } = this.history;
    const rows = indptr.length - 1;
    for (let r = 0; r < userIds.length; r++) {
      const u = userIds[r]!;
      if (u < 0 || u >= rows) throw new RangeError(`user ${u} is outside the train matrix`);
      // Adds into the user's own row view, with every bound read once: ~1.3x faster than
      // offset indexing into `out` (~65K adds per user at 10M interactions).
      const row = out.subarray(r * n, r * n + n);
      row.set(this.prior);
      const end = indptr[u + 1]!;
      const weight = this.historyWeight;
      for (let a = indptr[u]!; a < end; a++) {
        const i = indices[a]!;
        const last = fanPtr[i + 1]!;
        if (weight) {
          const x = weight[a]!;
          for (let e = fanPtr[i]!; e < last; e++) row[fanItem[e]!]! += x * fanSim[e]!;
        } else {
          for (let e = fanPtr[i]!; e < last; e++) row[fanItem[e]!]! += fanSim[e]!;
        }
      }
    }
  }
}

/**
 * Copy of a CSR with duplicate items per row removed (binary feedback), and for each kept
 * entry the entry of `csr` it is (the first of its duplicates).
 */
function dedupeRows(csr: Csr, nItems: number): { history: Csr; source: Int32Array } {
  const rows = csr.indptr.length - 1;
  const seen = new Int32Array(nItems).fill(-1);
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(csr.indptr[rows]!);
  const source = new Int32Array(csr.indptr[rows]!);
  let w = 0;
  for (let u = 0; u < rows; u++) {
    for (let k = csr.indptr[u]!; k < csr.indptr[u + 1]!; k++) {
      const i = csr.indices[k]!;
      if (seen[i] === u) continue;
      seen[i] = u;
      source[w] = k;
      indices[w++] = i;
    }
    indptr[u + 1] = w;
  }
  return {
    history: { indptr, indices: indices.subarray(0, w) },
    source: source.subarray(0, w),
  };
}

function growInt(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function growFloat(a: Float32Array, n: number): Float32Array {
  const b = new Float32Array(n);
  b.set(a);
  return b;
}
