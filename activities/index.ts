import type { ConnectionSettings } from '../lib/config/env.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import type { MlflowClient } from '../lib/tracking/index.ts';
import { evaluateActivity } from './evaluate.ts';
import { experimentActivities } from './experiment.ts';
import { expandLlmActivity } from './expand-llm.ts';
import { generateGanActivity } from './generate-gan.ts';
import { ingestActivity } from './ingest.ts';
import { preprocessActivity } from './preprocess.ts';
import { registerActivity } from './register.ts';
import { reportActivity } from './report.ts';
import { resampleActivity } from './resample.ts';
import { retrainActivities } from './retrain.ts';
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

/** Activities are built from their clients, so workers pass real ones and tests their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ingest: ingestActivity(deps.store, deps.s3),
    preprocess: preprocessActivity(deps.store),
    trainGan: trainGanActivity(deps.store),
    generateGan: generateGanActivity(deps.store),
    expandLlm: expandLlmActivity(deps.store),
    resample: resampleActivity(deps.store),
    ...retrainActivities(deps.store),
    evaluate: evaluateActivity(deps.store),
    register: registerActivity(deps.store, deps.mlflow),
    report: reportActivity(deps.store),
    ...trackingActivities(deps.mlflow, deps.experiment, deps.store),
    ...experimentActivities(deps.store, deps.mlflow, deps.experiment),
  };
}
