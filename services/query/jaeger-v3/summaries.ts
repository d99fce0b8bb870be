/**
 * `/api/v3/trace-summaries` entries (Jaeger ≥ 2.19): one per trace, computed on the adjusted
 * trace as Jaeger does. The root is the earliest-starting span without a parent; an orphan is a
 * span whose parent is not in the trace. Zero counts are left out, as Jaeger's protobuf JSON
 * marshaler leaves them out.
 */
import { StatusCode } from '../../../shared/model/span.js';
import type { ViewSpan } from '../trace-view/view.js';

export interface ServiceSummaryJson {
  name: string;
  spanCount?: number;
  errorSpanCount?: number;
}

export interface TraceSummaryJson {
  traceId: string;
  rootServiceName?: string;
  rootOperationName?: string;
  minStartTimeUnixNano: string;
  maxEndTimeUnixNano: string;
  spanCount?: number;
  errorSpanCount?: number;
  orphanSpanCount?: number;
  services: ServiceSummaryJson[];
}

/** Summary of one non-empty adjusted trace. */
export function summarizeTrace(spans: readonly ViewSpan[]): TraceSummaryJson {
  const ids = new Set(spans.map((s) => s.spanId));
  const services = new Map<string, { spans: number; errors: number }>();
  let root: ViewSpan | undefined;
  let minStart = spans[0].startTimeUnixNano;
  let maxEnd = spans[0].endTimeUnixNano;
  let errors = 0;
  let orphans = 0;
  for (const span of spans) {
    const stats = services.get(span.serviceName) ?? { spans: 0, errors: 0 };
    services.set(span.serviceName, stats);
    stats.spans++;
    if (span.status.code === StatusCode.ERROR) {
      stats.errors++;
      errors++;
    }
    if (span.startTimeUnixNano < minStart) minStart = span.startTimeUnixNano;
    if (span.endTimeUnixNano > maxEnd) maxEnd = span.endTimeUnixNano;
    if (span.parentSpanId === '') {
      if (root === undefined || span.startTimeUnixNano < root.startTimeUnixNano) root = span;
    } else if (!ids.has(span.parentSpanId)) {
      orphans++;
    }
  }
  // Field order as in Jaeger's message; `services` last.
  return {
    traceId: spans[0].traceId,
    ...(root !== undefined && root.serviceName !== '' && { rootServiceName: root.serviceName }),
    ...(root !== undefined && root.name !== '' && { rootOperationName: root.name }),
    minStartTimeUnixNano: minStart.toString(),
    maxEndTimeUnixNano: maxEnd.toString(),
    spanCount: spans.length,
    ...(errors > 0 && { errorSpanCount: errors }),
    ...(orphans > 0 && { orphanSpanCount: orphans }),
    services: [...services.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, s]) => ({ name, spanCount: s.spans, ...(s.errors > 0 && { errorSpanCount: s.errors }) })),
  };
}
