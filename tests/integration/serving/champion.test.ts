import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registration } from '../../../activities/register.ts';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import {
  readInteractionsParquet,
  readItemsParquet,
  readUsersParquet,
} from '../../../lib/data/index.ts';
import { csrFromCoo } from '../../../lib/eval/csr.ts';
import type { Csr } from '../../../lib/eval/types.ts';
import { loadModel } from '../../../lib/models/index.ts';
import type { TrainedModel } from '../../../lib/models/types.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import type { Recommendation } from '../../../lib/serving/onnx-recommend.ts';
import { PROJECT_ROOT } from '../../../lib/stack/config.ts';
import { MlflowClient, tagMap } from '../../../lib/tracking/index.ts';
import {
  expectSameLists,
  listsOfRows,
  pipelineTopK,
  pyfuncPredict,
} from '../../helpers/serving.ts';
import { childProcessEnv, testSettings, withWorkers } from '../../helpers/temporal.ts';

const runFile = promisify(execFile);
const K = 10;

// One small pipeline run (no augmentation branches) whose champion every check below reads.
const config = parsePipelineConfig({
  name: `serving-${Date.now().toString(36)}`,
  data: { source: 'synthetic:users=300,items=150,interactions=12000,seed=9' },
  preprocess: { kCore: 3 },
  gan: { enabled: false },
  llm: { enabled: false },
  model: { family: 'bpr', factors: 16, epochs: 6 },
  evaluate: { resamples: 1000 },
});

interface Champion {
  version: string;
  /** Sampled users: original IDs and what the pipeline's own scoring ranks for them. */
  users: string[];
  want: Recommendation[][];
}

describe('the registered champion served by MLflow and by `augment recommend`', () => {
  const settings = testSettings();
  const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
  const env = { MLFLOW_TRACKING_URI: settings.mlflow.trackingUri };
  const uri = `models:/${config.name}@champion`;
  let champion: Champion;
  let parentRunId = '';
  let experimentId = '';

  beforeAll(async () => {
    champion = await withWorkers(settings, async ({ client, store }) => {
      const run = await watchPipeline(await startPipeline(client, settings, config));
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('completed');
      parentRunId = run.tracking.mlflow!.runId;
      experimentId = run.tracking.mlflow!.experimentId;
      const byName = Object.fromEntries(run.stages.map((s) => [s.name, s]));
      const registration = byName.register!.stats as unknown as Registration;
      // Whichever variant the A/B test kept: point the alias at it when B was not promoted.
      let variant: 'A' | 'B' = 'B';
      if (!registration.promoted) {
        variant = 'A';
        await mlflow.registry.setAlias(config.name, 'champion', registration.versions.A);
      }
      const read = async (stage: string, name: string) =>
        store.getBytes(byName[stage]!.outputs[name]!.slice(settings.artifactUri.length + 1));
      const stage = variant === 'A' ? 'retrainA' : 'retrainB';
      const model: TrainedModel = await loadModel(
        await Promise.all(
          ['model.json', 'weights.bin'].map(async (name) => ({
            name,
            bytes: await read(stage, name),
          })),
        ),
      );
      const userIds = (await readUsersParquet(await read('preprocess', 'users.parquet'))).ids();
      const { items } = await readItemsParquet(await read('preprocess', 'items.parquet'));
      const split = async (name: string): Promise<Csr> => {
        const t = await readInteractionsParquet(await read('preprocess', `${name}.parquet`));
        return csrFromCoo(t.user, t.item, t.n, model.nUsers);
      };
      const dense = [0, 1, 7, 42, 99, model.nUsers - 1];
      const want = await pipelineTopK(
        model,
        dense,
        [await split('train'), await split('valid')],
        items.ids(),
        K,
      );
      model.dispose();
      return {
        version: registration.versions[variant],
        users: dense.map((u) => userIds[u]!),
        want,
      };
    });
  }, 240_000);

  it('registers MLflow models: MLmodel with onnx and python_function flavors', async () => {
    const version = await mlflow.registry.getVersionByAlias(config.name, 'champion');
    expect(version?.version).toBe(champion.version);
    expect(tagMap(version!.tags).mlflow_flavor).toBe('onnx');
    const root = await mlflow.artifacts.uri(version!.run_id!);
    const dir = version!.source!.slice(root.length + 1);
    const names = (await mlflow.artifacts.list(version!.run_id!, dir)).map((f) => f.path);
    for (const f of ['MLmodel', 'model.onnx', 'requirements.txt', 'conda.yaml', 'native'])
      expect(names).toContain(`${dir}/${f}`);
    const mlmodel = new TextDecoder().decode(
      await mlflow.artifacts.download(version!.run_id!, `${dir}/MLmodel`),
    );
    expect(mlmodel).toContain('loader_module: mlflow.onnx');
  });

  it('mlflow.pyfunc loads models:/<name>@champion and ranks as the pipeline does', async () => {
    const got = await pyfuncPredict(uri, champion.users, env);
    const lists = listsOfRows(got.rows, champion.users);
    champion.users.forEach((u, r) =>
      expectSameLists(lists[r]!.slice(0, K), champion.want[r]!, `pyfunc user ${u}`),
    );
  }, 60_000);

  describe('mlflow models serve', () => {
    let server: ReturnType<typeof spawn> | undefined;
    let url = '';

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      server = spawn(
        join(PROJECT_ROOT, '.venv', 'bin', 'mlflow'),
        [
          'models',
          'serve',
          '-m',
          uri,
          '--env-manager',
          'local',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-w',
          '1',
        ],
        {
          // The scoring server runs `uvicorn` from PATH: the venv's.
          env: {
            ...process.env,
            ...env,
            PATH: `${join(PROJECT_ROOT, '.venv', 'bin')}:${process.env.PATH}`,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
          detached: true,
        },
      );
      let log = '';
      server.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (server.exitCode !== null) throw new Error(`mlflow models serve exited: ${log}`);
        const ok = await fetch(`${url}/ping`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`mlflow models serve did not start: ${log}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }, 120_000);

    afterAll(async () => {
      if (!server || server.exitCode !== null) return;
      // The server's own process group: the CLI and the uvicorn worker it started.
      process.kill(-server.pid!, 'SIGTERM');
      await once(server, 'exit');
    });

    it('answers a REST request with the same lists', async () => {
      const res = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          dataframe_split: { columns: ['user_id'], data: champion.users.map((u) => [u]) },
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        predictions: { user: string; rank: number; item: string; score: number }[];
      };
      const rows = body.predictions.map(
        (p) => [p.user, p.rank, p.item, p.score] as [string, number, string, number],
      );
      const lists = listsOfRows(rows, champion.users);
      champion.users.forEach((u, r) =>
        expectSameLists(lists[r]!.slice(0, K), champion.want[r]!, `REST user ${u}`),
      );
    });
  });

  it('`augment recommend --model champion` prints the same lists', async () => {
    const args = ['recommend', '--name', config.name, '--model', 'champion', '--k', String(K)];
    for (const u of [...champion.users, 'no-such-user']) args.push('--user', u);
    const { stdout } = await runFile(
      process.execPath,
      [join(PROJECT_ROOT, 'bin', 'augment.mjs'), ...args, '--json'],
      {
        cwd: PROJECT_ROOT,
        env: { ...childProcessEnv(settings), ...env },
        timeout: 60_000,
      },
    );
    const out = JSON.parse(stdout) as {
      version: string;
      users: { user: string; items: Recommendation[] }[];
    };
    expect(out.version).toBe(champion.version);
    champion.users.forEach((u, r) => {
      expect(out.users[r]!.user).toBe(u);
      expectSameLists(out.users[r]!.items, champion.want[r]!, `recommend user ${u}`);
    });
    expect(out.users.at(-1)).toEqual({ user: 'no-such-user', items: [] });
  }, 60_000);

  it("lists the splits and training sets as the run's datasets, in a model-training experiment", async () => {
    const res = await fetch(
      `${settings.mlflow.trackingUri}/api/2.0/mlflow/runs/get?run_id=${parentRunId}`,
    );
    const run = (await res.json()) as {
      run: {
        inputs?: {
          dataset_inputs?: {
            dataset: { name: string; digest: string; source_type: string; source: string };
            tags?: { key: string; value: string }[];
          }[];
        };
      };
    };
    const inputs = run.run.inputs?.dataset_inputs ?? [];
    const byName = Object.fromEntries(inputs.map((i) => [i.dataset.name, i]));
    expect(Object.keys(byName).sort()).toEqual([
      'test',
      'train',
      'training set A (real)',
      'training set B (augmented)',
      'valid',
    ]);
    const train = byName.train!;
    expect(train.dataset.source_type).toBe('s3');
    expect(JSON.parse(train.dataset.source).uri).toMatch(/^s3:\/\/.+\/train\.parquet$/);
    expect(train.dataset.digest).toMatch(/^[0-9a-f]{32}$/);
    expect(train.tags).toContainEqual({ key: 'mlflow.data.context', value: 'training' });
    expect(byName.test!.tags).toContainEqual({ key: 'mlflow.data.context', value: 'test' });

    const exp = await fetch(
      `${settings.mlflow.trackingUri}/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`,
    ).then((r) => r.json() as Promise<{ experiment: { tags?: { key: string; value: string }[] } }>);
    expect(exp.experiment.tags).toContainEqual({
      key: 'mlflow.experimentKind',
      value: 'custom_model_development',
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
