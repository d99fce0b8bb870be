import { describe, expect, it } from 'vitest';
import { TraceIdParseError, jaegerTraceId, parseTraceId } from '../../services/query/jaeger/ids.js';

describe('Jaeger trace ids', () => {
  it('left-pads short ids to 32 lower-case hex characters', () => {
    expect(parseTraceId('abc')).toBe('00000000000000000000000000000abc');
    expect(parseTraceId('A3CE929D0E0E4736')).toBe('0000000000000000a3ce929d0e0e4736');
    expect(parseTraceId('4bf92f3577b34da6a3ce929d0e0e4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it.each(['', 'xyz', '4bf92f3577b34da6a3ce929d0e0e4736ff', '12-34', ' 1'])('refuses %j', (text) => {
    expect(() => parseTraceId(text)).toThrow(TraceIdParseError);
  });

  it('prints 16 characters when the high 64 bits are zero, else 32', () => {
    expect(jaegerTraceId('0000000000000000a3ce929d0e0e4736')).toBe('a3ce929d0e0e4736');
    expect(jaegerTraceId('00000000000000010000000000000000')).toBe('00000000000000010000000000000000');
  });
});
