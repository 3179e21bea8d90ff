import { BPR_FORMAT, loadBprMf } from './bpr/bpr-mf.ts';
import { NEUMF_FORMAT, loadNeuMf } from './neumf/neumf.ts';
import { EASE_FORMAT, loadEase } from './ease/ease-model.ts';
import type { ModelFile, TrainedModel } from './types.ts';

// Loading lives apart from training, so the stages that only score models (evaluate) do not
// reach the trainers: their code identity stays put when training code changes.

/** A saved model of either family; throws naming the file and what is wrong. */
export async function loadModel(files: ModelFile[]): Promise<TrainedModel> {
  const json = files.find((f) => f.name === 'model.json');
  let format: unknown;
  try {
    format =
      json && (JSON.parse(new TextDecoder().decode(json.bytes)) as { format?: unknown }).format;
  } catch {
    throw new Error('model.json: not JSON');
  }
  if (format === NEUMF_FORMAT) return loadNeuMf(files);
  if (format === EASE_FORMAT) return loadEase(files);
  if (format === BPR_FORMAT || !json) return loadBprMf(files);
  throw new Error(
    `model.json: unknown format ${String(format)} (expected ${BPR_FORMAT}, ${NEUMF_FORMAT} or ${EASE_FORMAT})`,
  );
}
