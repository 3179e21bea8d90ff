import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config/errors.ts';
import { csrFromCoo, rowCounts } from '../../../lib/eval/csr.ts';
import type { Csr, Scorer } from '../../../lib/eval/types.ts';
import { strongestBaseline, topUnseenItemsAsync } from '../../../lib/models/baselines/index.ts';
import { headItems, proposePseudoPositives, teacherUsers } from '../../../lib/teacher/index.ts';
import type { TeacherModel, TeacherOptions } from '../../../lib/teacher/index.ts';
import { syntheticSplits } from '../../helpers/synthetic-splits.ts';

/** A teacher that prefers lower item ids for everyone: its proposals are known by hand. */
function lowIdsFirst(train: Csr, nItems: number): TeacherModel {
  const scorer: Scorer = {
    scoreUsers(users, out) {
      for (let r = 0; r < users.length; r++)
        for (let i = 0; i < nItems; i++) out[r * nItems + i] = nItems - i;
    },
  };
  return { topUnseen: (users, k, ex) => topUnseenItemsAsync(scorer, train, nItems, users, k, ex) };
}

const options = (over: Partial<TeacherOptions> = {}): TeacherOptions => ({
  usersFraction: 1,
  k: 3,
  maxPerRealItem: 1,
  excludeTopPopular: 0,
  ...over,
});

/** Rows of user u as [item, score] pairs. */
function rowsOf(
  p: { n: number; user: Int32Array; item: Int32Array; score: Float32Array },
  u: number,
) {
  const out: [number, number][] = [];
  for (let k = 0; k < p.n; k++) if (p.user[k] === u) out.push([p.item[k]!, p.score[k]!]);
  return out;
}

describe('teacher users and head items', () => {
  it('chooses the sparsest share of users with train rows, ties by id', () => {
    // Train counts per user: 4, 1, 0, 2, 1, 3.
    const counts = [4, 1, 0, 2, 1, 3];
    const user = Int32Array.from(counts.flatMap((c, u) => Array<number>(c).fill(u)));
    const item = Int32Array.from(counts.flatMap((c) => [...Array(c).keys()]));
    const train = csrFromCoo(user, item, user.length, counts.length);
    expect([...teacherUsers(train, 0.4)]).toEqual([1, 4]);
    expect([...teacherUsers(train, 0.6)]).toEqual([1, 3, 4]);
    expect([...teacherUsers(train, 1)]).toEqual([0, 1, 3, 4, 5]);
    expect([...teacherUsers(train, 0.01)]).toEqual([1]);
    // A cap keeps the sparsest of the fraction: fewer users, never other ones.
    expect([...teacherUsers(train, 0.6, 2)]).toEqual([1, 4]);
    expect([...teacherUsers(train, 1, 3)]).toEqual([1, 3, 4]);
    expect([...teacherUsers(train, 0.4, 10)]).toEqual([1, 4]);
  });

  it('marks the most popular share of the catalog, ties by lower id', () => {
    // Item counts: 0:1, 1:3, 2:3, 3:0, 4:2 (10 items, so 20% is 2 of them).
    const train = csrFromCoo(
      Int32Array.of(0, 0, 0, 1, 1, 1, 2, 2, 2),
      Int32Array.of(1, 2, 4, 1, 2, 4, 1, 2, 0),
      9,
      3,
    );
    expect([...headItems(train, 10, 0.2)]).toEqual([0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect([...headItems(train, 10, 0.3)]).toEqual([0, 1, 1, 0, 1, 0, 0, 0, 0, 0]);
    expect([...headItems(train, 10, 0)].every((x) => x === 0)).toBe(true);
  });
});

describe('proposePseudoPositives', () => {
  // 3 users x 10 items. User 0 has items 0, 1 (2 rows); user 1 has 0..5; user 2 has item 9.
  const train = csrFromCoo(
    Int32Array.of(0, 0, 1, 1, 1, 1, 1, 1, 2),
    Int32Array.of(0, 1, 0, 1, 2, 3, 4, 5, 9),
    9,
    3,
  );
  // Validation items (not given to the teacher): user 0 has item 3, user 2 has item 2.

  it('caps each user at k and at maxPerRealItem x their real rows (at least 1), rank-scored', async () => {
    const p = await proposePseudoPositives(
      train,
      10,
      lowIdsFirst(train, 10),
      options({ maxPerRealItem: 0.5 }),
    );
    // User 0: 2 rows x 0.5 = 1; user 1: min(3, 6 x 0.5); user 2: 1 x 0.5, at least 1.
    expect(rowsOf(p, 0)).toEqual([[2, 1]]);
    expect(rowsOf(p, 1)).toEqual(
      [
        [6, 1],
        [7, 2 / 3],
        [8, 1 / 3],
      ].map(([i, s]) => [i, Math.fround(s!)]),
    );
    expect(rowsOf(p, 2)).toEqual([[0, 1]]);
    expect(p).toMatchObject({ n: 5, usersChosen: 3, usersAugmented: 3, excludedItems: 0 });
    // The teacher's raw score travels as the plausibility.
    expect([...p.plausibility]).toEqual([8, 4, 3, 2, 10]);
  });

  it('never proposes a train item nor a head item; a validation item is proposed like any other', async () => {
    const p = await proposePseudoPositives(
      train,
      10,
      lowIdsFirst(train, 10),
      // Items 0 and 1 are the most popular (2 users each): the top 20% of 10 items.
      options({ k: 4, maxPerRealItem: 10, excludeTopPopular: 0.2 }),
    );
    // User 0's validation item 3 and user 2's item 2 are among their proposals: the teacher
    // ranks from train alone, as it does for the test items.
    expect(rowsOf(p, 0).map(([i]) => i)).toEqual([2, 3, 4, 5]);
    expect(rowsOf(p, 1).map(([i]) => i)).toEqual([6, 7, 8, 9]);
    expect(rowsOf(p, 2).map(([i]) => i)).toEqual([2, 3, 4, 5]);
    expect(p.excludedItems).toBe(2);
  });

  it('with a real teacher: the sparsest quarter, no seen item, same rows on a second run', async () => {
    const { data } = syntheticSplits({
      users: 600,
      items: 300,
      interactions: 20_000,
      seed: 3,
      kCore: 5,
    });
    const teacher = await strongestBaseline(data.train, data.valid, data.nItems, {
      candidates: ['rp3beta', 'itemknn'],
    });
    const cfg = options({ usersFraction: 0.25, k: 3, excludeTopPopular: 0.05 });
    const p = await proposePseudoPositives(data.train, data.nItems, teacher, cfg);
    const chosen = teacherUsers(data.train, 0.25);
    const counts = rowCounts(data.train);
    const withRows = [...counts].filter((c) => c > 0).length;
    expect(chosen.length).toBe(Math.floor(withRows * 0.25));
    const most = Math.max(...[...chosen].map((u) => counts[u]!));
    expect([...counts].filter((c) => c > 0 && c < most).length).toBeLessThanOrEqual(chosen.length);
    const chosenSet = new Set(chosen);
    const head = headItems(data.train, data.nItems, 0.05);
    const seen = (csr: Csr, u: number, i: number) => {
      for (let a = csr.indptr[u]!; a < csr.indptr[u + 1]!; a++)
        if (csr.indices[a] === i) return true;
      return false;
    };
    const perUser = new Map<number, number>();
    for (let k = 0; k < p.n; k++) {
      const u = p.user[k]!;
      const i = p.item[k]!;
      expect(chosenSet.has(u)).toBe(true);
      expect(seen(data.train, u, i)).toBe(false);
      expect(head[i]).toBe(0);
      expect(p.score[k]).toBeGreaterThan(0);
      expect(p.score[k]).toBeLessThanOrEqual(1);
      perUser.set(u, (perUser.get(u) ?? 0) + 1);
    }
    for (const [u, n] of perUser) expect(n).toBeLessThanOrEqual(Math.min(3, counts[u]!));
    expect(p.n).toBeGreaterThan(chosen.length);
    const again = await proposePseudoPositives(data.train, data.nItems, teacher, cfg);
    expect(again).toEqual(p);
  }, 30_000);

  it('rejects bad settings with a ConfigError naming each field', async () => {
    const run = proposePseudoPositives(
      train,
      10,
      lowIdsFirst(train, 10),
      options({ usersFraction: 0, k: 1.5, maxPerRealItem: -1, excludeTopPopular: 1 }),
    );
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(
      /teacher\.usersFraction[\s\S]*teacher\.k[\s\S]*teacher\.maxPerRealItem[\s\S]*teacher\.excludeTopPopular/,
    );
  });
});
