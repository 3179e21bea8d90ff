import { familyCandidates } from '../lib/config/pipeline.ts';
import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import {
  policyCandidates,
  policyScorer,
  searchPolicy,
  TEACHER_WITH_HEAD,
  validationHalves,
} from '../lib/policy/index.ts';
import type { PolicyOverrides } from '../lib/policy/index.ts';
import { resample, SOURCE } from '../lib/sampling/index.ts';
import type { SyntheticSource } from '../lib/sampling/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { runTrainConfig, usesRecency } from './family-choice.ts';
import {
  namedSynthetic,
  readResampleInput,
  readBackRows,
  readTeacherBackRows,
  readTeacherHeadRows,
  SYNTHETIC_FILES,
} from './resample-input.ts';
import { catalogSize, readSplitCsrs } from './split-data.ts';
import { sampleRows } from '../lib/eval/row-sample.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

/** The validation-user sample's stream of the run seed (augmentation.validationUsers). */
const POLICY_SAMPLE_STREAM = 0x9011c7;

export interface PolicyStageConfig {
  augmentation: PipelineConfig['augmentation'];
  resample: PipelineConfig['resample'];
  model: PipelineConfig['model'];
  /**
   * The evaluation's segments and guard rails (evaluate.sparseFraction, tailFraction,
   * maxDrop, and coldThreshold, minSegmentUsers, alpha: absent in configs from before the
   * policy guarded the cold users, which it then does not).
   */
  segments: {
    sparseFraction: number;
    tailFraction: number;
    maxDrop: number;
    coldThreshold?: number;
    minSegmentUsers?: number;
    alpha?: number;
  };
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
 * policy (`augmentation.policy: auto`): for each source that produced rows (and the teacher
 * with its popular head allowed) and each grid setting, builds B as resample would, trains
 * the configured model on it, early-stopped on the selection half of the validation users,
 * and scores it on validation (overall, sparse users, tail items, per half); A is scored the
 * same way, and EASE candidates at A's lambda (lib/policy/validation.ts screeningConfig);
 * the teacher's candidates take its rows one step back when it wrote them.
 * The best on sparse users of the selection half among those not below A overall and
 * within the gate's tail guard rail is chosen, and confirmed or not on the other half
 * (lib/policy/choose.ts); resample applies it. The test split is never read.
 */
export const policyStage: StageDefinition<PolicyStageConfig> = {
  name: 'policy',
  source: import.meta.url,
  needs: ['preprocess'],
  optional: ['generateGan', 'expandLlm', 'teacher'],
  reads: { preprocess: ['train.parquet', 'valid.parquet'] },
  // Every teacher file: the candidates may be scored with its rows one step back (and the
  // GAN's and the LLM branch's likewise).
  identityFiles: () => ({
    ...SYNTHETIC_FILES,
    generateGan: { except: [] },
    teacher: { except: [] },
    expandLlm: { except: ['expansion.json'] },
    preprocess: ['train.parquet', 'valid.parquet'],
  }),
  async run(ctx) {
    const { augmentation, resample: resampleConfig, model, segments, seed } = ctx.config;
    const input = await readResampleInput(ctx, resampleConfig);
    const splits = await readSplitCsrs(ctx, false, {
      recency: usesRecency(model, catalogSize(ctx).nItems),
    });
    // Absent in configs from before the cap: every validation user.
    const valid = sampleRows(
      splits.valid,
      augmentation.validationUsers ?? 0,
      seed,
      POLICY_SAMPLE_STREAM,
    );
    const validation = { train: splits.train, valid, trainRecency: splits.trainRecency };
    const halves = validationHalves(splits.train, valid, segments.sparseFraction, seed);
    const {
      train,
      choice: familyChoice,
      choiceReused,
    } = await runTrainConfig(ctx, model, seed, splits);
    const produced = input.synthetic.filter((s) => s.n > 0).map((s) => s.source);
    // The teacher with its popular head allowed, when that gives other rows than the teacher's.
    const teacherHead =
      augmentation.teacherHead && produced.includes('teacher')
        ? await readTeacherHeadRows(ctx)
        : undefined;
    const headDiffers =
      teacherHead !== undefined && Number(ctx.inputManifest('teacher').stats.excludedItems) > 0;
    // The teacher's rows one step back, when it wrote them (lib/teacher/one-step-back.ts):
    // its candidates are scored with those, so validation credits them as test will; B
    // takes the real rows.
    const back = await readTeacherBackRows(ctx, teacherHead !== undefined);
    // The LLM branch's and the GAN's likewise, when they wrote them (expand-llm.ts, generate-gan.ts).
    const llmBack = await readBackRows(ctx, 'expandLlm');
    const ganBack = await readBackRows(ctx, 'generateGan');
    const backOf: Record<string, SyntheticSource | undefined> = {
      teacher: back?.teacher,
      llm: llmBack,
      gan: ganBack,
    };
    const scored = input.synthetic.map((x) => backOf[x.source] ?? x);
    const scoredHead = back?.head ?? teacherHead;
    const candidates = policyCandidates(
      produced,
      augmentation,
      headDiffers ? [TEACHER_WITH_HEAD] : [],
    );
    const scorer = policyScorer(validation, halves, train, segments, {
      // Absent in configs from before the option: every lambda, as then.
      screen: augmentation.screen ?? false,
      signal: ctx.signal,
    });
    const result = await searchPolicy(
      candidates,
      {
        build: (sources, overrides) => {
          const { b } = resample(
            { ...input, synthetic: namedSynthetic(scored, sources, scoredHead) },
            { ...resampleConfig, ...overrides },
            seed,
          );
          let syntheticRows = 0;
          for (let r = 0; r < b.n; r++)
            if (b.source[r] !== SOURCE.real && b.source[r] !== SOURCE.sampled) syntheticRows++;
          return { set: b, syntheticRows };
        },
        score: (set, of) => scorer.score(set, of),
        onStep: (label, done, total) =>
          ctx.heartbeat({ phase: `training candidate ${label}`, done, total }),
        signal: ctx.signal,
      },
      augmentation.budgetSeconds,
      { maxDrop: segments.maxDrop, minSegmentUsers: segments.minSegmentUsers ?? 50 },
      // Absent in configs from before the choice: the selection half.
      augmentation.rankOn ?? 'selection',
    );
    const chosen = result.candidates.find((c) => c.label === result.choice.chosen);
    // Settings A's training fixed for the candidates (EASE: its lambda), if any.
    const screened = Object.keys(scorer.screenedAt()).length > 0;
    const decision: PolicyDecision = {
      ...(chosen ? { chosen: chosen.label, overrides: chosen.overrides } : {}),
      sources: chosen?.sources ?? [],
      beatsA: result.choice.beatsA,
      reason: result.choice.reason,
    };
    const files = [
      await jsonOutput(ctx.workDir, 'decision.json', decision, 1),
      await jsonOutput(
        ctx.workDir,
        'candidates.json',
        {
          ...result,
          ...(screened ? { screenedAt: scorer.screenedAt() } : {}),
          ...(back ? { teacherOneStepBack: true } : {}),
          ...(llmBack ? { llmOneStepBack: true } : {}),
          ...(ganBack ? { ganOneStepBack: true } : {}),
        },
        1,
      ),
    ];
    return {
      kind: 'policy',
      files,
      stats: {
        family: train.family,
        ...(familyChoice
          ? {
              familyChoice: familyChoice.candidates,
              familyChoiceReused: choiceReused,
              // The picked family's model settings: the workflow sends them to the Python
              // worker, which trains A and B with them when it trains that family.
              trainModel: familyCandidates(model).find((m) => m.family === train.family),
            }
          : {}),
        ...(screened ? { candidatesScreenedAt: scorer.screenedAt() } : {}),
        ...(back ? { teacherScoredOneStepBack: true } : {}),
        ...(llmBack ? { llmScoredOneStepBack: true } : {}),
        ...(ganBack ? { ganScoredOneStepBack: true } : {}),
        chosen: decision.chosen ?? 'none',
        sources: decision.sources.join(','),
        beatsA: decision.beatsA,
        reason: decision.reason,
        validNdcg10A: result.a.ndcg10,
        validSparseNdcg10A: result.a.sparseNdcg10,
        validTailRecall10A: result.a.tailRecall10,
        // The confirmation half: the estimate no choice has seen (lib/policy/halves.ts).
        confirmNdcg10A: result.a.confirmation.ndcg10,
        confirmSparseNdcg10A: result.a.confirmation.sparseNdcg10,
        selectionUsers: halves.selection.length,
        confirmationUsers: halves.confirmation.length,
        ...(result.a.coldUsers
          ? {
              validColdUsers: result.a.coldUsers.users,
              validColdNdcg10A: result.a.coldUsers.ndcg10,
            }
          : {}),
        ...(chosen?.valid
          ? {
              validNdcg10B: chosen.valid.ndcg10,
              validSparseNdcg10B: chosen.valid.sparseNdcg10,
              validTailRecall10B: chosen.valid.tailRecall10,
              confirmNdcg10B: chosen.valid.confirmation.ndcg10,
              confirmSparseNdcg10B: chosen.valid.confirmation.sparseNdcg10,
              ...(chosen.valid.coldUsers
                ? { validColdNdcg10B: chosen.valid.coldUsers.ndcg10 }
                : {}),
            }
          : {}),
        candidates: result.candidates.map((c) => ({
          label: c.label,
          ...(c.valid
            ? {
                ndcg10: c.valid.ndcg10,
                sparseNdcg10: c.valid.sparseNdcg10,
                tailRecall10: c.valid.tailRecall10,
                selectionSparseNdcg10: c.valid.selection.sparseNdcg10,
                confirmSparseNdcg10: c.valid.confirmation.sparseNdcg10,
                ...(c.valid.coldUsers
                  ? {
                      coldNdcg10: c.valid.coldUsers.ndcg10,
                      coldDeltaHigh: c.valid.coldUsers.deltaHigh,
                    }
                  : {}),
              }
            : {}),
          ...(c.syntheticRows !== undefined ? { syntheticRows: c.syntheticRows } : {}),
          ...(c.skipped ? { skipped: c.skipped } : {}),
          ...(c.sameAs ? { sameAs: c.sameAs } : {}),
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
