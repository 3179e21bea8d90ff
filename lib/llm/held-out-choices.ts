/**
 * Choice requests whose right answer is known: for each user with a validation item, that
 * item among `size - 1` random items the user has not seen (seeded, shuffled position), with
 * the user's train history most recent first. For testing and benchmarking choosers.
 */
import { Rng } from '../training/random.ts';
import type { Csr } from '../eval/types.ts';
import type { ChoiceRequest } from './types.ts';

export function heldOutChoices(
  histories: Csr,
  valid: Csr,
  nItems: number,
  seed: number,
  size = 10,
): { requests: ChoiceRequest[]; truth: number[] } {
  const rng = new Rng(seed);
  const requests: ChoiceRequest[] = [];
  const truth: number[] = [];
  const users = valid.indptr.length - 1;
  for (let u = 0; u < users; u++) {
    if (valid.indptr[u + 1]! === valid.indptr[u]!) continue;
    const v = valid.indices[valid.indptr[u]!]!;
    const own = histories.indices.subarray(histories.indptr[u]!, histories.indptr[u + 1]!);
    const seen = new Set(own);
    const c = [v];
    while (c.length < size) {
      const i = rng.int(nItems);
      if (!seen.has(i) && !c.includes(i)) c.push(i);
    }
    const at = rng.int(size);
    [c[0], c[at]] = [c[at]!, c[0]!];
    requests.push({ user: u, history: own.slice().reverse(), candidates: Int32Array.from(c) });
    truth.push(v);
  }
  return { requests, truth };
}

/**
 * The stage's own questions with a known answer: for each of `users` (row r of `candidates`)
 * with a validation item that is not among its first `perUser - 1` candidates, those
 * candidates and that item at a seeded position. `truth[q]` is the held-out item's position
 * among request q's candidates. The question is which candidate is the item the base model
 * missed: it rewards finding what the base model does not rank high (docs/models.md).
 */
export function heldOutAmongCandidates(
  users: Int32Array,
  histories: Csr,
  candidates: { items: Int32Array; perUser: number },
  valid: Csr,
  seed: number,
  maxQuestions = 2000,
): { requests: ChoiceRequest[]; truth: number[] } {
  const rng = new Rng(seed);
  const per = candidates.perUser;
  const requests: ChoiceRequest[] = [];
  const truth: number[] = [];
  for (let r = 0; r < users.length && requests.length < maxQuestions; r++) {
    const u = users[r]!;
    if (u >= valid.indptr.length - 1 || valid.indptr[u + 1]! === valid.indptr[u]!) continue;
    const v = valid.indices[valid.indptr[u]!]!;
    const c: number[] = [];
    for (let k = 0; k < per - 1 && candidates.items[r * per + k]! >= 0; k++)
      c.push(candidates.items[r * per + k]!);
    if (c.length < 1 || c.includes(v)) continue;
    const at = rng.int(c.length + 1);
    c.splice(at, 0, v);
    const own = histories.indices.subarray(histories.indptr[u]!, histories.indptr[u + 1]!);
    requests.push({ user: u, history: own.slice().reverse(), candidates: Int32Array.from(c) });
    truth.push(at);
  }
  return { requests, truth };
}
