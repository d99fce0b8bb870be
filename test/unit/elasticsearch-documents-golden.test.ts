/**
 * The Elasticsearch documents the stores index, whole, against golden files: the span and
 * services documents of a fixed trace and the access-log documents of a fixed hop, each with
 * the index and _id it is written under. A change to a field, its name or its spelling shows in
 * the golden file's diff; `npm run golden:update` rewrites them when the change is intended.
 */
import { describe, it } from 'vitest';
import { accessLogStartMs, encodeAccessLogDocument } from '../../shared/storage/elasticsearch/accesslog-document.js';
import { encodeSpanDocument, serviceDocumentId, serviceDocumentOf, spanDocumentId } from '../../shared/storage/elasticsearch/document.js';
import { dailyIndex } from '../../shared/storage/elasticsearch/indices.js';
import { goldenAccessLogs, goldenTrace } from '../fixtures/golden-trace.js';
import { expectGolden } from '../support/golden.js';

const PREFIX = 'meshtel';

/** What the bulk request carries for a document: its JSON text, parsed back (undefined fields absent). */
function asSent(doc: unknown): unknown {
  return JSON.parse(JSON.stringify(doc)) as unknown;
}

describe('Elasticsearch documents (golden)', () => {
  it('span documents: one per span, under <prefix>-spans-<day> and a stable id', () => {
    expectGolden(
      'elasticsearch/span-documents',
      goldenTrace().map((span) => {
        const doc = encodeSpanDocument(span);
        return { _index: dailyIndex(PREFIX, 'spans', doc.startTime), _id: spanDocumentId(span), _source: asSent(doc) };
      }),
    );
  });

  it('services documents: one per (service, operation, kind), under <prefix>-services-<day>', () => {
    expectGolden(
      'elasticsearch/service-documents',
      goldenTrace().map((span) => {
        const doc = serviceDocumentOf(span);
        const startMs = Number(span.startTimeUnixNano / 1_000_000n);
        return { _index: dailyIndex(PREFIX, 'services', startMs), _id: serviceDocumentId(doc), _source: asSent(doc) };
      }),
    );
  });

  it('access-log documents: the searchable fields, the edge they count for, and the whole record', () => {
    expectGolden(
      'elasticsearch/accesslog-documents',
      goldenAccessLogs().map((record) => ({
        _index: dailyIndex(PREFIX, 'accesslogs', accessLogStartMs(record)),
        _id: record.id,
        _source: asSent(encodeAccessLogDocument(record)),
      })),
    );
  });
});
