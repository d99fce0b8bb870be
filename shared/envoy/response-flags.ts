/**
 * ALS ResponseFlags → the short codes Envoy prints in text access logs, span tags and Istio's
 * `response_flags` label (envoy/stream_info/stream_info.h). Indexed by the ResponseFlags field
 * number; every field is a bool except 13, `unauthorized_details`, a message whose presence
 * means the external authorization service denied the request (UAEX). `DO` (drop overload) has
 * no ALS field.
 */
import type { ProtoReader } from '../wire/wire-reader.js';

export const RESPONSE_FLAG_CODES: readonly (string | undefined)[] = [
  undefined,
  'LH', // 1 failed_local_healthcheck
  'UH', // 2 no_healthy_upstream
  'UT', // 3 upstream_request_timeout
  'LR', // 4 local_reset
  'UR', // 5 upstream_remote_reset
  'UF', // 6 upstream_connection_failure
  'UC', // 7 upstream_connection_termination
  'UO', // 8 upstream_overflow
  'NR', // 9 no_route_found
  'DI', // 10 delay_injected
  'FI', // 11 fault_injected
  'RL', // 12 rate_limited
  'UAEX', // 13 unauthorized_details
  'RLSE', // 14 rate_limit_service_error
  'DC', // 15 downstream_connection_termination
  'URX', // 16 upstream_retry_limit_exceeded
  'SI', // 17 stream_idle_timeout
  'IH', // 18 invalid_envoy_request_headers
  'DPE', // 19 downstream_protocol_error
  'UMSDR', // 20 upstream_max_stream_duration_reached
  'RFCF', // 21 response_from_cache_filter
  'NFCF', // 22 no_filter_config_found
  'DT', // 23 duration_timeout
  'UPE', // 24 upstream_protocol_error
  'NC', // 25 no_cluster_found
  'OM', // 26 overload_manager
  'DF', // 27 dns_resolution_failure
  'DR', // 28 downstream_remote_reset
];

const UNAUTHORIZED_DETAILS = 13;

/** Field numbers set in the ResponseFlags message at `r.pos`..`end`, as a bit set (fields 1–31). */
function readFlagBits(r: ProtoReader, end: number): number {
  let bits = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === UNAUTHORIZED_DETAILS && (tag & 7) === 2) {
      r.pos = r.lengthDelimited(end);
      bits |= 1 << field;
    } else if ((tag & 7) === 0 && field < RESPONSE_FLAG_CODES.length && field !== UNAUTHORIZED_DETAILS) {
      // A later `false` for the same field overrides an earlier `true` (last value wins).
      if (r.bool(end)) bits |= 1 << field;
      else bits &= ~(1 << field);
    } else r.skip(tag, end);
  }
  return bits;
}

const NO_FLAGS: readonly string[] = Object.freeze([]);
// Entries repeat a handful of flag combinations, so the code lists are shared per combination.
const byBits = new Map<number, readonly string[]>([[0, NO_FLAGS]]);

/** The short codes of the ResponseFlags message at `r.pos`..`end`, in field order; [] when none. */
export function readResponseFlags(r: ProtoReader, end: number): readonly string[] {
  const bits = readFlagBits(r, end);
  let codes = byBits.get(bits);
  if (codes === undefined) {
    const list: string[] = [];
    for (let field = 1; field < RESPONSE_FLAG_CODES.length; field++) {
      const code = RESPONSE_FLAG_CODES[field];
      if (code !== undefined && (bits & (1 << field)) !== 0) list.push(code);
    }
    codes = Object.freeze(list);
    // Bounded by construction (2^28 combinations in theory, a few dozen in practice); cap anyway.
    if (byBits.size < 4096) byBits.set(bits, codes);
  }
  return codes;
}
