import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_DOC,
  REFERENCE_BEGIN,
  renderConfigReference,
  renderedConfigurationDoc,
  undescribedKeys,
} from '../../../lib/config/reference.ts';

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` renders from the schema', async () => {
    const committed = readFileSync(CONFIGURATION_DOC, 'utf8');
    expect(committed).toContain(REFERENCE_BEGIN);
    // On failure: run `npm run docs:config` and commit docs/configuration.md.
    expect(committed).toBe(await renderedConfigurationDoc());
  });

  it('describes every key of the config file', () => {
    expect(undescribedKeys()).toEqual([]);
  });

  it('lists keys with their types, defaults and cross-field rules', () => {
    const ref = renderConfigReference();
    expect(ref).toContain('| `model.factors` | integer, ≥ 1, ≤ 1024 | `64` |');
    expect(ref).toContain('| `gan.users` | `sparse` or `all` | `sparse` |');
    // A default that depends on other keys is the value an empty config gets.
    expect(ref).toContain('| `model.learningRate` | number, > 0, ≤ 10 | `0.05` |');
    expect(ref).toContain('| `registry.model` | string, matching');
    expect(ref).toContain('- provider openai needs openai.baseUrl and openai.model');
    expect(ref).toContain('### `llm.openai`');
  });
});
