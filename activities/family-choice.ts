/**
 * The trainer settings of a run: the configured family, or with `model.family: auto` the
 * candidate chosen on validation by chooseFamily (lib/models/auto-family.ts) on the real
 * train split. The policy search, retrainA and retrainB all need it; it is searched once per
 * run and shared through the artifact store (shared-choice.ts), keyed by this module's code
 * identity, the splits, the candidates' settings and the seed.
 */
import { codeIdentityOf } from '../lib/code-identity/index.ts';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import { familyCandidates } from '../lib/config/pipeline.ts';
import { readInteractionsParquet } from '../lib/data/index.ts';
import { recencyRanksAsync } from '../lib/models/baselines/recency.ts';
import { chooseFamily, realTrainingSet, trainConfigOf } from '../lib/models/auto-family.ts';
import type { FamilyChoice } from '../lib/models/auto-family.ts';
import { EASE_MAX_ITEMS } from '../lib/models/ease/ease.ts';
import type { TrainConfig } from '../lib/models/types.ts';
import { sharedChoice, splitsChoiceKey } from './shared-choice.ts';
import type { SplitCsrs } from './split-data.ts';
import type { StageContext } from './stage-runner.ts';

/** Where the choices live in the artifact store, one JSON object per key. */
export const FAMILY_CHOICES = 'shared/family-choice';

/**
 * The key of a choice: the code (this module's identity, which covers the training code it
 * reaches), the two splits' content hashes and every candidate's settings in order (family,
 * shared budget, seed; on ties the earlier one wins).
 */
export function familyChoiceKey(
  ctx: Pick<StageContext<unknown>, 'inputManifest'>,
  candidates: readonly TrainConfig[],
  code: string = codeIdentityOf(import.meta.url),
): string {
  return splitsChoiceKey(ctx, code, { candidates });
}

/** A stored value as a family choice among `candidates`, or undefined when it is not one. */
function parseFamilyChoice(candidates: readonly TrainConfig[]) {
  return (value: unknown): FamilyChoice | undefined => {
    const c = value as FamilyChoice;
    const family = c.chosen?.family;
    const winner = c.candidates?.find((x) => x.family === family && !x.skipped);
    const known = candidates.some((x) => x.family === family);
    return known && typeof winner?.confirmationNdcg10 === 'number' ? c : undefined;
  };
}

/**
 * Whether training reads the train split's recency ranks: EASE with `recency: auto`, on a
 * catalog EASE can solve (above its limit auto leaves it out and `ease` fails anyway).
 */
export function usesRecency(model: PipelineConfig['model'], nItems: number): boolean {
  if (model.recency !== 'auto' || nItems > EASE_MAX_ITEMS) return false;
  return model.family === 'ease' || (model.family === 'auto' && model.candidates.includes('ease'));
}

/** The trainer settings, and with family auto the choice and whether it was reused. */
export interface RunTrainConfig {
  train: TrainConfig;
  choice?: FamilyChoice;
  choiceReused?: boolean;
}

export async function runTrainConfig(
  ctx: Pick<
    StageContext<unknown>,
    'inputFile' | 'inputManifest' | 'store' | 'signal' | 'heartbeat'
  >,
  model: PipelineConfig['model'],
  seed: number,
  splits: SplitCsrs,
): Promise<RunTrainConfig> {
  if (model.family !== 'auto') return { train: trainConfigOf(model, seed) };
  const configs = familyCandidates(model).map((m) => trainConfigOf(m, seed));
  const { result: choice, reused } = await sharedChoice(ctx, {
    folder: FAMILY_CHOICES,
    key: familyChoiceKey(ctx, configs),
    parse: parseFamilyChoice(configs),
    search: async () => {
      const rows = await readInteractionsParquet(
        await ctx.inputFile('preprocess', 'train.parquet'),
      );
      const real = realTrainingSet(rows, splits.nUsers, splits.nItems);
      const validation = {
        train: splits.train,
        valid: splits.valid,
        // The caller's ranks when it read them (retrain, policy), else from these rows.
        trainRecency:
          splits.trainRecency ??
          (usesRecency(model, splits.nItems)
            ? await recencyRanksAsync(rows, splits.nUsers)
            : undefined),
      };
      const made = await chooseFamily(real, validation, configs, {
        signal: ctx.signal,
        onCandidate: (family) => ctx.heartbeat({ phase: `trying family ${family}` }),
      });
      return { result: made, choice: made };
    },
    // The settings come from this run's config (the key covers them), not from the object.
    reuse: (known) =>
      Promise.resolve({
        ...known,
        chosen: configs.find((c) => c.family === known.chosen.family)!,
      }),
  });
  return { train: choice.chosen, choice, choiceReused: reused };
}
