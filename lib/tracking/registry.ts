import { setTimeout as sleep } from 'node:timers/promises';
import { MlflowError, TrackingInputError } from './errors.ts';
import type { HttpClient } from './http.ts';
import { normModelVersion, normRegisteredModel, toKeyValues } from './types.ts';
import type { ModelVersion, RegisteredModel } from './types.ts';

const API = '/api/2.0/mlflow';

/** What a new model version points at and carries. */
export interface CreateModelVersionInput {
  /** Registered model name (created beforehand, see `getOrCreateModel`). */
  name: string;
  /** Where the model files are, e.g. the run's `artifact_uri` + `/model`. */
  source: string;
  runId?: string;
  tags?: Record<string, string>;
  description?: string;
  /** Wait while the server reports PENDING_REGISTRATION. @default 60000 */
  readyTimeoutMs?: number;
}

/**
 * MLflow's model registry: registered models, versions, tags and aliases (the `champion`
 * pointer). Versions are strings on the wire ("1"); numbers are accepted and converted.
 */
export class RegistryApi {
  constructor(private readonly http: HttpClient) {}

  /** A registered model, or undefined when there is none by that name. */
  async getModel(name: string): Promise<RegisteredModel | undefined> {
    try {
      const r = await this.http.json<{ registered_model: Partial<RegisteredModel> }>(
        'GET',
        `${API}/registered-models/get`,
        { name },
      );
      return normRegisteredModel(r.registered_model);
    } catch (err) {
      if (err instanceof MlflowError && err.notFound) return undefined;
      throw err;
    }
  }

  /**
   * Creates a registered model, or returns the existing one. Safe when two processes race:
   * the loser's RESOURCE_ALREADY_EXISTS turns into a read. Description and tags apply only
   * on creation.
   */
  async getOrCreateModel(
    name: string,
    opts: { description?: string; tags?: Record<string, string> } = {},
  ): Promise<RegisteredModel> {
    const found = await this.getModel(name);
    if (found) return found;
    try {
      const r = await this.http.json<{ registered_model: Partial<RegisteredModel> }>(
        'POST',
        `${API}/registered-models/create`,
        { name, description: opts.description, tags: toKeyValues(opts.tags) },
      );
      return normRegisteredModel(r.registered_model);
    } catch (err) {
      if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
      const again = await this.getModel(name);
      if (!again) throw err;
      return again;
    }
  }

  /**
   * Registers a new version of `name` and waits until the server marks it READY.
   * Not idempotent: each call (including a retried one whose first attempt did reach
   * the server) makes a new version, so callers that may re-run should look for an
   * existing version first (e.g. `searchVersions("run_id='...'")`).
   */
  async createVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    const r = await this.http.json<{ model_version: Partial<ModelVersion> }>(
      'POST',
      `${API}/model-versions/create`,
      {
        name: input.name,
        source: input.source,
        run_id: input.runId,
        tags: toKeyValues(input.tags),
        description: input.description,
      },
    );
    let mv = normModelVersion(r.model_version);
    const deadline = Date.now() + (input.readyTimeoutMs ?? 60_000);
    while (mv.status === 'PENDING_REGISTRATION' && Date.now() < deadline) {
      await sleep(250);
      mv = await this.getVersion(mv.name, mv.version);
    }
    if (mv.status === 'FAILED_REGISTRATION')
      throw new Error(
        `model version ${mv.name}/${mv.version} failed registration: ${mv.status_message ?? ''}`,
      );
    return mv;
  }

  async getVersion(name: string, version: string | number): Promise<ModelVersion> {
    const r = await this.http.json<{ model_version: Partial<ModelVersion> }>(
      'GET',
      `${API}/model-versions/get`,
      { name, version: String(version) },
    );
    return normModelVersion(r.model_version);
  }

  /** Sets (or overwrites) a tag on a model version. */
  async setVersionTag(
    name: string,
    version: string | number,
    key: string,
    value: string,
  ): Promise<void> {
    await this.http.json('POST', `${API}/model-versions/set-tag`, {
      name,
      version: String(version),
      key,
      value,
    });
  }

  /**
   * Versions matching an MLflow filter (`name='recsys'`, `run_id='...'`,
   * `tags.variant='B'`), following pages up to `maxResults`. Aliases are not included in
   * these results (MLflow 3.17); use `getVersion` or `getVersionByAlias` for them.
   */
  async searchVersions(filter: string, maxResults = 10_000): Promise<ModelVersion[]> {
    const out: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.http.json<{
        model_versions?: Partial<ModelVersion>[];
        next_page_token?: string;
      }>('GET', `${API}/model-versions/search`, {
        filter,
        max_results: Math.min(maxResults - out.length, 1000),
        page_token: pageToken,
      });
      out.push(...(r.model_versions ?? []).map(normModelVersion));
      pageToken = r.next_page_token || undefined;
    } while (pageToken && out.length < maxResults);
    return out;
  }

  /** Points `alias` (e.g. `champion`) at a version, moving it if it pointed elsewhere. */
  async setAlias(name: string, alias: string, version: string | number): Promise<void> {
    if (!alias) throw new TrackingInputError('alias', 'is empty');
    await this.http.json('POST', `${API}/registered-models/alias`, {
      name,
      alias,
      version: String(version),
    });
  }

  /** Removes an alias. Removing one that is not set is not an error. */
  async deleteAlias(name: string, alias: string): Promise<void> {
    // MLflow reads this DELETE's arguments from a JSON body, not the query string.
    await this.http.json('DELETE', `${API}/registered-models/alias`, { name, alias });
  }

  /**
   * The version an alias points at, or undefined when the alias (or the model) does not
   * exist. MLflow 3.17 answers an unknown alias with 400 INVALID_PARAMETER_VALUE
   * "Registered model alias ... not found", not with a 404.
   */
  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      const r = await this.http.json<{ model_version: Partial<ModelVersion> }>(
        'GET',
        `${API}/registered-models/alias`,
        { name, alias },
      );
      return normModelVersion(r.model_version);
    } catch (err) {
      const missing =
        err instanceof MlflowError &&
        (err.notFound ||
          (err.errorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(err.message)));
      if (missing) return undefined;
      throw err;
    }
  }
}
