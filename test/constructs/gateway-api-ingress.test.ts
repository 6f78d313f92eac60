// MeshIngress with api: 'gateway-api': a Kubernetes Gateway (class istio) and HTTPRoute instead of
// Istio's Gateway and VirtualService, with the grants from the gateway Istio deploys (<name>-istio).
import { analyze } from '../../analysis/index.js';
import { AccessSimulator } from '../../analysis/access/simulator.js';
import { MeshModel } from '../../analysis/model.js';
import {
  JwtIssuer, JwtProtectedService, MeshIngress, MeshIngressProps, MeshWorkload, ServicePort, ZeroTrustNamespace,
} from '../../constructs/index.js';
import { crdErrors, crdFixtures } from '../helpers/crd-schema.js';
import { expectConfigError, find, findAll, K8sObject, newNamespace, synth } from './util.js';

const HTTP = ServicePort.http(8000, { targetPort: 8080 });

function exposed(props: Partial<MeshIngressProps> = {}) {
  const ns = newNamespace();
  const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [HTTP] });
  const ingress = new MeshIngress(ns, 'public', { host: 'api.example.com', service: api, api: 'gateway-api', tlsCredentialName: 'api-tls', ...props });
  return { ns, mesh: ns.mesh, api, ingress, objects: synth(ns.mesh) };
}

const gatewayApiObjects = (objects: readonly K8sObject[]) => objects.filter((o) => o.apiVersion.startsWith('gateway.networking.k8s.io/'));

describe('MeshIngress on the Gateway API', () => {
  test('emits a Gateway of class istio and an HTTPRoute, valid against the v1.5.1 CRDs, and no Istio Gateway or VirtualService', () => {
    const { objects, ingress } = exposed();
    const gateway = find(objects, 'Gateway', 'public', 'shop');
    expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gateway.spec).toEqual({
      gatewayClassName: 'istio',
      listeners: [{
        name: 'https', hostname: 'api.example.com', port: 443, protocol: 'HTTPS',
        tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'api-tls' }] },
        allowedRoutes: { namespaces: { from: 'Same' } },
      }],
    });
    expect(find(objects, 'HTTPRoute', 'public', 'shop').spec).toEqual({
      parentRefs: [{ name: 'public', sectionName: 'https' }], hostnames: ['api.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'api', port: 8000 }] }],
    });
    expect(findAll(objects, 'VirtualService')).toEqual([]);
    expect(findAll(objects, 'ReferenceGrant')).toEqual([]);
    for (const o of gatewayApiObjects(objects)) {
      expect([o.kind, crdErrors(o, crdFixtures().get(`${o.apiVersion}/${o.kind}`)!)]).toEqual([o.kind, []]);
    }
    expect(ingress.api).toBe('gateway-api');
    expect(ingress.gatewayIdentity.serviceAccount).toBe('public-istio');
  });

  test('the backend admits the gateway Istio deploys, <name>-istio in the Gateway\'s namespace, and nobody else', () => {
    const { objects } = exposed();
    expect(find(objects, 'AuthorizationPolicy', 'api').spec.rules.map((r: any) => r.from[0].source.principals))
      .toEqual([['cluster.local/ns/shop/sa/public-istio']]);
    // Its NetworkPolicy admits the gateway's pods, which carry the Gateway's name.
    expect(find(objects, 'NetworkPolicy', 'api').spec.ingress[0].from[0].podSelector)
      .toEqual({ matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } });
    // The gateway's own pods: in from anywhere on 443 only, out to api's pods.
    const gwNet = find(objects, 'NetworkPolicy', 'public-istio');
    expect(gwNet.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 443 }] }]);
    expect(gwNet.spec.egress[0].to[0].podSelector).toEqual({ matchLabels: { app: 'api' } });
  });

  test('the analyzer finds no error, and the simulator lets the internet reach api through the gateway only', async () => {
    const { objects } = exposed();
    expect(analyze(objects).filter((f) => f.severity === 'error')).toEqual([]);
    const sim = new AccessSimulator(new MeshModel(objects.map((manifest) => ({ manifest: manifest as never }))));
    const via = { from: { outside: true } as const, to: 'shop/public-istio', port: 443, headers: { host: 'api.example.com' } };
    expect((await sim.check({ ...via, path: '/anything' })).outcome).toBe('allow');
    expect((await sim.check({ ...via, headers: { host: 'other.example.com' } })).outcome).toBe('reset');
    expect((await sim.check({ ...via, port: 80 })).outcome).toBe('reset');
    expect((await sim.check({ from: { outside: true }, to: 'shop/api', port: 8000 })).outcome).not.toBe('allow');
  });

  test('a certificate in another namespace gets a ReferenceGrant there, for this Gateway\'s namespace only', () => {
    const { objects } = exposed({ tlsCredentialNamespace: 'certs' });
    expect(find(objects, 'Gateway', 'public').spec.listeners[0].tls.certificateRefs).toEqual([{ group: '', kind: 'Secret', name: 'api-tls', namespace: 'certs' }]);
    const grant = find(objects, 'ReferenceGrant', 'shop-public-certificate', 'certs');
    expect(grant.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(grant.spec).toEqual({ from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'shop' }], to: [{ group: '', kind: 'Secret', name: 'api-tls' }] });
    expect(crdErrors(grant, crdFixtures().get('gateway.networking.k8s.io/v1beta1/ReferenceGrant')!)).toEqual([]);
    expect(analyze(objects).filter((f) => f.severity === 'error')).toEqual([]);
  });

  test('a route to another namespace\'s service names it, and a ReferenceGrant there permits the HTTPRoute', () => {
    const ns = newNamespace();
    const web = new MeshWorkload(ns, 'web', { image: 'web:1', ports: [HTTP] });
    const store = new MeshWorkload(new ZeroTrustNamespace(ns.mesh, 'store'), 'catalog', { image: 'c:1', ports: [HTTP] });
    new MeshIngress(ns, 'public', {
      host: 'shop.example.com', api: 'gateway-api', tlsCredentialName: 'shop-tls',
      // The Gateway and HTTPRoute go in the first route's namespace, shop.
      routes: [{ service: web, pathPrefixes: ['/shop'] }, { service: store, pathPrefixes: ['/catalog'] }],
    });
    const objects = synth(ns.mesh);
    expect(find(objects, 'HTTPRoute', 'public', 'shop').spec.rules.map((r: any) => r.backendRefs))
      .toEqual([[{ name: 'web', port: 8000 }], [{ name: 'catalog', port: 8000, namespace: 'store' }]]);
    expect(find(objects, 'ReferenceGrant', 'shop-public-routes', 'store').spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'shop' }], to: [{ group: '', kind: 'Service', name: 'catalog' }],
    });
    expect(find(objects, 'AuthorizationPolicy', 'catalog', 'store').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/shop/sa/public-istio']);
    expect(analyze(objects).filter((f) => f.severity === 'error')).toEqual([]);
  });

  test('routes among versions become weighted backendRefs to one Service per version, header routes first', () => {
    const ns = newNamespace();
    const api = new MeshWorkload(ns, 'api', {
      image: 'api:1', ports: [HTTP], versions: [{ name: 'v1' }, { name: 'v2', image: 'api:2' }],
      routes: [{ name: 'testers', headers: { 'end-user': 'jason' }, weights: { v2: 100 } }, { weights: { v1: 90, v2: 10 } }],
    });
    new MeshIngress(ns, 'public', { host: 'api.example.com', service: api, api: 'gateway-api', tlsCredentialName: 'api-tls' });
    const objects = synth(ns.mesh);
    expect(find(objects, 'HTTPRoute', 'public').spec.rules).toEqual([
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'end-user', value: 'jason' }] }], backendRefs: [{ name: 'api-v2', port: 8000 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'api-v1', port: 8000, weight: 90 }, { name: 'api-v2', port: 8000, weight: 10 }] },
    ]);
    expect(find(objects, 'Service', 'api-v2').spec.selector).toEqual({ app: 'api', version: 'v2' });
    expect(analyze(objects).filter((f) => f.severity === 'error')).toEqual([]);
  });

  test('a token-protected service gets JWT validation and a token requirement at the gateway, by targetRefs', () => {
    const ns = newNamespace();
    const issuer = JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/keys', audiences: ['api'] });
    const api = new JwtProtectedService(ns, 'api', { image: 'api:1', ports: [HTTP], issuers: [issuer] });
    new MeshIngress(ns, 'public', { host: 'api.example.com', service: api, pathPrefixes: ['/v1'], methods: ['GET'], api: 'gateway-api', tlsCredentialName: 'api-tls' });
    const objects = synth(ns.mesh);
    const targetRefs = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }];
    const ra = find(objects, 'RequestAuthentication', 'public-gateway');
    expect(ra.spec).toEqual({ targetRefs, jwtRules: [{ issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/keys', audiences: ['api'], forwardOriginalToken: true }] });
    const ap = find(objects, 'AuthorizationPolicy', 'public-gateway');
    expect(ap.spec).toEqual({
      targetRefs, action: 'ALLOW',
      rules: [{ from: [{ source: { requestPrincipals: ['https://idp.example.com/*'] } }], to: [{ operation: { ports: ['443'], methods: ['GET'], paths: ['/v1', '/v1/*'] } }] }],
    });
    expect(analyze(objects).filter((f) => f.severity === 'error')).toEqual([]);
  });

  test('plain HTTP is refused outside dev unless acknowledged, as for the Istio form', () => {
    const ns = newNamespace({ stage: 'prod' });
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [HTTP] });
    expectConfigError(() => new MeshIngress(ns, 'public', { host: 'api.example.com', service: api, api: 'gateway-api' }), 'MeshIngress "shop/public"', 'tlsCredentialName', /plain HTTP/);
  });

  test('refuses options of the other API, an unknown API, and a workload that would collide with the gateway', () => {
    const ns = newNamespace();
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [HTTP] });
    expectConfigError(() => new MeshIngress(ns, 'a', { host: 'a.example.com', service: api, api: 'gateway-api', gateway: ns.mesh.ingressGateway }),
      'MeshIngress "shop/a"', 'gateway', /Istio deploys a gateway/);
    expectConfigError(() => new MeshIngress(ns, 'b', { host: 'b.example.com', service: api, tlsCredentialName: 't', tlsCredentialNamespace: 'certs' }),
      'MeshIngress "shop/b"', 'tlsCredentialNamespace', /only for the Gateway API/);
    expectConfigError(() => new MeshIngress(ns, 'c', { host: 'c.example.com', service: api, api: 'gatewayapi' as never }),
      'MeshIngress "shop/c"', 'api', /not an ingress API/);
    new MeshWorkload(ns, 'd-istio', { image: 'x:1' });
    expect(() => new MeshIngress(ns, 'd', { host: 'd.example.com', service: api, api: 'gateway-api' })).toThrow(/d-istio/);
  });
});
