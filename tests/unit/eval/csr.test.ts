import { describe, expect, it } from 'vitest';
import { keepRows } from '../../../lib/eval/csr.ts';

describe('keepRows', () => {
  it('keeps the rows of the given users and empties the others', () => {
    const csr = { indptr: Int32Array.of(0, 2, 3, 5), indices: Int32Array.of(1, 2, 0, 3, 4) };
    const r = keepRows(csr, Int32Array.of(0, 2));
    expect(Array.from(r.indptr)).toEqual([0, 2, 2, 4]);
    expect(Array.from(r.indices)).toEqual([1, 2, 3, 4]);
  });
});
