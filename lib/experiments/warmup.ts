/**
 * Which shared upstream work an experiment computes once, before its variants fan out.
 * Stage outputs are content-addressed, so a variant that starts after another finished a
 * stage with the same inputs reuses it; but children running side by side would each
 * compute it. So the experiment first runs the data stages once per distinct data setting
 * that two or more variants use, then - side by side - each GAN, LLM and teacher setting
 * that two or more variants use, each branch alone (the others disabled or not reached; a
 * stage's key depends only on its own config section and inputs); last, model A, which
 * variants that differ only in augmentation settings share.
 */
import type { PipelineConfig } from '../config/pipeline.ts';
import type { ExperimentVariant, WarmStep } from '../contracts/experiment.ts';
import { stableStringify } from '../store/hash.ts';

function dataKey(c: PipelineConfig): string {
  return stableStringify({ seed: c.seed, data: c.data, preprocess: c.preprocess });
}

/** Variants grouped by `key` (undefined = not in any group), in first-seen order. */
function groupBy(variants: ExperimentVariant[], key: (c: PipelineConfig) => string | undefined) {
  const groups = new Map<string, ExperimentVariant[]>();
  for (const v of variants) {
    const k = key(v.config);
    if (k !== undefined) groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  return [...groups.values()].filter((g) => g.length >= 2);
}

/**
 * The kinds of warm-up, in the order they run: what makes two variants share one (`key`;
 * undefined = nothing to warm) and the config the warm-up runs with.
 */
const KINDS: {
  until: WarmStep['until'];
  key: (c: PipelineConfig) => string | undefined;
  config: (c: PipelineConfig) => PipelineConfig;
}[] = [
  { until: 'preprocess', key: dataKey, config: (c) => c },
  {
    until: 'generateGan',
    key: (c) => (c.gan.enabled ? stableStringify([dataKey(c), c.gan]) : undefined),
    config: (c) => ({ ...c, llm: { ...c.llm, enabled: false } }),
  },
  {
    until: 'expandLlm',
    key: (c) => (c.llm.enabled ? stableStringify([dataKey(c), c.llm]) : undefined),
    config: (c) => ({ ...c, gan: { ...c.gan, enabled: false } }),
  },
  {
    until: 'teacher',
    key: (c) => (c.teacher.enabled ? stableStringify([dataKey(c), c.teacher]) : undefined),
    config: (c) => ({
      ...c,
      gan: { ...c.gan, enabled: false },
      llm: { ...c.llm, enabled: false },
    }),
  },
  // Model A (real data only) is the same for every variant that keeps the data, the model
  // and the written negatives: its identity is its training file, not the resample config.
  {
    until: 'retrainA',
    key: (c) => stableStringify([dataKey(c), c.model, c.resample.negatives]),
    config: (c) => c,
  },
];

export function planWarmups(variants: ExperimentVariant[]): WarmStep[] {
  return KINDS.flatMap((kind) =>
    groupBy(variants, kind.key).map((g) => ({
      until: kind.until,
      config: kind.config(g[0]!.config),
      for: g.map((v) => v.label),
    })),
  );
}
