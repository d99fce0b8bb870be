/**
 * The Elasticsearch ArchiveStore: one index, `<prefix>-archive` (not daily, so retention never
 * matches it), one document per trace with its spans in the span index's stored form. A trace is
 * read with one GET by id.
 */
import { errors, type Client } from '@elastic/elasticsearch';
import type { SpanRecord } from '../../model/span.js';
import type { Logger } from '../../telemetry/logger.js';
import { archivedSpanKey, type ArchiveStore } from '../archivestore.js';
import { createElasticsearchClient, type ElasticsearchConnectionSettings } from './client.js';
import { encodeSpanDocument, SpanDocumentDecoder, type SpanDocument } from './document.js';

export interface ElasticsearchArchiveStoreOptions {
  /** Used as is and left open by stop(); otherwise one is created from `connection`. */
  readonly client?: Client;
  readonly connection?: ElasticsearchConnectionSettings;
  readonly indexPrefix: string;
  readonly shards?: number;
  readonly replicas?: number;
  readonly logger?: Logger;
}

type ArchivedSpan = Omit<SpanDocument, 'tags'>;

interface ArchiveDocument {
  readonly traceId: string;
  readonly archivedAt: number;
  readonly spans: ArchivedSpan[];
}

export function archiveIndex(prefix: string): string {
  return `${prefix}-archive`;
}

export class ElasticsearchArchiveStore implements ArchiveStore {
  readonly client: Client;
  readonly index: string;
  private readonly options: ElasticsearchArchiveStoreOptions;
  private readonly ownsClient: boolean;

  constructor(options: ElasticsearchArchiveStoreOptions) {
    if (!options.client && !options.connection) throw new Error('ElasticsearchArchiveStore needs a client or connection settings');
    this.options = options;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createElasticsearchClient(options.connection!);
    this.index = archiveIndex(options.indexPrefix);
  }

  /** Creates the index with its mapping unless it exists (several processes may race here). */
  async start(): Promise<void> {
    try {
      await this.client.indices.create({
        index: this.index,
        settings: { number_of_shards: this.options.shards ?? 1, number_of_replicas: this.options.replicas ?? 0 },
        mappings: {
          dynamic: false,
          properties: {
            traceId: { type: 'keyword' },
            archivedAt: { type: 'date', format: 'epoch_millis' },
            // Read back whole, never searched: not indexed, so no mapping grows with attribute keys.
            spans: { type: 'object', enabled: false },
          },
        },
      });
    } catch (err) {
      if (!(err instanceof errors.ResponseError && err.body && JSON.stringify(err.body).includes('resource_already_exists_exception'))) throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  async isReady(): Promise<boolean> {
    try {
      return await this.client.indices.exists({ index: this.index });
    } catch {
      return false;
    }
  }

  async archiveTrace(spans: readonly SpanRecord[]): Promise<void> {
    if (spans.length === 0) return;
    const traceId = spans[0]!.traceId;
    const byKey = new Map<string, ArchivedSpan>();
    for (const doc of await this.read(traceId)) byKey.set(archivedSpanKey(doc), doc);
    for (const span of spans) {
      const { tags: _tags, ...stored } = encodeSpanDocument(span);
      const key = archivedSpanKey(stored);
      if (!byKey.has(key)) byKey.set(key, stored);
    }
    const document: ArchiveDocument = { traceId, archivedAt: Date.now(), spans: [...byKey.values()] };
    await this.client.index({ index: this.index, id: traceId, document, refresh: true });
  }

  async getArchivedTrace(traceId: string): Promise<SpanRecord[]> {
    const decoder = new SpanDocumentDecoder();
    return (await this.read(traceId)).map((doc) => decoder.decode(doc));
  }

  private async read(traceId: string): Promise<ArchivedSpan[]> {
    try {
      const res = await this.client.get<ArchiveDocument>({ index: this.index, id: traceId });
      return res._source?.spans ?? [];
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode === 404) return [];
      throw err;
    }
  }
}
