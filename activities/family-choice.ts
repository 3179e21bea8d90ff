/**
 * The trainer settings of a run: the configured family, or with `model.family: auto` the
 * candidate with the best validation NDCG@10 on the real train split. Made on the real data
 * only, the choice is the same wherever it is made (retrainA, retrainB, the policy search).
 */
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import { familyCandidates } from '../lib/config/pipeline.ts';
import { readInteractionsParquet } from '../lib/data/index.ts';
import { chooseFamily, realTrainingSet, trainConfigOf } from '../lib/models/auto-family.ts';
import type { FamilyChoice } from '../lib/models/auto-family.ts';
import type { TrainConfig } from '../lib/models/types.ts';
import type { SplitCsrs } from './split-data.ts';
import type { StageContext } from './stage-runner.ts';

export async function runTrainConfig(
  ctx: StageContext<unknown>,
  model: PipelineConfig['model'],
  seed: number,
  splits: SplitCsrs,
): Promise<{ train: TrainConfig; choice?: FamilyChoice }> {
  if (model.family !== 'auto') return { train: trainConfigOf(model, seed) };
  const real = realTrainingSet(
    await readInteractionsParquet(await ctx.inputFile('preprocess', 'train.parquet')),
    splits.nUsers,
    splits.nItems,
  );
  const choice = await chooseFamily(
    real,
    { train: splits.train, valid: splits.valid },
    familyCandidates(model).map((m) => trainConfigOf(m, seed)),
    {
      signal: ctx.signal,
      onCandidate: (family) => ctx.heartbeat({ phase: `trying family ${family}` }),
    },
  );
  return { train: choice.chosen, choice };
}
