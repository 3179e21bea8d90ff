/** Summary statistics of a preprocessed dataset, small enough for manifests and MLflow. */
import type { Interactions } from './table.ts';

export interface DataStats {
  users: number;
  items: number;
  trainRows: number;
  validRows: number;
  testRows: number;
  /** All rows / (users x items). */
  density: number;
  /** Gini coefficient of train item popularity (0 = uniform, -> 1 = one item has all). */
  popularityGini: number;
  /** Users by number of rows (all splits): bucket label -> users. */
  userHistogram: Record<string, number>;
  /** Rows per user: min, median, mean, max (all splits). */
  rowsPerUser: { min: number; median: number; mean: number; max: number };
}

/** Histogram buckets: [inclusive lower bound, label]. */
const BUCKETS: [number, string][] = [
  [1, '1'],
  [2, '2-4'],
  [5, '5-9'],
  [10, '10-19'],
  [20, '20-49'],
  [50, '50-99'],
  [100, '100-199'],
  [200, '200-499'],
  [500, '500+'],
];

export function computeStats(
  train: Interactions,
  valid: Interactions,
  test: Interactions,
  users: number,
  items: number,
): DataStats {
  const perUser = new Int32Array(users);
  for (const t of [train, valid, test]) for (let k = 0; k < t.n; k++) perUser[t.user[k]!]!++;
  const itemCount = new Int32Array(items);
  for (let k = 0; k < train.n; k++) itemCount[train.item[k]!]!++;
  const userHistogram: Record<string, number> = {};
  for (const [, label] of BUCKETS) userHistogram[label] = 0;
  let min = Infinity;
  let max = 0;
  let total = 0;
  for (let u = 0; u < users; u++) {
    const c = perUser[u]!;
    total += c;
    if (c < min) min = c;
    if (c > max) max = c;
    let b = BUCKETS.length - 1;
    while (b > 0 && c < BUCKETS[b]![0]) b--;
    if (c > 0) userHistogram[BUCKETS[b]![1]]!++;
  }
  return {
    users,
    items,
    trainRows: train.n,
    validRows: valid.n,
    testRows: test.n,
    density: users && items ? total / (users * items) : 0,
    popularityGini: gini(itemCount),
    userHistogram,
    rowsPerUser: {
      min: users ? min : 0,
      median: median(perUser),
      mean: users ? total / users : 0,
      max,
    },
  };
}

/**
 * Gini coefficient of non-negative integer counts, sorted by counting (counts are bounded
 * by the row count): G = 2 * sum(rank_i * x_i) / (n * sum(x)) - (n + 1) / n, ranks 1-based
 * in ascending order.
 */
export function gini(counts: Int32Array): number {
  const n = counts.length;
  if (n === 0) return 0;
  let max = 0;
  for (let i = 0; i < n; i++) if (counts[i]! > max) max = counts[i]!;
  const freq = new Float64Array(max + 1);
  for (let i = 0; i < n; i++) freq[counts[i]!]!++;
  let rank = 0;
  let sum = 0;
  let weighted = 0;
  for (let v = 0; v <= max; v++) {
    const f = freq[v]!;
    if (f === 0) continue;
    // Ranks rank+1 .. rank+f all hold value v: their sum is f * (2 * rank + f + 1) / 2.
    weighted += (v * f * (2 * rank + f + 1)) / 2;
    sum += v * f;
    rank += f;
  }
  return sum === 0 ? 0 : (2 * weighted) / (n * sum) - (n + 1) / n;
}

function median(values: Int32Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const sorted = Int32Array.from(values).sort();
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}
