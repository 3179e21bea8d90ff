import type { PipelineConfig } from '../lib/config/pipeline.ts';
import { RETRAIN_STAGE } from '../lib/contracts/index.ts';
import type { MlflowRef, StageInput, StageRef, Variant } from '../lib/contracts/index.ts';
import type { ServingCatalog } from '../lib/serving/index.ts';
import type { ArtifactStore } from '../lib/store/index.ts';
import type { MlflowClient } from '../lib/tracking/index.ts';
import { tagMap } from '../lib/tracking/index.ts';
import { logServingModel, servingCatalog } from './serving-model.ts';
import { jsonOutput, runStage } from './stage-runner.ts';
import type { StageDefinition } from './stage-runner.ts';

export interface RegisterStageConfig {
  registry: PipelineConfig['registry'];
  /** Registered-model name when `registry.model` is not set. */
  pipeline: string;
  /** The run's parent MLflow run: model files are logged there, versions point at them. */
  parent: MlflowRef;
  workflowId: string;
}

/** What registration.json holds. */
export interface Registration {
  model: string;
  alias: string;
  versions: Record<Variant, string>;
  promoted: boolean;
  /** The version the alias points at after this stage (undefined when none yet). */
  aliasVersion?: string;
  /** The version the alias pointed at before. */
  previousAliasVersion?: string;
}

/**
 * register: both trained candidates become versions of the registered model, each an MLflow
 * model (ONNX + pyfunc flavors serving top-K item IDs by user ID, see serving-model.ts) in
 * the run's MLflow artifacts; tags: variant, data and model hashes, metrics, decision.
 * The alias (`champion`) moves to B only when the evaluation promotes it; otherwise it
 * stays where it was. Idempotent: versions are found by run id and variant before created.
 */
function registerStage(mlflow: MlflowClient): StageDefinition<RegisterStageConfig> {
  return {
    name: 'register',
    source: import.meta.url,
    // preprocess: the ID maps and seen items the served model carries.
    needs: ['preprocess', 'retrainA', 'retrainB', 'evaluate'],
    async run(ctx) {
      const { registry, parent } = ctx.config;
      const name = registry.model ?? ctx.config.pipeline;
      const evaluation = ctx.inputManifest('evaluate').stats;
      const promote = evaluation.promote === true;
      await mlflow.registry.getOrCreateModel(name, {
        description: 'Recommender retrained by the augmentation pipeline',
      });
      const existing = await mlflow.registry.searchVersions(
        `name='${name}' and run_id='${parent.runId}'`,
      );
      const versions = { A: '', B: '' };
      const flavors: Partial<Record<Variant, string>> = {};
      let catalog: Promise<ServingCatalog> | undefined;
      for (const variant of ['A', 'B'] as const) {
        const stage = RETRAIN_STAGE[variant];
        const found = existing.find((v) => tagMap(v.tags).variant === variant);
        if (found) {
          versions[variant] = found.version;
          continue;
        }
        ctx.heartbeat({ phase: `logging model ${variant}` });
        const logged = await logServingModel(
          ctx,
          mlflow,
          parent.runId,
          stage,
          variant,
          () => (catalog ??= servingCatalog(ctx)),
        );
        flavors[variant] = logged.flavor;
        const trained = ctx.inputManifest(stage);
        const mv = await mlflow.registry.createVersion({
          name,
          source: logged.source,
          runId: parent.runId,
          description: `${variant === 'A' ? 'real data only' : 'augmented data'}, run ${ctx.config.workflowId}`,
          tags: {
            variant,
            workflow_id: ctx.config.workflowId,
            model_sha256: trained.sha256,
            data_sha256: trained.inputs.map((i) => `${i.name}:${i.sha256.slice(0, 16)}`).join(','),
            family: String(trained.stats.family),
            backend: String(trained.stats.backend),
            valid_ndcg10: String(trained.stats.bestValidNdcg10),
            // MLflow keys allow no '@': ndcg@10 -> test_ndcg_at_10.
            [`test_${String(evaluation.metric).replace('@', '_at_')}`]: String(
              evaluation[`${variant}.${String(evaluation.metric)}`],
            ),
            decision: promote ? 'promote B' : 'keep A',
            mlflow_flavor: logged.flavor.slice(0, 250),
          },
        });
        versions[variant] = mv.version;
      }
      const before = await mlflow.registry.getVersionByAlias(name, registry.alias);
      if (promote) await mlflow.registry.setAlias(name, registry.alias, versions.B);
      const result: Registration = {
        model: name,
        alias: registry.alias,
        versions,
        promoted: promote,
        previousAliasVersion: before?.version,
        aliasVersion: promote ? versions.B : before?.version,
      };
      return {
        kind: 'registration',
        files: [await jsonOutput(ctx.workDir, 'registration.json', result, 1)],
        stats: { ...result, ...(Object.keys(flavors).length ? { flavors } : {}) },
      };
    },
  };
}

export function registerActivity(store: ArtifactStore, mlflow: MlflowClient) {
  const def = registerStage(mlflow);
  return (input: StageInput<RegisterStageConfig>): Promise<StageRef> => runStage(def, input, store);
}
