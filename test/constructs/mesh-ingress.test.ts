import {
  IngressGateway, JwtIssuer, JwtProtectedService, MeshIngress, MeshIngressProps, MeshProps, MeshWorkload, ServicePort,
} from '../../constructs/index.js';
import { catchConfigError, expectConfigError, find, findAll, newNamespace, synth } from './util.js';

const PLAIN_ACK = 'zero-trust-mesh.io/acknowledged-plaintext-ingress';

/** A namespace `shop` with `api` (HTTP 8000 → 8080) exposed by an ingress `public`. */
function exposed(props: Partial<MeshIngressProps> = {}, meshProps: MeshProps = {}) {
  const ns = newNamespace(meshProps);
  const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000, { targetPort: 8080 })] });
  const ingress = new MeshIngress(ns, 'public', { host: 'api.example.com', service: api, ...props });
  return { ns, mesh: ns.mesh, api, ingress };
}

describe('MeshIngress Gateway', () => {
  test('selects the pods of the default (Helm chart) ingress gateway', () => {
    const { mesh } = exposed();
    const gateway = find(synth(mesh), 'Gateway', 'public', 'shop');
    expect(gateway.apiVersion).toBe('networking.istio.io/v1');
    expect(gateway.spec.selector).toEqual({ istio: 'ingressgateway' });
    expect(gateway.spec.selector).toEqual(IngressGateway.helmChart().selector);
  });

  test('selects the labels of a Helm release in its own namespace, and grants its ServiceAccount', () => {
    const gateway = IngressGateway.helmChart({ release: 'istio-public-gw', namespace: 'gateways' });
    const { mesh } = exposed({}, { ingressGateway: gateway });
    const objects = synth(mesh);
    expect(find(objects, 'Gateway', 'public').spec.selector).toEqual({ istio: 'public-gw' });
    expect(find(objects, 'AuthorizationPolicy', 'api').spec.rules[0].from[0].source.principals)
      .toEqual(['cluster.local/ns/gateways/sa/istio-public-gw']);
  });

  test('an istioctl-installed gateway is granted by its ServiceAccount istio-ingressgateway-service-account', () => {
    const { mesh } = exposed({}, { ingressGateway: IngressGateway.istioctl() });
    const objects = synth(mesh);
    expect(find(objects, 'Gateway', 'public').spec.selector).toEqual({ istio: 'ingressgateway' });
    expect(find(objects, 'AuthorizationPolicy', 'api').spec.rules[0].from[0].source.principals)
      .toEqual(['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account']);
  });

  test('a gateway given to the ingress overrides the mesh one', () => {
    const custom = IngressGateway.of({ namespace: 'edge', serviceAccount: 'edge-gw', selector: { app: 'edge' } });
    const { mesh } = exposed({ gateway: custom });
    const objects = synth(mesh);
    expect(find(objects, 'Gateway', 'public').spec.selector).toEqual({ app: 'edge' });
    expect(find(objects, 'AuthorizationPolicy', 'api').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/edge/sa/edge-gw']);
  });

  test('with TLS: HTTPS 443 terminating with the credential, and HTTP 80 redirecting; hosts are <ns>/<host>', () => {
    const { mesh } = exposed({ tlsCredentialName: 'api-tls' });
    expect(find(synth(mesh), 'Gateway', 'public').spec.servers).toEqual([
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['shop/api.example.com'], tls: { mode: 'SIMPLE', credentialName: 'api-tls' } },
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop/api.example.com'], tls: { httpsRedirect: true } },
    ]);
  });

  test('without TLS in dev: plain HTTP 80 only, recorded as permitted by the stage', () => {
    const { mesh } = exposed({}, { stage: 'dev' });
    const gateway = find(synth(mesh), 'Gateway', 'public');
    expect(gateway.spec.servers).toEqual([{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop/api.example.com'] }]);
    expect(gateway.metadata.annotations).toEqual({ 'zero-trust-mesh.io/acknowledged-plaintext-ingress': 'permitted by stage dev (no reason given in acknowledgements.plaintextIngress)' });
  });
});

describe('MeshIngress VirtualService', () => {
  test('routes the prefixes to the service FQDN and Service port, bound to the ingress Gateway', () => {
    const { mesh } = exposed({ pathPrefixes: ['/products', '/reviews'] });
    const vs = find(synth(mesh), 'VirtualService', 'public', 'shop');
    expect(vs.apiVersion).toBe('networking.istio.io/v1');
    expect(vs.spec).toEqual({
      hosts: ['api.example.com'],
      gateways: ['shop/public'],
      http: [{
        name: 'api',
        match: [{ uri: { prefix: '/products' } }, { uri: { prefix: '/reviews' } }],
        route: [{ destination: { host: 'api.shop.svc.cluster.local', port: { number: 8000 } } }],
      }],
    });
  });

  test('routes "/" by default', () => {
    const { mesh } = exposed();
    expect(find(synth(mesh), 'VirtualService', 'public').spec.http[0].match).toEqual([{ uri: { prefix: '/' } }]);
  });

  test('routes to the named HTTP port', () => {
    const ns = newNamespace();
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000), ServicePort.http(9000, { suffix: 'admin', targetPort: 9090 })] });
    new MeshIngress(ns, 'admin', { host: 'admin.example.com', service: api, port: 9000 });
    const objects = synth(ns.mesh);
    expect(find(objects, 'VirtualService', 'admin').spec.http[0].route[0].destination.port).toEqual({ number: 9000 });
    expect(find(objects, 'AuthorizationPolicy', 'api').spec.rules[0].to[0].operation.ports).toEqual(['9090']);
  });
});

describe('MeshIngress grant', () => {
  test('the gateway may call the service on the routed paths, on the container port', () => {
    const { mesh, ingress, api } = exposed({ pathPrefixes: ['/products'], methods: ['GET'] });
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'api', 'shop');
    expect(policy.spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] } }],
      to: [{ operation: { ports: ['8080'], methods: ['GET'], paths: ['/products', '/products/*'] } }],
    }]);
    expect(api.grants).toEqual([ingress.grant]);
    expect(ingress.grant.reason).toBe('ingress for api.example.com');
    expect(ingress.host).toBe('api.example.com');
  });

  test('a prefix ending in "/" allows what lies below it', () => {
    const { mesh } = exposed({ pathPrefixes: ['/api/'] });
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules[0].to[0].operation.paths).toEqual(['/api/*']);
  });

  test('the "/" prefix allows every path', () => {
    const { mesh } = exposed({ pathPrefixes: ['/'] });
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules[0].to[0].operation).toEqual({ ports: ['8080'] });
  });

  test('to a JwtProtectedService, the gateway must also carry an end-user token', () => {
    const ns = newNamespace();
    const issuer = JwtIssuer.okta({ domain: 'corp.okta.com', audiences: ['api://products'] });
    const api = new JwtProtectedService(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000, { targetPort: 8080 })], issuers: [issuer] });
    const ingress = new MeshIngress(ns, 'public', { host: 'api.example.com', service: api, pathPrefixes: ['/products'] });
    expect(ingress.grant.endUser).toBe('required');
    expect(find(synth(ns.mesh), 'AuthorizationPolicy', 'api').spec.rules[0].from[0].source).toEqual({
      principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'],
      requestPrincipals: ['https://corp.okta.com/oauth2/default/*'],
    });
  });
});

describe('MeshIngress validation', () => {
  test.each(['Public', 'public_api'])('refuses the name %s', (name) => {
    const ns = newNamespace();
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(80)] });
    expectConfigError(() => new MeshIngress(ns, name, { host: 'api.example.com', service: api }), `MeshIngress "shop/${name}"`, 'name',
      /not a valid DNS-1123 label.*Fix: use a name like "public/);
  });

  test.each(['*', '*.example.com'])('refuses the wildcard host %s', (host) => {
    expectConfigError(() => exposed({ host }), 'MeshIngress "shop/public"', 'host', /is a wildcard host.*Fix: name the exact host, e\.g\. "api\.example\.com"\./);
  });

  test.each(['https://api.example.com', 'API.example.com', 'api.example.com:443', ''])('refuses the host %j', (host) => {
    expectConfigError(() => exposed({ host }), 'MeshIngress "shop/public"', 'host', /not a valid host name.*Fix: use a lower-case DNS name without scheme or port/);
  });

  test('refuses a TCP-only service', () => {
    const ns = newNamespace();
    const db = new MeshWorkload(ns, 'db', { image: 'db:1', ports: [ServicePort.tcp(5432)] });
    expectConfigError(() => new MeshIngress(ns, 'db-public', { host: 'db.example.com', service: db }), 'MeshIngress "shop/db-public"', 'port',
      /the service shop\/db has no HTTP port to route to \(its HTTP ports: none\).*Fix: give the service an HTTP port/);
  });

  test('refuses a service without ports', () => {
    const ns = newNamespace();
    const client = new MeshWorkload(ns, 'client', { image: 'curl:8' });
    expectConfigError(() => new MeshIngress(ns, 'client-public', { host: 'c.example.com', service: client }), 'MeshIngress "shop/client-public"', 'port', /Fix: give the service an HTTP port/);
  });

  test('refuses a named TCP port of a mixed service', () => {
    const ns = newNamespace();
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000), ServicePort.tcp(9000)] });
    expectConfigError(() => new MeshIngress(ns, 'public', { host: 'api.example.com', service: api, port: 9000 }), 'MeshIngress "shop/public"', 'port',
      /has no HTTP port 9000 to route to \(its HTTP ports: 8000\)\. Fix: route to one of its HTTP ports: 8000\./);
  });

  test('refuses a port the service does not have', () => {
    const error = catchConfigError(() => exposed({ port: 9999 }));
    expect(error.field).toBe('port');
    expect(error.message).toMatch(/^MeshIngress "shop\/public": port: the service shop\/api has no HTTP port 9999 to route to \(its HTTP ports: 8000\)\. Fix: route to one of its HTTP ports: 8000\.$/);
  });

  test.each(['products', '/products*', '/p?'])('refuses the path prefix %s', (prefix) => {
    expectConfigError(() => exposed({ pathPrefixes: ['/ok', prefix] }), 'MeshIngress "shop/public"', 'pathPrefixes[1]',
      /is not a path prefix.*Fix: write a plain prefix starting with "\/"/);
  });
});

describe('MeshIngress guard rails', () => {
  test.each(['staging', 'prod'] as const)('refuses an ingress without TLS in %s', (stage) => {
    expectConfigError(() => exposed({}, { stage }), 'MeshIngress "shop/public"', 'tlsCredentialName',
      new RegExp(`cleartext\\. Environment "test" \\(stage ${stage}\\) refuses this\\. Fix: set tlsCredentialName to the TLS Secret.*acknowledgements\\.plaintextIngress: "<reason>"`));
  });

  test.each(['staging', 'prod'] as const)('allows an ingress without TLS in %s when acknowledged, recorded on the Gateway', (stage) => {
    const { mesh } = exposed({}, { stage, acknowledgements: { plaintextIngress: 'TLS terminated at the cloud LB' } });
    const gateway = find(synth(mesh), 'Gateway', 'public');
    expect(gateway.metadata.annotations).toEqual({ [PLAIN_ACK]: 'TLS terminated at the cloud LB' });
    expect(gateway.spec.servers).toHaveLength(1);
  });

  test('an ingress with TLS in prod needs no acknowledgement', () => {
    const { mesh } = exposed({ tlsCredentialName: 'api-tls' }, { stage: 'prod', acknowledgements: { plaintextIngress: 'unused' } });
    const objects = synth(mesh);
    expect(find(objects, 'Gateway', 'public').metadata.annotations).toBeUndefined();
    expect(findAll(objects, 'VirtualService')).toHaveLength(1);
  });
});

describe('MeshIngress with several services on one host', () => {
  const OIDC = JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['shop'] });

  function site() {
    const ns = newNamespace();
    const web = new MeshWorkload(ns, 'web', { image: 'web:1', ports: [ServicePort.http(8080)] });
    const api = new JwtProtectedService(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000, { targetPort: 8080 })], issuers: [OIDC] });
    return { ns, web, api };
  }

  test('one Gateway and one VirtualService; routes in order; a grant per service on its own paths', () => {
    const { ns, web, api } = site();
    const ingress = new MeshIngress(ns, 'shop', {
      host: 'shop.example.com', tlsCredentialName: 'shop-tls',
      routes: [
        { service: api, pathPrefixes: ['/api/admin'], methods: ['DELETE'], claims: { groups: ['admin'] } },
        { service: web, pathPrefixes: ['/'] },
      ],
    });
    const objects = synth(ns.mesh);
    expect(findAll(objects, 'Gateway').map((g) => g.metadata.name)).toEqual(['shop']);
    expect(find(objects, 'VirtualService', 'shop').spec.http).toEqual([
      { name: 'api', match: [{ uri: { prefix: '/api/admin' } }], route: [{ destination: { host: 'api.shop.svc.cluster.local', port: { number: 8000 } } }] },
      { name: 'web', match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'web.shop.svc.cluster.local', port: { number: 8080 } } }] },
    ]);
    expect(ingress.grants).toHaveLength(2);
    // The admin route's grant needs the token AND the admin group, on DELETE under /api/admin only.
    expect(find(objects, 'AuthorizationPolicy', 'api').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'], requestPrincipals: ['https://login.example.com/*'] } }],
      to: [{ operation: { ports: ['8080'], methods: ['DELETE'], paths: ['/api/admin', '/api/admin/*'] } }],
      when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }],
    }]);
    expect(find(objects, 'AuthorizationPolicy', 'web').spec.rules[0].to).toEqual([{ operation: { ports: ['8080'] } }]);
    expect(ns.mesh.synthesize().findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  test('a prefix an earlier route already matches is refused: it would never be reached', () => {
    const { ns, web, api } = site();
    expectConfigError(() => new MeshIngress(ns, 'shop', {
      host: 'shop.example.com', routes: [{ service: web, pathPrefixes: ['/'] }, { service: api, pathPrefixes: ['/api'] }],
    }), 'MeshIngress "shop/shop"', 'routes[1].pathPrefixes[0]', /never reached: the earlier prefix "\/" \(routes\[0\]\)/);
  });

  test('a second MeshIngress for the same host is refused, naming the first', () => {
    const { ns, web, api } = site();
    new MeshIngress(ns, 'web', { host: 'shop.example.com', service: web, pathPrefixes: ['/web'] });
    expectConfigError(() => new MeshIngress(ns, 'api', { host: 'shop.example.com', service: api, pathPrefixes: ['/api'] }),
      'MeshIngress "shop/api"', 'host', /already served by MeshIngress "shop\/web".*Fix: route every path of the host from one MeshIngress/);
  });

  test('routes together with service, an empty route list, or one service twice are refused', () => {
    const { ns, web } = site();
    expect(catchConfigError(() => new MeshIngress(ns, 'a', { host: 'a.example.com', service: web, routes: [{ service: web }] })).field).toBe('routes');
    expect(catchConfigError(() => new MeshIngress(ns, 'b', { host: 'b.example.com', routes: [] })).field).toBe('routes');
    expect(catchConfigError(() => new MeshIngress(ns, 'c', { host: 'c.example.com', routes: [{ service: web, pathPrefixes: ['/a'] }, { service: web, pathPrefixes: ['/b'] }] })).field).toBe('routes[1].service');
    expect(catchConfigError(() => new MeshIngress(ns, 'd', { host: 'd.example.com' })).field).toBe('service');
  });
});
