/**
 * Dependency links over an exact µs range: what the roll-up job computes per hour and what
 * /api/dependencies computes live for the parts of a window no final roll-up covers. Both span
 * stores implement it beside SpanReader.getDependencies (which takes Jaeger's endTs/lookback in ms).
 */
import type { ReadScope } from './read-scope.js';
import type { DependencyLink } from './spanstore.js';

export interface DependencyRangeReader {
  /**
   * The links of SpanReader.getDependencies, counted for child spans that started within
   * [fromUs, toUs] (both inclusive, integer µs): hour windows [h, h + 1 h − 1 µs] partition time,
   * so summing per-window results counts every child once.
   */
  getDependenciesBetween(fromUs: number, toUs: number, scope?: ReadScope): Promise<DependencyLink[]>;
}
