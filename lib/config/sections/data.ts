// The `data` and `preprocess` sections: where the interaction log comes from, and how it is
// cleaned, k-core filtered and split.

import { z } from 'zod';
import { parseItemsSource, parseSource } from '../../data/sources.ts';
import { ConfigError } from '../errors.ts';

export const dataSchema = z
  .strictObject({
    source: z
      .string()
      .min(1)
      .default('synthetic:users=3000,items=1500,interactions=150000,seed=42')
      .describe(
        'Where the interaction log comes from: `synthetic:users=..,items=..,interactions=..,seed=..`, `movielens:DIR`, `csv:PATH?user=..&item=..`, `tsv:`, `parquet:`, `jsonl:` (one JSON object per line; fields by name); locations are local paths, `file://` or `s3://` (a file, a folder or prefix, or a `*` pattern). `{date}` and `{yesterday}` resolve to the run date.',
      ),
    items: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Optional item-metadata file (title, genres, year, text): a local path, `file://` or `s3://` URI, or `csv:`/`tsv:`/`parquet:` with options (`id=`, `title=`, `genres=`, `year=`, `text=`, `genreSeparator=`; delimited files also `delimiter=`, `header=false`, `encoding=latin1`). It replaces a MovieLens folder's movies file; the LLM branch uses it as side information.",
      ),
    badRows: z
      .enum(['fail', 'skip'])
      .default('fail')
      .describe('What to do with malformed rows: fail the run, or skip and count them.'),
    maxBadRowFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe(
        'With badRows skip: the largest share of rows (per part file) that may be skipped.',
      ),
  })
  // The syntax of both locations is checked with the config, so `config check` and `run`
  // say what is wrong before a run starts (the files themselves are read by ingest).
  .superRefine((d, ctx) => {
    const check = (key: 'source' | 'items', parse: (s: string) => unknown, value?: string) => {
      if (value === undefined) return;
      try {
        parse(value);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const issue of err.issues)
          ctx.addIssue({ code: 'custom', path: [key], message: issue.expected });
      }
    };
    check('source', parseSource, d.source);
    check('items', parseItemsSource, d.items);
  })
  .prefault({})
  .describe('The interaction log read by ingest.');

export const preprocessSchema = z
  .strictObject({
    positiveThreshold: z
      .number()
      .finite()
      .default(4)
      .describe(
        'Rating at or above which an interaction counts as positive (rows without a rating are positives).',
      ),
    kCore: z
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe('Minimum interactions per user and per item, applied iteratively.'),
    split: z
      .enum(['leave-last-out', 'random'])
      .default('leave-last-out')
      .describe(
        '`leave-last-out`: per user the latest row is test, the second latest valid; `random`: a seeded split by `ratios`.',
      ),
    ratios: z
      .strictObject({
        train: z.number().gt(0).lt(1).default(0.8).describe('Share of rows in train.'),
        valid: z.number().min(0).lt(1).default(0.1).describe('Share of rows in valid.'),
        test: z.number().gt(0).lt(1).default(0.1).describe('Share of rows in test.'),
      })
      .prefault({})
      .refine((r) => Math.abs(r.train + r.valid + r.test - 1) < 1e-9, 'train + valid + test = 1')
      .describe('Ratios of the random split.'),
  })
  .prefault({})
  .describe('Cleaning, k-core filtering and the train/valid/test split.');
