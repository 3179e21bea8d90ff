import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyStage } from '../../../activities/policy.ts';
import type { PolicyDecision, PolicyStageConfig } from '../../../activities/policy.ts';
import { resampleStage } from '../../../activities/resample.ts';
import { jsonOutput, runStage } from '../../../activities/stage-runner.ts';
import type { StageDefinition } from '../../../activities/stage-runner.ts';
import { teacherStage } from '../../../activities/teacher.ts';
import { expandLlmStage } from '../../../activities/expand-llm.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { readTrainingSetParquet } from '../../../lib/data/index.ts';
import type { StageRef } from '../../../lib/contracts/index.ts';
import type { PolicySearchResult } from '../../../lib/policy/index.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import { SOURCE } from '../../../lib/sampling/index.ts';
import { headItems } from '../../../lib/teacher/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { splitsStage, syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { readJsonOutput } from '../../helpers/stage-output.ts';
import { tempDir } from '../../helpers/tmp.ts';

const store = new LocalArtifactStore(join(tempDir(), 'store'));
const { pre, nUsers, nItems } = syntheticSplits({
  users: 400,
  items: 200,
  interactions: 16_000,
  seed: 3,
  kCore: 5,
});
const base = parsePipelineConfig({
  model: { family: 'ials', factors: 16, epochs: 4 },
  augmentation: { perUser: [2], weights: [0.5, 1] },
});
const config: PolicyStageConfig = {
  augmentation: base.augmentation,
  resample: base.resample,
  model: base.model,
  segments: { sparseFraction: 0.25, tailFraction: 0.8, maxDrop: 0.05 },
  seed: 7,
};

/** The preprocess and teacher stages of run `runId` (the teacher: ItemKNN, overrides on top). */
async function preprocessAndTeacher(runId: string, teacherOverrides: object = {}) {
  const preprocess = await runStage(
    // With `pre`, its items.parquet too (expandLlm reads it).
    splitsStage({ train: pre.train, valid: pre.valid, test: pre.test }, { nUsers, nItems }, pre),
    { runId, config: { tag: runId }, inputs: {} },
    store,
  );
  const { enabled: _on, ...teacherConfig } = base.teacher;
  const teacher = await runStage(
    teacherStage,
    {
      runId,
      config: { teacher: { ...teacherConfig, candidates: ['itemknn'], ...teacherOverrides } },
      inputs: { preprocess },
    },
    store,
  );
  return { preprocess, teacher };
}

describe('policy stage', () => {
  it('scores A and each candidate on validation, and resample builds B from the decision', async () => {
    const { preprocess, teacher } = await preprocessAndTeacher('p1');
    const policy = await runStage(
      policyStage,
      { runId: 'p1', config, inputs: { preprocess, teacher } },
      store,
    );
    const result = await readJsonOutput<PolicySearchResult>(store, policy, 'candidates.json');
    // The teacher as configured (its popular head left out) and with the head allowed, for
    // the sparse quarter of users and for all of them.
    expect(result.candidates.map((c) => c.label)).toEqual([
      'teacher k2 w0.5 u0.25',
      'teacher+head k2 w0.5 u0.25',
      'teacher k2 w0.5 u1',
      'teacher+head k2 w0.5 u1',
      'teacher k2 w1 u0.25',
      'teacher+head k2 w1 u0.25',
      'teacher k2 w1 u1',
      'teacher+head k2 w1 u1',
    ]);
    const rowsOf = (label: string) =>
      result.candidates.find((c) => c.label === label)!.syntheticRows!;
    expect(rowsOf('teacher k2 w0.5 u0.25')).toBeLessThan(rowsOf('teacher k2 w0.5 u1') / 2);
    for (const c of result.candidates) {
      expect(c.valid!.ndcg10).toBeGreaterThan(0);
      expect(c.valid!.confirmation.sparseNdcg10).toBeGreaterThanOrEqual(0);
      expect(c.syntheticRows).toBeGreaterThan(0);
    }
    expect(result.a.ndcg10).toBeGreaterThan(0);
    expect(policy.stats.selectionUsers).toBeGreaterThan(0);
    expect(policy.stats.confirmationUsers).toBeGreaterThan(0);
    const decision = await readJsonOutput<PolicyDecision>(store, policy, 'decision.json');
    expect(decision.chosen).toBe(result.choice.chosen);
    expect(decision.sources).toEqual([
      decision.chosen!.startsWith('teacher+head') ? 'teacher+head' : 'teacher',
    ]);
    expect(policy.stats).toMatchObject({ family: 'ials', chosen: decision.chosen });

    const resample = await runStage(
      resampleStage,
      {
        runId: 'p1',
        config: { resample: { ...base.resample, syntheticWeight: 0.123 }, seed: 7 },
        inputs: { preprocess, teacher, policy },
      },
      store,
    );
    const b = await readTrainingSetParquet(await store.getBytes(`${resample.key}/b.parquet`));
    const weights = new Set<number>();
    const perUser = new Map<number, number>();
    for (let r = 0; r < b.n; r++) {
      if (b.source[r] !== SOURCE.teacher) continue;
      weights.add(b.weight[r]!);
      perUser.set(b.user[r]!, (perUser.get(b.user[r]!) ?? 0) + 1);
    }
    // The decision's settings replace the configured ones.
    expect([...weights]).toEqual([decision.overrides!.syntheticWeight]);
    expect(Math.max(...perUser.values())).toBeLessThanOrEqual(2);
  }, 120_000);

  it('builds B from the teacher rows with the head allowed when the decision names teacher+head', async () => {
    const { preprocess, teacher } = await preprocessAndTeacher('p2', { excludeTopPopular: 0.1 });
    const head = headItems(
      csrFromCoo(pre.train.user, pre.train.item, pre.train.n, nUsers),
      nItems,
      0.1,
    );
    const headRowsOf = async (sources: string[]) => {
      const policy = await runStage(
        decisionStage({ sources, beatsA: false, reason: 'test' }),
        { runId: 'p2', config: { sources }, inputs: {} },
        store,
      );
      const resample = await runStage(
        resampleStage,
        {
          runId: 'p2',
          config: { resample: base.resample, seed: 7 },
          inputs: { preprocess, teacher, policy },
        },
        store,
      );
      const b = await readTrainingSetParquet(await store.getBytes(`${resample.key}/b.parquet`));
      let teacherRows = 0;
      let inHead = 0;
      for (let r = 0; r < b.n; r++) {
        if (b.source[r] !== SOURCE.teacher) continue;
        teacherRows++;
        inHead += head[b.item[r]!]!;
      }
      return { teacherRows, inHead };
    };
    const configured = await headRowsOf(['teacher']);
    const withHead = await headRowsOf(['teacher+head']);
    expect(configured.teacherRows).toBeGreaterThan(0);
    expect(configured.inHead).toBe(0);
    expect(withHead.inHead).toBeGreaterThan(0);
  }, 120_000);

  it('screens EASE candidates at the lambda multiple A chose, unless augmentation.screen is off', async () => {
    const { preprocess, teacher } = await preprocessAndTeacher('p3');
    const policyWith = async (screen: boolean) => {
      const easeConfig = parsePipelineConfig({
        model: { family: 'ease' },
        augmentation: { perUser: [2], weights: [0.5], teacherHead: false, screen },
      });
      const policy = await runStage(
        policyStage,
        {
          runId: 'p3',
          config: { ...config, model: easeConfig.model, augmentation: easeConfig.augmentation },
          inputs: { preprocess, teacher },
        },
        store,
      );
      const candidates = await readJsonOutput<{ screenedAt?: unknown }>(
        store,
        policy,
        'candidates.json',
      );
      return { stats: policy.stats, screenedAt: candidates.screenedAt };
    };
    const screened = await policyWith(true);
    expect(screened.stats.family).toBe('ease');
    const { relativeLambda } = screened.stats.candidatesScreenedAt as { relativeLambda: number };
    expect([0.5, 2, 8, 32]).toContain(relativeLambda);
    // candidates.json carries it too, for the report.
    expect(screened.screenedAt).toEqual({ relativeLambda });
    const whole = await policyWith(false);
    expect(whole.stats.candidatesScreenedAt).toBeUndefined();
    expect(whole.screenedAt).toBeUndefined();
  }, 120_000);
});

/** One candidate per source (2 rows, weight 0.5, every user): the search over `inputs`. */
async function onePerSourcePolicy(runId: string, inputs: Record<string, StageRef>) {
  const small = parsePipelineConfig({
    augmentation: { perUser: [2], weights: [0.5], users: [1], teacherHead: false },
  }).augmentation;
  const policy = await runStage(
    policyStage,
    { runId, config: { ...config, augmentation: small }, inputs },
    store,
  );
  const result = await readJsonOutput<
    PolicySearchResult & { teacherOneStepBack?: boolean; llmOneStepBack?: boolean }
  >(store, policy, 'candidates.json');
  return { policy, result };
}

describe('policy stage with the teacher one step back', () => {
  it("scores the teacher's candidates with its rows one step back when the teacher wrote them", async () => {
    const policyOf = async (runId: string, oneStepBack: boolean) => {
      const { preprocess, teacher } = await preprocessAndTeacher(runId, { oneStepBack });
      return { teacher, ...(await onePerSourcePolicy(runId, { preprocess, teacher })) };
    };
    const back = await policyOf('p6', true);
    expect(back.teacher.stats.oneStepBackRows).toBeGreaterThan(0);
    expect(back.policy.stats.teacherScoredOneStepBack).toBe(true);
    expect(back.result.teacherOneStepBack).toBe(true);
    const real = await policyOf('p7', false);
    expect(real.teacher.stats.oneStepBackSkipped).toBe('off');
    expect(real.policy.stats.teacherScoredOneStepBack).toBeUndefined();
    expect(real.result.teacherOneStepBack).toBeUndefined();
    // Same real rows and A, other rows for the candidate: other figures.
    expect(back.result.a).toEqual(real.result.a);
    const [b] = back.result.candidates;
    const [r] = real.result.candidates;
    expect(b!.label).toBe(r!.label);
    expect(b!.valid).not.toEqual(r!.valid);
  }, 120_000);
});

describe('policy stage with the LLM rows one step back', () => {
  it("scores the LLM source's candidates with its rows one step back when expandLlm wrote them", async () => {
    const { enabled: _on, ...llmDefaults } = base.llm;
    const policyOf = async (runId: string, oneStepBack: boolean) => {
      const { preprocess } = await preprocessAndTeacher(runId);
      const expandLlm = await runStage(
        expandLlmStage,
        {
          runId,
          config: {
            llm: {
              ...llmDefaults,
              users: 'all',
              oneStepBack,
              sequence: { ...llmDefaults.sequence, epochs: 1 },
            },
            seed: 7,
          },
          inputs: { preprocess },
        },
        store,
      );
      return { expandLlm, ...(await onePerSourcePolicy(runId, { preprocess, expandLlm })) };
    };
    const back = await policyOf('l1', true);
    expect(back.expandLlm.stats.oneStepBackRows).toBeGreaterThan(0);
    expect(back.policy.stats.llmScoredOneStepBack).toBe(true);
    expect(back.result.llmOneStepBack).toBe(true);
    const real = await policyOf('l2', false);
    expect(real.policy.stats.llmScoredOneStepBack).toBeUndefined();
    expect(real.result.llmOneStepBack).toBeUndefined();
    // Same A, other rows for the candidate: other figures.
    expect(back.result.a).toEqual(real.result.a);
    const [b] = back.result.candidates;
    const [r] = real.result.candidates;
    expect(b!.label).toBe('llm k2 w0.5');
    expect(b!.label).toBe(r!.label);
    expect(b!.valid).not.toEqual(r!.valid);
  }, 120_000);
});

/** A stand-in for the policy stage that publishes a given decision. */
function decisionStage(decision: PolicyDecision): StageDefinition<{ sources: string[] }> {
  return {
    name: 'policy',
    source: import.meta.url,
    needs: [],
    async run(ctx) {
      return {
        kind: 'policy',
        files: [await jsonOutput(ctx.workDir, 'decision.json', decision, 1)],
        stats: {},
      };
    },
  };
}
