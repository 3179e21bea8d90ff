import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { MlflowClient } from '../../../lib/tracking/index.ts';

const stack = inject('stack');
const mlflow = new MlflowClient({ baseUrl: stack.mlflowUrl });
const suffix = randomBytes(4).toString('hex');

describe('MLflow client against a real mlflow server', () => {
  it('answers health and API pings', async () => {
    expect(await mlflow.ping()).toBe(true);
  });

  it('logs a run with params, metrics, tags, a nested run and an artifact, all read back', async () => {
    const name = `it-${suffix}`;
    const expId = await mlflow.getOrCreateExperiment(name);
    // Racing get-or-create returns the same id.
    const again = await Promise.all([
      mlflow.getOrCreateExperiment(name),
      mlflow.getOrCreateExperiment(name),
    ]);
    expect(again).toEqual([expId, expId]);

    const parent = await mlflow.createRun({
      experimentId: expId,
      runName: 'parent',
      tags: { workflow_id: 'wf-1' },
    });
    const metrics = Array.from({ length: 2100 }, (_, i) => ({
      key: 'loss',
      value: 1 / (i + 1),
      timestamp: 1_700_000_000_000 + i,
      step: i,
    }));
    const calls = await mlflow.logBatch(parent.run_id, {
      metrics,
      params: { 'preprocess.kCore': 5, seed: 42, long: 'y'.repeat(7000) },
      tags: { data_hash: 'abc123' },
    });
    expect(calls).toBe(3);
    const history = await mlflow.getMetricHistory(parent.run_id, 'loss');
    expect(history).toHaveLength(2100);
    expect(
      history
        .map((m) => m.step)
        .sort((a, b) => a - b)
        .slice(0, 3),
    ).toEqual([0, 1, 2]);

    const child = await mlflow.createRun({
      experimentId: expId,
      runName: 'ingest',
      parentRunId: parent.run_id,
    });
    await mlflow.logMetric(child.run_id, 'rows', 1234, 0);
    await mlflow.updateRun(child.run_id, 'FINISHED');

    const payload = Buffer.from(`report ${suffix}\n`.repeat(1000));
    await mlflow.logArtifact(parent.run_id, 'reports/summary.txt', payload);
    const listed = await mlflow.listArtifacts(parent.run_id, 'reports');
    expect(listed.map((f) => f.path)).toEqual(['reports/summary.txt']);
    expect(
      Buffer.from(await mlflow.downloadArtifact(parent.run_id, 'reports/summary.txt')).equals(
        payload,
      ),
    ).toBe(true);
    await mlflow.updateRun(parent.run_id, 'FINISHED');

    const run = await mlflow.getRun(parent.run_id);
    expect(run.info.status).toBe('FINISHED');
    const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params['preprocess.kCore']).toBe('5');
    expect(params.long).toMatch(/truncated \d+ chars\]$/);
    const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ workflow_id: 'wf-1', data_hash: 'abc123' });

    const children = await mlflow.searchRuns(
      [expId],
      `tags.mlflow.parentRunId = '${parent.run_id}'`,
    );
    expect(children.map((r) => r.info.run_id)).toEqual([child.run_id]);
    const childRun = await mlflow.getRun(child.run_id);
    expect(childRun.data.metrics?.find((m) => m.key === 'rows')?.value).toBe(1234);
  });

  it('registers model versions and moves the champion alias', async () => {
    const expId = await mlflow.getOrCreateExperiment(`registry-${suffix}`);
    const model = `recsys-${suffix}`;
    await mlflow.getOrCreateRegisteredModel(model, 'test model');
    await mlflow.getOrCreateRegisteredModel(model); // idempotent
    const versions = [];
    for (const variant of ['A', 'B']) {
      const run = await mlflow.createRun({ experimentId: expId, runName: variant });
      await mlflow.logArtifact(run.run_id, 'model/model.json', JSON.stringify({ variant }));
      versions.push(
        await mlflow.createModelVersion({
          name: model,
          source: `${run.artifact_uri}/model`,
          runId: run.run_id,
          tags: { variant, data_hash: 'abc' },
        }),
      );
    }
    expect(versions.map((v) => v.version)).toEqual(['1', '2']);
    expect(await mlflow.getVersionByAlias(model, 'champion')).toBeUndefined();
    await mlflow.setAlias(model, 'champion', '1');
    expect((await mlflow.getVersionByAlias(model, 'champion'))?.version).toBe('1');
    await mlflow.setAlias(model, 'champion', '2');
    const champ = await mlflow.getVersionByAlias(model, 'champion');
    expect(champ?.version).toBe('2');
    expect(Object.fromEntries((champ?.tags ?? []).map((t) => [t.key, t.value]))).toMatchObject({
      variant: 'B',
    });
    await mlflow.setModelVersionTag(model, '1', 'decision', 'kept');
    const v1 = await mlflow.getModelVersion(model, '1');
    expect(v1.tags?.find((t) => t.key === 'decision')?.value).toBe('kept');
    expect((await mlflow.searchModelVersions(`name='${model}'`)).length).toBe(2);
    await mlflow.deleteAlias(model, 'champion');
    expect(await mlflow.getVersionByAlias(model, 'champion')).toBeUndefined();
  });
});
