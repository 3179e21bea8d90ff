import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resampleStage } from '../../../activities/resample.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import type { StageDefinition } from '../../../activities/stage-runner.ts';
import { teacherStage } from '../../../activities/teacher.ts';
import type { TeacherStageConfig } from '../../../activities/teacher.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import type { StageRef } from '../../../lib/contracts/index.ts';
import { readSyntheticParquet, readTrainingSetParquet } from '../../../lib/data/index.ts';
import type { Interactions } from '../../../lib/data/index.ts';
import { SOURCE } from '../../../lib/sampling/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { splitsStage, syntheticSplits } from '../../helpers/synthetic-splits.ts';
import { tempDir } from '../../helpers/tmp.ts';

const store = new LocalArtifactStore(join(tempDir(), 'store'));
const { pre, nUsers, nItems } = syntheticSplits({
  users: 500,
  items: 250,
  interactions: 25_000,
  seed: 11,
  kCore: 5,
});
const { enabled: _on, ...defaults } = parsePipelineConfig({}).teacher;
const config: TeacherStageConfig = { teacher: { ...defaults, candidates: ['rp3beta', 'itemknn'] } };

function head(t: Interactions, n: number): Interactions {
  return { n, user: t.user.slice(0, n), item: t.item.slice(0, n), rating: t.rating, ts: t.ts };
}

function preprocessed(tag: string, test = pre.test): Promise<StageRef> {
  return runStage(
    splitsStage({ train: pre.train, valid: pre.valid, test }, { nUsers, nItems }),
    { runId: tag, config: { tag }, inputs: {} },
    store,
  );
}

describe('teacher stage', () => {
  it('writes pseudo-positives with the teacher and every candidate figure; resample puts them into B only', async () => {
    const preprocess = await preprocessed('t1');
    const teacher = await runStage(
      teacherStage,
      { runId: 't1', config, inputs: { preprocess } },
      store,
    );
    const s = teacher.stats;
    expect(['rp3beta', 'itemknn']).toContain(s.teacher);
    expect(s.teacherValidNdcg10).toBe(
      Math.max(s.rp3betaValidNdcg10 as number, s.itemknnValidNdcg10 as number),
    );
    expect(s.teacherValidNdcg10).toBe(s[`${s.teacher as string}ValidNdcg10`]);
    // Blends are opt-in (teacher.blend).
    expect(s.teacherBlend).toBeUndefined();
    // On a leave-last-out split it also proposes one step back, for the policy to score with.
    expect(s.oneStepBackRows).toBeGreaterThan(0);
    expect(s.oneStepBackHeadRows).toBeGreaterThanOrEqual(s.oneStepBackRows as number);
    const back = await readSyntheticParquet(
      await store.getBytes(`${teacher.key}/teacher-back.parquet`),
    );
    expect(back.n).toBe(s.oneStepBackRows);
    expect(back.source).toBe('teacher');
    expect([0, 0.25, 0.5, 0.75]).toContain(s.rp3betaBeta);
    // By default every user with train rows gets proposals; the policy picks which keep them.
    expect(s.usersChosen).toBe(new Set(pre.train.user).size);
    const rows = await readSyntheticParquet(await store.getBytes(`${teacher.key}/teacher.parquet`));
    expect(rows.source).toBe('teacher');
    expect(rows.n).toBe(s.rows);
    expect(rows.n).toBeGreaterThan(0);
    expect(rows.n).toBeLessThanOrEqual(3 * (s.users as number));
    expect(rows.plausibility).toHaveLength(rows.n);

    const resampleConfig = { resample: parsePipelineConfig({}).resample, seed: 5 };
    const resample = await runStage(
      resampleStage,
      { runId: 't1', config: resampleConfig, inputs: { preprocess, teacher } },
      store,
    );
    expect(resample.stats.syntheticInput).toBe(rows.n);
    const a = await readTrainingSetParquet(await store.getBytes(`${resample.key}/a.parquet`));
    const b = await readTrainingSetParquet(await store.getBytes(`${resample.key}/b.parquet`));
    expect(a.source.includes(SOURCE.teacher)).toBe(false);
    // Nothing is lost to denoising (no proposal repeats a train row); only the caps cut.
    const { drops } = JSON.parse(
      new TextDecoder().decode(await store.getBytes(`${resample.key}/composition.json`)),
    ) as { drops: { total: Record<string, number> } };
    expect(drops.total.duplicateOfReal).toBe(0);
    expect(drops.total.duplicateOfSynthetic).toBe(0);
    expect(b.source.filter((x) => x === SOURCE.teacher).length).toBe(
      rows.n - drops.total.userCap! - drops.total.share!,
    );
  }, 60_000);

  it('with teacher.blend, teaches with a blend that beats every candidate on validation, and says so', async () => {
    const preprocess = await preprocessed('t5');
    const candidates = ['ease', 'rp3beta', 'itemknn'] as const;
    const teacher = await runStage(
      teacherStage,
      {
        runId: 't5',
        config: { teacher: { ...config.teacher, candidates: [...candidates], blend: true } },
        inputs: { preprocess },
      },
      store,
    );
    const s = teacher.stats;
    expect(s.teacherBlend).toMatch(new RegExp(`^${s.teacher as string} 1( \\+ \\w+ [0-9.]+)+$`));
    for (const c of candidates)
      expect(s.teacherValidNdcg10).toBeGreaterThan(s[`${c}ValidNdcg10`] as number);
    expect(s.oneStepBackSkipped).toBe('a blended teacher cannot leave rows out');
    expect(s.rows).toBeGreaterThan(0);
  }, 60_000);

  it('reads only train and valid, so another test split leaves it cached', async () => {
    const first = await runStage(
      teacherStage,
      { runId: 't2', config, inputs: { preprocess: await preprocessed('t2') } },
      store,
    );
    const other = await preprocessed('t3', head(pre.test, 40));
    const second = await runStage(
      teacherStage,
      { runId: 't3', config, inputs: { preprocess: other } },
      store,
    );
    expect(second.status).toBe('cached');
    expect(second.key).toBe(first.key);
    const peeking: StageDefinition<TeacherStageConfig> = {
      ...teacherStage,
      async run(ctx) {
        await ctx.inputFile('preprocess', 'test.parquet');
        throw new Error('unreachable: the read should have failed');
      },
    };
    await expect(
      runStage(
        peeking,
        {
          runId: 't4',
          config: { teacher: { ...config.teacher, k: 4 } },
          inputs: { preprocess: other },
        },
        store,
      ),
    ).rejects.toThrow('stage teacher may not read preprocess/test.parquet');
  }, 60_000);
});
