/**
 * Trace ids as the Jaeger API reads and writes them. Jaeger models a trace id as two 64-bit
 * halves and prints the high half only when it is non-zero, so 64-bit (Zipkin/B3) ids show as
 * 16 characters; clients may send ids of any length up to 32 without leading zeros.
 */

export class TraceIdParseError extends Error {
  constructor(readonly input: string, reason: string) {
    super(`invalid trace id ${JSON.stringify(input)}: ${reason}`);
    this.name = 'TraceIdParseError';
  }
}

const HEX = /^[0-9a-fA-F]+$/;
const HIGH_HALF_ZERO = '0000000000000000';

/** Parses a hex trace id of 1..32 characters into meshtel's form: 32 lower-case hex characters. */
export function parseTraceId(input: string): string {
  if (input.length === 0) throw new TraceIdParseError(input, 'empty');
  if (input.length > 32) throw new TraceIdParseError(input, 'longer than 32 hex characters');
  if (!HEX.test(input)) throw new TraceIdParseError(input, 'not hexadecimal');
  return input.toLowerCase().padStart(32, '0');
}

/** Jaeger's printed form of a 32-character trace id: 16 characters when the high half is zero. */
export function jaegerTraceId(traceId: string): string {
  return traceId.length === 32 && traceId.startsWith(HIGH_HALF_ZERO) ? traceId.slice(16) : traceId;
}
