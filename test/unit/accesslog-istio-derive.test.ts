import { describe, expect, it } from 'vitest';
import {
  canonicalFromLabels,
  fillDerivedFields,
  parseNodeId,
  parseSpiffe,
  parseUpstreamCluster,
  reporterFromCluster,
  serviceFromHost,
  workloadFromPodName,
} from '../../shared/istio/naming.js';

describe('parseUpstreamCluster', () => {
  it('reads port and host of an outbound cluster without subset', () => {
    expect(parseUpstreamCluster('outbound|9080||reviews.default.svc.cluster.local')).toEqual({
      direction: 'outbound',
      port: 9080,
      subset: undefined,
      host: 'reviews.default.svc.cluster.local',
    });
  });

  it('reads the DestinationRule subset of an outbound cluster', () => {
    expect(parseUpstreamCluster('outbound|9080|v2|reviews.default.svc.cluster.local')).toMatchObject({
      direction: 'outbound',
      port: 9080,
      subset: 'v2',
      host: 'reviews.default.svc.cluster.local',
    });
  });

  it('reads an inbound cluster, which names no host', () => {
    expect(parseUpstreamCluster('inbound|9080||')).toEqual({ direction: 'inbound', port: 9080, subset: undefined, host: undefined });
  });

  it('treats the third field of very old inbound clusters as a port name, not a subset', () => {
    expect(parseUpstreamCluster('inbound|9080|http|reviews.default.svc.cluster.local')).toEqual({
      direction: 'inbound',
      port: 9080,
      subset: undefined,
      host: 'reviews.default.svc.cluster.local',
    });
  });

  it('reads the SNI form, where "_" stands for no subset', () => {
    expect(parseUpstreamCluster('outbound_.9080_._.reviews.default.svc.cluster.local')).toEqual({
      direction: 'outbound',
      port: 9080,
      subset: undefined,
      host: 'reviews.default.svc.cluster.local',
    });
    expect(parseUpstreamCluster('outbound_.9080_.v2_.reviews.default.svc.cluster.local')).toMatchObject({ subset: 'v2' });
  });

  it('recognizes the passthrough, blackhole and inbound passthrough clusters of every Istio version', () => {
    expect(parseUpstreamCluster('PassthroughCluster')).toEqual({ direction: 'passthrough', special: 'PassthroughCluster' });
    expect(parseUpstreamCluster('BlackHoleCluster')).toEqual({ direction: 'blackhole', special: 'BlackHoleCluster' });
    for (const name of ['InboundPassthroughCluster', 'InboundPassthroughClusterIpv4', 'InboundPassthroughClusterIpv6']) {
      expect(parseUpstreamCluster(name)).toEqual({ direction: 'inbound', special: name });
    }
  });

  it('answers unknown for names that follow no Istio convention', () => {
    for (const name of ['', 'my-static-cluster', 'sideways|9080||x', 'outbound|9080|x', 'prometheus_stats']) {
      expect(parseUpstreamCluster(name).direction).toBe('unknown');
    }
  });

  it('drops a port that is not a port instead of inventing one', () => {
    expect(parseUpstreamCluster('outbound|http||reviews.default.svc.cluster.local').port).toBeUndefined();
    expect(parseUpstreamCluster('outbound|99999||reviews.default.svc.cluster.local').port).toBeUndefined();
  });
});

describe('reporterFromCluster', () => {
  it('says destination for inbound clusters and source for everything a client side calls', () => {
    expect(reporterFromCluster('inbound|9080||')).toBe('destination');
    expect(reporterFromCluster('InboundPassthroughClusterIpv4')).toBe('destination');
    expect(reporterFromCluster('outbound|9080||reviews.default.svc.cluster.local')).toBe('source');
    expect(reporterFromCluster('PassthroughCluster')).toBe('source');
    expect(reporterFromCluster('BlackHoleCluster')).toBe('source');
  });

  it('says unknown when the entry names no cluster', () => {
    expect(reporterFromCluster(undefined)).toBe('unknown');
    expect(reporterFromCluster('-')).toBe('unknown');
  });
});

describe('serviceFromHost', () => {
  it('splits a cluster-local host into service, name and namespace', () => {
    expect(serviceFromHost('reviews.default.svc.cluster.local')).toEqual({
      service: 'reviews.default.svc.cluster.local',
      serviceName: 'reviews',
      serviceNamespace: 'default',
    });
  });

  it('strips the port of a short authority and leaves the namespace unknown', () => {
    expect(serviceFromHost('reviews:9080')).toEqual({ service: 'reviews', serviceName: 'reviews', serviceNamespace: undefined });
  });

  it('does not take the second label of an external domain for a namespace', () => {
    expect(serviceFromHost('api.example.com')).toEqual({ service: 'api.example.com', serviceName: 'api', serviceNamespace: undefined });
  });

  it('keeps IP addresses whole', () => {
    expect(serviceFromHost('10.96.112.40:9080')).toEqual({ service: '10.96.112.40', serviceName: '10.96.112.40' });
    expect(serviceFromHost('[fd00::1]:8080')).toEqual({ service: 'fd00::1', serviceName: 'fd00::1' });
  });

  it('returns undefined for a missing host', () => {
    expect(serviceFromHost('-')).toBeUndefined();
    expect(serviceFromHost('')).toBeUndefined();
  });
});

describe('parseSpiffe', () => {
  it('reads trust domain, namespace and service account', () => {
    expect(parseSpiffe('spiffe://cluster.local/ns/default/sa/bookinfo-reviews')).toEqual({
      trustDomain: 'cluster.local',
      namespace: 'default',
      serviceAccount: 'bookinfo-reviews',
    });
  });

  it('returns undefined for ids that are not Istio workload identities', () => {
    expect(parseSpiffe('spiffe://cluster.local/custom/path')).toBeUndefined();
    expect(parseSpiffe('reviews.default')).toBeUndefined();
  });
});

describe('canonicalFromLabels', () => {
  it('prefers Istio canonical labels over app.kubernetes.io and app/version', () => {
    expect(
      canonicalFromLabels({
        app: 'reviews',
        version: 'v1',
        'app.kubernetes.io/name': 'reviews-app',
        'service.istio.io/canonical-name': 'reviews-canonical',
        'service.istio.io/canonical-revision': 'r1',
      }),
    ).toEqual({ canonicalService: 'reviews-canonical', canonicalRevision: 'r1' });
    expect(canonicalFromLabels({ app: 'reviews', version: 'v1', 'app.kubernetes.io/name': 'reviews-app' })).toEqual({
      canonicalService: 'reviews-app',
      canonicalRevision: 'v1',
    });
  });

  it('falls back to the workload name and "latest"', () => {
    expect(canonicalFromLabels({}, 'reviews-v1')).toEqual({ canonicalService: 'reviews-v1', canonicalRevision: 'latest' });
    expect(canonicalFromLabels({})).toEqual({ canonicalService: undefined, canonicalRevision: 'latest' });
  });
});

describe('parseNodeId', () => {
  it('reads type, IP, pod and namespace of a sidecar id', () => {
    expect(parseNodeId('sidecar~10.244.1.17~reviews-v1-5d8f7c9b6-x2kqp.default~default.svc.cluster.local')).toEqual({
      type: 'sidecar',
      ip: '10.244.1.17',
      pod: 'reviews-v1-5d8f7c9b6-x2kqp',
      namespace: 'default',
      domain: 'default.svc.cluster.local',
    });
  });

  it('reads a gateway (router) id in istio-system', () => {
    expect(parseNodeId('router~10.244.0.5~istio-ingressgateway-7d9c6b8f4-abcde.istio-system~istio-system.svc.cluster.local')).toMatchObject({
      type: 'router',
      pod: 'istio-ingressgateway-7d9c6b8f4-abcde',
      namespace: 'istio-system',
    });
  });

  it('returns undefined for other ids', () => {
    expect(parseNodeId('envoy-standalone')).toBeUndefined();
    expect(parseNodeId('a~b~c')).toBeUndefined();
  });
});

describe('workloadFromPodName', () => {
  it('strips the ReplicaSet hash and pod suffix of a Deployment pod', () => {
    expect(workloadFromPodName('reviews-v1-5d8f7c9b6-x2kqp')).toBe('reviews-v1');
    expect(workloadFromPodName('productpage-v1-6b746f74dc-9stp2')).toBe('productpage-v1');
  });

  it('strips the ordinal of a StatefulSet pod and the suffix of a DaemonSet pod', () => {
    expect(workloadFromPodName('postgres-0')).toBe('postgres');
    expect(workloadFromPodName('fluent-bit-7kq2x')).toBe('fluent-bit');
  });

  it('leaves names whose last parts are words, not generated suffixes', () => {
    expect(workloadFromPodName('api-gateway')).toBe('api-gateway');
    expect(workloadFromPodName('reviews-v1')).toBe('reviews-v1');
    expect(workloadFromPodName('my-nginx')).toBe('my-nginx');
  });
});

describe('fillDerivedFields', () => {
  it('derives reporter and destination service from an outbound cluster, not from the short authority', () => {
    const filled = fillDerivedFields({ upstreamCluster: 'outbound|9080||reviews.default.svc.cluster.local', authority: 'reviews:9080' });
    expect(filled.reporter).toBe('source');
    expect(filled.destination).toEqual({
      service: 'reviews.default.svc.cluster.local',
      serviceName: 'reviews',
      serviceNamespace: 'default',
    });
  });

  it('on the inbound side takes the destination service from the mTLS SNI', () => {
    const filled = fillDerivedFields({
      upstreamCluster: 'inbound|9080||',
      authority: 'reviews:9080',
      requestedServerName: 'outbound_.9080_._.reviews.default.svc.cluster.local',
    });
    expect(filled.reporter).toBe('destination');
    expect(filled.destination.service).toBe('reviews.default.svc.cluster.local');
    expect(filled.destination.serviceNamespace).toBe('default');
  });

  it('on the inbound side without SNI falls back to the authority', () => {
    const filled = fillDerivedFields({ upstreamCluster: 'inbound|9080||', authority: 'reviews:9080' });
    expect(filled.destination).toMatchObject({ service: 'reviews', serviceName: 'reviews' });
  });

  it('names the special cluster as the service name of passthrough traffic', () => {
    const filled = fillDerivedFields({ upstreamCluster: 'PassthroughCluster', authority: 'api.exchange.example:443' });
    expect(filled.destination).toMatchObject({ service: 'api.exchange.example', serviceName: 'PassthroughCluster' });
  });

  it('never overwrites what the input already said', () => {
    const filled = fillDerivedFields({
      reporter: 'waypoint',
      upstreamCluster: 'outbound|9080||reviews.default.svc.cluster.local',
      destination: { service: 'reviews.prod.svc.cluster.local', workload: 'reviews-v1' },
    });
    expect(filled.reporter).toBe('waypoint');
    expect(filled.destination).toMatchObject({
      service: 'reviews.prod.svc.cluster.local',
      serviceName: 'reviews',
      serviceNamespace: 'default',
      workload: 'reviews-v1',
    });
  });

  it('takes workload namespaces from SPIFFE principals when missing', () => {
    const filled = fillDerivedFields({
      upstreamCluster: 'inbound|9080||',
      source: { principal: 'spiffe://cluster.local/ns/frontend/sa/productpage' },
      destination: { principal: 'spiffe://cluster.local/ns/default/sa/reviews', namespace: 'explicit' },
    });
    expect(filled.source.namespace).toBe('frontend');
    expect(filled.destination.namespace).toBe('explicit');
  });
});
