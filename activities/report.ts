import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageInput, StageName, StageRef } from '../lib/contracts/index.ts';
import { buildReportData, renderReport } from '../lib/report/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageContext, StageDefinition } from './stage-runner.ts';

export interface ReportStageConfig {
  pipeline: string;
  /** Primary metric of the decision. */
  metric: string;
  /** The run this report belongs to, and when it started (from the workflow). */
  runId: string;
  createdAt: string;
}

async function json(ctx: StageContext<ReportStageConfig>, stage: StageName, file: string) {
  return JSON.parse(await readFile(await ctx.inputFile(stage, file), 'utf8')) as unknown;
}

/**
 * report: one self-contained HTML report of the run (decision, metrics with intervals,
 * guard rails, training curves, training-set composition, GAN, LLM and teacher figures, the
 * augmentation policy's candidates) plus the
 * same data as JSON. Per run, like the registry entries: its identity includes the run id.
 * Given `preprocess` (optional for callers that have no splits), it adds the data-set
 * section from its manifest; no file is downloaded.
 */
export const reportStage: StageDefinition<ReportStageConfig> = {
  name: 'report',
  source: import.meta.url,
  needs: ['resample', 'retrainA', 'retrainB', 'evaluate'],
  optional: ['preprocess', 'generateGan', 'expandLlm', 'teacher', 'policy'],
  async run(ctx) {
    const c = ctx.config;
    const data = buildReportData({
      pipeline: c.pipeline,
      runId: c.runId,
      createdAt: c.createdAt,
      metric: c.metric,
      evaluation: await json(ctx, 'evaluate', 'evaluation.json'),
      historyA: await json(ctx, 'retrainA', 'history.json'),
      historyB: await json(ctx, 'retrainB', 'history.json'),
      trainedA: ctx.inputManifest('retrainA').stats,
      trainedB: ctx.inputManifest('retrainB').stats,
      composition: await json(ctx, 'resample', 'composition.json'),
      ...(ctx.hasInput('preprocess') ? { dataset: ctx.inputManifest('preprocess').stats } : {}),
      ...(ctx.hasInput('generateGan') ? { gan: ctx.inputManifest('generateGan').stats } : {}),
      ...(ctx.hasInput('expandLlm') ? { llm: await json(ctx, 'expandLlm', 'expansion.json') } : {}),
      ...(ctx.hasInput('teacher') ? { teacher: ctx.inputManifest('teacher').stats } : {}),
      ...(ctx.hasInput('policy') ? { policy: await json(ctx, 'policy', 'candidates.json') } : {}),
    });
    const html = renderReport(data);
    const path = join(ctx.workDir, 'report.html');
    await writeFile(path, html);
    return {
      kind: 'report',
      files: [{ name: 'report.html', path }, await jsonOutput(ctx.workDir, 'report.json', data, 1)],
      stats: { bytes: Buffer.byteLength(html), sections: (html.match(/<h2>/g) ?? []).length },
    };
  },
};

export function reportActivity(store: ArtifactStore) {
  return (input: StageInput<ReportStageConfig>): Promise<StageRef> =>
    runStage(reportStage, input, store);
}
