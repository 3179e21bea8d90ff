import { TrackingInputError } from './errors.ts';
import type { LongParamPolicy } from './options.ts';

/**
 * MLflow's per-call limits for runs/log-batch (MLflow 3 `mlflow/utils/validation.py`).
 * `bytes` is the documented 1 MB request limit; MLflow 3.17's own check of it is a no-op
 * (it measures the parsed dict), but proxies in front of a shared server may enforce it.
 */
export const BATCH_LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  total: 1000,
  bytes: 1_000_000,
} as const;

/** Longest param value MLflow 3 stores, in characters (Unicode code points). */
export const MAX_PARAM_VALUE = 6000;
/** Longest run tag value MLflow stores. */
export const MAX_TAG_VALUE = 8000;
/** Longest metric, param or tag key. */
export const MAX_KEY = 250;

/** A metric as MLflow returns it. Non-finite values round-trip as NaN / +-1.8e308. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** A metric to log; step defaults to 0, timestamp to now. */
export interface MetricInput {
  key: string;
  value: number;
  step?: number;
  timestamp?: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

/** A metric on the wire: JSON has no NaN or Infinity, MLflow accepts them as strings. */
export interface WireMetric {
  key: string;
  value: number | 'NaN' | 'Infinity' | '-Infinity';
  timestamp: number;
  step: number;
}

/** The entities of one log-batch call. */
export interface Batch {
  metrics: WireMetric[];
  params: KeyValue[];
  tags: KeyValue[];
}

// MLflow (non-Windows servers): alphanumerics (any script), _ - . space : and /.
const VALID_KEY = /^[\p{L}\p{N}_\-. :/]+$/u;

/**
 * Checks a metric/param/tag key the way the server does, so a bad key fails before the
 * first chunk of a batch is sent rather than halfway through.
 */
export function checkKey(kind: string, key: string): string {
  if (typeof key !== 'string' || key === '')
    throw new TrackingInputError(`${kind} key`, 'is empty');
  if (key.length > MAX_KEY)
    throw new TrackingInputError(
      `${kind} key`,
      `longer than ${MAX_KEY} characters: ${key.slice(0, 40)}...`,
    );
  if (!VALID_KEY.test(key))
    throw new TrackingInputError(
      `${kind} key ${JSON.stringify(key)}`,
      'may only contain letters, digits, _ - . : space and /',
    );
  // MLflow may store keys as file names, so they must be normalised relative paths.
  if (key.startsWith('..') || key.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new TrackingInputError(
      `${kind} key ${JSON.stringify(key)}`,
      'is not a normalised relative path',
    );
  return key;
}

/**
 * The truncation rule, applied to params (6000) and tags (8000): a value of at most
 * `limit` characters - counted in Unicode code points, as the server counts - is kept
 * as is. A longer one keeps its head and ends with `...[truncated N chars]`, N being the
 * number of characters cut, so the result is exactly `limit` characters and the loss is
 * visible in the UI. (The server would cut silently.)
 */
export function fitValue(value: string, limit: number): { value: string; cut: number } {
  if (value.length <= limit) return { value, cut: 0 };
  const chars = Array.from(value); // code points: never split a surrogate pair
  if (chars.length <= limit) return { value, cut: 0 };
  // The marker's length depends on N, which depends on the marker. `keep` only shrinks
  // and N only grows, so this settles within a couple of rounds.
  let keep = limit;
  for (;;) {
    const marker = `...[truncated ${chars.length - keep} chars]`;
    const next = Math.max(0, limit - marker.length);
    if (next === keep)
      return { value: chars.slice(0, keep).join('') + marker, cut: chars.length - keep };
    keep = next;
  }
}

/** How a param value becomes text: strings as is, everything else as JSON (`5`, `true`, `[1,2]`). */
export function paramText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value) ?? String(value);
}

/**
 * A param fitted into MLflow's limits (see `fitValue`). With policy `'error'` an over-long
 * value throws instead of being cut.
 */
export function fitParam(
  key: string,
  value: unknown,
  policy: LongParamPolicy = 'truncate',
): KeyValue & { cut: number } {
  checkKey('param', key);
  const text = paramText(value);
  const fitted = fitValue(text, MAX_PARAM_VALUE);
  if (fitted.cut > 0 && policy === 'error')
    throw new TrackingInputError(
      `param ${key}`,
      `value has ${Array.from(text).length} characters; MLflow stores at most ${MAX_PARAM_VALUE}`,
    );
  return { key, value: fitted.value, cut: fitted.cut };
}

/** Checks a metric and encodes it for the wire (NaN and infinities as strings). */
export function encodeMetric(m: MetricInput, now: number): WireMetric {
  checkKey('metric', m.key);
  const { value } = m;
  if (typeof value !== 'number')
    throw new TrackingInputError(`metric ${m.key}`, `value must be a number, got ${typeof value}`);
  const step = m.step ?? 0;
  const timestamp = m.timestamp ?? now;
  if (!Number.isSafeInteger(step))
    throw new TrackingInputError(`metric ${m.key}`, `step must be an integer, got ${step}`);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new TrackingInputError(
      `metric ${m.key}`,
      `timestamp must be epoch ms >= 0, got ${timestamp}`,
    );
  const wire: WireMetric['value'] = Number.isNaN(value)
    ? 'NaN'
    : value === Infinity
      ? 'Infinity'
      : value === -Infinity
        ? '-Infinity'
        : value;
  return { key: m.key, value: wire, timestamp, step };
}

/** Reads a metric value back: MLflow returns NaN as the string "NaN". */
export function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

const sizeOf = (entry: object) => Buffer.byteLength(JSON.stringify(entry), 'utf8') + 1;

/**
 * Splits any number of metrics, params and tags into log-batch calls that respect every
 * limit: at most 1000 metrics, 100 params, 100 tags and 1000 entities per call, and at most
 * `maxBytes` of JSON. Each call is filled with params first, then tags, then metrics, so
 * the number of calls is the minimum the count limits allow and a run's identity lands
 * before its bulk metrics. Order within each kind is kept.
 */
export function splitBatch(all: Batch, maxBytes: number = BATCH_LIMITS.bytes): Batch[] {
  const out: Batch[] = [];
  // Room for `{"run_id":"<32 hex>","metrics":[],"params":[],"tags":[]}` and then some.
  const envelope = 128;
  let pi = 0;
  let ti = 0;
  let mi = 0;
  while (pi < all.params.length || ti < all.tags.length || mi < all.metrics.length) {
    const cur: Batch = { metrics: [], params: [], tags: [] };
    let bytes = envelope;
    let n = 0;
    const take = <E extends object>(from: E[], start: number, cap: number, into: E[]): number => {
      let i = start;
      while (i < from.length && into.length < cap && n < BATCH_LIMITS.total) {
        const size = sizeOf(from[i]!);
        // An entry always fits an empty call (keys <= 250, values <= 8000 chars).
        if (n > 0 && bytes + size > maxBytes) break;
        into.push(from[i]!);
        bytes += size;
        n++;
        i++;
      }
      return i;
    };
    pi = take(all.params, pi, BATCH_LIMITS.params, cur.params);
    ti = take(all.tags, ti, BATCH_LIMITS.tags, cur.tags);
    mi = take(all.metrics, mi, BATCH_LIMITS.metrics, cur.metrics);
    out.push(cur);
  }
  return out;
}

/**
 * Flattens a nested config into dotted params (`preprocess.kCore` = `5`); arrays and
 * scalars become text as `paramText` says. Undefined values are skipped.
 */
export function flattenParams(obj: unknown, prefix = ''): KeyValue[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return prefix ? [{ key: prefix, value: paramText(obj) }] : [];
  }
  return Object.entries(obj as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => flattenParams(v, prefix ? `${prefix}.${k}` : k));
}
