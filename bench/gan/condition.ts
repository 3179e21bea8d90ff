/**
 * What generateGan's choice of the generator's condition (gan.recency auto, lib/gan/recency.ts)
 * costs: one validation ranking by a generator of the default size (400 hidden units) with
 * the plain and with a recency-weighted condition, and the whole choice (the plain condition
 * and five half-lives on at most CONDITION_CHOICE_USERS users), per catalog size. The
 * generator is freshly initialised: the cost does not depend on its weights. Synthetic
 * histories of 40 items per user.
 *
 *   npx tsx bench/gan/condition.ts [--items 10000,100000] [--users 10000]
 */
import { parseArgs } from 'node:util';
import { csrFromCoo } from '../../lib/eval/csr.ts';
import { sampleRows } from '../../lib/eval/row-sample.ts';
import {
  CONDITION_CHOICE_USERS,
  GeneratorScorer,
  chooseGeneratorRecency,
} from '../../lib/gan/index.ts';
import { initGenerator } from '../../lib/gan/generator.ts';
import { validationNdcg10 } from '../../lib/models/validation-score.ts';
import { Rng } from '../../lib/training/random.ts';
import { writeBenchResult } from '../common/results.ts';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '10000,100000' },
    users: { type: 'string', default: '10000' },
  },
});
const nUsers = Number(args.users);
const PER_USER = 40;
const HIDDEN = 400;
const seconds = (t0: number) => +((performance.now() - t0) / 1000).toFixed(2);

async function measure(nItems: number) {
  const rng = new Rng(1);
  const n = nUsers * PER_USER;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    user[k] = Math.floor(k / PER_USER);
    item[k] = Math.floor(rng.next() * nItems);
  }
  const train = csrFromCoo(user, item, n, nUsers);
  const validUsers = Int32Array.from({ length: nUsers }, (_, u) => u);
  const validItems = Int32Array.from({ length: nUsers }, () => Math.floor(rng.next() * nItems));
  const valid = csrFromCoo(validUsers, validItems, nUsers, nUsers);
  // Ranks as if each user's rows came in file order: the latest has rank 0.
  const ranks = new Int32Array(train.indptr[nUsers]!);
  for (let u = 0; u < nUsers; u++)
    for (let p = train.indptr[u]!; p < train.indptr[u + 1]!; p++)
      ranks[p] = train.indptr[u + 1]! - 1 - p;
  const plain = await GeneratorScorer.create(
    initGenerator(nItems, HIDDEN, 0, () => rng.normal()),
    train,
  );
  try {
    let t0 = performance.now();
    await validationNdcg10(plain, { train, valid });
    const plainRanking = seconds(t0);
    t0 = performance.now();
    await validationNdcg10(plain.withHistoryWeight(new Float32Array(n).fill(0.5)), {
      train,
      valid,
    });
    const weightedRanking = seconds(t0);
    const sample = { train, valid: sampleRows(valid, CONDITION_CHOICE_USERS, 1, 0x6a7e3) };
    t0 = performance.now();
    await chooseGeneratorRecency(plain, train, ranks, (s) => validationNdcg10(s, sample));
    const choice = seconds(t0);
    console.log(
      `${nUsers} users x ${nItems} items: one ranking ${plainRanking} s (weighted condition ${weightedRanking} s); the choice on ${CONDITION_CHOICE_USERS} users ${choice} s`,
    );
    return {
      users: nUsers,
      items: nItems,
      plainRanking,
      weightedRanking,
      choiceUsers: CONDITION_CHOICE_USERS,
      choice,
    };
  } finally {
    plain.dispose();
  }
}

const figures: Record<string, unknown> = { hidden: HIDDEN, historyPerUser: PER_USER };
for (const nItems of args.items!.split(',').map(Number))
  figures[`items${nItems}`] = await measure(nItems);
await writeBenchResult('gan-condition-choice', figures);
