/**
 * The dependency roll-up: Jaeger dependency links per closed UTC hour, stored as a window each,
 * and per UTC day summed from its 24 hours. An hour is computed again on every run until a run
 * happens `latenessMs` after it closed — only then is it final — so a span arriving up to that
 * late is counted. Windows are rewritten whole with deterministic ids: running twice, or in two
 * processes at once, gives the same documents.
 *
 * With a GraphReader the same hours (and days) are also rolled up as mesh-graph edge partials
 * (kind `graph`, levels service and workload), under the same lateness and final rules.
 */
import type { GraphLevel } from '../../shared/graph/model.js';
import type { DependencyRangeReader } from '../../shared/storage/dependency-range.js';
import type { GraphReader } from '../../shared/storage/graphstore.js';
import {
  GRANULARITY_MS,
  windowEndMs,
  type EdgeKind,
  type RolledGraphEdge,
  type RollupStore,
  type RollupWindow,
  type StoredWindow,
} from '../../shared/storage/rollupstore.js';

export interface RollupJobOptions {
  readonly source: DependencyRangeReader;
  readonly store: RollupStore;
  /** When set, mesh-graph partials are rolled up too (kind `graph`). */
  readonly graph?: GraphReader;
  readonly latenessMs: number;
  /** How far back a scheduled run looks for hours without a final roll-up. */
  readonly backfillMs: number;
  readonly nowMs?: () => number;
}

export interface RollupRequest {
  /** Recompute every closed hour overlapping [fromMs, toMs), final or not (an operator's repair). */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Compute and report, write nothing. */
  readonly dryRun?: boolean;
}

export interface RollupResult {
  readonly job: 'rollup';
  readonly from: string;
  readonly to: string;
  readonly dryRun: boolean;
  /** Hour windows computed (written unless dry run), and how many of them are now final. */
  readonly hours: number;
  readonly finalHours: number;
  /** Hours left alone because their roll-up was already final. */
  readonly skippedHours: number;
  readonly days: number;
  /** Edge documents written (or that would be). */
  readonly edges: number;
  /** The mesh-graph roll-up of the same range, when the job has a GraphReader. */
  readonly graph?: KindResult;
}

export interface KindResult {
  readonly hours: number;
  readonly finalHours: number;
  readonly skippedHours: number;
  readonly days: number;
  readonly edges: number;
}

/** Graph levels rolled up: every level the graph API serves. */
export const ROLLED_GRAPH_LEVELS: readonly GraphLevel[] = ['service', 'workload'];

const HOUR = GRANULARITY_MS.hour;
const DAY = GRANULARITY_MS.day;

export class RollupJob {
  private readonly nowMs: () => number;

  constructor(private readonly options: RollupJobOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  async run(request: RollupRequest = {}): Promise<RollupResult> {
    const now = this.nowMs();
    const forced = request.fromMs !== undefined || request.toMs !== undefined;
    const dryRun = request.dryRun === true;
    const fromMs = Math.floor((request.fromMs ?? now - this.options.backfillMs) / HOUR) * HOUR;
    // Only closed hours: the open one is always computed live by readers.
    const toMs = Math.min(Math.ceil((request.toMs ?? now) / HOUR) * HOUR, Math.floor(now / HOUR) * HOUR);
    const range = { fromMs, toMs, now, forced, dryRun };
    const dependency = await this.runKind('dependency', range);
    const graph = this.options.graph ? await this.runKind('graph', range) : undefined;
    return {
      job: 'rollup',
      from: new Date(fromMs).toISOString(),
      to: new Date(Math.max(fromMs, toMs)).toISOString(),
      dryRun,
      ...dependency,
      ...(graph && { graph }),
    };
  }

  private async runKind(
    kind: EdgeKind,
    { fromMs, toMs, now, forced, dryRun }: { fromMs: number; toMs: number; now: number; forced: boolean; dryRun: boolean },
  ): Promise<KindResult> {
    const { store, latenessMs } = this.options;
    const existing = new Map((await store.listWindows(kind, 'hour', fromMs, toMs)).map((w) => [w.startMs, w]));
    let hours = 0;
    let finalHours = 0;
    let skippedHours = 0;
    let edges = 0;
    const touchedDays = new Set<number>();
    for (let start = fromMs; start < toMs; start += HOUR) {
      if (!forced && existing.get(start)?.final) {
        skippedHours++;
        continue;
      }
      const window: RollupWindow = { kind, granularity: 'hour', startMs: start };
      const final = now >= windowEndMs(window) + latenessMs;
      edges += await this.rollUpHour(window, { computedAtMs: now, final }, dryRun);
      hours++;
      if (final) finalHours++;
      touchedDays.add(Math.floor(start / DAY) * DAY);
    }

    let days = 0;
    if (!dryRun) {
      // Whole days in range whose day window is missing or not final (a failed write, hours that
      // became final in an earlier run) are summed again too, not only the days touched now.
      const firstDay = Math.ceil(fromMs / DAY) * DAY;
      const endDay = Math.floor(toMs / DAY) * DAY;
      if (endDay > firstDay) {
        const stored = new Map((await store.listWindows(kind, 'day', firstDay, endDay)).map((w) => [w.startMs, w]));
        for (let d = firstDay; d < endDay; d += DAY) if (!stored.get(d)?.final) touchedDays.add(d);
      }
      for (const dayStart of [...touchedDays].sort((a, b) => a - b)) {
        const written = await this.rollUpDay(kind, dayStart, now);
        if (written !== undefined) {
          days++;
          edges += written;
        }
      }
    }
    return { hours, finalHours, skippedHours, days, edges };
  }

  /** Computes one hour window from the live readers and writes it (unless dry run); its edge count. */
  private async rollUpHour(window: RollupWindow, state: { computedAtMs: number; final: boolean }, dryRun: boolean): Promise<number> {
    const { source, store, graph } = this.options;
    const fromUs = window.startMs * 1000;
    const toUs = windowEndMs(window) * 1000 - 1;
    if (window.kind === 'graph' && graph) {
      const perLevel = await Promise.all(
        ROLLED_GRAPH_LEVELS.map(async (level) => (await graph.getEdgePartials({ startUs: fromUs, endUs: toUs, level })).map((partial): RolledGraphEdge => ({ level, partial }))),
      );
      const graphEdges = perLevel.flat();
      if (!dryRun) await store.writeGraphWindow(window, graphEdges, state);
      return graphEdges.length;
    }
    const links = await source.getDependenciesBetween(fromUs, toUs);
    if (!dryRun) await store.writeWindow(window, links, state);
    return links.length;
  }

  /** Sums the day's 24 hour roll-ups into the day window, once all exist; final when they all are. */
  private async rollUpDay(kind: EdgeKind, dayStart: number, now: number): Promise<number | undefined> {
    if (dayStart + DAY > now) return undefined;
    const { store } = this.options;
    const hours: StoredWindow[] = await store.listWindows(kind, 'hour', dayStart, dayStart + DAY);
    if (hours.length < DAY / HOUR) return undefined;
    const day: RollupWindow = { kind, granularity: 'day', startMs: dayStart };
    const state = { computedAtMs: now, final: hours.every((h) => h.final) };
    if (kind === 'graph') {
      const perLevel = await Promise.all(
        ROLLED_GRAPH_LEVELS.map(async (level) => (await store.readGraphPartials(hours, level)).map((partial): RolledGraphEdge => ({ level, partial }))),
      );
      const graphEdges = perLevel.flat();
      await store.writeGraphWindow(day, graphEdges, state);
      return graphEdges.length;
    }
    const edges = await store.readEdges(hours);
    await store.writeWindow(day, edges, state);
    return edges.length;
  }
}
