import { readFile } from 'node:fs/promises';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import { RETRAIN_STAGE } from '../lib/contracts/index.ts';
import type { StageInput, StageName, StageRef } from '../lib/contracts/index.ts';
import { abTestAsync, evaluateFullRankingAsync, guardRailMetric } from '../lib/eval/index.ts';
import type {
  AsyncScorer,
  Comparison,
  EvalData,
  EvalResult,
  EvalSummary,
  GuardRail,
  MetricKey,
} from '../lib/eval/index.ts';
import { evaluateBaselinesAlongside } from '../lib/models/baselines/index.ts';
import type { KnownChoices } from '../lib/models/baselines/evaluate-baselines.ts';
import { TEACHER_CANDIDATES } from '../lib/models/baselines/strongest.ts';
import {
  baselineChoiceKey,
  plainBaselineSettings,
  storedBaselineChoice,
} from './baseline-choice.ts';
import { loadModel } from '../lib/models/load.ts';
import type { ModelFile } from '../lib/models/types.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { readSplitCsrs } from './split-data.ts';
import { nonEmptyRows } from '../lib/eval/csr.ts';
import { sampleRows } from '../lib/eval/row-sample.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageContext, StageDefinition } from './stage-runner.ts';

export interface EvaluateStageConfig {
  evaluate: PipelineConfig['evaluate'];
  seed: number;
}

/**
 * The files of a saved model: all that evaluation reads of a retrain stage (every file but
 * the training log; names differ by family).
 */
const MODEL_FILES = { except: ['history.json'] };

/** The test-user sample's stream of the run seed (evaluate.maxUsers). */
const TEST_SAMPLE_STREAM = 0x7e57;

/** What evaluation.json holds (and the report reads). */
export interface EvaluationFile {
  A: EvalSummary;
  B: EvalSummary;
  baselines: Record<string, EvalSummary>;
  comparison: Awaited<ReturnType<typeof abTestAsync>>['comparison'];
  decision: Awaited<ReturnType<typeof abTestAsync>>['decision'];
  /** Present when the users ranked are a seeded sample of the test users (evaluate.maxUsers). */
  sample?: { users: number; of: number };
}

/**
 * evaluate: full ranking of every item on the untouched test split (train and valid items
 * excluded) for model A, model B and the baselines; paired per-user deltas B - A with
 * bootstrap intervals and a signed-rank test; the promotion decision with its reasons.
 */
export const evaluateStage: StageDefinition<EvaluateStageConfig> = {
  name: 'evaluate',
  source: import.meta.url,
  needs: ['preprocess', 'retrainA', 'retrainB'],
  // The models, not their training logs (which hold timings): same weights, same key.
  identityFiles: () => ({ retrainA: MODEL_FILES, retrainB: MODEL_FILES }),
  async run(ctx) {
    const t0 = Date.now();
    // Seconds per part, in the stats: where a large run's evaluation time goes. `baselines`
    // is this thread's time on them (waiting, when they ran on a thread); `popularity` and
    // `itemknn` are their own durations.
    const timings: Record<string, number> = {};
    let lap = t0;
    const timed = (part: string) => {
      const now = Date.now();
      timings[`seconds.${part}`] = (now - lap) / 1000;
      lap = now;
    };
    const cfg = ctx.config.evaluate;
    const splits = await readSplitCsrs(ctx, true);
    const test = sampleRows(splits.test!, cfg.maxUsers, ctx.config.seed, TEST_SAMPLE_STREAM);
    const data: EvalData = { ...splits, test };
    const testUsers = test === splits.test ? undefined : nonEmptyRows(splits.test!).length;
    timed('splits');
    const options = {
      ks: cfg.ks,
      coldThreshold: cfg.coldThreshold,
      tailFraction: cfg.tailFraction,
      sparseFraction: cfg.sparseFraction,
      diversity: true,
    };
    const evaluate = async (name: string, scorer: AsyncScorer): Promise<EvalResult> =>
      evaluateFullRankingAsync(data, scorer, {
        ...options,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.heartbeat({ phase: `ranking ${name}`, done, total }),
      });
    const results: Record<string, EvalResult> = {};
    const known = cfg.baselines ? await knownBaselineSettings(ctx) : undefined;
    const { baselines: base } = await evaluateBaselinesAlongside(
      data,
      options,
      {
        enabled: cfg.baselines,
        signal: ctx.signal,
        ...(known ? { known } : {}),
        onProgress: (name, done, total) => ctx.heartbeat({ phase: `ranking ${name}`, done, total }),
      },
      async () => {
        for (const variant of ['A', 'B'] as const) {
          const model = await loadModel(await modelFiles(ctx, RETRAIN_STAGE[variant]));
          try {
            results[variant] = await evaluate(variant, model);
          } finally {
            model.dispose();
          }
          timed(variant);
        }
      },
    );
    timed('baselines');
    const baselines: Record<string, EvalSummary> = { ...base?.summaries };
    for (const [name, seconds] of Object.entries(base?.seconds ?? {}))
      timings[`seconds.${name}`] = seconds;
    ctx.heartbeat({ phase: 'comparing' });
    const metric = cfg.metric as MetricKey;
    const { comparison, decision } = await abTestAsync(
      results.A!,
      results.B!,
      {
        metric,
        minLift: cfg.minLift,
        maxDrop: cfg.maxDrop,
        minSegmentUsers: cfg.minSegmentUsers,
        alpha: cfg.alpha,
      },
      { seed: ctx.config.seed, resamples: cfg.resamples },
    );
    timed('comparison');
    const file: EvaluationFile = {
      A: results.A!.summary,
      B: results.B!.summary,
      baselines,
      comparison,
      decision,
      ...(testUsers !== undefined
        ? { sample: { users: results.A!.summary.counts.users, of: testUsers } }
        : {}),
    };
    const main = comparison.effects.all[metric]!;
    return {
      kind: 'evaluation',
      files: [await jsonOutput(ctx.workDir, 'evaluation.json', file, 1)],
      stats: {
        metric,
        promote: decision.promote,
        reasons: decision.reasons,
        users: results.A!.summary.counts.users,
        // Set when the users ranked are a sample of these (evaluate.maxUsers).
        ...(testUsers !== undefined ? { testUsers } : {}),
        [`A.${metric}`]: main.meanA,
        [`B.${metric}`]: main.meanB,
        delta: main.delta,
        ciLow: main.ciLow,
        ciHigh: main.ciHigh,
        pValue: main.p,
        metrics: { A: results.A!.summary.overall, B: results.B!.summary.overall },
        segments: segmentStats(results.A!.summary, results.B!.summary, comparison, metric),
        exposure: { A: results.A!.summary.exposure, B: results.B!.summary.exposure },
        coverage: { A: results.A!.summary.coverage, B: results.B!.summary.coverage },
        baselines: Object.fromEntries(
          Object.entries(baselines).map(([k, v]) => [k, v.overall[metric]]),
        ),
        seconds: (Date.now() - t0) / 1000,
        ...timings,
        ...(base
          ? {
              baselinesThreaded: base.threaded,
              baselineSettingsReused: Object.keys(known ?? {}),
              baselineChoices: base.chosen,
              ...(Object.keys(base.skipped).length ? { baselinesSkipped: base.skipped } : {}),
            }
          : {}),
      },
    };
  },
};

/**
 * Per segment: its users, the metrics of A and B there and the paired change of the metric
 * its guard rail judges, with its bootstrap interval (the run summary's `segments`).
 */
function segmentStats(a: EvalSummary, b: EvalSummary, cmp: Comparison, metric: MetricKey) {
  type Metrics = EvalSummary['sparseUsers'];
  const segment = (rail: GuardRail, users: number, A: Metrics, B: Metrics) => {
    const key = guardRailMetric(rail, metric, cmp);
    const e = cmp.effects[rail][key];
    const change = e && { metric: key, delta: e.delta, ciLow: e.ciLow, ciHigh: e.ciHigh, p: e.p };
    return { users, A, B, ...(change ? { change } : {}) };
  };
  return {
    sparseUsers: segment('sparseUsers', a.counts.sparseUsers, a.sparseUsers, b.sparseUsers),
    coldUsers: segment('coldUsers', a.counts.coldUsers, a.coldUsers, b.coldUsers),
    tailItems: segment('tailItems', a.counts.tailUsers, a.tailItems, b.tailItems),
  };
}

/** The tfjs model files a retrain stage published (everything but its history). */
async function modelFiles(ctx: StageContext<unknown>, stage: StageName): Promise<ModelFile[]> {
  const names = ctx
    .inputManifest(stage)
    .files.map((f) => f.name)
    .filter((n) => n !== 'history.json');
  const files: ModelFile[] = [];
  for (const name of names) {
    files.push({ name, bytes: new Uint8Array(await readFile(await ctx.inputFile(stage, name))) });
  }
  return files;
}

export function evaluateActivity(store: ArtifactStore) {
  return (input: StageInput<EvaluateStageConfig>): Promise<StageRef> =>
    runStage(evaluateStage, input, store);
}

/**
 * The baselines' settings chosen by this run's strongest-baseline search (teacher or
 * expandLlm, on the same train and validation splits), so that evaluate refits them instead
 * of searching again; undefined when no search was stored.
 */
async function knownBaselineSettings(
  ctx: Parameters<typeof baselineChoiceKey>[0] & { store: ArtifactStore },
): Promise<KnownChoices | undefined> {
  // The teacher and expandLlm search with recency-weighted histories too (recency.ts).
  const key = baselineChoiceKey(ctx, TEACHER_CANDIDATES, undefined, true);
  const choice = await storedBaselineChoice(ctx.store, key);
  return choice ? plainBaselineSettings(choice) : undefined;
}
