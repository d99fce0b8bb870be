/**
 * Durations in settings, written as Go does (`87600h`, `10m`, `1h30m`, `0`) — the syntax the
 * OpenTelemetry Collector, Jaeger and Tempo use in their own settings. The setting keeps its text
 * (so --help and README show what a user writes); components read it with durationMs.
 */
import { z } from 'zod';
import { parseDurationNanos } from '../model/go-duration.js';

export const goDurationText = z.string().superRefine((text, ctx) => {
  try {
    parseDurationNanos(text.trim());
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

/** Milliseconds of a Go duration text the schema accepted. */
export function durationMs(text: string): number {
  return parseDurationNanos(text.trim()) / 1e6;
}
