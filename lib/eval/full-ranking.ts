import { itemCounts, transposeCsr, validateCsr } from './csr.ts';
import { intraListDiversitySteps } from './diversity.ts';
import {
  averagePrecisionAt,
  discounts,
  hitRateAt,
  meanAt,
  ndcgAt,
  recallAt,
  selfInformation,
  tailItemMask,
} from './metrics.ts';
import { meanOf, positionsWhere } from './summary.ts';
import { TopKSelector } from './topk.ts';
import type {
  AsyncScorer,
  CutoffMetric,
  EvalData,
  EvalOptions,
  EvalResult,
  EvalSummary,
  MetricKey,
  Scorer,
} from './types.ts';
import { runSteps, runStepsAsync } from '../async/steps.ts';
import type { Steps } from '../async/steps.ts';
import { eventLoopTurn } from '../async/turn.ts';

/**
 * Intra-list diversity is measured on the top lists of at most this many users, evenly spread
 * over the evaluated ones: its cost grows with the items' train degrees, and its mean settles
 * long before every user is counted.
 */
const DIVERSITY_USERS = 2000;

const CUTOFF_METRICS: readonly CutoffMetric[] = [
  'recall',
  'ndcg',
  'hr',
  'map',
  'novelty',
  'tailRecall',
  'tailShare',
];

/**
 * Full-ranking evaluation (Krichene & Rendle, KDD 2020): every test user's test items are
 * ranked against ALL items except that user's train (and valid) items; no sampled negatives.
 *
 * MRR is the reciprocal FULL rank of the user's best-ranked test item (no cutoff), so it
 * still distinguishes models whose hits fall outside every top K.
 *
 * @param data - train/valid/test CSRs over the same dense ids
 * @param scorer - fills a users x items score buffer, one batch at a time
 * @throws RangeError on malformed CSRs, bad options or NaN scores
 */
export function evaluateFullRanking(
  data: EvalData,
  scorer: Scorer,
  options: EvalOptions = {},
): EvalResult {
  const run = new FullRankingRun(data, options);
  for (let b = 0; b < run.batchCount; b++) {
    const ret: unknown = scorer.scoreUsers(run.batchUsers(b), run.batchBuffer(b));
    if (ret instanceof Promise) {
      throw new TypeError('scorer is asynchronous; use evaluateFullRankingAsync');
    }
    run.consume(b);
    options.onProgress?.(run.usersDone(b), run.userCount);
  }
  return run.finish();
}

/**
 * Same as {@link evaluateFullRanking}, for long runs inside an activity: awaits async
 * scorers, yields to the event loop every `yieldEveryBatches` batches so heartbeats and
 * cancellation get through, and stops when `signal` aborts.
 */
export async function evaluateFullRankingAsync(
  data: EvalData,
  scorer: AsyncScorer,
  options: EvalOptions = {},
): Promise<EvalResult> {
  const run = new FullRankingRun(data, options);
  const every = options.yieldEveryBatches ?? 1;
  if (!Number.isInteger(every) || every < 1) {
    throw new RangeError(`yieldEveryBatches must be a positive integer, got ${every}`);
  }
  for (let b = 0; b < run.batchCount; b++) {
    options.signal?.throwIfAborted();
    await scorer.scoreUsers(run.batchUsers(b), run.batchBuffer(b));
    run.consume(b);
    options.onProgress?.(run.usersDone(b), run.userCount);
    if ((b + 1) % every === 0) await eventLoopTurn();
  }
  options.signal?.throwIfAborted();
  const result = await runStepsAsync(run.finishSteps());
  // The last slice ran without a turn after it: give one before the caller's next slice.
  await eventLoopTurn();
  return result;
}

/**
 * The evaluation as a plan (users, segments, buffers; built once) plus per-batch execution.
 * Exported for callers that drive the batches themselves; most use the functions above.
 */
export class FullRankingRun {
  readonly userCount: number;
  readonly batchCount: number;
  readonly batchSize: number;
  private readonly nItems: number;
  private readonly ks: number[];
  private readonly maxK: number;
  private readonly users: Int32Array;
  // Rankable test items per evaluated position (CSR over positions, not user ids).
  private readonly testPtr: Int32Array;
  private readonly testIdx: Int32Array;
  private readonly droppedTest: number;
  private readonly trainCount: Int32Array;
  private readonly tail: Uint8Array;
  private readonly selfInfo: Float64Array;
  private readonly disc: Float64Array;
  private readonly coldThreshold: number;
  private readonly buffer: Float32Array;
  private readonly selector: TopKSelector;
  // Per-position scratch, reused for every user.
  private readonly rel: Uint8Array;
  private readonly tailRel: Uint8Array;
  private readonly tailFlag: Float64Array;
  private readonly info: Float64Array;
  // testMark[item] === position + 1 marks the current user's test items without clearing.
  private readonly testMark: Int32Array;
  // Best (smallest) 0-based list position at which each item was recommended: coverage@K.
  private readonly bestPos: Int32Array;
  // Per cutoff, how many users' top K hold each item: exposure Gini@K.
  private readonly exposure: Int32Array[];
  // Top lists of every `diversityStride`-th position, kept for intra-list diversity (only
  // when asked for: it walks the lists' items' train users, too much for every epoch's
  // validation).
  private readonly diversityStride: number;
  private readonly diversityLists: Int32Array | undefined;
  private readonly cuts: Array<{ k: number } & Record<CutoffMetric, Float64Array>>;
  private readonly mrr: Float64Array;

  constructor(
    private readonly data: EvalData,
    private readonly options: EvalOptions = {},
  ) {
    const { nUsers, nItems, train, test } = data;
    if (!Number.isInteger(nUsers) || nUsers < 0) throw new RangeError(`bad nUsers ${nUsers}`);
    if (!Number.isInteger(nItems) || nItems < 1) throw new RangeError(`bad nItems ${nItems}`);
    validateCsr(train, nUsers, nItems, 'train');
    validateCsr(test, nUsers, nItems, 'test');
    const valid = options.excludeValid === false ? undefined : data.valid;
    if (valid) validateCsr(valid, nUsers, nItems, 'valid');

    this.nItems = nItems;
    this.ks = normalizeKs(options.ks ?? [10, 20]);
    this.maxK = Math.min(this.ks[this.ks.length - 1]!, nItems);
    this.coldThreshold = options.coldThreshold ?? 5;
    const tailFraction = options.tailFraction ?? 0.8;

    // Rankable test items: in the test split and not excluded; duplicates counted once.
    const excluded = new Int32Array(nItems).fill(-1);
    const seen = new Int32Array(nItems).fill(-1);
    const users: number[] = [];
    const ptr: number[] = [0];
    const idx = new Int32Array(test.indptr[nUsers]!);
    let w = 0;
    let dropped = 0;
    for (let u = 0; u < nUsers; u++) {
      if (test.indptr[u + 1] === test.indptr[u]) continue;
      markRow(train, u, excluded);
      if (valid) markRow(valid, u, excluded);
      const start = w;
      for (let k = test.indptr[u]!; k < test.indptr[u + 1]!; k++) {
        const i = test.indices[k]!;
        if (excluded[i] === u) dropped++;
        else if (seen[i] !== u) {
          seen[i] = u;
          idx[w++] = i;
        }
      }
      if (w > start) {
        users.push(u);
        ptr.push(w);
      }
    }
    this.users = Int32Array.from(users);
    this.testPtr = Int32Array.from(ptr);
    this.testIdx = idx.subarray(0, w);
    this.droppedTest = dropped;
    this.userCount = users.length;

    this.trainCount = new Int32Array(nUsers);
    for (let u = 0; u < nUsers; u++) this.trainCount[u] = train.indptr[u + 1]! - train.indptr[u]!;
    const pop = itemCounts(train, nItems);
    this.tail = tailItemMask(pop, tailFraction);
    this.selfInfo = selfInformation(pop, nUsers);
    this.disc = discounts(this.maxK);

    const maxFloats = options.maxBufferFloats ?? 4_194_304;
    const size = options.batchSize ?? Math.max(1, Math.floor(maxFloats / nItems));
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${size}`);
    }
    this.batchSize = Math.max(1, Math.min(size, this.userCount));
    this.batchCount = Math.ceil(this.userCount / this.batchSize);
    this.buffer = new Float32Array(this.batchSize * nItems);
    this.selector = new TopKSelector(Math.max(1, this.maxK));
    this.rel = new Uint8Array(this.maxK);
    this.tailRel = new Uint8Array(this.maxK);
    this.tailFlag = new Float64Array(this.maxK);
    this.info = new Float64Array(this.maxK);
    this.testMark = new Int32Array(nItems);
    this.bestPos = new Int32Array(nItems).fill(0x7fffffff);
    this.exposure = this.ks.map(() => new Int32Array(nItems));
    this.diversityStride = Math.max(1, Math.ceil(this.userCount / DIVERSITY_USERS));
    const kept = Math.ceil(this.userCount / this.diversityStride);
    this.diversityLists = options.diversity ? new Int32Array(kept * this.maxK).fill(-1) : undefined;

    const n = this.userCount;
    this.cuts = this.ks.map((k) => ({
      k,
      recall: new Float64Array(n),
      ndcg: new Float64Array(n),
      hr: new Float64Array(n),
      map: new Float64Array(n),
      novelty: new Float64Array(n),
      tailRecall: new Float64Array(n),
      tailShare: new Float64Array(n),
    }));
    this.mrr = new Float64Array(n);
  }

  /** User ids of batch `b` (a view; do not keep it across batches). */
  batchUsers(b: number): Int32Array {
    const start = b * this.batchSize;
    return this.users.subarray(start, Math.min(start + this.batchSize, this.userCount));
  }

  /** The score buffer for batch `b`: exactly `batchUsers(b).length * nItems` floats. */
  batchBuffer(b: number): Float32Array {
    return this.buffer.subarray(0, this.batchUsers(b).length * this.nItems);
  }

  /** Users finished after batch `b`. */
  usersDone(b: number): number {
    return Math.min((b + 1) * this.batchSize, this.userCount);
  }

  /** Ranks and scores every user of batch `b`; the buffer must hold the scorer's output. */
  consume(b: number): void {
    const nItems = this.nItems;
    const buf = this.buffer;
    const start = b * this.batchSize;
    const end = Math.min(start + this.batchSize, this.userCount);
    const valid = this.options.excludeValid === false ? undefined : this.data.valid;
    for (let pos = start; pos < end; pos++) {
      const u = this.users[pos]!;
      const off = (pos - start) * nItems;
      maskRow(this.data.train, u, buf, off);
      if (valid) maskRow(valid, u, buf, off);
      this.scoreUser(pos, off);
    }
  }

  private scoreUser(pos: number, off: number): void {
    const { rel, tailRel, tailFlag, info, tail, testMark, selector } = this;
    const buf = this.buffer;
    const t0 = this.testPtr[pos]!;
    const t1 = this.testPtr[pos + 1]!;
    const mark = pos + 1;
    let nTail = 0;
    for (let t = t0; t < t1; t++) {
      const i = this.testIdx[t]!;
      testMark[i] = mark;
      nTail += tail[i]!;
    }
    // Best-ranked test item under the shared ordering (higher score, then lower id); its
    // full rank (for MRR) is counted during the same pass that selects the top list.
    let best = this.testIdx[t0]!;
    let bestScore = buf[off + best]!;
    for (let t = t0 + 1; t < t1; t++) {
      const i = this.testIdx[t]!;
      const s = buf[off + i]!;
      if (s > bestScore || (s === bestScore && i < best)) {
        best = i;
        bestScore = s;
      }
    }
    const m = selector.selectRanked(buf, off, this.nItems, best);
    const ids = selector.ids;
    for (let p = 0; p < m; p++) {
      const i = ids[p]!;
      const r = testMark[i] === mark ? 1 : 0;
      rel[p] = r;
      tailRel[p] = r & tail[i]!;
      tailFlag[p] = tail[i]!;
      info[p] = this.selfInfo[i]!;
      if (p < this.bestPos[i]!) this.bestPos[i] = p;
      for (let c = 0; c < this.ks.length; c++) if (p < this.ks[c]!) this.exposure[c]![i]!++;
    }
    if (this.diversityLists && pos % this.diversityStride === 0)
      this.diversityLists.set(ids.subarray(0, m), (pos / this.diversityStride) * this.maxK);
    const nRel = t1 - t0;
    for (const c of this.cuts) {
      const k = c.k;
      c.recall[pos] = recallAt(rel, m, nRel, k);
      c.ndcg[pos] = ndcgAt(rel, m, nRel, k, this.disc);
      c.hr[pos] = hitRateAt(rel, m, k);
      c.map[pos] = averagePrecisionAt(rel, m, nRel, k);
      c.novelty[pos] = meanAt(info, m, k);
      c.tailRecall[pos] = recallAt(tailRel, m, nTail, k);
      c.tailShare[pos] = meanAt(tailFlag, m, k);
    }

    this.mrr[pos] = 1 / selector.rank;
  }

  /** Aggregates everything measured so far into the result. */
  finish(): EvalResult {
    return runSteps(this.finishSteps());
  }

  /**
   * {@link finish} as steps (lib/async/steps.ts): intra-list diversity alone takes seconds at
   * 10M interactions, and the segments and means grow with the users.
   */
  *finishSteps(): Steps<EvalResult> {
    const n = this.userCount;
    const coldUsers = positionsWhere(
      n,
      (q) => this.trainCount[this.users[q]!]! <= this.coldThreshold,
    );
    const tailUsers = positionsWhere(n, (q) => {
      for (let t = this.testPtr[q]!; t < this.testPtr[q + 1]!; t++) {
        if (this.tail[this.testIdx[t]!]) return true;
      }
      return false;
    });
    yield;
    const sparseUsers = sparsestPositions(
      this.users,
      this.trainCount,
      this.options.sparseFraction ?? 0.25,
    );
    yield;
    const summary: EvalSummary = {
      overall: {},
      coldUsers: {},
      sparseUsers: {},
      tailItems: {},
      coverage: {},
      exposure: {},
      diversity: {},
      counts: {
        users: n,
        coldUsers: coldUsers.length,
        sparseUsers: sparseUsers.length,
        tailUsers: tailUsers.length,
        tailItems: countOnes(this.tail),
        items: this.nItems,
        droppedTestItems: this.droppedTest,
      },
    };
    const perUser = {} as Record<MetricKey, Float64Array>;
    for (const c of this.cuts) {
      for (const family of CUTOFF_METRICS) perUser[`${family}@${c.k}`] = c[family];
    }
    perUser.mrr = this.mrr;
    for (const [key, values] of Object.entries(perUser)) {
      summary.overall[key] = meanOf(values);
      summary.coldUsers[key] = meanOf(values, coldUsers);
      summary.sparseUsers[key] = meanOf(values, sparseUsers);
      yield;
    }
    for (const c of this.cuts) {
      const k = c.k;
      summary.tailItems[`recall@${k}`] = meanOf(c.tailRecall, tailUsers);
      let covered = 0;
      for (let i = 0; i < this.nItems; i++) if (this.bestPos[i]! < k) covered++;
      summary.coverage[`coverage@${k}`] = covered / this.nItems;
    }
    this.ks.forEach((k, c) => (summary.exposure[`gini@${k}`] = gini(this.exposure[c]!)));
    if (this.diversityLists) {
      yield;
      const byItem = transposeCsr(this.data.train, this.nItems);
      yield;
      const lists = this.diversityLists.length / Math.max(1, this.maxK);
      const ild = yield* intraListDiversitySteps(
        this.diversityLists,
        this.maxK,
        lists,
        this.ks,
        byItem,
        this.data.nUsers,
      );
      this.ks.forEach((k, c) => (summary.diversity[`ild@${k}`] = ild[c]!));
    }
    return {
      nItems: this.nItems,
      ks: [...this.ks],
      users: this.users,
      perUser,
      segments: { coldUsers, tailUsers, sparseUsers, tailItems: this.tail },
      summary,
    };
  }
}

/**
 * Positions of the `fraction` of users with the fewest train items (ties: lower user id
 * first), at most `maxTake` of them, ascending. At least one user when there are any and the
 * fraction is above 0. A counting pass, not a sort: a million users take milliseconds.
 */
export function sparsestPositions(
  users: Int32Array,
  trainCount: Int32Array,
  fraction: number,
  maxTake = Infinity,
): Int32Array {
  if (!(fraction >= 0 && fraction <= 1))
    throw new RangeError(`sparseFraction must be in [0, 1], got ${fraction}`);
  const n = users.length;
  const take = Math.min(
    fraction === 0 || n === 0 ? 0 : Math.max(1, Math.floor(n * fraction)),
    Math.max(0, maxTake),
  );
  if (take === 0) return new Int32Array(0);
  let most = 0;
  for (let q = 0; q < n; q++) most = Math.max(most, trainCount[users[q]!]!);
  const histogram = new Int32Array(most + 1);
  for (let q = 0; q < n; q++) histogram[trainCount[users[q]!]!]!++;
  // The cut: every user below `cut` items is in, and the first `atCut` users with exactly
  // `cut` (positions follow user ids, so the earlier ones are the lower ids).
  let cut = 0;
  let below = 0;
  while (below + histogram[cut]! < take) below += histogram[cut++]!;
  let atCut = take - below;
  const out = new Int32Array(take);
  let w = 0;
  for (let q = 0; q < n; q++) {
    const c = trainCount[users[q]!]!;
    if (c < cut || (c === cut && atCut-- > 0)) out[w++] = q;
  }
  return out;
}

/** Gini coefficient of non-negative counts (0 when all are equal or all are 0). */
export function gini(counts: Int32Array): number {
  const n = counts.length;
  const sorted = Int32Array.from(counts).sort();
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    total += sorted[i]!;
    weighted += (i + 1) * sorted[i]!;
  }
  if (total === 0) return 0;
  return (2 * weighted) / (n * total) - (n + 1) / n;
}

function normalizeKs(ks: number[]): number[] {
  if (ks.length === 0) throw new RangeError('ks must not be empty');
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1)
      throw new RangeError(`each K must be a positive integer, got ${k}`);
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}

function markRow(csr: EvalData['train'], u: number, stamp: Int32Array): void {
  for (let k = csr.indptr[u]!; k < csr.indptr[u + 1]!; k++) stamp[csr.indices[k]!] = u;
}

function maskRow(csr: EvalData['train'], u: number, buf: Float32Array, off: number): void {
  for (let k = csr.indptr[u]!; k < csr.indptr[u + 1]!; k++) buf[off + csr.indices[k]!] = -Infinity;
}

function countOnes(mask: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < mask.length; i++) c += mask[i]!;
  return c;
}
