// A worker thread's entry: registers tsx's loader in this thread (workers do not inherit a
// loader registered through its API, as bin/augment.mjs does), then runs the TypeScript
// module named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
