import { afterEach, describe, expect, it, vi } from 'vitest';
import { printSummary } from '../../../cli/commands/run.ts';
import type { RunSummary } from '../../../lib/runtime/pipeline-client.ts';

describe('the run summary printed by run --wait', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints every segment, an empty one (null means, as JSON has them) included, and the decision', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const m = (ndcg: number) => ({ 'ndcg@10': ndcg, 'recall@10': ndcg * 2 });
    const empty = { 'ndcg@10': null, 'recall@10': null } as unknown as Record<string, number>;
    const summary: RunSummary = {
      workflowId: 'w',
      runId: 'r',
      status: 'completed',
      seconds: 12.3,
      stages: [],
      tracking: {},
      metrics: { A: m(0.25), B: m(0.27) },
      segments: {
        sparseUsers: { users: 229, A: m(0.2), B: m(0.21) },
        // A random split leaves no user with 5 train items or fewer.
        coldUsers: { users: 0, A: empty, B: empty },
        tailItems: { users: 40, A: m(0.01), B: m(0.02) },
      },
      decision: { promote: true, reasons: ['promote B', 'NDCG@10 rose'] },
    };
    printSummary(summary);
    const out = lines.join('');
    expect(out).toMatch(/sparse users ndcg@10 +0\.2000 +0\.2100 +5\.0% \(229 users\)/);
    expect(out).toMatch(/cold users ndcg@10 +no users in this segment/);
    expect(out).toMatch(/tail items recall@10 +0\.0200 +0\.0400 +100\.0% \(40 users\)/);
    expect(out).toContain('decision: PROMOTE B');
  });
});
