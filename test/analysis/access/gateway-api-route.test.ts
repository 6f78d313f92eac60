// Requests through a Kubernetes Gateway API gateway (ISTIO.md §10, §13 steps 6–9): listener,
// route attachment and precedence, ReferenceGrant permission, the gateway's own policies, and the
// hop from the gateway's identity <gateway>-istio to the backend.
import { accessMatrix } from '../../../analysis/access/matrix.js';
import { AccessRequest, AccessSimulator, SimulatorOptions } from '../../../analysis/access/simulator.js';
import { MeshModel } from '../../../analysis/model.js';
import type { Manifest } from '../../../manifests/index.js';

const ns = (name: string, labels: Record<string, string> = { 'istio-injection': 'enabled' }): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
function app(namespace: string, name: string, extraLabels: Record<string, string> = {}): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: { selector: { matchLabels: { app: name, ...extraLabels } }, template: { metadata: { labels: { app: name, ...extraLabels } }, spec: { serviceAccountName: name, containers: [{ name, image: `example/${name}:1`, ports: [{ containerPort: 8080 }] }] } } },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name, ...extraLabels }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  ];
}
const gw = (kind: string, namespace: string, name: string, spec: Record<string, unknown>, apiVersion = 'gateway.networking.k8s.io/v1'): Manifest => ({ apiVersion, kind, metadata: { name, namespace }, spec });
const policy = (namespace: string, name: string, spec: Record<string, unknown>, kind = 'AuthorizationPolicy'): Manifest => ({ apiVersion: 'security.istio.io/v1', kind, metadata: { name, namespace }, spec });
const HTTPS = { name: 'https', hostname: 'shop.example.com', port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ name: 'shop-tls' }] } };
const gateway = (listeners: unknown[] = [HTTPS]) => gw('Gateway', 'edge', 'public', { gatewayClassName: 'istio', listeners });
const route = (namespace: string, name: string, spec: Record<string, unknown>) => gw('HTTPRoute', namespace, name, { parentRefs: [{ name: 'public', namespace: 'edge' }], hostnames: ['shop.example.com'], ...spec });
const backend = (name: string, port = 80, namespace?: string) => ({ name, port, ...(namespace ? { namespace } : {}) });
/** Each app admits the gateway's identity only. */
const fromGateway = (namespace: string, app_: string, principal = 'cluster.local/ns/edge/sa/public-istio') => policy(namespace, app_, { selector: { matchLabels: { app: app_ } }, rules: [{ from: [{ source: { principals: [principal] } }] }] });

const base: Manifest[] = [
  ns('istio-system'), ns('edge'), ns('shop'),
  ...app('edge', 'api'), ...app('edge', 'web'), ...app('edge', 'admin'), ...app('shop', 'cart'),
  fromGateway('edge', 'api'), fromGateway('edge', 'web'), fromGateway('edge', 'admin'), fromGateway('shop', 'cart'),
  policy('istio-system', 'allow-nothing', {}),
];

function simulator(extra: Manifest[], options: SimulatorOptions = {}): AccessSimulator {
  return new AccessSimulator(new MeshModel([...base, ...extra].map((manifest) => ({ manifest }))), options);
}
const request = (path: string, more: Partial<AccessRequest> = {}): AccessRequest => ({ from: { outside: true }, to: 'edge/public-istio', port: 443, path, headers: { host: 'shop.example.com' }, ...more });
/** The gateway admits everyone (the root allow-nothing would deny at the gateway too). */
const openGateway = policy('edge', 'gateway-open', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }], rules: [{}] });

describe('routing on a Gateway API gateway', () => {
  const routes = [gateway(), openGateway, route('edge', 'main', {
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [backend('api')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/api/admin' } }], backendRefs: [backend('admin')] },
      { matches: [{ path: { type: 'Exact', value: '/api/web' } }], backendRefs: [backend('web')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-web', value: '1' }] }], backendRefs: [backend('web')] },
    ],
  })];

  test.each([
    ['/api', 'edge/api:80'],
    ['/api/', 'edge/api:80'],
    ['/api/items', 'edge/api:80'],
    // The longest prefix wins, whatever the rule order.
    ['/api/admin/x', 'edge/admin:80'],
    // An Exact path beats every prefix.
    ['/api/web', 'edge/web:80'],
  ])('%s goes to %s', async (path, to) => {
    const verdict = await simulator(routes).check(request(path));
    expect(verdict.outcome).toBe('allow');
    expect(verdict.reason).toContain(` to ${to};`);
    expect(verdict.reason).toContain('auto mTLS from Gateway API gateway edge/public-istio');
  });

  test('PathPrefix is element-wise: /api does not match /apix (404), unlike an AuthorizationPolicy "/api*"', async () => {
    const verdict = await simulator(routes).check(request('/apix'));
    expect(verdict).toEqual({ outcome: 'no-route', reason: expect.stringContaining('matches GET /apix on shop.example.com (404)') });
  });

  test('at equal paths, the match with more header conditions wins', async () => {
    expect((await simulator(routes).check(request('/api/x', { headers: { host: 'shop.example.com', 'x-web': '1' } }))).reason).toContain(' to edge/web:80;');
  });

  test('a Host no listener serves fails the TLS handshake on an HTTPS port; a port with no listener refuses', async () => {
    expect((await simulator(routes).check(request('/api', { headers: { host: 'other.example.com' } }))).outcome).toBe('reset');
    expect((await simulator(routes).check(request('/api', { port: 80 }))).outcome).toBe('reset');
  });

  test('the {"ingress": true} form finds the route to a Service, and says so when none leads there', async () => {
    const sim = simulator(routes);
    expect((await sim.check({ from: { ingress: true }, to: 'edge/admin', port: 80, path: '/api/admin' })).outcome).toBe('allow');
    expect((await sim.check({ from: { ingress: true }, to: 'shop/cart', port: 80, path: '/api' })).outcome).toBe('no-route');
  });

  test('no route: the Gateway API gateway\'s reason, and the Istio Gateways\' too when there are some', async () => {
    const onlyGatewayApi = await simulator(routes).check({ from: { ingress: true }, to: 'shop/cart', port: 80, path: '/api' });
    expect([onlyGatewayApi.outcome, onlyGatewayApi.reason]).toEqual(['no-route', 'no Gateway API gateway routes GET /api to shop/cart:80 (404)']);
    const istioGateway = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'legacy', namespace: 'edge' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/legacy.example.com'] }] } };
    const both = await simulator([...routes, istioGateway]).check({ from: { ingress: true }, to: 'shop/cart', port: 80, path: '/api' });
    expect([both.outcome, both.reason]).toEqual(['no-route', 'the ingress gateway routes GET /api to no port of shop/cart:80 (404); no Gateway API gateway routes GET /api to shop/cart:80 (404)']);
  });

  test('the {"ingress": true} form routes on the client\'s headers when it gives them', async () => {
    const sim = simulator(routes);
    // Only the rule that asks for x-web: 1 leads /api/items to web; without the header, api takes it.
    expect((await sim.check({ from: { ingress: true }, to: 'edge/web', port: 80, path: '/api/items', headers: { 'x-web': '1' } })).outcome).toBe('allow');
    expect((await sim.check({ from: { ingress: true }, to: 'edge/web', port: 80, path: '/api/items' })).outcome).toBe('no-route');
  });

  test('a request without a path asks for `/`', async () => {
    const root = route('edge', 'root', { rules: [{ matches: [{ path: { type: 'Exact', value: '/' } }], backendRefs: [backend('web')] }] });
    const verdict = await simulator([gateway(), openGateway, root]).check({ from: { outside: true }, to: 'edge/public-istio', port: 443, headers: { host: 'shop.example.com' } });
    expect(verdict.outcome).toBe('allow');
    expect(verdict.reason).toContain('edge/web:80');
  });

  test('a request without a Host header to a gateway with one named host uses it; an unknown gateway name is a usage error', async () => {
    const sim = simulator(routes);
    expect((await sim.check({ from: { outside: true }, to: 'edge/public-istio', port: 443, path: '/api' })).outcome).toBe('allow');
    await expect(sim.check({ from: { outside: true }, to: 'edge/public', port: 443, path: '/api' })).rejects.toThrow(/not a Service/);
  });
});

describe('references across namespaces need consent', () => {
  const crossRoute = route('edge', 'to-cart', { rules: [{ backendRefs: [backend('cart', 80, 'shop')] }] });
  const grantRoutes = gw('ReferenceGrant', 'shop', 'from-edge', {
    from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'edge' }], to: [{ group: '', kind: 'Service', name: 'cart' }],
  }, 'gateway.networking.k8s.io/v1beta1');

  test('a backend in another namespace without a ReferenceGrant answers 500; with one, the gateway\'s identity reaches it', async () => {
    const denied = await simulator([gateway(), openGateway, crossRoute]).check(request('/'));
    expect(denied).toEqual({ outcome: 'no-route', reason: expect.stringContaining('no ReferenceGrant in namespace shop') });
    expect(denied.reason).toContain('500');
    expect((await simulator([gateway(), openGateway, crossRoute, grantRoutes]).check(request('/'))).outcome).toBe('allow');
  });

  test('a route in a namespace the listener does not admit is not attached (404); from: All admits it', async () => {
    const shopRoute = route('shop', 'cart', { rules: [{ backendRefs: [backend('cart')] }] });
    expect((await simulator([gateway(), openGateway, shopRoute]).check(request('/'))).outcome).toBe('no-route');
    const all = gateway([{ ...HTTPS, allowedRoutes: { namespaces: { from: 'All' } } }]);
    expect((await simulator([all, openGateway, shopRoute]).check(request('/'))).outcome).toBe('allow');
  });

  test('a certificate in another namespace without a ReferenceGrant drops the HTTPS listener: the connection fails', async () => {
    const elsewhere = gateway([{ ...HTTPS, tls: { mode: 'Terminate', certificateRefs: [{ name: 'shop-tls', namespace: 'shop' }] } }]);
    const r = route('edge', 'main', { rules: [{ backendRefs: [backend('api')] }] });
    const verdict = await simulator([elsewhere, openGateway, r]).check(request('/'));
    expect(verdict).toEqual({ outcome: 'reset', reason: expect.stringContaining('no ReferenceGrant in namespace shop') });
    const grant = gw('ReferenceGrant', 'shop', 'cert', { from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'edge' }], to: [{ group: '', kind: 'Secret' }] }, 'gateway.networking.k8s.io/v1beta1');
    expect((await simulator([elsewhere, openGateway, r, grant]).check(request('/'))).outcome).toBe('allow');
  });

  test('weighted backends: a share sent to an invalid backend is reported (500), so the split does not look clean', async () => {
    const split = route('edge', 'split', { rules: [{ backendRefs: [{ ...backend('api'), weight: 90 }, { ...backend('cart', 80, 'shop'), weight: 10 }] }] });
    expect((await simulator([gateway(), openGateway, split]).check(request('/'))).outcome).toBe('no-route');
    const zero = route('edge', 'split', { rules: [{ backendRefs: [{ ...backend('api'), weight: 90 }, { ...backend('cart', 80, 'shop'), weight: 0 }] }] });
    expect((await simulator([gateway(), openGateway, zero]).check(request('/'))).outcome).toBe('allow');
  });
});

describe('policies at the gateway and the identity the backend sees', () => {
  const r = route('edge', 'main', { rules: [{ backendRefs: [backend('api')] }] });

  test('the root namespace allow-nothing denies at the gateway too, until a policy attached to the Gateway allows', async () => {
    const denied = await simulator([gateway(), r]).check(request('/'));
    expect(denied).toEqual({ outcome: 'deny-403', reason: expect.stringContaining('at the gateway') });
    expect((await simulator([gateway(), r, openGateway]).check(request('/'))).outcome).toBe('allow');
  });

  test('a selector policy on the gateway\'s pods applies while ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is on, not when it is off', async () => {
    const bySelector = policy('edge', 'gw-by-label', { selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/private*'] } }] }] });
    const manifests = [gateway(), r, openGateway, bySelector];
    expect((await simulator(manifests).check(request('/private'))).outcome).toBe('deny-403');
    const off = simulator(manifests, { features: { ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY: 'false' } });
    expect((await off.check(request('/private'))).outcome).toBe('allow');
  });

  test('a backend that names the Gateway, not <gateway>-istio, refuses the gateway (403)', async () => {
    const wrong = [...base.filter((m) => !(m.kind === 'AuthorizationPolicy' && m.metadata.name === 'api')), fromGateway('edge', 'api', 'cluster.local/ns/edge/sa/public')];
    const sim = new AccessSimulator(new MeshModel([...wrong, gateway(), r, openGateway].map((manifest) => ({ manifest }))));
    expect(await sim.check(request('/'))).toEqual({ outcome: 'deny-403', reason: expect.stringContaining('peer cluster.local/ns/edge/sa/public-istio') });
  });

  test('a NetworkPolicy isolating the gateway\'s pods drops the internet\'s connection', async () => {
    const isolate: Manifest = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'edge' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    expect((await simulator([gateway(), r, openGateway, isolate]).check(request('/'))).outcome).toBe('dropped');
  });

  test('the access matrix shows the ingress reaching what the HTTPRoute routes, and only that', async () => {
    const cells = await accessMatrix(simulator([gateway(), r, openGateway]));
    const ingress = cells.filter((c) => c.from === 'ingress' && !c.token);
    expect(Object.fromEntries(ingress.map((c) => [c.to, c.outcome]))).toEqual({ 'edge/admin': 'no-route', 'edge/api': 'allow', 'edge/web': 'no-route', 'shop/cart': 'no-route' });
  });
});

describe('a RegularExpression path from an HTTPRoute', () => {
  test('is matched with RE2 in linear time: `(a+)+b` against a long path of a\'s is decided at once', async () => {
    const sim = simulator([gateway(), openGateway, route('edge', 'main', {
      rules: [
        { matches: [{ path: { type: 'RegularExpression', value: '/(a+)+b' } }], backendRefs: [backend('api')] },
        { matches: [{ path: { type: 'RegularExpression', value: '/items/[0-9]+' } }], backendRefs: [backend('web')] },
      ],
    })]);
    // A backtracking RegExp takes exponential time on this path (it never returns).
    expect((await sim.check(request(`/${'a'.repeat(40)}`))).outcome).toBe('no-route');
    expect((await sim.check(request('/aaab'))).reason).toContain('edge/api');
    // A full match, as Envoy's safe_regex: a prefix of the path is not enough.
    expect((await sim.check(request('/items/42'))).reason).toContain('edge/web');
    expect((await sim.check(request('/items/42/x'))).outcome).toBe('no-route');
  });
});
