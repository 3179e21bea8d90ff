/**
 * One table from several part files of a log (a folder or prefix of parts, or a glob):
 * rows in part order, user and item IDs mapped into shared ID maps (a part's dense index
 * is remapped through a lookup table built once per distinct ID, never per row).
 */
import { IdMap } from './id-map.ts';
import type { ReadResult } from './interaction-parser.ts';
import { allocInteractions } from './table.ts';

export function concatParts(parts: ReadResult[]): ReadResult {
  if (parts.length === 1) return parts[0]!;
  const users = new IdMap();
  const items = new IdMap();
  const table = allocInteractions(parts.reduce((s, p) => s + p.table.n, 0));
  let at = 0;
  for (const p of parts) {
    const userOf = remap(p.users, users);
    const itemOf = remap(p.items, items);
    const t = p.table;
    for (let k = 0; k < t.n; k++) {
      table.user[at + k] = userOf[t.user[k]!]!;
      table.item[at + k] = itemOf[t.item[k]!]!;
    }
    table.rating.set(t.rating.subarray(0, t.n), at);
    table.ts.set(t.ts.subarray(0, t.n), at);
    at += t.n;
  }
  const units = new Set(parts.map((p) => p.timestampUnit).filter((u) => u !== 'none'));
  return {
    table,
    users,
    items,
    dataRows: parts.reduce((s, p) => s + p.dataRows, 0),
    badRows: {
      count: parts.reduce((s, p) => s + p.badRows.count, 0),
      samples: parts.flatMap((p) => p.badRows.samples).slice(0, 20),
    },
    // `ms` when any part was in milliseconds (each part was normalized to seconds on its own).
    timestampUnit: units.has('ms') ? 'ms' : units.has('s') ? 's' : 'none',
  };
}

function remap(part: IdMap, shared: IdMap): Int32Array {
  const out = new Int32Array(part.size);
  for (let k = 0; k < part.size; k++) out[k] = shared.fromString(part.idOf(k));
  return out;
}
