/**
 * ISO 8601 dates in a timestamp column, as many public logs write them (`2016-03-09`,
 * `2016-03-09 00:44:42`, `2009-05-04T23:08:57Z`, `2017-08-25T13:55:02-07:00`), read from the
 * bytes without building a string or a Date per row. Without an offset a time is UTC.
 */

/** The value of `n` ASCII digits at `p`, or -1 when any is not a digit (or past `e`). */
function digits(b: ArrayLike<number>, p: number, n: number, e: number): number {
  if (p + n > e) return -1;
  let v = 0;
  for (let k = p; k < p + n; k++) {
    const d = b[k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DASH = 0x2d;
const COLON = 0x3a;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

/**
 * Seconds since 1970-01-01 UTC of the ISO 8601 date or date-time in `b[s..e)` (spaces and
 * tabs around it ignored): `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM`, `:SS`, a
 * fraction, and `Z` or an offset `±HH:MM` / `±HHMM` / `±HH`. NaN when it is not one, or
 * names a day or time that does not exist.
 */
export function isoDateSeconds(b: ArrayLike<number>, s: number, e: number): number {
  while (s < e && (b[s] === 0x20 || b[s] === 0x09)) s++;
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
  const year = digits(b, s, 4, e);
  const month = digits(b, s + 5, 2, e);
  const day = digits(b, s + 8, 2, e);
  if (year < 0 || month < 1 || month > 12 || day < 1 || b[s + 4] !== DASH || b[s + 7] !== DASH)
    return NaN;
  if (day > daysIn(year, month)) return NaN;
  let p = s + 10;
  let hour = 0;
  let minute = 0;
  let second = 0;
  if (p < e && (b[p] === 0x54 || b[p] === 0x20)) {
    hour = digits(b, p + 1, 2, e);
    minute = digits(b, p + 4, 2, e);
    if (hour < 0 || hour > 23 || b[p + 3] !== COLON || minute < 0 || minute > 59) return NaN;
    p += 6;
    if (p < e && b[p] === COLON) {
      second = digits(b, p + 1, 2, e);
      if (second < 0 || second > 60) return NaN;
      p += 3;
      if (p < e && (b[p] === 0x2e || b[p] === 0x2c)) {
        let scale = 0.1;
        p++;
        const from = p;
        for (let d = 0; p < e && (d = b[p]! - 0x30) >= 0 && d <= 9; p++, scale /= 10)
          second += d * scale;
        if (p === from) return NaN;
      }
    }
  }
  let offset = 0;
  if (p < e && b[p] === 0x5a) p++;
  else if (p < e && p > s + 10 && (b[p] === 0x2b || b[p] === DASH)) {
    const sign = b[p] === DASH ? -1 : 1;
    const oh = digits(b, p + 1, 2, e);
    if (oh < 0 || oh > 23) return NaN;
    p += 3;
    let om = 0;
    if (p < e) {
      if (b[p] === COLON) p++;
      om = digits(b, p, 2, e);
      if (om < 0 || om > 59) return NaN;
      p += 2;
    }
    offset = sign * (oh * 3600 + om * 60);
  }
  if (p !== e) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute) / 1000 + second - offset;
}

let scratch = new Uint8Array(64);

/** {@link isoDateSeconds} of a string (a Parquet string column's value). */
export function isoDateSecondsOf(text: string): number {
  if (text.length > scratch.length) scratch = new Uint8Array(text.length);
  // Any character beyond Latin-1 is not part of a date: 0xff is no digit or separator.
  for (let k = 0; k < text.length; k++) scratch[k] = Math.min(text.charCodeAt(k), 0xff);
  return isoDateSeconds(scratch, 0, text.length);
}
