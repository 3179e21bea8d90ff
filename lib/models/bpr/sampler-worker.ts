/**
 * The sampling thread of epoch-sampler.ts: builds its own TrainingPairs (and its lookups,
 * before the first request) from the training set it was sent, then answers each requested
 * epoch with that epoch's samples (their buffers are transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sampleBprEpoch } from './bpr-samples.ts';
import type { SamplerInit, SamplerReply, SamplerRequest } from './epoch-sampler.ts';
import { TrainingPairs } from '../training-pairs.ts';

const init = (workerData as { data: SamplerInit }).data;
const pairs = new TrainingPairs(init.set);
pairs.prepareNegatives();
const port = parentPort!;

port.on('message', (req: SamplerRequest) => {
  try {
    const s = sampleBprEpoch(pairs, init.seed, req.epoch, init.negatives);
    const reply: SamplerReply = { epoch: req.epoch, samples: s };
    const buffers = [s.user, s.pos, s.neg, s.weight].map((a) => a.buffer as ArrayBuffer);
    port.postMessage(reply, buffers);
  } catch (err) {
    const reply: SamplerReply = { epoch: req.epoch, error: (err as Error).message };
    port.postMessage(reply);
  }
});
