/**
 * Zipkin ids → OTLP-width lower-case hex. Zipkin's own server pads short hex ids on the left
 * (zipkin2.Span.normalizeTraceId, Builder.id) and refuses all-zero ones; a 64-bit trace id
 * becomes the low half of a 128-bit one, as the OpenTelemetry Collector's translator does
 * (8 zero bytes in front), so B3 propagation that mixes both widths still joins one trace.
 * Upper-case hex is accepted and lower-cased (zipkin-go, which the Collector uses, parses it).
 */
import { DecodeProblem } from '../wire/decode-errors.js';
import { hexOfBytes } from '../wire/hex.js';

const HEX = /^[0-9a-fA-F]+$/;
const ZEROS = /^0+$/;
const ZERO_TRACE_HALF = '0000000000000000';

function quoted(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

function checkedHex(text: string, maxLength: number): string {
  if (text.length === 0 || text.length > maxLength || !HEX.test(text)) {
    throw new DecodeProblem(`must be 1 to ${maxLength} hex characters, got ${quoted(text)}`);
  }
  return text.toLowerCase();
}

/** A JSON `traceId` (1–32 hex characters) as 32 hex characters. */
export function traceIdOfHex(text: string): string {
  const hex = checkedHex(text, 32);
  if (ZEROS.test(hex)) throw new DecodeProblem('must not be all zeros');
  return hex.length <= 16 ? ZERO_TRACE_HALF + hex.padStart(16, '0') : hex.padStart(32, '0');
}

/** A JSON `id` (1–16 hex characters) as 16 hex characters. */
export function spanIdOfHex(text: string): string {
  const hex = checkedHex(text, 16);
  if (ZEROS.test(hex)) throw new DecodeProblem('must not be all zeros');
  return hex.padStart(16, '0');
}

/** A JSON `parentId` as 16 hex characters; '' and all zeros mean "no parent" (a root span). */
export function parentIdOfHex(text: string): string {
  if (text === '') return '';
  const hex = checkedHex(text, 16);
  return ZEROS.test(hex) ? '' : hex.padStart(16, '0');
}

function allZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/** A protobuf `trace_id` (8 or 16 bytes, big-endian) as 32 hex characters. */
export function traceIdOfBytes(bytes: Uint8Array): string {
  if (bytes.length !== 8 && bytes.length !== 16) throw new DecodeProblem(`must be 8 or 16 bytes, got ${bytes.length}`);
  if (allZero(bytes)) throw new DecodeProblem('must not be all zeros');
  const hex = hexOfBytes(bytes);
  return bytes.length === 8 ? ZERO_TRACE_HALF + hex : hex;
}

/** A protobuf `id` (8 bytes) as 16 hex characters. */
export function spanIdOfBytes(bytes: Uint8Array): string {
  if (bytes.length !== 8) throw new DecodeProblem(`must be 8 bytes, got ${bytes.length}`);
  if (allZero(bytes)) throw new DecodeProblem('must not be all zeros');
  return hexOfBytes(bytes);
}

/** A protobuf `parent_id`: empty or all zeros is a root span, otherwise 8 bytes. */
export function parentIdOfBytes(bytes: Uint8Array): string {
  if (bytes.length === 0 || allZero(bytes)) return '';
  if (bytes.length !== 8) throw new DecodeProblem(`must be empty or 8 bytes, got ${bytes.length}`);
  return hexOfBytes(bytes);
}
