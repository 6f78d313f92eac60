// The L3/L4 and egress side of grants: one grant opens the callee's NetworkPolicy ingress, the
// caller's NetworkPolicy egress and the caller namespace's Sidecar egress hosts; nothing else is open.
import { Callers, ExternalHost, IngressGateway, MeshWorkload, OutboundTrafficPolicy, ServicePort, ZeroTrustNamespace } from '../../constructs/index.js';
import { expectConfigError, find, findAll, newMesh, shopAndBilling, synth } from './util.js';

const image = (name: string) => `registry.example.com/${name}:1.0`;
const podsOf = (namespace: string, app?: string) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
  ...(app ? { podSelector: { matchLabels: { app } } } : {}),
});
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));

test('every namespace: default deny both ways, with only DNS and istiod open', () => {
  const { mesh } = shopAndBilling();
  for (const ns of ['shop', 'billing']) {
    const deny = find(synth(mesh), 'NetworkPolicy', 'default-deny', ns);
    expect(deny.spec.podSelector).toEqual({});
    expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(deny.spec.ingress).toBeUndefined();
    expect(deny.spec.egress).toEqual([
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }], ports: [{ protocol: 'TCP', port: 15012 }] },
    ]);
  }
});

test('a workload grant opens both sides, on the container port (plus HBONE), and imports the host', () => {
  const { mesh, api, web, ledger } = shopAndBilling();
  api.allowFrom(web, { endUser: 'none' });
  ledger.allowFrom(api, { endUser: 'none' });
  const objects = synth(mesh);
  const apiPolicy = find(objects, 'NetworkPolicy', 'api', 'shop');
  expect(apiPolicy.spec.podSelector).toEqual({ matchLabels: { app: 'api' } });
  expect(apiPolicy.spec.ingress).toEqual([{ from: [podsOf('shop', 'web')], ports: tcp(8080, 15008) }]);
  expect(apiPolicy.spec.egress).toEqual([{ to: [podsOf('billing', 'ledger')], ports: tcp(5432, 15008) }]);
  expect(apiPolicy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  expect(find(objects, 'NetworkPolicy', 'web', 'shop').spec).toEqual({
    podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [podsOf('shop', 'api')], ports: tcp(8080, 15008) }],
  });
  expect(find(objects, 'NetworkPolicy', 'ledger', 'billing').spec.ingress).toEqual([{ from: [podsOf('shop', 'api')], ports: tcp(5432, 15008) }]);
  // The ledger calls nothing: no egress but DNS and istiod.
  expect(find(objects, 'NetworkPolicy', 'ledger', 'billing').spec.egress).toBeUndefined();
  expect(find(objects, 'Sidecar', 'default', 'shop').spec).toEqual({
    egress: [{ hosts: ['billing/ledger.billing.svc.cluster.local', 'shop/api.shop.svc.cluster.local'] }],
    outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
  });
  expect(find(objects, 'Sidecar', 'default', 'billing').spec.egress).toEqual([{ hosts: ['~/*'] }]);
});

test('a workload without grants has no NetworkPolicy of its own: the default deny holds it', () => {
  const { mesh } = shopAndBilling();
  expect(findAll(synth(mesh), 'NetworkPolicy').map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(['billing/default-deny', 'shop/default-deny']);
});

test('a namespace grant: ingress from every pod of it; its default deny gains the egress and its Sidecar the host', () => {
  const { mesh, shop, ledger } = shopAndBilling();
  ledger.allowFrom(shop, { endUser: 'none' });
  const objects = synth(mesh);
  expect(find(objects, 'NetworkPolicy', 'ledger', 'billing').spec.ingress).toEqual([{ from: [podsOf('shop')], ports: tcp(5432, 15008) }]);
  expect(find(objects, 'NetworkPolicy', 'default-deny', 'shop').spec.egress.at(-1)).toEqual({ to: [podsOf('billing', 'ledger')], ports: tcp(5432, 15008) });
  expect(find(objects, 'Sidecar', 'default', 'shop').spec.egress[0].hosts).toEqual(['billing/ledger.billing.svc.cluster.local']);
});

test('any authenticated workload: ingress from every pod of the cluster; every namespace may reach it', () => {
  const { mesh, api } = shopAndBilling();
  api.allowFrom(Callers.anyAuthenticatedWorkload(), { endUser: 'none' });
  const objects = synth(mesh);
  expect(find(objects, 'NetworkPolicy', 'api', 'shop').spec.ingress).toEqual([{ from: [{ namespaceSelector: {} }], ports: tcp(8080, 15008) }]);
  for (const ns of ['shop', 'billing']) {
    expect(find(objects, 'NetworkPolicy', 'default-deny', ns).spec.egress.at(-1)).toEqual({ to: [podsOf('shop', 'api')], ports: tcp(8080, 15008) });
    expect(find(objects, 'Sidecar', 'default', ns).spec.egress[0].hosts).toContain('shop/api.shop.svc.cluster.local');
  }
});

test('the ingress gateway: ingress from its pods only; another team\'s service account: from its namespace', () => {
  const gateway = IngressGateway.helmChart({ release: 'istio-ingress', namespace: 'edge' });
  const { mesh, api, ledger } = shopAndBilling({ ingressGateway: gateway });
  api.allowFrom(gateway, { endUser: 'none' });
  ledger.allowFrom(Callers.serviceAccount('reports', 'nightly'), { endUser: 'none' });
  const objects = synth(mesh);
  expect(find(objects, 'NetworkPolicy', 'api', 'shop').spec.ingress).toEqual([{ from: [podsOf('edge')].map((p) => ({ ...p, podSelector: { matchLabels: { istio: 'ingress' } } })), ports: tcp(8080, 15008) }]);
  expect(find(objects, 'NetworkPolicy', 'ledger', 'billing').spec.ingress).toEqual([{ from: [podsOf('reports')], ports: tcp(5432, 15008) }]);
});

test('only the granted ports are opened', () => {
  const mesh = newMesh();
  const ns = new ZeroTrustNamespace(mesh, 'shop');
  const db = new MeshWorkload(ns, 'db', { image: image('db'), ports: [ServicePort.tcp(5432), ServicePort.tcp(9187, { suffix: 'metrics' })] });
  const app = new MeshWorkload(ns, 'app', { image: image('app') });
  db.allowFrom(app, { ports: [5432], endUser: 'none' });
  expect(find(synth(mesh), 'NetworkPolicy', 'db', 'shop').spec.ingress).toEqual([{ from: [podsOf('shop', 'app')], ports: tcp(5432, 15008) }]);
});

test('ALLOW_ANY egress is refused in prod unless acknowledged, and the reason is written on every Sidecar', () => {
  expectConfigError(() => newMesh({ stage: 'prod', outboundTrafficPolicy: OutboundTrafficPolicy.ALLOW_ANY }), 'Mesh "test"', 'outboundTrafficPolicy', /ALLOW_ANY lets every sidecar forward requests to any host.*acknowledgements\.allowAnyEgress/);
  const { mesh } = shopAndBilling({ stage: 'prod', outboundTrafficPolicy: OutboundTrafficPolicy.ALLOW_ANY, acknowledgements: { allowAnyEgress: 'legacy batch jobs, OPS-7' } });
  const sidecar = find(synth(mesh), 'Sidecar', 'default', 'shop');
  expect(sidecar.spec.outboundTrafficPolicy).toEqual({ mode: 'ALLOW_ANY' });
  expect(sidecar.metadata.annotations).toEqual({ 'zero-trust-mesh.io/acknowledged-allow-any-egress': 'legacy batch jobs, OPS-7' });
  const dev = shopAndBilling({ stage: 'dev', outboundTrafficPolicy: OutboundTrafficPolicy.ALLOW_ANY }).mesh;
  expect(find(synth(dev), 'Sidecar', 'default', 'shop').spec.outboundTrafficPolicy).toEqual({ mode: 'ALLOW_ANY' });
});

describe('allowTo(ExternalHost)', () => {
  test('a ServiceEntry seen by the caller\'s namespace only, its Sidecar host, and the caller\'s egress on the port', () => {
    const { mesh, api, web } = shopAndBilling();
    api.allowTo(ExternalHost.https('api.stripe.com'));
    web.allowTo(ExternalHost.https('api.stripe.com'));
    const objects = synth(mesh);
    expect(findAll(objects, 'ServiceEntry')).toHaveLength(1);
    expect(find(objects, 'ServiceEntry', 'api-stripe-com-443', 'shop').spec).toEqual({
      hosts: ['api.stripe.com'], exportTo: ['.'], location: 'MESH_EXTERNAL', resolution: 'DNS',
      ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }],
    });
    expect(find(objects, 'Sidecar', 'default', 'shop').spec.egress[0].hosts).toEqual(['./api.stripe.com']);
    expect(find(objects, 'Sidecar', 'default', 'billing').spec.egress[0].hosts).toEqual(['~/*']);
    expect(find(objects, 'NetworkPolicy', 'api', 'shop').spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443) }]);
    expect(api.externalHosts).toEqual(['api.stripe.com:443']);
  });

  test('TCP needs the host\'s addresses, which become the ServiceEntry\'s and the NetworkPolicy\'s', () => {
    const { mesh, ledger } = shopAndBilling();
    ledger.allowTo(ExternalHost.tcp('db.partner.example', 5432, { cidrs: ['203.0.113.10/32'] }));
    const objects = synth(mesh);
    expect(find(objects, 'ServiceEntry', 'db-partner-example-5432', 'billing').spec).toMatchObject({ addresses: ['203.0.113.10/32'], resolution: 'NONE' });
    expect(find(objects, 'NetworkPolicy', 'ledger', 'billing').spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '203.0.113.10/32' } }], ports: tcp(5432) }]);
  });

  test.each<[string, () => unknown, string, string, RegExp]>([
    ['a wildcard', () => ExternalHost.https('*.stripe.com'), '*.stripe.com', 'host', /is a wildcard/],
    ['a bare name', () => ExternalHost.https('stripe'), 'stripe', 'host', /has no dot/],
    ['TCP without addresses', () => ExternalHost.tcp('db.partner.example', 5432, { cidrs: [] }), 'db.partner.example', 'cidrs', /is empty for a TCP host/],
    ['a bad CIDR', () => ExternalHost.https('api.stripe.com', { cidrs: ['10.0.0.0'] }), 'api.stripe.com', 'cidrs', /is not an IPv4 CIDR/],
  ])('refused: %s', (_, make, host, field, message) => {
    expectConfigError(make, `ExternalHost "${host}"`, field, message);
  });

  test('refused for a workload without a sidecar: nothing would enforce the host', () => {
    const mesh = newMesh();
    const plain = new MeshWorkload(new ZeroTrustNamespace(mesh, 'legacy'), 'batch', { image: image('batch'), sidecar: false });
    expectConfigError(() => plain.allowTo(ExternalHost.https('api.stripe.com')), 'MeshWorkload "legacy/batch"', 'allowTo',
      /runs without a sidecar.*Fix: enrol the workload in the mesh \(sidecar: true\), or give it no external access/);
  });
});
