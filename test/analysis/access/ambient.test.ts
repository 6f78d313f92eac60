import { analyze } from '../../../analysis/analyze.js';
import { tokenJourney } from '../../../analysis/access/chain.js';
import { accessMatrix } from '../../../analysis/access/matrix.js';
import { AccessRequest, AccessRequestError, AccessSimulator, Outcome, SimulatorOptions } from '../../../analysis/access/simulator.js';
import { MeshModel } from '../../../analysis/model.js';
import type { Manifest } from '../../../manifests/index.js';
import { testIssuer } from './tokens.js';

/**
 * The ambient data plane (ISTIO.md §9, §13): Istio's ambient documentation tasks replayed with
 * the outcomes the docs show, then one probe per rule of the decision procedure.
 */

const ambientNs = (name: string, labels: Record<string, string> = {}): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio.io/dataplane-mode': 'ambient', ...labels } } });
const sidecarNs = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });
function app(namespace: string, name: string, ports: { name: string; port: number; targetPort?: number }[] = [], opts: { serviceLabels?: Record<string, string>; podLabels?: Record<string, string> } = {}): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name, ...opts.podLabels } }, spec: { serviceAccountName: name, containers: [{ name, image: `docker.io/istio/${name}:1`, ports: ports.map((p) => ({ containerPort: p.targetPort ?? p.port })) }] } } },
    },
    ...(ports.length > 0 ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, ...(opts.serviceLabels ? { labels: opts.serviceLabels } : {}) }, spec: { selector: { app: name }, ports } } as Manifest] : []),
  ];
}
const waypoint = (namespace: string, name = 'waypoint', labels: Record<string, string> = { 'istio.io/waypoint-for': 'service' }): Manifest => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace, labels },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
});
const policy = (namespace: string, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec });
const onService = (name: string) => ({ targetRefs: [{ kind: 'Service', group: '', name }] });
const simulate = (manifests: Manifest[], options: SimulatorOptions = {}) => new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest }))), options);
async function outcome(sim: AccessSimulator, request: AccessRequest): Promise<Outcome> {
  return (await sim.check(request)).outcome;
}

describe('istio.io ambient getting started: enforce authorization policies (bookinfo)', () => {
  // https://istio.io/latest/docs/ambient/getting-started/enforce-auth-policies/ — the default
  // namespace is ambient; the Bookinfo gateway runs as bookinfo-gateway-istio (Gateway API class istio).
  const http = (name: string) => app('default', name, [{ name: 'http', port: 9080 }]);
  const ingress: Manifest[] = [
    { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'bookinfo-gateway', namespace: 'default' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'bookinfo', namespace: 'default' }, spec: { hosts: ['*'], gateways: ['bookinfo-gateway'], http: [{ match: [{ uri: { prefix: '/productpage' } }], route: [{ destination: { host: 'productpage', port: { number: 9080 } } }] }] } },
  ];
  const base = [ambientNs('default'), ...http('productpage'), ...http('details'), ...http('reviews'), ...http('ratings'), ...app('default', 'curl'), ...ingress];
  const options: SimulatorOptions = { ingressGateway: { namespace: 'default', serviceAccount: 'bookinfo-gateway-istio', labels: { istio: 'ingressgateway' } } };
  const l4 = (principals: string[]) => policy('default', 'productpage-ztunnel', { selector: { matchLabels: { app: 'productpage' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals } }] }] });
  const l7 = policy('default', 'productpage-viewer', { ...onService('productpage'), action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/curl'] } }], to: [{ operation: { methods: ['GET'] } }] }] });
  const withWaypoint = [...base.map((m) => (m.kind === 'Namespace' ? ambientNs('default', { 'istio.io/use-waypoint': 'waypoint' }) : m)), waypoint('default')];
  const toPage = (from: string, method = 'GET'): AccessRequest => ({ from: from === 'ingress' ? { ingress: true } : { workload: `default/${from}` }, to: 'default/productpage', port: 9080, method, path: '/productpage' });

  test('L4 policy: the gateway gets the page, curl is closed by ztunnel (exit code 56)', async () => {
    const sim = simulate([...base, l4(['cluster.local/ns/default/sa/bookinfo-gateway-istio'])], options);
    expect(await outcome(sim, toPage('ingress'))).toBe('allow');
    const denied = await sim.check(toPage('curl'));
    expect(denied.outcome).toBe('reset');
    expect(denied.reason).toMatch(/^ztunnel default\/productpage:9080: no-allow-matched/);
  });

  test('L7 policy at the waypoint: curl GET 200, curl DELETE 403, reviews 403; the gateway still gets the page', async () => {
    const sim = simulate([...withWaypoint, l4(['cluster.local/ns/default/sa/bookinfo-gateway-istio', 'cluster.local/ns/default/sa/waypoint']), l7], options);
    expect(await outcome(sim, toPage('curl'))).toBe('allow');
    const deleted = await sim.check(toPage('curl', 'DELETE'));
    expect(deleted.outcome).toBe('deny-403');
    expect(deleted.reason).toMatch(/^waypoint default\/waypoint: /);
    expect(await outcome(sim, toPage('reviews'))).toBe('deny-403');
    // The gateway does not use the waypoint (no istio.io/ingress-use-waypoint): ztunnel sees its own identity.
    const viaIngress = await sim.check(toPage('ingress'));
    expect(viaIngress.outcome).toBe('allow');
    expect(viaIngress.reason).toMatch(/BYPASS\(ingress gateway without istio\.io\/ingress-use-waypoint/);
  });

  test('without the waypoint\'s identity in the L4 policy, everything through the waypoint is closed (§9.6)', async () => {
    const sim = simulate([...withWaypoint, l4(['cluster.local/ns/default/sa/bookinfo-gateway-istio']), l7], options);
    const r = await sim.check(toPage('curl'));
    expect(r.outcome).toBe('reset');
    expect(r.reason).toMatch(/ztunnel default\/productpage:9080: .*peer cluster\.local\/ns\/default\/sa\/waypoint/);
    // PILOT_AUTO_ALLOW_WAYPOINT_POLICY synthesizes that ALLOW.
    const auto = simulate([...withWaypoint, l4(['cluster.local/ns/default/sa/bookinfo-gateway-istio']), l7], { ...options, features: { PILOT_AUTO_ALLOW_WAYPOINT_POLICY: 'true' } });
    expect(await outcome(auto, toPage('curl'))).toBe('allow');
  });
});

describe('istio.io "Use Layer 4 security policy"', () => {
  // https://istio.io/latest/docs/ambient/usage/l4-policy/
  const base = [ambientNs('ambient-demo'), ...app('ambient-demo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]), ...app('ambient-demo', 'curl'), ...app('ambient-demo', 'other')];
  const get: (from: string) => AccessRequest = (from) => ({ from: { workload: `ambient-demo/${from}` }, to: 'ambient-demo/httpbin', port: 8000, method: 'GET', path: '/get' });
  const allowCurl = (extra: Record<string, unknown> = {}) => policy('ambient-demo', 'allow-curl-to-httpbin', { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/ambient-demo/sa/curl'] } }], ...extra }] });

  test('no policy allows; a principal ALLOW admits curl only', async () => {
    expect(await outcome(simulate(base), get('other'))).toBe('allow');
    const sim = simulate([...base, allowCurl()]);
    expect(await outcome(sim, get('curl'))).toBe('allow');
    expect(await outcome(sim, get('other'))).toBe('reset');
  });

  test('an L7 attribute in a ztunnel ALLOW drops the rule: all traffic is dropped', async () => {
    const sim = simulate([...base, allowCurl({ to: [{ operation: { methods: ['GET'] } }] })]);
    const r = await sim.check(get('curl'));
    expect(r.outcome).toBe('reset');
    expect(r.reason).toMatch(/dropped at ztunnel for L7 fields: ambient-demo\/allow-curl-to-httpbin rule\(s\) 0 \(methods\)/);
  });
});

describe('JWT at a waypoint (istio.io authz-jwt task, ambient variant)', () => {
  const jwks = 'https://raw.githubusercontent.com/istio/istio/release-1.30/security/tools/jwt/samples/jwks.json';
  const base = [ambientNs('foo', { 'istio.io/use-waypoint': 'waypoint' }), waypoint('foo'), ...app('foo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]), ...app('foo', 'curl')];
  const ra: Manifest = { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt-example', namespace: 'foo' }, spec: { ...onService('httpbin'), jwtRules: [{ issuer: 'testing@secure.istio.io', jwksUri: jwks }] } };
  const requireJwt = policy('foo', 'require-jwt', { ...onService('httpbin'), action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: ['testing@secure.istio.io/testing@secure.istio.io'] } }] }] });
  const get = (token?: string): AccessRequest => ({ from: { workload: 'foo/curl' }, to: 'foo/httpbin', port: 8000, method: 'GET', path: '/headers', ...(token ? { token } : {}) });

  test('invalid token 401, no token 403, valid token 200, all decided at the waypoint', async () => {
    const issuer = await testIssuer('testing@secure.istio.io');
    const valid = await issuer.sign({ sub: 'testing@secure.istio.io' });
    const sim = simulate([...base, ra, requireJwt], { jwks: { [jwks]: issuer.jwks } });
    const invalid = await sim.check(get('invalidToken'));
    expect(invalid.outcome).toBe('deny-401');
    expect(invalid.reason).toMatch(/^waypoint foo\/waypoint: /);
    expect(await outcome(sim, get())).toBe('deny-403');
    expect(await outcome(sim, get(valid))).toBe('allow');
  });

  test('the same RequestAuthentication by selector does nothing in ambient (ztunnel never reads tokens)', async () => {
    const bySelector = { ...ra, spec: { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: 'testing@secure.istio.io', jwksUri: jwks }] } } as Manifest;
    const sim = simulate([...base, bySelector]);
    expect(await outcome(sim, get('invalidToken'))).toBe('allow');
  });
});

describe('ztunnel L4 semantics (§9.3, §9.4)', () => {
  const base = [ambientNs('foo'), ...app('foo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]), ...app('foo', 'curl')];
  const onHttpbin = { selector: { matchLabels: { app: 'httpbin' } } };
  const get: AccessRequest = { from: { workload: 'foo/curl' }, to: 'foo/httpbin', port: 8000 };

  test('DENY "require JWT" (notRequestPrincipals) has no effect at ztunnel: tokenless requests pass (fails open)', async () => {
    const sim = simulate([...base, policy('foo', 'require-jwt', { ...onHttpbin, action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }] })]);
    expect(await outcome(sim, get)).toBe('allow');
  });

  test('DENY ports + methods keeps the port only: the whole port is closed', async () => {
    const sim = simulate([...base, policy('foo', 'no-post', { ...onHttpbin, action: 'DENY', rules: [{ to: [{ operation: { ports: ['8080'], methods: ['POST'] } }] }] })]);
    const r = await sim.check(get);
    expect(r.outcome).toBe('reset');
    expect(r.reason).toMatch(/denied by ztunnel:foo\/no-post rule\[0\]/);
  });

  test('principals are not trust-domain expanded at ztunnel (istio/ztunnel#1260)', async () => {
    const spec = { ...onHttpbin, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/foo/sa/curl'] } }] }] };
    const sim = new AccessSimulator(new MeshModel([...base, policy('foo', 'p', spec)].map((manifest) => ({ manifest })), { trustDomain: 'example.org' }));
    expect(await outcome(sim, get)).toBe('reset');
  });

  test('STRICT rejects a plaintext client; ipBlocks see an outside client\'s address', async () => {
    const strict: Manifest = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } };
    expect(await outcome(simulate([...base, strict]), { from: { outside: true }, to: 'foo/httpbin', port: 8000 })).toBe('reset');
    const byIp = simulate([...base, policy('foo', 'office', { ...onHttpbin, action: 'ALLOW', rules: [{ from: [{ source: { ipBlocks: ['203.0.113.0/24'] } }] }] })]);
    expect(await outcome(byIp, { from: { outside: true, ip: '203.0.113.7' }, to: 'foo/httpbin', port: 8000 })).toBe('allow');
    expect(await outcome(byIp, { from: { outside: true, ip: '198.51.100.1' }, to: 'foo/httpbin', port: 8000 })).toBe('reset');
    expect(await outcome(byIp, { from: { outside: true }, to: 'foo/httpbin', port: 8000 })).toBe('reset');
  });

  test('an empty selector is not guessed: the request is refused until --ztunnel-empty-selector says how to read it', async () => {
    const manifests = [...base, policy('foo', 'all', { selector: {}, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/foo/sa/nobody'] } }] }] })];
    await expect(simulate(manifests).check(get)).rejects.toThrow(AccessRequestError);
    expect(await outcome(simulate(manifests, { ztunnelEmptySelector: 'all' }), get)).toBe('reset');
    expect(await outcome(simulate(manifests, { ztunnelEmptySelector: 'none' }), get)).toBe('allow');
  });
});

describe('waypoint paths and bypasses (§9.5, §9.8)', () => {
  const l7Deny = policy('foo', 'get-only', { ...onService('httpbin'), action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });
  const base = [
    ambientNs('foo', { 'istio.io/use-waypoint': 'waypoint' }), waypoint('foo'), sidecarNs('legacy'),
    ...app('foo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]), ...app('foo', 'curl'), ...app('legacy', 'sleep'), l7Deny,
  ];
  const post = (from: AccessRequest['from'], extra: Partial<AccessRequest> = {}): AccessRequest => ({ from, to: 'foo/httpbin', port: 8000, method: 'POST', path: '/post', ...extra });

  test('an ambient client meets the waypoint; a sidecar client and pod-IP addressing bypass it', async () => {
    const sim = simulate(base);
    const ambient = await sim.check(post({ workload: 'foo/curl' }));
    expect(ambient.outcome).toBe('deny-403');
    expect(ambient.reason).toContain('HBONE from foo/curl (ambient) (ztunnel) as cluster.local/ns/foo/sa/curl');
    const sidecar = await sim.check(post({ workload: 'legacy/sleep' }));
    expect(sidecar.outcome).toBe('allow');
    expect(sidecar.reason).toMatch(/BYPASS\(sidecar client/);
    expect(sidecar.reason).toMatch(/HBONE from legacy\/sleep as cluster\.local\/ns\/legacy\/sa\/sleep/);
    const direct = await sim.check(post({ workload: 'foo/curl' }, { to: 'foo/httpbin', port: 8080, addressing: 'workload' }));
    expect(direct.outcome).toBe('allow');
  });

  test('a waypoint policy defined twice is its last definition, as kubectl apply leaves it', async () => {
    const headOnly = policy('foo', 'get-only', { ...onService('httpbin'), action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['HEAD'] } }] }] });
    const sim = simulate([...base, headOnly]);
    expect(await outcome(sim, post({ workload: 'foo/curl' }, { method: 'HEAD' }))).toBe('allow');
    expect(await outcome(sim, post({ workload: 'foo/curl' }, { method: 'GET' }))).toBe('deny-403');
  });

  test('a require-waypoint L4 policy closes both bypasses', async () => {
    const require = policy('foo', 'require-waypoint', { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/foo/sa/waypoint'] } }] }] });
    const sim = simulate([...base, require]);
    expect(await outcome(sim, post({ workload: 'legacy/sleep' }))).toBe('reset');
    expect(await outcome(sim, post({ workload: 'foo/curl' }, { port: 8080, addressing: 'workload' }))).toBe('reset');
    expect(await outcome(sim, post({ workload: 'foo/curl' }, { method: 'GET' }))).toBe('allow');
  });

  test('a sidecar without HBONE sends plaintext, which STRICT rejects', async () => {
    const strict: Manifest = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } };
    expect(await outcome(simulate([...base, strict]), post({ workload: 'legacy/sleep' }))).toBe('allow');
    expect(await outcome(simulate([...base, strict], { features: { ISTIO_META_ENABLE_HBONE: 'false' } }), post({ workload: 'legacy/sleep' }))).toBe('reset');
  });

  test('targetRefs to a Service with no bound waypoint are enforced nowhere (fails open)', async () => {
    const unbound = [ambientNs('foo'), ...app('foo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]), ...app('foo', 'curl'), l7Deny];
    expect(await outcome(simulate(unbound), post({ workload: 'foo/curl' }))).toBe('allow');
  });

  test('a binding to a waypoint that does not exist goes direct, with the reason', async () => {
    const missing = base.filter((m) => m.kind !== 'Gateway');
    const r = await simulate(missing).check(post({ workload: 'foo/curl' }));
    expect(r.outcome).toBe('allow');
    expect(r.reason).toMatch(/BYPASS\(WaypointIsNotReady: Namespace foo .* names waypoint foo\/waypoint/);
  });

  test('the ingress gateway uses the waypoint with istio.io/ingress-use-waypoint, unless the feature is off', async () => {
    const ingress: Manifest[] = [
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'httpbin', namespace: 'foo' }, spec: { hosts: ['*'], gateways: ['istio-system/gw'], http: [{ route: [{ destination: { host: 'httpbin', port: { number: 8000 } } }] }] } },
    ];
    const labelled = base.map((m) => (m.kind === 'Namespace' && m.metadata.name === 'foo' ? ambientNs('foo', { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' }) : m));
    const viaIngress: AccessRequest = { from: { ingress: true }, to: 'foo/httpbin', port: 8000, method: 'POST', path: '/post' };
    expect(await outcome(simulate([...base, ...ingress]), viaIngress)).toBe('allow');
    expect(await outcome(simulate([...labelled, ...ingress]), viaIngress)).toBe('deny-403');
    expect(await outcome(simulate([...labelled, ...ingress], { features: { ENABLE_INGRESS_WAYPOINT_ROUTING: 'false' } }), viaIngress)).toBe('allow');
  });

  test('scheme https: the waypoint sees no HTTP, so its method-only ALLOW rule is dropped (TCP semantics)', async () => {
    const sim = simulate(base);
    expect(await outcome(sim, post({ workload: 'foo/curl' }, { method: 'GET' }))).toBe('allow');
    expect(await outcome(sim, post({ workload: 'foo/curl' }, { method: 'GET', scheme: 'https' }))).toBe('reset');
  });

  test('ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES: selector policies on the waypoint\'s pods count, at L4, only with the feature', async () => {
    const onWaypointPods = policy('foo', 'waypoint-l4', { selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } }, action: 'DENY', rules: [{ from: [{ source: { principals: ['cluster.local/ns/foo/sa/curl'] } }] }] });
    const get = post({ workload: 'foo/curl' }, { method: 'GET' });
    expect(await outcome(simulate([...base, onWaypointPods]), get)).toBe('allow');
    const layered = await simulate([...base, onWaypointPods], { features: { ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES: 'true' } }).check(get);
    expect(layered.outcome).toBe('reset');
    expect(layered.reason).toMatch(/waypoint foo\/waypoint \(HBONE termination, ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES\)/);
  });

  test('dry-run policies are never enforced at ztunnel, with or without AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY', async () => {
    const dryRun: Manifest = { ...policy('foo', 'deny-all', { selector: { matchLabels: { app: 'httpbin' } }, action: 'DENY', rules: [{}] }), metadata: { name: 'deny-all', namespace: 'foo', annotations: { 'istio.io/dry-run': 'true' } } };
    const direct = post({ workload: 'foo/curl' }, { port: 8080, addressing: 'workload' });
    expect(await outcome(simulate([...base, dryRun]), direct)).toBe('allow');
    expect(await outcome(simulate([...base, dryRun], { features: { AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY: 'true' } }), direct)).toBe('allow');
    expect(await outcome(simulate([...base, { ...dryRun, metadata: { name: 'deny-all', namespace: 'foo' } }]), direct)).toBe('reset');
  });

  test('"Use Layer 7 features": a policy attaches to the waypoint by targetRefs to its Gateway (all its traffic) or to a Service using it', async () => {
    // https://istio.io/latest/docs/ambient/usage/l7-features/ — base has the waypoint and a get-only ALLOW on the Service.
    const onGateway = policy('foo', 'no-delete', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }], action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] });
    const sim = simulate([...base, onGateway]);
    expect(await outcome(sim, post({ workload: 'foo/curl' }, { method: 'GET', path: '/admin/x' }))).toBe('deny-403');
    expect(await outcome(sim, post({ workload: 'foo/curl' }, { method: 'GET', path: '/status' }))).toBe('allow');
    // From another namespace the Gateway reference attaches nowhere.
    const elsewhere = { ...onGateway, metadata: { name: 'no-delete', namespace: 'legacy' } } as Manifest;
    expect(await outcome(simulate([...base, elsewhere]), post({ workload: 'foo/curl' }, { method: 'GET', path: '/admin/x' }))).toBe('allow');
  });

  test('the GatewayClass istio-waypoint default deny (root namespace) denies at every waypoint until a targetRefs ALLOW admits', async () => {
    const defaultDeny = policy('istio-system', 'waypoint-default-deny', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] });
    const noAllow = base.filter((m) => m.metadata.name !== 'get-only');
    expect(await outcome(simulate([...noAllow, defaultDeny]), post({ workload: 'foo/curl' }, { method: 'GET' }))).toBe('deny-403');
    expect(await outcome(simulate([...base, defaultDeny]), post({ workload: 'foo/curl' }, { method: 'GET' }))).toBe('allow');
    // ztunnel never reads it: pod-IP traffic, which skips the waypoint, passes.
    expect(await outcome(simulate([...noAllow, defaultDeny]), post({ workload: 'foo/curl' }, { port: 8080, addressing: 'workload' }))).toBe('allow');
  });

  test('unknown features are refused by name', () => {
    expect(() => simulate(base, { features: { NOT_A_FEATURE: 'true' } })).toThrow(/not one the simulator models/);
    expect(() => simulate(base, { features: { PILOT_AUTO_ALLOW_WAYPOINT_POLICY: 'maybe' } })).toThrow(/true or false/);
  });

  test('the access matrix answers per caller on an ambient mesh', async () => {
    const cells = await accessMatrix(simulate(base));
    const cell = (from: string) => cells.find((c) => c.from === from && c.to === 'foo/httpbin');
    // GET is allowed at the waypoint; the sidecar caller bypasses it; outside plaintext is not STRICT-refused (PERMISSIVE).
    expect(cell('foo/curl')?.outcome).toBe('allow');
    expect(cell('foo/curl')?.reason).toMatch(/waypoint foo\/waypoint/);
    expect(cell('legacy/sleep')?.reason).toMatch(/BYPASS\(sidecar client/);
    expect(cell('outside')?.outcome).toBe('allow');
  });
});

describe('egress through an ambient waypoint (istio.io ambient egress-gateway task, §11.5)', () => {
  // https://istio.io/latest/docs/ambient/usage/egress-gateway/ — ServiceEntries in istio-egress, whose
  // namespace is bound to a waypoint; a targetRefs policy on the ServiceEntry sees the client's identity.
  const serviceEntry: Manifest = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'httpbin.org', namespace: 'istio-egress' }, spec: { hosts: ['httpbin.org'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' } };
  const onlyCurl = policy('istio-egress', 'httpbin-curl', { targetRefs: [{ kind: 'ServiceEntry', group: 'networking.istio.io', name: 'httpbin.org' }], action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/foo/sa/curl'] } }] }] });
  const base = [ambientNs('foo'), ambientNs('istio-egress', { 'istio.io/use-waypoint': 'waypoint' }), waypoint('istio-egress'), ...app('foo', 'curl'), ...app('foo', 'other'), serviceEntry, onlyCurl];
  const to = (from: string): AccessRequest => ({ from: { workload: `foo/${from}` }, toHost: 'httpbin.org', port: 80 });

  test('the waypoint admits curl and denies another workload (403); without the binding both go direct', async () => {
    const sim = simulate(base);
    expect(await outcome(sim, to('curl'))).toBe('allow');
    const denied = await sim.check(to('other'));
    expect(denied.outcome).toBe('deny-403');
    expect(denied.reason).toMatch(/^waypoint istio-egress\/waypoint: /);
    const unbound = simulate(base.map((m) => (m.kind === 'Namespace' && m.metadata.name === 'istio-egress' ? ambientNs('istio-egress') : m)));
    const direct = await unbound.check(to('other'));
    expect(direct.outcome).toBe('allow');
    expect(direct.reason).toMatch(/sends it direct/);
  });
});

describe('the products chain on ambient: ingress → a → c → b, JWT and grants at the waypoint (SCENARIOS.md P-rows)', () => {
  const jwks = 'https://idp.example.com/.well-known/jwks.json';
  const issuer = 'https://idp.example.com';
  const svc = (name: string) => app('products', name, [{ name: 'http', port: 8000, targetPort: 8080 }]);
  const principal = (ns: string, sa: string) => `cluster.local/ns/${ns}/sa/${sa}`;
  const grant = (to: string, from: string) => policy('products', `${to}-l7`, { ...onService(to), action: 'ALLOW', rules: [{ from: [{ source: { principals: [from], requestPrincipals: [`${issuer}/*`] } }] }] });
  const base: Manifest[] = [
    ambientNs('products', { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' }), waypoint('products'), ambientNs('sleep'),
    ...svc('service-a'), ...svc('service-b'), ...svc('service-c'), ...app('sleep', 'sleep'),
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } },
    policy('istio-system', 'allow-nothing', {}),
    policy('istio-system', 'ingress-open', { selector: { matchLabels: { istio: 'ingressgateway' } }, action: 'ALLOW', rules: [{}] }),
    policy('istio-system', 'waypoint-default-deny', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] }),
    policy('products', 'require-waypoint', { action: 'ALLOW', rules: [{ from: [{ source: { principals: [principal('products', 'waypoint')] } }] }] }),
    { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'products' }, spec: { targetRefs: ['service-a', 'service-b', 'service-c'].map((name) => ({ kind: 'Service', group: '', name })), jwtRules: [{ issuer, jwksUri: jwks, forwardOriginalToken: true }] } },
    grant('service-a', principal('istio-system', 'istio-ingressgateway')), grant('service-c', principal('products', 'service-a')), grant('service-b', principal('products', 'service-c')),
    { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'service-a', namespace: 'products' }, spec: { hosts: ['*'], gateways: ['istio-system/public'], http: [{ route: [{ destination: { host: 'service-a', port: { number: 8000 } } }] }] } },
  ];

  test('the rows: 200 along the chain with a valid token, 401 invalid, 403 no token or the wrong caller, reset from outside', async () => {
    const idp = await testIssuer(issuer);
    const token = await idp.sign({ sub: 'alice' });
    const sim = simulate(base, { jwks: { [jwks]: idp.jwks } });
    const req = (from: AccessRequest['from'], to: string, extra: Partial<AccessRequest> = {}): AccessRequest => ({ from, to: `products/${to}`, port: 8000, path: '/products', ...extra });
    expect(await outcome(sim, req({ ingress: true }, 'service-a', { token }))).toBe('allow'); // P1
    expect(await outcome(sim, req({ ingress: true }, 'service-a'))).toBe('deny-403'); // P2
    expect(await outcome(sim, req({ ingress: true }, 'service-a', { token: 'invalid.token' }))).toBe('deny-401'); // P3
    expect(await outcome(sim, req({ workload: 'products/service-a' }, 'service-c', { token }))).toBe('allow'); // P6
    expect(await outcome(sim, req({ workload: 'products/service-c' }, 'service-b', { token }))).toBe('allow'); // P7
    expect(await outcome(sim, req({ workload: 'products/service-c' }, 'service-b'))).toBe('deny-403'); // P8
    expect(await outcome(sim, req({ workload: 'products/service-a' }, 'service-b', { token }))).toBe('deny-403'); // P9
    expect(await outcome(sim, req({ workload: 'sleep/sleep' }, 'service-c', { token }))).toBe('deny-403'); // P10
    expect(await outcome(sim, req({ outside: true }, 'service-c', { token }))).toBe('reset'); // P13 (STRICT)
    // Direct to a pod IP: the require-waypoint L4 policy closes it.
    expect(await outcome(sim, { from: { workload: 'products/service-a' }, to: 'products/service-b', port: 8080, addressing: 'workload' })).toBe('reset');
  });

  test('the token journey: validated and forwarded at every waypoint', async () => {
    const steps = await tokenJourney(simulate(base), { services: ['products/service-a', 'products/service-c', 'products/service-b'], port: 8000, path: '/products', assumeValidToken: true });
    expect(steps.map((s) => [s.to, s.outcome, s.tokenForwarded])).toEqual([
      ['products/service-a', 'allow', true], ['products/service-c', 'allow', true], ['products/service-b', 'allow', true],
    ]);
    expect(steps[1]!.reason).toMatch(/waypoint products\/waypoint: allowed by ns\[products\]-policy\[service-c-l7\]-rule\[0\]/);
  });

  test('the analyzer has no ambient finding on it, and ZT716 on the same mesh without require-waypoint\'s waypoint principal', () => {
    expect(analyze(base).filter((f) => /^ZT71\d$/.test(f.code))).toEqual([]);
    const broken = base.map((m) => (m.metadata.name === 'require-waypoint' ? policy('products', 'require-waypoint', { action: 'ALLOW', rules: [{ from: [{ source: { principals: [principal('products', 'service-a')] } }] }] }) : m));
    expect(analyze(broken).filter((f) => f.code === 'ZT716').map((f) => f.name).sort()).toEqual(['service-a', 'service-b', 'service-c']);
  });
});
