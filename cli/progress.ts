/**
 * Live progress of a run for `run --wait`: on a terminal, one redrawn line per stage with
 * a bar (epochs or rows done) and an ETA; in logs and pipes, plain lines when a stage's
 * status changes and at most one detail line per stage every few seconds.
 */
import type { PipelineProgress, StageProgress } from '../lib/contracts/index.ts';
import type { LiveActivity, WatchedProgress } from '../lib/runtime/pipeline-client.ts';
import { info } from './output.ts';

type Progress = PipelineProgress & { live?: LiveActivity[] };

/** Fraction done and a short description from a stage's heartbeat details. */
export function describeDetails(d: Record<string, unknown> | undefined): {
  fraction?: number;
  text: string;
} {
  if (!d) return { text: '' };
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
  const parts: string[] = [];
  if (typeof d.phase === 'string') parts.push(d.phase);
  let fraction: number | undefined;
  const epoch = num('epoch');
  const epochs = num('epochs');
  if (epoch !== undefined && epochs) {
    parts.push(`epoch ${epoch}/${epochs}`);
    fraction = epoch / epochs;
  }
  const done = num('done');
  const total = num('total');
  if (done !== undefined && total) {
    parts.push(`${done}/${total}`);
    fraction ??= done / total;
  }
  const loss = num('loss');
  if (loss !== undefined) parts.push(`loss ${loss.toFixed(4)}`);
  const ndcg = num('validNdcg10');
  if (ndcg !== undefined) parts.push(`valid ndcg@10 ${ndcg.toFixed(4)}`);
  return { fraction, text: parts.join(', ') };
}

function liveFor(stage: StageProgress, live: LiveActivity[] | undefined): LiveActivity | undefined {
  return live?.find((a) => a.activity === stage.name);
}

function bar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

/** Time left at the rate since the attempt started on a worker (not since it was queued). */
function eta(startedAt: number | undefined, fraction: number | undefined, now: number): string {
  if (!startedAt || !fraction || fraction <= 0.02 || fraction >= 1) return '';
  const left = ((now - startedAt) / 1000) * ((1 - fraction) / fraction);
  return ` ETA ${left < 90 ? `${left.toFixed(0)} s` : `${(left / 60).toFixed(1)} min`}`;
}

function stageLine(s: StageProgress, live: LiveActivity[] | undefined, now: number): string {
  const name = s.name.padEnd(12);
  if (s.status !== 'running') {
    const time = s.seconds !== undefined ? ` in ${s.seconds.toFixed(1)} s${split(s)}` : '';
    const why = s.error ? ` - ${s.error}` : s.note ? ` (${s.note})` : '';
    return `  ${name} ${s.status}${time}${why}`;
  }
  const a = liveFor(s, live);
  const attempt =
    a && a.attempt > 1 ? ` (attempt ${a.attempt}${a.lastFailure ? `: ${a.lastFailure}` : ''})` : '';
  if (a?.waiting) return `  ${name} waiting for a free worker on its task queue${attempt}`;
  const { fraction, text } = describeDetails(a?.details);
  const started = a?.startedAt ?? s.startedAt;
  const progress = fraction !== undefined ? `${bar(fraction)}${eta(started, fraction, now)} ` : '';
  return `  ${name} running ${progress}${text}${attempt}`;
}

/**
 * `(9.4 s running)` when the stage's wall time is mostly something else: waiting for a free
 * worker (e.g. behind the other branch on a one-slot gpu worker) or earlier attempts.
 */
function split(s: StageProgress): string {
  const run = s.ref?.seconds;
  if (run === undefined || s.seconds === undefined || s.status !== 'done') return '';
  const other = s.seconds - run;
  return other > Math.max(1, 0.1 * s.seconds)
    ? ` (${run.toFixed(1)} s running; ${other.toFixed(1)} s waiting for a worker or retrying)`
    : '';
}

/** Plain lines: status changes, and running details at most every `detailEveryMs`. */
export function plainProgress(detailEveryMs = 5_000): (p: Progress) => void {
  const seen = new Map<string, string>();
  const lastDetail = new Map<string, number>();
  return (p) => {
    const now = Date.now();
    for (const s of p.stages) {
      if (s.status === 'pending' || (s.status === 'skipped' && !s.note)) continue;
      const line = stageLine(s, p.live, now);
      const key =
        s.status === 'running'
          ? `running:${describeDetails(liveFor(s, p.live)?.details).text}`
          : line;
      if (seen.get(s.name) === key) continue;
      if (
        s.status === 'running' &&
        seen.get(s.name)?.startsWith('running') &&
        now - (lastDetail.get(s.name) ?? 0) < detailEveryMs
      )
        continue;
      seen.set(s.name, key);
      lastDetail.set(s.name, now);
      info(line);
    }
  };
}

/** A block of stage lines redrawn in place (terminals only). */
export function ttyProgress(stream: NodeJS.WriteStream = process.stderr): (p: Progress) => void {
  let drawn = 0;
  return (p) => {
    const lines = p.stages
      .filter((s) => s.status !== 'pending' && !(s.status === 'skipped' && !s.note))
      .map((s) =>
        stageLine(s, p.live, Date.now()).slice(0, Math.max(20, (stream.columns ?? 120) - 1)),
      );
    if (drawn > 0) stream.write(`\x1b[${drawn}A`);
    for (const l of lines) stream.write(`\x1b[2K${l}\n`);
    drawn = lines.length;
  };
}

/** The right renderer for where output goes. */
export function progressPrinter(): (p: WatchedProgress | PipelineProgress) => void {
  return process.stderr.isTTY && !process.env.CI ? ttyProgress() : plainProgress();
}
