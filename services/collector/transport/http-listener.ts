/**
 * Time limits of the receivers' HTTP listeners, as fastify server options:
 * - a whole request (headers and body) must arrive within MESHTEL_RECEIVER_BODY_TIMEOUT_MS (Node's
 *   `requestTimeout`: a body trickled at 1 B/s or stalled at 3.9 of 4 MB is cut with 408 instead
 *   of holding its bytes forever); Node checks it every `connectionsCheckingInterval`, so that is
 *   kept well under the timeout;
 * - an idle keep-alive connection closes after MESHTEL_RECEIVER_IDLE_TIMEOUT_MS, and so does a
 *   socket with no traffic at all (`connectionTimeout`).
 * The connection cap (`maxConnections`) is set on the server once it listens.
 */
import type { CollectorSettings } from '../collector-settings.js';

export function httpListenerOptions(config: Pick<CollectorSettings, 'receiverBodyTimeoutMs' | 'receiverIdleTimeoutMs'>) {
  const bodyTimeout = config.receiverBodyTimeoutMs;
  return {
    requestTimeout: bodyTimeout,
    keepAliveTimeout: config.receiverIdleTimeoutMs,
    connectionTimeout: Math.max(config.receiverIdleTimeoutMs, bodyTimeout),
    http: {
      headersTimeout: Math.min(60_000, bodyTimeout),
      connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(bodyTimeout / 4))),
    },
  };
}
