import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import { startPipeline, watchPipeline } from '../../../lib/runtime/pipeline-client.ts';
import { connectClient } from '../../../lib/temporal/connection.ts';
import { ENCRYPTED_ENCODING } from '../../../lib/temporal/codec.ts';
import { MlflowClient } from '../../../lib/tracking/index.ts';
import { FakeOpenAi } from '../../helpers/fake-openai.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';

const config = parsePipelineConfig({
  name: 'secrets-test',
  data: { source: 'synthetic:users=200,items=100,interactions=4000,seed=5' },
  preprocess: { kCore: 2 },
});

/** Every string and every byte array (as UTF-8) inside a value, for scanning. */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) value.forEach((v) => texts(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => texts(v, out));
  return out;
}

function leaks(haystack: string[], secrets: string[]): string[] {
  return secrets.filter((s) => haystack.some((h) => h.includes(s)));
}

describe('secrets stay out of Temporal and MLflow', () => {
  const stack = inject('stack');
  const mlflowToken = `tok-${randomBytes(12).toString('hex')}`;
  const llmKey = `sk-${randomBytes(12).toString('hex')}`;
  const secrets = [stack.s3Credentials.secretAccessKey, mlflowToken, llmKey];

  it('a run leaves no secret in its history, MLflow params or tags', async () => {
    const settings = testSettings({ MLFLOW_TRACKING_TOKEN: mlflowToken });
    // The LLM key reaches the (in-process) worker through its environment only.
    const llm = new FakeOpenAi();
    const baseUrl = await llm.start();
    process.env.SECRETS_TEST_LLM_KEY = llmKey;
    const withLlm = parsePipelineConfig({
      ...config,
      gan: { enabled: false },
      llm: {
        provider: 'openai',
        users: 10,
        // One prompt per user to count (one step back would ask each again).
        oneStepBack: false,
        openai: { baseUrl, model: 'fake-model', apiKeyEnv: 'SECRETS_TEST_LLM_KEY' },
      },
    });
    await withWorkers(settings, async ({ client }) => {
      const handle = await startPipeline(client, settings, withLlm, { until: 'expandLlm' });
      const summary = await watchPipeline(handle);
      expect(summary.status).toBe('completed');
      // The key was used: the endpoint saw it as the bearer token of every request.
      expect(llm.requests).toHaveLength(10);
      expect(llm.requests.every((r) => r.headers.authorization === `Bearer ${llmKey}`)).toBe(true);
      const history = await handle.fetchHistory();
      const found = texts(history);
      // The scan sees real content: the config's source is in the (unencrypted) history.
      expect(found.some((t) => t.includes('synthetic:users=200'))).toBe(true);
      expect(leaks(found, secrets)).toEqual([]);

      const mlflow = new MlflowClient({ trackingUri: settings.mlflow.trackingUri });
      const ref = summary.tracking.mlflow!;
      const runs = await mlflow.searchRuns(
        [ref.experimentId],
        `tags.workflow_id = '${handle.workflowId}'`,
      );
      const children = await mlflow.searchRuns(
        [ref.experimentId],
        `tags.mlflow.parentRunId = '${ref.runId}'`,
      );
      const tracked = texts([...runs, ...children].map((r) => r.data));
      expect(tracked.some((t) => t.includes('secrets-test'))).toBe(true);
      expect(leaks(tracked, secrets)).toEqual([]);
      expect(leaks([JSON.stringify(summary)], secrets)).toEqual([]);
    }).finally(async () => {
      delete process.env.SECRETS_TEST_LLM_KEY;
      await llm.close();
    });
  });

  it('with TEMPORAL_PAYLOAD_KEY, the server stores only ciphertext', async () => {
    const key = randomBytes(32).toString('base64');
    const settings = testSettings({ TEMPORAL_PAYLOAD_KEY: key });
    await withWorkers(settings, async ({ client }) => {
      const handle = await startPipeline(client, settings, config, { until: 'ingest' });
      const summary = await watchPipeline(handle);
      expect(summary.status).toBe('completed');
      expect(summary.stages[0]!.status).toMatch(/done|cached/);
      // A client without the key reads the raw history: payloads are encrypted.
      const plain = await connectClient({ ...settings.temporal, payloadKey: undefined });
      try {
        const history = await plain.workflow.getHandle(handle.workflowId).fetchHistory();
        const raw = texts(history);
        expect(raw.some((t) => t.includes('synthetic:users=200'))).toBe(false);
        expect(raw.some((t) => t.includes(ENCRYPTED_ENCODING))).toBe(true);
        await expect(plain.workflow.getHandle(handle.workflowId).result()).rejects.toThrow();
      } finally {
        await plain.connection.close();
      }
    });
  });
});
