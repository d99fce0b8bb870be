/**
 * The store scope of a query request: its tenant when multi-tenancy is on (the listener's guard
 * admitted the request for it), else unscoped. Every query API (Jaeger, access logs, and the
 * Tempo API when it lands) passes this to every store read, so no route can forget the tenant.
 */
import type { FastifyRequest } from 'fastify';
import { tenantOfRequest } from '../../shared/security/http-listener.js';
import type { ReadScope } from '../../shared/storage/read-scope.js';

const UNSCOPED: ReadScope = {};

export function scopeOf(request: Pick<FastifyRequest, 'raw'>): ReadScope {
  const tenant = tenantOfRequest(request);
  return tenant === undefined ? UNSCOPED : { tenant };
}
