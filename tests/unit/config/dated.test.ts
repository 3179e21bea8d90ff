import { describe, expect, it } from 'vitest';
import { expandDatedSource } from '../../../lib/config/dated.ts';

describe('dated sources', () => {
  it('expands {date} and {yesterday} in UTC', () => {
    const at = new Date('2026-03-01T01:30:00Z');
    expect(expandDatedSource('movielens:s3://logs/{date}/', at)).toBe(
      'movielens:s3://logs/2026-03-01/',
    );
    expect(expandDatedSource('csv:s3://logs/{yesterday}/part.csv?user=u&item=i', at)).toBe(
      'csv:s3://logs/2026-02-28/part.csv?user=u&item=i',
    );
    expect(expandDatedSource('synthetic:users=5', at)).toBe('synthetic:users=5');
  });
});
