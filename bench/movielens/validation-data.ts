/**
 * The validation benches' data: MovieLens-100K or the demo's synthetic log, preprocessed as
 * the pipeline does, with the strongest baseline (the teacher) fitted on train and chosen on
 * validation. The test split is left in `data` but these benches never read it.
 */
import { parsePipelineConfig } from '../../lib/config/pipeline.ts';
import { ingestToTable, parseSource, preprocess } from '../../lib/data/index.ts';
import { strongestBaseline } from '../../lib/models/baselines/index.ts';
import { blendLabel } from '../../lib/models/baselines/blend.ts';
import { benchSplits } from '../common/splits.ts';
import { ml100kRatingsOf, movielens100k } from './data.ts';

export async function validationData(name: string, family: string, blend = false) {
  if (name !== 'movielens' && name !== 'movielens-dev' && name !== 'demo')
    throw new Error(`--data: movielens, movielens-dev or demo, not ${name}`);
  const config = parsePipelineConfig({ model: { family } });
  const source = name === 'demo' ? config.data.source : ml100kRatingsOf(movielens100k(), name);
  const ing = await ingestToTable(parseSource(source), {});
  const pre = preprocess(
    { table: ing.table, ...ing.idMaps, meta: ing.meta },
    { ...config.preprocess, seed: config.seed },
  );
  const splits = benchSplits(pre);
  const teacher = await strongestBaseline(splits.data.train, splits.data.valid, splits.nItems, {
    recency: splits.validation.trainRecency,
    blend,
  });
  console.error(
    `${name}: ${splits.nUsers} users x ${splits.nItems} items; teacher ${teacher.name} (validation NDCG@10 ${teacher.candidates.map((c) => `${c.name} ${c.validNdcg10?.toFixed(4)}${typeof c.chosen?.halfLife === 'number' ? ` (recency half-life ${c.chosen.halfLife})` : ''}`).join(', ')})${teacher.blend ? `; blended ${blendLabel(teacher.blend.parts)} (${teacher.validNdcg10.toFixed(4)})` : ''}`,
  );
  return {
    config,
    pre,
    ...splits,
    teacher,
  };
}
