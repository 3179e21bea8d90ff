import type { PipelineConfig } from '../lib/config/pipeline.ts';
import type { StageInput, StageRef } from '../lib/contracts/index.ts';
import { writeSyntheticFile } from '../lib/data/index.ts';
import { blendLabel } from '../lib/models/baselines/blend.ts';
import { recencyRanksAsync } from '../lib/models/baselines/recency.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { proposePseudoPositives, teacherOneStepBack } from '../lib/teacher/index.ts';
import type { PseudoPositives } from '../lib/teacher/index.ts';
import { sharedStrongestBaseline } from './baseline-choice.ts';
import { TEACHER_BACK_FILES, TEACHER_HEAD_FILE } from './resample-input.ts';
import { catalogSize, oneStepBackSkipped, readSplit, readSplitCsr } from './split-data.ts';
import { runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface TeacherStageConfig {
  /** No seed: the teacher is deterministic, so runs that differ only in seed share it. */
  teacher: Omit<PipelineConfig['teacher'], 'enabled'>;
}

/**
 * teacher: the strongest of the candidate baselines on validation (each fitted on the train
 * split with its own setting chosen on validation, a recency-weighted history included:
 * lib/models/baselines/recency.ts; or their blend, when one beats the best of them there:
 * lib/models/baselines/blend.ts) proposes, for the `usersFraction` sparsest users (all of
 * them by default; the policy picks which keep their rows), its top unseen items outside
 * the most popular ones as pseudo-positives (`teacher.parquet`, source teacher; score =
 * rank-based confidence, plausibility = the teacher's raw score), and the same with the
 * popular items allowed (`teacher-head.parquet`, for the policy). With a leave-last-out
 * split it makes both again one step back (`teacher-back.parquet`,
 * `teacher-head-back.parquet`: lib/teacher/one-step-back.ts), which the policy scores
 * candidates with. Reads the train and validation splits only; validation chooses the
 * teacher, the proposals come from train alone (see lib/teacher/propose.ts). The search is
 * shared with the other stages that want the same baseline (baseline-choice.ts).
 */
export const teacherStage: StageDefinition<TeacherStageConfig> = {
  name: 'teacher',
  source: import.meta.url,
  needs: ['preprocess'],
  reads: { preprocess: ['train.parquet', 'valid.parquet'] },
  // What it reads, not the test split: another test split leaves the teacher cached.
  identityFiles: () => ({ preprocess: ['train.parquet', 'valid.parquet'] }),
  async run(ctx) {
    const t0 = Date.now();
    const cfg = ctx.config.teacher;
    const { nUsers, nItems } = catalogSize(ctx);
    const { rows: trainRows, csr: train } = await readSplit(ctx, 'train');
    const valid = await readSplitCsr(ctx, 'valid');
    const recency = await recencyRanksAsync(trainRows, nUsers);
    const teacher = await sharedStrongestBaseline(ctx, train, valid, nItems, {
      candidates: cfg.candidates,
      recency,
      // Absent in configs from before the option: no blend.
      blend: cfg.blend === true,
      onCandidate: (name) => ctx.heartbeat({ phase: `fitting ${name} on train, scoring on valid` }),
    });
    const label = teacher.blend ? blendLabel(teacher.blend.parts) : teacher.name;
    ctx.heartbeat({ phase: `proposing items with ${label}` });
    const rows = await proposePseudoPositives(train, nItems, teacher, cfg);
    // The same proposals with the popular head allowed: the policy tries both (teacher+head).
    const headRows = await proposePseudoPositives(train, nItems, teacher, {
      ...cfg,
      excludeTopPopular: 0,
    });
    // The same one step back, for the policy to score candidates with (one-step-back.ts).
    const backSkipped = oneStepBackSkipped(ctx, cfg.oneStepBack);
    const stepBack =
      backSkipped === undefined ? teacherOneStepBack(train, recency, nItems, teacher) : undefined;
    let back: { rows: PseudoPositives; headRows: PseudoPositives } | undefined;
    if (stepBack) {
      ctx.heartbeat({ phase: 'proposing items one step back' });
      back = {
        rows: await proposePseudoPositives(stepBack.history, nItems, stepBack.teacher, cfg),
        headRows: await proposePseudoPositives(stepBack.history, nItems, stepBack.teacher, {
          ...cfg,
          excludeTopPopular: 0,
        }),
      };
    }
    const files = [];
    for (const [name, r] of [
      ['teacher.parquet', rows],
      [TEACHER_HEAD_FILE, headRows],
      ...(back
        ? ([
            [TEACHER_BACK_FILES.teacher, back.rows],
            [TEACHER_BACK_FILES.head, back.headRows],
          ] as const)
        : []),
    ] as const)
      files.push(
        await writeSyntheticFile(ctx.workDir, name, { ...r, source: 'teacher', nUsers, nItems }),
      );
    // Flat figures, so MLflow logs each (it logs numbers as metrics and words as tags).
    const perCandidate: Record<string, number | string> = {};
    for (const c of teacher.candidates) {
      if (c.validNdcg10 !== undefined) perCandidate[`${c.name}ValidNdcg10`] = c.validNdcg10;
      if (c.skipped) perCandidate[`${c.name}Skipped`] = c.skipped;
      for (const [key, value] of Object.entries(c.chosen ?? {}))
        if (typeof value === 'number') perCandidate[`${c.name}${capitalized(key)}`] = value;
    }
    return {
      kind: 'synthetic-rows',
      files,
      stats: {
        teacher: teacher.name,
        // The blend's figure when a blend beat the best candidate (blend.ts).
        teacherValidNdcg10: teacher.validNdcg10,
        ...(teacher.blend ? { teacherBlend: label } : {}),
        // The search ran in another stage of a run on the same splits (baseline-choice.ts).
        teacherSearchReused: teacher.reused,
        ...perCandidate,
        rows: rows.n,
        users: rows.usersAugmented,
        usersChosen: rows.usersChosen,
        excludedItems: rows.excludedItems,
        headRows: headRows.n,
        ...(back
          ? { oneStepBackRows: back.rows.n, oneStepBackHeadRows: back.headRows.n }
          : { oneStepBackSkipped: backSkipped ?? 'a blended teacher cannot leave rows out' }),
        k: cfg.k,
        seconds: (Date.now() - t0) / 1000,
      },
    };
  },
};

function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export function teacherActivity(store: ArtifactStore) {
  return (input: StageInput<TeacherStageConfig>): Promise<StageRef> =>
    runStage(teacherStage, input, store);
}
