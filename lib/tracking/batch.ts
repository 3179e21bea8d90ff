/** MLflow's per-call limits for runs/log-batch (server-enforced). */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

/** MLflow 3's longest param value; longer values are cut and marked (see `fitParam`). */
export const MAX_PARAM_VALUE = 6000;
/** Longest tag value MLflow stores. */
export const MAX_TAG_VALUE = 8000;
export const MAX_KEY = 250;

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface Batch {
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

/**
 * Splits any number of metrics, params and tags into log-batch calls that respect every
 * limit: at most 1000 metrics, 100 params, 100 tags and 1000 entities per call. Params
 * and tags go first so a run's identity lands before its bulk metrics.
 */
export function splitBatch(all: Batch): Batch[] {
  const out: Batch[] = [];
  let cur: Batch = { metrics: [], params: [], tags: [] };
  const size = (b: Batch) => b.metrics.length + b.params.length + b.tags.length;
  const flush = () => {
    if (size(cur) > 0) out.push(cur);
    cur = { metrics: [], params: [], tags: [] };
  };
  const add = <K extends keyof Batch>(kind: K, item: Batch[K][number]) => {
    if (cur[kind].length >= BATCH_LIMITS[kind] || size(cur) >= BATCH_LIMITS.total) flush();
    (cur[kind] as Batch[K][number][]).push(item);
  };
  for (const p of all.params) add('params', p);
  for (const t of all.tags) add('tags', t);
  for (const m of all.metrics) add('metrics', m);
  flush();
  return out;
}

/**
 * Fits a param into MLflow's limits: keys must be short, values at most 6000 characters.
 * A longer value is cut and ends with `...[truncated N chars]`, so the loss is visible.
 */
export function fitParam(key: string, value: unknown): KeyValue {
  if (key.length > MAX_KEY)
    throw new Error(`param key longer than ${MAX_KEY} characters: ${key.slice(0, 40)}...`);
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  if (s.length <= MAX_PARAM_VALUE) return { key, value: s };
  // The marker's own length changes how much is cut; two rounds settle the digit count.
  let keep = MAX_PARAM_VALUE;
  let marker = '';
  for (let i = 0; i < 3; i++) {
    marker = `...[truncated ${s.length - keep} chars]`;
    keep = MAX_PARAM_VALUE - marker.length;
  }
  return { key, value: s.slice(0, keep) + marker };
}

/** Flattens a nested config into dotted params (`preprocess.kCore` = `5`). */
export function flattenParams(obj: unknown, prefix = ''): KeyValue[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return prefix ? [fitParam(prefix, obj === undefined ? '' : obj)] : [];
  }
  return Object.entries(obj as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => flattenParams(v, prefix ? `${prefix}.${k}` : k));
}
