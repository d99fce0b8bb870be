import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ISTIO_METRIC_NAMES } from '../../shared/metrics/istio/istio-metric-names.js';

const GRAFANA = fileURLToPath(new URL('../../deploy/grafana/', import.meta.url));
const read = (path: string) => readFileSync(GRAFANA + path, 'utf8');

/** Tempo metrics-generator names meshtel derives from spans (DESIGN.md, "Metrics derived by the ingester"). */
const SPAN_METRIC_NAMES = [
  'traces_spanmetrics_calls_total',
  'traces_spanmetrics_latency',
  'traces_spanmetrics_size_total',
  'traces_service_graph_request_total',
  'traces_service_graph_request_failed_total',
  'traces_service_graph_request_server_seconds',
  'traces_service_graph_request_client_seconds',
  'traces_service_graph_unpaired_spans_total',
  'traces_service_graph_dropped_spans_total',
];
const HISTOGRAMS = new Set([
  'istio_request_duration_milliseconds', 'istio_request_bytes', 'istio_response_bytes',
  'traces_spanmetrics_latency', 'traces_service_graph_request_server_seconds', 'traces_service_graph_request_client_seconds',
]);

/** Series names a query may select: counters as named, histograms as their _bucket/_sum/_count series. */
const EMITTED = new Set(
  [...ISTIO_METRIC_NAMES, ...SPAN_METRIC_NAMES].flatMap((name) =>
    HISTOGRAMS.has(name) ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]),
);

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/**
 * The metric names a PromQL expression selects: identifiers left once strings, label matchers,
 * grouping clauses and ranges are removed, that are neither function calls nor keywords.
 */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names: string[] = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = bare.slice(match.index + match[0].length);
    if (/^\s*\(/.test(rest) || PROMQL_KEYWORDS.has(match[0])) continue;
    // A number's exponent or a duration unit is not a name.
    if (match.index > 0 && /[0-9.]/.test(bare[match.index - 1]!)) continue;
    names.push(match[0]);
  }
  return names;
}

interface Target { readonly expr?: string; readonly datasource?: { readonly uid?: string } }
interface Panel { readonly type: string; readonly title: string; readonly targets?: readonly Target[]; readonly panels?: readonly Panel[]; readonly datasource?: { readonly uid?: string } }
interface Dashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: ReadonlyArray<{ readonly name: string; readonly definition?: string; readonly datasource?: { readonly uid?: string } }> };
}

const dashboard = JSON.parse(read('dashboards/mesh-red.json')) as Dashboard;
const allPanels = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const queryPanels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
const queries = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '', uid: t.datasource?.uid })));

describe('Grafana mesh RED dashboard', () => {
  it('finds the metric names of a PromQL expression and leaves out functions, labels and keywords', () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum(rate(istio_request_duration_milliseconds_bucket{reporter="x",le!="1e3"}[5m])) by (le, destination_service_name))'))
      .toEqual(['istio_request_duration_milliseconds_bucket']);
    expect(metricNamesIn('sum(rate(a_total[1m])) / on (x) group_left sum(b_total offset 5m) > bool 0.5e3')).toEqual(['a_total', 'b_total']);
  });

  it('is a dashboard Grafana 10/11 loads, with a fixed uid', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toBe('meshtel-mesh-red');
    expect(queryPanels.length).toBeGreaterThanOrEqual(10);
    expect(queryPanels.every((p) => (p.targets ?? []).length > 0)).toBe(true);
  });

  it('queries only metric names meshtel emits', () => {
    const unknown = queries.flatMap((q) => metricNamesIn(q.expr).filter((n) => !EMITTED.has(n)).map((n) => `${q.panel}: ${n}`));
    expect(unknown).toEqual([]);
    // The check is not vacuous: an Istio name misspelt as people often do is caught.
    expect(metricNamesIn('sum(rate(istio_request_total[1m]))').filter((n) => !EMITTED.has(n))).toEqual(['istio_request_total']);
    const variables = dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : []));
    for (const definition of variables) {
      const metric = /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(definition)?.[1];
      expect(metric !== undefined && EMITTED.has(metric), definition).toBe(true);
    }
  });

  it('covers the RED view: request rate, 5xx share, p50/p95/p99 latency, TCP bytes, span metrics and service-graph edges', () => {
    const exprs = queries.map((q) => q.expr.replace(/\s+/g, ''));
    const has = (fragment: string) => exprs.some((e) => e.includes(fragment.replace(/\s+/g, '')));
    expect(has('sum(rate(istio_requests_total{reporter="$reporter"')).toBe(true);
    expect(has('[1m])) by (destination_service_name)')).toBe(true);
    expect(has('response_code=~"5.."')).toBe(true);
    for (const p of ['0.5', '0.95', '0.99']) expect(has(`histogram_quantile(${p}, sum(rate(istio_request_duration_milliseconds_bucket`)).toBe(true);
    expect(has('istio_tcp_sent_bytes_total')).toBe(true);
    expect(has('istio_tcp_received_bytes_total')).toBe(true);
    expect(has('traces_spanmetrics_calls_total')).toBe(true);
    expect(has('traces_spanmetrics_latency_bucket')).toBe(true);
    expect(has('by (le, service)')).toBe(true);
    expect(has('sum(rate(traces_service_graph_request_total[5m])) by (client, server)')).toBe(true);
  });

  it('references every datasource by a uid the provisioning file defines', () => {
    const provisioned = [...read('provisioning/datasources/meshtel.yaml').matchAll(/^\s+uid:\s*(\S+)\s*$/gm)].map((m) => m[1]);
    expect(provisioned).toEqual(expect.arrayContaining(['meshtel-prometheus', 'meshtel-jaeger']));
    const used = new Set([
      ...queries.map((q) => q.uid),
      ...queryPanels.map((p) => p.datasource?.uid),
      ...dashboard.templating.list.flatMap((v) => (v.datasource ? [v.datasource.uid] : [])),
    ]);
    expect([...used].every((uid) => uid !== undefined && provisioned.includes(uid))).toBe(true);
    expect(read('provisioning/datasources/meshtel.yaml')).toMatch(/url: http:\/\/prometheus:9090\n/);
    expect(read('provisioning/datasources/meshtel.yaml')).toMatch(/type: jaeger\n\s+access: proxy\n\s+url: http:\/\/query:16686\n/);
    expect(read('provisioning/dashboards/meshtel.yaml')).toMatch(/path: \/var\/lib\/grafana\/dashboards/);
  });
});
