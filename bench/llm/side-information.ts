/**
 * Does item side information make the no-LLM chooser better? Measured on the validation split
 * only (the test split is never read): how often the chooser's "liked" pick is the user's
 * held-out validation item, with the item IDs alone (weight 0) and with side information at a
 * weight chosen on the other half of the users (two folds by user parity, so no user's figure
 * comes from a weight chosen on that user). Two kinds of question:
 *
 * - `random`: the held-out item among 9 random unseen items (as in the unit tests);
 * - `candidates`: the held-out item among the base model's top unseen items, as the stage
 *   asks (its candidates exclude validation items, so one is swapped in), for all users and
 *   for the sparse ones the stage expands by default.
 */
import { itemCounts } from '../../lib/eval/csr.ts';
import type { Csr } from '../../lib/eval/types.ts';
import type { Scorer } from '../../lib/eval/types.ts';
import type { ItemMeta } from '../../lib/data/table.ts';
import {
  chooseSideWeight,
  heldOutAmongCandidates,
  heldOutChoices,
  itemFeatures,
  strongestCandidates,
} from '../../lib/llm/index.ts';
import type { ChoiceRequest, SequenceModel, SideWeightChoice } from '../../lib/llm/index.ts';

interface Questions {
  requests: ChoiceRequest[];
  truth: number[];
}

export interface SideInformationFigures {
  questions: number;
  /** Held-out item liked, item IDs only (%). */
  idsOnlyPercent: number;
  /** Held-out item liked, side information at the weight chosen on the other fold (%). */
  withSidePercent: number;
  /** Mean reciprocal rank of the held-out item, both ways. */
  idsOnlyMrr: number;
  withSideMrr: number;
  /** The weights the two folds chose. */
  chosenWeights: string;
}

/** Held-out item liked (%) at every weight on all questions (descriptive; not used to choose). */
export type GridFigures = Record<string, number>;

function subset(q: Questions, keep: (r: ChoiceRequest) => boolean): Questions {
  const out: Questions = { requests: [], truth: [] };
  q.requests.forEach((r, k) => {
    if (!keep(r)) return;
    out.requests.push(r);
    out.truth.push(q.truth[k]!);
  });
  return out;
}

/** Two-fold figures of one question set. */
export function crossFitted(
  model: SequenceModel,
  meta: ItemMeta,
  nItems: number,
  q: Questions,
): SideInformationFigures {
  const features = itemFeatures(meta, nItems);
  const all = chooseSideWeight(model, features, q);
  const at = (c: SideWeightChoice, w: number) => c.figures.find((f) => f.weight === w)!;
  let hits = 0;
  let rr = 0;
  const chosenWeights: number[] = [];
  for (const parity of [0, 1]) {
    const fit = subset(q, (r) => r.user % 2 === parity);
    const held = subset(q, (r) => r.user % 2 !== parity);
    const w = chooseSideWeight(model, features, fit).weight;
    chosenWeights.push(w);
    const f = at(chooseSideWeight(model, features, held, [w]), w);
    hits += f.hitRate * held.requests.length;
    rr += f.mrr * held.requests.length;
  }
  const n = q.requests.length;
  const ids = at(all, 0);
  return {
    questions: n,
    idsOnlyPercent: +(100 * ids.hitRate).toFixed(1),
    withSidePercent: +((100 * hits) / n).toFixed(1),
    idsOnlyMrr: +ids.mrr.toFixed(4),
    withSideMrr: +(rr / n).toFixed(4),
    chosenWeights: chosenWeights.join(', '),
  };
}

/** The hit rate of every weight of the grid on all of `q`. */
function gridOf(model: SequenceModel, meta: ItemMeta, nItems: number, q: Questions): GridFigures {
  const all = chooseSideWeight(model, itemFeatures(meta, nItems), q);
  return Object.fromEntries(
    all.figures.map((f) => [`weight ${f.weight}`, +(100 * f.hitRate).toFixed(1)]),
  );
}

/**
 * Held-out item liked (%) when the candidates are ranked by a plain score instead of the
 * chooser: what the chooser must beat to add anything. Ties count against the item.
 */
function scoredPercent(q: Questions, score: (q: number, c: number) => number): number {
  let hits = 0;
  q.requests.forEach((r, k) => {
    const t = q.truth[k]!;
    let top = true;
    for (let c = 0; c < r.candidates.length; c++)
      if (c !== t && score(k, c) >= score(k, t)) top = false;
    if (top) hits++;
  });
  return +((100 * hits) / Math.max(1, q.requests.length)).toFixed(1);
}

/** The candidate model's and popularity's hit rates on the same random-item questions. */
function baselines(q: Questions, train: Csr, nItems: number, model: Scorer) {
  const pop = itemCounts(train, nItems);
  const buf = new Float32Array(nItems);
  const one = new Int32Array(1);
  const base = q.requests.map((r) => {
    one[0] = r.user;
    model.scoreUsers(one, buf);
    return Float64Array.from(r.candidates, (c) => buf[c]!);
  });
  return {
    candidateModelPercent: scoredPercent(q, (k, c) => base[k]![c]!),
    popularityPercent: scoredPercent(q, (k, c) => pop[q.requests[k]!.candidates[c]!]!),
  };
}

/** Both question kinds; `sparseThreshold` as the stage's default `llm.sparseThreshold`. */
export async function measureSideInformation(input: {
  model: SequenceModel;
  seqs: Csr;
  train: Csr;
  valid: Csr;
  meta: ItemMeta;
  nItems: number;
  perUser: number;
  sparseThreshold: number;
  seed: number;
}) {
  const { model, seqs, train, valid, meta, nItems } = input;
  const features = itemFeatures(meta, nItems);
  const random = heldOutChoices(seqs, valid, nItems, input.seed);
  const randomQ: Questions = {
    requests: random.requests,
    truth: random.requests.map((r, k) => r.candidates.indexOf(random.truth[k]!)),
  };
  const nUsers = train.indptr.length - 1;
  const users = Int32Array.from({ length: nUsers }, (_, u) => u);
  const base = await strongestCandidates({ train, valid, nItems, users, perUser: input.perUser });
  const cand = heldOutAmongCandidates(users, seqs, base.top, valid, input.seed, Infinity);
  const trainCount = (u: number) => train.indptr[u + 1]! - train.indptr[u]!;
  const sparse = subset(cand, (r) => trainCount(r.user) <= input.sparseThreshold);
  return {
    sideInformationFields: features.fields.join(', ') || 'none',
    sideInformationFeatures: features.names.length,
    itemsWithFeatures: features.itemsWithFeatures,
    candidateModel: base.name,
    candidateModelValidNdcg10: +base.validNdcg10.toFixed(4),
    heldOutLiked: {
      random: {
        ...crossFitted(model, meta, nItems, randomQ),
        ...baselines(randomQ, train, nItems, base.scorer!),
      },
      // No candidate-model figure here: its own top list leaves the held-out item out, so it
      // would rank that item low by construction.
      candidates: crossFitted(model, meta, nItems, cand),
      candidatesSparseUsers: crossFitted(model, meta, nItems, sparse),
    },
    heldOutLikedByWeightPercent: {
      random: gridOf(model, meta, nItems, randomQ),
      candidates: gridOf(model, meta, nItems, cand),
      candidatesSparseUsers: gridOf(model, meta, nItems, sparse),
    },
  };
}
