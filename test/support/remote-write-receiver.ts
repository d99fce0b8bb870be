/**
 * Our own HTTP endpoint standing in for a remote-write receiver: it decodes each POSTed body
 * (snappy + protobuf, with the test-only reader) and answers with the next scripted status.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeBody, type DecodedSeries } from './remote-write-wire.js';

export interface RemoteWriteReceiver {
  url: string;
  requests: Array<{ headers: Record<string, string | string[] | undefined>; series: DecodedSeries[] }>;
  /** Statuses for the coming requests; once used up, 204. */
  script: number[];
  app: FastifyInstance;
}

/** Listens on 127.0.0.1:`port` (0 picks a free one) at /api/v1/write. */
export async function startRemoteWriteReceiver(script: number[] = [], port = 0): Promise<RemoteWriteReceiver> {
  const app = Fastify();
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const r: RemoteWriteReceiver = { url: '', requests: [], script, app };
  app.post('/api/v1/write', async (req, reply) => {
    r.requests.push({ headers: req.headers, series: decodeBody(req.body as Buffer) });
    const status = r.script.shift() ?? 204;
    if (status === 429) reply.header('retry-after', '0');
    return reply.code(status).send(status === 204 ? undefined : 'scripted failure');
  });
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  r.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/api/v1/write`;
  return r;
}
