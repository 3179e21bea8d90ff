/**
 * Where the expansion's candidates come from: the strongest base model on validation (fitted
 * on the train split), proposing each asked user's top unseen items (LLMRec's base
 * recommender). A candidate is never a train item of the user. The validation split chooses
 * the model but does not filter its proposals: a candidate that happens to be a validation
 * item comes from train alone, as one that is a test item does, so B's validation figures
 * estimate its test figures; leaving validation items out would bias them down.
 */
import type { Csr, Scorer } from '../eval/types.ts';
import { strongestBaseline } from '../models/baselines/strongest.ts';
import type {
  CandidateFigure,
  StrongestBaseline,
  TeacherCandidate,
} from '../models/baselines/strongest.ts';
import type { TopNewItems } from '../models/baselines/top-new.ts';

export interface CandidateQuery {
  train: Csr;
  valid: Csr;
  nItems: number;
  /** Users asked, in the order of the result's rows. */
  users: Int32Array;
  perUser: number;
  signal?: AbortSignal;
  /** The strongest baseline when the caller has it already (searched once per run's splits). */
  baseline?: StrongestBaseline;
}

/** The base model's proposals, and which model it was. */
export interface CandidateModel {
  /** Display name of the model, e.g. `ItemKNN`. */
  name: string;
  /** Its NDCG@10 on the validation split (fitted on train). */
  validNdcg10: number;
  /** Row r holds the candidates of `users[r]`, best first. */
  top: TopNewItems;
  /** Every model tried, with its validation figure. */
  tried?: CandidateFigure[];
  /** The model itself, for callers that score other items with it. */
  scorer?: Scorer & { nItems: number };
}

/** Proposes candidates for a query; the stage is written against this. */
export type ProposeCandidates = (q: CandidateQuery) => Promise<CandidateModel>;

const DISPLAY_NAMES: Record<TeacherCandidate, string> = {
  ease: 'EASE',
  rp3beta: 'RP3beta',
  itemknn: 'ItemKNN',
};

/**
 * The strongest tuned baseline on validation (EASE, RP3beta or ItemKNN, each with its setting
 * chosen on validation; see lib/models/baselines/strongest.ts) proposes the candidates.
 */
export const strongestCandidates: ProposeCandidates = async (q) => {
  const best =
    q.baseline ?? (await strongestBaseline(q.train, q.valid, q.nItems, { signal: q.signal }));
  const top = await best.topUnseen(q.users, q.perUser);
  return {
    name: DISPLAY_NAMES[best.name],
    validNdcg10: best.validNdcg10,
    top,
    tried: best.candidates,
    scorer: best.scorer,
  };
};
