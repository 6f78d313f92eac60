// External calls through the mesh's egress gateway: the caller's sidecar sends the host to the
// gateway over Istio mTLS, the gateway admits only the callers granted the host, and the callers'
// NetworkPolicy reaches the gateway's pods instead of the internet.
import { EgressGateway, ExternalHost } from '../../constructs/index.js';
import { analyze } from '../../analysis/analyze.js';
import { expectConfigError, find, findAll, shopAndBilling as shopAndBillingWith, synth } from './util.js';

const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
const shopAndBilling = (gateway = EgressGateway.helmChart()) => shopAndBillingWith({ egressGateway: gateway });

describe('EgressGateway', () => {
  test('helmChart(): the release names the Service and the istio label; the chart listens on the Service ports', () => {
    const gw = EgressGateway.helmChart({ release: 'istio-egress', namespace: 'istio-egress' });
    expect(gw).toMatchObject({ namespace: 'istio-egress', service: 'istio-egress', selector: { istio: 'egress' }, port: 443, targetPort: 443 });
    expect(gw.serviceHost).toBe('istio-egress.istio-egress.svc.cluster.local');
  });

  test('istioctl(): the demo profile\'s names, 443 → 8443', () => {
    expect(EgressGateway.istioctl()).toMatchObject({ namespace: 'istio-system', service: 'istio-egressgateway', selector: { istio: 'egressgateway' }, port: 443, targetPort: 8443 });
  });

  test.each<[string, () => unknown, string, RegExp]>([
    ['an empty selector', () => EgressGateway.of({ namespace: 'egress', service: 'gw', selector: {} }), 'selector', /would apply to every pod/],
    ['a bad namespace', () => EgressGateway.of({ namespace: 'Egress', service: 'gw', selector: { istio: 'egress' } }), 'namespace', /./],
    ['a bad port', () => EgressGateway.of({ namespace: 'egress', service: 'gw', selector: { istio: 'egress' }, port: 70000 }), 'port', /./],
  ])('refused: %s', (_, make, field, message) => {
    expectConfigError(make, 'EgressGateway.of()', field, message);
  });
});

describe('allowTo(ExternalHost) through the egress gateway', () => {
  test('one set of routing objects per host, with the gateway; nothing in the callers\' namespaces', () => {
    const { mesh, api, web, ledger } = shopAndBilling();
    api.allowTo(ExternalHost.https('api.stripe.com'));
    web.allowTo(ExternalHost.https('api.stripe.com'));
    ledger.allowTo(ExternalHost.http('status.partner.example'));
    const objects = synth(mesh);
    expect(findAll(objects, 'ServiceEntry').map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort())
      .toEqual(['istio-system/egress-api-stripe-com-443', 'istio-system/egress-status-partner-example-80']);

    // The ServiceEntry resolves by DNS and is seen by the gateway and the callers' namespaces only.
    expect(find(objects, 'ServiceEntry', 'egress-api-stripe-com-443', 'istio-system').spec).toEqual({
      hosts: ['api.stripe.com'], exportTo: ['.', 'shop'], location: 'MESH_EXTERNAL', resolution: 'DNS',
      ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }],
    });
    expect(find(objects, 'ServiceEntry', 'egress-status-partner-example-80', 'istio-system').spec.exportTo).toEqual(['.', 'billing']);

    // The gateway terminates Istio mTLS for the host, so it knows who calls.
    expect(find(objects, 'Gateway', 'egress-api-stripe-com-443', 'istio-system').spec).toEqual({
      selector: { istio: 'egressgateway' },
      servers: [{ port: { number: 443, name: 'tls-egress', protocol: 'TLS' }, hosts: ['istio-system/api.stripe.com'], tls: { mode: 'ISTIO_MUTUAL' } }],
    });
    expect(find(objects, 'Gateway', 'egress-status-partner-example-80', 'istio-system').spec.servers[0].port).toEqual({ number: 443, name: 'https-egress', protocol: 'HTTPS' });

    // TLS: the mesh hop by SNI to the gateway's subset, the gateway's hop as TCP to the host.
    expect(find(objects, 'VirtualService', 'egress-api-stripe-com-443', 'istio-system').spec).toEqual({
      hosts: ['api.stripe.com'],
      gateways: ['mesh', 'istio-system/egress-api-stripe-com-443'],
      exportTo: ['.', 'shop'],
      tls: [{
        match: [{ gateways: ['mesh'], port: 443, sniHosts: ['api.stripe.com'] }],
        route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'api-stripe-com-443', port: { number: 443 } } }],
      }],
      tcp: [{ match: [{ gateways: ['istio-system/egress-api-stripe-com-443'], port: 443 }], route: [{ destination: { host: 'api.stripe.com', port: { number: 443 } } }] }],
    });
    // HTTP: routed by port on the mesh side, by the gateway on the other.
    expect(find(objects, 'VirtualService', 'egress-status-partner-example-80', 'istio-system').spec.http).toEqual([
      { name: 'to-egress-gateway', match: [{ gateways: ['mesh'], port: 80 }], route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'status-partner-example-80', port: { number: 443 } } }] },
      { name: 'to-host', match: [{ gateways: ['istio-system/egress-status-partner-example-80'], port: 443 }], route: [{ destination: { host: 'status.partner.example', port: { number: 80 } } }] },
    ]);

    // The callers' sidecars reach the gateway over Istio mTLS, with the host as SNI (auto mTLS
    // would send plaintext to gateway pods, and the gateway could not tell callers apart).
    expect(find(objects, 'DestinationRule', 'istio-egressgateway-egress-routes', 'istio-system').spec).toEqual({
      host: 'istio-egressgateway.istio-system.svc.cluster.local',
      exportTo: ['.', 'billing', 'shop'],
      subsets: [
        { name: 'api-stripe-com-443', trafficPolicy: { portLevelSettings: [{ port: { number: 443 }, tls: { mode: 'ISTIO_MUTUAL', sni: 'api.stripe.com' } }] } },
        { name: 'status-partner-example-80', trafficPolicy: { portLevelSettings: [{ port: { number: 443 }, tls: { mode: 'ISTIO_MUTUAL', sni: 'status.partner.example' } }] } },
      ],
    });
  });

  test('the gateway admits exactly the workloads granted each host', () => {
    const { mesh, api, web, ledger } = shopAndBilling();
    api.allowTo(ExternalHost.https('api.stripe.com'));
    web.allowTo(ExternalHost.https('api.stripe.com'));
    ledger.allowTo(ExternalHost.http('status.partner.example'));
    const objects = synth(mesh);
    const stripe = find(objects, 'AuthorizationPolicy', 'egress-api-stripe-com-443', 'istio-system');
    expect(stripe.spec).toEqual({
      selector: { matchLabels: { istio: 'egressgateway' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/api', 'cluster.local/ns/shop/sa/web'] } }], when: [{ key: 'connection.sni', values: ['api.stripe.com'] }] }],
    });
    expect(find(objects, 'AuthorizationPolicy', 'egress-status-partner-example-80', 'istio-system').spec.rules[0].from[0].source.principals)
      .toEqual(['cluster.local/ns/billing/sa/ledger']);
  });

  test('the caller reaches the gateway\'s pods, not the internet, and imports the host and the gateway', () => {
    const { mesh, api } = shopAndBilling(EgressGateway.istioctl());
    api.allowTo(ExternalHost.https('api.stripe.com', { cidrs: ['198.51.100.0/24'] }));
    const objects = synth(mesh);
    expect(find(objects, 'NetworkPolicy', 'api', 'shop').spec.egress).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'egressgateway' } } }],
      ports: tcp(8443, 15008),
    }]);
    expect(find(objects, 'Sidecar', 'default', 'shop').spec.egress[0].hosts).toEqual([
      'istio-system/api.stripe.com', 'istio-system/istio-egressgateway.istio-system.svc.cluster.local',
    ]);
    expect(find(objects, 'Sidecar', 'default', 'billing').spec.egress[0].hosts).toEqual(['~/*']);
  });

  test('long host names give stable DNS-label subset names', () => {
    const long = `${'a'.repeat(40)}.${'b'.repeat(30)}.example.com`;
    const subsetOf = () => {
      const { mesh, api } = shopAndBilling();
      api.allowTo(ExternalHost.https(long));
      return find(synth(mesh), 'DestinationRule', 'istio-egressgateway-egress-routes').spec.subsets[0].name as string;
    };
    const name = subsetOf();
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(subsetOf()).toBe(name);
  });

  test('a TCP host is refused: the gateway could not tell its destinations apart', () => {
    const { ledger } = shopAndBilling();
    expectConfigError(() => ledger.allowTo(ExternalHost.tcp('db.partner.example', 5432, { cidrs: ['203.0.113.10/32'] })),
      'MeshWorkload "billing/ledger"', 'allowTo', /is a TCP host.*Fix: reach the host over TLS \(ExternalHost\.https\("db\.partner\.example"\)\), or define this mesh without egressGateway/);
  });

  test('the analyzer finds no error in the routing objects', () => {
    const { mesh, api, ledger } = shopAndBilling();
    api.allowTo(ExternalHost.https('api.stripe.com'));
    ledger.allowTo(ExternalHost.http('status.partner.example'));
    const findings = analyze(synth(mesh), { rootNamespace: 'istio-system', trustDomain: 'cluster.local' });
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
