/**
 * The mesh graph over roll-ups: the final `graph` day and hour roll-ups inside the asked window
 * are read at the query's level, and only the rest — the open ends, and closed hours not yet
 * final — is computed live by the wrapped reader; the partials merge by adding
 * (mergeEdgePartials). Calls are counted by their reports' start time in exactly one window, so
 * the answer equals the all-live one (reports later than the roll-up lateness aside, and a call
 * whose reports straddle an hour boundary, which counts once per window it has reports in).
 */
import { inNamespace, mergeEdgePartials } from '../graph/aggregate.js';
import type { EdgePartial, GraphQuery } from '../graph/model.js';
import type { GraphReader } from './graphstore.js';
import { planDependencies } from './rollup-dependencies.js';
import { GRANULARITY_MS, type RollupStore } from './rollupstore.js';

const HOUR_US = GRANULARITY_MS.hour * 1000;
const DAY_US = GRANULARITY_MS.day * 1000;

/** Indexes (start / size) of the windows of `sizeUs` lying wholly inside [fromUs, toUs]. */
function wholeWindows(fromUs: number, toUs: number, sizeUs: number): [number, number] {
  return [Math.ceil(fromUs / sizeUs), Math.floor((toUs + 1) / sizeUs) - 1];
}

/**
 * A GraphReader whose getEdgePartials reads final graph roll-ups where it can; the edge time
 * series stays live (its steps are finer than an hour).
 *
 * Roll-ups hold every namespace: a namespace query keeps the rolled-up edges with an end in the
 * namespace, as the live reader keeps the reports with an end in it (the same edges, as an edge's
 * ends carry one namespace each).
 */
export function withGraphRollups(reader: GraphReader, rollups: RollupStore): GraphReader {
  return {
    getEdgeTimeseries: (query) => reader.getEdgeTimeseries(query),
    async getEdgePartials(query: GraphQuery): Promise<EdgePartial[]> {
      const { startUs: fromUs, endUs: toUs } = query;
      const [firstHour, lastHour] = wholeWindows(fromUs, toUs, HOUR_US);
      // Less than one whole hour: nothing can be rolled up.
      if (lastHour < firstHour) return reader.getEdgePartials(query);
      const [firstDay, lastDay] = wholeWindows(fromUs, toUs, DAY_US);
      const [days, hours] = await Promise.all([
        lastDay >= firstDay ? rollups.listWindows('graph', 'day', firstDay * GRANULARITY_MS.day, (lastDay + 1) * GRANULARITY_MS.day) : [],
        rollups.listWindows('graph', 'hour', firstHour * GRANULARITY_MS.hour, (lastHour + 1) * GRANULARITY_MS.hour),
      ]);
      const plan = planDependencies(
        'graph',
        fromUs,
        toUs,
        new Set(days.filter((w) => w.final).map((w) => w.startMs)),
        new Set(hours.filter((w) => w.final).map((w) => w.startMs)),
      );
      const [rolled, ...live] = await Promise.all([
        rollups.readGraphPartials(plan.rolledUp, query.level),
        ...plan.live.map(([startUs, endUs]) => reader.getEdgePartials({ ...query, startUs, endUs })),
      ]);
      const kept = query.namespace === undefined ? rolled : rolled.filter((p) => inNamespace(p, query.namespace));
      return mergeEdgePartials([...kept, ...live.flat()]);
    },
  };
}
