/**
 * The published MovieLens layouts: which files hold ratings and movies, in what format,
 * and how to recognize a folder as one of them.
 */
import type { DelimitedFormat } from './interaction-parser.ts';
import type { ItemFormat } from './readers.ts';

export type MovieLensLayoutName = 'ml-latest' | 'ml-100k' | 'ml-1m';

export interface MovieLensLayout {
  /** `ml-latest` covers ml-latest-small, ml-20m, ml-25m, ml-32m; `ml-1m` covers ml-10m. */
  name: MovieLensLayoutName;
  ratingsFile: string;
  ratings: DelimitedFormat;
  itemsFile: string;
  items: ItemFormat;
}

const ML100K_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama',
  'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
]; // prettier-ignore

/** MovieLens ratings are half stars from 0.5 (ml-latest) or whole stars from 1. */
const RATING_RANGE: [number, number] = [0.5, 5];

export const MOVIELENS_LAYOUTS: readonly MovieLensLayout[] = [
  {
    name: 'ml-latest',
    ratingsFile: 'ratings.csv',
    ratings: {
      delimiter: ',',
      header: true,
      columns: { user: 'userId', item: 'movieId', rating: 'rating', timestamp: 'timestamp' },
      ratingRange: RATING_RANGE,
    },
    itemsFile: 'movies.csv',
    items: {
      delimiter: ',',
      header: true,
      columns: { id: 'movieId', title: 'title', genres: 'genres' },
    },
  },
  {
    name: 'ml-100k',
    ratingsFile: 'u.data',
    ratings: {
      delimiter: '\t',
      header: false,
      columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
      ratingRange: RATING_RANGE,
    },
    itemsFile: 'u.item',
    items: {
      delimiter: '|',
      header: false,
      encoding: 'latin1',
      columns: { id: 0, title: 1 },
      dateColumn: 2,
      genreFlags: { first: 5, names: ML100K_GENRES },
    },
  },
  {
    name: 'ml-1m',
    ratingsFile: 'ratings.dat',
    ratings: {
      delimiter: '::',
      header: false,
      columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
      ratingRange: RATING_RANGE,
    },
    itemsFile: 'movies.dat',
    // ml-1m's movies.dat is latin1; ml-10m's is UTF-8 but its titles are ASCII in practice.
    items: {
      delimiter: '::',
      header: false,
      encoding: 'latin1',
      columns: { id: 0, title: 1, genres: 2 },
    },
  },
];

/** Picks the layout from file names (with or without `.gz`). */
export function detectLayout(names: readonly string[]): MovieLensLayout | undefined {
  const set = new Set(names.map((n) => n.replace(/\.gz$/, '')));
  return MOVIELENS_LAYOUTS.find((l) => set.has(l.ratingsFile));
}
