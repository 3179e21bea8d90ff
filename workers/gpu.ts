// Worker for the gpu task queue: training stages. Run it on machines with an accelerator
// (tfjs-node-gpu installed); on a single machine `augment worker` serves both queues.
import { runtimeSettings } from '../lib/runtime/settings.ts';
import { runWorkers } from './start-worker.ts';

await runWorkers({ settings: runtimeSettings(), queues: ['gpu'] });
