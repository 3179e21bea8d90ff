import { readFile } from 'node:fs/promises';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import { writeSyntheticFile } from '../lib/data/index.ts';
import { keepRows, nonEmptyRows } from '../lib/eval/csr.ts';
import { sampleRows } from '../lib/eval/row-sample.ts';
import { capSparsest } from '../lib/eval/sparsest-users.ts';
import type { AsyncScorer, Csr } from '../lib/eval/types.ts';
import {
  CONDITION_CHOICE_USERS,
  GATE_MAX_USERS,
  GeneratorScorer,
  chooseGeneratorRecency,
  conditionWeights,
  gateVerdict,
  generatePositives,
  generationQuality,
  loadGenerator,
  selectUsers,
} from '../lib/gan/index.ts';
import type { GanUsers, GeneratorRecencyChoice, GeneratorWeights } from '../lib/gan/index.ts';
import { knnRowScoresAsync } from '../lib/models/baselines/index.ts';
import { recencyRanksAsync } from '../lib/models/baselines/recency.ts';
import type { StrongestBaseline } from '../lib/models/baselines/strongest.ts';
import { validationNdcg10 } from '../lib/models/validation-score.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { sharedStrongestBaseline } from './baseline-choice.ts';
import { keptEntries, keptRanks, latestRowsLeftOut } from '../lib/teacher/one-step-back.ts';
import { GAN_BACK_FILE } from './resample-input.ts';
import { catalogSize, oneStepBackSkipped, readSplit, readSplitCsr } from './split-data.ts';
import { runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface GenerateGanStageConfig {
  users: GanUsers;
  sparseThreshold: number;
  topK: number;
  /** Users augmented at most, the sparsest first; absent in configs from before it: no cap. */
  maxUsers?: number;
  /** The source gate (lib/gan/gate.ts); absent in configs from before it existed: on. */
  gate?: boolean;
  /**
   * `auto`: the generator's condition may weight histories by recency, chosen on validation
   * (lib/gan/recency.ts); absent in configs from before it existed: `none`.
   */
  recency?: 'auto' | 'none';
  /**
   * With the leave-last-out split, also generate from each history without its latest train
   * row (`gan-back.parquet`), which the policy scores the GAN's candidates with; absent in
   * configs from before it existed: off.
   */
  oneStepBack?: boolean;
  seed: number;
}

/**
 * generateGan: the trained generator's top-k new items for the selected users become
 * synthetic positives (`gan.parquet`, source gan, with scores). Generation reads only the
 * train split. The validation split (a seeded sample of at most GATE_MAX_USERS users each
 * time) chooses the generator's condition (plain or recency-weighted histories, with recency
 * auto; on at most CONDITION_CHOICE_USERS users), scores it as a recommender (its NDCG@10)
 * and decides the source gate: on the validation items of the users it would augment, the
 * generator must beat the strongest tuned baseline (EASE, RP3beta or ItemKNN, on
 * recency-weighted histories where that scored higher; the search the teacher and expandLlm
 * share), or no rows are emitted (the stats say why). Rows come from
 * train alone: one may be a user's validation item, as one may be a test item. With the
 * leave-last-out split (`oneStepBack`) the same users get rows from their history without
 * its latest train row too (`gan-back.parquet`), for the policy to score the GAN's
 * candidates with (lib/teacher/one-step-back.ts says why).
 */
export const generateGanStage: StageDefinition<GenerateGanStageConfig> = {
  name: 'generateGan',
  // 2: gan.parquet carries a plausibility column.
  source: import.meta.url,
  needs: ['preprocess', 'trainGan'],
  reads: { preprocess: ['train.parquet', 'valid.parquet'] },
  // The generator, not its training log (which holds timings): same weights, same key.
  identityFiles: () => ({ trainGan: ['generator.bin'] }),
  async run(ctx) {
    const t0 = Date.now();
    const { nUsers, nItems } = catalogSize(ctx);
    const { rows: trainRows, csr: train } = await readSplit(ctx, 'train');
    const generator = loadGenerator(
      await readFile(await ctx.inputFile('trainGan', 'generator.bin')),
    );
    if (generator.nItems !== nItems)
      throw new Error(`the generator has ${generator.nItems} items, the catalog ${nItems}`);
    const plainScorer = await GeneratorScorer.create(generator, train);
    try {
      const selected = selectUsers(train, nUsers, ctx.config.users, ctx.config.sparseThreshold);
      const users = capSparsest(selected, train, ctx.config.maxUsers ?? Infinity);
      ctx.heartbeat({ phase: 'scoring the generator on valid' });
      const valid = await readSplitCsr(ctx, 'valid');
      const recency = await recencyRanksAsync(trainRows, nUsers);
      const ndcg10 = (s: AsyncScorer & { nItems: number }, v: Csr) =>
        validationNdcg10(s, { train, valid: v }, ctx.signal);
      // Seeded samples: ranking every item for every validation user costs more than the
      // generation itself at a million users.
      const sample = (v: Csr, stream: number, maxUsers = GATE_MAX_USERS) =>
        sampleRows(v, maxUsers, ctx.config.seed, stream);
      const ownSample = sample(valid, 0x6a7e1);
      const choiceSample = sample(valid, 0x6a7e3, CONDITION_CHOICE_USERS);
      let condition: GeneratorRecencyChoice | undefined;
      if (ctx.config.recency === 'auto') {
        ctx.heartbeat({ phase: "choosing the generator's condition on valid" });
        condition = await chooseGeneratorRecency(
          plainScorer,
          train,
          recency,
          (s) => ndcg10(s, choiceSample),
          ctx.signal,
        );
      }
      const scorer = condition?.scorer ?? plainScorer;
      // Below both caps the two samples are the whole split, which the choice already scored.
      const own =
        condition && choiceSample === ownSample
          ? condition.validNdcg10
          : await ndcg10(scorer, ownSample);
      const theirs = sample(keepRows(valid, users), 0x6a7e2);
      const gateUsers = nonEmptyRows(theirs).length;
      // The gate's reference: the strongest tuned baseline on validation, recency-weighted
      // histories included (the search the teacher and expandLlm share).
      ctx.heartbeat({ phase: 'fitting the strongest baseline for the gate' });
      const baseline = await sharedStrongestBaseline(ctx, train, valid, nItems, { recency });
      const generatorOnUsers = gateUsers ? await ndcg10(scorer, theirs) : 0;
      const baselineOnUsers = gateUsers ? await ndcg10(baseline.scorer, theirs) : 0;
      const gate = gateVerdict(
        ctx.config.gate ?? true,
        generatorOnUsers,
        baselineOnUsers,
        baselineLabel(baseline),
        gateUsers,
      );
      const emitted = gate.state === 'closed' ? users.subarray(0, 0) : users;
      const rows = await generatePositives(scorer, train, nItems, emitted, {
        topK: ctx.config.topK,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.heartbeat({ phase: 'generating', done, total }),
      });
      // The item variant's score matrix is nUsers x nItems: free it before the pass one step
      // back builds its own, so the two are never held together.
      plainScorer.dispose();
      const backSkipped = oneStepBackSkipped(ctx, ctx.config.oneStepBack);
      const back =
        backSkipped === undefined && rows.n > 0
          ? await generatedOneStepBack(generator, condition?.halfLife, train, recency, emitted, {
              topK: ctx.config.topK,
              signal: ctx.signal,
              onProgress: (done, total) =>
                ctx.heartbeat({ phase: 'generating one step back', done, total }),
            })
          : undefined;
      const quality = rows.n ? generationQuality(rows, train, nUsers, nItems) : {};
      // Plausibility for resample.dropRate: the item-kNN score of each row (a quick base
      // model, fitted only when there are rows to score).
      const plausibility = rows.n
        ? await knnRowScoresAsync(train, nItems, rows)
        : new Float32Array(0);
      const file = await writeSyntheticFile(ctx.workDir, 'gan.parquet', {
        ...rows,
        plausibility,
        source: 'gan',
        nUsers,
        nItems,
      });
      // Their plausibility from a kNN fitted on the shorter histories they came from: the
      // whole train split would credit items near the left-out row.
      const backFile = back
        ? await writeSyntheticFile(ctx.workDir, GAN_BACK_FILE, {
            ...back.rows,
            plausibility: await knnRowScoresAsync(back.history, nItems, back.rows),
            source: 'gan',
            nUsers,
            nItems,
          })
        : undefined;
      let scoreSum = 0;
      for (let k = 0; k < rows.n; k++) scoreSum += rows.score[k]!;
      return {
        kind: 'synthetic-rows',
        files: backFile ? [file, backFile] : [file],
        stats: {
          rows: rows.n,
          users: emitted.length,
          usersSelected: selected.length,
          topK: ctx.config.topK,
          meanScore: rows.n ? scoreSum / rows.n : 0,
          generatorValidNdcg10: own,
          // The condition chosen on validation (recency auto): its half-life (null = plain)
          // and each candidate's figure on the choice's sample.
          ...(condition
            ? { generatorHalfLife: condition.halfLife ?? null, generatorRecency: condition.figures }
            : {}),
          gate: gate.state,
          gateReason: gate.reason,
          gateUsers: gate.users,
          gateGeneratorValidNdcg10: gate.generatorNdcg10,
          gateBaselineValidNdcg10: gate.baselineNdcg10,
          ...(back
            ? { oneStepBackRows: back.rows.n }
            : {
                oneStepBackSkipped:
                  backSkipped ?? (gate.state === 'closed' ? 'the gate is closed' : 'no rows'),
              }),
          ...quality,
          seconds: (Date.now() - t0) / 1000,
        },
      };
    } finally {
      plainScorer.dispose();
    }
  },
};

/**
 * The generator's rows one step back: the same generator and condition (its half-life, if
 * any, on the shorter history's own recency) for each user's history without its latest
 * train row, items outside that history.
 */
async function generatedOneStepBack(
  generator: GeneratorWeights,
  halfLife: number | null | undefined,
  train: Csr,
  recency: Int32Array,
  users: Int32Array,
  options: Parameters<typeof generatePositives>[4],
) {
  const keep = latestRowsLeftOut(train, recency);
  const history = keptEntries(train, keep);
  const plain = await GeneratorScorer.create(generator, history);
  try {
    const scorer =
      typeof halfLife === 'number'
        ? plain.withHistoryWeight(conditionWeights(history, keptRanks(recency, keep), halfLife))
        : plain;
    const nItems = generator.nItems;
    return { history, rows: await generatePositives(scorer, history, nItems, users, options) };
  } finally {
    plain.dispose();
  }
}

/** The baseline's name, with its recency half-life when it weighs histories by recency. */
function baselineLabel(b: StrongestBaseline): string {
  const halfLife = b.candidates.find((c) => c.name === b.name)?.chosen?.halfLife;
  return typeof halfLife === 'number' ? `${b.name} (recency half-life ${halfLife})` : b.name;
}

export function generateGanActivity(store: ArtifactStore) {
  return (input: StageInput<GenerateGanStageConfig>): Promise<StageRef> =>
    runStage(generateGanStage, input, store);
}
