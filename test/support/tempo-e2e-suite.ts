/**
 * The Tempo API over the checkout traces (checkout-trace.ts), as a Grafana Tempo data source
 * would call it, for any role that serves it (all-in-one, query).
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest } from './proto-root.js';
import type { SentCheckout } from './checkout-trace.js';
import { eventually } from './meshtel-process.js';

export interface TempoSuiteTarget {
  readonly tempoUrl: string;
  readonly sent: SentCheckout;
}

interface SearchBody {
  traces: { traceID: string; rootServiceName: string; rootTraceName: string; durationMs?: number; spanSet: { spans: { spanID: string; name: string }[]; matched: number } }[];
}

export function describeTempoApiBehaviour(name: string, target: () => TempoSuiteTarget): void {
  describe(`${name}: Tempo API over the checkout traces`, () => {
    const url = (path: string) => `${target().tempoUrl}${path}`;
    const window = () => `start=${Math.floor(target().sent.us(-60_000) / 1e6)}&end=${Math.ceil(target().sent.us(60_000) / 1e6)}`;
    const search = async (q: string, extra = '') => {
      const res = await fetch(url(`/api/search?q=${encodeURIComponent(q)}&${window()}${extra}`));
      expect(res.status).toBe(200);
      return ((await res.json()) as SearchBody).traces;
    };

    it('passes Grafana\'s save & test (/api/echo)', async () => {
      const res = await fetch(url('/api/echo'));
      expect([res.status, await res.text()]).toEqual([200, 'echo']);
    });

    it('serves the whole trace as a protobuf TraceByIDResponse, as Grafana asks for it', async () => {
      const { traceId } = target().sent;
      const names = await eventually(async () => {
        const res = await fetch(url(`/api/v2/traces/${traceId}`), { headers: { accept: 'application/protobuf' } });
        if (res.status !== 200) return undefined;
        const reader = protobuf.Reader.create(new Uint8Array(await res.arrayBuffer()));
        expect(reader.uint32()).toBe((1 << 3) | 2);
        const trace = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(reader.bytes()), { arrays: true }) as {
          resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
        };
        const found = trace.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name))).sort();
        return found.length === 4 ? found : undefined;
      }, 30_000);
      expect(names).toEqual(['GET /checkout', 'POST /cart', 'POST /cart', 'SELECT cart']);
    });

    it('finds the trace by TraceQL and reports its root, duration and matched span', async () => {
      const { sent } = target();
      const traces = await eventually(async () => {
        const found = await search('{ resource.service.name = "backend" && status = error }');
        return found.length > 0 ? found : undefined;
      }, 30_000);
      expect(traces.map((t) => [t.traceID, t.rootServiceName, t.rootTraceName, t.durationMs])).toEqual([[sent.traceId, 'frontend', 'GET /checkout', 50]]);
      expect(traces[0]!.spanSet.spans.map((s) => [s.spanID, s.name])).toEqual([[sent.cartServerSpanId, 'POST /cart']]);
      expect(await search('{ span.db.system = "postgresql" } && { span:status = ok && kind = server }')).toHaveLength(1);
      expect(await search('{ name = "GET /health" }', '&limit=3')).toHaveLength(3);
    });

    it('lists tag values for the editor\'s autocomplete', async () => {
      const res = await fetch(url('/api/v2/search/tag/resource.service.name/values'));
      const body = (await res.json()) as { tagValues: { type: string; value: string }[] };
      expect(body.tagValues).toEqual(expect.arrayContaining(['backend', 'frontend', 'storage'].map((value) => ({ type: 'string', value }))));
    });
  });
}
