import { csrFromCoo } from '../../lib/eval/csr.ts';
import { Rng } from '../../lib/training/random.ts';

/**
 * Users walk along a ring of items, two steps a time: the validation item lies just past the
 * user's latest train items, so a recency-weighted history ranks it far better.
 */
export function ringLog(seed: number) {
  const rng = new Rng(seed);
  const nUsers = 300;
  const nItems = 200;
  const train = { user: [] as number[], item: [] as number[], ts: [] as number[] };
  const vUser: number[] = [];
  const vItem: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const start = Math.floor(rng.next() * nItems);
    const length = 20 + Math.floor(rng.next() * 20);
    const seen = new Set<number>();
    const items: number[] = [];
    for (let t = 0; items.length < length; t++) {
      const i = (start + 2 * t + Math.floor(rng.next() * 3)) % nItems;
      if (seen.has(i)) continue;
      seen.add(i);
      items.push(i);
    }
    items.slice(0, -1).forEach((i, t) => {
      train.user.push(u);
      train.item.push(i);
      train.ts.push(1000 + t);
    });
    vUser.push(u);
    vItem.push(items.at(-1)!);
  }
  // The train file is not in time order: the ranks come from the timestamps.
  const order = train.user
    .map((_, k) => k)
    .sort((a, b) => ((a * 7919) % 1009) - ((b * 7919) % 1009));
  const rows = {
    n: order.length,
    user: Int32Array.from(order, (k) => train.user[k]!),
    item: Int32Array.from(order, (k) => train.item[k]!),
    ts: Float64Array.from(order, (k) => train.ts[k]!),
  };
  return {
    nUsers,
    nItems,
    rows,
    train: csrFromCoo(rows.user, rows.item, rows.n, nUsers),
    valid: csrFromCoo(Int32Array.from(vUser), Int32Array.from(vItem), vUser.length, nUsers),
  };
}
