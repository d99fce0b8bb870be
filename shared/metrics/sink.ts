/**
 * MetricsSink: where derived series go. Implementations: `remote-write/` (Prometheus remote-write
 * 1.0 to any receiver: Prometheus, Mimir, Thanos receive, VictoriaMetrics; it PUSHES) and
 * `exposition/` (a Prometheus scrape endpoint of its own, for all-in-one without a remote-write
 * URL; it is PULLED). Only wiring code picks one.
 *
 * A sink is built over a MetricsSource and makes what that source holds readable at its
 * destination (the remote-write receiver; whoever scrapes the endpoint). Contract, held by
 * test/support/metrics-sink-contract.ts on both implementations:
 * - Every series: while started, every series of the source's snapshot reaches the destination —
 *   a counter or gauge as one sample; a histogram as cumulative `<name>_bucket{le}` samples ending
 *   with `le="+Inf"` (equal to the count), `<name>_sum` and `<name>_count`; a summary as
 *   `<name>{quantile}` samples, `<name>_sum` and `<name>_count`.
 * - Labels intact: each sample carries the series' labels exactly (any UTF-8 value, quotes,
 *   backslashes and newlines included); a label with an empty value is absent, as in Prometheus.
 *   A sink may ADD labels it is configured with (remote-write's external and instance labels),
 *   never rename or drop one.
 * - Values exact: a float64 arrives bit for bit (0.1 + 0.2 stays 0.30000000000000004).
 * - Timestamps: a series with its own `timestampMs` (an imported OTLP point) is delivered with
 *   that timestamp; other series take the snapshot's time (remote-write) or the scrape's (exposition).
 * - Order: a series' values reach the destination in the order the source produced them, and the
 *   destination's latest value is the source's latest: an older value never follows a newer one.
 * - start() begins delivery: remote-write snapshots the source every flush interval and sends
 *   the queued samples batched, with retries; exposition starts listening.
 * - stop() loses nothing the source held when it was called: a push sink takes a last snapshot
 *   and delivers its queue before stop() resolves (bounded by its stop timeout; what is still
 *   queued then is dropped and counted); a pull sink has nothing pending, since every scrape reads
 *   the source. Then it releases its resources (timer, listening port) and delivers no more.
 * - isReady() says whether the sink can currently deliver: remote-write, last send succeeded or
 *   nothing sent yet; exposition, listening. A started sink with a working destination is ready.
 */
import type { Component } from '../model/component.js';

export interface MetricsSink extends Component {
  isReady(): Promise<boolean>;
}
