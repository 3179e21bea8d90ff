import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { STAGES } from '../../lib/contracts/index.ts';
import { toolPaths } from '../../lib/stack/config.ts';
import { startPipeline, watchPipeline } from '../../lib/runtime/pipeline-client.ts';
import { MlflowClient, tagMap } from '../../lib/tracking/index.ts';
import { REPLAY_FIXTURE } from '../helpers/replay.ts';
import { testSettings, withWorkers, workflowBundle } from '../helpers/temporal.ts';

const config = parsePipelineConfig({
  name: `e2e-${Date.now().toString(36)}`,
  data: { source: 'synthetic:users=500,items=300,interactions=25000,seed=9' },
  preprocess: { kCore: 3 },
  gan: {
    enabled: true,
    generatorUnits: 64,
    discriminatorUnits: 32,
    epochs: 4,
    checkpointEvery: 2,
    users: 'all',
    topK: 3,
    // A 4-epoch generator rarely beats ItemKNN; the gate is off so its rows reach B.
    gate: false,
  },
  llm: { users: 'all', sequence: { epochs: 2 } },
  model: { factors: 16, epochs: 6, checkpointEvery: 2 },
  evaluate: { resamples: 1000 },
});

describe('the whole pipeline on the real stack', () => {
  it('runs every stage with the GAN, LLM and teacher branches, decides, registers both candidates; a re-run is fully cached', async () => {
    const settings = testSettings();
    await withWorkers(settings, async ({ client, store }) => {
      const first = await watchPipeline(await startPipeline(client, settings, config));
      expect(first.error).toBeUndefined();
      // MLflow kept up with every stage (nothing was rejected and retried away).
      expect(first.tracking.error).toBeUndefined();
      expect(first.status).toBe('completed');
      expect(first.stages.map((s) => [s.name, s.status])).toEqual(
        STAGES.map((name) => [name, 'done']),
      );
      const byName = Object.fromEntries(first.stages.map((s) => [s.name, s]));
      // The GAN's positives went into B (and only B).
      const gan = byName.generateGan!.stats;
      expect(gan.gate).toBe('off');
      expect(gan.rows).toBeGreaterThan(0);
      expect(gan.rows).toBe(3 * (gan.users as number));
      for (const k of ['generatorValidNdcg10', 'popularityJsDistance', 'coverage', 'novelty'])
        expect(Number.isFinite(gan[k])).toBe(true);
      expect(byName.trainGan!.stats).toMatchObject({ backend: 'wasm', epochs: 4 });
      // No LLM is configured: the item-sequence fallback chose, and the summary says so.
      const llm = byName.expandLlm!.stats;
      expect(llm).toMatchObject({ provider: 'sequence', fallback: true, requests: 0 });
      expect(llm.rows).toBe(2 * (llm.triples as number));
      // The teacher (on by default): the best baseline on validation, and its pseudo-positives.
      const teacher = byName.teacher!.stats;
      expect(['ease', 'rp3beta', 'itemknn']).toContain(teacher.teacher);
      expect(teacher.teacherValidNdcg10).toBe(teacher[`${teacher.teacher as string}ValidNdcg10`]);
      expect(teacher.rows).toBeGreaterThan(0);
      // The policy chose B's sources on validation; resample took exactly their rows.
      const policy = byName.policy!.stats;
      expect((policy.candidates as unknown[]).length).toBeGreaterThan(0);
      const rowsOf: Record<string, number> = {
        gan: gan.rows as number,
        llm: llm.rows as number,
        teacher: teacher.rows as number,
        // The teacher's proposals with the popular head allowed (a candidate of its own).
        'teacher+head': teacher.headRows as number,
      };
      const chosen = String(policy.sources).split(',').filter(Boolean);
      expect(chosen.length).toBeGreaterThan(0);
      expect(byName.resample!.stats.syntheticInput).toBe(
        chosen.reduce((sum, source) => sum + rowsOf[source]!, 0),
      );
      expect(byName.resample!.stats.rowsB).toBeGreaterThan(byName.resample!.stats.rowsA as number);
      expect(byName.retrainA!.stats).toMatchObject({ family: 'bpr', backend: 'wasm' });
      expect((byName.retrainA!.stats.history as unknown[]).length).toBeGreaterThan(0);
      // Checkpoints are deleted once the models are published.
      expect(await store.list('checkpoints/')).toEqual([]);

      // The summary carries metrics of both models and the decision with its reasons.
      expect(first.metrics?.A['ndcg@10']).toBeGreaterThan(0);
      expect(first.metrics?.B['ndcg@10']).toBeGreaterThan(0);
      // Per segment, with the same metric keys: the sparsest quarter of the test users.
      const sparse = first.segments!.sparseUsers;
      expect(sparse.users).toBe(Math.floor((byName.evaluate!.stats.users as number) / 4));
      expect(Object.keys(sparse.B).sort()).toEqual(Object.keys(first.metrics!.A).sort());
      // Each segment's paired change of its guard rail's metric, with its interval.
      expect(sparse.change?.metric).toBe('ndcg@10');
      expect(sparse.change!.delta).toBeCloseTo(sparse.B['ndcg@10']! - sparse.A['ndcg@10']!, 10);
      expect(sparse.change!.ciLow).toBeLessThanOrEqual(sparse.change!.delta);
      expect(sparse.change!.ciHigh).toBeGreaterThanOrEqual(sparse.change!.delta);
      expect(first.segments!.tailItems.change?.metric).toBe('tailRecall@10');
      const promote = first.decision!.promote;
      expect(first.decision?.reasons[0]).toMatch(promote ? /^promote B/ : /^keep A/);
      expect(first.mlflow?.runId).toBeTruthy();

      // Registry: versions A and B with tags; the champion alias exactly when B was promoted.
      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      const versions = await mlflow.registry.searchVersions(`name='${config.name}'`);
      expect(versions.map((v) => tagMap(v.tags).variant).sort()).toEqual(['A', 'B']);
      expect(tagMap(versions[0]!.tags)).toMatchObject({
        decision: promote ? 'promote B' : 'keep A',
        family: 'bpr',
      });
      const champion = await mlflow.registry.getVersionByAlias(config.name, 'champion');
      if (promote) expect(tagMap(champion!.tags).variant).toBe('B');
      else expect(champion).toBeUndefined();
      const stageRun = async (stage: string) =>
        (
          await mlflow.searchRuns(
            [first.mlflow!.experimentId],
            `tags.mlflow.parentRunId = '${first.mlflow!.runId}' and tags.stage = '${stage}'`,
          )
        )[0]!.info.run_id;
      // The GAN's losses per epoch and its quality figures are in MLflow.
      expect(await mlflow.getMetricHistory(await stageRun('trainGan'), 'epoch.dLoss')).toHaveLength(
        4,
      );
      const ganNdcg = await mlflow.getMetricHistory(
        await stageRun('generateGan'),
        'generatorValidNdcg10',
      );
      expect(ganNdcg[0]?.value).toBeCloseTo(gan.generatorValidNdcg10 as number, 6);
      const llmRun = await mlflow.getRun(await stageRun('expandLlm'));
      expect(tagMap(llmRun.data.tags)).toMatchObject({ provider: 'sequence', fallback: 'true' });
      // Each stage's entry and MLflow run name the code identity its output was computed by.
      for (const s of first.stages) expect(s.code).toMatch(/^[0-9a-f]{16}$/);
      expect(tagMap(llmRun.data.tags).code_identity).toBe(byName.expandLlm!.code);
      // The HTML report: in the artifact store and, like the other stage documents, in MLflow.
      const report = byName.report!;
      expect(Object.keys(report.outputs).sort()).toEqual(['report.html', 'report.json']);
      const docs = (await mlflow.artifacts.list(first.mlflow!.runId, 'report')).map((f) => f.path);
      expect(docs.sort()).toEqual(['report/report.html', 'report/report.json']);
      expect(
        (await mlflow.artifacts.list(first.mlflow!.runId, 'evaluate')).map((f) => f.path),
      ).toContain('evaluate/evaluation.json');
      // Where the evaluation's time went: its parts in order add up to at most its total;
      // each baseline's own duration besides (on this small data, on the same thread).
      const ev = byName.evaluate!.stats as Record<string, number>;
      expect(ev.baselinesThreaded).toBe(false);
      expect(ev['seconds.popularity']).toBeGreaterThanOrEqual(0);
      expect(ev['seconds.itemknn']).toBeLessThanOrEqual(ev['seconds.baselines']! + 0.01);
      const parts = ['splits', 'A', 'B', 'baselines', 'comparison'];
      for (const p of parts) expect(ev[`seconds.${p}`]).toBeGreaterThanOrEqual(0);
      const sum = parts.reduce((s, p) => s + ev[`seconds.${p}`]!, 0);
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThanOrEqual(ev.seconds! + 0.01);
      expect((await mlflow.getRun(await stageRun('evaluate'))).data.metrics).toEqual(
        expect.arrayContaining([expect.objectContaining({ key: 'seconds.itemknn' })]),
      );
      // Per-epoch training metrics reached the nested run of retrainA.
      const history = await mlflow.getMetricHistory(await stageRun('retrainA'), 'epoch.loss');
      expect(history.length).toBe((byName.retrainA!.stats.history as unknown[]).length);

      // Determinism: the run's real history (both branches in parallel, tracking, registry)
      // replays against the workflow code without a non-determinism error.
      const recorded = await client.workflow.getHandle(first.workflowId).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, recorded);
      if (process.env.RECORD_HISTORY === '1') {
        // The temporal CLI's JSON export is the format replayers read.
        const stack = inject('stack');
        const json = execFileSync(toolPaths().temporal, [
          'workflow',
          'show',
          '--workflow-id',
          first.workflowId,
          '--address',
          stack.temporalAddress,
          '--namespace',
          stack.namespace,
          '--output',
          'json',
        ]);
        mkdirSync(dirname(REPLAY_FIXTURE), { recursive: true });
        writeFileSync(REPLAY_FIXTURE, json);
      }

      const second = await watchPipeline(await startPipeline(client, settings, config));
      expect(second.status).toBe('completed');
      // Every stage is reused; registration and the report belong to the new run.
      expect(second.stages.map((s) => [s.name, s.status])).toEqual(
        STAGES.map((name) => [name, ['register', 'report'].includes(name) ? 'done' : 'cached']),
      );
      expect(second.metrics).toEqual(first.metrics);
    });
  }, 300_000);
});
