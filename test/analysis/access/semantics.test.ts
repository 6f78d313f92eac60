import { ingressPathsTo, routeThroughIngress } from '../../../analysis/access/ingress-route.js';
import { AccessRequest, AccessSimulator, Outcome, SimulatorOptions } from '../../../analysis/access/simulator.js';
import { MeshModel, MeshOptions } from '../../../analysis/model.js';
import type { Manifest } from '../../../manifests/index.js';
import { testIssuer, TestIssuer } from './tokens.js';

/**
 * Probes of the simulator against Istio's documented semantics (ISTIO.md §0–§3, §8, from Istio's
 * and Envoy's code): one test per rule, each with the verdict Istio gives.
 */

// ---- manifests --------------------------------------------------------------------------------

const ns = (name: string, injected = true): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(injected ? { labels: { 'istio-injection': 'enabled' } } : {}) } });
interface PortSpec { readonly name: string; readonly port: number; readonly targetPort?: number }
function app(namespace: string, name: string, ports: PortSpec[] = []): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name, image: `example/${name}:1`, ports: ports.map((p) => ({ containerPort: p.targetPort ?? p.port })) }] } } },
    },
    ...(ports.length > 0 ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports } } as Manifest] : []),
  ];
}
const obj = (kind: string, namespace: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Manifest => ({
  apiVersion: kind === 'DestinationRule' || kind === 'Gateway' || kind === 'VirtualService' ? 'networking.istio.io/v1' : 'security.istio.io/v1',
  kind, metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec,
});
const policy = (namespace: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) => obj('AuthorizationPolicy', namespace, name, spec, annotations);
const onHttpbin = { selector: { matchLabels: { app: 'httpbin' } } };

/** foo and bar injected, legacy not; httpbin in foo on Service port 8000 → container port 8080; tcp-echo on 9000. */
const base: Manifest[] = [
  ns('istio-system'), ns('foo'), ns('bar'), ns('legacy', false),
  ...app('foo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]),
  ...app('foo', 'tcp-echo', [{ name: 'tcp', port: 9000 }]),
  ...app('foo', 'sleep'), ...app('bar', 'sleep'), ...app('legacy', 'sleep'),
];

const simulate = (manifests: Manifest[], options: SimulatorOptions = {}, mesh: MeshOptions = {}) =>
  new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest })), mesh), options);

const from = (ref: string): AccessRequest['from'] => (ref === 'outside' ? { outside: true } : ref === 'ingress' ? { ingress: true } : { workload: ref });
const get = (source: string, extra: Partial<AccessRequest> = {}): AccessRequest => ({ from: from(source), to: 'foo/httpbin', port: 8000, method: 'GET', path: '/', ...extra });
async function outcome(sim: AccessSimulator, request: AccessRequest): Promise<Outcome> {
  return (await sim.check(request)).outcome;
}
/** The outcome of `request` with only this ALLOW (or other) policy on httpbin. */
async function under(spec: Record<string, unknown>, request: AccessRequest, extra: Manifest[] = [], mesh: MeshOptions = {}): Promise<Outcome> {
  return outcome(simulate([...base, ...extra, policy('foo', 'probe', { ...onHttpbin, ...spec })], {}, mesh), request);
}
const allowTo = (operation: Record<string, unknown>) => ({ action: 'ALLOW', rules: [{ to: [{ operation }] }] });
const allowFrom = (source: Record<string, unknown>) => ({ action: 'ALLOW', rules: [{ from: [{ source }] }] });
const allowWhen = (...when: Record<string, unknown>[]) => ({ action: 'ALLOW', rules: [{ when }] });

// ---- §1.4 string matching ---------------------------------------------------------------------

describe('§1.4 value matching', () => {
  test('paths: exact, prefix, suffix; `*` is any non-empty path', async () => {
    const spec = allowTo({ paths: ['/exact', '/pre*', '*.json'] });
    expect(await under(spec, get('foo/sleep', { path: '/exact' }))).toBe('allow');
    expect(await under(spec, get('foo/sleep', { path: '/exact/more' }))).toBe('deny-403');
    expect(await under(spec, get('foo/sleep', { path: '/prefix/x' }))).toBe('allow');
    expect(await under(spec, get('foo/sleep', { path: '/a/b.json' }))).toBe('allow');
    expect(await under(spec, get('foo/sleep', { path: '/other' }))).toBe('deny-403');
    expect(await under(allowTo({ paths: ['*'] }), get('foo/sleep', { path: '/anything' }))).toBe('allow');
  });

  test('a value with `*` at both ends is a suffix match: the leading `*` wins (matcher/string.go)', async () => {
    const spec = allowWhen({ key: 'request.headers[x-glob]', values: ['*b*'] });
    expect(await under(spec, get('foo/sleep', { headers: { 'x-glob': 'ab*' } }))).toBe('allow');
    expect(await under(spec, get('foo/sleep', { headers: { 'x-glob': 'abc' } }))).toBe('deny-403');
  });

  test('methods are case-sensitive: `get` never matches', async () => {
    expect(await under(allowTo({ methods: ['get'] }), get('foo/sleep'))).toBe('deny-403');
    expect(await under(allowTo({ methods: ['GET'] }), get('foo/sleep'))).toBe('allow');
  });

  test('hosts are case-insensitive and the Host carries the port', async () => {
    expect(await under(allowTo({ hosts: ['HTTPBIN.FOO.svc.cluster.local:*'] }), get('foo/sleep'))).toBe('allow');
    expect(await under(allowTo({ hosts: ['httpbin.foo.svc.cluster.local'] }), get('foo/sleep'))).toBe('deny-403');
  });

  test('request.headers: the name is case-insensitive and `*` is presence, an empty value included', async () => {
    const spec = allowWhen({ key: 'request.headers[X-Tenant]', values: ['*'] });
    expect(await under(spec, get('foo/sleep', { headers: { 'X-TENANT': '' } }))).toBe('allow');
    expect(await under(spec, get('foo/sleep'))).toBe('deny-403');
  });

  test('paths are matched without the query string', async () => {
    expect(await under(allowTo({ paths: ['/status/200'] }), get('foo/sleep', { path: '/status/200?x=1' }))).toBe('allow');
  });

  test('URI templates: `{*}` is one non-empty segment, `{**}` the rest', async () => {
    const one = allowTo({ paths: ['/foo/{*}'] });
    expect(await under(one, get('foo/sleep', { path: '/foo/bar' }))).toBe('allow');
    expect(await under(one, get('foo/sleep', { path: '/foo/bar/baz' }))).toBe('deny-403');
    expect(await under(one, get('foo/sleep', { path: '/foo/' }))).toBe('deny-403');
    const rest = allowTo({ paths: ['/api/{*}/items/{**}'] });
    expect(await under(rest, get('foo/sleep', { path: '/api/v1/items/' }))).toBe('allow');
    expect(await under(rest, get('foo/sleep', { path: '/api/v1/items/a/b' }))).toBe('allow');
    expect(await under(rest, get('foo/sleep', { path: '/api/v1/other/a' }))).toBe('deny-403');
  });
});

// ---- §1.6 principals, namespaces, service accounts --------------------------------------------

describe('§1.6 principals and trust domains (trustDomain example.org, alias old.org)', () => {
  const mesh: MeshOptions = { trustDomain: 'example.org', trustDomainAliases: ['old.org'] };
  const principal = (value: string) => under(allowFrom({ principals: [value] }), get('foo/sleep'), [], mesh);

  test('cluster.local and aliases mean the local trust domain; others, spiffe:// and *-domains as written', async () => {
    expect(await principal('cluster.local/ns/foo/sa/sleep')).toBe('allow');
    expect(await principal('old.org/ns/foo/sa/sleep')).toBe('allow');
    expect(await principal('example.org/ns/foo/sa/sleep')).toBe('allow');
    expect(await principal('other.org/ns/foo/sa/sleep')).toBe('deny-403');
    expect(await principal('spiffe://cluster.local/ns/foo/sa/sleep')).toBe('deny-403');
    expect(await principal('*/ns/foo/sa/sleep')).toBe('allow');
    expect(await principal('cluster.local/ns/foo/sa/*')).toBe('allow');
  });

  test('only a five-part principal is rewritten: `cluster.local/ns/foo/*` stays cluster.local and never matches here', async () => {
    expect(await principal('cluster.local/ns/foo/*')).toBe('deny-403');
    expect(await principal('example.org/ns/foo/*')).toBe('allow');
  });

  test('with the default trust domain cluster.local/ns/foo/* is an ordinary prefix', async () => {
    expect(await under(allowFrom({ principals: ['cluster.local/ns/foo/*'] }), get('foo/sleep'))).toBe('allow');
  });
});

describe('§1.6 namespaces and serviceAccounts', () => {
  test('namespaces wildcards match mTLS peers only', async () => {
    expect(await under(allowFrom({ namespaces: ['f*'] }), get('foo/sleep'))).toBe('allow');
    expect(await under(allowFrom({ namespaces: ['f*'] }), get('bar/sleep'))).toBe('deny-403');
    expect(await under(allowFrom({ namespaces: ['*'] }), get('bar/sleep'))).toBe('allow');
    expect(await under(allowFrom({ namespaces: ['*'] }), get('legacy/sleep'))).toBe('deny-403');
  });

  test('namespaces is a regex over the whole SPIFFE ID: `*a` also matches .../ns/foo/sa/... through "foo/sa"', async () => {
    // srcNamespaceGenerator: `.*/ns/.*a/.*` on spiffe://cluster.local/ns/foo/sa/sleep matches.
    const deny = { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['*a'] } }] }] };
    expect(await under(deny, get('foo/sleep'))).toBe('deny-403');
    const denyO = { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['*o'] } }] }] };
    expect(await under(denyO, get('foo/sleep'))).toBe('deny-403');
    expect(await under(denyO, get('bar/sleep'))).toBe('allow');
  });

  test('serviceAccounts: bare `sa` is in the policy namespace, `ns/sa` anywhere', async () => {
    expect(await under(allowFrom({ serviceAccounts: ['sleep'] }), get('foo/sleep'))).toBe('allow');
    expect(await under(allowFrom({ serviceAccounts: ['sleep'] }), get('bar/sleep'))).toBe('deny-403');
    expect(await under(allowFrom({ serviceAccounts: ['bar/sleep'] }), get('bar/sleep'))).toBe('allow');
    expect(await under(allowFrom({ serviceAccounts: ['bar/sleep'] }), get('legacy/sleep'))).toBe('deny-403');
  });

  test('mTLS-only fields on plaintext (ISTIO-SECURITY-2021-004 table)', async () => {
    const plain = get('legacy/sleep');
    expect(await under(allowFrom({ notNamespaces: ['legacy'] }), plain)).toBe('allow');
    expect(await under(allowFrom({ namespaces: ['legacy'] }), plain)).toBe('deny-403');
    expect(await under({ action: 'DENY', rules: [{ from: [{ source: { namespaces: ['legacy'] } }] }] }, plain)).toBe('allow');
    expect(await under({ action: 'DENY', rules: [{ from: [{ source: { notNamespaces: ['foo'] } }] }] }, plain)).toBe('deny-403');
    expect(await under({ action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/foo/sa/sleep'] } }] }] }, plain)).toBe('deny-403');
  });
});

// ---- §1.7 requestPrincipals, §1.8 claims ------------------------------------------------------

describe('§1.7 requestPrincipals and §1.8 request.auth keys', () => {
  const uris = { url: 'https://issuer.example.com/jwks', auth0: 'https://tenant.auth0.com/.well-known/jwks.json', demo: 'https://demo.example/jwks' };
  let url: TestIssuer;
  let auth0: TestIssuer;
  let demo: TestIssuer;
  let options: SimulatorOptions;
  const ra = (rules: Record<string, unknown>[]) => obj('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: rules });
  const requestAuthentication = () => ra([
    { issuer: url.issuer, jwksUri: uris.url, spaceDelimitedClaims: ['roles'] },
    { issuer: auth0.issuer, jwksUri: uris.auth0 },
    { issuer: demo.issuer, jwksUri: uris.demo },
  ]);
  beforeAll(async () => {
    [url, auth0, demo] = await Promise.all([testIssuer('https://issuer.example.com'), testIssuer('https://tenant.auth0.com/'), testIssuer('testing@secure.istio.io')]);
    options = { jwks: { [uris.url]: url.jwks, [uris.auth0]: auth0.jwks, [uris.demo]: demo.jwks } };
  });
  const verdict = async (spec: Record<string, unknown>, token: string) =>
    outcome(simulate([...base, requestAuthentication(), policy('foo', 'probe', { ...onHttpbin, ...spec })], options), get('foo/sleep', { token }));
  const principal = (value: string, token: string) => verdict(allowFrom({ requestPrincipals: [value] }), token);

  test('`*` and `iss/*` need a non-empty sub', async () => {
    expect(await principal('*', await url.sign({ sub: 'alice@example.com' }))).toBe('allow');
    expect(await principal('*', await url.sign({}))).toBe('deny-403');
    expect(await principal('https://issuer.example.com/*', await url.sign({ sub: 'alice@example.com' }))).toBe('allow');
    expect(await principal('https://issuer.example.com/*', await url.sign({}))).toBe('deny-403');
  });

  test('`iss*` is an issuer prefix with any non-empty sub', async () => {
    expect(await principal('testing@secure*', await demo.sign({ sub: 'dave' }))).toBe('allow');
    expect(await principal('testing@secure*', await demo.sign({}))).toBe('deny-403');
    expect(await principal('testing@secure*', await url.sign({ sub: 'dave' }))).toBe('deny-403');
  });

  test('`*/sub` is any issuer with an exact sub (a sub ending in "/sub" does not match)', async () => {
    expect(await principal('*/alice@example.com', await url.sign({ sub: 'alice@example.com' }))).toBe('allow');
    expect(await principal('*/bob', await url.sign({ sub: 'team/bob' }))).toBe('deny-403');
  });

  test('`*@example.com` is a sub suffix, not an issuer match', async () => {
    expect(await principal('*@example.com', await url.sign({ sub: 'alice@example.com' }))).toBe('allow');
    expect(await principal('*@example.com', await auth0.sign({ sub: 'carol' }))).toBe('deny-403');
  });

  test('Auth0 issuers end in "/": the principal has a double slash', async () => {
    const token = await auth0.sign({ sub: 'carol' });
    expect(await principal('https://tenant.auth0.com//carol', token)).toBe('allow');
    expect(await principal('https://tenant.auth0.com/carol', token)).toBe('deny-403');
    expect(await principal('https://tenant.auth0.com//*', token)).toBe('allow');
  });

  test('a value without "/" or "*" never matches, not even a token without sub', async () => {
    expect(await principal('testing@secure.istio.io', await demo.sign({}))).toBe('deny-403');
    expect(await principal('testing@secure.istio.io', await demo.sign({ sub: 'dave' }))).toBe('deny-403');
  });

  test('a sub containing "/" cannot be matched exactly', async () => {
    expect(await principal('https://issuer.example.com/team/bob', await url.sign({ sub: 'team/bob' }))).toBe('deny-403');
  });

  test('claims: nested, list elements, scope split on spaces; numbers never match', async () => {
    const token = await url.sign({ sub: 'u', realm: { role: 'admin' }, groups: ['g1', 'g2'], scope: 'read write', level: 3 });
    expect(await verdict(allowWhen({ key: 'request.auth.claims[realm][role]', values: ['admin'] }), token)).toBe('allow');
    expect(await verdict(allowWhen({ key: 'request.auth.claims[groups]', values: ['g2'] }), token)).toBe('allow');
    expect(await verdict(allowWhen({ key: 'request.auth.claims[scope]', values: ['write'] }), token)).toBe('allow');
    expect(await verdict(allowWhen({ key: 'request.auth.claims[scope]', values: ['read write'] }), token)).toBe('deny-403');
    expect(await verdict(allowWhen({ key: 'request.auth.claims[level]', values: ['3'] }), token)).toBe('deny-403');
  });

  test('spaceDelimitedClaims are split too (Istio ≥1.28); nested claims are never split (Envoy splits top-level claims)', async () => {
    const token = await url.sign({ sub: 'u', roles: 'reader writer', ext: { scope: 'a b' } });
    expect(await verdict(allowWhen({ key: 'request.auth.claims[roles]', values: ['writer'] }), token)).toBe('allow');
    expect(await verdict(allowWhen({ key: 'request.auth.claims[ext][scope]', values: ['a'] }), token)).toBe('deny-403');
    expect(await verdict(allowWhen({ key: 'request.auth.claims[ext][scope]', values: ['a b'] }), token)).toBe('allow');
  });

  test('request.auth.audiences and presenter', async () => {
    const token = await url.sign({ sub: 'u', azp: 'web' }, { audience: ['a1', 'a2'] });
    expect(await verdict(allowWhen({ key: 'request.auth.audiences', values: ['a2'] }), token)).toBe('allow');
    expect(await verdict(allowWhen({ key: 'request.auth.presenter', values: ['web'] }), token)).toBe('allow');
    expect(await verdict(allowWhen({ key: 'request.auth.presenter', values: ['cli'] }), token)).toBe('deny-403');
  });
});

// ---- §1.8 other when keys ---------------------------------------------------------------------

describe('§1.8 when keys', () => {
  test('destination.port is the container port', async () => {
    expect(await under(allowWhen({ key: 'destination.port', values: ['8080'] }), get('foo/sleep'))).toBe('allow');
    expect(await under(allowWhen({ key: 'destination.port', values: ['8000'] }), get('foo/sleep'))).toBe('deny-403');
  });

  test('connection.sni: plaintext has none, so a positive value never matches', async () => {
    expect(await under(allowWhen({ key: 'connection.sni', values: ['*'] }), get('legacy/sleep'))).toBe('deny-403');
    expect(await under(allowWhen({ key: 'connection.sni', values: ['*'] }), get('foo/sleep'))).toBe('allow');
  });

  // The client sidecar's SNI is its outbound cluster's name: Service port and Service FQDN.
  test('connection.sni is outbound_.<Service port>_._.<Service FQDN>', async () => {
    expect(await under(allowWhen({ key: 'connection.sni', values: ['outbound_.8000_._.httpbin.foo.svc.cluster.local'] }), get('foo/sleep'))).toBe('allow');
  });

  test('an unknown key drops the whole rule, for ALLOW and DENY, on HTTP and on TCP', async () => {
    expect(await under({ action: 'ALLOW', rules: [{ when: [{ key: 'destination.namespace', values: ['foo'] }] }] }, get('foo/sleep'))).toBe('deny-403');
    expect(await under({ action: 'DENY', rules: [{ when: [{ key: 'destination.namespace', notValues: ['x'] }] }] }, get('foo/sleep'))).toBe('allow');
    // On TCP the rule is skipped too, not widened as an HTTP-only condition would be.
    const tcpDeny = policy('foo', 'deny', { selector: { matchLabels: { app: 'tcp-echo' } }, action: 'DENY', rules: [{ when: [{ key: 'request.auth.foo', values: ['x'] }] }] });
    expect(await outcome(simulate([...base, tcpDeny]), { from: from('foo/sleep'), to: 'foo/tcp-echo', port: 9000 })).toBe('allow');
  });
});

// ---- §1.9 HTTP-only fields on TCP -------------------------------------------------------------

describe('§1.9 HTTP-only fields on TCP ports', () => {
  const echo = (spec: Record<string, unknown>, extra: Manifest[] = []) =>
    outcome(simulate([...base, ...extra, policy('foo', 'tcp', { selector: { matchLabels: { app: 'tcp-echo' } }, ...spec })]), { from: from('foo/sleep'), to: 'foo/tcp-echo', port: 9000 });

  test('ALLOW: a rule with any HTTP-only field (notPaths too) is dropped', async () => {
    expect(await echo(allowTo({ notPaths: ['/admin'] }))).toBe('reset');
    expect(await echo({ action: 'ALLOW', rules: [{ to: [{ operation: { ports: ['9000'] } }], when: [{ key: 'request.headers[x]', values: ['1'] }] }] })).toBe('reset');
    expect(await echo(allowTo({ ports: ['9000'] }))).toBe('allow');
  });

  test('DENY: HTTP-only conditions are dropped and the rule widens', async () => {
    expect(await echo({ action: 'DENY', rules: [{ from: [{ source: { requestPrincipals: ['*'] } }], to: [{ operation: { ports: ['9000'] } }] }] })).toBe('reset');
    expect(await echo({ action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-admin]', values: ['1'] }] }] })).toBe('reset');
    expect(await echo({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['9001'] } }] }] })).toBe('allow');
  });

  test('an https-* port is TCP at the sidecar', async () => {
    const tls = [...app('foo', 'secure', [{ name: 'https-app', port: 8443 }]), policy('foo', 'p', { selector: { matchLabels: { app: 'secure' } }, ...allowTo({ methods: ['GET'] }) })];
    expect(await outcome(simulate([...base, ...tls]), { from: from('foo/sleep'), to: 'foo/secure', port: 8443 })).toBe('reset');
  });
});

// ---- §3 JWT stage -----------------------------------------------------------------------------

describe('§3 RequestAuthentication: token locations and outcomes', () => {
  const jwksUri = 'https://issuer.example.com/jwks';
  let issuer: TestIssuer;
  let impostor: TestIssuer;
  beforeAll(async () => {
    issuer = await testIssuer('https://issuer.example.com');
    impostor = await testIssuer('https://issuer.example.com', 'test-key');
  });
  const sim = (rule: Record<string, unknown> = {}, requireJwt = true) => simulate([
    ...base,
    obj('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri, ...rule }] }),
    ...(requireJwt ? [policy('foo', 'require-jwt', { ...onHttpbin, ...allowFrom({ requestPrincipals: ['*'] }) })] : []),
  ], { jwks: { [jwksUri]: issuer.jwks } });
  const valid = () => issuer.sign({ sub: 'alice' });

  test('fromHeaders with a prefix replaces the defaults', async () => {
    const s = sim({ fromHeaders: [{ name: 'x-jwt', prefix: 'Token ' }] });
    const token = await valid();
    expect(await outcome(s, get('foo/sleep', { headers: { 'X-Jwt': `Token ${token}` } }))).toBe('allow');
    expect(await outcome(s, get('foo/sleep', { token }))).toBe('deny-403');
    expect(await outcome(s, get('foo/sleep', { path: `/?access_token=${token}` }))).toBe('deny-403');
    expect(await outcome(s, get('foo/sleep', { headers: { 'x-jwt': token } }))).toBe('deny-403');
  });

  test('the prefix may appear anywhere in the header value (Envoy extractor.cc)', async () => {
    const token = await valid();
    expect(await outcome(sim(), get('foo/sleep', { headers: { authorization: `Basic Zm9vOmJhcg==, Bearer ${token}` } }))).toBe('allow');
    expect(await outcome(sim(), get('foo/sleep', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }))).toBe('deny-403');
  });

  test('fromParams replaces the defaults; the default locations are Bearer and access_token', async () => {
    const token = await valid();
    const params = sim({ fromParams: ['token'] });
    expect(await outcome(params, get('foo/sleep', { path: `/?token=${token}` }))).toBe('allow');
    expect(await outcome(params, get('foo/sleep', { path: `/?access_token=${token}` }))).toBe('deny-403');
    expect(await outcome(params, get('foo/sleep', { token }))).toBe('deny-403');
    expect(await outcome(sim(), get('foo/sleep', { path: `/?access_token=${token}` }))).toBe('allow');
    expect(await outcome(sim({ fromCookies: ['session'] }), get('foo/sleep', { headers: { cookie: `a=b; session=${token}` } }))).toBe('allow');
  });

  test('several tokens: one invalid fails the request with 401', async () => {
    expect(await outcome(sim(), get('foo/sleep', { token: await valid(), path: '/?access_token=not.a.jwt' }))).toBe('deny-401');
  });

  test('RequestAuthentication alone: no token passes, a bad token is 401, a foreign issuer 401', async () => {
    expect(await outcome(sim({}, false), get('foo/sleep'))).toBe('allow');
    expect(await outcome(sim({}, false), get('foo/sleep', { token: 'invalid.token' }))).toBe('deny-401');
    const other = await testIssuer('https://other.example.com');
    expect(await outcome(sim({}, false), get('foo/sleep', { token: await other.sign({ sub: 'x' }) }))).toBe('deny-401');
  });

  test('several rules for one issuer, one with audiences and one without: a token any of them accepts passes (Istio\'s "policies are combined")', async () => {
    const combined = (second: boolean) => simulate([
      ...base,
      obj('RequestAuthentication', 'foo', 'with-aud', { ...onHttpbin, jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri, audiences: ['httpbin'] }] }),
      ...(second ? [obj('RequestAuthentication', 'foo', 'without-aud', { ...onHttpbin, jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri }] })] : []),
      policy('foo', 'require-jwt', { ...onHttpbin, ...allowFrom({ requestPrincipals: ['*'] }) }),
    ], { jwks: { [jwksUri]: issuer.jwks } });
    const otherAudience = await issuer.sign({ sub: 'a' }, { audience: ['other'] });
    expect(await outcome(combined(false), get('foo/sleep', { token: otherAudience }))).toBe('deny-403');
    expect(await outcome(combined(true), get('foo/sleep', { token: otherAudience }))).toBe('allow');
    // Still refused when no rule accepts it: here, a signature none of them can verify.
    expect(await outcome(combined(true), get('foo/sleep', { token: await impostor.sign({ sub: 'a' }) }))).toBe('deny-401');
  });

  test('audience: mismatch 403; Envoy checks time, then audience, then the signature', async () => {
    const s = sim({ audiences: ['httpbin'] }, false);
    expect(await outcome(s, get('foo/sleep', { token: await issuer.sign({ sub: 'a' }, { audience: ['httpbin'] }) }))).toBe('allow');
    expect(await outcome(s, get('foo/sleep', { token: await issuer.sign({ sub: 'a' }, { audience: ['other'] }) }))).toBe('deny-403');
    // authenticator.cc startVerify: the audience check comes before the signature check.
    expect(await outcome(s, get('foo/sleep', { token: await impostor.sign({ sub: 'a' }, { audience: ['other'] }) }))).toBe('deny-403');
    expect(await outcome(s, get('foo/sleep', { token: await impostor.sign({ sub: 'a' }, { audience: ['httpbin'] }) }))).toBe('deny-401');
    // ... and time before audience.
    expect(await outcome(s, get('foo/sleep', { token: await issuer.sign({ sub: 'a' }, { audience: ['other'], expiresInSeconds: -600 }) }))).toBe('deny-401');
  });

  test('exp and nbf have 60 s of clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const s = sim({}, false);
    expect(await outcome(s, get('foo/sleep', { token: await issuer.sign({ sub: 'a' }, { expiresInSeconds: -30 }) }))).toBe('allow');
    expect(await outcome(s, get('foo/sleep', { token: await issuer.sign({ sub: 'a' }, { expiresInSeconds: -120 }) }))).toBe('deny-401');
    expect(await outcome(s, get('foo/sleep', { token: await issuer.sign({ sub: 'a', nbf: now + 30 }) }))).toBe('allow');
    expect(await outcome(s, get('foo/sleep', { token: await issuer.sign({ sub: 'a', nbf: now + 300 }) }))).toBe('deny-401');
  });

  test('the JWT stage is skipped for CORS preflights, RBAC is not', async () => {
    const preflight = get('foo/sleep', { method: 'OPTIONS', token: 'invalid.token', headers: { origin: 'https://x', 'access-control-request-method': 'GET' } });
    expect(await outcome(sim(), preflight)).toBe('deny-403');
    expect(await outcome(sim({}, false), preflight)).toBe('allow');
  });

  // Envoy's isCorsPreflightRequest (jwt_authn filter.cc): the method OPTIONS and both headers
  // present and non-empty; anything else has its token checked.
  test('a preflight is OPTIONS with a non-empty Origin and Access-Control-Request-Method; other requests have the token checked (401)', async () => {
    const cors = { origin: 'https://x', 'access-control-request-method': 'GET' };
    const bad = (method: string, headers: Record<string, string>) => get('foo/sleep', { method, token: 'invalid.token', headers });
    expect(await outcome(sim({}, false), bad('GET', cors))).toBe('deny-401');
    expect(await outcome(sim({}, false), bad('OPTIONS', { origin: 'https://x' }))).toBe('deny-401');
    expect(await outcome(sim({}, false), bad('OPTIONS', { 'access-control-request-method': 'GET' }))).toBe('deny-401');
    expect(await outcome(sim({}, false), bad('OPTIONS', { ...cors, origin: '' }))).toBe('deny-401');
    expect(await outcome(sim({}, false), bad('OPTIONS', { ...cors, 'access-control-request-method': '' }))).toBe('deny-401');
  });

  // Without forwardOriginalToken Envoy removes the token from the header it was read from
  // (extractor.cc JwtHeaderLocation::removeJwt).
  test('a token read from a custom header is removed from that header, not from Authorization', async () => {
    const s = sim({ fromHeaders: [{ name: 'x-jwt' }] }, false);
    const { service, port } = s.target('foo/httpbin', 8000);
    const hop = await s.hop(s.meshClient('foo/sleep'), service, port, { method: 'GET', path: '/', host: 'httpbin', headers: { 'x-jwt': await valid(), authorization: 'Basic Zm9v' } });
    expect(hop.outcome).toBe('allow');
    expect(hop.appHeaders['x-jwt']).toBeUndefined();
    expect(hop.appHeaders.authorization).toBe('Basic Zm9v');
  });
});

// ---- §2 PeerAuthentication and DestinationRule TLS -------------------------------------------

describe('§2 transport: PeerAuthentication precedence, auto mTLS, DestinationRule TLS', () => {
  const pa = (namespace: string, name: string, spec: Record<string, unknown>) => obj('PeerAuthentication', namespace, name, spec);
  const strictFoo = pa('foo', 'default', { mtls: { mode: 'STRICT' } });

  test('port-level DISABLE (container port) under a STRICT namespace: plaintext accepted; auto mTLS follows it', async () => {
    const port = pa('foo', 'httpbin', { ...onHttpbin, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } });
    const s = simulate([...base, strictFoo, port]);
    expect(await outcome(s, get('legacy/sleep'))).toBe('allow');
    expect(await outcome(s, get('foo/sleep'))).toBe('allow');
    // Without mTLS there is no peer identity.
    expect(await outcome(simulate([...base, strictFoo, port, policy('foo', 'p', { ...onHttpbin, ...allowFrom({ principals: ['cluster.local/ns/foo/sa/sleep'] }) })]), get('foo/sleep'))).toBe('deny-403');
  });

  test('portLevelMtls keyed by the Service port does not apply', async () => {
    const port = pa('foo', 'httpbin', { ...onHttpbin, portLevelMtls: { 8000: { mode: 'DISABLE' } } });
    expect(await outcome(simulate([...base, strictFoo, port]), get('legacy/sleep'))).toBe('reset');
  });

  test('UNSET inherits: workload UNSET under STRICT is STRICT; port UNSET under workload PERMISSIVE is PERMISSIVE', async () => {
    expect(await outcome(simulate([...base, strictFoo, pa('foo', 'w', { ...onHttpbin, mtls: { mode: 'UNSET' } })]), get('legacy/sleep'))).toBe('reset');
    expect(await outcome(simulate([...base, strictFoo, pa('foo', 'w', { ...onHttpbin, mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { 8080: { mode: 'UNSET' } } })]), get('legacy/sleep'))).toBe('allow');
  });

  test('mesh STRICT is overridden by a namespace PERMISSIVE; a root-namespace PA with a selector is ignored', async () => {
    const mesh = pa('istio-system', 'default', { mtls: { mode: 'STRICT' } });
    expect(await outcome(simulate([...base, mesh]), get('legacy/sleep'))).toBe('reset');
    expect(await outcome(simulate([...base, mesh, pa('foo', 'default', { mtls: { mode: 'PERMISSIVE' } })]), get('legacy/sleep'))).toBe('allow');
    expect(await outcome(simulate([...base, pa('istio-system', 'sel', { ...onHttpbin, mtls: { mode: 'STRICT' } })]), get('legacy/sleep'))).toBe('allow');
  });

  test('namespace DISABLE makes clients send plaintext, so a workload STRICT resets them (istio#56084)', async () => {
    const s = simulate([...base, pa('foo', 'default', { mtls: { mode: 'DISABLE' } }), pa('foo', 'w', { ...onHttpbin, mtls: { mode: 'STRICT' } })]);
    expect(await outcome(s, get('foo/sleep'))).toBe('reset');
  });

  test('DestinationRule TLS: ISTIO_MUTUAL to a pod without sidecar is a reset; DISABLE to STRICT is a reset; client-namespace DR wins', async () => {
    const legacyHttpbin = app('legacy', 'httpbin', [{ name: 'http', port: 8000 }]);
    const toLegacy = (extra: Manifest[]) => outcome(simulate([...base, ...legacyHttpbin, ...extra]), { from: from('foo/sleep'), to: 'legacy/httpbin', port: 8000 });
    expect(await toLegacy([])).toBe('allow');
    expect(await toLegacy([obj('DestinationRule', 'foo', 'dr', { host: 'httpbin.legacy.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })])).toBe('reset');

    const disable = obj('DestinationRule', 'foo', 'dr', { host: 'httpbin', trafficPolicy: { tls: { mode: 'DISABLE' } } });
    expect(await outcome(simulate([...base, strictFoo, disable]), get('foo/sleep'))).toBe('reset');
    const inBar = obj('DestinationRule', 'bar', 'dr', { host: 'httpbin.foo.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
    expect(await outcome(simulate([...base, strictFoo, disable, inBar]), get('bar/sleep'))).toBe('allow');
    expect(await outcome(simulate([...base, strictFoo, disable, inBar]), get('foo/sleep'))).toBe('reset');
  });
});

// ---- §1.1–§1.3 policy selection and actions ---------------------------------------------------

describe('§1.1–§1.3 dry-run, CUSTOM, AUDIT', () => {
  const allowNothing = (annotations?: Record<string, string>) => policy('foo', 'allow-nothing', { ...onHttpbin }, annotations);

  test('dry-run policies are ignored; the annotation parses like Go strconv.ParseBool', async () => {
    expect(await outcome(simulate([...base, allowNothing()]), get('foo/sleep'))).toBe('deny-403');
    for (const value of ['true', 'TRUE', '1', 't']) {
      expect(await outcome(simulate([...base, allowNothing({ 'istio.io/dry-run': value })]), get('foo/sleep'))).toBe('allow');
    }
    expect(await outcome(simulate([...base, allowNothing({ 'istio.io/dry-run': 'yes' })]), get('foo/sleep'))).toBe('deny-403');
  });

  test('CUSTOM is not simulated (ISTIO §8): it neither denies nor counts as an ALLOW policy, and the reason says so', async () => {
    const custom = policy('foo', 'ext', { ...onHttpbin, action: 'CUSTOM', provider: { name: 'opa' }, rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] });
    const verdict = await simulate([...base, custom]).check(get('foo/sleep', { path: '/admin' }));
    expect(verdict.outcome).toBe('allow');
    expect(verdict.reason).toMatch(/CUSTOM policies .* not simulated/);
  });

  test('AUDIT never changes the decision and is not an ALLOW policy', async () => {
    expect(await outcome(simulate([...base, policy('foo', 'audit', { ...onHttpbin, action: 'AUDIT', rules: [{}] })]), get('foo/sleep'))).toBe('allow');
    expect(await outcome(simulate([...base, policy('foo', 'audit', { ...onHttpbin, action: 'AUDIT', rules: [{ to: [{ operation: { paths: ['/x'] } }] }] })]), get('foo/sleep'))).toBe('allow');
  });

  test('an empty from list is treated as absent (ISTIO §1.3): the rule matches anyone', async () => {
    expect(await under({ action: 'ALLOW', rules: [{ from: [] }] }, get('legacy/sleep'))).toBe('allow');
  });
});

// ---- §4 ingress routing -----------------------------------------------------------------------

describe('ingress routing: Gateway host binding, first matching route, match conditions', () => {
  const services = [...app('foo', 'svc-a', [{ name: 'http', port: 8000 }]), ...app('foo', 'svc-b', [{ name: 'http', port: 8000 }])];
  const gateway = (hosts: string[]) => obj('Gateway', 'istio-system', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] });
  const vs = (http: Record<string, unknown>[], hosts = ['api.example.com'], name = 'vs') => obj('VirtualService', 'foo', name, { hosts, gateways: ['istio-system/gw'], http });
  const to = (service: string) => ({ route: [{ destination: { host: service } }] });
  const sim = (...extra: Manifest[]) => simulate([...base, ...services, ...extra]);
  const ingress = (s: AccessSimulator, service: string, path: string, headers?: Record<string, string>) =>
    outcome(s, { from: { ingress: true }, to: `foo/${service}`, port: 8000, method: 'GET', path, ...(headers ? { headers } : {}) });

  test('the first matching route wins', async () => {
    const s = sim(gateway(['foo/api.example.com']), vs([{ match: [{ uri: { prefix: '/products' } }], ...to('svc-b') }, { match: [{ uri: { prefix: '/products/a' } }], ...to('svc-a') }]));
    expect(await ingress(s, 'svc-a', '/products/a')).toBe('no-route');
    expect(await ingress(s, 'svc-b', '/products/a')).toBe('allow');
  });

  test('exact, prefix and regex (a full match) URIs', async () => {
    const s = sim(gateway(['*/api.example.com']), vs([
      { match: [{ uri: { exact: '/a' } }], ...to('svc-a') },
      { match: [{ uri: { regex: '/r/[0-9]+' } }], ...to('svc-b') },
    ]));
    expect(await ingress(s, 'svc-a', '/a')).toBe('allow');
    expect(await ingress(s, 'svc-a', '/a/x')).toBe('no-route');
    expect(await ingress(s, 'svc-b', '/r/12')).toBe('allow');
    expect(await ingress(s, 'svc-b', '/r/12x')).toBe('no-route');
  });

  test('Gateway hosts `ns/host` bind VirtualServices by namespace; `./host` means the Gateway\'s namespace', async () => {
    const http = [to('svc-a')];
    expect(await ingress(sim(gateway(['bar/*']), vs(http)), 'svc-a', '/')).toBe('no-route');
    expect(await ingress(sim(gateway(['./api.example.com']), vs(http)), 'svc-a', '/')).toBe('no-route');
    expect(await ingress(sim(gateway(['foo/*']), vs(http)), 'svc-a', '/')).toBe('allow');
    expect(await ingress(sim(gateway(['*/other.example.com']), vs(http)), 'svc-a', '/')).toBe('no-route');
  });

  test('ignoreUriCase, queryParams and port are part of a match', async () => {
    const s = sim(gateway(['foo/*']), vs([
      { match: [{ uri: { exact: '/Products' }, ignoreUriCase: true }], ...to('svc-a') },
      { match: [{ queryParams: { v: { exact: '2' } } }], ...to('svc-b') },
      { match: [{ port: 8080 }], ...to('svc-a') },
    ]));
    expect(await ingress(s, 'svc-a', '/products')).toBe('allow');
    expect(await ingress(s, 'svc-b', '/x?v=2')).toBe('allow');
    expect(await ingress(s, 'svc-b', '/x?v=3')).toBe('no-route');
    expect(await ingress(s, 'svc-a', '/x')).toBe('no-route');
  });

  test('with the request headers known, header conditions and the Host decide the route', () => {
    const model = new MeshModel([...base, ...services, gateway(['foo/*']),
      vs([{ match: [{ headers: { 'x-canary': { exact: '1' } } }], ...to('svc-b') }, to('svc-a')]),
      vs([to('svc-b')], ['admin.example.com'], 'admin')].map((manifest) => ({ manifest })));
    const labels = { istio: 'ingressgateway' };
    const service = (name: string) => model.services.find((s) => s.name === name)!;
    const route = (name: string, headers?: Record<string, string>) =>
      routeThroughIngress(model, labels, service(name), service(name).ports[0]!, 'GET', '/', headers ? { headers } : {}).routed;
    expect(route('svc-a', {})).toBe(true);
    expect(route('svc-b', { 'x-canary': '1' })).toBe(true);
    expect(route('svc-a', { 'x-canary': '1', host: 'api.example.com' })).toBe(false);
    expect(route('svc-a', { host: 'admin.example.com' })).toBe(false);
    expect(route('svc-b', { host: 'admin.example.com:80' })).toBe(true);
    // Unknown headers (no details): a client may send any, so the canary route may be taken.
    expect(route('svc-b')).toBe(true);
  });

  test('the probes for the access matrix carry the query parameters a route asks for', () => {
    const model = new MeshModel([...base, ...services, gateway(['foo/*']), vs([{ match: [{ uri: { prefix: '/v' }, queryParams: { v: { exact: '2' } } }], ...to('svc-b') }])].map((manifest) => ({ manifest })));
    const svc = model.services.find((s) => s.name === 'svc-b')!;
    const probes = ingressPathsTo(model, { istio: 'ingressgateway' }, svc, svc.ports[0]!);
    expect(probes).toEqual([{ method: 'GET', path: '/v?v=2' }]);
    expect(routeThroughIngress(model, { istio: 'ingressgateway' }, svc, svc.ports[0]!, 'GET', probes[0]!.path).routed).toBe(true);
  });

  // Header-conditioned routes are decided with the client's own headers.
  test('a request without the canary header follows the default route', async () => {
    const s = sim(gateway(['foo/*']), vs([{ match: [{ headers: { 'x-canary': { exact: '1' } } }], ...to('svc-b') }, to('svc-a')]));
    expect(await ingress(s, 'svc-a', '/', {})).toBe('allow');
  });
});
