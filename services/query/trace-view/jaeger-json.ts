/**
 * The Jaeger v1 JSON trace of a trace view, with the adjusters that only concern Jaeger's JSON
 * model applied after the shared ones (view.ts): integer IP tags as dotted text, then tags,
 * process tags and log fields in Jaeger's order.
 */
import { toJaegerTrace } from '../jaeger/from-spans.js';
import { compareKeyValues, sortKeyValues } from '../jaeger/keyvalue-order.js';
import type { JaegerKeyValue, JaegerTrace } from '../jaeger/model.js';
import type { SpanRecord } from '../../../shared/model/span.js';
import { dottedQuad } from './clock-skew.js';
import { viewOfTrace, type TraceViewOptions } from './view.js';

export type JaegerAdjuster = (trace: JaegerTrace) => void;

/** Jaeger's order: IP tags first (their type changes), then sorting. */
export const JAEGER_JSON_ADJUSTERS: readonly JaegerAdjuster[] = [normalizeIpTags, sortTagsAndLogFields];

/** One trace as Jaeger's API shows it; undefined for no spans. `raw` skips every adjuster. */
export function jaegerTraceView(spans: readonly SpanRecord[], options: TraceViewOptions & { readonly raw?: boolean }): JaegerTrace | undefined {
  const trace = toJaegerTrace(viewOfTrace(spans, options));
  if (trace === undefined || options.raw === true) return trace;
  for (const adjust of JAEGER_JSON_ADJUSTERS) adjust(trace);
  return trace;
}

/** Tags whose integers mean IPv4 addresses (Jaeger's list). */
const IP_TAG_KEYS = new Set(['ip', 'peer.ipv4']);

/** `ip` / `peer.ipv4` sent as a number (old Jaeger clients, Zipkin ipv4 as int) shown as `a.b.c.d`. */
export function normalizeIpTags(trace: JaegerTrace): void {
  const fix = (tags: JaegerKeyValue[]) => {
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i];
      if (!IP_TAG_KEYS.has(tag.key)) continue;
      let n: bigint;
      if (tag.type === 'int64') n = BigInt(tag.value as number | string);
      else if (tag.type === 'float64' && Number.isFinite(Number(tag.value))) n = BigInt(Math.trunc(Number(tag.value)));
      else continue;
      tags[i] = { key: tag.key, type: 'string', value: dottedQuad(n) };
    }
  };
  for (const span of trace.spans) fix(span.tags);
  for (const process of Object.values(trace.processes)) fix(process.tags);
}

/** Tags and process tags sorted; in each log, a string `event` field first and the rest sorted. */
export function sortTagsAndLogFields(trace: JaegerTrace): void {
  for (const span of trace.spans) {
    sortKeyValues(span.tags);
    for (const log of span.logs) {
      const eventAt = log.fields.findIndex((f) => f.key === 'event' && f.type === 'string');
      if (eventAt > 0) [log.fields[0], log.fields[eventAt]] = [log.fields[eventAt], log.fields[0]];
      const offset = eventAt >= 0 ? 1 : 0;
      const rest = log.fields.slice(offset).sort(compareKeyValues);
      log.fields.splice(offset, rest.length, ...rest);
    }
  }
  for (const process of Object.values(trace.processes)) sortKeyValues(process.tags);
}
