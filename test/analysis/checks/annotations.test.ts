// ZT901–ZT904: Istio annotations that are unknown, on the wrong kind, rejected by the sidecar
// injector, or deprecated, finding by finding (issue 21: the module's first mutation run left
// most of its branches untested).
import { ANNOTATION_CHECKS } from '../../../analysis/checks/annotations.js';
import { app, BASE, foundIn, join, ns } from '../fixtures.js';

/** `cart` in shop with these pod annotations (flow YAML), beside BASE. */
const cart = (podAnnotations: string) => join(BASE, app('shop', 'cart', { podAnnotations }));
const on = (code: string, yaml: string) => foundIn(yaml, code);
const TEMPLATE = 'Deployment shop/cart pod template';

test('each annotation check has a title and the annotations area', () => {
  expect(ANNOTATION_CHECKS.map((c) => c.code)).toEqual(['ZT901', 'ZT902', 'ZT903', 'ZT904']);
  for (const c of ANNOTATION_CHECKS) {
    expect([c.code, c.area]).toEqual([c.code, 'annotations']);
    expect(c.title.length).toBeGreaterThan(15);
  }
});

describe('ZT901: an annotation Istio does not define', () => {
  test('names it, the pod template it is on, and the name meant when only the case differs', () => {
    expect(on('ZT901', cart('sidecar.istio.io/proxyCpu: 100m'))).toEqual([{
      severity: 'warning', object: 'Deployment shop/cart',
      message: `${TEMPLATE} has annotation "sidecar.istio.io/proxyCpu", which Istio does not define (did you mean "sidecar.istio.io/proxyCPU"?): it is ignored.`,
      fix: 'correct the name from https://istio.io/latest/docs/reference/config/annotations/, or remove it.',
    }]);
  });

  test('otherwise lists annotations of the same domain, or nothing for a domain Istio has none in', () => {
    const [finding] = on('ZT901', cart('sidecar.istio.io/nonsense: x'));
    expect(finding!.message).toMatch(/"sidecar\.istio\.io\/nonsense", which Istio does not define \(annotations of sidecar\.istio\.io: [^)]*sidecar\.istio\.io\/[^)]*\): it is ignored\.$/);
    expect(on('ZT901', cart('nothing.istio.io/x: y')).map((f) => f.message)).toEqual([`${TEMPLATE} has annotation "nothing.istio.io/x", which Istio does not define: it is ignored.`]);
  });

  test('annotations outside Istio\'s domain and those Istio writes itself are not reported', () => {
    expect(on('ZT901', cart('example.com/x: y, istio.io.example.com/x: y, sidecar.istio.io/status: "{}", istio.io/rev: canary'))).toEqual([]);
  });

  test('on a Namespace and a Service too', () => {
    const yaml = join(BASE, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: misc, annotations: {networking.istio.io/nope: x}}\n',
      'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop, annotations: {networking.istio.io/nope2: x}}\nspec: {ports: [{port: 80}]}\n');
    expect(on('ZT901', yaml).map((f) => f.object)).toEqual(['Namespace misc', 'Service shop/s']);
  });
});

describe('ZT902: an annotation on a kind it does not apply to', () => {
  test('a pod annotation on the Deployment itself: move it to the pod template', () => {
    const yaml = join(BASE, app('shop', 'cart').replace('metadata: {name: cart, namespace: shop}\nspec:', 'metadata: {name: cart, namespace: shop, annotations: {sidecar.istio.io/proxyCPU: 100m}}\nspec:'));
    expect(on('ZT902', yaml)).toEqual([{
      severity: 'warning', object: 'Deployment shop/cart',
      message: 'Deployment shop/cart has annotation "sidecar.istio.io/proxyCPU", which applies to Pod only: here it is ignored.',
      fix: 'move it to the pod template (spec.template.metadata.annotations).',
    }]);
  });

  test('a pod annotation on a Service or Namespace, and a Service annotation on a pod: put it where it is meant', () => {
    const service = join(BASE, 'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop, annotations: {sidecar.istio.io/proxyCPU: 100m}}\nspec: {ports: [{port: 80}]}\n');
    expect(on('ZT902', service).map((f) => [f.object, f.fix])).toEqual([['Service shop/s', 'put it on the Pod it is meant for, or remove it.']]);
    const namespace = join(BASE, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: misc, annotations: {sidecar.istio.io/proxyCPU: 100m}}\n');
    expect(on('ZT902', namespace).map((f) => f.fix)).toEqual(['put it on the Pod it is meant for, or remove it.']);
    expect(on('ZT902', cart('networking.istio.io/exportTo: "."'))).toEqual([expect.objectContaining({
      object: 'Deployment shop/cart', message: `${TEMPLATE} has annotation "networking.istio.io/exportTo", which applies to Service only: here it is ignored.`,
      fix: 'put it on the Service it is meant for, or remove it.',
    })]);
  });

  test('istio.io/dry-run (its own checks), annotations for any kind, and the right kind are not reported', () => {
    expect(on('ZT902', cart('istio.io/dry-run: "true", sidecar.istio.io/proxyCPU: 100m'))).toEqual([]);
  });
});

describe('ZT903: a value the sidecar injector rejects', () => {
  test.each([
    ['sidecar.istio.io/interceptionMode', 'DROP', 'TPROXY', 'not one of REDIRECT, TPROXY, NONE'],
    ['status.sidecar.istio.io/port', '"70000"', '"15021"', 'not an unsigned 16-bit integer'],
    ['readiness.status.sidecar.istio.io/initialDelaySeconds', '"-1"', '"10"', 'not an unsigned 32-bit integer'],
    ['readiness.status.sidecar.istio.io/periodSeconds', '"4294967296"', '"4294967295"', 'not an unsigned 32-bit integer'],
    ['readiness.status.sidecar.istio.io/failureThreshold', 'three', '"3"', 'not an unsigned 32-bit integer'],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '"10.0.0.0/8;10.1.0.0/16"', '"*"', 'not a comma-separated list of CIDRs'],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '"10.0.0.0/33"', '"10.0.0.0/8,192.168.0.1"', 'not a comma-separated list of CIDRs'],
    ['traffic.sidecar.istio.io/includeInboundPorts', '"80,http"', '"*"', 'not a comma-separated list of ports'],
    ['traffic.sidecar.istio.io/excludeInboundPorts', '"65536"', '"15020, 9090"', 'not a comma-separated list of ports'],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '"5432;6379"', '""', 'not a comma-separated list of ports'],
    ['prometheus.istio.io/merge-metrics', 'maybe', '"false"', 'not a boolean'],
    ['proxy.istio.io/config', '"- a list"', '"holdApplicationUntilProxyStarts: true"', 'not a ProxyConfig map'],
    ['proxy.istio.io/config', '"{unclosed"', '""', 'not valid YAML'],
    ['sidecar.istio.io/proxyCPU', 'lots', '"500m"', 'not a Kubernetes resource quantity (e.g. 100m, 128Mi)'],
    ['sidecar.istio.io/proxyMemory', '"1GB"', '"1Gi"', 'not a Kubernetes resource quantity (e.g. 100m, 128Mi)'],
    ['sidecar.istio.io/proxyCPULimit', '"1.5.2"', '"1.5"', 'not a Kubernetes resource quantity (e.g. 100m, 128Mi)'],
    ['sidecar.istio.io/proxyMemoryLimit', '"1e"', '"1e3"', 'not a Kubernetes resource quantity (e.g. 100m, 128Mi)'],
  ])('%s: %s is rejected, %s is not', (name, bad, good, problem) => {
    const value = JSON.parse(bad.startsWith('"') ? bad : `"${bad}"`) as string;
    expect(on('ZT903', cart(`${name}: ${bad}`))).toEqual([{
      severity: 'warning', object: 'Deployment shop/cart',
      message: `${TEMPLATE} has ${name}: "${value}", ${problem}; the sidecar injector rejects the value, so the pod is not injected as intended.`,
      fix: 'correct the value (https://istio.io/latest/docs/reference/config/annotations/).',
    }]);
    expect(on('ZT903', cart(`${name}: ${good}`))).toEqual([]);
  });

  test('only on pods: the same value on a Namespace is not the injector\'s to reject', () => {
    expect(on('ZT903', join(BASE, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: misc, annotations: {sidecar.istio.io/interceptionMode: DROP}}\n'))).toEqual([]);
  });
});

describe('ZT904: a deprecated annotation', () => {
  test('is an info finding with the replacement advice', () => {
    expect(on('ZT904', cart('sidecar.istio.io/discoveryAddress: "istiod:15012"'))).toEqual([{
      severity: 'info', object: 'Deployment shop/cart',
      message: `${TEMPLATE} has annotation "sidecar.istio.io/discoveryAddress", which Istio has deprecated; it may stop working in a future release.`,
      fix: 'replace it as https://istio.io/latest/docs/reference/config/annotations/ describes, or remove it.',
    }]);
  });

  test('sidecar.istio.io/inject on a pod has its own check (ZT604); on a Namespace it is deprecated here', () => {
    expect(on('ZT904', cart('sidecar.istio.io/inject: "true"'))).toEqual([]);
    expect(on('ZT904', join(BASE, ns('misc').replace('metadata: {name: misc,', 'metadata: {name: misc, annotations: {sidecar.istio.io/inject: "true"},')))
      .map((f) => f.object)).toEqual(['Namespace misc']);
  });
});
