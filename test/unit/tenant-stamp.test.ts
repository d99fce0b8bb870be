/** The tenant on records: stamped over whatever the sender claimed, carried through the buffer's encodings. */
import { describe, expect, it } from 'vitest';
import { recordsPerKey } from '../../services/collector/intake/access-log-intake.js';
import { decodeAccessLogsProtobuf, encodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import { TENANT_ATTRIBUTE, isValidTenantId, tenantOfResource } from '../../shared/model/tenant.js';
import { DecodedSpan } from '../../shared/otlp/traces/encoded-spans.js';
import { stampSpansWithTenant } from '../../shared/otlp/traces/tenant-stamp.js';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { accessLog } from '../fixtures/access-logs.js';
import { span } from '../fixtures/spans.js';

const claimed = { key: TENANT_ATTRIBUTE, value: { type: 'string' as const, value: 'someone-else' } };

describe('tenant ids', () => {
  it('accept what Tempo and Mimir accept, and nothing that could break a path or an index name', () => {
    for (const ok of ['acme', 'team-1', 'a.b_c', "o'brien", '(x)*!']) expect(isValidTenantId(ok)).toBe(true);
    for (const bad of ['', '.', '..', 'a b', 'a/b', 'é', 'x'.repeat(151)]) expect(isValidTenantId(bad)).toBe(false);
  });
});

describe('stamping spans with the tenant', () => {
  it('sets the tenant on every resource, replacing one the sender claimed, once per shared resource', () => {
    const a = span({ service: 'a' });
    const b = { ...span({ service: 'a' }), resource: a.resource, spanId: '00000000000000b2' };
    const forged = span({ service: 'c', resourceAttrs: { [TENANT_ATTRIBUTE]: 'someone-else' } });
    const stamped = stampSpansWithTenant([a, b, forged], 'acme');
    expect(stamped.map((s) => tenantOfResource(s.resource))).toEqual(['acme', 'acme', 'acme']);
    expect(stamped[0]!.resource).toBe(stamped[1]!.resource);
    expect(stamped[2]!.resource.attributes.filter((kv) => kv.key === TENANT_ATTRIBUTE)).toHaveLength(1);
    // The tenant travels in the buffer's encoding.
    expect(decodeTracesProtobuf(encodeTracesProtobuf(stamped)).map((s) => tenantOfResource(s.resource))).toEqual(['acme', 'acme', 'acme']);
  });

  it('removes a claimed tenant when none was given (multi-tenancy off), and leaves clean spans as they are', () => {
    const clean = [span({ service: 'a' })];
    expect(stampSpansWithTenant(clean, undefined)).toBe(clean);
    const forged = { ...span({ service: 'b' }), resource: { attributes: [claimed], droppedAttributesCount: 0, schemaUrl: '' } };
    expect(stampSpansWithTenant([forged], undefined)[0]!.resource.attributes).toEqual([]);
  });

  it('keeps the bytes a decoded span came with, so re-encoding stays a copy', () => {
    const [decoded] = decodeTracesProtobuf(encodeTracesProtobuf([span({ service: 'a' })]), { keepEncodedSpans: true });
    expect(DecodedSpan.encodedOf(decoded!)).toBeDefined();
    const [stamped] = stampSpansWithTenant([decoded!], 'acme');
    expect(DecodedSpan.encodedOf(stamped!)).toBe(DecodedSpan.encodedOf(decoded!));
    expect(tenantOfResource(decodeTracesProtobuf(encodeTracesProtobuf([stamped!]))[0]!.resource)).toBe('acme');
  });
});

describe('access logs with a tenant', () => {
  it('carry it through the OTLP logs encoding the buffer uses, and without one carry none', () => {
    const withTenant = { ...accessLog(), tenant: 'acme' };
    const [decoded] = decodeAccessLogsProtobuf(encodeAccessLogsProtobuf([withTenant]));
    expect(decoded!.tenant).toBe('acme');
    expect(decodeAccessLogsProtobuf(recordsPerKey([accessLog()])[0]!.value)[0]!.tenant).toBeUndefined();
  });
});
