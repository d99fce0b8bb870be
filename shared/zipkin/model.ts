/**
 * A Zipkin v2 span as both decoders (JSON and protobuf) hand it to the translator: ids already
 * checked and padded to OTLP's widths, absent values made explicit. Keeping the two wire formats
 * apart from the Zipkin → OTLP mapping means the mapping exists once.
 */

export type ZipkinKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

export interface ZipkinEndpoint {
  /** '' when absent. */
  readonly serviceName: string;
  /** Textual IPv4 address, '' when absent. */
  readonly ipv4: string;
  /** Textual IPv6 address (RFC 5952 form), '' when absent. */
  readonly ipv6: string;
  /** 0 when absent. */
  readonly port: number;
}

export interface ZipkinAnnotation {
  readonly timestampUs: bigint;
  readonly value: string;
}

export interface ZipkinSpan {
  /** 32 lower-case hex characters (a 64-bit id is left-padded with zeros), never all zero. */
  readonly traceId: string;
  /** 16 lower-case hex characters, never all zero. */
  readonly id: string;
  /** 16 lower-case hex characters, or '' for a root span. */
  readonly parentId: string;
  /** '' when absent. */
  readonly name: string;
  readonly kind: ZipkinKind | undefined;
  /** Epoch microseconds; undefined when absent (Zipkin also treats 0 as absent). */
  readonly timestampUs: bigint | undefined;
  /** Microseconds; 0 when absent. */
  readonly durationUs: bigint;
  readonly localEndpoint: ZipkinEndpoint | undefined;
  readonly remoteEndpoint: ZipkinEndpoint | undefined;
  readonly annotations: readonly ZipkinAnnotation[];
  /** In the order the sender wrote them; keys are unique. */
  readonly tags: ReadonlyMap<string, string>;
  readonly debug: boolean;
  readonly shared: boolean;
}
