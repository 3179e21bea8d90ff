/**
 * JSON lines (one JSON object per line, `.jsonl` / `.ndjson`, plain or gzip), as many public
 * review and event logs ship: `{"user_id": "A1..", "parent_asin": "B0..", "rating": 5.0,
 * "timestamp": 1588687728923}`. Top-level fields are picked by name and read as typed
 * values (value-rows.ts). Each line is parsed once and dropped: streaming, memory bounded
 * by the chunk size. Blank lines are skipped; a line that is not a JSON object is a bad row
 * naming its line.
 */
import { feedBytes, feedFile } from './byte-source.ts';
import type { ChunkSink } from './byte-source.ts';
import { DataValidationError, quote } from './errors.ts';
import type { ReadResult } from './interaction-parser.ts';
import type { ReadOptions } from './readers.ts';
import { ValueRows } from './value-rows.ts';
import type { ValueColumns } from './value-rows.ts';

export interface JsonLinesOptions extends ReadOptions {
  ratingRange?: [number, number];
  /** The rating and timestamp fields may be absent from a line (NaN there). */
  optional?: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

/** Reads a JSON-lines file (local path) or in-memory bytes into interaction columns. */
export async function readJsonLines(
  source: string | Uint8Array,
  cols: ValueColumns,
  opts: JsonLinesOptions = {},
): Promise<ReadResult> {
  const label = opts.label ?? (typeof source === 'string' ? source : 'input');
  const { badRows, ratingRange } = opts;
  const rows = new ValueRows(label, cols, { badRows, ratingRange, lineKind: 'line' });
  const decoder = new TextDecoder();
  let line = 0;
  let records = 0;
  const readLine = (b: Uint8Array, s: number, e: number) => {
    line++;
    if (line === 1 && b[s] === 0xef && b[s + 1] === 0xbb && b[s + 2] === 0xbf) s += 3;
    if (e > s && b[e - 1] === CR) e--;
    let p = s;
    while (p < e && (b[p] === 0x20 || b[p] === 0x09)) p++;
    if (p === e) return;
    records++;
    const text = decoder.decode(b.subarray(s, e));
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      return rows.fail(
        line,
        undefined,
        text.length > 80 ? `${text.slice(0, 80)}...` : text,
        `not valid JSON (${(err as Error).message})`,
        'one JSON object per line',
      );
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record))
      return rows.fail(
        line,
        undefined,
        text.slice(0, 80),
        'not a JSON object',
        'one JSON object per line',
      );
    const o = record as Record<string, unknown>;
    // A mapped field the line lacks: name the fields it has, the likely fix is among them.
    const lacking = [cols.user, cols.item, ...(opts.optional ? [] : [cols.rating, cols.timestamp])]
      .filter((f): f is string => f !== undefined)
      .find((f) => o[f] === undefined);
    if (lacking !== undefined)
      return rows.fail(
        line,
        lacking,
        undefined,
        `no ${quote(lacking)} field (the line has ${Object.keys(o)
          .slice(0, 12)
          .map((k) => quote(k))
          .join(', ')})`,
        `a ${quote(lacking)} field in every line (or map another: jsonl:...?user=..&item=..)`,
      );
    rows.add(
      line,
      o[cols.user],
      o[cols.item],
      cols.rating !== undefined ? o[cols.rating] : undefined,
      cols.timestamp !== undefined ? o[cols.timestamp] : undefined,
    );
  };
  const sink: ChunkSink = {
    get currentLine() {
      return line;
    },
    feed(b, end, final) {
      let p = 0;
      for (;;) {
        const nl = b.indexOf(LF, p);
        if (nl < 0 || nl >= end) {
          if (final && p < end) readLine(b, p, end);
          return final ? end : p;
        }
        readLine(b, p, nl);
        p = nl + 1;
      }
    },
  };
  if (typeof source === 'string') await feedFile(source, label, sink);
  else feedBytes(source, label, sink);
  if (records === 0)
    throw new DataValidationError({
      file: label,
      problem: 'the file has no JSON lines',
      expected: 'one JSON object per line',
    });
  return rows.finish(records);
}
