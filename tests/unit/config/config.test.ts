import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSettings, loadConnectionSettings } from '../../../lib/config/env.ts';
import {
  loadPipelineConfig,
  parsePipelineConfig,
  pipelineConfigJsonSchema,
} from '../../../lib/config/pipeline.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { configError } from '../../helpers/config-error.ts';

const defaults = { artifactUri: 'file:///tmp/artifacts', mlflowUri: 'http://127.0.0.1:5000' };

describe('pipeline config', () => {
  it('fills every default from an empty file', () => {
    const c = parsePipelineConfig({});
    expect(c.seed).toBe(42);
    expect(c.preprocess).toEqual({
      positiveThreshold: 4,
      kCore: 5,
      split: 'leave-last-out',
      ratios: { train: 0.8, valid: 0.1, test: 0.1 },
    });
    expect(c.data.source).toMatch(/^synthetic:/);
  });

  it('names the field, the value and what was expected', () => {
    const err = configError(() =>
      parsePipelineConfig(
        { preprocess: { kCore: -1, split: 'sideways', spilt: 'x', shuffle: 1 } },
        'exp.yaml',
      ),
    );
    expect(err.source).toBe('exp.yaml');
    expect(err.issues).toEqual(
      expect.arrayContaining([
        { field: 'preprocess.kCore', value: -1, expected: '>= 0' },
        {
          field: 'preprocess.split',
          value: 'sideways',
          expected: 'one of "leave-last-out", "random"',
        },
        // the closest known key is named; a key near none is only called unknown
        { field: 'preprocess.spilt', value: 'x', expected: 'no such key (did you mean split?)' },
        { field: 'preprocess.shuffle', value: 1, expected: 'no such key (a typo?)' },
      ]),
    );
    expect(err.message).toContain('exp.yaml');
    expect(err.message).toContain('preprocess.kCore: -1 - expected >= 0');
  });

  it('checks the syntax of data.source and data.items with the config, before any run', () => {
    const issues = (data: unknown) => configError(() => parsePipelineConfig({ data })).issues;
    expect(issues({ source: 'csv:/d/log.csv?usr=uid&item=sku' })).toEqual([
      {
        field: 'data.source',
        value: 'csv:/d/log.csv?usr=uid&item=sku',
        expected: expect.stringContaining('csv options among user, item') as unknown,
      },
    ]);
    expect(issues({ items: 'csv:/d/items.csv?titel=name' })[0]).toMatchObject({
      field: 'data.items',
      expected: expect.stringContaining('(got "titel"; did you mean title?)') as unknown,
    });
    expect(issues({ source: 'csv:/d/log.csv?user=u&itm=i' })[0]!.expected).toContain(
      '(got "itm"; did you mean item?)',
    );
    expect(issues({ items: '/d/items.csv?encoding=latin2' })[0]!.expected).toBe(
      'encoding=utf-8 or encoding=latin1 (got "latin2")',
    );
    expect(issues({ items: '/d/items.tsv?header=false' })[0]!.expected).toBe(
      'id=<1-based column position> when header=false',
    );
    expect(issues({ items: 'parquet:/d/items.parquet?delimiter=tab' })[0]!.expected).toContain(
      'data.items Parquet options among id, title, genres, year, text, genreSeparator',
    );
    // A dated template and named delimiters parse; the files are ingest's to read.
    const ok = parsePipelineConfig({
      data: {
        source: 'csv:s3://logs/{yesterday}/part-*.csv.gz?user=u&item=i',
        items: 'tsv:/d/items.tsv?delimiter=pipe&header=false&id=1',
      },
    });
    expect(ok.data.items).toBe('tsv:/d/items.tsv?delimiter=pipe&header=false&id=1');
  });

  it('names the key an unknown one most likely meant, in nested sections too', () => {
    const issue = (raw: unknown) => configError(() => parsePipelineConfig(raw)).issues[0]!;
    expect(issue({ evaluate: { minSegmentUser: 10 } }).expected).toBe(
      'no such key (did you mean minSegmentUsers?)',
    );
    expect(issue({ model: { Family: 'ease' } }).expected).toBe(
      'no such key (did you mean family?)',
    );
    expect(issue({ llm: { gguf: { modelpth: 'x' } } }).expected).toBe(
      'no such key (did you mean modelPath?)',
    );
    expect(issue({ evalute: {} })).toMatchObject({
      field: 'evalute',
      expected: 'no such key (did you mean evaluate?)',
    });
    // short keys suggest only on case: two edits would reach too many
    expect(issue({ evaluate: { kz: [10] } }).expected).toBe('no such key (a typo?)');
  });

  it('checks cross-field rules', () => {
    const err = configError(() => parsePipelineConfig({ preprocess: { ratios: { train: 0.5 } } }));
    expect(err.issues[0]!.field).toBe('preprocess.ratios');
    const gguf = configError(() => parsePipelineConfig({ llm: { provider: 'gguf' } }));
    expect(gguf.issues[0]!.field).toBe('llm.gguf.modelPath');
    expect(gguf.message).toContain('a .gguf file on the gpu-queue worker');
    for (const model of [
      { family: 'neumf', optimizer: 'sgd' },
      { kernel: 'tfjs', optimizer: 'sgd' },
    ]) {
      const sgd = configError(() => parsePipelineConfig({ model }));
      expect(sgd.issues[0]!.field).toBe('model.optimizer');
    }
    expect(parsePipelineConfig({ model: { optimizer: 'sgd' } }).model.optimizer).toBe('sgd');
  });

  it('lets the Python worker train every model family the config offers', () => {
    const python = { worker: 'python' };
    // A family added to the config without a Python trainer fails here (PYTHON_FAMILIES).
    const schema = pipelineConfigJsonSchema() as {
      properties: { model: { properties: { family: { enum: string[] } } } };
    };
    const families = schema.properties.model.properties.family.enum;
    expect(families).toEqual(expect.arrayContaining(['bpr', 'neumf', 'ials', 'ease', 'auto']));
    for (const family of families)
      expect(parsePipelineConfig({ training: python, model: { family } }).model.family).toBe(
        family,
      );
    const bpr = parsePipelineConfig({ training: python });
    expect([bpr.training.worker, bpr.model.family]).toEqual(['python', 'bpr']);
    const neumf = parsePipelineConfig({ training: python, model: { family: 'neumf' } });
    expect([neumf.training.worker, neumf.model.family]).toEqual(['python', 'neumf']);
  });

  it('chooses the optimizer and its step size and patience from the model', () => {
    const pick = (model: object) => {
      const m = parsePipelineConfig({ model }).model;
      return [m.optimizer, m.learningRate, m.patience];
    };
    expect(pick({})).toEqual(['sgd', 0.05, 10]);
    expect(pick({ family: 'neumf' })).toEqual(['adam', 0.005, 3]);
    expect(pick({ kernel: 'tfjs' })).toEqual(['adam', 0.005, 3]);
    expect(pick({ optimizer: 'adam' })).toEqual(['adam', 0.005, 3]);
    expect(pick({ learningRate: 0.01, patience: 4 })).toEqual(['sgd', 0.01, 4]);
    expect(pick({ family: 'neumf', learningRate: 0.001 })).toEqual(['adam', 0.001, 3]);
  });

  it('gives iALS its own defaults (no optimizer, lambda and alpha) and refuses what it lacks', () => {
    const m = parsePipelineConfig({ model: { family: 'ials' } }).model;
    expect([m.optimizer, m.l2, m.alpha, m.cgSteps, m.patience]).toEqual([undefined, 10, 10, 3, 5]);
    expect(parsePipelineConfig({}).model.l2).toBe(1e-4);
    expect(parsePipelineConfig({ model: { family: 'ials', l2: 2 } }).model.l2).toBe(2);
    const optimizer = configError(() =>
      parsePipelineConfig({ model: { family: 'ials', optimizer: 'sgd' } }),
    );
    expect(optimizer.issues[0]!.field).toBe('model.optimizer');
    const kernel = configError(() =>
      parsePipelineConfig({ model: { family: 'ials', kernel: 'simd' } }),
    );
    expect(kernel.issues[0]!.field).toBe('model.kernel');
  });

  it('reads YAML files and reports syntax errors with their position', () => {
    const dir = tempDir();
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'seed: 7\npreprocess:\n  kCore: 2\n');
    expect(loadPipelineConfig(good).preprocess.kCore).toBe(2);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'seed: 7\npreprocess: [unclosed\n');
    const err = configError(() => loadPipelineConfig(bad));
    expect(err.issues[0]!.field).toMatch(/^line \d+, column \d+$/);
    const missing = configError(() => loadPipelineConfig(join(dir, 'nope.yaml')));
    expect(missing.issues[0]!.expected).toContain('ENOENT');
  });

  it('exports a JSON Schema with defaults for editors', () => {
    const schema = pipelineConfigJsonSchema() as {
      properties: Record<string, { default?: unknown }>;
    };
    expect(schema.properties.seed!.default).toBe(42);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['data', 'preprocess']));
  });
});

describe('connection settings', () => {
  it('has local defaults', () => {
    const s = loadConnectionSettings({}, defaults);
    expect(s.temporal.address).toBe('127.0.0.1:7233');
    expect(s.temporal.tls).toBeUndefined();
    expect(s.artifactUri).toBe('file:///tmp/artifacts');
    expect(s.s3.forcePathStyle).toBe(false);
  });

  it('configures Temporal Cloud with an API key and never prints it', () => {
    const s = loadConnectionSettings(
      {
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ns.acct',
        TEMPORAL_API_KEY: 'sk-very-secret',
      },
      defaults,
    );
    expect(s.temporal.apiKey).toBe('sk-very-secret');
    expect(s.temporal.tls).toBeDefined();
    expect(JSON.stringify(describeSettings(s))).not.toContain('sk-very-secret');
  });

  it('names the variable and redacts secrets in errors', () => {
    const err = configError(() =>
      loadConnectionSettings(
        {
          TEMPORAL_ADDRESS: 'no-port',
          ARTIFACT_URI: 'ftp://x',
          MLFLOW_TRACKING_URI: 'localhost:5000',
        },
        defaults,
      ),
    );
    expect(err.issues.map((i) => i.field).sort()).toEqual([
      'ARTIFACT_URI',
      'MLFLOW_TRACKING_URI',
      'TEMPORAL_ADDRESS',
    ]);
    expect(err.message).toContain('TEMPORAL_ADDRESS: "no-port"');
    const pair = configError(() =>
      loadConnectionSettings({ TEMPORAL_TLS_CERT: '/c.pem' }, defaults),
    );
    expect(pair.issues[0]!.field).toBe('TEMPORAL_TLS_KEY');
  });

  it('uses path-style S3 addressing with a custom endpoint', () => {
    const s = loadConnectionSettings(
      {
        ARTIFACT_URI: 's3://bucket/pre',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
        AWS_REGION: 'eu-west-1',
      },
      defaults,
    );
    expect(s.s3).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
  });
});
