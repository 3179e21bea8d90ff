import { ArtifactsApi } from './artifacts.ts';
import { MAX_TAG_VALUE, checkKey, encodeMetric, fitParam, fitValue, splitBatch } from './batch.ts';
import type { KeyValue, Metric, MetricInput } from './batch.ts';
import { MlflowError, TrackingInputError } from './errors.ts';
import { HttpClient } from './http.ts';
import { resolveClientOptions } from './options.ts';
import type { MlflowClientOptions, ResolvedClientOptions } from './options.ts';
import { RegistryApi } from './registry.ts';
import { normMetric, normRun, toKeyValues } from './types.ts';
import type { Experiment, Run, RunInfo, RunStatus } from './types.ts';

const API = '/api/2.0/mlflow';

/** A new run: where, what it is called, and (for a nested run) its parent. */
export interface CreateRunInput {
  experimentId: string;
  runName?: string;
  tags?: Record<string, string>;
  /** Makes this a nested run (MLflow's `mlflow.parentRunId` tag). */
  parentRunId?: string;
  /** Epoch ms. @default now */
  startTime?: number;
}

/** Anything a run can be given in one go; split into as many calls as MLflow's limits need. */
export interface LogBatchInput {
  metrics?: MetricInput[];
  params?: Record<string, unknown> | KeyValue[];
  tags?: Record<string, string> | KeyValue[];
}

export interface LogBatchResult {
  /** log-batch calls made. */
  calls: number;
  /** Param and tag keys whose values were cut to fit (see `fitValue`). */
  truncated: string[];
}

/** Result of `ping()`: never throws, says why when unhealthy. */
/** A dataset logged as a run input (MLflow's Dataset entity plus the input's tags). */
export interface DatasetInput {
  name: string;
  /** At most 36 characters (MLflow's limit). */
  digest: string;
  /** `s3`, `local`, ... : the scheme of the source. */
  sourceType: string;
  /** JSON naming where the data is, e.g. `{"uri": "s3://bucket/key"}`. */
  source: string;
  /** JSON, e.g. `{"mlflow_colspec": [{"type": "integer", "name": "user"}]}`. */
  schema?: string;
  /** JSON of summary figures (rows, full hash). */
  profile?: string;
  /** Input tags; `mlflow.data.context` (training, validation, test) labels the use. */
  tags?: Record<string, string>;
}

export interface PingResult {
  healthy: boolean;
  latencyMs: number;
  error?: string;
}

const entries = (x: Record<string, unknown> | KeyValue[] | undefined): [string, unknown][] =>
  Array.isArray(x) ? x.map((kv) => [kv.key, kv.value]) : Object.entries(x ?? {});

/**
 * A typed client over MLflow's REST API on Node's fetch: experiments, runs (nested runs,
 * chunked log-batch, metric history), artifacts through the artifact proxy (`artifacts`)
 * and the model registry (`registry`). Each call is one attempt unless `retry` asks for
 * more; its `MlflowError` says whether another attempt could succeed (5xx, 429, connection
 * errors, timeouts) and never carries the token.
 *
 * Retries (the client's own or Temporal's) can repeat a call the server already applied. That is harmless for reads,
 * tags, params (same value), metrics (the server drops exact duplicates), log-batch and
 * get-or-create, but `createRun` and `registry.createVersion` may then create a second
 * run or version: callers that must be exactly-once look up by tag first.
 */
export class MlflowClient {
  readonly artifacts: ArtifactsApi;
  readonly registry: RegistryApi;
  readonly #http: HttpClient;
  readonly #o: ResolvedClientOptions;
  // A run's artifact URI never changes; caching it saves a runs/get per artifact call.
  readonly #artifactUris = new Map<string, string>();

  constructor(options: MlflowClientOptions) {
    this.#o = resolveClientOptions(options);
    this.#http = new HttpClient(this.#o);
    this.artifacts = new ArtifactsApi(
      this.#http,
      (runId) => this.#artifactUri(runId),
      this.#o.artifactTimeoutMs,
    );
    this.registry = new RegistryApi(this.#http);
  }

  /** The server's base URL (no credentials), e.g. for UI links. */
  get url(): string {
    return this.#http.baseUrl;
  }

  /** UI link to a run. */
  runUrl(experimentId: string, runId: string): string {
    return `${this.url}/#/experiments/${experimentId}/runs/${runId}`;
  }

  /** `GET /health` plus one API call, without retries. Never throws. */
  async ping(): Promise<PingResult> {
    const t0 = performance.now();
    try {
      const health = await this.#http.send({ method: 'GET', path: '/health', retry: false }, (r) =>
        r.text(),
      );
      if (health.trim() !== 'OK')
        throw new Error(`/health answered ${JSON.stringify(health.slice(0, 60))}`);
      await this.#http.send(
        {
          method: 'POST',
          path: `${API}/experiments/search`,
          json: { max_results: 1 },
          retry: false,
        },
        (r) => r.text(),
      );
      return { healthy: true, latencyMs: performance.now() - t0 };
    } catch (err) {
      return { healthy: false, latencyMs: performance.now() - t0, error: (err as Error).message };
    }
  }

  // --- experiments -----------------------------------------------------------------

  /** The experiment of that name (active or deleted), or undefined. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const r = await this.#http.json<{ experiment: Experiment }>(
        'GET',
        `${API}/experiments/get-by-name`,
        { experiment_name: name },
      );
      return r.experiment;
    } catch (err) {
      if (err instanceof MlflowError && err.notFound) return undefined;
      throw err;
    }
  }

  /** Creates an experiment and returns its id; fails with RESOURCE_ALREADY_EXISTS if taken. */
  async createExperiment(name: string, tags?: Record<string, string>): Promise<string> {
    const r = await this.#http.json<{ experiment_id: string }>(
      'POST',
      `${API}/experiments/create`,
      {
        name,
        tags: toKeyValues(tags),
      },
    );
    this.#o.logger.info(
      `MLflow experiment ${JSON.stringify(name)} created (id ${r.experiment_id})`,
    );
    return r.experiment_id;
  }

  /**
   * The id of the experiment of that name, created if missing. Race-safe: when another
   * process creates it first, RESOURCE_ALREADY_EXISTS turns into a lookup. A deleted
   * experiment is an error (MLflow keeps the name; restore it or pick another).
   */
  async getOrCreateExperiment(name: string, tags?: Record<string, string>): Promise<string> {
    let exp = await this.getExperimentByName(name);
    if (!exp) {
      try {
        return await this.createExperiment(name, tags);
      } catch (err) {
        if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
        exp = await this.getExperimentByName(name);
        if (!exp) throw err;
      }
    }
    if (exp.lifecycle_stage === 'deleted')
      throw new TrackingInputError(
        `experiment ${JSON.stringify(name)}`,
        `is deleted (id ${exp.experiment_id}); restore it or choose another name`,
      );
    return exp.experiment_id;
  }

  // --- runs ------------------------------------------------------------------------

  /** Starts a run (status RUNNING). Tag values are fitted like params (8000 characters). */
  async createRun(input: CreateRunInput): Promise<RunInfo> {
    const tags = this.#fitTags({
      ...input.tags,
      ...(input.parentRunId ? { 'mlflow.parentRunId': input.parentRunId } : {}),
    });
    const r = await this.#http.json<{ run: { info: RunInfo } }>('POST', `${API}/runs/create`, {
      experiment_id: input.experimentId,
      run_name: input.runName,
      start_time: input.startTime ?? Date.now(),
      tags,
    });
    const run = normRun(r.run);
    this.#artifactUris.set(run.info.run_id, run.info.artifact_uri);
    return run.info;
  }

  /** Sets a run's status; a terminal status also sets the end time (default now). */
  async updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    const terminal = status === 'FINISHED' || status === 'FAILED' || status === 'KILLED';
    await this.#http.json('POST', `${API}/runs/update`, {
      run_id: runId,
      status,
      end_time: terminal ? (endTime ?? Date.now()) : endTime,
    });
  }

  /** A run with its latest metrics, params and tags. */
  async getRun(runId: string): Promise<Run> {
    const r = await this.#http.json<{ run: Parameters<typeof normRun>[0] }>(
      'GET',
      `${API}/runs/get`,
      {
        run_id: runId,
      },
    );
    const run = normRun(r.run);
    this.#artifactUris.set(runId, run.info.artifact_uri);
    return run;
  }

  /**
   * Runs matching an MLflow filter (`tags.workflow_id = 'x'`, `metrics.ndcg > 0.3`,
   * `tags.mlflow.parentRunId = '<id>'`), following pages up to `maxResults`.
   */
  async searchRuns(
    experimentIds: string[],
    filter = '',
    maxResults = 1000,
    orderBy: string[] = [],
  ): Promise<Run[]> {
    const out: Run[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.#http.json<{
        runs?: Parameters<typeof normRun>[0][];
        next_page_token?: string;
      }>('POST', `${API}/runs/search`, {
        experiment_ids: experimentIds,
        filter,
        max_results: Math.min(maxResults - out.length, 1000),
        order_by: orderBy,
        page_token: pageToken,
      });
      out.push(...(r.runs ?? []).map(normRun));
      pageToken = r.next_page_token || undefined;
    } while (pageToken && out.length < maxResults);
    return out;
  }

  /**
   * Logs datasets as inputs of a run (the run page's "Datasets"). The server keeps one
   * dataset per (name, digest) in the experiment and one input per dataset and run, so
   * logging the same ones again adds nothing.
   */
  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    if (datasets.length === 0) return;
    await this.#http.json('POST', `${API}/runs/log-inputs`, {
      run_id: runId,
      datasets: datasets.map((d) => ({
        dataset: {
          name: d.name,
          digest: d.digest,
          source_type: d.sourceType,
          source: d.source,
          ...(d.schema !== undefined ? { schema: d.schema } : {}),
          ...(d.profile !== undefined ? { profile: d.profile } : {}),
        },
        tags: toKeyValues(d.tags),
      })),
    });
  }

  /** Sets (or overwrites) an experiment tag. */
  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.#http.json('POST', `${API}/experiments/set-experiment-tag`, {
      experiment_id: experimentId,
      key,
      value,
    });
  }

  /** Sets (or overwrites) a run tag. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    const [tag] = this.#fitTags({ [key]: value });
    await this.#http.json('POST', `${API}/runs/set-tag`, { run_id: runId, ...tag });
  }

  /**
   * Logs one param. Params are immutable in MLflow: logging the same value again is fine,
   * a different value fails with INVALID_PARAMETER_VALUE.
   */
  async logParam(runId: string, key: string, value: unknown): Promise<void> {
    await this.logBatch(runId, { params: { [key]: value } });
  }

  /** Logs params (values become text, see `paramText`), in as few calls as allowed. */
  async logParams(runId: string, params: Record<string, unknown>): Promise<LogBatchResult> {
    return this.logBatch(runId, { params });
  }

  /** Logs one metric value at a step (NaN and infinities allowed). */
  async logMetric(
    runId: string,
    key: string,
    value: number,
    step = 0,
    timestamp = Date.now(),
  ): Promise<void> {
    const metric = encodeMetric({ key, value, step, timestamp }, timestamp);
    await this.#http.json('POST', `${API}/runs/log-metric`, { run_id: runId, ...metric });
  }

  /**
   * Logs any number of metrics, params and tags. Everything is validated first, so bad
   * input fails before anything is sent; then it is split into as few log-batch calls as
   * MLflow's limits allow (see `splitBatch`). Params over 6000 characters are cut
   * visibly (or refused, with `longParams: 'error'`); a param key given twice with
   * different values is an error, the same value twice is logged once; for tags the last
   * value wins.
   */
  async logBatch(runId: string, input: LogBatchInput): Promise<LogBatchResult> {
    const now = Date.now();
    const truncated: string[] = [];
    const params = new Map<string, KeyValue>();
    for (const [key, value] of entries(input.params)) {
      const p = fitParam(key, value, this.#o.longParams);
      const prev = params.get(key);
      if (prev && prev.value !== p.value)
        throw new TrackingInputError(`param ${key}`, 'given twice with different values');
      if (p.cut > 0 && !prev) truncated.push(key);
      params.set(key, { key, value: p.value });
    }
    const tagIn = Object.fromEntries(entries(input.tags).map(([k, v]) => [k, String(v)]));
    const tags = this.#fitTags(tagIn, truncated);
    const metrics = (input.metrics ?? []).map((m) => encodeMetric(m, now));
    if (truncated.length > 0)
      this.#o.logger.warn(`MLflow run ${runId}: values cut to fit: ${truncated.join(', ')}`);

    const batches = splitBatch({ metrics, params: [...params.values()], tags });
    for (const b of batches)
      await this.#http.json('POST', `${API}/runs/log-batch`, { run_id: runId, ...b });
    return { calls: batches.length, truncated };
  }

  /** Every logged value of a metric (all steps), following pages. */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const out: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.#http.json<{
        metrics?: Record<string, unknown>[];
        next_page_token?: string;
      }>('GET', `${API}/metrics/get-history`, {
        run_id: runId,
        metric_key: key,
        max_results: 25_000,
        page_token: pageToken,
      });
      out.push(...(r.metrics ?? []).map(normMetric));
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  // --- helpers ---------------------------------------------------------------------

  #fitTags(tags: Record<string, string>, truncated?: string[]): KeyValue[] {
    return Object.entries(tags).map(([key, value]) => {
      checkKey('tag', key);
      const fitted = fitValue(String(value), MAX_TAG_VALUE);
      if (fitted.cut > 0) {
        if (truncated) truncated.push(key);
        else this.#o.logger.warn(`MLflow tag ${key}: value cut to ${MAX_TAG_VALUE} characters`);
      }
      return { key, value: fitted.value };
    });
  }

  async #artifactUri(runId: string): Promise<string> {
    const known = this.#artifactUris.get(runId);
    if (known) return known;
    if (this.#artifactUris.size > 10_000) this.#artifactUris.clear();
    return (await this.getRun(runId)).info.artifact_uri;
  }
}
