/**
 * Spans that end before (or when) they start: Jaeger moves the end to 1 ns after the start and
 * says so on the span, so the UI draws them and nothing computes a negative duration.
 */
import { formatGoTimeUtc } from './go-format.js';
import type { ViewSpan } from './view-span.js';

export function sanitizeNonPositiveDurations(spans: ViewSpan[]): ViewSpan[] {
  for (const span of spans) {
    if (span.startTimeUnixNano < span.endTimeUnixNano) continue;
    const end = span.startTimeUnixNano + 1n;
    span.warnings.push(
      `Negative duration detected, sanitizing end timestamp. Original end timestamp: ${formatGoTimeUtc(span.endTimeUnixNano)}, adjusted to: ${formatGoTimeUtc(end)}`,
    );
    span.endTimeUnixNano = end;
  }
  return spans;
}
