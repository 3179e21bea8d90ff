import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportStage } from '../../../activities/report.ts';
import type { ReportStageConfig } from '../../../activities/report.ts';
import { runStage } from '../../../activities/stage-runner.ts';
import type { StageDefinition } from '../../../activities/stage-runner.ts';
import type { StageName, StageRef } from '../../../lib/contracts/index.ts';
import type { ReportData } from '../../../lib/report/index.ts';
import { LocalArtifactStore } from '../../../lib/store/index.ts';
import { reportParts } from '../../helpers/report-data.ts';
import { tempDir } from '../../helpers/tmp.ts';

const store = new LocalArtifactStore(join(tempDir(), 'store'));
const parts = reportParts();

/** A stand-in upstream stage publishing the given JSON files and manifest stats. */
function publish(
  name: StageName,
  files: Record<string, unknown>,
  stats: Record<string, unknown> = {},
): Promise<StageRef> {
  const def: StageDefinition<{ tag: string }> = {
    name,
    source: import.meta.url,
    needs: [],
    async run(ctx) {
      const out = [];
      for (const [file, value] of Object.entries(files)) {
        const path = join(ctx.workDir, file);
        await writeFile(path, JSON.stringify(value));
        out.push({ name: file, path });
      }
      return { kind: 'stand-in', files: out, stats };
    },
  };
  return runStage(def, { runId: 'up', config: { tag: name }, inputs: {} }, store);
}

const config: ReportStageConfig = {
  pipeline: 'nightly',
  metric: 'ndcg@10',
  runId: 'wf-42',
  createdAt: '2026-11-28T03:00:00.000Z',
};

async function published(ref: StageRef, file: string): Promise<string> {
  return Buffer.from(await store.getBytes(`${ref.key}/${file}`)).toString('utf8');
}

describe('report stage', () => {
  it('reads the files the upstream stages write and publishes report.html and report.json', async () => {
    const required = {
      resample: await publish('resample', { 'composition.json': parts.composition }),
      retrainA: await publish(
        'retrainA',
        { 'history.json': parts.historyA },
        { family: 'ease', chosen: { lambda: 12, halfLife: 8 } },
      ),
      retrainB: await publish('retrainB', { 'history.json': parts.historyB }, { family: 'ease' }),
      evaluate: await publish('evaluate', { 'evaluation.json': parts.evaluation }),
    };
    const ref = await runStage(reportStage, { runId: 'wf-42', config, inputs: required }, store);
    expect(ref.status).toBe('done');
    expect(Object.keys(ref.outputs).sort()).toEqual(['report.html', 'report.json']);
    const html = await published(ref, 'report.html');
    expect(html).toContain('<h1>nightly: does augmentation help?</h1>');
    expect(html).not.toMatch(/id="(gan|llm|dataset)"/);
    const data = JSON.parse(await published(ref, 'report.json')) as ReportData;
    expect(data.meta.runId).toBe('wf-42');
    expect(data.composition).toBeDefined();
    // What each retrain stage trained, from its manifest stats.
    expect(html).toContain(
      'A: ease (lambda 12, history weighted by recency, half-life 8 rows); B: ease (plain history)',
    );
    expect(ref.stats.sections).toBe((html.match(/<h2>/g) ?? []).length);

    // With the optional branches: the GAN's manifest stats, expansion.json, preprocess stats.
    const optional = {
      preprocess: await publish('preprocess', {}, parts.dataset as Record<string, unknown>),
      generateGan: await publish('generateGan', {}, parts.gan as Record<string, unknown>),
      expandLlm: await publish('expandLlm', { 'expansion.json': parts.llm }),
    };
    const full = await runStage(
      reportStage,
      { runId: 'wf-42', config, inputs: { ...required, ...optional } },
      store,
    );
    expect(full.key).not.toBe(ref.key);
    const fullHtml = await published(full, 'report.html');
    for (const id of ['dataset', 'gan', 'llm']) expect(fullHtml).toContain(`<section id="${id}">`);
    expect(fullHtml).toContain('No LLM produced these samples.');
  });

  it('fails with a clear error when a required upstream stage is missing', async () => {
    const inputs = {
      resample: await publish('resample', { 'composition.json': parts.composition }),
    };
    await expect(runStage(reportStage, { runId: 'x', config, inputs }, store)).rejects.toThrow(
      'stage report needs the output of retrainA',
    );
  });
});
