import type { Splits } from './preprocess.ts';

export interface DataStats {
  users: number;
  items: number;
  trainRows: number;
  validRows: number;
  testRows: number;
  /** All kept rows / (users x items). */
  density: number;
  /** Gini coefficient of train item popularity (0 = uniform, 1 = one item has all). */
  popularityGini: number;
  /** Users by number of train rows: bucket label -> users. */
  userHistogram: Record<string, number>;
}

/** Histogram buckets: [exclusive upper bound, label]. */
const BUCKETS: [number, string][] = [
  [2, '1'],
  [5, '2-4'],
  [10, '5-9'],
  [20, '10-19'],
  [50, '20-49'],
  [100, '50-99'],
  [Infinity, '100+'],
];

export function splitStats(s: Splits): DataStats {
  const users = s.userOrigin.length;
  const items = s.itemOrigin.length;
  const total = s.train.n + s.valid.n + s.test.n;
  const itemCount = new Float64Array(items);
  const userCount = new Int32Array(users);
  for (let k = 0; k < s.train.n; k++) {
    itemCount[s.train.item[k]!]!++;
    userCount[s.train.user[k]!]!++;
  }
  const userHistogram: Record<string, number> = { '0': 0 };
  for (const [, label] of BUCKETS) userHistogram[label] = 0;
  for (let u = 0; u < users; u++) {
    const c = userCount[u]!;
    const label = c === 0 ? '0' : BUCKETS.find(([limit]) => c < limit)![1];
    userHistogram[label]!++;
  }
  return {
    users,
    items,
    trainRows: s.train.n,
    validRows: s.valid.n,
    testRows: s.test.n,
    density: users && items ? total / (users * items) : 0,
    popularityGini: gini(itemCount),
    userHistogram,
  };
}

/** Gini coefficient of non-negative values (sorted-rank formula). */
export function gini(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const v = Float64Array.from(values).sort();
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    sum += v[i]!;
    weighted += (i + 1) * v[i]!;
  }
  return sum === 0 ? 0 : (2 * weighted) / (n * sum) - (n + 1) / n;
}
