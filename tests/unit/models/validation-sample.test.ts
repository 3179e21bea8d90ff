import { describe, expect, it } from 'vitest';
import { csrFromCoo } from '../../../lib/eval/index.ts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  sampleValidationUsers,
  validationUsersFor,
} from '../../../lib/models/validation-sample.ts';
import { PYTHON } from '../../helpers/python.ts';

/** 100 users; user u has (u % 3) validation items (so 67 users have any), train one each. */
function data() {
  const vu: number[] = [];
  const vi: number[] = [];
  for (let u = 0; u < 100; u++)
    for (let k = 0; k < u % 3; k++) {
      vu.push(u);
      vi.push((u + k) % 50);
    }
  const ids = Int32Array.from({ length: 100 }, (_, u) => u);
  return {
    train: csrFromCoo(
      ids,
      Int32Array.from(ids, (u) => (u * 7) % 50),
      100,
      100,
    ),
    valid: csrFromCoo(Int32Array.from(vu), Int32Array.from(vi), vu.length, 100),
  };
}

const rowsOf = (c: { indptr: Int32Array; indices: Int32Array }, u: number) =>
  Array.from(c.indices.subarray(c.indptr[u]!, c.indptr[u + 1]!));

describe('sampleValidationUsers', () => {
  it('keeps everything when the cap is 0 or not below the users with items', () => {
    const v = data();
    expect(sampleValidationUsers(v, 0, 1)).toBe(v);
    expect(sampleValidationUsers(v, 67, 1)).toBe(v);
  });

  it('keeps exactly maxUsers users with validation items, their items whole', () => {
    const v = data();
    const s = sampleValidationUsers(v, 20, 42);
    expect(s.train).toBe(v.train);
    const kept = [];
    for (let u = 0; u < 100; u++) {
      const row = rowsOf(s.valid, u);
      if (row.length) {
        kept.push(u);
        expect(row).toEqual(rowsOf(v.valid, u));
      }
    }
    expect(kept).toHaveLength(20);
    expect(kept.every((u) => u % 3 !== 0)).toBe(true);
    expect(s.valid.indptr).toHaveLength(101);
  });

  it('is a function of the seed', () => {
    const users = (seed: number) => {
      const s = sampleValidationUsers(data(), 20, seed).valid;
      return Array.from({ length: 100 }, (_, u) => u).filter(
        (u) => s.indptr[u + 1]! > s.indptr[u]!,
      );
    };
    expect(users(7)).toEqual(users(7));
    expect(users(7)).not.toEqual(users(8));
  });

  it('draws every user about equally often', () => {
    const hits = new Int32Array(100);
    for (let seed = 0; seed < 600; seed++) {
      const s = sampleValidationUsers(data(), 20, seed).valid;
      for (let u = 0; u < 100; u++) if (s.indptr[u + 1]! > s.indptr[u]!) hits[u]!++;
    }
    // each of the 67 users is kept with probability 20/67: ~179 of 600 draws
    for (let u = 0; u < 100; u++) {
      if (u % 3 === 0) expect(hits[u]).toBe(0);
      else expect(Math.abs(hits[u]! - (600 * 20) / 67)).toBeLessThan(50);
    }
  });
});

describe('validationUsersFor', () => {
  const cases: [number, number][] = [
    [10_000, 1682],
    [10_000, 25_000],
    [10_000, 100_000],
    [10_000, 10_000_000],
    [500, 100_000],
    [0, 100_000],
  ];

  it('keeps validationUsers up to 25K items, fewer above (never below 1,000), 0 = all', () => {
    expect(cases.map(([u, i]) => validationUsersFor(u, i))).toEqual([
      10_000, 10_000, 2500, 1000, 500, 0,
    ]);
  });

  it('is the rule the Python worker applies', () => {
    const code = `from recsys_worker.ranking import validation_users_for as f\nprint([f(u, i) for u, i in ${JSON.stringify(cases)}])`;
    const run = spawnSync(PYTHON, ['-c', code], {
      cwd: join(import.meta.dirname, '..', '..', '..', 'python'),
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(cases.map(([u, i]) => validationUsersFor(u, i)));
  });
});
