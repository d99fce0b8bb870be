/**
 * Tenancy in records. With multi-tenancy on, the collector stamps every record with the tenant
 * of the request that carried it (the X-Scope-OrgID header, as Tempo and Mimir): spans and
 * metrics as a resource attribute, access logs in their record; stores keep it as a field of each
 * document and filter every read by it.
 */
import type { KeyValue, Resource } from './span.js';

/** Request header naming the tenant (Tempo, Mimir, Loki use the same). */
export const TENANT_HEADER = 'x-scope-orgid';
/** Resource attribute carrying the tenant on OTLP records in the buffer. */
export const TENANT_ATTRIBUTE = 'meshtel.tenant';

/**
 * Tenant ids as Mimir and Tempo accept them: 1–150 characters of letters, digits and
 * `! - _ . * ' ( )`, and not `.` or `..` (they become path and index parts elsewhere).
 */
export function isValidTenantId(id: string): boolean {
  return id.length > 0 && id.length <= 150 && /^[A-Za-z0-9!\-_.*'()]+$/.test(id) && id !== '.' && id !== '..';
}

/** The tenant a resource was stamped with, or undefined. */
export function tenantOfAttributes(attributes: readonly KeyValue[]): string | undefined {
  for (const kv of attributes) {
    if (kv.key === TENANT_ATTRIBUTE && kv.value.type === 'string') return kv.value.value;
  }
  return undefined;
}

export function tenantOfResource(resource: Resource): string | undefined {
  return tenantOfAttributes(resource.attributes);
}

/**
 * The attributes with the tenant attribute set to `tenant` (or removed when undefined), so a
 * sender can never choose its own tenant by setting the attribute itself.
 */
export function withTenantAttribute(attributes: readonly KeyValue[], tenant: string | undefined): KeyValue[] {
  const rest = attributes.filter((kv) => kv.key !== TENANT_ATTRIBUTE);
  return tenant === undefined ? rest : [...rest, { key: TENANT_ATTRIBUTE, value: { type: 'string', value: tenant } }];
}
