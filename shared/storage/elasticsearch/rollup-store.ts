/**
 * The Elasticsearch RollupStore: daily `<prefix>-dependencies-YYYY.MM.DD` indices (the day of the
 * window's start), one document per window and edge plus one marker document per window, all with
 * ids derived from (kind, granularity, start[, parent, child]) — so rolling a window up twice
 * writes the same documents. Small and rare writes: each forces a refresh, so a reader never
 * sees a marker before its edges.
 */
import { createHash } from 'node:crypto';
import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../telemetry/logger.js';
import { mergeEdgePartials } from '../../graph/aggregate.js';
import type { EdgePartial, GraphLevel } from '../../graph/model.js';
import {
  checkWindow,
  mergeGraphEdges,
  sumEdges,
  windowEndMs,
  windowKey,
  type EdgeKind,
  type RolledEdge,
  type RolledGraphEdge,
  type RollupGranularity,
  type RollupStore,
  type RollupWindow,
  type StoredWindow,
} from '../rollupstore.js';
import { createElasticsearchClient, type ElasticsearchConnectionSettings } from './client.js';
import { dailyIndex, indexPattern, indicesForRange } from './indices.js';
import { installIndexTemplates, templateName, TEMPLATE_VERSION } from './templates.js';

export interface ElasticsearchRollupStoreOptions {
  /** Used as is and left open by stop(); otherwise one is created from `connection`. */
  readonly client?: Client;
  readonly connection?: ElasticsearchConnectionSettings;
  readonly indexPrefix: string;
  readonly shards?: number;
  readonly replicas?: number;
  readonly templatePriority?: number;
  readonly startTimeoutMs?: number;
  readonly logger?: Logger;
}

type DocType = 'edge' | 'window';

interface RollupDocument {
  readonly docType: DocType;
  readonly kind: EdgeKind;
  readonly granularity: RollupGranularity;
  /** `hour:<startMs>`: what readEdges selects on. */
  readonly window: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly parent?: string;
  readonly child?: string;
  readonly callCount?: number;
  /** Graph edges: the level, and the EdgePartial kept in _source only (not indexed). */
  readonly level?: GraphLevel;
  readonly partial?: EdgePartial;
  readonly computedAt?: number;
  readonly final?: boolean;
  readonly edgeCount?: number;
}

const keyword: estypes.MappingProperty = { type: 'keyword' };
/** Fields graph edges added to the mapping: also put onto indices created before them (see start). */
const GRAPH_PROPERTIES: Record<string, estypes.MappingProperty> = { level: keyword, partial: { type: 'object', enabled: false } };
const tolerant = { ignore_unavailable: true, allow_no_indices: true } as const;
const COMPOSITE_PAGE = 1000;
/** Graph edge documents per page: a 30-day graph reads tens of thousands, a round trip each page. */
const GRAPH_PAGE = 5000;
/** Windows per terms query (a terms query allows 65 536; 30 days of hours is 720). */
const WINDOWS_PER_QUERY = 5000;

function hashed(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

export function rollupDocumentId(window: RollupWindow, edge?: Pick<RolledEdge, 'parent' | 'child'> & { level?: GraphLevel }): string {
  const base = `${window.kind}:${windowKey(window)}`;
  // Service names are free text: hash them so the id stays short and safe whatever they hold.
  if (!edge) return `${base}:w`;
  const pair = `${edge.parent}\u0000${edge.child}`;
  return `${base}:e:${hashed(edge.level === undefined ? pair : `${edge.level}\u0000${pair}`)}`;
}

export class ElasticsearchRollupStore implements RollupStore {
  readonly client: Client;
  private readonly options: ElasticsearchRollupStoreOptions;
  private readonly ownsClient: boolean;

  constructor(options: ElasticsearchRollupStoreOptions) {
    if (!options.client && !options.connection) throw new Error('ElasticsearchRollupStore needs a client or connection settings');
    this.options = options;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createElasticsearchClient(options.connection!);
  }

  async start(): Promise<void> {
    const prefix = this.options.indexPrefix;
    const template: estypes.IndicesPutIndexTemplateRequest = {
      name: templateName(prefix, 'dependencies'),
      index_patterns: [indexPattern(prefix, 'dependencies')],
      priority: this.options.templatePriority ?? 100,
      version: TEMPLATE_VERSION,
      _meta: { managed_by: 'meshtel' },
      template: {
        // Hundreds of small documents a day: one shard is plenty.
        settings: { number_of_shards: 1, number_of_replicas: this.options.replicas ?? 0 },
        mappings: {
          dynamic: false,
          properties: {
            docType: keyword,
            kind: keyword,
            granularity: keyword,
            window: keyword,
            windowStart: { type: 'date', format: 'epoch_millis' },
            windowEnd: { type: 'date', format: 'epoch_millis' },
            parent: keyword,
            child: keyword,
            callCount: { type: 'long' },
            ...GRAPH_PROPERTIES,
            computedAt: { type: 'date', format: 'epoch_millis' },
            final: { type: 'boolean' },
            edgeCount: { type: 'integer' },
          },
        },
      },
    };
    await installIndexTemplates(this.client, [template], { timeoutMs: this.options.startTimeoutMs ?? 60_000, logger: this.options.logger });
    // Today's index may predate graph roll-ups: without `level` mapped, its graph edges could not be read back.
    await this.client.indices.putMapping({ index: indexPattern(prefix, 'dependencies'), ...tolerant, properties: GRAPH_PROPERTIES });
  }

  async stop(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  async isReady(): Promise<boolean> {
    try {
      await this.client.cluster.health({ timeout: '2s' });
      return true;
    } catch {
      return false;
    }
  }

  async writeWindow(window: RollupWindow, edges: readonly RolledEdge[], state: { computedAtMs: number; final: boolean }): Promise<void> {
    const summed = sumEdges(edges);
    await this.replaceWindow(
      window,
      summed.map((e) => ({ id: rollupDocumentId(window, e), doc: { parent: e.parent, child: e.child, callCount: e.callCount } })),
      state,
    );
  }

  async writeGraphWindow(window: RollupWindow, edges: readonly RolledGraphEdge[], state: { computedAtMs: number; final: boolean }): Promise<void> {
    const merged = mergeGraphEdges(edges);
    await this.replaceWindow(
      window,
      merged.map(({ level, partial }) => {
        const pair = { parent: partial.source, child: partial.target, level };
        return { id: rollupDocumentId(window, pair), doc: { ...pair, partial } };
      }),
      state,
    );
  }

  /** Writes the window's edge documents, removes the ones a rewrite no longer has, then the marker. */
  private async replaceWindow(
    window: RollupWindow,
    edges: ReadonlyArray<{ id: string; doc: Partial<RollupDocument> }>,
    state: { computedAtMs: number; final: boolean },
  ): Promise<void> {
    checkWindow(window);
    const index = dailyIndex(this.options.indexPrefix, 'dependencies', window.startMs);
    const base = {
      kind: window.kind,
      granularity: window.granularity,
      window: windowKey(window),
      windowStart: window.startMs,
      windowEnd: windowEndMs(window),
    };
    if (edges.length > 0) {
      const operations: unknown[] = [];
      for (const { id, doc } of edges) {
        const full: RollupDocument = { ...doc, docType: 'edge', ...base };
        operations.push({ index: { _index: index, _id: id } }, full);
      }
      const res = await this.client.bulk({ operations, refresh: true });
      if (res.errors) {
        const failed = res.items.find((item) => item.index?.error)?.index?.error;
        throw new Error(`roll-up write to ${index} failed: ${failed?.type ?? 'unknown'}: ${failed?.reason ?? ''}`);
      }
    }
    // Edges of an earlier computation that this one no longer has. Found by search and deleted
    // by id: _delete_by_query lives in the reindex module, which not every distribution ships.
    const keep = new Set(edges.map((e) => e.id));
    const stale = (await this.edgeIdsOf(index, window)).filter((id) => !keep.has(id));
    if (stale.length > 0) {
      const res = await this.client.bulk({ operations: stale.map((id) => ({ delete: { _index: index, _id: id } })), refresh: true });
      const failed = res.items.find((item) => item.delete?.error)?.delete?.error;
      if (failed) throw new Error(`removing stale roll-up edges from ${index} failed: ${failed.type}: ${failed.reason ?? ''}`);
    }
    const marker: RollupDocument = { docType: 'window', ...base, computedAt: state.computedAtMs, final: state.final, edgeCount: edges.length };
    await this.client.index({ index, id: rollupDocumentId(window), document: marker, refresh: true });
  }

  async listWindows(kind: EdgeKind, granularity: RollupGranularity, fromMs: number, toMs: number): Promise<StoredWindow[]> {
    if (!(toMs > fromMs)) return [];
    const index = indicesForRange(this.options.indexPrefix, 'dependencies', fromMs, toMs - 1);
    const res = await this.client.search<RollupDocument>({
      index,
      ...tolerant,
      size: 10_000,
      query: {
        bool: {
          filter: [
            { term: { docType: 'window' } },
            { term: { kind } },
            { term: { granularity } },
            { range: { windowStart: { gte: fromMs, lt: toMs } } },
          ],
        },
      },
      sort: [{ windowStart: 'asc' }],
    });
    return res.hits.hits.flatMap((h) => {
      const d = h._source;
      if (!d) return [];
      return [{ kind: d.kind, granularity: d.granularity, startMs: d.windowStart, computedAtMs: d.computedAt ?? 0, final: d.final === true, edgeCount: d.edgeCount ?? 0 }];
    });
  }

  async readEdges(windows: readonly RollupWindow[]): Promise<RolledEdge[]> {
    if (windows.length === 0) return [];
    const all: RolledEdge[] = [];
    const byKind = new Map<EdgeKind, RollupWindow[]>();
    for (const w of windows) byKind.set(w.kind, [...(byKind.get(w.kind) ?? []), w]);
    for (const [kind, list] of byKind) {
      for (let i = 0; i < list.length; i += WINDOWS_PER_QUERY) {
        const chunk = list.slice(i, i + WINDOWS_PER_QUERY);
        const starts = chunk.map((w) => w.startMs);
        const index = indicesForRange(this.options.indexPrefix, 'dependencies', Math.min(...starts), Math.max(...starts));
        all.push(...(await this.sumOver(index, kind, chunk.map(windowKey))));
      }
    }
    return sumEdges(all);
  }

  async readGraphPartials(windows: readonly RollupWindow[], level: GraphLevel): Promise<EdgePartial[]> {
    const all: EdgePartial[] = [];
    const graphWindows = windows.filter((w) => w.kind === 'graph');
    for (let i = 0; i < graphWindows.length; i += WINDOWS_PER_QUERY) {
      const chunk = graphWindows.slice(i, i + WINDOWS_PER_QUERY);
      const starts = chunk.map((w) => w.startMs);
      const index = indicesForRange(this.options.indexPrefix, 'dependencies', Math.min(...starts), Math.max(...starts));
      let after: estypes.SortResults | undefined;
      for (;;) {
        const res = await this.client.search<RollupDocument>({
          index,
          ...tolerant,
          size: GRAPH_PAGE,
          track_total_hits: false,
          _source: ['partial'],
          query: {
            bool: {
              filter: [{ term: { docType: 'edge' } }, { term: { kind: 'graph' } }, { term: { level } }, { terms: { window: chunk.map(windowKey) } }],
            },
          },
          // Within one level, (window, parent, child) is one document.
          sort: [{ window: 'asc' }, { parent: 'asc' }, { child: 'asc' }],
          search_after: after,
        });
        const hits = res.hits.hits;
        for (const h of hits) if (h._source?.partial) all.push(h._source.partial);
        if (hits.length < GRAPH_PAGE) break;
        after = hits[hits.length - 1]!.sort;
      }
    }
    return mergeEdgePartials(all);
  }

  /** Ids of the window's edge documents (a window holds at most a few thousand edges). */
  private async edgeIdsOf(index: string, window: RollupWindow): Promise<string[]> {
    const ids: string[] = [];
    let after: estypes.SortResults | undefined;
    for (;;) {
      const res = await this.client.search({
        index,
        ...tolerant,
        size: COMPOSITE_PAGE,
        _source: false,
        track_total_hits: false,
        query: { bool: { filter: [{ term: { docType: 'edge' } }, { term: { kind: window.kind } }, { term: { window: windowKey(window) } }] } },
        // parent/child (and level, for graph edges) identify an edge of a window: a total order for paging.
        sort: [{ parent: 'asc' }, { child: 'asc' }, { level: { order: 'asc', unmapped_type: 'keyword' } }],
        search_after: after,
      });
      const hits = res.hits.hits;
      for (const h of hits) if (h._id) ids.push(h._id);
      if (hits.length < COMPOSITE_PAGE) return ids;
      after = hits[hits.length - 1]!.sort;
    }
  }

  /** Sums callCount per (parent, child) over the edge documents of the windows, page by page. */
  private async sumOver(index: string[], kind: EdgeKind, windows: string[]): Promise<RolledEdge[]> {
    const edges: RolledEdge[] = [];
    let after: Record<string, estypes.FieldValue> | undefined;
    for (;;) {
      const res = await this.client.search<unknown, Record<'pairs', estypes.AggregationsCompositeAggregate>>({
        index,
        ...tolerant,
        size: 0,
        track_total_hits: false,
        query: { bool: { filter: [{ term: { docType: 'edge' } }, { term: { kind } }, { terms: { window: windows } }] } },
        aggs: {
          pairs: {
            composite: {
              size: COMPOSITE_PAGE,
              sources: [{ parent: { terms: { field: 'parent' } } }, { child: { terms: { field: 'child' } } }],
              ...(after ? { after } : {}),
            },
            aggs: { calls: { sum: { field: 'callCount' } } },
          },
        },
      });
      const agg = res.aggregations?.pairs;
      const buckets = (agg?.buckets ?? []) as unknown as Array<{ key: Record<string, estypes.FieldValue>; calls: { value: number | null } }>;
      for (const b of buckets) edges.push({ parent: String(b.key.parent), child: String(b.key.child), callCount: b.calls.value ?? 0 });
      if (buckets.length < COMPOSITE_PAGE || !agg?.after_key) break;
      after = agg.after_key as Record<string, estypes.FieldValue>;
    }
    return edges;
  }
}
