/**
 * Which shared upstream work an experiment computes once, before its variants fan out.
 * Stage outputs are content-addressed, so a variant that starts after another finished a
 * stage with the same inputs reuses it; but children running side by side would each
 * compute it. So the experiment first runs the data stages once per distinct data setting
 * that two or more variants use, then - side by side - each GAN setting and each LLM
 * setting that two or more variants use, each branch alone (the other one disabled; a
 * stage's key depends only on its own config section and inputs); last, model A, which
 * variants that differ only in augmentation settings share.
 */
import type { PipelineConfig } from '../config/pipeline.ts';
import type { ExperimentVariant, WarmStep } from '../contracts/index.ts';
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

export function planWarmups(variants: ExperimentVariant[]): WarmStep[] {
  const labels = (g: ExperimentVariant[]) => g.map((v) => v.label);
  const steps: WarmStep[] = groupBy(variants, dataKey).map((g) => ({
    until: 'preprocess',
    config: g[0]!.config,
    for: labels(g),
  }));
  for (const g of groupBy(variants, (c) =>
    c.gan.enabled ? stableStringify([dataKey(c), c.gan]) : undefined,
  )) {
    const c = g[0]!.config;
    steps.push({
      until: 'generateGan',
      config: { ...c, llm: { ...c.llm, enabled: false } },
      for: labels(g),
    });
  }
  for (const g of groupBy(variants, (c) =>
    c.llm.enabled ? stableStringify([dataKey(c), c.llm]) : undefined,
  )) {
    const c = g[0]!.config;
    steps.push({
      until: 'expandLlm',
      config: { ...c, gan: { ...c.gan, enabled: false } },
      for: labels(g),
    });
  }
  // Model A (real data only) is the same for every variant that keeps the data, the model
  // and the written negatives: its identity is its training file, not the resample config.
  for (const g of groupBy(variants, (c) =>
    stableStringify([dataKey(c), c.model, c.resample.negatives]),
  ))
    steps.push({ until: 'retrainA', config: g[0]!.config, for: labels(g) });
  return steps;
}
