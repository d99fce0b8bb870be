/**
 * The composable index template behind the daily access-log indices (`<prefix>-accesslogs-*`),
 * installed like the span templates (PUT at every start; see templates.ts).
 */
import type { estypes } from '@elastic/elasticsearch';
import { graphMapping } from './graph-mappings.js';
import { indexPattern } from './indices.js';
import { TEMPLATE_VERSION, templateName, type TemplateSettings } from './templates.js';

const keyword: estypes.MappingProperty = { type: 'keyword' };
const long: estypes.MappingProperty = { type: 'long' };
const integer: estypes.MappingProperty = { type: 'integer' };

/**
 * Every field a query or the edge aggregation reads (accesslog-document.ts), and `record`, kept
 * whole but never parsed. `dynamic: false` as for spans: a field a newer ingester adds is stored,
 * not refused. Only `record` goes into _source; the indexed fields repeat parts of it, and
 * access logs are the biggest signal by volume.
 */
export const accessLogMappings: estypes.MappingTypeMapping = {
  dynamic: false,
  _source: { includes: ['record'] },
  properties: {
    id: keyword,
    kind: keyword,
    input: keyword,
    reporter: keyword,
    startTime: { type: 'date', format: 'epoch_millis' },
    startTimeUs: long,
    startNanosOfUs: { type: 'short' },
    durationUs: long,
    responseCode: integer,
    responseFlags: keyword,
    bytesReceived: long,
    bytesSent: long,
    method: keyword,
    sourceWorkload: keyword,
    sourceNamespace: keyword,
    destinationWorkload: keyword,
    destinationNamespace: keyword,
    destinationService: keyword,
    destinationServiceName: keyword,
    traceId: keyword,
    requestId: keyword,
    edgeParent: keyword,
    edgeChild: keyword,
    edgeRule: keyword,
    /** Multi-tenancy: the tenant the entry was received for (absent without multi-tenancy). */
    tenant: keyword,
    record: { type: 'object', enabled: false },
    graph: graphMapping,
  },
};

export function accessLogIndexTemplate(prefix: string, settings: TemplateSettings): estypes.IndicesPutIndexTemplateRequest {
  return {
    name: templateName(prefix, 'accesslogs'),
    index_patterns: [indexPattern(prefix, 'accesslogs')],
    priority: settings.priority,
    version: TEMPLATE_VERSION,
    _meta: { managed_by: 'meshtel' },
    template: {
      settings: { number_of_shards: settings.shards, number_of_replicas: settings.replicas },
      mappings: accessLogMappings,
    },
  };
}
