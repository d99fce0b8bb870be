/** The memory RollupStore (all-in-one): windows in a Map; gone with the process, like the spans they sum. */
import { mergeEdgePartials } from '../../graph/aggregate.js';
import type { EdgePartial, GraphLevel } from '../../graph/model.js';
import {
  checkWindow,
  mergeGraphEdges,
  sumEdges,
  windowKey,
  type EdgeKind,
  type RolledEdge,
  type RolledGraphEdge,
  type RollupGranularity,
  type RollupStore,
  type RollupWindow,
  type StoredWindow,
} from '../rollupstore.js';

interface Held {
  readonly marker: StoredWindow;
  readonly edges: readonly RolledEdge[];
  readonly graphEdges?: readonly RolledGraphEdge[];
}

export class MemoryRollupStore implements RollupStore {
  private readonly windows = new Map<string, Held>();

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async isReady(): Promise<boolean> {
    return true;
  }

  async writeWindow(window: RollupWindow, edges: readonly RolledEdge[], state: { computedAtMs: number; final: boolean }): Promise<void> {
    checkWindow(window);
    const held = sumEdges(edges);
    this.windows.set(`${window.kind}|${windowKey(window)}`, {
      marker: { kind: window.kind, granularity: window.granularity, startMs: window.startMs, ...state, edgeCount: held.length },
      edges: held,
    });
  }

  async listWindows(kind: EdgeKind, granularity: RollupGranularity, fromMs: number, toMs: number): Promise<StoredWindow[]> {
    const found: StoredWindow[] = [];
    for (const { marker } of this.windows.values()) {
      if (marker.kind === kind && marker.granularity === granularity && marker.startMs >= fromMs && marker.startMs < toMs) found.push(marker);
    }
    return found.sort((a, b) => a.startMs - b.startMs);
  }

  async readEdges(windows: readonly RollupWindow[]): Promise<RolledEdge[]> {
    const all: RolledEdge[] = [];
    for (const w of windows) all.push(...(this.windows.get(`${w.kind}|${windowKey(w)}`)?.edges ?? []));
    return sumEdges(all);
  }

  async writeGraphWindow(window: RollupWindow, edges: readonly RolledGraphEdge[], state: { computedAtMs: number; final: boolean }): Promise<void> {
    checkWindow(window);
    const held = mergeGraphEdges(edges);
    this.windows.set(`${window.kind}|${windowKey(window)}`, {
      marker: { kind: window.kind, granularity: window.granularity, startMs: window.startMs, ...state, edgeCount: held.length },
      edges: [],
      graphEdges: held,
    });
  }

  async readGraphPartials(windows: readonly RollupWindow[], level: GraphLevel): Promise<EdgePartial[]> {
    const all: EdgePartial[] = [];
    for (const w of windows) {
      for (const e of this.windows.get(`${w.kind}|${windowKey(w)}`)?.graphEdges ?? []) if (e.level === level) all.push(e.partial);
    }
    return mergeEdgePartials(all);
  }
}
