/**
 * MetricsSink: where derived series go. Implementations: `remote-write/` (Prometheus remote-write
 * 1.0 to any receiver: Prometheus, Mimir, Thanos receive, VictoriaMetrics) and `exposition/`
 * (a Prometheus scrape endpoint of its own, for all-in-one without a remote-write URL). Only wiring
 * code picks one.
 *
 * Contract:
 * - start() begins periodic export (remote-write: every flush interval it snapshots the source,
 *   queues the samples, sends them batched with retries) or serving (exposition).
 * - stop() flushes what is queued (bounded by the shutdown timeout) and releases resources.
 * - isReady() says whether the sink can currently deliver (remote-write: last send succeeded or
 *   nothing sent yet; exposition: listening).
 */
import type { Component } from '../model/component.js';

export interface MetricsSink extends Component {
  isReady(): Promise<boolean>;
}
