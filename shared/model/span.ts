/**
 * The span model every meshtel component shares once a request is decoded.
 *
 * It is OTLP's model flattened to one object per span: each span carries references to its
 * resource and scope (shared objects, not copies), ids are lower-case hex, and 64-bit values
 * are `bigint` so nanosecond timestamps and int64 attributes survive exactly.
 */

export type AnyValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'int'; readonly value: bigint }
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'bytes'; readonly value: Uint8Array }
  | { readonly type: 'array'; readonly value: readonly AnyValue[] }
  | { readonly type: 'kvlist'; readonly value: readonly KeyValue[] }
  | { readonly type: 'empty' };

export interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** OTLP `Span.SpanKind` numbers. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP `Status.StatusCode` numbers. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface Resource {
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version: string;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
}

export interface SpanEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState: string;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly flags: number;
}

export interface SpanStatus {
  readonly code: StatusCode;
  readonly message: string;
}

export interface SpanRecord {
  /** 32 lower-case hex characters, never all zero. */
  readonly traceId: string;
  /** 16 lower-case hex characters, never all zero. */
  readonly spanId: string;
  /** 16 lower-case hex characters, or '' for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly flags: number;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly events: readonly SpanEvent[];
  readonly droppedEventsCount: number;
  readonly links: readonly SpanLink[];
  readonly droppedLinksCount: number;
  readonly status: SpanStatus;
  /** Shared by every span of the same ResourceSpans. */
  readonly resource: Resource;
  /** Shared by every span of the same ScopeSpans. */
  readonly scope: InstrumentationScope;
  /** `service.name` of the resource, or {@link MISSING_SERVICE_NAME} and its siblings (see serviceNameOf). */
  readonly serviceName: string;
}

/**
 * What a resource without a usable `service.name` is called: the names Jaeger's span sanitizer
 * writes before storing (so the Jaeger UI and Grafana list such spans under the same service).
 */
export const MISSING_SERVICE_NAME = 'missing-service-name';
export const EMPTY_SERVICE_NAME = 'empty-service-name';
export const WRONG_TYPE_SERVICE_NAME = 'service-name-wrong-type';

export function serviceNameOf(resource: Resource): string {
  for (const kv of resource.attributes) {
    if (kv.key !== 'service.name') continue;
    if (kv.value.type !== 'string') return WRONG_TYPE_SERVICE_NAME;
    return kv.value.value === '' ? EMPTY_SERVICE_NAME : kv.value.value;
  }
  return MISSING_SERVICE_NAME;
}

/** Span duration in whole microseconds (Jaeger's unit), never negative. */
export function durationUs(span: SpanRecord): number {
  const d = span.endTimeUnixNano - span.startTimeUnixNano;
  return d > 0n ? Number(d / 1000n) : 0;
}

export function startTimeUs(span: SpanRecord): number {
  return Number(span.startTimeUnixNano / 1000n);
}
