import { csrFromCoo } from '../eval/csr.ts';
import type { Interactions } from './table.ts';
import { preprocess } from './preprocess.ts';
import { generateSynthetic } from './synthetic.ts';

/**
 * A synthetic log, preprocessed like the pipeline does (rating >= 4, k-core, leave-last-out),
 * with its splits as CSRs: the data of the model and gate tests.
 */
export function syntheticSplits(spec: {
  users: number;
  items: number;
  interactions: number;
  seed: number;
  kCore: number;
}) {
  const g = generateSynthetic(spec);
  const pre = preprocess(
    { table: g.table, users: g.users, items: g.items, meta: g.meta },
    {
      positiveThreshold: 4,
      kCore: spec.kCore,
      split: 'leave-last-out',
      ratios: { train: 0.8, valid: 0.1, test: 0.1 },
      seed: 1,
    },
  );
  const nUsers = pre.users.size;
  const nItems = pre.items.size;
  const csr = (t: Interactions) => csrFromCoo(t.user, t.item, t.n, nUsers);
  const data = {
    nUsers,
    nItems,
    train: csr(pre.train),
    valid: csr(pre.valid),
    test: csr(pre.test),
  };
  return { pre, nUsers, nItems, data };
}
