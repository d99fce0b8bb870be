/**
 * What a cluster primary and its workers say to each other over the IPC channel node:cluster
 * opens: a worker announces that it serves (and where), and answers the primary's requests for
 * its metrics and its readiness, which the primary serves on the admin port for all of them.
 * Every message is a plain JSON object (node's default IPC serialization).
 */
import type { Readiness } from '../admin-server.js';

/** A registry as prom-client's `getMetricsAsJSON()` gives it, what `AggregatorRegistry.aggregate` takes. */
export type MetricsJson = readonly object[];

export type WorkerQuestion = 'metrics' | 'readiness';

/** Primary → worker. */
export interface WorkerRequest {
  readonly type: 'meshtel:request';
  readonly id: number;
  readonly question: WorkerQuestion;
}

/** Worker → primary, once every component of the role started. */
export interface WorkerStarted {
  readonly type: 'meshtel:started';
  readonly endpoints: Record<string, string>;
}

/** Worker → primary, the answer to one request (`error` when it could not be answered). */
export interface WorkerResponse {
  readonly type: 'meshtel:response';
  readonly id: number;
  readonly metrics?: MetricsJson;
  readonly readiness?: Readiness;
  readonly error?: string;
}

export type WorkerMessage = WorkerStarted | WorkerResponse;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isWorkerRequest(value: unknown): value is WorkerRequest {
  return isObject(value) && value.type === 'meshtel:request' && typeof value.id === 'number' && (value.question === 'metrics' || value.question === 'readiness');
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (!isObject(value)) return false;
  if (value.type === 'meshtel:started') return isObject(value.endpoints);
  return value.type === 'meshtel:response' && typeof value.id === 'number';
}
