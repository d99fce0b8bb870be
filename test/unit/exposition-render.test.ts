import { afterEach, describe, expect, it } from 'vitest';
import { ExpositionSink } from '../../shared/metrics/exposition/exposition-sink.js';
import { EXPOSITION_CONTENT_TYPE, renderExposition } from '../../shared/metrics/exposition/render.js';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { createLogger } from '../../shared/telemetry/logger.js';

interface ParsedLine { name: string; labels: Record<string, string>; value: number; timestampMs?: number }

/** A strict reader of the text format's sample lines (test-only), unescaping label values. */
function parseExposition(text: string): { samples: ParsedLine[]; help: Record<string, string>; type: Record<string, string> } {
  const samples: ParsedLine[] = [];
  const help: Record<string, string> = {};
  const type: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m) { help[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'); continue; }
    m = /^# TYPE (\S+) (counter|gauge|histogram|summary)$/.exec(line);
    if (m) { type[m[1]!] = m[2]!; continue; }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    const body = m[2] ?? '';
    let lm: RegExpExecArray | null;
    let consumed = 0;
    while ((lm = labelRe.exec(body))) {
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed = labelRe.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`bad labels: ${body}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    samples.push({ name: m[1]!, labels, value, ...(m[4] ? { timestampMs: Number(m[4]) } : {}) });
  }
  return { samples, help, type };
}

function fixtureRegistry(): MetricsRegistry {
  const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
  const c = registry.counter({ name: 'istio_requests_total', help: 'Requests\nwith a \\ backslash', labelNames: ['destination_service', 'response_code', 'empty'] });
  c.inc({ destination_service: 'say "hi"\\n\nx', response_code: '200', empty: '' }, 3);
  const h = registry.histogram({ name: 'lat_ms', help: 'h', labelNames: ['svc'], buckets: [1, 10] });
  for (const v of [0.5, 5, 50, 500]) h.observe({ svc: 'a' }, v);
  registry.summary({ name: 'rpc_seconds', help: 's', labelNames: [] }).set({}, { quantiles: [{ quantile: 0.99, value: 0.2 }], sum: 1.5, count: 9 }, 1_700_000_000_000);
  registry.gauge({ name: 'temp', help: 'g', labelNames: [] }).set({}, Number.NaN);
  return registry;
}

describe('renderExposition', () => {
  it('writes HELP and TYPE per family and escapes help text and label values so they parse back unchanged', () => {
    const parsed = parseExposition(renderExposition(fixtureRegistry().snapshot()));
    expect(parsed.help.istio_requests_total).toBe('Requests\nwith a \\ backslash');
    expect(parsed.type).toEqual({ istio_requests_total: 'counter', lat_ms: 'histogram', rpc_seconds: 'summary', temp: 'gauge' });
    const req = parsed.samples.find((s) => s.name === 'istio_requests_total')!;
    expect(req.labels).toEqual({ destination_service: 'say "hi"\\n\nx', response_code: '200' });
    expect(req.value).toBe(3);
    expect(Number.isNaN(parsed.samples.find((s) => s.name === 'temp')!.value)).toBe(true);
  });

  it('writes histograms as cumulative _bucket{le} ending with +Inf, then _sum and _count, without timestamps for derived series', () => {
    const { samples } = parseExposition(renderExposition(fixtureRegistry().snapshot()));
    expect(samples.filter((s) => s.name.startsWith('lat_ms')).map((s) => [s.name, s.labels.le ?? '', s.value, s.timestampMs])).toEqual([
      ['lat_ms_bucket', '1', 1, undefined],
      ['lat_ms_bucket', '10', 2, undefined],
      ['lat_ms_bucket', '+Inf', 4, undefined],
      ['lat_ms_sum', '', 555.5, undefined],
      ['lat_ms_count', '', 4, undefined],
    ]);
  });

  it('writes summaries as {quantile}, _sum and _count, keeping an imported point its own timestamp', () => {
    const { samples } = parseExposition(renderExposition(fixtureRegistry().snapshot()));
    expect(samples.filter((s) => s.name.startsWith('rpc_seconds'))).toEqual([
      { name: 'rpc_seconds', labels: { quantile: '0.99' }, value: 0.2, timestampMs: 1_700_000_000_000 },
      { name: 'rpc_seconds_sum', labels: {}, value: 1.5, timestampMs: 1_700_000_000_000 },
      { name: 'rpc_seconds_count', labels: {}, value: 9, timestampMs: 1_700_000_000_000 },
    ]);
  });
});

describe('ExpositionSink', () => {
  let sink: ExpositionSink | undefined;
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
  });

  it('serves the current snapshot on GET /metrics of its own port, as text format 0.0.4', async () => {
    const registry = fixtureRegistry();
    sink = new ExpositionSink({ source: registry, host: '127.0.0.1', port: 0, logger: createLogger('silent') });
    expect(await sink.isReady()).toBe(false);
    await sink.start();
    expect(sink.port).toBeGreaterThan(0);
    expect(await sink.isReady()).toBe(true);
    registry.counter({ name: 'late_total', help: 'h', labelNames: [] }).inc({}, 2);
    const res = await fetch(`http://127.0.0.1:${sink.port}/metrics`);
    expect(res.headers.get('content-type')).toBe(EXPOSITION_CONTENT_TYPE);
    const { samples } = parseExposition(await res.text());
    expect(samples.find((s) => s.name === 'late_total')?.value).toBe(2);
    const injected = await sink.server.inject({ method: 'GET', url: '/metrics' });
    expect(injected.statusCode).toBe(200);
    expect(injected.body).toContain('istio_requests_total{');
  });
});
