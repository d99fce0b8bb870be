/**
 * The span type the trace-view adjusters work on, apart from view.ts (which composes the
 * adjusters) so no adjuster imports the module that imports it.
 */
import type { SpanEvent, SpanRecord } from '../../../shared/model/span.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A span of a trace view: a SpanRecord an adjuster may change, plus its warnings. */
export type ViewSpan = Mutable<SpanRecord> & { events: SpanEvent[]; warnings: string[] };

/** One adjustment over a whole trace: changes spans in place and returns the list (shorter when it drops spans). */
export type Adjuster = (spans: ViewSpan[]) => ViewSpan[];
