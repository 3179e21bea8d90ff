import { decodeNumber } from './batch.ts';
import type { KeyValue, Metric } from './batch.ts';

// Entities keep MLflow's wire names (snake_case), so they read like the REST docs.

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  /** `active` or `deleted`. */
  lifecycle_stage?: string;
  tags?: KeyValue[];
  creation_time?: number;
  last_update_time?: number;
}

export interface RunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: RunStatus;
  start_time?: number;
  end_time?: number;
  /** With the artifact proxy: `mlflow-artifacts:/<experiment>/<run>/artifacts`. */
  artifact_uri: string;
  lifecycle_stage?: string;
  user_id?: string;
}

export interface RunData {
  /** Latest value per key. */
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
}

export interface FileInfo {
  /** Relative to the run's artifact root. */
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface RegisteredModel {
  name: string;
  description?: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  tags: KeyValue[];
  aliases: { alias: string; version: string }[];
}

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface ModelVersion {
  name: string;
  version: string;
  source?: string;
  run_id?: string;
  status?: ModelVersionStatus;
  status_message?: string;
  description?: string;
  creation_timestamp?: number;
  tags: KeyValue[];
  /** Aliases pointing at this version. Empty in search results: MLflow 3.17 omits them there. */
  aliases: string[];
}

/** Tags as an object (last value wins), for reading back. */
export function tagMap(kvs: readonly KeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((kvs ?? []).map((t) => [t.key, t.value]));
}

/** Turns `{a: '1'}` into MLflow's `[{key: 'a', value: '1'}]`. */
export function toKeyValues(obj: Record<string, string> | undefined): KeyValue[] {
  return Object.entries(obj ?? {}).map(([key, value]) => ({ key, value }));
}

type Raw<T> = Partial<Record<keyof T, unknown>>;

const num = (v: unknown): number | undefined =>
  v === undefined || v === null ? undefined : Number(v);

export function normMetric(m: Raw<Metric>): Metric {
  return {
    key: String(m.key),
    value: decodeNumber(m.value),
    timestamp: Number(m.timestamp ?? 0),
    step: Number(m.step ?? 0),
  };
}

/** Fills in what MLflow leaves out of JSON (empty lists, zero steps) and fixes number types. */
export function normRun(raw: {
  info: RunInfo;
  data?: Partial<Record<keyof RunData, unknown[]>>;
}): Run {
  const info = { ...raw.info };
  info.start_time = num(info.start_time);
  info.end_time = num(info.end_time);
  return {
    info,
    data: {
      metrics: ((raw.data?.metrics ?? []) as Raw<Metric>[]).map(normMetric),
      params: (raw.data?.params ?? []) as KeyValue[],
      tags: (raw.data?.tags ?? []) as KeyValue[],
    },
  };
}

export function normModelVersion(raw: Partial<ModelVersion>): ModelVersion {
  return {
    ...raw,
    name: String(raw.name),
    version: String(raw.version),
    creation_timestamp: num(raw.creation_timestamp),
    tags: raw.tags ?? [],
    aliases: raw.aliases ?? [],
  };
}

export function normRegisteredModel(raw: Partial<RegisteredModel>): RegisteredModel {
  return {
    ...raw,
    name: String(raw.name),
    tags: raw.tags ?? [],
    aliases: raw.aliases ?? [],
  };
}
