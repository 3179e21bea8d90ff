/**
 * The strongest tuned baseline on validation, searched once per (train split, validation
 * split, candidates, code) and shared (shared-choice.ts): teacher, expandLlm and evaluate all
 * want it, and the search (EASE's lambdas, RP3beta's betas, each scored on validation) costs
 * far more than refitting the winner. The first stage to need it searches and stores the
 * choice (which baseline, its setting, every candidate's validation figure); the others
 * refit the winner with that setting, which gives the same scorer.
 */
import { codeIdentityOf } from '../lib/code-identity/index.ts';
import type { Csr } from '../lib/eval/types.ts';
import {
  TEACHER_CANDIDATES,
  choiceOf,
  strongestBaseline,
} from '../lib/models/baselines/strongest.ts';
import type {
  StrongestBaseline,
  StrongestChoice,
  TeacherCandidate,
} from '../lib/models/baselines/strongest.ts';
import type { KnownChoices } from '../lib/models/baselines/evaluate-baselines.ts';
import type { RecencyFigure } from '../lib/models/baselines/recency.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { sharedChoice, splitsChoiceKey, storedChoice } from './shared-choice.ts';
import type { StageContext } from './stage-runner.ts';

/** Where the choices live in the artifact store, one JSON object per key. */
export const BASELINE_CHOICES = 'shared/strongest-baseline';

/** The searched-once baseline, and whether this call reused a stored choice. */
export type SharedBaseline = StrongestBaseline & { reused: boolean };

/**
 * The key of a search: the code (this module's identity, which covers the search code it
 * reaches), the two splits' content hashes (from the preprocess manifest) and the
 * candidates in order (on ties the earlier one wins).
 */
export function baselineChoiceKey(
  ctx: Pick<StageContext<unknown>, 'inputManifest'>,
  candidates: readonly TeacherCandidate[],
  code: string = codeIdentityOf(import.meta.url),
  recency = false,
  blend = false,
): string {
  return splitsChoiceKey(ctx, code, {
    candidates,
    ...(recency ? { recency } : {}),
    ...(blend ? { blend } : {}),
  });
}

/** A stored value as a baseline choice: its winner among its candidates, with a figure. */
function parseBaselineChoice(value: unknown): StrongestChoice | undefined {
  const c = value as StrongestChoice;
  const winner = c.candidates?.find((x) => x.name === c.name && !x.skipped);
  return winner && typeof c.validNdcg10 === 'number' ? c : undefined;
}

/**
 * The settings of a search's candidates on the plain history (EASE's lambda, RP3beta's
 * beta, each with its validation figure there), for the report's baselines, which rank
 * with the plain history: a recency half-life and its figures are left out.
 */
export function plainBaselineSettings(choice: StrongestChoice): KnownChoices {
  const known: KnownChoices = {};
  for (const c of choice.candidates) {
    if (!c.chosen) continue;
    const { halfLife: _halfLife, recency, ...chosen } = c.chosen;
    if (Object.keys(chosen).length === 0) continue;
    const plain = (recency as RecencyFigure[] | undefined)?.find((r) => r.halfLife === null);
    known[c.name] = { chosen, validNdcg10: plain?.validNdcg10 ?? c.validNdcg10 };
  }
  return known;
}

/** The stored choice for a key, or undefined (none yet, or not a readable choice). */
export function storedBaselineChoice(
  store: ArtifactStore,
  key: string,
): Promise<StrongestChoice | undefined> {
  return storedChoice(store, BASELINE_CHOICES, key, parseBaselineChoice);
}

/**
 * The strongest baseline for a stage that read the preprocess splits `train` and `valid`:
 * refitted from the stored choice when there is one, else searched and stored.
 */
export async function sharedStrongestBaseline(
  ctx: Pick<StageContext<unknown>, 'inputManifest' | 'store' | 'signal'>,
  train: Csr,
  valid: Csr,
  nItems: number,
  options: {
    candidates?: readonly TeacherCandidate[];
    /** Recency ranks of `train`'s entries: the search also tries recency-weighted histories. */
    recency?: Int32Array;
    /** Blends of the candidates compete too (lib/models/baselines/blend.ts). */
    blend?: boolean;
    onCandidate?: (name: TeacherCandidate) => void;
  } = {},
): Promise<SharedBaseline> {
  const candidates = options.candidates ?? TEACHER_CANDIDATES;
  const fit = (choice?: StrongestChoice) =>
    strongestBaseline(train, valid, nItems, {
      candidates,
      signal: ctx.signal,
      ...(options.recency ? { recency: options.recency } : {}),
      ...(options.blend ? { blend: true } : {}),
      ...(options.onCandidate ? { onCandidate: options.onCandidate } : {}),
      ...(choice ? { known: choice } : {}),
    });
  const { result, reused } = await sharedChoice(ctx, {
    folder: BASELINE_CHOICES,
    key: baselineChoiceKey(
      ctx,
      candidates,
      undefined,
      options.recency !== undefined,
      options.blend === true,
    ),
    parse: parseBaselineChoice,
    search: async () => {
      const best = await fit();
      return { result: best, choice: choiceOf(best) };
    },
    reuse: fit,
  });
  return Object.assign(result, { reused });
}
