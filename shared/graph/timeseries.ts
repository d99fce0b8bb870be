/**
 * One edge over time: requests, errors and p99 per step, with the same counting rules as the
 * graph (aggregate.ts) applied within each step.
 */
import { edgePartialsOf } from './aggregate.js';
import { latencyOf } from './build.js';
import { latencyQuantile } from './latency.js';
import type { EdgePartial, EdgeTimeseriesPoint, EdgeTimeseriesQuery, GraphObservation } from './model.js';

/** Step starts covering [startUs, endUs]: startUs, startUs + step, … */
export function stepStarts(q: Pick<EdgeTimeseriesQuery, 'startUs' | 'endUs' | 'stepUs'>): number[] {
  const out: number[] = [];
  for (let t = q.startUs; t <= q.endUs; t += q.stepUs) out.push(t);
  return out;
}

export function stepIndexOf(timeUs: number, q: Pick<EdgeTimeseriesQuery, 'startUs' | 'stepUs'>): number {
  return Math.floor((timeUs - q.startUs) / q.stepUs);
}

/** A point from the edge's partial of one step (absent partial = no traffic). */
export function pointOf(timeUs: number, partial: EdgePartial | undefined): EdgeTimeseriesPoint {
  if (partial === undefined) return { timeUs, requests: 0, errors: 0, p99Ms: null };
  return { timeUs, requests: partial.requests, errors: partial.errors, p99Ms: latencyQuantile(latencyOf(partial), 0.99) };
}

export function edgeTimeseriesOf(observations: Iterable<GraphObservation>, q: EdgeTimeseriesQuery): EdgeTimeseriesPoint[] {
  const starts = stepStarts(q);
  const perStep: GraphObservation[][] = starts.map(() => []);
  for (const o of observations) {
    if (o.timeUs < q.startUs || o.timeUs > q.endUs) continue;
    perStep[stepIndexOf(o.timeUs, q)]?.push(o);
  }
  return starts.map((t, i) => {
    const partial = edgePartialsOf(perStep[i]!, q.level).find((p) => p.source === q.source && p.target === q.target);
    return pointOf(t, partial);
  });
}
