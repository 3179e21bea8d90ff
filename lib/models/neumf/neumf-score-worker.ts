/**
 * NeuMF's scoring thread: compiles the scoring kernel against the owner's shared memory,
 * then scores the users of each job posted in the control array into its own score rows
 * (see neumf-scorer.ts). It blocks in Atomics.wait between jobs: it has nothing else to do.
 */
import { workerData } from 'node:worker_threads';
import { instantiate } from '../../compute/wasm-writer.ts';
import { CTL, scoreUserRows } from './neumf-score-worker-protocol.ts';
import type { ScoreUser, ScoreWorkerData } from './neumf-score-worker-protocol.ts';

const d = (workerData as { data: ScoreWorkerData }).data;
const score = instantiate(d.bytes, d.memory).scoreUser as ScoreUser;
const { ctl, users } = d;
const progress = () => Atomics.add(ctl, CTL.progress, 1);
Atomics.store(ctl, CTL.ready, 1);
for (let seen = Atomics.load(ctl, CTL.seq); ;) {
  Atomics.wait(ctl, CTL.seq, seen);
  seen = Atomics.load(ctl, CTL.seq);
  if (Atomics.load(ctl, CTL.quit)) break;
  try {
    scoreUserRows(score, d, users, Atomics.load(ctl, CTL.count), d.out, d.scratch, progress);
  } catch {
    Atomics.store(ctl, CTL.error, 1);
  }
  Atomics.store(ctl, CTL.done, seen);
  Atomics.notify(ctl, CTL.done);
}
