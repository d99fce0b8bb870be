import { describe, expect, it } from 'vitest';
import { readFlatNode } from '../../shared/envoy/flat-node.js';
import { FlatBufferError, FlatBufferReader } from '../../shared/envoy/flatbuffers.js';
import { AlsStreamDecoder } from '../../shared/envoy/als-stream.js';
import { POSTGRES_FLAT_NODE, anyBytesValue, buildFlatBuffer, encodeAlsMessage, flatNode } from '../fixtures/als.js';

describe('FlatBuffers reader', () => {
  it('reads back every FlatNode field the test builder wrote, labels and string vectors included', () => {
    expect({ ...readFlatNode(POSTGRES_FLAT_NODE), labels: { ...readFlatNode(POSTGRES_FLAT_NODE).labels } }).toEqual({
      name: 'postgres-0',
      namespace: 'db',
      labels: { app: 'postgres', version: '15', 'statefulset.kubernetes.io/pod-name': 'postgres-0' },
      owner: 'kubernetes://apis/apps/v1/namespaces/db/statefulsets/postgres',
      workloadName: 'postgres',
      istioVersion: '1.20.3',
      meshId: 'cluster.local',
      clusterId: 'Kubernetes',
      instanceIps: ['10.244.4.8'],
      identity: undefined,
    });
  });

  it('reads UTF-8 strings and an identity stored in the last field', () => {
    const node = readFlatNode(flatNode({ name: 'café-0', identity: 'spiffe://cluster.local/ns/a/sa/b' }));
    expect(node.name).toBe('café-0');
    expect(node.identity).toBe('spiffe://cluster.local/ns/a/sa/b');
    expect(node.namespace).toBeUndefined();
    expect(node.instanceIps).toEqual([]);
  });

  it('treats fields beyond a short vtable (an older writer\'s schema) as absent', () => {
    // Only name and namespace declared: the vtable has two slots.
    const bytes = buildFlatBuffer({ fields: [{ string: 'web-0' }, { string: 'shop' }] });
    const node = readFlatNode(bytes);
    expect([node.name, node.namespace, node.workloadName, node.clusterId]).toEqual(['web-0', 'shop', undefined, undefined]);
  });

  it('keeps a label named __proto__ as a plain label', () => {
    // fromEntries makes `__proto__` an own key (an object literal would not).
    const node = readFlatNode(flatNode({ labels: Object.fromEntries([['__proto__', 'x'], ['app', 'a']]) }));
    expect(Object.getPrototypeOf(node.labels)).toBeNull();
    expect(Object.keys(node.labels)).toEqual(['__proto__', 'app']);
    expect(node.labels['__proto__']).toBe('x');
  });

  it('refuses offsets that point outside the buffer with FlatBufferError', () => {
    const rootPastEnd = Uint8Array.from([0xff, 0, 0, 0]);
    expect(() => new FlatBufferReader(rootPastEnd).rootTable()).toThrow(FlatBufferError);

    // A string whose length runs past the buffer.
    const good = flatNode({ name: 'postgres-0' });
    const bad = Uint8Array.from(good);
    const view = new DataView(bad.buffer);
    const root = view.getUint32(0, true);
    const vtable = root - view.getInt32(root, true);
    const nameField = root + view.getUint16(vtable + 4, true);
    const nameAt = nameField + view.getUint32(nameField, true);
    view.setUint32(nameAt, 1_000_000, true);
    expect(() => readFlatNode(bad)).toThrow(/runs past the buffer/);
  });

  it('never reads out of bounds or loops on truncated or corrupted buffers: it reads or throws FlatBufferError', () => {
    const base = POSTGRES_FLAT_NODE;
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const cases: Uint8Array[] = [];
    for (let cut = 0; cut < base.length; cut += 3) cases.push(base.slice(0, cut));
    for (let i = 0; i < 500; i++) {
      const copy = Uint8Array.from(base);
      copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      cases.push(copy);
    }
    for (const bytes of cases) {
      try {
        readFlatNode(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(FlatBufferError);
      }
    }
  });
});

describe('legacy peer metadata in ALS entries', () => {
  const entry = (filterStateObjects: Record<string, unknown>) => encodeAlsMessage({
    httpLogs: { logEntry: [{ commonProperties: { startTime: { seconds: 1 }, upstreamCluster: 'inbound|8080||', filterStateObjects } }] },
  });

  it('falls back to wasm.downstream_peer_id when the FlatNode cannot be read, and keeps the entry', () => {
    const [record] = new AlsStreamDecoder().decode(entry({
      'wasm.downstream_peer': anyBytesValue(Uint8Array.from([0xff, 0xff, 0, 0, 1, 2])),
      'wasm.downstream_peer_id': anyBytesValue('sidecar~10.244.2.30~api-server-7c9d8b6f5-q8wzn.web~web.svc.cluster.local'),
    }));
    expect(record.reporter).toBe('destination');
    expect(record.source).toEqual({ workload: 'api-server', namespace: 'web' });
  });

  it('leaves the peer unknown when neither the metadata nor the id can be read', () => {
    const [record] = new AlsStreamDecoder().decode(entry({ 'wasm.downstream_peer': anyBytesValue(Uint8Array.from([1, 2, 3])) }));
    expect(record.source).toEqual({});
    expect(record.reporter).toBe('destination');
  });
});
