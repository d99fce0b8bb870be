/**
 * Daily index names (`<prefix>-<signal>-YYYY.MM.DD`, UTC) and the index expressions a read sends so
 * it touches only the days of its time range. Retention drops whole days, so every read must
 * tolerate missing days (`ignore_unavailable`).
 */

export type Signal = 'spans' | 'services' | 'accesslogs' | 'dependencies';

export const DAY_MS = 86_400_000;
/** 1970-01-01 and 9999-12-31: the days a daily index name can stand for. */
const FIRST_INDEXED_MS = 0;
const LAST_INDEXED_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Windows longer than this (about five years) read the signal's pattern instead of a name list. */
const MAX_LISTED_SPAN_MS = 5 * 366 * DAY_MS;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `YYYY.MM.DD` of the UTC day that contains `epochMs`. */
export function dayOf(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}.${pad2(d.getUTCMonth() + 1)}.${pad2(d.getUTCDate())}`;
}

export function dailyIndex(prefix: string, signal: Signal, epochMs: number): string {
  return `${prefix}-${signal}-${dayOfCached(epochMs)}`;
}

// Nearly every span of a batch starts on the same day; formatting a Date per span showed in profiles.
let cachedDay = NaN;
let cachedDayName = '';

function dayOfCached(epochMs: number): string {
  const day = Math.floor(epochMs / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayName = dayOf(epochMs);
  }
  return cachedDayName;
}

/** The pattern every daily index of the signal matches (templates, reads without a time range). */
export function indexPattern(prefix: string, signal: Signal): string {
  return `${prefix}-${signal}-*`;
}

/**
 * Index expressions covering exactly the UTC days that intersect [startMs, endMs]. Whole calendar
 * months and years inside the range collapse to one wildcard (`…-2024.03.*`, `…-2023.*`), because
 * the list goes into the request path and Elasticsearch refuses request lines over 4 KiB; a
 * year-long look-back stays a handful of names instead of 365.
 */
export function indicesForRange(prefix: string, signal: Signal, startMs: number, endMs: number): string[] {
  if (!(endMs >= startMs)) return [];
  // Only days from 1970 to 9999 can have an index (a span's day comes from a Date, and the
  // collector refuses starts far from now): a window is cut to them, and one entirely outside
  // them reads nothing. Without this, `lookback=2^53` walked 10^8 days and named `NaN.NaN.NaN`.
  const from = Math.max(startMs, FIRST_INDEXED_MS);
  const to = Math.min(endMs, LAST_INDEXED_MS);
  if (to < from) return [];
  // Past a few years the pattern of the signal costs less than listing years; the query's own
  // time range still selects the documents.
  if (to - from > MAX_LISTED_SPAN_MS) return [indexPattern(prefix, signal)];
  const base = `${prefix}-${signal}-`;
  const names: string[] = [];
  let day = Math.floor(from / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(to / DAY_MS) * DAY_MS;
  while (day <= lastDay) {
    const d = new Date(day);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const isFirstOfYear = m === 0 && d.getUTCDate() === 1;
    const yearEnd = Date.UTC(y + 1, 0, 1) - DAY_MS;
    if (isFirstOfYear && yearEnd <= lastDay) {
      names.push(`${base}${y}.*`);
      day = yearEnd + DAY_MS;
      continue;
    }
    const monthEnd = Date.UTC(y, m + 1, 1) - DAY_MS;
    if (d.getUTCDate() === 1 && monthEnd <= lastDay) {
      names.push(`${base}${y}.${pad2(m + 1)}.*`);
      day = monthEnd + DAY_MS;
      continue;
    }
    names.push(base + dayOf(day));
    day += DAY_MS;
  }
  return names;
}
