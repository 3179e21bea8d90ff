import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGrid, parseGrid } from '../../../lib/experiments/grid.ts';
import { loadPipelineConfig, readConfigFile } from '../../../lib/config/pipeline.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');
const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f));

// The docs tell users to run these files: each must stay a valid config (or grid).
describe('examples/', () => {
  it('holds configs', () => {
    expect(files).toContain('auto.yaml');
  });

  it.each(files)('%s is valid', (file) => {
    const path = join(EXAMPLES, file);
    const raw = readConfigFile(path) as Record<string, unknown>;
    if ('parameters' in raw) {
      const grid = parseGrid(raw, file);
      expect(expandGrid(undefined, grid, file).length).toBeGreaterThan(1);
    } else expect(loadPipelineConfig(path).name).toBeTruthy();
  });

  it('auto.yaml asks for the family chosen on validation', () => {
    expect(loadPipelineConfig(join(EXAMPLES, 'auto.yaml')).model.family).toBe('auto');
  });
});
