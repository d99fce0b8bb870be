/**
 * Istio's standard metrics derived from access logs (reference §5), so Kiali's graph and the Istio
 * Grafana dashboards work for meshes whose sidecars send access logs but are not scraped.
 *
 * Per HTTP / gRPC entry: one `istio_requests_total`, and one observation each of
 * `istio_request_duration_milliseconds` (whole request, from durationUs), `istio_request_bytes`
 * (bytes received from the caller) and `istio_response_bytes` (bytes sent to it).
 *
 * Per TCP entry: Envoy writes a TCP access-log entry when the connection closes, so one entry is
 * one whole connection — it counts once in `istio_tcp_connections_opened_total` and once in
 * `istio_tcp_connections_closed_total`, and adds its bytes to `istio_tcp_received_bytes_total` /
 * `istio_tcp_sent_bytes_total`. (Istio's sidecars count "opened" when the connection starts and
 * report bytes every 5 s; from logs the same totals arrive at close.)
 *
 * Skipped: plain logs (kind 'log'), and entries Envoy writes before the end of a request or
 * connection (ALS periodic / start / upstream entries, marked by an `ACCESS_LOG_TYPE` attribute) —
 * their byte counts are running totals of a connection whose end entry follows, and counting them
 * would count that connection and its bytes twice.
 *
 * Every family has a series limit (`maxSeries`, else the registry's default); label sets beyond it
 * fold into the registry's overflow series, so unique peer names cannot grow memory without bound.
 */
import type { AccessLogRecord } from '../../model/access-log.js';
import type { DerivedCounter, DerivedHistogram, MetricsRegistry } from '../registry.js';
import { requestLabels, tcpLabels } from '../../istio/metric-labels.js';
import {
  ISTIO_DEFAULT_BUCKETS,
  ISTIO_REQUESTS_TOTAL,
  ISTIO_REQUEST_BYTES,
  ISTIO_REQUEST_DURATION_MS,
  ISTIO_REQUEST_LABEL_NAMES,
  ISTIO_RESPONSE_BYTES,
  ISTIO_TCP_CLOSED_TOTAL,
  ISTIO_TCP_LABEL_NAMES,
  ISTIO_TCP_OPENED_TOTAL,
  ISTIO_TCP_RECEIVED_BYTES_TOTAL,
  ISTIO_TCP_SENT_BYTES_TOTAL,
} from './istio-metric-names.js';

export interface IstioMetricsOptions {
  /** Bounds of istio_request_duration_milliseconds; Envoy's defaults when absent. */
  readonly durationBucketsMs?: readonly number[];
  /** Bounds of istio_request_bytes / istio_response_bytes; Envoy's defaults when absent. */
  readonly bytesBuckets?: readonly number[];
  /** Series per metric before new label sets fold into the overflow series; the registry's default when absent. */
  readonly maxSeries?: number;
}

/** The ALS attribute that marks an entry written before its request or connection ended. */
const NOT_FINAL_MARK = 'ACCESS_LOG_TYPE';

export class IstioMetricsDeriver {
  readonly #requests: DerivedCounter;
  readonly #durationMs: DerivedHistogram;
  readonly #requestBytes: DerivedHistogram;
  readonly #responseBytes: DerivedHistogram;
  readonly #tcpOpened: DerivedCounter;
  readonly #tcpClosed: DerivedCounter;
  readonly #tcpSent: DerivedCounter;
  readonly #tcpReceived: DerivedCounter;

  constructor(registry: MetricsRegistry, options: IstioMetricsOptions = {}) {
    const { maxSeries } = options;
    const durationBuckets = options.durationBucketsMs ?? ISTIO_DEFAULT_BUCKETS;
    const bytesBuckets = options.bytesBuckets ?? ISTIO_DEFAULT_BUCKETS;
    const request = { labelNames: ISTIO_REQUEST_LABEL_NAMES, maxSeries };
    const tcp = { labelNames: ISTIO_TCP_LABEL_NAMES, maxSeries };
    this.#requests = registry.counter({ ...request, name: ISTIO_REQUESTS_TOTAL, help: 'Requests, from access logs (Istio standard metric).' });
    this.#durationMs = registry.histogram({
      ...request, name: ISTIO_REQUEST_DURATION_MS, help: 'Request duration in milliseconds, from access logs.', buckets: durationBuckets,
    });
    this.#requestBytes = registry.histogram({
      ...request, name: ISTIO_REQUEST_BYTES, help: 'Request size: bytes received from the caller, from access logs.', buckets: bytesBuckets,
    });
    this.#responseBytes = registry.histogram({
      ...request, name: ISTIO_RESPONSE_BYTES, help: 'Response size: bytes sent to the caller, from access logs.', buckets: bytesBuckets,
    });
    this.#tcpOpened = registry.counter({ ...tcp, name: ISTIO_TCP_OPENED_TOTAL, help: 'TCP connections opened, from access logs (one per closed connection).' });
    this.#tcpClosed = registry.counter({ ...tcp, name: ISTIO_TCP_CLOSED_TOTAL, help: 'TCP connections closed, from access logs.' });
    this.#tcpSent = registry.counter({ ...tcp, name: ISTIO_TCP_SENT_BYTES_TOTAL, help: 'Bytes sent to the caller on TCP connections, from access logs.' });
    this.#tcpReceived = registry.counter({ ...tcp, name: ISTIO_TCP_RECEIVED_BYTES_TOTAL, help: 'Bytes received from the caller on TCP connections, from access logs.' });
  }

  observeAccessLogs(records: readonly AccessLogRecord[]): void {
    for (const record of records) {
      if (record.attributes[NOT_FINAL_MARK] !== undefined) continue;
      if (record.kind === 'http') this.#observeRequest(record);
      else if (record.kind === 'tcp') this.#observeConnection(record);
    }
  }

  #observeRequest(record: AccessLogRecord): void {
    // One labels object for the four families: they share Istio's request label set.
    const labels = requestLabels(record);
    this.#requests.inc(labels);
    if (record.durationUs !== undefined) this.#durationMs.observe(labels, record.durationUs / 1000);
    // An input that did not log a size gives no observation rather than a false zero.
    if (record.bytesReceived !== undefined) this.#requestBytes.observe(labels, record.bytesReceived);
    if (record.bytesSent !== undefined) this.#responseBytes.observe(labels, record.bytesSent);
  }

  #observeConnection(record: AccessLogRecord): void {
    const labels = tcpLabels(record);
    this.#tcpOpened.inc(labels);
    this.#tcpClosed.inc(labels);
    this.#tcpSent.inc(labels, record.bytesSent ?? 0);
    this.#tcpReceived.inc(labels, record.bytesReceived ?? 0);
  }
}
