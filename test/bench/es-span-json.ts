/**
 * CPU of turning decoded spans into the span store's document text: the object encoder
 * (`JSON.stringify({ ...encodeSpanDocument(span), graph })`, the document's definition) against
 * the text writer the store uses (`encodeSpanDocumentJson`, span-document-json.ts). Same spans,
 * decoded as the ingester decodes Kafka records (the load generator's requests), alternated in
 * rounds so both meet the same heap and JIT state.
 *
 *   npx tsx test/bench/es-span-json.ts [--spans 100000] [--rounds 5]
 *
 * Prints µs per span (median of the rounds) and the ratio. Both sides include the content hash,
 * the id and the graph observation, as the store's writeSpans does, and the UTF-8 length the bulk
 * indexer reads of every document: it makes V8 flatten a string built from pieces, so a writer
 * that defers work into a rope pays it there.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { observationOfSpan } from '../../shared/graph/observation.js';
import { DEFAULT_MESH_SERVICE_NAMING } from '../../shared/istio/service-naming.js';
import type { SpanRecord } from '../../shared/model/span.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { encodeSpanDocument, encodeSpanDocumentJson, spanDocumentId } from '../../shared/storage/elasticsearch/document.js';
import { buildRequestPool } from './otlp-workload.js';

const { values } = parseArgs({ options: { spans: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '5' } } });
const total = Number(values.spans);
const rounds = Number(values.rounds);

const { templates } = buildRequestPool({ spansPerRequest: 512, poolSize: 16, seed: 7 });
/** Fresh decodes per round, as records arrive: new resources and spans, the decoder's shared attributes. */
function decodeSpans(): SpanRecord[][] {
  const batches: SpanRecord[][] = [];
  for (let n = 0, i = 0; n < total; i++) {
    const spans = decodeTracesProtobuf(templates[i % templates.length]!.bytes, { keepEncodedSpans: true });
    batches.push(spans);
    n += spans.length;
  }
  return batches;
}

let sink = 0;
const ways: Record<string, (span: SpanRecord) => void> = {
  'object + JSON.stringify': (span) => {
    const doc = encodeSpanDocument(span);
    const graph = observationOfSpan(span, DEFAULT_MESH_SERVICE_NAMING);
    const json = JSON.stringify(graph ? { ...doc, graph } : doc);
    sink += Buffer.byteLength(json) + spanDocumentId(span).length;
  },
  'text writer': (span) => {
    const doc = encodeSpanDocumentJson(span, observationOfSpan(span, DEFAULT_MESH_SERVICE_NAMING));
    sink += Buffer.byteLength(doc.json) + doc.id.length;
  },
};

const perSpan: Record<string, number[]> = {};
for (let r = 0; r < rounds + 1; r++) {
  for (const [name, encode] of r % 2 === 0 ? Object.entries(ways) : Object.entries(ways).reverse()) {
    const batches = decodeSpans();
    const started = performance.now();
    let n = 0;
    for (const batch of batches) {
      for (const span of batch) encode(span);
      n += batch.length;
    }
    const us = ((performance.now() - started) * 1000) / n;
    if (r > 0) (perSpan[name] ??= []).push(us); // round 0 warms the JIT
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [objectWay, textWay] = Object.keys(ways).map((k) => median(perSpan[k]!));
process.stdout.write(
  `span documents of ${total.toLocaleString('en-US')} load-generator spans, median of ${rounds} rounds (checksum ${sink % 997}):\n` +
    `  object + JSON.stringify : ${objectWay!.toFixed(2)} µs/span\n` +
    `  text writer             : ${textWay!.toFixed(2)} µs/span (${(textWay! / objectWay!).toFixed(2)}× the object's)\n`,
);
