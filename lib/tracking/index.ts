import type { ConnectionSettings } from '../config/env.ts';
import { MlflowClient } from './mlflow.ts';

export { MlflowClient } from './mlflow.ts';
export type { Experiment, Run, RunInfo, ModelVersion, FileInfo } from './mlflow.ts';
export { MlflowError } from './http.ts';
export type { HttpOptions } from './http.ts';
export { splitBatch, fitParam, flattenParams, BATCH_LIMITS, MAX_PARAM_VALUE } from './batch.ts';
export type { Metric, KeyValue, Batch } from './batch.ts';

/** The one way to build the tracking client from connection settings. */
export function createTracker(
  s: ConnectionSettings['mlflow'],
  logger?: { warn(msg: string): void },
): MlflowClient {
  return new MlflowClient({
    baseUrl: s.trackingUri,
    token: s.token,
    username: s.username,
    password: s.password,
    logger,
  });
}
