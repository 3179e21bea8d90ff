import { pathToFileURL } from 'node:url';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { createCpuActivities, createGpuActivities } from '../../../activities/index.ts';
import type { CpuActivities, GpuActivities } from '../../../activities/index.ts';
import { GPU_ACTIVITIES, STAGES, queueOfActivity } from '../../../lib/contracts/index.ts';
import { createStore } from '../../../lib/store/index.ts';
import { MlflowClient } from '../../../lib/tracking/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

/**
 * Which queue runs which activity is part of the types: the workflows proxy each queue
 * with its own activity interface and each worker registers only its own queue's.
 */

// Type-level checks: `npm run typecheck` fails when one of the expected errors below does
// not occur, i.e. when an activity becomes reachable from the wrong queue's proxy.
// Never called: the proxies' types are what is under test.
const _wronglyRoutedCallsDoNotCompile = (
  cpu: ActivityInterfaceFor<CpuActivities>,
  gpu: ActivityInterfaceFor<GpuActivities>,
): void => {
  // @ts-expect-error GAN training runs on the gpu queue only
  void cpu.trainGan;
  // @ts-expect-error retraining runs on the gpu queue only
  void cpu.retrainB;
  // @ts-expect-error the LLM expansion runs on the gpu queue only
  void cpu.expandLlm;
  // @ts-expect-error data stages run on the cpu queue only
  void gpu.ingest;
  // @ts-expect-error MLflow calls run on the cpu queue only
  void gpu.trackStage;
  void cpu.evaluate;
  void gpu.retrainA;
};

/** `true` only when no activity name is on both queues. */
type Disjoint = [keyof CpuActivities & keyof GpuActivities] extends [never] ? true : false;
const disjoint: Disjoint = true;

function build() {
  const s3 = { region: 'us-east-1', forcePathStyle: true };
  const store = createStore(pathToFileURL(tempDir()).href, s3);
  // Nothing is sent: building the activities makes no request.
  const mlflow = new MlflowClient({ trackingUri: 'http://127.0.0.1:9' });
  const cpu = createCpuActivities({
    store,
    s3,
    mlflow,
    experiment: 'routing',
  });
  const gpu = createGpuActivities({ store });
  return { cpu: Object.keys(cpu), gpu: Object.keys(gpu) };
}

describe('task-queue routing', () => {
  it('every stage is registered on exactly one queue; training stages on gpu', () => {
    expect(disjoint).toBe(true);
    const { cpu, gpu } = build();
    expect(cpu.filter((name) => gpu.includes(name))).toEqual([]);
    for (const stage of STAGES)
      expect([cpu.includes(stage), gpu.includes(stage)].filter(Boolean), stage).toHaveLength(1);
    expect(gpu.sort()).toEqual([
      'expandLlm',
      'generateGan',
      'policy',
      'retrainA',
      'retrainB',
      'trainGan',
    ]);
    // The list the CLI maps running activities to queues by (run --wait's worker hint).
    expect([...GPU_ACTIVITIES].sort()).toEqual(gpu);
    for (const name of cpu) expect(queueOfActivity(name), name).toBe('cpu');
    for (const name of ['trackStart', 'trackStage', 'trackEnd', 'register', 'compareExperiment'])
      expect(cpu).toContain(name);
  });
});
