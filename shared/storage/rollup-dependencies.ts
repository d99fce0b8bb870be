/**
 * /api/dependencies over roll-ups: the final day and hour roll-ups inside the asked window are
 * read, and only the rest — the open ends of the window, and closed hours not yet final — is
 * computed live from the spans. Children are counted by start time in exactly one window, so the
 * answer equals the all-live computation (spans arriving later than the roll-up lateness aside),
 * while 30 days cost a few hundred stored edges instead of a scan of every span.
 */
import type { ReadScope } from './read-scope.js';
import type { DependencyRangeReader } from './dependency-range.js';
import { GRANULARITY_MS, sumEdges, type EdgeKind, type RollupStore, type RollupWindow } from './rollupstore.js';
import { overridingSpanReader, type DependencyLink, type SpanReader } from './spanstore.js';

const HOUR_US = GRANULARITY_MS.hour * 1000;
const DAY_US = GRANULARITY_MS.day * 1000;

export interface DependencyPlan {
  /** Final roll-ups to read, by start. */
  readonly rolledUp: readonly RollupWindow[];
  /** µs ranges (inclusive) to compute live, in order. */
  readonly live: ReadonlyArray<readonly [number, number]>;
}

/** Indexes (start / size) of the windows of `sizeUs` lying wholly inside [fromUs, toUs]. */
function wholeWindows(fromUs: number, toUs: number, sizeUs: number): [number, number] {
  return [Math.ceil(fromUs / sizeUs), Math.floor((toUs + 1) / sizeUs) - 1];
}

/**
 * Which parts of [fromUs, toUs] come from roll-ups (final days first, then final hours outside
 * them) and which are computed live. `finalDays`/`finalHours` hold window starts in ms.
 */
export function planDependencies(
  kind: EdgeKind,
  fromUs: number,
  toUs: number,
  finalDays: ReadonlySet<number>,
  finalHours: ReadonlySet<number>,
): DependencyPlan {
  // Walk the final windows only (never every hour of the window: a request may ask for
  // thousands of years, and only the hours the roll-up job has computed can be final).
  const [firstDay, lastDay] = wholeWindows(fromUs, toUs, DAY_US);
  const coveredDays = new Set<number>();
  const rolledUp: RollupWindow[] = [];
  for (const startMs of finalDays) {
    const d = startMs / GRANULARITY_MS.day;
    if (Number.isInteger(d) && d >= firstDay && d <= lastDay) {
      coveredDays.add(d);
      rolledUp.push({ kind, granularity: 'day', startMs });
    }
  }
  const [firstHour, lastHour] = wholeWindows(fromUs, toUs, HOUR_US);
  for (const startMs of finalHours) {
    const h = startMs / GRANULARITY_MS.hour;
    if (!Number.isInteger(h) || h < firstHour || h > lastHour) continue;
    if (!coveredDays.has(Math.floor(startMs / GRANULARITY_MS.day))) rolledUp.push({ kind, granularity: 'hour', startMs });
  }
  rolledUp.sort((a, b) => a.startMs - b.startMs);
  const live: Array<[number, number]> = [];
  let cursor = fromUs;
  for (const w of rolledUp) {
    const startUs = w.startMs * 1000;
    if (startUs > cursor) live.push([cursor, startUs - 1]);
    cursor = startUs + GRANULARITY_MS[w.granularity] * 1000;
  }
  if (cursor <= toUs) live.push([cursor, toUs]);
  return { rolledUp, live };
}

/**
 * A SpanReader whose getDependencies reads final roll-ups where it can (planDependencies); every
 * other method is the span reader's.
 */
export function withDependencyRollups(reader: SpanReader & DependencyRangeReader, rollups: RollupStore): SpanReader {
  const kind: EdgeKind = 'dependency';
  return overridingSpanReader(reader, {
    async getDependencies(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<DependencyLink[]> {
      const fromUs = (endTimeMs - lookbackMs) * 1000;
      const toUs = endTimeMs * 1000;
      // Roll-ups sum every tenant's edges: a tenant-scoped read is computed live, from its own spans.
      if (scope?.tenant !== undefined) return reader.getDependenciesBetween(fromUs, toUs, scope);
      const [firstHour, lastHour] = wholeWindows(fromUs, toUs, HOUR_US);
      // Less than one whole hour: nothing can be rolled up.
      if (lastHour < firstHour) return reader.getDependenciesBetween(fromUs, toUs);
      const [firstDay, lastDay] = wholeWindows(fromUs, toUs, DAY_US);
      const [days, hours] = await Promise.all([
        lastDay >= firstDay ? rollups.listWindows(kind, 'day', firstDay * GRANULARITY_MS.day, (lastDay + 1) * GRANULARITY_MS.day) : [],
        rollups.listWindows(kind, 'hour', firstHour * GRANULARITY_MS.hour, (lastHour + 1) * GRANULARITY_MS.hour),
      ]);
      const plan = planDependencies(
        kind,
        fromUs,
        toUs,
        new Set(days.filter((w) => w.final).map((w) => w.startMs)),
        new Set(hours.filter((w) => w.final).map((w) => w.startMs)),
      );
      const parts = await Promise.all([rollups.readEdges(plan.rolledUp), ...plan.live.map(([a, b]) => reader.getDependenciesBetween(a, b))]);
      return sumEdges(parts.flat());
    },
  });
}
