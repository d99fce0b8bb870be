/**
 * One remote-write POST, classified the way the spec says a sender must treat it: 2xx delivered;
 * 5xx, 429 and transport failures retried with backoff; any other status final (the receiver will
 * refuse the same bytes again — Prometheus answers 400 for out-of-order or out-of-bounds samples).
 */
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';

export interface SendTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Connection pool trusting a configured CA (https endpoints); the global one when absent. */
  readonly dispatcher?: Dispatcher;
}

/** The connection pool for an endpoint whose certificate is signed by `ca` (PEM). */
export function dispatcherTrusting(ca: Buffer): Dispatcher {
  return new Agent({ connect: { ca } });
}

export type SendOutcome =
  | { readonly kind: 'ok'; readonly status: number }
  | { readonly kind: 'retry'; readonly status: string; readonly retryAfterMs?: number; readonly detail: string }
  | { readonly kind: 'reject'; readonly status: string; readonly detail: string };

/** Required headers (users must not override them) plus authentication. */
export function remoteWriteHeaders(
  version: string,
  auth: { basicAuth?: { username: string; password: string }; bearerToken?: string },
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-encoding': 'snappy',
    'content-type': 'application/x-protobuf',
    'user-agent': `meshtel/${version}`,
    'x-prometheus-remote-write-version': '0.1.0',
  };
  if (auth.basicAuth) {
    headers.authorization = `Basic ${Buffer.from(`${auth.basicAuth.username}:${auth.basicAuth.password}`).toString('base64')}`;
  } else if (auth.bearerToken) {
    headers.authorization = `Bearer ${auth.bearerToken}`;
  }
  return headers;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export async function postWriteRequest(target: SendTarget, body: Uint8Array<ArrayBuffer>, abort: AbortSignal): Promise<SendOutcome> {
  let res: Response;
  try {
    const init = { method: 'POST', headers: target.headers, body, signal: AbortSignal.any([abort, AbortSignal.timeout(target.timeoutMs)]) };
    // Node's fetch cannot be given a CA; undici's own fetch (the same implementation) can.
    res = target.dispatcher
      ? ((await undiciFetch(target.url, { ...init, dispatcher: target.dispatcher })) as unknown as Response)
      : await fetch(target.url, init);
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    const detail = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
    return { kind: 'retry', status: timedOut ? 'timeout' : 'network', detail };
  }
  // The body is only for diagnostics (the spec says to ignore it), so read a bounded amount.
  const text = (await res.text().catch(() => '')).slice(0, 512);
  if (res.status >= 200 && res.status < 300) return { kind: 'ok', status: res.status };
  const status = String(res.status);
  if (res.status >= 500 || res.status === 429) {
    return { kind: 'retry', status, retryAfterMs: retryAfterMs(res.headers.get('retry-after')), detail: text };
  }
  return { kind: 'reject', status, detail: text };
}
