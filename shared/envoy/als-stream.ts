/**
 * One ALS stream's decoding state. Envoy sends the identifier (node and log name) only in the
 * first message of a stream, so the stream remembers who is talking and applies it to the
 * entries of every later message.
 */
import type { AccessLogRecord } from '../model/access-log.js';
import { toAccessLogRecords } from './als-records.js';
import { decodeAlsMessage } from './als-wire.js';
import { UNKNOWN_PROXY, localProxyOf, type LocalProxy } from './istio-identity.js';

export class AlsStreamDecoder {
  #proxy: LocalProxy | undefined;

  /** True once a message of this stream carried the identifier. */
  get identified(): boolean {
    return this.#proxy !== undefined;
  }

  /** The stream's proxy: unknown until an identifier arrived. */
  get proxy(): LocalProxy {
    return this.#proxy ?? UNKNOWN_PROXY;
  }

  /**
   * The records of one message of this stream. The first identifier seen is kept; entries that
   * arrive before any identifier get an unknown proxy. Throws AlsDecodeError for bytes that are
   * not a StreamAccessLogsMessage, leaving the stream's state as it was, so the caller can carry
   * on with the next message.
   */
  decode(bytes: Uint8Array, receivedAtUnixNano?: bigint): AccessLogRecord[] {
    const message = decodeAlsMessage(bytes);
    if (this.#proxy === undefined && message.identifier !== undefined) this.#proxy = localProxyOf(message.identifier);
    return toAccessLogRecords(message, this.proxy, receivedAtUnixNano);
  }
}
