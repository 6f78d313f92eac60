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
  // The istioctl messages each one matches (docs/analyzer.md names them beside the codes).
  expect(ANNOTATION_CHECKS.map((c) => c.istio)).toEqual([['IST0108'], ['IST0107'], ['IST0125'], ['IST0135']]);
});

/** Every annotation finding of a manifest, as [code, object]. */
const annotationFindings = (yaml: string) => ['ZT901', 'ZT902', 'ZT903', 'ZT904'].flatMap((code) => on(code, yaml).map((f) => [code, f.object]));

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
    const listed = /\(annotations of sidecar\.istio\.io: ([^)]*)\): it is ignored\.$/.exec(finding!.message)?.[1];
    // At most six names, each of the same domain, so the message stays short.
    expect(listed?.split(', ')).toEqual([expect.stringMatching(/^sidecar\.istio\.io\/\w+$/), ...Array(5).fill(expect.stringMatching(/^sidecar\.istio\.io\/\w+$/))]);
    expect(on('ZT901', cart('nothing.istio.io/x: y')).map((f) => f.message)).toEqual([`${TEMPLATE} has annotation "nothing.istio.io/x", which Istio does not define: it is ignored.`]);
  });

  test('annotations outside Istio\'s domain and those Istio writes itself are not reported', () => {
    expect(on('ZT901', cart('example.com/x: y, istio.io.example.com/x: y, sidecar.istio.io/status: "{}", istio.io/rev: canary'))).toEqual([]);
  });

  test('a name without a prefix is in Istio\'s domain when it ends in istio.io, as istioctl reads it', () => {
    expect(on('ZT901', cart('sidecar.istio.io: x, istio: x')).map((f) => f.message))
      .toEqual([expect.stringMatching(/^Deployment shop\/cart pod template has annotation "sidecar\.istio\.io", which Istio does not define/)]);
  });

  test('what Istio writes itself is never reported, on any kind it lands on', () => {
    const yaml = join(BASE, app('shop', 'cart').replace('metadata: {name: cart, namespace: shop}\nspec:', 'metadata: {name: cart, namespace: shop, annotations: {istio.io/rev: canary, sidecar.istio.io/status: "{}"}}\nspec:'),
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: misc, annotations: {istio.io/rev: canary, sidecar.istio.io/status: "{}"}}\n');
    expect(annotationFindings(yaml)).toEqual([]);
    // The same names are reported once they are not Istio's own (a control: the kinds are wrong).
    expect(annotationFindings(yaml.replaceAll('istio.io/rev', 'sidecar.istio.io/interceptionMode'))).toEqual([['ZT902', 'Namespace misc'], ['ZT902', 'Deployment shop/cart']]);
  });

  test('a bare Pod is checked once, as a pod', () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: job, namespace: shop, labels: {app: job}, annotations: {sidecar.istio.io/nonsense: x}}\nspec: {containers: [{name: app, image: "example/job:1"}]}\n';
    expect(on('ZT901', join(BASE, pod)).map((f) => f.object)).toEqual(['Pod shop/job']);
  });

  test.each(['StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'])('on a %s\'s own metadata', (kind) => {
    const controller = `apiVersion: apps/v1\nkind: ${kind}\nmetadata: {name: x, namespace: shop, annotations: {sidecar.istio.io/nonsense: x}}\nspec: {}\n`;
    expect(on('ZT901', join(BASE, controller)).map((f) => f.object)).toEqual([`${kind} shop/x`]);
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
    expect(on('ZT902', cart('istio.io/dry-run: "true", sidecar.istio.io/proxyCPU: 100m, galley.istio.io/analyze-suppress: ZT101'))).toEqual([]);
    expect(on('ZT902', join(BASE, 'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop, annotations: {galley.istio.io/analyze-suppress: ZT101}}\nspec: {ports: [{port: 80}]}\n'))).toEqual([]);
  });

  test('a Service annotation on the Deployment itself: not "move it to the pod template"', () => {
    const yaml = join(BASE, app('shop', 'cart').replace('metadata: {name: cart, namespace: shop}\nspec:', 'metadata: {name: cart, namespace: shop, annotations: {networking.istio.io/exportTo: "."}}\nspec:'));
    expect(on('ZT902', yaml).map((f) => f.fix)).toEqual(['put it on the Service it is meant for, or remove it.']);
  });

  test('an annotation for several kinds names them all', () => {
    expect(on('ZT902', cart('istio.io/use-waypoint-canary-weight: "10"')).map((f) => [f.message, f.fix])).toEqual([[
      `${TEMPLATE} has annotation "istio.io/use-waypoint-canary-weight", which applies to Namespace, Service, ServiceEntry only: here it is ignored.`,
      'put it on the Namespace, Service or ServiceEntry it is meant for, or remove it.',
    ]]);
  });

  test('the Ingress class Istio documents is checked like Istio\'s own annotations', () => {
    const service = join(BASE, 'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop, annotations: {kubernetes.io/ingress.class: istio}}\nspec: {ports: [{port: 80}]}\n');
    expect(on('ZT902', service).map((f) => f.message)).toEqual(['Service shop/s has annotation "kubernetes.io/ingress.class", which applies to Ingress only: here it is ignored.']);
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
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '"10.0.0.0/33"', '"10.0.0.0/8,192.168.0.1/32"', 'not a comma-separated list of CIDRs'],
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

  test.each([
    ['sidecar.istio.io/interceptionMode', ['REDIRECT', 'TPROXY', 'NONE'], ['redirect', '']],
    // The injector trims a status port and each port of a list, and an empty list is no list.
    ['status.sidecar.istio.io/port', [' 15021 '], ['', '15021x']],
    ['traffic.sidecar.istio.io/excludeInboundPorts', ['  ', ' 80 ,443'], ['80,', ',']],
    // Go's ParseUint: digits only, no exponent, no sign, no spaces.
    ['readiness.status.sidecar.istio.io/failureThreshold', ['0', '30'], ['1e3', '+3', '3 ', '']],
    // Each range is a prefix (Go's netip.ParsePrefix): a bare address is refused.
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', ['', '10.0.0.0/8', '10.0.0.0/8,fd00::/8'], ['10.0.0.1', '10.0.0.0/8,bad', '10.0.0.0/8,']],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', ['*', '', '0.0.0.0/0'], ['10.1.2.3', '* ']],
    ['proxy.istio.io/config', ['', '{}', 'concurrency: 2'], ['just a string', '42', '[concurrency]']],
    // Kubernetes quantities: a sign, a fraction on either side, a binary or decimal suffix, an exponent.
    ['sidecar.istio.io/proxyCPU', ['+500m', '0.25', '.5', '.25', '2.', '1e-3', '1E12', '128Mi', '1k'], ['1.5.2', 'm', '5 m', '1e', '1ki', '-']],
  ])('%s: accepts %j, rejects %j', (name, good, bad) => {
    const values = (vs: string[]) => vs.map((v) => on('ZT903', cart(`${name}: ${JSON.stringify(v)}`)).length);
    expect(values(good)).toEqual(good.map(() => 0));
    expect(values(bad)).toEqual(bad.map(() => 1));
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
