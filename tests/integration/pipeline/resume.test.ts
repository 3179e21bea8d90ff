import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../lib/config/pipeline.ts';
import {
  resumePipeline,
  startPipeline,
  watchPipeline,
} from '../../../lib/runtime/pipeline-client.ts';
import { testSettings, withWorkers } from '../../helpers/temporal.ts';

const config = parsePipelineConfig({
  name: 'resume-test',
  data: { source: 'synthetic:users=300,items=150,interactions=6000,seed=21' },
  preprocess: { kCore: 2 },
});

describe('resume after a failure', () => {
  it('redoes only the stage that failed; finished stages come back cached', async () => {
    const settings = testSettings();
    // First worker: preprocess fails with a final (non-retryable) error.
    const failing = await withWorkers(
      settings,
      async ({ client }) => {
        const summary = await watchPipeline(
          await startPipeline(client, settings, config, { until: 'preprocess' }),
        );
        expect(summary.status).toBe('failed');
        expect(summary.stages.map((s) => [s.name, s.status])).toEqual([
          ['ingest', 'done'],
          ['preprocess', 'failed'],
        ]);
        expect(summary.error).toContain('injected fault');
        await expect(resumePipeline(client, 'no-such-run')).rejects.toThrow();
        return summary;
      },
      {
        wrapActivity: (name, fn) =>
          (name === 'preprocess'
            ? async () => {
                throw ApplicationFailure.nonRetryable('injected fault', 'InjectedFault');
              }
            : fn) as typeof fn,
      },
    );
    // A healthy worker: resume runs preprocess only.
    await withWorkers(settings, async ({ client }) => {
      const resumed = await watchPipeline(await resumePipeline(client, failing.workflowId));
      expect(resumed.workflowId).toBe(failing.workflowId);
      expect(resumed.status).toBe('completed');
      expect(resumed.stages.map((s) => [s.name, s.status])).toEqual([
        ['ingest', 'cached'],
        ['preprocess', 'done'],
      ]);
      // Same MLflow parent run: it is found by the workflow id.
      expect(resumed.tracking.mlflow?.runId).toBe(failing.tracking.mlflow?.runId);
      await expect(resumePipeline(client, failing.workflowId)).rejects.toThrow(
        /completed; nothing to resume/,
      );
    });
  });
});
