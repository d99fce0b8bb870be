/**
 * Roll-up store contract: edges computed once per closed window (an hour, or a day summed from its
 * hours) and kept, so /api/dependencies over 7 or 30 days reads a few hundred small documents
 * instead of scanning every span. Implementations: `storage/memory` (all-in-one) and
 * `storage/elasticsearch` (`<prefix>-dependencies-YYYY.MM.DD`).
 *
 * - A window is (edge kind, granularity, start). Its stored state is its edges plus one marker
 *   saying when it was computed and whether it is final (late spans can no longer change it).
 *   Readers trust only final windows and compute the rest live.
 * - `writeWindow` replaces the window: the same edges written twice leave the same documents
 *   (deterministic ids), and an edge absent from a rewrite is removed. The marker is written
 *   last, so a reader that sees a marker sees its edges.
 * - Edge kinds keep roll-ups of different graphs apart in the same indices: `dependency` holds
 *   Jaeger dependency links (parent service → child service, call count); the mesh graph adds its
 *   own kind (`graph`) with the same window rules: one document per window, graph level and
 *   (source, target), holding the edge's mergeable EdgePartial.
 */
import { mergeEdgePartials } from '../graph/aggregate.js';
import type { EdgePartial, GraphLevel } from '../graph/model.js';

export type RollupGranularity = 'hour' | 'day';

export const GRANULARITY_MS: Readonly<Record<RollupGranularity, number>> = { hour: 3_600_000, day: 86_400_000 };

export type EdgeKind = 'dependency' | 'graph';

export interface RollupWindow {
  readonly kind: EdgeKind;
  readonly granularity: RollupGranularity;
  /** Epoch ms, a multiple of the granularity (UTC hours and days). */
  readonly startMs: number;
}

export interface RolledEdge {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
}

/** One mesh-graph edge of a window at one graph level (kind `graph`). */
export interface RolledGraphEdge {
  readonly level: GraphLevel;
  readonly partial: EdgePartial;
}

export interface StoredWindow extends RollupWindow {
  readonly computedAtMs: number;
  /** No late span can change it any more (hours: computed after end + lateness; days: all hours final). */
  readonly final: boolean;
  readonly edgeCount: number;
}

export interface RollupStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  isReady(): Promise<boolean>;
  /** Replaces the window's edges and marker (see above). */
  writeWindow(window: RollupWindow, edges: readonly RolledEdge[], state: { computedAtMs: number; final: boolean }): Promise<void>;
  /** Markers of the windows of this kind and granularity starting within [fromMs, toMs), by start. */
  listWindows(kind: EdgeKind, granularity: RollupGranularity, fromMs: number, toMs: number): Promise<StoredWindow[]>;
  /** The edges of these windows, summed per (parent, child); [] for none. Order unspecified. */
  readEdges(windows: readonly RollupWindow[]): Promise<RolledEdge[]>;
  /** Replaces a `graph` window's edges and marker, as writeWindow; one edge per (level, source, target). */
  writeGraphWindow(window: RollupWindow, edges: readonly RolledGraphEdge[], state: { computedAtMs: number; final: boolean }): Promise<void>;
  /** The graph partials of these `graph` windows at the level, merged per edge (mergeEdgePartials); order unspecified. */
  readGraphPartials(windows: readonly RollupWindow[], level: GraphLevel): Promise<EdgePartial[]>;
}

export function windowEndMs(w: Pick<RollupWindow, 'granularity' | 'startMs'>): number {
  return w.startMs + GRANULARITY_MS[w.granularity];
}

/** `hour:1733220000000`: one window of a kind, the key stores group edges under. */
export function windowKey(w: Pick<RollupWindow, 'granularity' | 'startMs'>): string {
  return `${w.granularity}:${w.startMs}`;
}

export function checkWindow(w: RollupWindow): void {
  if (!Number.isSafeInteger(w.startMs) || w.startMs % GRANULARITY_MS[w.granularity] !== 0) {
    throw new RangeError(`a ${w.granularity} window must start on a UTC ${w.granularity} boundary, got ${w.startMs}`);
  }
}

/** Sums edges per (parent, child). */
export function sumEdges(edges: Iterable<RolledEdge>): RolledEdge[] {
  const byPair = new Map<string, RolledEdge>();
  for (const e of edges) {
    const key = `${e.parent}\u0000${e.child}`;
    const prev = byPair.get(key);
    byPair.set(key, { parent: e.parent, child: e.child, callCount: (prev?.callCount ?? 0) + e.callCount });
  }
  return [...byPair.values()];
}

/** Merges graph edges per (level, source, target): what a graph window holds. */
export function mergeGraphEdges(edges: Iterable<RolledGraphEdge>): RolledGraphEdge[] {
  const byLevel = new Map<GraphLevel, EdgePartial[]>();
  for (const e of edges) byLevel.set(e.level, [...(byLevel.get(e.level) ?? []), e.partial]);
  return [...byLevel].flatMap(([level, partials]) => mergeEdgePartials(partials).map((partial) => ({ level, partial })));
}
