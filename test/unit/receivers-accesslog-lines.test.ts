/**
 * POST /v1/accesslogs mounted alone on a fastify instance: with a recording intake (to see exactly
 * what is published and to make it refuse), and once with the real AccessLogIntake in front of
 * the real in-process buffer, decoding what reached the accesslogs topic.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { compileEnvoyFormat } from '../../shared/accesslog/envoy-format.js';
import { decodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import { BufferFullError, BufferUnavailableError, type ConsumedRecord } from '../../shared/buffer/buffer.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import { createMetrics, type MeshtelMetrics } from '../support/metrics.js';
import { type Transport } from '../../services/collector/receiver-metrics.js';
import { AccessLogIntake } from '../../services/collector/intake/access-log-intake.js';
import {
  ACCESSLOG_LINES_PATH,
  MAX_REPORTED_LINE_ERRORS,
  accessLogLines,
  type AccessLogLinesLimits,
  type AccessLogLinesResponse,
} from '../../services/collector/receivers/accesslog-lines/accesslog-lines.js';
import {
  CONNECTION_FAILURE_LINE,
  GARBAGE_LINES,
  INBOUND_JSON_LINE,
  INBOUND_LINE,
  NO_HEALTHY_UPSTREAM_LINE,
  OUTBOUND_LINE,
  RETRIES_EXHAUSTED_LINE,
  TCP_JSON_LINE,
  TCP_LINE,
} from '../fixtures/istio-lines.js';
import { counterValue } from '../support/self-metrics.js';

class RecordingIntake {
  readonly accepted: AccessLogRecord[] = [];
  readonly transports: Transport[] = [];
  refuse: Error | undefined;
  async accept(records: readonly AccessLogRecord[], transport: Transport): Promise<void> {
    if (this.refuse) throw this.refuse;
    this.accepted.push(...records);
    this.transports.push(transport);
  }
}

const LIMITS: AccessLogLinesLimits = {
  maxRequestBodyBytes: 256 * 1024,
  maxDecompressedBodyBytes: 1024 * 1024,
  maxLineBytes: 4096,
  maxLinesPerRequest: 100,
};

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function mount(
  intake: Pick<AccessLogIntake, 'accept'>,
  options: { limits?: Partial<AccessLogLinesLimits>; format?: string } = {},
): Promise<{ app: FastifyInstance; metrics: MeshtelMetrics }> {
  const metrics = createMetrics();
  app = Fastify({ logger: false });
  await app.register(accessLogLines, {
    intake,
    metrics,
    limits: { ...LIMITS, ...options.limits },
    format: options.format ? compileEnvoyFormat(options.format) : undefined,
  });
  await app.ready();
  return { app, metrics };
}

function post(instance: FastifyInstance, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'text/plain' }) {
  return instance.inject({ method: 'POST', url: ACCESSLOG_LINES_PATH, payload: body, headers });
}

describe('POST /v1/accesslogs', () => {
  it('accepts a batch of TEXT and JSON lines and publishes every entry', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    const body = [OUTBOUND_LINE, INBOUND_LINE.trimEnd(), CONNECTION_FAILURE_LINE, TCP_LINE, TCP_JSON_LINE].join('\n') + '\n';
    const res = await post(app, body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 5, rejected: 0, errors: [] });
    expect(intake.transports).toEqual(['accesslog_lines']);
    expect(intake.accepted.map((r) => [r.kind, r.reporter, r.responseCode, r.destination.serviceName])).toEqual([
      ['http', 'source', 200, 'reviews'],
      ['http', 'destination', 200, 'reviews'],
      ['http', 'source', 503, 'orders'],
      ['tcp', 'source', 0, 'postgres'],
      ['tcp', 'source', 0, 'postgres'],
    ]);
    expect(intake.accepted.every((r) => r.input === 'lines')).toBe(true);
  });

  it('keeps the good lines of a batch with garbage, reporting each bad line by number', async () => {
    const intake = new RecordingIntake();
    const { app, metrics } = await mount(intake);
    const body = [OUTBOUND_LINE, GARBAGE_LINES.prose, '', INBOUND_LINE.trimEnd(), GARBAGE_LINES.shiftedFields, '{"response_code":"abc","start_time":"2026-08-21T10:15:02.126Z"}'].join('\n');
    const res = await post(app, body, { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(200);
    const answer = res.json<AccessLogLinesResponse>();
    expect(answer.accepted).toBe(2);
    expect(answer.rejected).toBe(3);
    expect(answer.errors.map((e) => e.line)).toEqual([2, 5, 6]);
    expect(answer.errors[1].message).toMatch(/%RESPONSE_FLAGS% \(field 6\).*via_upstream/);
    expect(answer.errors[2].message).toMatch(/response_code: .*"abc"/);
    expect(intake.accepted.map((r) => r.reporter)).toEqual(['source', 'destination']);
    expect(await counterValue(metrics, 'accessLogsRefused', { transport: 'accesslog_lines', reason: 'malformed_line' })).toBe(3);
    expect(await counterValue(metrics, 'accessLogsReceived', { transport: 'accesslog_lines' })).toBe(5);
  });

  it('answers 400 with the same report when no line of the batch was good, publishing nothing', async () => {
    const intake = new RecordingIntake();
    const { app, metrics } = await mount(intake);
    const res = await post(app, `${GARBAGE_LINES.prose}\n${GARBAGE_LINES.envoyStartupLog}\n`);
    expect(res.statusCode).toBe(400);
    expect(res.json<AccessLogLinesResponse>()).toMatchObject({ accepted: 0, rejected: 2 });
    expect(intake.accepted).toHaveLength(0);
    expect(await counterValue(metrics, 'requestsRefused', { transport: 'accesslog_lines', reason: 'decode_error' })).toBe(1);
  });

  it('answers 200 with zero counts for an empty body or blank lines', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    expect((await post(app, '')).json()).toEqual({ accepted: 0, rejected: 0, errors: [] });
    const res = await post(app, '\n  \r\n\n');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 0, rejected: 0, errors: [] });
  });

  it('rejects a line over the line limit alone, without crashing, and keeps its neighbours', async () => {
    const intake = new RecordingIntake();
    const { app, metrics } = await mount(intake, { limits: { maxLineBytes: 1000 } });
    const huge = OUTBOUND_LINE.replace('/reviews/0', `/${'x'.repeat(50_000)}`);
    const res = await post(app, [OUTBOUND_LINE, huge, INBOUND_LINE].join('\n'));
    expect(res.statusCode).toBe(200);
    const answer = res.json<AccessLogLinesResponse>();
    expect(answer).toMatchObject({ accepted: 2, rejected: 1 });
    expect(answer.errors[0].line).toBe(2);
    expect(answer.errors[0].message).toMatch(/over the limit of MESHTEL_MAX_ACCESSLOG_LINE_BYTES/);
    expect(await counterValue(metrics, 'accessLogsRefused', { transport: 'accesslog_lines', reason: 'line_too_long' })).toBe(1);
  });

  it('reports a line that is not UTF-8 and keeps the rest', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    const body = Buffer.concat([Buffer.from(`${OUTBOUND_LINE}\n`), Buffer.from([0xff, 0xfe, 0x41, 0x0a]), Buffer.from(TCP_LINE)]);
    const res = await post(app, body);
    expect(res.json()).toEqual({ accepted: 2, rejected: 1, errors: [{ line: 2, message: 'line is not valid UTF-8' }] });
  });

  it(`lists at most ${MAX_REPORTED_LINE_ERRORS} errors but counts every rejected line`, async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    const body = [OUTBOUND_LINE, ...Array.from({ length: 30 }, () => GARBAGE_LINES.prose)].join('\n');
    const answer = (await post(app, body)).json<AccessLogLinesResponse>();
    expect(answer.rejected).toBe(30);
    expect(answer.errors).toHaveLength(MAX_REPORTED_LINE_ERRORS);
  });

  it('refuses more lines than allowed with 413, publishing nothing', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake, { limits: { maxLinesPerRequest: 3 } });
    const res = await post(app, [OUTBOUND_LINE, INBOUND_LINE.trimEnd(), TCP_LINE, CONNECTION_FAILURE_LINE].join('\n'));
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatch(/more than 3 access-log lines/);
    expect(intake.accepted).toHaveLength(0);
  });

  it('reads gzip bodies', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    const res = await post(app, gzipSync(`${OUTBOUND_LINE}\n${TCP_LINE}\n`), { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    expect(res.json()).toEqual({ accepted: 2, rejected: 0, errors: [] });
  });

  it('refuses a body over the size limit (413) and a gzip bomb past the decompressed limit (413)', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake, { limits: { maxRequestBodyBytes: 32 * 1024, maxDecompressedBodyBytes: 64 * 1024 } });
    const tooLarge = await post(app, `${OUTBOUND_LINE}\n`.repeat(200));
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error).toMatch(/MESHTEL_MAX_REQUEST_BODY_BYTES/);
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    const res = await post(app, bomb, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatch(/MESHTEL_MAX_DECOMPRESSED_BODY_BYTES/);
  });

  it('refuses media types and codings it does not read with 415', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    expect((await post(app, OUTBOUND_LINE, { 'content-type': 'application/x-protobuf' })).statusCode).toBe(415);
    expect((await post(app, OUTBOUND_LINE, { 'content-type': 'text/plain', 'content-encoding': 'br' })).statusCode).toBe(415);
  });

  it('answers 503 with Retry-After when the buffer cannot take the entries', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    intake.refuse = new BufferFullError('full', 2);
    const full = await post(app, OUTBOUND_LINE);
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBe('2');
    intake.refuse = new BufferUnavailableError('kafka down');
    const unavailable = await post(app, OUTBOUND_LINE);
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('5');
  });

  it('reads a JSON array body (Fluent Bit json format), numbering entries by position', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    const body = JSON.stringify([
      { date: 1787307302.13, log: `${INBOUND_LINE}`, kubernetes: { pod_name: 'reviews-v1-5d8f7c9b6-x2kqp', namespace_name: 'default' } },
      { date: 1787307302.2, log: 'Envoy proxy is ready' },
      JSON.parse(TCP_JSON_LINE),
    ]);
    const res = await post(app, body, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    const answer = res.json<AccessLogLinesResponse>();
    expect(answer).toMatchObject({ accepted: 2, rejected: 1 });
    expect(answer.errors[0].line).toBe(2);
    expect(intake.accepted[0].destination.workload).toBe('reviews-v1');
    expect(intake.accepted[1].kind).toBe('tcp');
  });

  it('reads a single pretty-printed JSON entry', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    const res = await post(app, JSON.stringify(JSON.parse(INBOUND_JSON_LINE), null, 2), { 'content-type': 'application/json' });
    expect(res.json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
  });

  it('answers 400 for a JSON array body that does not parse', async () => {
    const intake = new RecordingIntake();
    const { app } = await mount(intake);
    const res = await post(app, '[{"log": "x"', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/not a valid JSON array/);
  });

  it('parses lines with the configured custom format', async () => {
    const intake = new RecordingIntake();
    const format = '%START_TIME% %REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER%';
    const { app } = await mount(intake, { format });
    const res = await post(app, '2026-08-21T10:15:02.123Z GET 503 UH outbound|9080||details.default.svc.cluster.local\n');
    expect(res.json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect(intake.accepted[0]).toMatchObject({ responseCode: 503, responseFlags: ['UH'], destination: { serviceName: 'details' } });
  });

  it('answers 405 to other methods', async () => {
    const { app } = await mount(new RecordingIntake());
    const res = await app.inject({ method: 'GET', url: ACCESSLOG_LINES_PATH });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('POST /v1/accesslogs into the real intake and in-process buffer', () => {
  it('publishes the accepted entries to the accesslogs topic as OTLP logs that decode to the same records', async () => {
    const metrics = createMetrics();
    const buffer = new InProcessBuffer({ capacityBytes: 8 * 1024 * 1024, metrics });
    await buffer.start();
    const consumed: ConsumedRecord[] = [];
    await buffer.subscribe('accesslogs', async (records) => {
      consumed.push(...records);
    });
    const intake = new AccessLogIntake({ buffer, metrics, logger: pino({ level: 'silent' }) });
    const { app } = await mount(intake);
    const lines = [OUTBOUND_LINE, INBOUND_LINE.trimEnd(), NO_HEALTHY_UPSTREAM_LINE, RETRIES_EXHAUSTED_LINE, TCP_LINE, GARBAGE_LINES.prose];
    const res = await post(app, lines.join('\n'));
    expect(res.json<AccessLogLinesResponse>()).toMatchObject({ accepted: 5, rejected: 1 });
    await buffer.stop();

    const stored = consumed.flatMap((r) => decodeAccessLogsProtobuf(r.value));
    const byId = new Map(stored.map((r) => [r.id, r]));
    expect(stored).toHaveLength(5);
    expect(consumed.every((r) => r.topic === 'accesslogs')).toBe(true);
    const { accessLogsAccepted } = metrics;
    const accepted = (await accessLogsAccepted.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(accepted).toBe(5);
    // Field by field, the way a store would see them.
    const retries = [...byId.values()].find((r) => r.requestId === 'a1b2c3d4-0000-4e5f-8a9b-112233445566');
    expect(retries).toMatchObject({
      kind: 'http',
      input: 'lines',
      reporter: 'source',
      responseCode: 503,
      responseFlags: ['UF', 'URX'],
      upstreamCluster: 'outbound|9080|v2|ratings.default.svc.cluster.local',
      destination: { service: 'ratings.default.svc.cluster.local', serviceName: 'ratings', serviceNamespace: 'default' },
    });
    const inbound = stored.find((r) => r.reporter === 'destination');
    expect(inbound).toMatchObject({ mtls: true, durationUs: 20_000, startTimeUnixNano: 1_787_307_302_126_000_000n });
  });
});
