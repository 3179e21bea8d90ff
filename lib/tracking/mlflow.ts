import { readFile } from 'node:fs/promises';
import { MAX_TAG_VALUE, fitParam, splitBatch } from './batch.ts';
import type { KeyValue, Metric } from './batch.ts';
import { HttpClient, MlflowError } from './http.ts';
import type { HttpOptions } from './http.ts';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
}

export interface RunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage?: string;
}

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] };
}

export interface ModelVersion {
  name: string;
  version: string;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: KeyValue[];
  aliases?: string[];
}

export interface FileInfo {
  path: string;
  is_dir?: boolean;
  file_size?: number | string;
}

const API = '/api/2.0/mlflow';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';

const toTags = (tags: Record<string, string> = {}): KeyValue[] =>
  Object.entries(tags).map(([key, value]) => ({ key, value: value.slice(0, MAX_TAG_VALUE) }));

/**
 * A typed client over MLflow's REST API (tracking, artifact proxy, model registry), on the
 * built-in fetch. Transient failures are retried by HttpClient; tokens never appear in
 * errors or logs.
 */
export class MlflowClient {
  private readonly http: HttpClient;

  constructor(opts: HttpOptions) {
    this.http = new HttpClient(opts);
  }

  get url(): string {
    return this.http.baseUrl;
  }

  /** True when /health answers and an API call succeeds. */
  async ping(): Promise<boolean> {
    try {
      await this.http.raw('GET', '/health');
      await this.http.json('POST', `${API}/experiments/search`, { max_results: 1 });
      return true;
    } catch {
      return false;
    }
  }

  // --- experiments -------------------------------------------------------------------

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const r = await this.http.json<{ experiment: Experiment }>(
        'GET',
        `${API}/experiments/get-by-name`,
        {
          experiment_name: name,
        },
      );
      return r.experiment;
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST')
        return undefined;
      throw err;
    }
  }

  async createExperiment(name: string, tags?: Record<string, string>): Promise<string> {
    const r = await this.http.json<{ experiment_id: string }>('POST', `${API}/experiments/create`, {
      name,
      tags: toTags(tags),
    });
    return r.experiment_id;
  }

  /** Get-or-create, safe when two processes race to create the same experiment. */
  async getOrCreateExperiment(name: string, tags?: Record<string, string>): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return found.experiment_id;
    try {
      return await this.createExperiment(name, tags);
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.getExperimentByName(name);
        if (again) return again.experiment_id;
      }
      throw err;
    }
  }

  // --- runs --------------------------------------------------------------------------

  /** Creates a run; `parentRunId` makes it a nested run (MLflow's `mlflow.parentRunId` tag). */
  async createRun(opts: {
    experimentId: string;
    runName?: string;
    tags?: Record<string, string>;
    parentRunId?: string;
    startTime?: number;
  }): Promise<RunInfo> {
    const tags = {
      ...opts.tags,
      ...(opts.parentRunId ? { 'mlflow.parentRunId': opts.parentRunId } : {}),
    };
    const r = await this.http.json<{ run: Run }>('POST', `${API}/runs/create`, {
      experiment_id: opts.experimentId,
      run_name: opts.runName,
      start_time: opts.startTime ?? Date.now(),
      tags: toTags(tags),
    });
    return r.run.info;
  }

  async updateRun(
    runId: string,
    status: RunInfo['status'],
    endTime: number | undefined = Date.now(),
  ): Promise<void> {
    await this.http.json('POST', `${API}/runs/update`, {
      run_id: runId,
      status,
      end_time: endTime,
    });
  }

  async getRun(runId: string): Promise<Run> {
    return (await this.http.json<{ run: Run }>('GET', `${API}/runs/get`, { run_id: runId })).run;
  }

  /** Runs matching an MLflow filter string, e.g. `tags.workflow_id = 'x'`. */
  async searchRuns(experimentIds: string[], filter = '', maxResults = 1000): Promise<Run[]> {
    const out: Run[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.http.json<{ runs?: Run[]; next_page_token?: string }>(
        'POST',
        `${API}/runs/search`,
        {
          experiment_ids: experimentIds,
          filter,
          max_results: Math.min(maxResults - out.length, 1000),
          page_token: pageToken,
        },
      );
      out.push(...(r.runs ?? []));
      pageToken = r.next_page_token;
    } while (pageToken && out.length < maxResults);
    return out;
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.http.json('POST', `${API}/runs/set-tag`, {
      run_id: runId,
      key,
      value: value.slice(0, MAX_TAG_VALUE),
    });
  }

  async logParam(runId: string, key: string, value: unknown): Promise<void> {
    await this.http.json('POST', `${API}/runs/log-parameter`, {
      run_id: runId,
      ...fitParam(key, value),
    });
  }

  async logMetric(
    runId: string,
    key: string,
    value: number,
    step = 0,
    timestamp = Date.now(),
  ): Promise<void> {
    await this.http.json('POST', `${API}/runs/log-metric`, {
      run_id: runId,
      key,
      value,
      step,
      timestamp,
    });
  }

  /**
   * Logs any number of metrics, params and tags, split into as many log-batch calls as
   * MLflow's limits require. Params longer than MLflow allows are cut visibly.
   */
  async logBatch(
    runId: string,
    data: { metrics?: Metric[]; params?: Record<string, unknown>; tags?: Record<string, string> },
  ): Promise<number> {
    const batches = splitBatch({
      metrics: data.metrics ?? [],
      params: Object.entries(data.params ?? {}).map(([k, v]) => fitParam(k, v)),
      tags: toTags(data.tags),
    });
    for (const b of batches)
      await this.http.json('POST', `${API}/runs/log-batch`, { run_id: runId, ...b });
    return batches.length;
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const out: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.http.json<{ metrics?: Metric[]; next_page_token?: string }>(
        'GET',
        `${API}/metrics/get-history`,
        {
          run_id: runId,
          metric_key: key,
          max_results: '25000',
          ...(pageToken ? { page_token: pageToken } : {}),
        },
      );
      out.push(
        ...(r.metrics ?? []).map((m) => ({
          ...m,
          step: Number(m.step ?? 0),
          timestamp: Number(m.timestamp),
        })),
      );
      pageToken = r.next_page_token;
    } while (pageToken);
    return out;
  }

  // --- artifacts (through the server's artifact proxy) --------------------------------

  /** Proxy path of a run's artifact, from its `mlflow-artifacts:/<exp>/<run>/artifacts` URI. */
  private async artifactPath(runId: string, path: string): Promise<string> {
    const { info } = await this.getRun(runId);
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(info.artifact_uri);
    if (!m) {
      throw new Error(
        `run ${runId} stores artifacts at ${info.artifact_uri}, not behind the artifact proxy; ` +
          'start the MLflow server with --serve-artifacts',
      );
    }
    const clean = path.replace(/^\/+/, '');
    if (clean.split('/').some((s) => s === '..' || s === '.'))
      throw new Error(`invalid artifact path ${path}`);
    return `${m[1]!.replace(/\/+$/, '')}${clean ? `/${clean}` : ''}`;
  }

  /** Uploads bytes or a local file as `<path>` in the run's artifacts. */
  async logArtifact(
    runId: string,
    path: string,
    content: Uint8Array | string | { file: string },
  ): Promise<void> {
    const body =
      typeof content === 'object' && 'file' in content ? await readFile(content.file) : content;
    const proxied = await this.artifactPath(runId, path);
    await this.http.raw(
      'PUT',
      `${ARTIFACTS}/${encodePath(proxied)}`,
      body,
      'application/octet-stream',
    );
  }

  async listArtifacts(runId: string, path = ''): Promise<FileInfo[]> {
    const base = await this.artifactPath(runId, '');
    const proxied = await this.artifactPath(runId, path);
    const r = await this.http.json<{ files?: FileInfo[] }>('GET', ARTIFACTS, { path: proxied });
    // The proxy lists paths relative to the listed folder; make them relative to the run.
    const rel = proxied.slice(base.length).replace(/^\//, '');
    return (r.files ?? []).map((f) => ({ ...f, path: rel ? `${rel}/${f.path}` : f.path }));
  }

  async downloadArtifact(runId: string, path: string): Promise<Uint8Array> {
    return this.http.raw('GET', `${ARTIFACTS}/${encodePath(await this.artifactPath(runId, path))}`);
  }

  // --- model registry ------------------------------------------------------------------

  async getOrCreateRegisteredModel(name: string, description?: string): Promise<void> {
    try {
      await this.http.json('POST', `${API}/registered-models/create`, { name, description });
    } catch (err) {
      if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
  }

  async createModelVersion(opts: {
    name: string;
    source: string;
    runId?: string;
    tags?: Record<string, string>;
    description?: string;
  }): Promise<ModelVersion> {
    const r = await this.http.json<{ model_version: ModelVersion }>(
      'POST',
      `${API}/model-versions/create`,
      {
        name: opts.name,
        source: opts.source,
        run_id: opts.runId,
        tags: toTags(opts.tags),
        description: opts.description,
      },
    );
    return r.model_version;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const r = await this.http.json<{ model_version: ModelVersion }>(
      'GET',
      `${API}/model-versions/get`,
      {
        name,
        version,
      },
    );
    return r.model_version;
  }

  async setModelVersionTag(
    name: string,
    version: string,
    key: string,
    value: string,
  ): Promise<void> {
    await this.http.json('POST', `${API}/model-versions/set-tag`, { name, version, key, value });
  }

  async searchModelVersions(filter: string): Promise<ModelVersion[]> {
    const r = await this.http.json<{ model_versions?: ModelVersion[] }>(
      'GET',
      `${API}/model-versions/search`,
      {
        filter,
      },
    );
    return r.model_versions ?? [];
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.http.json('POST', `${API}/registered-models/alias`, { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.http.json('DELETE', `${API}/registered-models/alias`, { name, alias });
  }

  /** The version an alias points at, or undefined when the alias is not set. */
  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      const r = await this.http.json<{ model_version: ModelVersion }>(
        'GET',
        `${API}/registered-models/alias`,
        {
          name,
          alias,
        },
      );
      return r.model_version;
    } catch (err) {
      // MLflow 3.17 answers a missing alias with 400 INVALID_PARAMETER_VALUE "... not found".
      const missing =
        err instanceof MlflowError &&
        (err.errorCode === 'RESOURCE_DOES_NOT_EXIST' ||
          (err.errorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(err.message)));
      if (missing) return undefined;
      throw err;
    }
  }
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}
