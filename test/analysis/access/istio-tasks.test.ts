import { AccessRequest, AccessSimulator, Outcome } from '../../../analysis/access/simulator.js';
import { MeshModel } from '../../../analysis/model.js';
import type { Manifest } from '../../../manifests/index.js';
import { testIssuer } from './tokens.js';

/**
 * Istio's documented security tasks, replayed on the simulator with the status codes the docs
 * show: authorization for HTTP traffic, for TCP traffic, JWT authorization, and mutual TLS
 * migration (istio.io/latest/docs/tasks/security/...).
 */

const ns = (name: string, injected = true): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(injected ? { labels: { 'istio-injection': 'enabled' } } : {}) } });
/** A ServiceAccount, Deployment and Service, like the samples' YAML. */
function app(namespace: string, name: string, ports: { name: string; port: number; targetPort?: number }[] = []): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name, image: `docker.io/istio/${name}:1`, ports: ports.map((p) => ({ containerPort: p.targetPort ?? p.port })) }] } } },
    },
    ...(ports.length > 0 ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports } } as Manifest] : []),
  ];
}
const policy = (namespace: string, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec });
const simulate = (manifests: Manifest[], options = {}) => new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest }))), options);
async function outcome(sim: AccessSimulator, request: AccessRequest): Promise<Outcome> {
  return (await sim.check(request)).outcome;
}

describe('authorization for HTTP traffic (bookinfo)', () => {
  const http = (name: string) => app('default', name, [{ name: 'http', port: 9080 }]);
  const base = [ns('default'), ...http('productpage'), ...http('details'), ...http('reviews'), ...http('ratings'), ...app('default', 'sleep')];
  const get = (from: string, to: string): AccessRequest => ({ from: { workload: `default/${from}` }, to: `default/${to}`, port: 9080, method: 'GET', path: '/' });

  test('allow-nothing in default: every request is "RBAC: access denied" (403)', async () => {
    const sim = simulate([...base, policy('default', 'allow-nothing', {})]);
    expect(await outcome(sim, get('sleep', 'productpage'))).toBe('deny-403');
    expect(await outcome(sim, get('productpage', 'details'))).toBe('deny-403');
  });

  test('productpage-viewer (GET) and details-viewer (principal of productpage, GET)', async () => {
    const sim = simulate([...base, policy('default', 'allow-nothing', {}),
      policy('default', 'productpage-viewer', { selector: { matchLabels: { app: 'productpage' } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }),
      policy('default', 'details-viewer', { selector: { matchLabels: { app: 'details' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/bookinfo-productpage', 'cluster.local/ns/default/sa/productpage'] } }], to: [{ operation: { methods: ['GET'] } }] }] }),
    ]);
    expect(await outcome(sim, get('sleep', 'productpage'))).toBe('allow');
    expect(await outcome(sim, { ...get('sleep', 'productpage'), method: 'POST' })).toBe('deny-403');
    expect(await outcome(sim, get('productpage', 'details'))).toBe('allow');
    expect(await outcome(sim, get('sleep', 'details'))).toBe('deny-403');
    expect(await outcome(sim, get('productpage', 'reviews'))).toBe('deny-403');
  });
});

describe('authorization for TCP traffic (tcp-echo on 9000, 9001)', () => {
  const base = [ns('foo'), ...app('foo', 'tcp-echo', [{ name: 'tcp', port: 9000 }, { name: 'tcp-other', port: 9001 }]), ...app('foo', 'sleep')];
  const echo = (port: number): AccessRequest => ({ from: { workload: 'foo/sleep' }, to: 'foo/tcp-echo', port });
  const selector = { matchLabels: { app: 'tcp-echo' } };

  test('ALLOW on ports 9000 and 9001 lets both through', async () => {
    const sim = simulate([...base, policy('foo', 'tcp-policy', { selector, action: 'ALLOW', rules: [{ to: [{ operation: { ports: ['9000', '9001'] } }] }] })]);
    expect(await outcome(sim, echo(9000))).toBe('allow');
    expect(await outcome(sim, echo(9001))).toBe('allow');
  });

  test('an ALLOW rule with an HTTP-only field (methods) is dropped on TCP: the connection is closed', async () => {
    const sim = simulate([...base, policy('foo', 'tcp-policy', { selector, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'], ports: ['9000'] } }] }] })]);
    expect(await outcome(sim, echo(9000))).toBe('reset');
    expect(await outcome(sim, echo(9001))).toBe('reset');
  });

  test('a DENY rule with an HTTP-only field loses that condition on TCP: it denies all of port 9000', async () => {
    // POST: even a condition the probe's method would never meet is dropped, so all of 9000 is denied.
    const sim = simulate([...base, policy('foo', 'tcp-policy', { selector, action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['9000'] } }] }] })]);
    expect(await outcome(sim, echo(9000))).toBe('reset');
    expect(await outcome(sim, echo(9001))).toBe('allow');
  });
});

describe('JWT authorization (httpbin in foo, issuer testing@secure.istio.io)', () => {
  const base = [ns('foo'), ...app('foo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]), ...app('foo', 'sleep')];
  const jwks = 'https://raw.githubusercontent.com/istio/istio/release-1.30/security/tools/jwt/samples/jwks.json';
  const requestAuthentication: Manifest = {
    apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt-example', namespace: 'foo' },
    spec: { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: 'testing@secure.istio.io', jwksUri: jwks }] },
  };
  const requireJwt = (when?: object[]) => policy('foo', 'require-jwt', {
    selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW',
    rules: [{ from: [{ source: { requestPrincipals: ['testing@secure.istio.io/testing@secure.istio.io'] } }], ...(when ? { when } : {}) }],
  });
  const get = (token?: string): AccessRequest => ({ from: { workload: 'foo/sleep' }, to: 'foo/httpbin', port: 8000, method: 'GET', path: '/headers', ...(token ? { token } : {}) });

  test('RequestAuthentication alone: invalid token 401, no token 200; with require-jwt: no token 403, valid 200; groups claim', async () => {
    const issuer = await testIssuer('testing@secure.istio.io');
    const demo = await issuer.sign({ sub: 'testing@secure.istio.io' });
    const groups = await issuer.sign({ sub: 'testing@secure.istio.io', groups: ['group1', 'group2'] });
    const options = { jwks: { [jwks]: issuer.jwks } };

    const raOnly = simulate([...base, requestAuthentication], options);
    expect(await outcome(raOnly, get('invalidToken'))).toBe('deny-401');
    expect(await outcome(raOnly, get())).toBe('allow');

    const required = simulate([...base, requestAuthentication, requireJwt()], options);
    expect(await outcome(required, get(demo))).toBe('allow');
    expect(await outcome(required, get())).toBe('deny-403');

    const withGroup = simulate([...base, requestAuthentication, requireJwt([{ key: 'request.auth.claims[groups]', values: ['group1'] }])], options);
    expect(await outcome(withGroup, get(groups))).toBe('allow');
    expect(await outcome(withGroup, get(demo))).toBe('deny-403');
  });

  test('a token whose audience is not accepted is 403 even without a policy', async () => {
    const issuer = await testIssuer('testing@secure.istio.io');
    const withAudience = { ...requestAuthentication, spec: { ...(requestAuthentication.spec as object), jwtRules: [{ issuer: 'testing@secure.istio.io', jwksUri: jwks, audiences: ['httpbin'] }] } };
    const sim = simulate([...base, withAudience], { jwks: { [jwks]: issuer.jwks } });
    const verdict = await sim.check(get(await issuer.sign({ sub: 'u', aud: 'other' })));
    expect(verdict.outcome).toBe('deny-403');
    expect(verdict.reason).toMatch(/Audiences in Jwt are not allowed/);
  });
});

describe('mutual TLS migration (foo, bar injected; legacy without sidecars)', () => {
  const httpbin = (namespace: string) => app(namespace, 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]);
  const base = [ns('foo'), ns('bar'), ns('legacy', false), ...httpbin('foo'), ...httpbin('bar'), ...app('foo', 'sleep'), ...app('bar', 'sleep'), ...app('legacy', 'sleep')];
  const strict = (namespace: string): Manifest => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace }, spec: { mtls: { mode: 'STRICT' } } });
  const matrix = async (sim: AccessSimulator) => {
    const out: string[] = [];
    for (const from of ['foo', 'bar', 'legacy']) for (const to of ['foo', 'bar']) {
      out.push(`${from}->${to}:${await outcome(sim, { from: { workload: `${from}/sleep` }, to: `${to}/httpbin`, port: 8000, method: 'GET', path: '/ip' })}`);
    }
    return out;
  };

  test('PERMISSIVE by default: every client gets 200', async () => {
    expect(await matrix(simulate(base))).toEqual(['foo->foo:allow', 'foo->bar:allow', 'bar->foo:allow', 'bar->bar:allow', 'legacy->foo:allow', 'legacy->bar:allow']);
  });

  test('STRICT in foo: only the legacy client fails there (000, connection reset)', async () => {
    expect(await matrix(simulate([...base, strict('foo')]))).toEqual(['foo->foo:allow', 'foo->bar:allow', 'bar->foo:allow', 'bar->bar:allow', 'legacy->foo:reset', 'legacy->bar:allow']);
  });

  test('STRICT mesh-wide: the legacy client fails everywhere', async () => {
    expect(await matrix(simulate([...base, strict('istio-system')]))).toEqual(['foo->foo:allow', 'foo->bar:allow', 'bar->foo:allow', 'bar->bar:allow', 'legacy->foo:reset', 'legacy->bar:reset']);
  });
});

describe('accessing external services (istio.io/latest/docs/tasks/traffic-management/egress/egress-control/)', () => {
  const base = [ns('istio-system'), ns('default'), ...app('default', 'sleep')];
  const serviceEntry = (name: string, host: string, port: { number: number; name: string; protocol: string }): Manifest => ({
    apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'default' },
    spec: { hosts: [host], ports: [port], resolution: 'DNS', location: 'MESH_EXTERNAL' },
  });
  const httpbinExt = serviceEntry('httpbin-ext', 'httpbin.org', { number: 80, name: 'http', protocol: 'HTTP' });
  const google = serviceEntry('google', 'www.google.com', { number: 443, name: 'https', protocol: 'HTTPS' });
  const curl = (host: string, port: number): AccessRequest => ({ from: { workload: 'default/sleep' }, toHost: host, port });

  test('ALLOW_ANY (the default): the sleep pod reaches www.google.com and edition.cnn.com (HTTP/2 200)', async () => {
    const sim = simulate(base);
    expect(await outcome(sim, curl('www.google.com', 443))).toBe('allow');
    expect(await outcome(sim, curl('edition.cnn.com', 443))).toBe('allow');
  });

  test('REGISTRY_ONLY: the same requests are blocked (curl exit 35)', async () => {
    const sim = simulate(base, { outboundTrafficPolicy: 'REGISTRY_ONLY' });
    expect(await outcome(sim, curl('www.google.com', 443))).toBe('blocked');
    expect(await outcome(sim, curl('edition.cnn.com', 443))).toBe('blocked');
    expect(await outcome(sim, curl('httpbin.org', 80))).toBe('blocked');
  });

  test('REGISTRY_ONLY with ServiceEntries for httpbin.org:80 and www.google.com:443: they are reached, other hosts and ports stay blocked', async () => {
    const sim = simulate([...base, httpbinExt, google], { outboundTrafficPolicy: 'REGISTRY_ONLY' });
    expect(await outcome(sim, curl('httpbin.org', 80))).toBe('allow');
    expect(await outcome(sim, curl('www.google.com', 443))).toBe('allow');
    expect(await outcome(sim, curl('edition.cnn.com', 443))).toBe('blocked');
    expect(await outcome(sim, curl('httpbin.org', 443))).toBe('blocked');
  });
});
