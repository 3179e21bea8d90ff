// Worker for the cpu task queue: the workflows and the data stages.
import { runtimeSettings } from '../lib/runtime/settings.ts';
import { runWorkers } from './start-worker.ts';

await runWorkers({ settings: runtimeSettings(), queues: ['cpu'] });
