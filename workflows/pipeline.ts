import { isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import { NON_RETRYABLE_ERRORS, STAGES, progressQuery } from '../lib/contracts/index.ts';
import type { PipelineInput, PipelineResult, StageName } from '../lib/contracts/index.ts';
import { StageTracker } from './stage-tracker.ts';

type Activities = ReturnType<typeof activities.createActivities>;

/** Short data stages: minutes, heartbeats between phases, quick retries. */
function cpuStageOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '5 minutes',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: 6,
      nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
    },
  };
}

/**
 * The augmentation pipeline: each stage a cached activity returning a small reference.
 * Stages that do not exist yet are not wired (no stubs); `until` stops early.
 */
export async function pipeline(input: PipelineInput): Promise<PipelineResult> {
  const runId = workflowInfo().workflowId;
  const lastIndex = input.until ? STAGES.indexOf(input.until) : STAGES.length - 1;
  const planned = STAGES.slice(0, lastIndex + 1);
  const tracker = new StageTracker(runId, STAGES);
  tracker.skip(STAGES.slice(lastIndex + 1));
  setHandler(progressQuery, () => tracker.snapshot());

  const cpu = proxyActivities<Activities>(cpuStageOptions(input.queues.cpu));
  const { config } = input;
  const wants = (s: StageName) => planned.includes(s);

  try {
    const ingest = await tracker.run('ingest', () =>
      cpu.ingest({ runId, config: { data: config.data, seed: config.seed }, inputs: {} }),
    );
    if (wants('preprocess')) {
      await tracker.run('preprocess', () =>
        cpu.preprocess({
          runId,
          config: { preprocess: config.preprocess, seed: config.seed },
          inputs: { ingest },
        }),
      );
    }
    tracker.state = 'completed';
    return { runId, stages: tracker.list() };
  } catch (err) {
    tracker.state = isCancellation(err) ? 'cancelled' : 'failed';
    throw err;
  }
}
