// The operational sections: `registry` (MLflow model versions), `orchestration` (how the
// workflow drives its activities) and `training` (which worker trains, on what device).

import { z } from 'zod';

export const registrySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("Register model versions in MLflow's model registry."),
    model: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)
      .optional()
      .describe('Registered model name; defaults to the pipeline name.'),
    alias: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/)
      .default('champion')
      .describe('Alias that marks the serving model; moves only when the decision promotes.'),
  })
  .prefault({})
  .describe('Where candidate models are versioned.');

export const orchestrationSchema = z
  .strictObject({
    // Workers heartbeat every 5 s, so lower values notice a dead worker sooner.
    heartbeatTimeoutSeconds: z
      .int()
      .min(10)
      .max(3600)
      .default(60)
      .describe(
        'A stage whose worker sent no heartbeat for this long is retried elsewhere, from its last checkpoint.',
      ),
  })
  .prefault({})
  .describe('How the workflow drives its activities.');

export const trainingSchema = z
  .strictObject({
    worker: z
      .enum(['typescript', 'python'])
      .default('typescript')
      .describe(
        'Which worker trains: `typescript` (the gpu queue: tfjs and WebAssembly kernels, CPU only) or `python` (trainGan and retrainA/retrainB on the `<prefix>-gpu-py` queue, served by the JAX worker in python/, on a GPU when it has one). The Python worker trains CFGAN and every model family (BPR-MF, NeuMF, iALS, EASE; with auto, the family the policy picked); it reads and writes file:// and s3:// artifact stores.',
      ),
    device: z
      .enum(['auto', 'cpu', 'cuda'])
      .default('auto')
      .describe(
        'With worker python: where the Python worker started by `augment run --worker` trains: `auto` (the first GPU, else the CPU), `cpu`, or `cuda` (fails without a CUDA device).',
      ),
  })
  .prefault({})
  .describe('Which worker runs the training stages, and on what device.');
