/**
 * Teacher-guided augmentation: a model stronger than the one being trained (the strongest
 * baseline on validation) proposes, for the sparsest users, its top items they have not
 * seen, as weighted pseudo-positives. Per user at most `k`, and at most `maxPerRealItem`
 * per real train item (at least 1), so a user with little history is not drowned in
 * synthetic rows; the most popular items are never proposed (tail.ts). Columnar throughout.
 */
import { ConfigError } from '../config/errors.ts';
import type { ConfigIssue } from '../config/errors.ts';
import type { Csr } from '../eval/types.ts';
import type { TopNewItems, UnseenExclusions } from '../models/baselines/index.ts';
import { headItems } from './tail.ts';
import { teacherUsers } from './users.ts';

export interface TeacherOptions {
  /** Share (0..1] of users with train rows, sparsest first; 1 = all of them. */
  usersFraction: number;
  /** Most users augmented, the sparsest first (absent: no cap). */
  maxUsers?: number;
  /** Most pseudo-positives per user (integer >= 1). */
  k: number;
  /** Most pseudo-positives per real train item of the user (> 0; every user may get 1). */
  maxPerRealItem: number;
  /** Share [0..1) of the catalog, most popular first, never proposed. */
  excludeTopPopular: number;
}

/** What proposes the items: StrongestBaseline fits (lib/models/baselines/strongest.ts). */
export interface TeacherModel {
  topUnseen(users: Int32Array, k: number, exclude?: UnseenExclusions): Promise<TopNewItems>;
}

export interface PseudoPositives {
  n: number;
  user: Int32Array;
  item: Int32Array;
  /**
   * Rank-based confidence in (0, 1]: 1 - r / k_u for the user's r-th proposal (0-based) of
   * k_u, so 1 for the best; comparable across teachers whose raw scores are not.
   */
  score: Float32Array;
  /** The teacher's raw score (for resample's plausibility pruning). */
  plausibility: Float32Array;
  /** Users chosen (the sparsest share) and those given at least one row. */
  usersChosen: number;
  usersAugmented: number;
  /** Items never proposed (the most popular share). */
  excludedItems: number;
}

/**
 * The pseudo-positives of `teacher` for the chosen users of `train`. Items in the user's
 * train rows and in the popular head are never proposed. The validation split is not looked
 * at: a proposal that happens to be a user's validation item is the teacher's knowledge from
 * train, and counts on validation exactly as a proposal that is a test item counts on test.
 * Leaving validation items out would make every validation figure of B pessimistic (the
 * right answer could never be proposed there, while on test it can). Rows are in (user
 * ascending, rank) order; the result depends only on the inputs.
 */
export async function proposePseudoPositives(
  train: Csr,
  nItems: number,
  teacher: TeacherModel,
  options: TeacherOptions,
): Promise<PseudoPositives> {
  validateOptions(options);
  const users = teacherUsers(train, options.usersFraction, options.maxUsers);
  const head = headItems(train, nItems, options.excludeTopPopular);
  let excludedItems = 0;
  for (let i = 0; i < nItems; i++) excludedItems += head[i]!;
  const perUser = Math.max(1, Math.min(options.k, nItems));
  const top = await teacher.topUnseen(users, perUser, {
    items: head,
  });
  const cap = users.length * perUser;
  const out: PseudoPositives = {
    n: 0,
    user: new Int32Array(cap),
    item: new Int32Array(cap),
    score: new Float32Array(cap),
    plausibility: new Float32Array(cap),
    usersChosen: users.length,
    usersAugmented: 0,
    excludedItems,
  };
  for (let r = 0; r < users.length; r++) {
    const u = users[r]!;
    const real = train.indptr[u + 1]! - train.indptr[u]!;
    const allowed = Math.min(
      perUser,
      Math.max(1, Math.floor(options.maxPerRealItem * real + 1e-9)),
    );
    let found = 0;
    while (found < allowed && top.items[r * perUser + found]! >= 0) found++;
    for (let c = 0; c < found; c++) {
      const w = out.n++;
      out.user[w] = u;
      out.item[w] = top.items[r * perUser + c]!;
      out.score[w] = 1 - c / found;
      out.plausibility[w] = top.scores[r * perUser + c]!;
    }
    if (found > 0) out.usersAugmented++;
  }
  return {
    ...out,
    user: out.user.slice(0, out.n),
    item: out.item.slice(0, out.n),
    score: out.score.slice(0, out.n),
    plausibility: out.plausibility.slice(0, out.n),
  };
}

function validateOptions(o: TeacherOptions): void {
  const issues: ConfigIssue[] = [];
  const check = (field: keyof TeacherOptions, ok: boolean, expected: string) => {
    if (!ok) issues.push({ field: `teacher.${field}`, value: o[field], expected });
  };
  check('usersFraction', o.usersFraction > 0 && o.usersFraction <= 1, 'a number in (0, 1]');
  check('k', Number.isInteger(o.k) && o.k >= 1, 'an integer >= 1');
  check(
    'maxPerRealItem',
    o.maxPerRealItem > 0 && Number.isFinite(o.maxPerRealItem),
    'a finite number > 0',
  );
  check(
    'excludeTopPopular',
    o.excludeTopPopular >= 0 && o.excludeTopPopular < 1,
    'a number in [0, 1)',
  );
  if (issues.length > 0) throw new ConfigError('teacher config', issues);
}
