/**
 * The teacher's proposals one step back, for scoring policy candidates on validation.
 *
 * With leave-last-out, a user's validation item is the step right after their train rows,
 * and the test item the step after that. The teacher proposes from the train rows, so its
 * proposals aim at the validation step: on MovieLens-100K they are the user's validation
 * item for 8.2% of the users given rows (k 3), proposals made from one row less, two steps
 * before it, for 6.0% (bench/movielens/policy-check.ts). A model trained on them then
 * looks better on validation than it will be on test, most of all a factor model (BPR-MF),
 * which learns a pseudo-positive as its own target. Proposed from each user's history
 * without its latest train row, the rows aim one step before validation, and validation is
 * as far from them as test is from the real proposals; the model is still trained on every
 * real row. resample drops a proposal that is the left-out row, as a real proposal that is
 * the validation item teaches nothing the test ranking can use. Pure.
 */
import type { Csr } from '../eval/types.ts';
import type { TopNewItems, UnseenExclusions } from '../models/baselines/index.ts';
import { topUnseenItemsAsync } from '../models/baselines/top-new.ts';
import type { Scorer } from '../eval/types.ts';
import type { TeacherModel } from './propose.ts';

/** A teacher that can score histories with some train entries left out (strongest.ts). */
export interface MaskableTeacher {
  withHistoryMask?(keep: Uint8Array): Scorer & { nItems: number };
}

/**
 * Per entry of `train`, 1 unless it is its user's latest row (`ranks`[e] = 0: no later row;
 * recency.ts); a user with a single row keeps it, so every user keeps a history.
 */
export function latestRowsLeftOut(train: Csr, ranks: Int32Array): Uint8Array {
  const keep = new Uint8Array(ranks.length).fill(1);
  const nUsers = train.indptr.length - 1;
  for (let u = 0; u < nUsers; u++) {
    const from = train.indptr[u]!;
    const to = train.indptr[u + 1]!;
    if (to - from < 2) continue;
    for (let e = from; e < to; e++) if (ranks[e] === 0) keep[e] = 0;
  }
  return keep;
}

/**
 * `ranks` (per entry of a user x item CSR, the user's later rows) for the entries `keep`
 * leaves in, once each user's latest row is gone ({@link latestRowsLeftOut}): one less for a
 * user who lost a row, so the new latest is 0 again; aligned with `keptEntries(csr, keep)`.
 */
export function keptRanks(ranks: Int32Array, keep: Uint8Array): Int32Array {
  let n = 0;
  for (let e = 0; e < keep.length; e++) n += keep[e]!;
  const out = new Int32Array(n);
  let w = 0;
  // A kept entry of a user who lost their latest row has rank >= 1; a single row has 0.
  for (let e = 0; e < keep.length; e++) if (keep[e]) out[w++] = Math.max(0, ranks[e]! - 1);
  return out;
}

/** `csr` without the entries where `keep` is 0 (rows stay rows). */
export function keptEntries(csr: Csr, keep: Uint8Array): Csr {
  const nRows = csr.indptr.length - 1;
  const indptr = new Int32Array(nRows + 1);
  let n = 0;
  for (let e = 0; e < keep.length; e++) n += keep[e]!;
  const indices = new Int32Array(n);
  let w = 0;
  for (let u = 0; u < nRows; u++) {
    for (let e = csr.indptr[u]!; e < csr.indptr[u + 1]!; e++)
      if (keep[e]) indices[w++] = csr.indices[e]!;
    indptr[u + 1] = w;
  }
  return { indptr, indices };
}

/**
 * `teacher` one step back: each user's train history without its latest row (`ranks`: per
 * train entry, the user's later rows; recency.ts) and the teacher scoring that history,
 * proposing items outside it. Propose with it as with the teacher itself
 * (`proposePseudoPositives(back.history, nItems, back.teacher, options)`); undefined when
 * the teacher cannot leave rows out (a blend).
 */
export function teacherOneStepBack(
  train: Csr,
  ranks: Int32Array,
  nItems: number,
  teacher: TeacherModel & MaskableTeacher,
): { history: Csr; teacher: TeacherModel } | undefined {
  if (!teacher.withHistoryMask) return undefined;
  const keep = latestRowsLeftOut(train, ranks);
  const history = keptEntries(train, keep);
  const scorer = teacher.withHistoryMask(keep);
  return {
    history,
    teacher: {
      topUnseen: (users: Int32Array, k: number, exclude?: UnseenExclusions): Promise<TopNewItems> =>
        topUnseenItemsAsync(scorer, history, nItems, users, k, exclude ?? {}),
    },
  };
}
