import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../lib/compute/backend.ts';
import { emptyItemMeta } from '../../../lib/data/table.ts';
import type { ItemMeta } from '../../../lib/data/table.ts';
import {
  chooseSideWeight,
  contentScores,
  describeSideInformation,
  itemFeatures,
  mixScores,
  SequenceChooser,
} from '../../../lib/llm/index.ts';
import type { ChoiceRequest } from '../../../lib/llm/index.ts';
import { genreNames, titleWords } from '../../../lib/llm/item-features.ts';
import { initParams } from '../../../lib/llm/sequence-model.ts';
import { Rng } from '../../../lib/training/random.ts';

function meta(rows: { title?: string; genres?: string; year?: number; text?: string }[]): ItemMeta {
  const m = emptyItemMeta(rows.length);
  rows.forEach((r, i) => {
    m.title[i] = r.title ?? '';
    m.genres[i] = r.genres ?? '';
    m.year[i] = r.year ?? 0;
    m.text[i] = r.text ?? '';
  });
  return m;
}

const movies = meta([
  { title: 'Star Wars (1977)', genres: 'Action|Sci-Fi', year: 1977 },
  { title: 'Return of the Jedi (1983)', genres: 'Action|Sci-Fi', year: 1983 },
  { title: 'Star Trek: Generations', genres: 'Sci-Fi', year: 1994 },
  { title: 'Sense and Sensibility', genres: 'Drama|Romance', year: 1995 },
  { title: 'Emma', genres: 'Drama|Romance', year: 1996 },
  { title: 'Kolya', genres: 'Comedy', year: 1996 },
]);

describe('item features from metadata', () => {
  it('splits titles into words without the year or stop words, and genres into names', () => {
    expect(titleWords('Return of the Jedi (1983)')).toEqual(['return', 'jedi']);
    expect(titleWords('Star Trek: Generations')).toEqual(['star', 'trek', 'generations']);
    expect(titleWords('')).toEqual([]);
    expect(genreNames('Action|Sci-Fi|action')).toEqual(['action', 'sci-fi']);
    expect(genreNames('(no genres listed)')).toEqual([]);
  });

  it('keeps features shared by two or more items, IDF-weighted, unit length per item', () => {
    const f = itemFeatures(movies, 6);
    expect(f.fields).toEqual(['genres', 'year', 'title']);
    // 'star' (2 titles) is kept; 'jedi' and 'kolya' (1 each) say nothing about similarity.
    expect(f.names).toContain('title:star');
    expect(f.names).not.toContain('title:jedi');
    expect(f.names).toContain('decade:1990');
    expect(f.names).not.toContain('genre:comedy');
    // Kolya shares its decade only; every item has a feature.
    expect(f.itemsWithFeatures).toBe(6);
    for (let i = 0; i < 6; i++) {
      let norm = 0;
      for (let k = f.indptr[i]!; k < f.indptr[i + 1]!; k++) norm += f.values[k]! ** 2;
      expect(norm).toBeCloseTo(1, 6);
    }
    // Within Emma, 'drama' (2 items) weighs more than 'decade:1990' (4 items).
    const weightOf = (item: number, name: string) => {
      const j = f.names.indexOf(name);
      for (let k = f.indptr[item]!; k < f.indptr[item + 1]!; k++)
        if (f.indices[k] === j) return f.values[k]!;
      return 0;
    };
    expect(weightOf(4, 'decade:1990')).toBeGreaterThan(0);
    expect(weightOf(4, 'genre:drama')).toBeGreaterThan(weightOf(4, 'decade:1990'));
  });

  it('says plainly when the data has no metadata', () => {
    const none = itemFeatures(emptyItemMeta(5), 5);
    expect(none.fields).toEqual([]);
    expect(none.itemsWithFeatures).toBe(0);
    const said = describeSideInformation(none);
    expect(said.fields).toBe('none');
    expect(said.note).toMatch(/no information beyond the interactions/);
    const some = describeSideInformation(itemFeatures(movies, 6));
    expect(some.fields).toBe('genres, year, title');
    expect(some.note).not.toMatch(/no information/);
  });
});

describe('content scores', () => {
  const f = itemFeatures(movies, 6);

  it('rank a candidate like the history above one unlike it', () => {
    const s = contentScores(f, Int32Array.of(0, 1), Int32Array.of(3, 2, 5));
    // Star Trek (sci-fi, 'star') is closest to a Star Wars history; Kolya shares nothing.
    expect(s[1]).toBeGreaterThan(s[0]!);
    expect(s[1]).toBeGreaterThan(s[2]!);
    expect(s[2]).toBe(0);
    // The scratch profile is left zeroed: a second call gives the same answer.
    const scratch = new Float64Array(f.names.length);
    contentScores(f, Int32Array.of(3), Int32Array.of(4), scratch);
    expect(scratch.every((x) => x === 0)).toBe(true);
  });

  it('mix in at weight 0 as nothing, and change nothing when content is constant', () => {
    const base = [1, 3, 2];
    expect(mixScores(base, Float64Array.of(0.9, 0, 0.1), 0)).toEqual(base);
    expect(mixScores(base, Float64Array.of(0.5, 0.5, 0.5), 2)).toEqual(base);
    const mixed = mixScores(base, Float64Array.of(1, 0, 0), 4);
    expect(mixed[0]).toBeGreaterThan(mixed[1]!);
  });
});

describe('side-information weight chosen on validation questions', () => {
  beforeAll(() => initBackend());
  // An untrained sequence model (its scores carry no signal) and questions whose held-out
  // item is the one candidate sharing the history's genres: only side information finds it.
  const shape = { nItems: 6, dim: 8, window: 4, hidden: 8 };
  const model = { shape, params: initParams(shape, new Rng(5)) };
  const requests: ChoiceRequest[] = [];
  const truth: number[] = [];
  for (let u = 0; u < 60; u++) {
    const scifi = u % 2 === 0;
    const at = u % 3;
    const others = scifi ? [3, 5] : [0, 5];
    const answer = scifi ? 2 : 4;
    const candidates = [...others];
    candidates.splice(at, 0, answer);
    requests.push({
      user: u,
      history: scifi ? Int32Array.of(0, 1) : Int32Array.of(3),
      candidates: Int32Array.from(candidates),
    });
    truth.push(at);
  }

  it('picks a positive weight when the metadata points at the held-out item', async () => {
    const features = itemFeatures(movies, 6);
    const choice = chooseSideWeight(model, features, { requests, truth });
    expect(choice.questions).toBe(60);
    expect(choice.weight).toBeGreaterThan(0);
    const at = (w: number) => choice.figures.find((g) => g.weight === w)!;
    expect(at(choice.weight).hitRate).toBe(1);
    expect(at(0).hitRate).toBeLessThan(1);
    // The chooser with that weight likes the held-out item every time.
    const answers = await new SequenceChooser(model, { features, weight: choice.weight }).choose(
      requests,
    );
    answers.forEach((a, k) => expect(a.ok && a.liked).toBe(truth[k]));
  });

  it('keeps weight 0 when the data has no metadata, or too few questions', () => {
    const choice = chooseSideWeight(model, itemFeatures(emptyItemMeta(6), 6), { requests, truth });
    expect(choice.weight).toBe(0);
    const few = { requests: requests.slice(0, 49), truth: truth.slice(0, 49) };
    const fewChoice = chooseSideWeight(model, itemFeatures(movies, 6), few);
    expect(fewChoice.weight).toBe(0);
    // The same questions decide once there are enough of them.
    expect(
      chooseSideWeight(model, itemFeatures(movies, 6), { requests, truth }).weight,
    ).toBeGreaterThan(0);
  });
});
