import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BufferFullError, BufferUnavailableError } from '../../shared/buffer/buffer.js';
import { decodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import { createMetrics } from '../support/metrics.js';
import { AccessLogIntake } from '../../services/collector/intake/access-log-intake.js';
import { accessLog } from '../fixtures/access-logs.js';
import { RecordingBuffer } from '../support/recording-buffer.js';
import { counterValue } from '../support/self-metrics.js';

const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_B = '0af7651916cd43dd8448eb211c80319c';

function setUp() {
  const buffer = new RecordingBuffer();
  const metrics = createMetrics();
  const intake = new AccessLogIntake({ buffer, metrics, logger: pino({ level: 'silent' }) });
  return { buffer, metrics, intake };
}

describe('AccessLogIntake', () => {
  it('publishes one ExportLogsServiceRequest per key to the accesslogs topic, records in order', async () => {
    const { buffer, intake } = setUp();
    const a1 = accessLog({ traceId: TRACE_A, path: '/a1' });
    const ratings = accessLog({ destination: { workload: 'ratings-v1' }, path: '/ratings' });
    const b = accessLog({ traceId: TRACE_B, path: '/b' });
    const a2 = accessLog({ traceId: TRACE_A, path: '/a2', reporter: 'destination' });
    const reviews = accessLog({ path: '/reviews' });
    await intake.accept([a1, ratings, b, a2, reviews], 'otlp_grpc');

    expect(buffer.published).toHaveLength(1);
    const [records] = buffer.published;
    expect(records.map((r) => [r.topic, r.key])).toEqual([
      ['accesslogs', TRACE_A],
      ['accesslogs', 'ratings-v1'],
      ['accesslogs', TRACE_B],
      ['accesslogs', 'reviews-v1'],
    ]);
    const decoded = records.map((r) => decodeAccessLogsProtobuf(r.value));
    expect(decoded).toEqual([[a1, a2], [ratings], [b], [reviews]]);
  });

  it('resolves only after the buffer took the records', async () => {
    const { buffer, intake } = setUp();
    let open!: () => void;
    buffer.gate = new Promise((resolve) => (open = resolve));
    let settled = false;
    const accepted = intake.accept([accessLog()], 'otlp_http').then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    open();
    await accepted;
    expect(settled).toBe(true);
    expect(buffer.published).toHaveLength(1);
  });

  it('counts accepted records per transport and kind', async () => {
    const { intake, metrics } = setUp();
    const log: AccessLogRecord = accessLog({ kind: 'log', body: 'hello' });
    await intake.accept([accessLog(), accessLog({ kind: 'tcp' }), accessLog(), log], 'als');
    expect(await counterValue(metrics, 'accessLogsAccepted', { transport: 'als', kind: 'http' })).toBe(2);
    expect(await counterValue(metrics, 'accessLogsAccepted', { transport: 'als', kind: 'tcp' })).toBe(1);
    expect(await counterValue(metrics, 'accessLogsAccepted', { transport: 'als', kind: 'log' })).toBe(1);
  });

  it.each([
    ['full', new BufferFullError('in-process buffer full'), 'buffer_full'],
    ['unavailable', new BufferUnavailableError('kafka down'), 'buffer_unavailable'],
  ])('passes a buffer that is %s on to the caller and counts the records refused, not accepted', async (_name, error, reason) => {
    const { buffer, intake, metrics } = setUp();
    buffer.refuse = error;
    await expect(intake.accept([accessLog(), accessLog()], 'accesslog_lines')).rejects.toBe(error);
    expect(await counterValue(metrics, 'accessLogsRefused', { transport: 'accesslog_lines', reason })).toBe(2);
    expect(await counterValue(metrics, 'accessLogsAccepted', { transport: 'accesslog_lines', kind: 'http' })).toBe(0);
  });

  it('publishes nothing for no records', async () => {
    const { buffer, intake } = setUp();
    await intake.accept([], 'otlp_grpc');
    expect(buffer.published).toHaveLength(0);
  });
});
