import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { PipelineConfigInput } from '../../../lib/config/pipeline.ts';
import type { ExperimentResult } from '../../../lib/contracts/experiment.ts';
import { expandGrid, parseGrid } from '../../../lib/experiments/grid.ts';
import {
  buildExperimentInput,
  startExperiment,
  watchExperiment,
} from '../../../lib/runtime/experiment-client.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { MlflowClient, tagMap } from '../../../lib/tracking/index.ts';
import {
  childProcessEnv,
  testSettings,
  withWorkers,
  workflowBundle,
} from '../../helpers/temporal.ts';
import { tempDir } from '../../helpers/tmp.ts';

const run = promisify(execFile);
const CLI = join(PROJECT_ROOT, 'bin', 'augment.mjs');

const base: PipelineConfigInput = {
  name: `exp-${Date.now().toString(36)}`,
  data: { source: 'synthetic:users=300,items=200,interactions=12000,seed=5' },
  preprocess: { kCore: 3 },
  // The gate off: a 2-epoch generator's rows must reach B for the variants to differ.
  gan: {
    generatorUnits: 32,
    discriminatorUnits: 16,
    epochs: 2,
    users: 'all',
    topK: 3,
    gate: false,
  },
  llm: { users: 'all', sequence: { epochs: 1 } },
  // NeuMF here (the e2e test runs BPR-MF): retrain, evaluate and report with the MLP model.
  model: { family: 'neumf', factors: 8, mlpLayers: [8], epochs: 3 },
  evaluate: { resamples: 1000 },
  registry: { enabled: false },
};
const parameters = { 'llm.enabled': [true, false], 'resample.syntheticShare': [0.1, 0.3] };

/**
 * An experiment of 2 x 2 on the real stack: warm-ups compute what the variants share
 * once, the four child pipelines complete, the comparison reaches the artifact store,
 * the CLI and MLflow (the variants' runs nested under the experiment's run).
 */
describe('augment experiment', () => {
  it('fans a 2x2 grid out into child pipelines that reuse the shared stages, and compares them', async () => {
    const settings = testSettings();
    const grid = parseGrid({ parameters }, 'grid.yaml');
    const input = buildExperimentInput(settings, expandGrid(base, grid, 'grid.yaml'), grid);
    expect(input.warmups.map((w) => w.until)).toEqual([
      'preprocess',
      'generateGan',
      'expandLlm',
      'teacher',
      'retrainA',
    ]);
    await withWorkers(settings, async ({ client, store }) => {
      const handle = await startExperiment(client, settings, input);
      const phases: string[] = [];
      const summary = await watchExperiment(handle, (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
      });
      expect(summary.error).toBeUndefined();
      expect(summary.status).toBe('completed');
      const result = summary.result as ExperimentResult;
      expect(phases[0]).toBe('warming');
      expect(phases).toContain('running');
      expect(result.warmups.map((w) => w.status)).toEqual(Array(5).fill('completed'));

      // Every variant completed and was evaluated; what they share came from the cache.
      expect(result.variants.map((v) => [v.label, v.status])).toEqual([
        ['v1', 'completed'],
        ['v2', 'completed'],
        ['v3', 'completed'],
        ['v4', 'completed'],
      ]);
      for (const v of result.variants) {
        expect(v.metric).toBe('ndcg@10');
        for (const k of ['a', 'b', 'delta', 'ciLow', 'ciHigh'] as const)
          expect(Number.isFinite(v[k])).toBe(true);
        expect(typeof v.promote).toBe('boolean');
        expect(v.report).toMatch(/report\.html$/);
        // ingest, preprocess, trainGan, generateGan, teacher, retrainA (+ expandLlm when on) are
        // reused; retrainB, evaluate and report are this variant's own. policy and resample
        // are reused where a warm-up or another variant already computed the same ones.
        const llmOn = v.overrides['llm.enabled'] === true;
        expect(v.stagesCached! + v.stagesDone!).toBe(llmOn ? 12 : 11);
        expect(v.stagesCached).toBeGreaterThanOrEqual(llmOn ? 7 : 6);
        expect(v.stagesDone).toBeGreaterThanOrEqual(3);
      }
      // A is the same model everywhere; B differs with the augmentation.
      expect(new Set(result.variants.map((v) => v.a)).size).toBe(1);
      expect(result.best).toBe([...result.variants].sort((x, y) => y.b! - x.b!)[0]!.label);

      // The comparison in the artifact store.
      const comparison = JSON.parse(
        new TextDecoder().decode(await store.getBytes(`${result.key}/comparison.json`)),
      ) as { rows: unknown[]; ranking: string[]; best: string };
      expect(comparison.rows).toHaveLength(4);
      expect(comparison.best).toBe(result.best);
      const html = new TextDecoder().decode(await store.getBytes(`${result.key}/comparison.html`));
      expect(html).toContain('<table id="comparison">');

      // MLflow: the experiment's run holds the comparison; each variant's run is nested in it.
      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      const parent = result.tracking.mlflow!;
      const parentRun = await mlflow.getRun(parent.runId);
      expect(tagMap(parentRun.data.tags)).toMatchObject({ kind: 'experiment' });
      expect(parentRun.info.status).toBe('FINISHED');
      const children = await mlflow.searchRuns(
        [parent.experimentId],
        `tags.mlflow.parentRunId = '${parent.runId}'`,
      );
      expect(children.map((r) => tagMap(r.data.tags).workflow_id).sort()).toEqual(
        result.variants.map((v) => v.workflowId).sort(),
      );
      const v1Delta = await mlflow.getMetricHistory(parent.runId, 'v1.delta');
      expect(v1Delta[0]!.value).toBeCloseTo(result.variants[0]!.delta!, 6);
      expect((await mlflow.artifacts.list(parent.runId)).map((f) => f.path).sort()).toEqual([
        'comparison.html',
        'comparison.json',
      ]);

      // The experiment's real history replays against the workflow code.
      const recorded = await handle.fetchHistory();
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle() },
        recorded,
        handle.workflowId, // child ids derive from it
      );

      // `augment report <experimentId>` needs no worker: the table, the JSON, the HTML file.
      const env = childProcessEnv(settings);
      const table = await run(process.execPath, [CLI, 'report', handle.workflowId], { env });
      expect(table.stderr).toMatch(/v1 .*completed/);
      expect(table.stderr).toContain(`* best B ndcg@10: ${result.best}`);
      const out = join(tempDir(), 'comparison.html');
      const json = await run(
        process.execPath,
        [CLI, 'report', handle.workflowId, '--json', '--out', out],
        { env },
      );
      expect((JSON.parse(json.stdout) as { best: string }).best).toBe(result.best);
      expect(readFileSync(out, 'utf8')).toBe(html);
      // And for one variant, its run's report.
      const v1 = result.variants[0]!.workflowId;
      const report = await run(process.execPath, [CLI, 'report', v1, '--json'], { env });
      expect(JSON.parse(report.stdout)).toMatchObject({ meta: { runId: v1 } });
      // `augment status` of ended runs reads their results: stages without a progress query.
      const status = await run(process.execPath, [CLI, 'status', v1, '--json'], { env });
      const ended = JSON.parse(status.stdout) as {
        status: string;
        closeTime: string;
        summary: { status: string; stages: { name: string; status: string }[] };
      };
      expect(ended.status).toBe('COMPLETED');
      expect(Date.parse(ended.closeTime)).toBeGreaterThan(0);
      expect(ended.summary.status).toBe('completed');
      expect(ended.summary.stages.find((st) => st.name === 'evaluate')?.status).toBe('done');
      const experimentStatus = await run(process.execPath, [CLI, 'status', handle.workflowId], {
        env,
      });
      expect(experimentStatus.stderr).toMatch(/v1 .*completed/);
      // A mistyped id: said plainly, with where to find the right one, exit 1.
      const missing = await run(process.execPath, [CLI, 'status', 'no-such-run'], { env }).catch(
        (err: { code: number; stderr: string }) => err,
      );
      expect(missing).toMatchObject({ code: 1 });
      expect(missing.stderr).toContain(
        'error: no run or experiment "no-such-run" in Temporal namespace',
      );
      expect(missing.stderr).toContain('(recent ones: npx augment list)');
    });
  });

  it('--dry-run lists the variants and warm-ups; a bad grid value names the variant and field', async () => {
    const dir = tempDir();
    const gridFile = join(dir, 'grid.yaml');
    writeFileSync(
      gridFile,
      'parameters:\n  llm.enabled: [true, false]\n  model.factors: [8, 16]\n',
    );
    const env = childProcessEnv(testSettings());
    const dry = await run(
      process.execPath,
      [CLI, 'experiment', '--grid', gridFile, '--dry-run', '--json'],
      {
        env,
      },
    );
    const plan = JSON.parse(dry.stdout) as {
      variants: { label: string }[];
      warmups: { until: string }[];
    };
    expect(plan.variants.map((v) => v.label)).toEqual(['v1', 'v2', 'v3', 'v4']);
    // Model A is shared by the variants with the same factors (v1+v3, v2+v4).
    expect(plan.warmups.map((w) => w.until)).toEqual([
      'preprocess',
      'generateGan',
      'expandLlm',
      'teacher',
      'retrainA',
      'retrainA',
    ]);

    writeFileSync(gridFile, 'parameters:\n  model.factors: [8, -1]\n');
    const bad = await run(process.execPath, [CLI, 'experiment', '--grid', gridFile, '--dry-run'], {
      env,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `invalid configuration in ${gridFile} (variant v2: model.factors=-1)`,
    );
    expect(bad.stderr).toContain('model.factors: -1 - expected >= 1');
  });
});
