/**
 * The composable index templates behind the daily indices. Installed with PUT at every start:
 * PUT replaces, so starting twice (or several ingesters at once) is harmless, and a changed
 * mapping reaches the next day's index without a manual step.
 */
import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../telemetry/logger.js';
import { graphMapping } from './graph-mappings.js';
import { indexPattern, type Signal } from './indices.js';

/** Bumped when a mapping changes; shows in `GET _index_template` which version made an index. */
export const TEMPLATE_VERSION = 2;

/**
 * Longest tag term (characters) that is indexed. Lucene refuses terms over 32766 bytes and a
 * UTF-8 character takes up to 4, so 8191 characters always fit; longer `key=value` strings are
 * kept in the stored span but cannot be searched (better than the whole span being refused).
 */
export const TAG_TERM_MAX_CHARS = 8191;

export interface TemplateSettings {
  readonly shards: number;
  readonly replicas: number;
  /** Above any catch-all (`*`) template a cluster may have, so ours decides the mapping. */
  readonly priority: number;
}

const keyword: estypes.MappingProperty = { type: 'keyword' };

/**
 * `dynamic: false`, not `strict`: a document with a field this version does not know (written by
 * a newer ingester into an index made from an older template, mid-day during an upgrade) is then
 * stored unindexed instead of being refused and dead-lettered.
 */
const spanMappings: estypes.MappingTypeMapping = {
  dynamic: false,
  // `tags` repeats what `span` holds, roughly doubling _source; it is rebuilt from `span` on read,
  // so it is indexed but not kept in _source.
  _source: { excludes: ['tags', 'graph', 'traceqlTerms', 'traceqlKeys'] },
  properties: {
    traceId: keyword,
    spanId: keyword,
    parentSpanId: keyword,
    name: keyword,
    kind: keyword,
    serviceName: keyword,
    /** Multi-tenancy: the tenant the span was received for (absent without multi-tenancy). */
    tenant: keyword,
    startTime: { type: 'date', format: 'epoch_millis' },
    startTimeUs: { type: 'long' },
    durationUs: { type: 'long' },
    endTimeUs: { type: 'long' },
    statusCode: keyword,
    spanHash: keyword,
    // Only ever matched with term queries, never sorted or aggregated: no doc values to build.
    tags: { type: 'keyword', ignore_above: TAG_TERM_MAX_CHARS, doc_values: false },
    // TraceQL (traceql-terms.ts): doc values, as the tag APIs aggregate on them.
    traceqlTerms: { type: 'keyword', ignore_above: TAG_TERM_MAX_CHARS },
    traceqlKeys: keyword,
    span: { type: 'object', enabled: false },
    graph: graphMapping,
  },
};

const serviceMappings: estypes.MappingTypeMapping = {
  dynamic: false,
  properties: {
    serviceName: keyword,
    operationName: keyword,
    spanKind: keyword,
    tenant: keyword,
  },
};

export function templateName(prefix: string, signal: Signal): string {
  return `${prefix}-${signal}`;
}

export function indexTemplates(prefix: string, settings: TemplateSettings): estypes.IndicesPutIndexTemplateRequest[] {
  const make = (signal: Signal, mappings: estypes.MappingTypeMapping, shards: number): estypes.IndicesPutIndexTemplateRequest => ({
    name: templateName(prefix, signal),
    index_patterns: [indexPattern(prefix, signal)],
    priority: settings.priority,
    version: TEMPLATE_VERSION,
    _meta: { managed_by: 'meshtel' },
    template: {
      settings: {
        number_of_shards: shards,
        number_of_replicas: settings.replicas,
      },
      mappings,
    },
  });
  // A services index holds a few thousand tiny documents a day: more shards would only cost.
  return [make('spans', spanMappings, settings.shards), make('services', serviceMappings, 1)];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * PUTs the templates, retrying while the cluster is unreachable (it may still be starting) for
 * up to `timeoutMs`; any other refusal (a bad mapping, no permission) throws at once. Stores call
 * it from start() and hold writes until it returns: an index created before its template would
 * get dynamic mappings for the whole day and break the term and range queries on it.
 */
export async function installIndexTemplates(
  client: Client,
  templates: readonly estypes.IndicesPutIndexTemplateRequest[],
  options: { readonly timeoutMs: number; readonly logger?: Logger },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      for (const t of templates) await client.indices.putIndexTemplate(t);
      return;
    } catch (err) {
      const unreachable =
        err instanceof errors.ConnectionError ||
        err instanceof errors.TimeoutError ||
        err instanceof errors.NoLivingConnectionsError ||
        (err instanceof errors.ResponseError && (err.statusCode ?? 0) >= 500);
      if (!unreachable || Date.now() >= deadline) throw err;
      options.logger?.warn({ attempt, err: String(err) }, 'elasticsearch not reachable yet; retrying template installation');
      await sleep(Math.min(1000 * attempt, 5000));
    }
  }
}
