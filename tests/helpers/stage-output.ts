import type { StageRef } from '../../lib/contracts/index.ts';
import type { ArtifactStore } from '../../lib/store/index.ts';

/** A stage's JSON output file (candidates.json, decision.json, ...), parsed. */
export async function readJsonOutput<T>(
  store: ArtifactStore,
  ref: StageRef,
  name: string,
): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await store.getBytes(`${ref.key}/${name}`))) as T;
}
