import { tokenJourney } from '../../../analysis/access/chain.js';
import { accessMatrix } from '../../../analysis/access/matrix.js';
import { formatMatrix } from '../../../analysis/access/report.js';
import { AccessRequest, AccessRequestError, AccessSimulator, Outcome, SimulatorOptions } from '../../../analysis/access/simulator.js';
import { MeshModel } from '../../../analysis/model.js';
import type { Manifest } from '../../../manifests/index.js';

/**
 * Kubernetes NetworkPolicy as the L3/L4 stage before Istio, the caller's Sidecar egress scope and
 * outbound traffic policy, and egress to hosts outside the cluster (ISTIO.md §11.1–§11.2, §12;
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/). Each semantic has a
 * case that triggers it and a near-identical one that does not.
 */

const ns = (name: string, labels: Record<string, string> = { 'istio-injection': 'enabled' }): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
interface PortSpec { readonly name: string; readonly port: number; readonly targetPort?: number | string; readonly protocol?: string }
function app(namespace: string, name: string, ports: PortSpec[] = [], containerPorts: { name?: string; containerPort: number }[] = []): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name, image: `example/${name}:1`, ports: containerPorts.length > 0 ? containerPorts : ports.map((p) => ({ containerPort: typeof p.targetPort === 'number' ? p.targetPort : p.port })) }] } } },
    },
    ...(ports.length > 0 ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports } } as Manifest] : []),
  ];
}
const netpol = (namespace: string, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
const istio = (kind: string, namespace: string, name: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion: kind === 'PeerAuthentication' || kind === 'AuthorizationPolicy' ? 'security.istio.io/v1' : 'networking.istio.io/v1', kind, metadata: { name, namespace }, spec,
});
const strict = (namespace: string) => istio('PeerAuthentication', namespace, 'default', { mtls: { mode: 'STRICT' } });
const denyAll = (namespace: string, types: string[] = ['Ingress']) => netpol(namespace, 'default-deny', { podSelector: {}, policyTypes: types });

/** httpbin in foo: Service port 8000 → container port 8080 named `http`; sleep in foo and bar; sleep in legacy (no sidecar). */
const base: Manifest[] = [
  ns('istio-system'), ns('foo', { 'istio-injection': 'enabled', team: 'a' }), ns('bar', { 'istio-injection': 'enabled', team: 'b' }), ns('legacy', {}),
  ...app('foo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 'http' }], [{ name: 'http', containerPort: 8080 }]),
  ...app('foo', 'sleep'), ...app('bar', 'sleep'), ...app('legacy', 'sleep'),
];

const simulate = (manifests: Manifest[], options: SimulatorOptions = {}) => new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest }))), options);
const from = (ref: string): AccessRequest['from'] => (ref === 'outside' ? { outside: true } : ref === 'ingress' ? { ingress: true } : { workload: ref });
const toHttpbin = (source: string): AccessRequest => ({ from: from(source), to: 'foo/httpbin', port: 8000 });
async function outcome(extra: Manifest[], request: AccessRequest, options: SimulatorOptions = {}): Promise<Outcome> {
  return (await simulate([...base, ...extra], options).check(request)).outcome;
}
async function verdict(extra: Manifest[], request: AccessRequest, options: SimulatorOptions = {}) {
  return simulate([...base, ...extra], options).check(request);
}

/** Admits from `peers` on the destination's wire port 8080. */
const admitHttpbin = (peers: Record<string, unknown>[], ports: Record<string, unknown>[] = [{ port: 8080 }]) =>
  netpol('foo', 'httpbin-in', { podSelector: { matchLabels: { app: 'httpbin' } }, policyTypes: ['Ingress'], ingress: [{ from: peers, ports }] });

describe('NetworkPolicy ingress', () => {
  test('a default-deny ingress in the destination namespace drops the connection (dropped, times out); without it the call is allowed', async () => {
    const dropped = await verdict([denyAll('foo')], toHttpbin('bar/sleep'));
    expect(dropped.outcome).toBe('dropped');
    expect(dropped.reason).toMatch(/dropped by NetworkPolicy foo\/default-deny: ingress of foo\/httpbin .*times out/);
    expect(await outcome([], toHttpbin('bar/sleep'))).toBe('allow');
    // Isolation is per direction: a default-deny of Egress only in foo does not touch ingress from bar.
    expect(await outcome([denyAll('foo', ['Egress'])], toHttpbin('bar/sleep'))).toBe('allow');
  });

  test('a rule from the caller\'s namespace and pods admits it; another namespace or other pods stay dropped', async () => {
    const rule = admitHttpbin([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bar' } }, podSelector: { matchLabels: { app: 'sleep' } } }]);
    const allowed = await verdict([denyAll('foo'), rule], toHttpbin('bar/sleep'));
    expect(allowed.outcome).toBe('allow');
    expect(allowed.reason).toContain('NetworkPolicy foo/httpbin-in ingress[0] admits 8080/TCP');
    expect(await outcome([denyAll('foo'), rule], toHttpbin('foo/sleep'))).toBe('dropped');
    const otherPods = admitHttpbin([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bar' } }, podSelector: { matchLabels: { app: 'other' } } }]);
    expect(await outcome([denyAll('foo'), otherPods], toHttpbin('bar/sleep'))).toBe('dropped');
  });

  test('a lone podSelector means the policy\'s own namespace; namespaceSelector matchExpressions read the Namespace labels', async () => {
    const samePods = admitHttpbin([{ podSelector: { matchLabels: { app: 'sleep' } } }]);
    expect(await outcome([denyAll('foo'), samePods], toHttpbin('foo/sleep'))).toBe('allow');
    expect(await outcome([denyAll('foo'), samePods], toHttpbin('bar/sleep'))).toBe('dropped');
    const teamB = admitHttpbin([{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['b'] }] } }]);
    expect(await outcome([denyAll('foo'), teamB], toHttpbin('bar/sleep'))).toBe('allow');
    expect(await outcome([denyAll('foo'), teamB], toHttpbin('foo/sleep'))).toBe('dropped');
    const notA = admitHttpbin([{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] } }]);
    expect(await outcome([denyAll('foo'), notA], toHttpbin('legacy/sleep'))).toBe('allow'); // legacy has no team label
    expect(await outcome([denyAll('foo'), notA], toHttpbin('foo/sleep'))).toBe('dropped');
    const noTeam = admitHttpbin([{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] } }]);
    expect(await outcome([denyAll('foo'), noTeam], toHttpbin('legacy/sleep'))).toBe('allow');
    expect(await outcome([denyAll('foo'), noTeam], toHttpbin('bar/sleep'))).toBe('dropped');
    const anyTeam = admitHttpbin([{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }]);
    expect(await outcome([denyAll('foo'), anyTeam], toHttpbin('bar/sleep'))).toBe('allow');
    expect(await outcome([denyAll('foo'), anyTeam], toHttpbin('legacy/sleep'))).toBe('dropped');
  });

  test('ports are the wire (container) port: the Service port 8000 does not match, 8080 and the named port `http` do, endPort ranges too', async () => {
    const all = [{ namespaceSelector: {} }];
    expect(await outcome([denyAll('foo'), admitHttpbin(all, [{ port: 8080 }])], toHttpbin('bar/sleep'))).toBe('allow');
    expect(await outcome([denyAll('foo'), admitHttpbin(all, [{ port: 8000 }])], toHttpbin('bar/sleep'))).toBe('dropped');
    expect(await outcome([denyAll('foo'), admitHttpbin(all, [{ port: 'http' }])], toHttpbin('bar/sleep'))).toBe('allow');
    expect(await outcome([denyAll('foo'), admitHttpbin(all, [{ port: 'grpc' }])], toHttpbin('bar/sleep'))).toBe('dropped');
    expect(await outcome([denyAll('foo'), admitHttpbin(all, [{ port: 8000, endPort: 8100 }])], toHttpbin('bar/sleep'))).toBe('allow');
    expect(await outcome([denyAll('foo'), admitHttpbin(all, [{ port: 8081, endPort: 8100 }])], toHttpbin('bar/sleep'))).toBe('dropped');
    expect(await outcome([denyAll('foo'), admitHttpbin(all, [{ port: 8080, protocol: 'UDP' }])], toHttpbin('bar/sleep'))).toBe('dropped');
    // An empty `from` admits every source; empty `ports` every port.
    expect(await outcome([denyAll('foo'), netpol('foo', 'open', { podSelector: {}, ingress: [{}] })], toHttpbin('bar/sleep'))).toBe('allow');
  });

  test('the outside client matches an ipBlock covering every address only; the ingress gateway by its namespace and labels', async () => {
    const anywhere = admitHttpbin([{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }]);
    expect(await outcome([denyAll('foo'), anywhere], toHttpbin('outside'))).toBe('allow');
    expect(await outcome([denyAll('foo'), admitHttpbin([{ ipBlock: { cidr: '10.0.0.0/8' } }])], toHttpbin('outside'))).toBe('dropped');
    // ipBlock peers are out-of-cluster addresses: they do not admit pods.
    expect(await outcome([denyAll('foo'), anywhere], toHttpbin('bar/sleep'))).toBe('dropped');

    const route = [
      istio('Gateway', 'istio-system', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }),
      istio('VirtualService', 'foo', 'httpbin', { hosts: ['*'], gateways: ['istio-system/gw'], http: [{ route: [{ destination: { host: 'httpbin.foo.svc.cluster.local', port: { number: 8000 } } }] }] }),
    ];
    const fromGateway = admitHttpbin([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } }]);
    expect(await outcome([...route, denyAll('foo'), fromGateway], toHttpbin('ingress'))).toBe('allow');
    const closed = await verdict([...route, denyAll('foo')], toHttpbin('ingress'));
    expect(closed.outcome).toBe('dropped');
    expect(closed.reason).toContain('ingress of foo/httpbin (from ingress gateway istio-system/istio-ingressgateway) is isolated');
  });

  test('an outside client with an address matches the ipBlocks that cover it', async () => {
    const fromDocumentationRange = netpol('foo', 'partners', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] });
    expect(await outcome([denyAll('foo'), fromDocumentationRange], { from: { outside: true, ip: '203.0.113.7' }, to: 'foo/httpbin', port: 8000 })).toBe('allow');
    const other = await verdict([denyAll('foo'), fromDocumentationRange], { from: { outside: true, ip: '198.51.100.1' }, to: 'foo/httpbin', port: 8000 });
    expect(other.outcome).toBe('dropped');
    expect(other.reason).toContain('ingress of foo/httpbin (from outside (198.51.100.1)) is isolated');
    // Without an address the outside client is any address: only a rule for every address admits it.
    expect(await outcome([denyAll('foo'), fromDocumentationRange], toHttpbin('outside'))).toBe('dropped');
  });

  test('a UDP Service port needs a UDP rule', async () => {
    const dns = app('foo', 'dns', [{ name: 'dns', port: 53, protocol: 'UDP' }]);
    const toDns: AccessRequest = { from: from('bar/sleep'), to: 'foo/dns', port: 53 };
    const udp = netpol('foo', 'dns-in', { podSelector: { matchLabels: { app: 'dns' } }, ingress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] });
    const tcp = netpol('foo', 'dns-in', { podSelector: { matchLabels: { app: 'dns' } }, ingress: [{ ports: [{ port: 53 }] }] });
    const admitted = await verdict([...dns, denyAll('foo'), udp], toDns);
    expect(admitted.outcome).toBe('allow');
    expect(admitted.reason).toContain('NetworkPolicy foo/dns-in ingress[0] admits 53/UDP');
    expect(await outcome([...dns, denyAll('foo'), tcp], toDns)).toBe('dropped');
  });

  test('a drop names every isolating policy, the caller as the pod it is, and the rules only a pod IP could satisfy', async () => {
    const fromOther = netpol('foo', 'other', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'other' } } }] }] });
    expect((await verdict([denyAll('foo'), fromOther], toHttpbin('legacy/sleep'))).reason).toBe('foo/httpbin:8080: dropped by NetworkPolicy foo/default-deny, foo/other: '
      + 'ingress of foo/httpbin (from legacy/sleep) is isolated and no ingress rule allows 8080/TCP (the connection times out)');
    const podRange = netpol('foo', 'pod-range', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }, { from: [{ ipBlock: { cidr: '192.168.0.0/16' } }] }] });
    expect((await verdict([denyAll('foo'), podRange], toHttpbin('bar/sleep'))).reason).toBe('foo/httpbin:8080: dropped by NetworkPolicy foo/default-deny, foo/pod-range: '
      + 'ingress of foo/httpbin (from bar/sleep) is isolated and no ingress rule allows 8080/TCP (the connection times out); '
      + 'foo/pod-range ingress[0], foo/pod-range ingress[1] would admit it only if an ipBlock covered the pod\'s IP, which the manifests do not give (not counted)');
  });
});

describe('NetworkPolicy egress', () => {
  test('egress-only isolation of the caller drops its calls, and an egress rule to the destination pods on the wire port lets them out', async () => {
    const dropped = await verdict([denyAll('bar', ['Egress'])], toHttpbin('bar/sleep'));
    expect(dropped.outcome).toBe('dropped');
    expect(dropped.reason).toMatch(/NetworkPolicy bar\/default-deny: egress of bar\/sleep .*isolated/);
    expect(await outcome([denyAll('bar', ['Egress'])], toHttpbin('foo/sleep'))).toBe('allow');
    const out = netpol('bar', 'to-httpbin', { podSelector: { matchLabels: { app: 'sleep' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { app: 'httpbin' } } }], ports: [{ port: 'http' }] }] });
    expect(await outcome([denyAll('bar', ['Egress']), out], toHttpbin('bar/sleep'))).toBe('allow');
  });

  test('without policyTypes, a policy with `egress` isolates both directions', async () => {
    const both = netpol('foo', 'both', { podSelector: { matchLabels: { app: 'httpbin' } }, egress: [] });
    expect(await outcome([both], toHttpbin('bar/sleep'))).toBe('dropped');
    const ingressOnly = netpol('bar', 'ingress-only', { podSelector: {}, ingress: [] });
    expect(await outcome([ingressOnly], toHttpbin('bar/sleep'))).toBe('allow');
    // An empty policyTypes list is defaulted like an absent one.
    expect(await outcome([netpol('foo', 'both', { podSelector: { matchLabels: { app: 'httpbin' } }, policyTypes: [], egress: [] })], toHttpbin('bar/sleep'))).toBe('dropped');
  });

  test('a NetworkPolicy drop comes before Istio: a STRICT destination still reports dropped, not reset', async () => {
    expect(await outcome([strict('foo'), denyAll('foo')], toHttpbin('legacy/sleep'))).toBe('dropped');
    expect(await outcome([strict('foo')], toHttpbin('legacy/sleep'))).toBe('reset');
  });
});

describe('Sidecar egress scope and outbound traffic policy', () => {
  const onlyOwn = istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['./*', 'istio-system/*'] }] });
  const importsFoo = istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['foo/httpbin.foo.svc.cluster.local'] }] });

  test('a Sidecar that does not import the callee: blocked under REGISTRY_ONLY (502), passthrough under ALLOW_ANY', async () => {
    const blocked = await verdict([onlyOwn], toHttpbin('bar/sleep'), { outboundTrafficPolicy: 'REGISTRY_ONLY' });
    expect(blocked.outcome).toBe('blocked');
    expect(blocked.reason).toContain('Sidecar bar/default of bar/sleep does not import httpbin.foo.svc.cluster.local');
    expect(blocked.reason).toContain('502');
    expect(await outcome([importsFoo], toHttpbin('bar/sleep'), { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toBe('allow');
    const passthrough = await verdict([onlyOwn], toHttpbin('bar/sleep'));
    expect(passthrough.outcome).toBe('allow');
    expect(passthrough.reason).toContain('plaintext passthrough from bar/sleep, no identity');
  });

  test('ALLOW_ANY passthrough is plaintext without identity: STRICT resets it, an identity ALLOW returns 403', async () => {
    expect(await outcome([onlyOwn, strict('foo')], toHttpbin('bar/sleep'))).toBe('reset');
    expect(await outcome([importsFoo, strict('foo')], toHttpbin('bar/sleep'))).toBe('allow');
    const byIdentity = istio('AuthorizationPolicy', 'foo', 'httpbin', { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/bar/sa/sleep'] } }] }] });
    expect(await outcome([onlyOwn, byIdentity], toHttpbin('bar/sleep'))).toBe('deny-403');
    expect(await outcome([importsFoo, byIdentity], toHttpbin('bar/sleep'))).toBe('allow');
  });

  test('selection: a workload Sidecar beats the namespace one, which beats the root one; the Sidecar\'s mode beats the mesh\'s', async () => {
    const root = istio('Sidecar', 'istio-system', 'default', { egress: [{ hosts: ['./*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    expect(await outcome([root], toHttpbin('bar/sleep'))).toBe('blocked');
    expect(await outcome([root, importsFoo], toHttpbin('bar/sleep'))).toBe('allow');
    const forSleep = istio('Sidecar', 'bar', 'sleep', { workloadSelector: { labels: { app: 'sleep' } }, egress: [{ hosts: ['~/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    expect(await outcome([importsFoo, forSleep], toHttpbin('bar/sleep'))).toBe('blocked');
    expect(await outcome([importsFoo, istio('Sidecar', 'bar', 'sleep', { workloadSelector: { labels: { app: 'other' } }, egress: [{ hosts: ['~/*'] }] })], toHttpbin('bar/sleep'), { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toBe('allow');
  });

  test('host forms: `*/*`, `foo/*`, `*/*.foo.svc.cluster.local`, and a Service not exported to the caller', async () => {
    const sc = (host: string) => istio('Sidecar', 'bar', 'default', { egress: [{ hosts: [host] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    expect(await outcome([sc('*/*')], toHttpbin('bar/sleep'))).toBe('allow');
    expect(await outcome([sc('foo/*')], toHttpbin('bar/sleep'))).toBe('allow');
    expect(await outcome([sc('*/*.foo.svc.cluster.local')], toHttpbin('bar/sleep'))).toBe('allow');
    expect(await outcome([sc('bar/*')], toHttpbin('bar/sleep'))).toBe('blocked');
    expect(await outcome([sc('*/*.other.svc.cluster.local')], toHttpbin('bar/sleep'))).toBe('blocked');
    const hidden = base.map((m) => (m.kind === 'Service' && m.metadata.name === 'httpbin' ? { ...m, metadata: { ...m.metadata, annotations: { 'networking.istio.io/exportTo': '.' } } } : m));
    const sim = simulate(hidden, { outboundTrafficPolicy: 'REGISTRY_ONLY' });
    expect((await sim.check(toHttpbin('bar/sleep'))).outcome).toBe('blocked');
    expect((await sim.check(toHttpbin('foo/sleep'))).outcome).toBe('allow');
  });

  test('a caller without a sidecar and the ingress gateway are not scoped by Sidecars', async () => {
    const everywhere = istio('Sidecar', 'istio-system', 'default', { egress: [{ hosts: ['~/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    expect(await outcome([everywhere], toHttpbin('legacy/sleep'))).toBe('allow');
    expect(await outcome([everywhere], toHttpbin('foo/sleep'))).toBe('blocked');
  });
});

describe('external hosts (toHost)', () => {
  const stripe = istio('ServiceEntry', 'bar', 'stripe', { hosts: ['api.stripe.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' });
  const sidecar = istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['./*', 'istio-system/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
  const egressTo443 = netpol('bar', 'egress-stripe', { podSelector: { matchLabels: { app: 'sleep' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.169.254/32'] } }], ports: [{ port: 443, protocol: 'TCP' }] }] });
  const stripeRequest: AccessRequest = { from: { workload: 'bar/sleep' }, toHost: 'api.stripe.com', port: 443 };

  test('ServiceEntry + Sidecar host + NetworkPolicy egress: allowed', async () => {
    const v = await verdict([stripe, sidecar, egressTo443], stripeRequest);
    expect(v.outcome).toBe('allow');
    expect(v.reason).toContain('ServiceEntry bar/stripe is imported by Sidecar bar/default');
    expect(v.reason).toContain('NetworkPolicy bar/egress-stripe egress[0] admits 443/TCP');
  });

  test('missing any one: no ServiceEntry → blocked; Sidecar not importing it → blocked; no egress rule for it → dropped', async () => {
    expect(await outcome([sidecar, egressTo443], stripeRequest)).toBe('blocked');
    const elsewhere = istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['foo/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    const notImported = await verdict([stripe, elsewhere, egressTo443], stripeRequest);
    expect(notImported.outcome).toBe('blocked');
    expect(notImported.reason).toContain('Sidecar bar/default does not import api.stripe.com');
    const noEgress = await verdict([stripe, sidecar, denyAll('bar', ['Egress'])], stripeRequest);
    expect(noEgress.outcome).toBe('dropped');
    expect(noEgress.reason).toContain('times out');
    // The egress rule's port must be the host's, and only a /0 ipBlock covers an unknown external address.
    const wrongPort = netpol('bar', 'egress-stripe', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 80 }] }] });
    expect(await outcome([stripe, sidecar, wrongPort], stripeRequest)).toBe('dropped');
    const narrow = netpol('bar', 'egress-stripe', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] });
    expect(await outcome([stripe, sidecar, narrow], stripeRequest)).toBe('dropped');
    // A pod-selector egress rule does not reach outside the cluster.
    const podsOnly = netpol('bar', 'egress-stripe', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }] }] });
    expect(await outcome([stripe, sidecar, podsOnly], stripeRequest)).toBe('dropped');
  });

  test('ALLOW_ANY passes an unknown host through; a ServiceEntry exported elsewhere does not count; no sidecar means no Istio control', async () => {
    const passthrough = await verdict([egressTo443], stripeRequest);
    expect(passthrough.outcome).toBe('allow');
    expect(passthrough.reason).toContain('no ServiceEntry for api.stripe.com:443 is exported to namespace bar');
    const hidden = istio('ServiceEntry', 'foo', 'stripe', { hosts: ['api.stripe.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], exportTo: ['.'] });
    expect(await outcome([hidden], stripeRequest, { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toBe('blocked');
    expect(await outcome([hidden], { ...stripeRequest, from: { workload: 'foo/sleep' } }, { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toBe('allow');
    expect(await outcome([], { ...stripeRequest, from: { workload: 'legacy/sleep' } }, { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toBe('allow');
  });

  test('usage errors: toHost with to, or from the outside client', async () => {
    await expect(simulate(base).check({ ...stripeRequest, to: 'foo/httpbin' })).rejects.toThrow(AccessRequestError);
    await expect(simulate(base).check({ ...stripeRequest, from: { outside: true } })).rejects.toThrow(/"toHost" needs a workload as "from"/);
  });

  test('the reason says who let the call out, or what dropped it', async () => {
    const restricted = { outboundTrafficPolicy: 'REGISTRY_ONLY' } as const;
    expect((await verdict([], { ...stripeRequest, from: { workload: 'legacy/sleep' } }, restricted)).reason)
      .toBe('api.stripe.com:443: legacy/sleep (no sidecar): Istio does not control its egress');
    const internal = istio('ServiceEntry', 'bar', 'stripe', { hosts: ['api.stripe.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], location: 'MESH_INTERNAL' });
    expect((await verdict([internal], stripeRequest, restricted)).reason)
      .toBe('api.stripe.com:443: ServiceEntry bar/stripe (MESH_INTERNAL) is imported by the default scope of bar/sleep');
    expect((await verdict([stripe, denyAll('bar', ['Egress'])], stripeRequest)).reason)
      .toBe('api.stripe.com:443: dropped by NetworkPolicy bar/default-deny: egress of bar/sleep (to external host api.stripe.com) is isolated and no egress rule allows 443/TCP (the connection times out)');
    const second = istio('ServiceEntry', 'bar', 'stripe-too', { hosts: ['*.stripe.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] });
    const elsewhere = istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['foo/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    expect((await verdict([stripe, second, elsewhere], stripeRequest)).reason)
      .toContain('Sidecar bar/default does not import api.stripe.com (ServiceEntry bar/stripe, bar/stripe-too)');
  });

  test('a chain may end with a hop from the last service to an external host', async () => {
    const route = [
      istio('Gateway', 'istio-system', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }),
      istio('VirtualService', 'foo', 'httpbin', { hosts: ['*'], gateways: ['istio-system/gw'], http: [{ route: [{ destination: { host: 'httpbin.foo.svc.cluster.local', port: { number: 8000 } } }] }] }),
    ];
    const request = { services: ['foo/httpbin'], port: 8000, toHost: { host: 'api.stripe.com', port: 443 } };
    const open = await tokenJourney(simulate([...base, ...route, stripe]), request);
    expect(open.map((s) => `${s.from} → ${s.to}${s.external ? ' (external)' : ''}: ${s.outcome}`)).toEqual(['ingress → foo/httpbin: allow', 'foo/httpbin → api.stripe.com (external): allow']);
    const closed = await tokenJourney(simulate([...base, ...route, stripe, denyAll('foo', ['Egress'])]), request);
    expect(closed.map((s) => s.outcome)).toEqual(['allow', 'dropped']);
    // A chain refused before its last service has no external hop.
    const refused = await tokenJourney(simulate([...base, stripe]), request);
    expect(refused.map((s) => s.outcome)).toEqual(['no-route']);
  });

  test('the matrix has a column per MESH_EXTERNAL ServiceEntry host:port, for workloads, and names the new outcomes in its legend', async () => {
    const cells = await accessMatrix(simulate([...base, stripe, sidecar, egressTo443, denyAll('foo')]));
    const external = cells.filter((c) => c.external);
    // The ServiceEntry in bar is exported everywhere; only bar has a Sidecar, the others pass through under ALLOW_ANY.
    expect(external.map((c) => `${c.from} ${c.to}:${c.port} ${c.outcome}`).sort()).toEqual([
      'bar/sleep api.stripe.com:443 allow', 'foo/httpbin api.stripe.com:443 allow', 'foo/sleep api.stripe.com:443 allow', 'legacy/sleep api.stripe.com:443 allow',
    ]);
    expect(cells.find((c) => c.from === 'foo/sleep' && c.to === 'foo/httpbin')?.outcome).toBe('dropped');
    expect(cells.find((c) => c.from === 'bar/sleep' && c.to === 'foo/httpbin')?.outcome).toBe('blocked');
    expect(cells.filter((c) => c.external && (c.from === 'outside' || c.from === 'ingress'))).toEqual([]);
    const text = formatMatrix(cells, 'markdown');
    expect(text).toContain('api.stripe.com:443');
    expect(text).toContain('dropped: dropped by a NetworkPolicy (the connection times out)');
  });
});
