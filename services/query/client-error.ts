/**
 * Requests Node's HTTP parser cannot read (a body sent without Content-Length, broken chunking,
 * an oversized header) never reach a route: fastify answers them itself with
 * `{"message":"Client Error"}`. On the query port every answer is the Jaeger envelope, so the
 * parser's refusals are written in it too, with the parser's reason in words, then the
 * connection is closed (its framing is lost).
 */
import type { Socket } from 'node:net';

interface ParserError extends Error {
  readonly code?: string;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

export function jaegerClientErrorHandler(err: ParserError, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const msg =
    status === 431 ? 'request headers too large' : status === 408 ? 'request not received in time' : 'malformed HTTP request (a body needs Content-Length or chunked Transfer-Encoding)';
  const body = JSON.stringify({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg }] });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
