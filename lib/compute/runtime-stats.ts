/**
 * What a TypeScript training stage records about where it ran, under the same stat names as
 * the Python worker's (python/recsys_worker/activities.py): `framework`, `device` and
 * `workerKind`. String stats become MLflow tags of the stage's run.
 */
import { version_core } from '@tensorflow/tfjs-core';

export function trainingRuntime(backend: string): Record<string, string> {
  return {
    framework: `tfjs ${version_core}`,
    // The wasm and cpu backends compute on the CPU; a native backend is named as it is.
    device: backend === 'wasm' || backend === 'cpu' ? 'cpu' : backend,
    workerKind: 'typescript',
  };
}
