/**
 * OTLP/HTTP trace receiver: `POST /v1/traces` as a fastify plugin (opentelemetry-proto
 * docs/specification.md, "OTLP/HTTP"). Register it without fastify-plugin so its content-type
 * parsers and error handler stay inside it and never change how sibling routes behave. What all
 * OTLP/HTTP receivers share (body reading, error bodies, 405) is in otlp-http-export.ts.
 */
import { tenantOfRequest } from '../../../../shared/security/http-listener.js';
import type { FastifyPluginAsync } from 'fastify';
import {
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeTraceResponseJson,
  encodeTraceResponseProtobuf,
} from '../../../../shared/otlp/traces/traces.js';
import type { ReceiverMetrics } from '../../receiver-metrics.js';
import { decodeUtf8 } from '../../transport/http-body.js';
import { httpRefusalFor } from '../../transport/http-errors.js';
import { registerOtlpExportRoute, type OtlpHttpLimits } from './otlp-http-export.js';
import type { TraceIntake } from '../../intake/trace-intake.js';

// The limits are shared by every OTLP/HTTP path; defined beside the shared route, named here too.
export type { OtlpHttpLimits } from './otlp-http-export.js';

export interface OtlpHttpOptions {
  readonly intake: TraceIntake;
  readonly limits: OtlpHttpLimits;
  readonly metrics: Pick<ReceiverMetrics, 'requestsRefused' | 'requestDuration'>;
}

export const OTLP_TRACES_PATH = '/v1/traces';
const TRANSPORT = 'otlp_http';

export const otlpHttpTraces: FastifyPluginAsync<OtlpHttpOptions> = async (app, opts) => {
  const { intake, limits, metrics } = opts;
  registerOtlpExportRoute(app, {
    path: OTLP_TRACES_PATH,
    signal: 'trace',
    transport: TRANSPORT,
    limits,
    metrics,
    refusalFor: httpRefusalFor,
    handle: async (body, format, request) => {
      // Spans that validation leaves untouched are re-encoded per trace by copying their bytes.
      const spans = format === 'json' ? decodeTracesJson(decodeUtf8(body)) : decodeTracesProtobuf(body, { keepEncodedSpans: true });
      const partial = await intake.accept(spans, TRANSPORT, tenantOfRequest(request), format === 'protobuf' ? body : undefined);
      return format === 'json' ? encodeTraceResponseJson(partial) : encodeTraceResponseProtobuf(partial);
    },
  });
};
