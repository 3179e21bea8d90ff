import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import { policyCandidates, searchPolicy } from '../lib/policy/index.ts';
import type { PolicyOverrides } from '../lib/policy/index.ts';
import { validationFigures } from '../lib/policy/validation.ts';
import { resample, SOURCE } from '../lib/sampling/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { runTrainConfig } from './family-choice.ts';
import { readResampleInput, SYNTHETIC_FILES } from './resample-input.ts';
import { readSplitCsrs } from './split-data.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface PolicyStageConfig {
  augmentation: PipelineConfig['augmentation'];
  resample: PipelineConfig['resample'];
  model: PipelineConfig['model'];
  /** The evaluation's segments and guard rail (evaluate.sparseFraction, tailFraction, maxDrop). */
  segments: { sparseFraction: number; tailFraction: number; maxDrop: number };
  seed: number;
}

/** What resample reads: the chosen sources and settings (no timings, so a stable identity). */
export interface PolicyDecision {
  /** Label of the chosen candidate; absent when B gets no synthetic rows. */
  chosen?: string;
  sources: string[];
  overrides?: PolicyOverrides;
  beatsA: boolean;
  reason: string;
}

/**
 * policy (`augmentation.policy: auto`): for each source that produced rows and each grid
 * setting, builds B as resample would, trains the configured model on it and scores it on
 * the validation split (overall, sparse users, tail items); A is scored the same way. The
 * best on sparse users among those not below A overall and within the gate's tail guard
 * rail is chosen (lib/policy/choose.ts) and resample applies it. The test split is never
 * read.
 */
export const policyStage: StageDefinition<PolicyStageConfig> = {
  name: 'policy',
  source: import.meta.url,
  needs: ['preprocess'],
  optional: ['generateGan', 'expandLlm', 'teacher'],
  reads: { preprocess: ['train.parquet', 'valid.parquet'] },
  identityFiles: () => ({ ...SYNTHETIC_FILES, preprocess: ['train.parquet', 'valid.parquet'] }),
  async run(ctx) {
    const { augmentation, resample: resampleConfig, model, segments, seed } = ctx.config;
    const input = await readResampleInput(ctx, resampleConfig);
    const splits = await readSplitCsrs(ctx, false);
    const validation = { train: splits.train, valid: splits.valid };
    const { train } = await runTrainConfig(ctx, model, seed, splits);
    const produced = input.synthetic.filter((s) => s.n > 0).map((s) => s.source);
    const candidates = policyCandidates(produced, augmentation);
    const result = await searchPolicy(
      candidates,
      {
        build: (sources, overrides) => {
          const { b } = resample(
            { ...input, synthetic: input.synthetic.filter((s) => sources.includes(s.source)) },
            { ...resampleConfig, ...overrides },
            seed,
          );
          let syntheticRows = 0;
          for (let r = 0; r < b.n; r++)
            if (b.source[r] !== SOURCE.real && b.source[r] !== SOURCE.sampled) syntheticRows++;
          return { set: b, syntheticRows };
        },
        score: (set) => validationFigures(set, validation, train, segments, ctx.signal),
        onStep: (label, done, total) =>
          ctx.heartbeat({ phase: `training candidate ${label}`, done, total }),
        signal: ctx.signal,
      },
      augmentation.budgetSeconds,
      segments.maxDrop,
    );
    const chosen = result.candidates.find((c) => c.label === result.choice.chosen);
    const decision: PolicyDecision = {
      ...(chosen ? { chosen: chosen.label, overrides: chosen.overrides } : {}),
      sources: chosen?.sources ?? [],
      beatsA: result.choice.beatsA,
      reason: result.choice.reason,
    };
    const files = [
      await jsonOutput(ctx.workDir, 'decision.json', decision, 1),
      await jsonOutput(ctx.workDir, 'candidates.json', result, 1),
    ];
    return {
      kind: 'policy',
      files,
      stats: {
        family: train.family,
        chosen: decision.chosen ?? 'none',
        sources: decision.sources.join(','),
        beatsA: decision.beatsA,
        reason: decision.reason,
        validNdcg10A: result.a.ndcg10,
        validSparseNdcg10A: result.a.sparseNdcg10,
        validTailRecall10A: result.a.tailRecall10,
        ...(chosen?.valid
          ? {
              validNdcg10B: chosen.valid.ndcg10,
              validSparseNdcg10B: chosen.valid.sparseNdcg10,
              validTailRecall10B: chosen.valid.tailRecall10,
            }
          : {}),
        candidates: result.candidates.map((c) => ({
          label: c.label,
          ...(c.valid ?? {}),
          ...(c.syntheticRows !== undefined ? { syntheticRows: c.syntheticRows } : {}),
          ...(c.skipped ? { skipped: c.skipped } : {}),
        })),
        seconds: result.seconds,
      },
    };
  },
};

export function policyActivity(store: ArtifactStore) {
  return (input: StageInput<PolicyStageConfig>): Promise<StageRef> =>
    runStage(policyStage, input, store);
}
