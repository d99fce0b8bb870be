import { describe, expect, it } from 'vitest';
import { truncateAccessLogFields } from '../../shared/accesslog/truncate-fields.js';
import { accessLog } from '../fixtures/access-logs.js';

describe('access-log field limit', () => {
  it('cuts every long string — top-level, workloads, flags, attribute keys and values — and counts them', () => {
    const long = 'x'.repeat(50);
    const base = accessLog();
    const record = {
      ...base,
      path: long,
      userAgent: long,
      source: { ...base.source, workload: long },
      destination: { ...base.destination, service: long },
      responseFlags: ['UH', long],
      attributes: { short: 'ok', [long]: long },
    };
    const { record: cut, truncated } = truncateAccessLogFields(record, 10);
    expect(cut.path).toBe('x'.repeat(10));
    expect(cut.userAgent).toBe('x'.repeat(10));
    expect(cut.source.workload).toBe('x'.repeat(10));
    expect(cut.destination.service).toBe('x'.repeat(10));
    expect(cut.responseFlags).toEqual(['UH', 'x'.repeat(10)]);
    expect(cut.attributes).toEqual({ short: 'ok', ['x'.repeat(10)]: 'x'.repeat(10) });
    expect(truncated).toBe(8);
    // The id is the original entry's, so a re-sent entry still overwrites its stored copy.
    expect(cut.id).toBe(base.id);
  });

  it('returns the same object when nothing is over the limit', () => {
    const record = accessLog();
    const result = truncateAccessLogFields(record, 16384);
    expect(result.record).toBe(record);
    expect(result.truncated).toBe(0);
  });
});
