import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { MlflowClient, MlflowError, tagMap } from '../../../lib/tracking/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

/**
 * The tracking client against a real `mlflow server` (SQLite backend, artifact proxy)
 * started by the global setup. MLFLOW_TEST_URL points it at another server instead.
 */
const url = process.env.MLFLOW_TEST_URL ?? inject('stack').mlflowUrl;
const mlflow = new MlflowClient({ trackingUri: url });
const suffix = randomBytes(4).toString('hex');
const dir = tempDir();

/** Reads back over plain REST, independent of the client's own parsing. */
async function rest<T>(path: string): Promise<T> {
  const res = await fetch(`${url}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe('MLflow client against a real mlflow server', () => {
  it('answers /health and an API call', async () => {
    const ping = await mlflow.ping();
    expect(ping).toMatchObject({ healthy: true });
  });

  it('get-or-create of an experiment is idempotent and race-safe', async () => {
    const name = `it-race-${suffix}`;
    const logs: string[] = [];
    const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
    // Five clients race: all look the name up, find nothing and try to create it.
    const ids = await Promise.all(
      Array.from({ length: 5 }, () =>
        new MlflowClient({ trackingUri: url, logger }).getOrCreateExperiment(name),
      ),
    );
    expect(logs.filter((l) => l.includes('created'))).toHaveLength(1);
    expect(new Set(ids).size).toBe(1);
    expect(await mlflow.getOrCreateExperiment(name)).toBe(ids[0]);
    expect((await mlflow.getExperimentByName(name))?.experiment_id).toBe(ids[0]);
    expect(await mlflow.getExperimentByName(`missing-${suffix}`)).toBeUndefined();
  });

  it('logs a run with params, >1000 metrics, tags, a nested run and an artifact, all read back', async () => {
    const expId = await mlflow.getOrCreateExperiment(`it-${suffix}`);
    const parent = await mlflow.createRun({
      experimentId: expId,
      runName: 'parent',
      tags: { workflow_id: `wf-${suffix}` },
      startTime: 1_700_000_000_000,
    });
    expect(parent.artifact_uri).toBe(`mlflow-artifacts:/${expId}/${parent.run_id}/artifacts`);

    // 2100 loss values + 300 NaN-free accuracy values + 120 params: 3 log-batch calls.
    const metrics = [
      ...Array.from({ length: 2100 }, (_, i) => ({
        key: 'loss',
        value: 1 / (i + 1),
        timestamp: 1_700_000_000_000 + i,
        step: i,
      })),
      ...Array.from({ length: 300 }, (_, i) => ({ key: 'acc', value: i / 300, step: i })),
      { key: 'nan_metric', value: NaN, step: 0 },
    ];
    const params: Record<string, unknown> = {
      'preprocess.kCore': 5,
      seed: 42,
      long: 'y'.repeat(7000),
    };
    for (let i = 0; i < 117; i++) params[`grid.p${i}`] = i;
    const result = await mlflow.logBatch(parent.run_id, {
      metrics,
      params,
      tags: { data_hash: 'abc123' },
    });
    expect(result).toEqual({ calls: 3, truncated: ['long'] });
    await mlflow.logParam(parent.run_id, 'seed', 42); // same value again: allowed
    await expect(mlflow.logParam(parent.run_id, 'seed', 43)).rejects.toMatchObject({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
    await mlflow.logMetric(parent.run_id, 'ndcg', 0.25, 1);
    await mlflow.logMetric(parent.run_id, 'ndcg', 0.31, 2);
    await mlflow.setTag(parent.run_id, 'note', 'hello');

    const history = await mlflow.getMetricHistory(parent.run_id, 'loss');
    expect(history).toHaveLength(2100);
    expect(history.map((m) => m.step).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 2100 }, (_, i) => i),
    );
    expect(history.find((m) => m.step === 9)?.value).toBeCloseTo(0.1);
    expect(
      (await mlflow.getMetricHistory(parent.run_id, 'ndcg')).map((m) => [m.step, m.value]),
    ).toEqual([
      [1, 0.25],
      [2, 0.31],
    ]);
    expect((await mlflow.getMetricHistory(parent.run_id, 'nan_metric'))[0]?.value).toBeNaN();

    const child = await mlflow.createRun({
      experimentId: expId,
      runName: 'ingest',
      parentRunId: parent.run_id,
      tags: { stage: 'ingest' },
    });
    await mlflow.logMetric(child.run_id, 'rows', 1234);
    await mlflow.updateRun(child.run_id, 'FINISHED');

    // Artifacts: bytes, a string and a streamed file, then list and download byte-equal.
    const payload = randomBytes(256 * 1024);
    const file = join(dir, 'model.bin');
    const big = randomBytes(3 * 1024 * 1024);
    await writeFile(file, big);
    await mlflow.artifacts.upload(parent.run_id, 'reports/blob.bin', payload);
    await mlflow.artifacts.upload(parent.run_id, 'reports/summary.txt', `summary ${suffix}\n`);
    await mlflow.artifacts.upload(parent.run_id, 'model/weights v1.bin', { file });
    expect(await mlflow.artifacts.list(parent.run_id)).toEqual([
      { path: 'model', is_dir: true },
      { path: 'reports', is_dir: true },
    ]);
    expect(await mlflow.artifacts.list(parent.run_id, 'reports')).toEqual([
      { path: 'reports/blob.bin', is_dir: false, file_size: payload.length },
      { path: 'reports/summary.txt', is_dir: false, file_size: 17 },
    ]);
    expect(await mlflow.artifacts.list(parent.run_id, 'nothing-here')).toEqual([]);
    const down = await mlflow.artifacts.download(parent.run_id, 'reports/blob.bin');
    expect(Buffer.from(down).equals(payload)).toBe(true);
    const dest = join(dir, 'out', 'weights.bin');
    await mlflow.artifacts.downloadToFile(parent.run_id, 'model/weights v1.bin', dest);
    expect((await readFile(dest)).equals(big)).toBe(true);
    await expect(
      mlflow.artifacts.download(parent.run_id, 'reports/none.txt'),
    ).rejects.toMatchObject({
      status: 404,
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      attempts: 1,
    });
    await mlflow.updateRun(parent.run_id, 'FINISHED');

    // Read everything back over plain REST.
    const { run } = await rest<{
      run: {
        info: { status: string; end_time?: number; start_time: number };
        data: { params: { key: string; value: string }[]; tags: { key: string; value: string }[] };
      };
    }>(`/api/2.0/mlflow/runs/get?run_id=${parent.run_id}`);
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.start_time).toBe(1_700_000_000_000);
    expect(run.info.end_time).toBeGreaterThan(run.info.start_time);
    const p = tagMap(run.data.params);
    expect(run.data.params).toHaveLength(120);
    expect(p).toMatchObject({ 'preprocess.kCore': '5', seed: '42', 'grid.p116': '116' });
    expect(p.long).toHaveLength(6000);
    expect(p.long).toMatch(/^y+\.\.\.\[truncated 1025 chars\]$/);
    expect(tagMap(run.data.tags)).toMatchObject({
      workflow_id: `wf-${suffix}`,
      data_hash: 'abc123',
      note: 'hello',
      'mlflow.runName': 'parent',
    });

    const children = await mlflow.searchRuns(
      [expId],
      `tags.mlflow.parentRunId = '${parent.run_id}'`,
    );
    expect(children.map((r) => r.info.run_id)).toEqual([child.run_id]);
    const childRun = await mlflow.getRun(child.run_id);
    expect(childRun.info.status).toBe('FINISHED');
    expect(tagMap(childRun.data.tags)).toMatchObject({
      'mlflow.parentRunId': parent.run_id,
      stage: 'ingest',
    });
    expect(childRun.data.metrics.find((m) => m.key === 'rows')?.value).toBe(1234);
  });

  it('registers model versions and moves the champion alias, read back over REST', async () => {
    const expId = await mlflow.getOrCreateExperiment(`registry-${suffix}`);
    const model = `recsys-${suffix}`;
    const created = await mlflow.registry.getOrCreateModel(model, { description: 'test model' });
    expect(created.name).toBe(model);
    // Racing get-or-create of the registered model: all succeed with the same model.
    const raced = await Promise.all([1, 2, 3].map(() => mlflow.registry.getOrCreateModel(model)));
    expect(raced.map((m) => m.name)).toEqual([model, model, model]);

    const versions = [];
    for (const variant of ['A', 'B']) {
      const run = await mlflow.createRun({ experimentId: expId, runName: variant });
      await mlflow.artifacts.upload(run.run_id, 'model/model.json', JSON.stringify({ variant }));
      const source = await mlflow.artifacts.uri(run.run_id, 'model');
      expect(source).toBe(`${run.artifact_uri}/model`);
      versions.push(
        await mlflow.registry.createVersion({
          name: model,
          source,
          runId: run.run_id,
          tags: { variant, data_hash: 'abc' },
        }),
      );
      await mlflow.updateRun(run.run_id, 'FINISHED');
    }
    expect(versions.map((v) => [v.version, v.status])).toEqual([
      ['1', 'READY'],
      ['2', 'READY'],
    ]);

    expect(await mlflow.registry.getVersionByAlias(model, 'champion')).toBeUndefined();
    await mlflow.registry.setAlias(model, 'champion', 1);
    expect((await mlflow.registry.getVersionByAlias(model, 'champion'))?.version).toBe('1');
    await mlflow.registry.setAlias(model, 'champion', '2');
    const champ = await mlflow.registry.getVersionByAlias(model, 'champion');
    expect(champ).toMatchObject({
      version: '2',
      aliases: ['champion'],
      run_id: versions[1]!.run_id,
    });
    expect(tagMap(champ?.tags)).toMatchObject({ variant: 'B' });

    // Plain REST agrees: the alias resolves to version 2 with the run's source.
    const byAlias = await rest<{
      model_version: { version: string; source: string; aliases: string[] };
    }>(`/api/2.0/mlflow/registered-models/alias?name=${model}&alias=champion`);
    expect(byAlias.model_version).toMatchObject({ version: '2', source: versions[1]!.source });
    const rm = await rest<{ registered_model: { aliases: { alias: string; version: string }[] } }>(
      `/api/2.0/mlflow/registered-models/get?name=${model}`,
    );
    expect(rm.registered_model.aliases).toEqual([{ alias: 'champion', version: '2' }]);

    await mlflow.registry.setVersionTag(model, 1, 'decision', 'kept');
    expect(tagMap((await mlflow.registry.getVersion(model, '1')).tags)).toMatchObject({
      decision: 'kept',
      variant: 'A',
    });
    const found = await mlflow.registry.searchVersions(`name='${model}'`);
    expect(found.map((v) => v.version).sort()).toEqual(['1', '2']);
    const byRun = await mlflow.registry.searchVersions(`run_id='${versions[0]!.run_id}'`);
    expect(byRun.map((v) => v.version)).toEqual(['1']);

    await mlflow.registry.deleteAlias(model, 'champion');
    await mlflow.registry.deleteAlias(model, 'champion'); // deleting again is fine
    expect(await mlflow.registry.getVersionByAlias(model, 'champion')).toBeUndefined();
    expect(
      await mlflow.registry.getVersionByAlias(`no-such-${suffix}`, 'champion'),
    ).toBeUndefined();
    await expect(mlflow.registry.getVersion(model, 9)).rejects.toBeInstanceOf(MlflowError);
  });
});
