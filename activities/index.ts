import type { ConnectionSettings } from '../lib/config/env.ts';
import type { GpuActivityName, QueueKind } from '../lib/contracts/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import type { MlflowClient } from '../lib/tracking/index.ts';
import { evaluateActivity } from './evaluate.ts';
import { experimentActivities } from './experiment.ts';
import { expandLlmActivity } from './expand-llm.ts';
import { generateGanActivity } from './generate-gan.ts';
import { ingestActivity } from './ingest.ts';
import { preprocessActivity } from './preprocess.ts';
import { registerActivity } from './register.ts';
import { policyActivity } from './policy.ts';
import { reportActivity } from './report.ts';
import { resampleActivity } from './resample.ts';
import { retrainActivities } from './retrain.ts';
import { teacherActivity } from './teacher.ts';
import { trackingActivities } from './track.ts';
import { trainGanActivity } from './train-gan.ts';

export interface ActivityDeps {
  store: ArtifactStore;
  /** S3 settings for reading `s3://` data sources outside the artifact store. */
  s3: ConnectionSettings['s3'];
  mlflow: MlflowClient;
  /** MLflow experiment prefix; each pipeline name gets `<prefix>/<name>`. */
  experiment: string;
}

/**
 * Activities of the cpu task queue: data stages, the teacher's baselines (closed form or
 * neighbourhoods, no training loop), evaluation, the report and everything
 * that talks to MLflow (tracking, registry, experiment bookkeeping).
 */
export function createCpuActivities(deps: ActivityDeps) {
  return {
    ingest: ingestActivity(deps.store, deps.s3),
    preprocess: preprocessActivity(deps.store),
    teacher: teacherActivity(deps.store),
    resample: resampleActivity(deps.store),
    evaluate: evaluateActivity(deps.store),
    register: registerActivity(deps.store, deps.mlflow),
    report: reportActivity(deps.store),
    ...trackingActivities(deps.mlflow, deps.experiment, deps.store),
    ...experimentActivities(deps.store, deps.mlflow, deps.experiment),
  };
}

/**
 * Activities of the gpu task queue: the stages that train or run models (GAN, the LLM or
 * its item-sequence fallback, the A/B recommenders). They need the artifact store only.
 */
export function createGpuActivities(deps: Pick<ActivityDeps, 'store'>) {
  return {
    trainGan: trainGanActivity(deps.store),
    generateGan: generateGanActivity(deps.store),
    expandLlm: expandLlmActivity(deps.store),
    // The policy search trains one model per candidate: training work.
    policy: policyActivity(deps.store),
    ...retrainActivities(deps.store),
    // GPU_ACTIVITIES, the list the CLI maps running activities to queues by, names these
    // (and queue-routing.test.ts checks that it names no more).
  } satisfies Record<GpuActivityName, unknown>;
}

export type CpuActivities = ReturnType<typeof createCpuActivities>;
export type GpuActivities = ReturnType<typeof createGpuActivities>;

/** What a worker of each queue registers; workflows proxy each queue with its own type. */
export interface QueueActivities {
  cpu: CpuActivities;
  gpu: GpuActivities;
}

/** The builder of each queue's activities (a worker registers only its own queue's). */
export const createQueueActivities: {
  [K in QueueKind]: (deps: ActivityDeps) => QueueActivities[K];
} = { cpu: createCpuActivities, gpu: createGpuActivities };
