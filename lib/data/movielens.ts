import type { InteractionFormat, ItemFormat } from './readers.ts';

/** The published MovieLens layouts: which files hold ratings and movies, in what format. */
export interface MovieLensLayout {
  name: 'ml-latest' | 'ml-100k' | 'ml-1m/10m';
  ratingsFile: string;
  ratings: InteractionFormat;
  itemsFile: string;
  items: ItemFormat;
}

const ML100K_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama',
  'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
]; // prettier-ignore

export const LAYOUTS: MovieLensLayout[] = [
  {
    name: 'ml-latest',
    ratingsFile: 'ratings.csv',
    ratings: {
      delimiter: ',',
      header: true,
      columns: { user: 'userId', item: 'movieId', rating: 'rating', timestamp: 'timestamp' },
      ratingRange: [0, 5],
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
      ratingRange: [0, 5],
    },
    itemsFile: 'u.item',
    items: {
      delimiter: '|',
      header: false,
      encoding: 'latin1',
      columns: { id: 0, title: 1 },
      genreFlags: { first: 5, names: ML100K_GENRES },
    },
  },
  {
    name: 'ml-1m/10m',
    ratingsFile: 'ratings.dat',
    ratings: {
      delimiter: '::',
      header: false,
      columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
      ratingRange: [0, 5],
    },
    itemsFile: 'movies.dat',
    items: {
      delimiter: '::',
      header: false,
      encoding: 'latin1',
      columns: { id: 0, title: 1, genres: 2 },
    },
  },
];

/** Picks the layout from the file names present (with or without `.gz`). */
export function detectLayout(names: string[]): MovieLensLayout | undefined {
  const set = new Set(names.map((n) => n.replace(/\.gz$/, '')));
  return LAYOUTS.find((l) => set.has(l.ratingsFile));
}
