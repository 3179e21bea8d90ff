/**
 * The strongest tuned baseline on validation: a teacher whose top unseen items can serve as
 * pseudo-positives (lib/teacher) or as candidates for another model to choose from. Each
 * candidate is fitted on the train split with its own setting chosen on validation
 * (tuned.ts), and the one with the best validation NDCG@10 wins - or its blend with the
 * others, when one scores higher there (blend.ts). The test split is never read. Pure: no
 * Temporal, no I/O.
 */
import type { Csr, Scorer } from '../../eval/types.ts';
import { validationNdcg10 } from '../validation-score.ts';
import { blendedScorer, chooseBlend } from './blend.ts';
import type { BlendChoice } from './blend.ts';
import { chooseHistoryWeighting, isHistoryReweightable, recencyWeights } from './recency.ts';
import { topUnseenItemsAsync } from './top-new.ts';
import type { TopNewItems, UnseenExclusions } from './top-new.ts';
import { fitTunedBaseline, validationOf } from './tuned.ts';
import type { TunedBaselineName } from './tuned.ts';

export type TeacherCandidate = TunedBaselineName;

/** The default candidates; on equal validation NDCG@10 the earlier one wins. */
export const TEACHER_CANDIDATES: readonly TeacherCandidate[] = ['ease', 'rp3beta', 'itemknn'];

/** One candidate's outcome. */
export interface CandidateFigure {
  name: TeacherCandidate;
  /** NDCG@10 of its chosen setting on the validation users; absent when skipped. */
  validNdcg10?: number;
  /**
   * The setting chosen on validation (EASE: lambda; RP3beta: beta; with `recency`: halfLife,
   * absent when the plain history scored best) and the grids' figures.
   */
  chosen?: Record<string, unknown>;
  /** Fit and validation time. */
  seconds: number;
  /** Why it did not run (EASE above its catalog limit). */
  skipped?: string;
}

export interface StrongestBaseline {
  /** The best single candidate (with `blend`, the blend's leading part). */
  name: TeacherCandidate;
  /** Validation NDCG@10 of the teacher: the blend's when there is one. */
  validNdcg10: number;
  scorer: Scorer & { nItems: number };
  /** Every candidate in the order tried, the winner included. */
  candidates: CandidateFigure[];
  /** The blend of candidates that beat the best one on validation (blend.ts), if any. */
  blend?: BlendChoice<TeacherCandidate>;
  /**
   * The winner's top `k` items per user of `users` that the user has not seen in train (nor
   * in `exclude`), best first with the teacher's raw scores; -1 where fewer remain.
   */
  topUnseen(users: Int32Array, k: number, exclude?: UnseenExclusions): Promise<TopNewItems>;
  /**
   * The same teacher scoring each user's history with the train entries where `keep` is 0
   * left out (its own recency weighting kept on the others); undefined for a blend, whose
   * parts weigh their histories each their own way.
   */
  withHistoryMask?(keep: Uint8Array): Scorer & { nItems: number };
}

/** What the search found, as plain data: enough to refit the winner without searching. */
export interface StrongestChoice {
  name: TeacherCandidate;
  validNdcg10: number;
  candidates: CandidateFigure[];
  blend?: BlendChoice<TeacherCandidate>;
}

export interface StrongestOptions {
  /** @default TEACHER_CANDIDATES */
  candidates?: readonly TeacherCandidate[];
  /**
   * The choice an earlier search made on the same splits and candidates (its `choice`):
   * only the winner is fitted, with its chosen setting, which gives the same scorer.
   */
  known?: StrongestChoice;
  /**
   * Per entry of `train`, how many of the user's train rows came after it (recency.ts): each
   * candidate also tries recency-weighted histories, and keeps the half-life (or none) that
   * scores best on validation. Absent: plain histories only.
   */
  recency?: Int32Array;
  /**
   * Whether blends of the fitted candidates compete too (blend.ts): kept only when one beats
   * the best candidate on validation. @default false
   */
  blend?: boolean;
  /** Called as each candidate starts (for heartbeats). */
  onCandidate?: (name: TeacherCandidate) => void;
  signal?: AbortSignal;
}

/**
 * Fits each candidate on `train`, scores it by NDCG@10 on `valid` (train items excluded from
 * the ranking; at most 2,000 users, evenly spread) and returns the best, or the blend of it
 * with the others that beats it on the same users (blend.ts). Throws a RangeError when no
 * candidate is given or every one was skipped.
 */
export async function strongestBaseline(
  train: Csr,
  valid: Csr,
  nItems: number,
  options: StrongestOptions = {},
): Promise<StrongestBaseline> {
  const names = options.candidates ?? TEACHER_CANDIDATES;
  if (names.length === 0) throw new RangeError('strongestBaseline: no candidate given');
  if (options.known) return refitted(options.known, train, valid, nItems, options);
  const validation = validationOf(train, valid);
  const candidates: CandidateFigure[] = [];
  const fittedOnes: {
    name: TeacherCandidate;
    scorer: Scorer & { nItems: number };
    score: number;
    masked?: HistoryMask;
  }[] = [];
  for (const name of new Set(names)) {
    options.signal?.throwIfAborted();
    options.onCandidate?.(name);
    const t0 = performance.now();
    const fitted = await fitTunedBaseline(name, train, nItems, valid, options.signal);
    if ('skipped' in fitted) {
      candidates.push({ name, seconds: (performance.now() - t0) / 1000, skipped: fitted.skipped });
      continue;
    }
    // ItemKNN has no setting to choose, so nothing scored it yet.
    const plain =
      fitted.validNdcg10 ?? (await validationNdcg10(fitted.scorer, validation, options.signal));
    const { scorer, score, chosen } = options.recency
      ? await withRecency(
          fitted.scorer,
          plain,
          fitted.chosen,
          options.recency,
          validation,
          options.signal,
        )
      : { scorer: fitted.scorer, score: plain, chosen: fitted.chosen };
    candidates.push({
      name,
      validNdcg10: score,
      ...(chosen ? { chosen } : {}),
      seconds: (performance.now() - t0) / 1000,
    });
    const halfLife = chosen?.halfLife;
    fittedOnes.push({
      name,
      scorer,
      score,
      masked: historyMask(
        fitted.scorer,
        typeof halfLife === 'number' ? halfLife : undefined,
        options.recency,
      ),
    });
  }
  // The strongest first; on ties the earlier candidate (a stable sort).
  const ranked = [...fittedOnes].sort((a, b) => b.score - a.score);
  const best = ranked[0];
  if (!best)
    throw new RangeError(
      `strongestBaseline: every candidate was skipped (${candidates.map((c) => `${c.name}: ${c.skipped}`).join('; ')})`,
    );
  options.signal?.throwIfAborted();
  const blend =
    options.blend !== true
      ? undefined
      : await chooseBlend(
          best,
          best.score,
          ranked.slice(1),
          (scorer) => validationNdcg10(scorer, validation, options.signal),
          options.signal,
        );
  if (!blend)
    return withTopUnseen(
      { name: best.name, validNdcg10: best.score, candidates },
      best.scorer,
      train,
      best.masked,
    );
  const { scorer, ...choice } = blend;
  return withTopUnseen(
    { name: best.name, validNdcg10: blend.validNdcg10, candidates, blend: choice },
    scorer,
    train,
  );
}

/** The plain-data part of a search's result, for sharing it (see `known`). */
export function choiceOf(best: StrongestBaseline): StrongestChoice {
  return {
    name: best.name,
    validNdcg10: best.validNdcg10,
    candidates: best.candidates,
    ...(best.blend ? { blend: best.blend } : {}),
  };
}

/** The known winner (and the known blend's parts) fitted with their chosen settings. */
async function refitted(
  known: StrongestChoice,
  train: Csr,
  valid: Csr,
  nItems: number,
  options: StrongestOptions,
): Promise<StrongestBaseline> {
  const parts = known.blend?.parts ?? [{ name: known.name, weight: 1 }];
  const fitted = [];
  for (const part of parts)
    fitted.push(await refittedPart(known, part.name, train, valid, nItems, options));
  if (known.blend)
    return withTopUnseen(
      known,
      blendedScorer(fitted.map((f, p) => ({ scorer: f.scorer, weight: parts[p]!.weight }))),
      train,
    );
  return withTopUnseen(known, fitted[0]!.scorer, train, fitted[0]!.masked);
}

/** One candidate of a known choice fitted with its chosen setting and half-life. */
async function refittedPart(
  known: StrongestChoice,
  name: TeacherCandidate,
  train: Csr,
  valid: Csr,
  nItems: number,
  options: StrongestOptions,
): Promise<{ scorer: Scorer & { nItems: number }; masked?: HistoryMask }> {
  const figure = known.candidates.find((c) => c.name === name && !c.skipped);
  if (!figure) throw new RangeError(`strongestBaseline: the known choice lists no ${name}`);
  options.onCandidate?.(name);
  const fitted = await fitTunedBaseline(name, train, nItems, valid, options.signal, figure);
  if ('skipped' in fitted) throw new RangeError(`strongestBaseline: ${fitted.skipped}`);
  const halfLife = figure.chosen?.halfLife;
  if (typeof halfLife !== 'number')
    return { scorer: fitted.scorer, masked: historyMask(fitted.scorer, undefined, undefined) };
  if (!options.recency || !isHistoryReweightable(fitted.scorer))
    throw new RangeError(
      `strongestBaseline: the known choice weights ${name}'s history by recency, but no recency was given`,
    );
  return {
    scorer: fitted.scorer.withHistoryWeight(recencyWeights(options.recency, halfLife)),
    masked: historyMask(fitted.scorer, halfLife, options.recency),
  };
}

/** A fitted candidate scoring its history with some train entries left out. */
type HistoryMask = (keep: Uint8Array) => Scorer & { nItems: number };

/**
 * How `plain` (the candidate on the plain history) scores with a mask over the train
 * entries, its recency weighting (half-life `halfLife` over `ranks`) kept on the others;
 * undefined when it cannot reweight its history.
 */
function historyMask(
  plain: Scorer & { nItems: number },
  halfLife: number | undefined,
  ranks: Int32Array | undefined,
): HistoryMask | undefined {
  if (!isHistoryReweightable(plain)) return undefined;
  return (keep) => {
    const weight =
      halfLife !== undefined && ranks
        ? recencyWeights(ranks, halfLife)
        : new Float32Array(keep.length).fill(1);
    for (let e = 0; e < weight.length; e++) if (!keep[e]) weight[e] = 0;
    return plain.withHistoryWeight(weight);
  };
}

/**
 * The fitted candidate scoring recency-weighted histories for each half-life, against its
 * plain figure; the best on validation wins (the plain history on ties).
 */
async function withRecency(
  plainScorer: Scorer & { nItems: number },
  plainScore: number,
  chosen: Record<string, unknown> | undefined,
  ranks: Int32Array,
  validation: ReturnType<typeof validationOf>,
  signal: AbortSignal | undefined,
): Promise<{
  scorer: Scorer & { nItems: number };
  score: number;
  chosen?: Record<string, unknown>;
}> {
  if (!isHistoryReweightable(plainScorer))
    return { scorer: plainScorer, score: plainScore, ...(chosen ? { chosen } : {}) };
  const pick = await chooseHistoryWeighting(
    plainScorer,
    plainScore,
    (halfLife) => plainScorer.withHistoryWeight(recencyWeights(ranks, halfLife)),
    (scorer) => validationNdcg10(scorer, validation, signal),
    signal,
  );
  return {
    scorer: pick.scorer,
    score: pick.validNdcg10,
    chosen: {
      ...chosen,
      ...(pick.halfLife !== undefined ? { halfLife: pick.halfLife } : {}),
      recency: pick.figures,
    },
  };
}

function withTopUnseen(
  choice: StrongestChoice,
  scorer: Scorer & { nItems: number },
  train: Csr,
  masked?: HistoryMask,
): StrongestBaseline {
  return {
    ...choice,
    scorer,
    topUnseen: (users, k, exclude) =>
      topUnseenItemsAsync(scorer, train, scorer.nItems, users, k, exclude ?? {}),
    ...(masked ? { withHistoryMask: masked } : {}),
  };
}
