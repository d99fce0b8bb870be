/**
 * Export→queryable delay through the distributed pipeline: small traced requests at a fixed,
 * moderate rate (open loop: a slow answer never delays the next send), each trace then watched
 * until every one of its spans can be found, timed from the collector's 200 answer.
 *
 * "Queryable" is what a search sees. By default that is Elasticsearch's own search on the
 * pipeline's span indices (one batched terms aggregation per poll for every pending trace, so the
 * probe costs the cluster little and does not change what it measures); with `via: 'query'` each
 * pending trace is fetched through the query role's /api/traces/{id} instead, which adds the query
 * role's own work per poll. Either way a document becomes searchable only at the shard's next
 * refresh (1 s by default), so on an idle pipeline the refresh interval, not meshtel, sets most
 * of the delay: the "stored" figure beside it says how long the spans took to be *written*.
 *
 * "Stored" is read from the ingester's meshtel_store_spans_written_total rather than from
 * Elasticsearch: a realtime GET of an unrefreshed document makes the shard refresh, which would
 * make every trace queryable early. The counter is a total, not per trace, so the time a trace
 * was stored is taken as the first reading at which the counter covered every span answered up to
 * and including that trace's request — exact when records arrive in answer order; records on
 * different Kafka partitions may overtake each other by a batch, which moves a reading by about
 * one poll.
 */
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buildRequestPool, stampRequest, traceIdsOf } from './otlp-workload.js';
import { percentile, sleep } from './pipeline-measure.js';

export interface LatencyOptions {
  /** The collector's OTLP/HTTP base URL. */
  readonly collectorUrl: string;
  /** The query role's base URL (used when via = 'query', and for the final read-back). */
  readonly queryUrl: string;
  readonly esUrl: string;
  readonly indexPrefix: string;
  /** Reads the ingester's stored-spans counter. */
  readonly storedSpans: () => Promise<number>;
  readonly requestsPerSec: number;
  readonly spansPerRequest: number;
  readonly durationMs: number;
  /** Requests sent in the first `warmupMs` are not measured (JIT, first index creation, consumer fetch sessions). */
  readonly warmupMs: number;
  readonly pollMs: number;
  readonly via: 'es' | 'query';
  /** How long to keep watching after the last send for traces not yet queryable. */
  readonly settleMs: number;
  readonly seed: number;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface LatencyResult {
  readonly requestsSent: number;
  readonly requestsAccepted: number;
  readonly spansAccepted: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** The export requests' own latency (send → 200). */
  readonly requestMs: Percentiles;
  /** 200 answer → every span of the trace written to Elasticsearch (from the ingester's counter). */
  readonly storedMs: Percentiles;
  /** 200 answer → every span of the trace found by a search. */
  readonly queryableMs: Percentiles;
  readonly tracesMeasured: number;
  /** Measured traces never seen complete within the settle time. */
  readonly tracesIncomplete: number;
  /** The last measured traces seen complete, for a read-back through the query role. */
  readonly sampleTraces: ReadonlyArray<{ readonly traceId: string; readonly spanCount: number }>;
  /** Searches (or trace fetches) the poller made. */
  readonly polls: number;
}

interface Trace {
  readonly traceId: string;
  readonly spanCount: number;
  readonly answeredAt: number;
  /** Spans accepted up to and including this trace's request, in answer order. */
  readonly cumulativeSpans: number;
  readonly measured: boolean;
  storedAt?: number;
  queryableAt?: number;
}

function summarize(values: number[]): Percentiles {
  const sorted = values.sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** Span documents per trace id among `traceIds`, as a search sees them now. */
async function searchableCounts(esUrl: string, indexPrefix: string, traceIds: readonly string[]): Promise<Map<string, number>> {
  const res = await fetch(`${esUrl}/${indexPrefix}-spans-*/_search?ignore_unavailable=true&allow_no_indices=true&filter_path=aggregations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      size: 0,
      query: { terms: { traceId: traceIds } },
      aggs: { traces: { terms: { field: 'traceId', size: traceIds.length } } },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`search: HTTP ${res.status}`);
  const body = (await res.json()) as { aggregations?: { traces: { buckets: Array<{ key: string; doc_count: number }> } } };
  return new Map((body.aggregations?.traces.buckets ?? []).map((b) => [b.key, b.doc_count]));
}

/** Spans of the trace the query role returns now (0 when not found). */
async function queryRoleSpans(queryUrl: string, traceId: string): Promise<number> {
  const res = await fetch(`${queryUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
  if (res.status === 404) {
    await res.arrayBuffer();
    return 0;
  }
  if (!res.ok) throw new Error(`/api/traces/${traceId}: HTTP ${res.status}`);
  const body = (await res.json()) as { data?: Array<{ traceID?: string; spans?: unknown[] }> };
  return body.data?.[0]?.traceID === traceId ? (body.data[0].spans?.length ?? 0) : 0;
}

export async function measureExportToQueryable(o: LatencyOptions): Promise<LatencyResult> {
  const { templates } = buildRequestPool({ spansPerRequest: o.spansPerRequest, poolSize: 16, seed: o.seed });
  const url = new URL('/v1/traces', o.collectorUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const nonce = randomBytes(4);
  const traces: Trace[] = [];
  const requestMs: number[] = [];
  const errorSamples = new Set<string>();
  let sent = 0;
  let accepted = 0;
  let errors = 0;
  let spansAccepted = 0;
  let inFlight = 0;
  let polls = 0;

  const send = (index: number, measured: boolean): Promise<void> => {
    const template = templates[index % templates.length];
    const stamp = Buffer.allocUnsafe(8);
    nonce.copy(stamp, 0);
    stamp.writeUInt32BE(index + 1, 4);
    const body = stampRequest(template, stamp, BigInt(Date.now() - (templates.length + 2) * 1000) * 1_000_000n);
    const sentAt = performance.now();
    sent++;
    inFlight++;
    return new Promise<void>((resolve) => {
      const fail = (detail: string) => {
        errors++;
        if (errorSamples.size < 5) errorSamples.add(detail);
        inFlight--;
        resolve();
      };
      const req = http.request(
        { agent, method: 'POST', host: url.hostname, port: url.port, path: url.pathname, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => fail(err.message));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              fail(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`);
              return;
            }
            const answeredAt = performance.now();
            requestMs.push(answeredAt - sentAt);
            accepted++;
            for (const t of traceIdsOf(template, body)) {
              spansAccepted += t.spanCount;
              traces.push({ traceId: t.traceId, spanCount: t.spanCount, answeredAt, cumulativeSpans: spansAccepted, measured });
            }
            inFlight--;
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', (err) => fail(err.message));
      req.end(body);
    });
  };

  // The ingester's counter before the first send: what it counts from here on is ours.
  const storedBase = await o.storedSpans();
  const started = performance.now();
  const interval = 1000 / o.requestsPerSec;
  const total = Math.max(1, Math.round((o.durationMs / 1000) * o.requestsPerSec));
  let sending = true;
  const sender = (async () => {
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < total; i++) {
      // Scheduled from the start, not from the previous send, so the rate does not drift.
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(send(i, due - started >= o.warmupMs));
    }
    await Promise.all(pending);
    sending = false;
  })();

  // The poller: stored (counter) and queryable (search) for every answered, unfinished trace.
  let settleDeadline = Number.POSITIVE_INFINITY;
  for (;;) {
    const pollStarted = performance.now();
    let stored: number | undefined;
    try {
      stored = (await o.storedSpans()) - storedBase;
    } catch {
      // a missed reading; the next poll takes it
    }
    const storedReadAt = performance.now();
    if (stored !== undefined) {
      for (const t of traces) if (t.storedAt === undefined && stored >= t.cumulativeSpans) t.storedAt = storedReadAt;
    }
    const pending = traces.filter((t) => t.queryableAt === undefined);
    if (pending.length > 0) {
      try {
        if (o.via === 'es') {
          polls++;
          const counts = await searchableCounts(o.esUrl, o.indexPrefix, pending.map((t) => t.traceId));
          const at = performance.now();
          for (const t of pending) if ((counts.get(t.traceId) ?? 0) >= t.spanCount) t.queryableAt = at;
        } else {
          await Promise.all(
            pending.map(async (t) => {
              polls++;
              if ((await queryRoleSpans(o.queryUrl, t.traceId)) >= t.spanCount) t.queryableAt = performance.now();
            }),
          );
        }
      } catch {
        // a failed poll (Elasticsearch busy): the traces stay pending for the next one
      }
    }
    // Written before searchable, by definition: a trace seen searchable before the counter's
    // next reading was stored no later than that.
    for (const t of traces) if (t.queryableAt !== undefined && (t.storedAt === undefined || t.storedAt > t.queryableAt)) t.storedAt = t.queryableAt;

    const allDone = traces.every((t) => t.queryableAt !== undefined);
    if (!sending && inFlight === 0) {
      if (allDone) break;
      if (settleDeadline === Number.POSITIVE_INFINITY) settleDeadline = performance.now() + o.settleMs;
      if (performance.now() > settleDeadline) break;
    }
    const wait = o.pollMs - (performance.now() - pollStarted);
    if (wait > 0) await sleep(wait);
  }
  await sender;
  agent.destroy();

  const measured = traces.filter((t) => t.measured);
  const done = measured.filter((t) => t.queryableAt !== undefined);
  return {
    requestsSent: sent,
    requestsAccepted: accepted,
    spansAccepted,
    errors,
    errorSamples: [...errorSamples],
    requestMs: summarize(requestMs),
    storedMs: summarize(measured.filter((t) => t.storedAt !== undefined).map((t) => t.storedAt! - t.answeredAt)),
    queryableMs: summarize(done.map((t) => t.queryableAt! - t.answeredAt)),
    tracesMeasured: measured.length,
    tracesIncomplete: measured.length - done.length,
    sampleTraces: done.slice(-4).map((t) => ({ traceId: t.traceId, spanCount: t.spanCount })),
    polls,
  };
}
