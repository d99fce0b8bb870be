/**
 * What the query APIs may tell a client about a failure. A store's error text (Elasticsearch's
 * `too_long_http_line_exception`, index names, cluster details) is for the log only; the client
 * gets meshtel's own message. Fastify's own 4xx refusals (malformed body, too large) describe the
 * client's request and are passed on.
 */
import type { FastifyError } from 'fastify';

export const BACKEND_ERROR_MESSAGE = 'the query could not be answered by the storage backend; see the query service log';

export function isFastifyClientError(err: FastifyError): boolean {
  return typeof err.code === 'string' && err.code.startsWith('FST_') && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500;
}
