import type { ConnectionSettings } from '../config/env.ts';
import { MlflowClient } from './mlflow.ts';
import type { MlflowClientSettings, TrackingLogger } from './options.ts';

export { MlflowClient } from './mlflow.ts';
export type {
  CreateRunInput,
  DatasetInput,
  LogBatchInput,
  LogBatchResult,
  PingResult,
} from './mlflow.ts';
export { ArtifactsApi, checkArtifactPath, proxyRoot } from './artifacts.ts';
export { RegistryApi } from './registry.ts';
export type { CreateModelVersionInput } from './registry.ts';
export { MlflowError, TrackingInputError } from './errors.ts';
export { resolveClientOptions } from './options.ts';
export type {
  LongParamPolicy,
  MlflowClientOptions,
  MlflowClientSettings,
  ResolvedClientOptions,
  TrackingLogger,
} from './options.ts';
export {
  DEFAULT_RETRY,
  backoffDelay,
  isRetryableNetworkCode,
  isRetryableStatus,
  networkErrorCode,
  retryAfterMs,
} from './retry.ts';
export type { RetryPolicy } from './retry.ts';
export {
  BATCH_LIMITS,
  MAX_KEY,
  MAX_PARAM_VALUE,
  MAX_TAG_VALUE,
  checkKey,
  fitParam,
  fitValue,
  flattenParams,
  paramText,
  splitBatch,
} from './batch.ts';
export type { Batch, KeyValue, Metric, MetricInput, WireMetric } from './batch.ts';
export { tagMap } from './types.ts';
export type {
  Experiment,
  FileInfo,
  ModelVersion,
  ModelVersionStatus,
  RegisteredModel,
  Run,
  RunData,
  RunInfo,
  RunStatus,
} from './types.ts';

/**
 * The one way to build the tracking client from connection settings. Its users are
 * activities, so it makes one attempt per call: Temporal's retry policy
 * (workflows/pipeline.ts, `trackingOptions`) owns retries and backoff, and the client's
 * classification (MlflowError.retryable, Retry-After) decides which failures it retries.
 */
export function createTracker(
  s: ConnectionSettings['mlflow'],
  logger?: TrackingLogger,
  extra: Omit<MlflowClientSettings, 'token' | 'username' | 'password' | 'logger'> = {},
): MlflowClient {
  return new MlflowClient({
    trackingUri: s.trackingUri,
    token: s.token,
    username: s.username,
    password: s.password,
    logger,
    ...extra,
  });
}
