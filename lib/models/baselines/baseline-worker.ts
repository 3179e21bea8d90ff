/**
 * The baseline evaluation thread of evaluate-baselines.ts: evaluates both baselines on the
 * data it was sent, reporting progress, then posts the summaries and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EvalData } from '../../eval/types.ts';
import { evaluateBaselinesHere } from './evaluate-baselines.ts';
import type { BaselineEvalOptions, BaselineMessage, KnownChoices } from './evaluate-baselines.ts';

const { data, options, known } = (
  workerData as { data: { data: EvalData; options: BaselineEvalOptions; known?: KnownChoices } }
).data;
const post = (m: BaselineMessage) => parentPort!.postMessage(m);
try {
  const result = await evaluateBaselinesHere(data, options, {
    onProgress: (name, done, total) => post({ progress: [name, done, total] }),
    ...(known ? { known } : {}),
  });
  post({ result });
} catch (err) {
  post({ error: (err as Error).message });
}
