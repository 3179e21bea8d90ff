/**
 * The composition report: plain JSON counts over the final sets and the candidate table.
 * Linear passes over typed arrays; nothing per row is allocated.
 */
import type { Candidates } from './candidates.ts';
import { KEPT } from './candidates.ts';
import type { Popularity } from './popularity.ts';
import { POPULARITY_BUCKETS } from './popularity.ts';
import type { PositiveCsr } from './sort.ts';
import { DROP_REASONS, SOURCE_NAMES, SYNTHETIC_SOURCE_NAMES } from './types.ts';
import type {
  CompositionReport,
  DropReason,
  NegativeStats,
  ResampleConfig,
  ResampledSet,
  RowCounts,
  SourceName,
  SyntheticSourceName,
} from './types.ts';

/** Upper edges (exclusive) of the per-user synthetic count buckets; the last is open. */
const USER_EDGES = [1, 2, 4, 8, 16, 32, 64, 128];

export interface ReportArgs {
  seed: number;
  cfg: ResampleConfig;
  real: PositiveCsr;
  realRows: number;
  cand: Candidates;
  pop: Popularity;
  cold: Uint8Array;
  a: ResampledSet;
  b: ResampledSet;
  negA: NegativeStats;
  negB: NegativeStats;
  shareCandidates: number;
  allowed: number;
}

export function buildReport(r: ReportArgs): CompositionReport {
  const { cand: c, pop, real } = r;
  const nUsers = c.ptr.length - 1;
  const perSource = <T>(make: () => T) =>
    Object.fromEntries(SYNTHETIC_SOURCE_NAMES.map((s) => [s, make()])) as Record<
      SyntheticSourceName,
      T
    >;
  const input = perSource(rowCounts);
  const drops = { total: dropCounts(), ...perSource(dropCounts) };
  const synByBucket = new Array<number>(POPULARITY_BUCKETS).fill(0);
  let synTail = 0;
  let synKept = 0;
  const userBuckets = new Array<number>(USER_EDGES.length + 1).fill(0);
  let withSynthetic = 0;
  let withDislikes = 0;
  let coldUsers = 0;
  let coldWithSynthetic = 0;
  for (let u = 0; u < nUsers; u++) {
    let kept = 0;
    let dislikes = 0;
    for (let p = c.ptr[u]!, e = c.ptr[u + 1]!; p < e; p++) {
      const kind = SOURCE_NAMES[c.src[p]!] as SyntheticSourceName;
      const liked = c.label[p] === 1;
      input[kind][liked ? 'positive' : 'negative']++;
      const st = c.state[p]!;
      if (st !== KEPT) {
        const reason = DROP_REASONS[st - 1]!;
        drops.total[reason]++;
        drops[kind][reason]++;
      } else if (liked) {
        kept++;
        synByBucket[pop.bucket[c.item[p]!]!]!++;
        synTail += pop.tail[c.item[p]!]!;
      } else dislikes++;
    }
    synKept += kept;
    let bk = 0;
    while (bk < USER_EDGES.length && kept >= USER_EDGES[bk]!) bk++;
    userBuckets[bk]!++;
    if (kept > 0) withSynthetic++;
    if (dislikes > 0) withDislikes++;
    if (r.cold[u]) {
      coldUsers++;
      if (kept > 0) coldWithSynthetic++;
    }
  }
  const realByBucket = new Array<number>(POPULARITY_BUCKETS).fill(0);
  const itemsByBucket = new Array<number>(POPULARITY_BUCKETS).fill(0);
  let realTail = 0;
  for (let i = 0; i < pop.count.length; i++) {
    realByBucket[pop.bucket[i]!]! += pop.count[i]!;
    itemsByBucket[pop.bucket[i]!]!++;
    if (pop.tail[i]) realTail += pop.count[i]!;
  }
  const realPositives = real.items.length;
  const bPositives = realPositives + synKept;
  return {
    seed: r.seed,
    input: {
      realRows: r.realRows,
      realDuplicates: real.duplicates,
      realPositives,
      synthetic: input,
    },
    rows: { a: setCounts(r.a), b: setCounts(r.b) },
    drops,
    share: {
      target: r.cfg.syntheticShare,
      achieved: ratio(synKept, bPositives),
      candidates: r.shareCandidates,
      allowed: r.allowed,
    },
    negatives: { ...r.cfg.negatives, a: r.negA, b: r.negB },
    perUserSynthetic: { labels: bucketLabels(), users: userBuckets },
    popularity: {
      items: itemsByBucket,
      real: realByBucket,
      synthetic: synByBucket,
      b: realByBucket.map((v, k) => v + synByBucket[k]!),
    },
    tail: {
      tailItems: pop.tailItems,
      realShare: ratio(realTail, realPositives),
      syntheticShare: ratio(synTail, synKept),
      bShare: ratio(realTail + synTail, bPositives),
    },
    users: { withSynthetic, withDislikes, cold: coldUsers, coldWithSynthetic },
  };
}

function setCounts(s: ResampledSet): Record<SourceName, RowCounts> {
  const pos = new Float64Array(SOURCE_NAMES.length);
  const neg = new Float64Array(SOURCE_NAMES.length);
  for (let k = 0; k < s.n; k++) {
    if (s.label[k]) pos[s.source[k]!]!++;
    else neg[s.source[k]!]!++;
  }
  return Object.fromEntries(
    SOURCE_NAMES.map((name, code) => [name, { positive: pos[code]!, negative: neg[code]! }]),
  ) as Record<SourceName, RowCounts>;
}

function rowCounts(): RowCounts {
  return { positive: 0, negative: 0 };
}

function dropCounts(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}

function bucketLabels(): string[] {
  const labels = ['0'];
  for (let k = 1; k < USER_EDGES.length; k++) {
    const lo = USER_EDGES[k - 1]!;
    const hi = USER_EDGES[k]! - 1;
    labels.push(lo === hi ? String(lo) : `${lo}-${hi}`);
  }
  labels.push(`${USER_EDGES[USER_EDGES.length - 1]}+`);
  return labels;
}

/** 0 for an empty denominator (JSON has no NaN). */
function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}
