/**
 * The tuned reference recommenders, fitted on the train split with their hyper-parameter
 * chosen by NDCG@10 on the validation split (the test split is never read): ItemKNN (no
 * setting to choose), RP3beta (its popularity exponent beta) and EASE (its lambda). The one
 * fitting code behind the report's baselines (evaluate-baselines.ts) and the teacher's
 * candidates (strongest.ts).
 */
import { keepRows, nonEmptyRows } from '../../eval/csr.ts';
import type { Csr, Scorer } from '../../eval/types.ts';
import { runStepsAsync } from '../../async/steps.ts';
import { EASE_MAX_ITEMS, EaseScorer, fitEaseOnValidation } from '../ease/ease.ts';
import type { ValidationData } from '../types.ts';
import { validationNdcg10 } from '../validation-score.ts';
import { ItemKnnScorer } from './item-knn.ts';

export type TunedBaselineName = 'itemknn' | 'rp3beta' | 'ease';

/** A fitted baseline, or why it cannot run on this data. */
export type TunedBaseline =
  | {
      scorer: Scorer & { nItems: number };
      /** The setting chosen on validation and every candidate's figure (absent for ItemKNN). */
      chosen?: Record<string, unknown>;
      /** Validation NDCG@10 of the chosen setting, when a choice was made. */
      validNdcg10?: number;
    }
  | { skipped: string };

/** rp3beta's candidate popularity exponents. */
export const RP3_BETAS = [0, 0.25, 0.5, 0.75];

/** Users whose validation items score a candidate (an even spread, so the cost is bounded). */
export const VALIDATION_USERS = 2000;

/**
 * A choice made earlier on the same train and validation splits by this code: the setting
 * (EASE: `lambda`, RP3beta: `beta`) and its validation NDCG@10. Refitting with it gives the
 * same scorer as the search did, without the search.
 */
export interface KnownChoice {
  chosen?: Record<string, unknown>;
  validNdcg10?: number;
}

/**
 * Fits `name` on `train`; RP3beta and EASE need `valid` to choose their setting on, unless
 * `known` carries the setting chosen earlier on the same splits.
 */
export async function fitTunedBaseline(
  name: TunedBaselineName,
  train: Csr,
  nItems: number,
  valid: Csr | undefined,
  signal?: AbortSignal,
  known?: KnownChoice,
): Promise<TunedBaseline> {
  if (name === 'itemknn') return { scorer: await ItemKnnScorer.fitAsync(train, nItems) };
  if (name === 'ease' && nItems > EASE_MAX_ITEMS)
    return {
      skipped: `the catalog has ${nItems} items, above EASE's dense limit of ${EASE_MAX_ITEMS}`,
    };
  const refitted = await refit(name, train, nItems, known);
  if (refitted) return refitted;
  if (!valid)
    return {
      skipped: `no validation split to choose its ${name === 'ease' ? 'lambda' : 'beta'} on`,
    };
  const v = validationOf(train, valid);
  if (name === 'ease') {
    const choice = await fitEaseOnValidation(
      train,
      nItems,
      (scorer) => validationNdcg10(scorer, v, signal),
      { signal },
    );
    return {
      scorer: choice.scorer,
      chosen: { lambda: choice.lambda, candidates: choice.candidates },
      validNdcg10: Math.max(...choice.candidates.map((c) => c.validNdcg10)),
    };
  }
  // beta damps popular targets; chosen by validation NDCG@10.
  const candidates: { beta: number; validNdcg10: number }[] = [];
  let best: { beta: number; scorer: ItemKnnScorer; score: number } | undefined;
  for (const beta of RP3_BETAS) {
    signal?.throwIfAborted();
    const scorer = await ItemKnnScorer.fitAsync(train, nItems, { similarity: 'rp3beta', beta });
    const validNdcg10 = await validationNdcg10(scorer, v, signal);
    candidates.push({ beta, validNdcg10 });
    if (!best || validNdcg10 > best.score) best = { beta, scorer, score: validNdcg10 };
  }
  return {
    scorer: best!.scorer,
    chosen: { beta: best!.beta, candidates },
    validNdcg10: best!.score,
  };
}

/** `name` fitted with a known setting; undefined when `known` has none for it. */
async function refit(
  name: 'rp3beta' | 'ease',
  train: Csr,
  nItems: number,
  known: KnownChoice | undefined,
): Promise<TunedBaseline | undefined> {
  const setting = known?.chosen?.[name === 'ease' ? 'lambda' : 'beta'];
  if (typeof setting !== 'number' || !Number.isFinite(setting)) return undefined;
  const scorer =
    name === 'ease'
      ? await runStepsAsync(EaseScorer.fitSteps(train, nItems, setting))
      : await ItemKnnScorer.fitAsync(train, nItems, { similarity: 'rp3beta', beta: setting });
  return {
    scorer,
    chosen: known!.chosen,
    ...(known!.validNdcg10 !== undefined ? { validNdcg10: known!.validNdcg10 } : {}),
  };
}

/** The validation data a setting is chosen on: at most VALIDATION_USERS users, evenly spread. */
export function validationOf(train: Csr, valid: Csr): ValidationData {
  return { train, valid: evenRows(valid, VALIDATION_USERS) };
}

/** The rows of an even spread of at most `max` non-empty rows; the others emptied. */
function evenRows(csr: Csr, max: number): Csr {
  const rows = nonEmptyRows(csr);
  const stride = Math.max(1, Math.ceil(rows.length / max));
  return keepRows(
    csr,
    rows.filter((_, q) => q % stride === 0),
  );
}
