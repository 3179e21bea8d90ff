/**
 * The candidates of `augmentation.policy: auto`: which synthetic sources feed B and with what
 * per-user count and loss weight. Pure: the grid is a function of the sources that produced
 * rows and the configured axes, in a fixed order (the order the search tries them in).
 */

/** The resample settings a candidate changes; every other setting stays as configured. */
export interface PolicyOverrides {
  maxSyntheticPerUser: number;
  syntheticWeight: number;
  /** Present when the grid tries shares of users (resample.syntheticUsersFraction). */
  syntheticUsersFraction?: number;
}

export interface PolicyCandidate {
  /**
   * Short and stable, e.g. `teacher k2 w0.5` or `all k5 w1`; with several user shares in the
   * grid, the share follows (`teacher k2 w0.5 u0.25`).
   */
  label: string;
  /** Source names whose rows B may take (`gan`, `llm`, `teacher`). */
  sources: string[];
  overrides: PolicyOverrides;
}

export interface PolicyGrid {
  /** Synthetic positives per user tried (resample.maxSyntheticPerUser). */
  perUser: readonly number[];
  /** Loss weights of synthetic rows tried (resample.syntheticWeight). */
  weights: readonly number[];
  /**
   * Shares of users, fewest real rows first, that keep synthetic rows
   * (resample.syntheticUsersFraction). Absent: the configured share only.
   */
  users?: readonly number[];
  /** Also try every source together (when more than one produced rows). */
  combined: boolean;
  /** At most this many candidates (the first ones in grid order). */
  maxCandidates: number;
}

/**
 * The teacher's rows with the most popular items allowed (teacher.excludeTopPopular 0): a
 * variant of the teacher source that the policy tries alone (`augmentation.teacherHead`).
 */
export const TEACHER_WITH_HEAD = 'teacher+head';

/**
 * Each source alone (in the given order), then each of `alone` (variants of a source's rows,
 * tried by themselves and never combined), then all of `sources` together, crossed with the
 * per-user counts, weights and user shares. The cheapest settings come first within a source so that a
 * budget cut keeps a spread of sources rather than one source's whole grid: the order is
 * setting-major (every source at the first setting, then every source at the next).
 */
export function policyCandidates(
  sources: readonly string[],
  grid: PolicyGrid,
  alone: readonly string[] = [],
): PolicyCandidate[] {
  const groups = [...sources, ...alone].map((s) => [s]);
  if (grid.combined && sources.length > 1) groups.push([...sources]);
  const out: PolicyCandidate[] = [];
  const shares: readonly (number | undefined)[] = grid.users?.length ? grid.users : [undefined];
  for (const k of grid.perUser) {
    for (const w of grid.weights) {
      for (const u of shares) {
        for (const group of groups) {
          out.push({
            label: `${group.length > 1 ? 'all' : group[0]} k${k} w${w}${shares.length > 1 ? ` u${u}` : ''}`,
            sources: group,
            overrides: {
              maxSyntheticPerUser: k,
              syntheticWeight: w,
              ...(u !== undefined ? { syntheticUsersFraction: u } : {}),
            },
          });
        }
      }
    }
  }
  return out.slice(0, grid.maxCandidates);
}
