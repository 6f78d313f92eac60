import { claimPath, type MatchContext, type RequestFacts, ruleMatches } from '../../../analysis/access/match.js';
import type { MeshObject } from '../../../analysis/model.js';
import { rulesOf } from '../../../analysis/policy.js';

/**
 * Rule matching against ISTIO.md §1.4–§1.9, probed through the matcher's public entry point with
 * every fact of the request spelled out. Names that are prefixes of one another (`prod` and
 * `production`, `api` and `api-admin`, `/admin` and `/administrator`) are the point of most
 * cases: a matcher that compares a prefix where Istio compares the whole value admits a caller
 * the policy never named, and nothing else would show it.
 */

const ctx: MatchContext = { localTrustDomains: new Set(['cluster.local']), policyNamespace: 'prod' };

const facts = (extra: Partial<RequestFacts> = {}): RequestFacts => ({
  http: true,
  peer: { trustDomain: 'cluster.local', namespace: 'prod', serviceAccount: 'api' },
  method: 'GET', path: '/', host: 'orders.prod.svc.cluster.local:80', headers: {}, port: 8080,
  ...extra,
});
const peer = (namespace: string, serviceAccount = 'api', trustDomain = 'cluster.local') => ({ peer: { trustDomain, namespace, serviceAccount } });
const plaintext: Partial<RequestFacts> = { peer: undefined };
const token = (claims: Record<string, unknown>, issuer = 'https://idp.example.com') => ({ token: { issuer, subject: String(claims.sub ?? ''), claims } });

/** Whether the one rule matches the request, in a policy with `action`. */
function matches(rule: Record<string, unknown>, request: Partial<RequestFacts> = {}, action = 'ALLOW'): boolean {
  const policy: MeshObject = {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', name: 'probe', namespace: 'prod',
    labels: {}, annotations: {}, spec: { action, rules: [rule] }, raw: {},
  };
  const [view] = rulesOf(policy);
  return ruleMatches(view!, action, facts(request), ctx);
}
const from = (source: Record<string, unknown>) => ({ from: [{ source }] });
const to = (operation: Record<string, unknown>) => ({ to: [{ operation }] });
const when = (key: string, values: string[], notValues?: string[]) => ({ when: [{ key, values, ...(notValues ? { notValues } : {}) }] });

describe('§1.5 namespaces: the whole name, never a prefix of it', () => {
  test('`prod` admits prod, not production, prod-eu or preprod', () => {
    const rule = from({ namespaces: ['prod'] });
    expect(matches(rule, peer('prod'))).toBe(true);
    expect(matches(rule, peer('production'))).toBe(false);
    expect(matches(rule, peer('prod-eu'))).toBe(false);
    expect(matches(rule, peer('preprod'))).toBe(false);
  });

  test('`production` does not admit prod', () => {
    expect(matches(from({ namespaces: ['production'] }), peer('prod'))).toBe(false);
    expect(matches(from({ namespaces: ['production'] }), peer('production'))).toBe(true);
  });

  test('a service account named like a namespace is not the namespace', () => {
    // spiffe://cluster.local/ns/production/sa/prod: `.*/ns/prod/.*` must not find "prod" after sa/.
    expect(matches(from({ namespaces: ['prod'] }), peer('production', 'prod'))).toBe(false);
  });

  test('any trust domain: the regex starts with `.*/ns/`', () => {
    expect(matches(from({ namespaces: ['prod'] }), peer('prod', 'api', 'example.org'))).toBe(true);
  });

  test('`prod*` is a prefix and `*prod` a suffix, by the pattern\'s own wildcard', () => {
    expect(matches(from({ namespaces: ['prod*'] }), peer('production'))).toBe(true);
    expect(matches(from({ namespaces: ['prod*'] }), peer('preprod'))).toBe(false);
    expect(matches(from({ namespaces: ['*prod'] }), peer('preprod'))).toBe(true);
    expect(matches(from({ namespaces: ['*prod'] }), peer('production'))).toBe(false);
  });

  test('a dot in a pattern is a literal dot, neither any character nor nothing', () => {
    expect(matches(from({ namespaces: ['a.c*'] }), peer('abc'))).toBe(false);
    expect(matches(from({ namespaces: ['a.c'] }), peer('ac'))).toBe(false);
  });

  test('notNamespaces: `prod` excludes prod only, so a production caller passes', () => {
    const rule = from({ notNamespaces: ['prod'] });
    expect(matches(rule, peer('prod'))).toBe(false);
    expect(matches(rule, peer('production'))).toBe(true);
  });

  test('DENY by namespace: `prod` denies prod, not production', () => {
    const rule = from({ namespaces: ['prod'] });
    expect(matches(rule, peer('prod'), 'DENY')).toBe(true);
    expect(matches(rule, peer('production'), 'DENY')).toBe(false);
  });

  test('source.namespace in `when` follows the same rule', () => {
    expect(matches(when('source.namespace', ['prod']), peer('prod'))).toBe(true);
    expect(matches(when('source.namespace', ['prod']), peer('production'))).toBe(false);
  });
});

describe('§1.5 serviceAccounts: `ns/sa` or `sa` in the policy namespace, both parts whole', () => {
  test('`prod/api` admits prod/api only', () => {
    const rule = from({ serviceAccounts: ['prod/api'] });
    expect(matches(rule, peer('prod', 'api'))).toBe(true);
    expect(matches(rule, peer('prod', 'api-admin'))).toBe(false);
    expect(matches(rule, peer('prod', 'ap'))).toBe(false);
    expect(matches(rule, peer('production', 'api'))).toBe(false);
  });

  test('a bare `api` is the policy namespace\'s (prod), not production\'s', () => {
    const rule = from({ serviceAccounts: ['api'] });
    expect(matches(rule, peer('prod', 'api'))).toBe(true);
    expect(matches(rule, peer('production', 'api'))).toBe(false);
    expect(matches(rule, peer('prod', 'api-admin'))).toBe(false);
  });

  test('notServiceAccounts and source.serviceAccount in `when`', () => {
    expect(matches(from({ notServiceAccounts: ['prod/api'] }), peer('prod', 'api-admin'))).toBe(true);
    expect(matches(from({ notServiceAccounts: ['prod/api'] }), peer('prod', 'api'))).toBe(false);
    expect(matches(when('source.serviceAccount', ['prod/api']), peer('prod', 'api-admin'))).toBe(false);
    expect(matches(when('source.serviceAccount', ['prod/api']), peer('prod', 'api'))).toBe(true);
  });

  test('a plaintext request has no service account', () => {
    expect(matches(from({ serviceAccounts: ['prod/api'] }), plaintext)).toBe(false);
  });
});

describe('§1.6 principals: exact unless the value has a wildcard', () => {
  test('an exact principal admits neither a longer service account nor a longer namespace', () => {
    const rule = from({ principals: ['cluster.local/ns/prod/sa/api'] });
    expect(matches(rule, peer('prod', 'api'))).toBe(true);
    expect(matches(rule, peer('prod', 'api-admin'))).toBe(false);
    expect(matches(rule, peer('production', 'api'))).toBe(false);
  });

  test('`cluster.local/ns/prod/*` is prod\'s peers, not production\'s', () => {
    const rule = from({ principals: ['cluster.local/ns/prod/*'] });
    expect(matches(rule, peer('prod', 'anything'))).toBe(true);
    expect(matches(rule, peer('production', 'api'))).toBe(false);
  });

  test('`*` is any authenticated peer; never a plaintext request', () => {
    expect(matches(from({ principals: ['*'] }), peer('anywhere', 'x'))).toBe(true);
    expect(matches(from({ principals: ['*'] }), plaintext)).toBe(false);
    expect(matches(from({ notPrincipals: ['*'] }), plaintext)).toBe(true);
  });

  test('source.principal in `when`', () => {
    expect(matches(when('source.principal', ['cluster.local/ns/prod/sa/api']), peer('prod', 'api-admin'))).toBe(false);
    expect(matches(when('source.principal', ['cluster.local/ns/prod/sa/api']), peer('prod', 'api'))).toBe(true);
  });

  test('source.trustDomain: exact, and absent on plaintext', () => {
    expect(matches(when('source.trustDomain', ['cluster.local']), peer('prod'))).toBe(true);
    expect(matches(when('source.trustDomain', ['cluster.loc']), peer('prod'))).toBe(false);
    expect(matches(when('source.trustDomain', ['*']), plaintext)).toBe(false);
  });
});

describe('§1.4 hosts and paths: exact unless the value has a wildcard', () => {
  test('hosts: exact admits neither a longer nor a shorter Host; case does not matter', () => {
    const rule = to({ hosts: ['api.example.com'] });
    expect(matches(rule, { host: 'api.example.com' })).toBe(true);
    expect(matches(rule, { host: 'API.Example.COM' })).toBe(true);
    expect(matches(rule, { host: 'api.example.com.evil.io' })).toBe(false);
    expect(matches(rule, { host: 'api.example.co' })).toBe(false);
    expect(matches(to({ hosts: ['api.example.com*'] }), { host: 'api.example.com:443' })).toBe(true);
    expect(matches(to({ hosts: ['*.example.com'] }), { host: 'evil-example.com' })).toBe(false);
  });

  test('hosts `*` is presence: an empty Host matches, as Envoy\'s present_match does', () => {
    expect(matches(to({ hosts: ['*'] }), { host: '' })).toBe(true);
  });

  test('paths: `/admin` is not /administrator, /admin/ or /admin2', () => {
    const rule = to({ paths: ['/admin'] });
    expect(matches(rule, { path: '/admin' })).toBe(true);
    expect(matches(rule, { path: '/administrator' })).toBe(false);
    expect(matches(rule, { path: '/admin/' })).toBe(false);
    expect(matches(rule, { path: '/Admin' })).toBe(false);
  });

  test('paths: `/api/*` is under /api/, not /api itself or /apiv2', () => {
    const rule = to({ paths: ['/api/*'] });
    expect(matches(rule, { path: '/api/orders' })).toBe(true);
    expect(matches(rule, { path: '/api' })).toBe(false);
    expect(matches(rule, { path: '/apiv2/orders' })).toBe(false);
  });

  test('paths `*` needs a non-empty path', () => {
    expect(matches(to({ paths: ['*'] }), { path: '' })).toBe(false);
    expect(matches(to({ paths: ['*'] }), { path: '/' })).toBe(true);
  });

  test('a DENY on notPaths `/admin` denies /administrator: only the exact path is excluded', () => {
    expect(matches(to({ notPaths: ['/admin'] }), { path: '/administrator' }, 'DENY')).toBe(true);
    expect(matches(to({ notPaths: ['/admin'] }), { path: '/admin' }, 'DENY')).toBe(false);
  });

  test('URI templates escape the other characters: `/v1.0/{*}` does not match /v1x0/a', () => {
    expect(matches(to({ paths: ['/v1.0/{*}'] }), { path: '/v1.0/a' })).toBe(true);
    expect(matches(to({ paths: ['/v1.0/{*}'] }), { path: '/v1x0/a' })).toBe(false);
  });

  test('methods: exact, case-sensitive', () => {
    expect(matches(to({ methods: ['GET'] }), { method: 'GET' })).toBe(true);
    expect(matches(to({ methods: ['GE*'] }), { method: 'GET' })).toBe(true);
    expect(matches(to({ methods: ['GET'] }), { method: 'GETX' })).toBe(false);
  });

  test('ports: the destination (container) port, exact', () => {
    expect(matches(to({ ports: ['8080'] }), { port: 8080 })).toBe(true);
    expect(matches(to({ ports: ['808'] }), { port: 8080 })).toBe(false);
    expect(matches(when('destination.port', ['8080']), { port: 8080 })).toBe(true);
  });
});

describe('§1.4 rule structure: sources and operations are ORed, fields ANDed', () => {
  test('a second `from` entry that matches is enough; every one failing is a miss', () => {
    const rule = { from: [{ source: { namespaces: ['other'] } }, { source: { namespaces: ['prod'] } }] };
    expect(matches(rule, peer('prod'))).toBe(true);
    expect(matches({ from: [{ source: { namespaces: ['a'] } }, { source: { namespaces: ['b'] } }] }, peer('prod'))).toBe(false);
  });

  test('a second `to` entry that matches is enough; every one failing is a miss', () => {
    const rule = { to: [{ operation: { paths: ['/x'] } }, { operation: { paths: ['/'] } }] };
    expect(matches(rule)).toBe(true);
    expect(matches({ to: [{ operation: { paths: ['/x'] } }, { operation: { paths: ['/y'] } }] })).toBe(false);
  });

  test('within an operation the fields are ANDed', () => {
    expect(matches(to({ paths: ['/'], methods: ['POST'] }))).toBe(false);
    expect(matches(to({ paths: ['/'], methods: ['GET'] }))).toBe(true);
  });

  test('`values` and `notValues` of a `when` condition must both hold', () => {
    expect(matches(when('request.headers[x-tenant]', ['a*'], ['ab']), { headers: { 'x-tenant': 'ac' } })).toBe(true);
    expect(matches(when('request.headers[x-tenant]', ['a*'], ['ab']), { headers: { 'x-tenant': 'ab' } })).toBe(false);
  });

  test('an empty `to: []` and `from: []` are absent: they match anything', () => {
    expect(matches({ to: [] })).toBe(true);
    expect(matches({ from: [] }, plaintext)).toBe(true);
  });

  test('address fields never match a simulated request; their negations always do', () => {
    expect(matches(from({ ipBlocks: ['10.0.0.0/8'] }))).toBe(false);
    expect(matches(from({ remoteIpBlocks: ['10.0.0.0/8'] }))).toBe(false);
    expect(matches(from({ notIpBlocks: ['10.0.0.0/8'] }))).toBe(true);
    expect(matches(from({ notRemoteIpBlocks: ['10.0.0.0/8'] }))).toBe(true);
    for (const key of ['source.ip', 'remote.ip', 'destination.ip']) expect([key, matches(when(key, ['10.0.0.1']))]).toEqual([key, false]);
    for (const key of ['source.ip', 'remote.ip', 'destination.ip']) expect([key, matches(when(key, [], ['10.0.0.1']))]).toEqual([key, true]);
  });

  test('an unknown `when` key drops the rule; experimental Envoy filter keys are known but never match', () => {
    expect(matches(when('request.header[x]', ['a']), { headers: { x: 'a' } })).toBe(false);
    expect(matches(when('experimental.envoy.filters.network.mysql_proxy[db.table]', [], ['x']))).toBe(true);
    expect(matches(when('xexperimental.envoy.filters.network.mysql_proxy[db.table]', [], ['x']))).toBe(false);
  });
});

describe('§1.9 HTTP-only fields on a TCP chain', () => {
  const tcp: Partial<RequestFacts> = { http: false };

  test('ALLOW with hosts, methods, paths or requestPrincipals is dropped', () => {
    for (const rule of [to({ hosts: ['*'] }), to({ methods: ['*'] }), to({ paths: ['*'] }), from({ requestPrincipals: ['*'] })]) {
      expect([rule, matches(rule, tcp)]).toEqual([rule, false]);
    }
  });

  test('DENY loses only the HTTP-only conditions, so it widens', () => {
    expect(matches(to({ paths: ['/admin'], ports: ['8080'] }), { ...tcp, path: '/' }, 'DENY')).toBe(true);
    expect(matches(to({ methods: ['POST'] }), tcp, 'DENY')).toBe(true);
    expect(matches(to({ hosts: ['other.example.com'] }), tcp, 'DENY')).toBe(true);
    expect(matches({ ...from({ requestPrincipals: ['*'] }) }, tcp, 'DENY')).toBe(true);
  });

  test('peer-identity and port fields still count on TCP', () => {
    expect(matches(from({ principals: ['cluster.local/ns/prod/sa/other'] }), tcp)).toBe(false);
    expect(matches(from({ namespaces: ['production'] }), tcp)).toBe(false);
    expect(matches(from({ serviceAccounts: ['prod/other'] }), tcp)).toBe(false);
    expect(matches(from({ namespaces: ['production'] }), tcp, 'DENY')).toBe(false);
    expect(matches(from({ principals: ['cluster.local/ns/prod/sa/other'] }), tcp, 'DENY')).toBe(false);
    expect(matches(from({ serviceAccounts: ['prod/other'] }), tcp, 'DENY')).toBe(false);
    expect(matches(from({ ipBlocks: ['10.0.0.0/8'] }), tcp, 'DENY')).toBe(false);
    expect(matches(from({ remoteIpBlocks: ['10.0.0.0/8'] }), tcp, 'DENY')).toBe(false);
    expect(matches(to({ ports: ['9090'] }), tcp, 'DENY')).toBe(false);
  });
});

describe('§1.7 requestPrincipals: `iss/sub`, split at the last `/`', () => {
  const principal = (value: string, claims: Record<string, unknown>, issuer?: string) => matches(from({ requestPrincipals: [value] }), token(claims, issuer));
  const iss = 'https://idp.example.com';

  test('exact: both parts whole', () => {
    expect(principal(`${iss}/alice`, { iss, sub: 'alice' })).toBe(true);
    expect(principal(`${iss}/alice`, { iss, sub: 'alice2' })).toBe(false);
    expect(principal(`${iss}/alice`, { iss: `${iss}x`, sub: 'alice' })).toBe(false);
  });

  test('the issuer comes from the token\'s iss claim, else from the rule that validated it', () => {
    expect(principal(`${iss}/alice`, { sub: 'alice' }, iss)).toBe(true);
    expect(principal('https://other.example/alice', { sub: 'alice' }, iss)).toBe(false);
  });

  test('`*` needs a non-empty iss and sub', () => {
    expect(principal('*', { iss, sub: 'alice' })).toBe(true);
    expect(principal('*', { iss, sub: '' })).toBe(false);
    expect(principal('*', { iss: '', sub: 'alice' }, '')).toBe(false);
    expect(principal('*', { iss })).toBe(false);
  });

  test('`iss/*` is any non-empty sub from that issuer only', () => {
    expect(principal(`${iss}/*`, { iss, sub: 'bob' })).toBe(true);
    expect(principal(`${iss}/*`, { iss, sub: '' })).toBe(false);
    expect(principal(`${iss}/*`, { iss: 'https://idp.example.co', sub: 'bob' })).toBe(false);
  });

  test('`iss/pre*` is a sub prefix from that issuer', () => {
    expect(principal(`${iss}/svc-*`, { iss, sub: 'svc-orders' })).toBe(true);
    expect(principal(`${iss}/svc-*`, { iss, sub: 'user-svc-orders' })).toBe(false);
    expect(principal(`${iss}/svc-*`, { iss, sub: 'sam' })).toBe(false);
    expect(principal(`${iss}/svc-*`, { iss: 'https://other.example', sub: 'svc-orders' })).toBe(false);
  });

  test('`*/sub` is any non-empty issuer with that exact sub; `*suffix/sub` an issuer suffix', () => {
    expect(principal('*/alice', { iss, sub: 'alice' })).toBe(true);
    expect(principal('*/alice', { iss, sub: 'alice2' })).toBe(false);
    expect(principal('*/alice', { iss: '', sub: 'alice' }, '')).toBe(false);
    expect(principal('*example.com/alice', { iss, sub: 'alice' })).toBe(true);
    expect(principal('*example.org/alice', { iss, sub: 'alice' })).toBe(false);
  });

  test('without `/`: `*suffix` is a sub suffix, `prefix*` an issuer prefix', () => {
    expect(principal('*@example.com', { iss, sub: 'alice@example.com' })).toBe(true);
    expect(principal('*@example.com', { iss, sub: 'alice@example.org' })).toBe(false);
    // Istio's own example issuer has no `/`: `testing@secure*` is an issuer prefix.
    const demo = 'testing@secure.istio.io';
    expect(principal('testing@secure*', { iss: demo, sub: 'alice' }, demo)).toBe(true);
    expect(principal('testing@secure*', { iss: demo, sub: '' }, demo)).toBe(false);
    expect(principal('testing@other*', { iss: demo, sub: 'alice' }, demo)).toBe(false);
    // Neither: the whole value is the issuer and the sub must be exactly "" (generator.go
    // requestPrincipalGenerator), so only a token whose sub claim is the empty string matches.
    expect(principal(demo, { iss: demo, sub: '' }, demo)).toBe(true);
    expect(principal(demo, { iss: demo, sub: 'alice' }, demo)).toBe(false);
  });

  test('no token, or a token without a string sub, matches nothing', () => {
    expect(matches(from({ requestPrincipals: ['*'] }))).toBe(false);
    expect(principal(`${iss}/*`, { iss, sub: 42 })).toBe(false);
    expect(principal(`${iss}/4*`, { iss, sub: 42 })).toBe(false);
    expect(matches(when('request.auth.principal', [`${iss}/alice`]), token({ iss, sub: 'alice' }))).toBe(true);
    expect(matches(when('request.auth.principal', [`${iss}/alice`]), token({ iss, sub: 'alicia' }))).toBe(false);
  });
});

describe('§1.8 request.auth keys', () => {
  const iss = 'https://idp.example.com';

  test('claims: `*` needs a non-empty value; nested objects are walked; non-strings never match', () => {
    expect(matches(when('request.auth.claims[group]', ['*']), token({ iss, sub: 'a', group: '' }))).toBe(false);
    expect(matches(when('request.auth.claims[group]', ['*']), token({ iss, sub: 'a', group: 'x' }))).toBe(true);
    expect(matches(when('request.auth.claims[realm][role]', ['admin']), token({ iss, sub: 'a', realm: { role: 'admin' } }))).toBe(true);
    expect(matches(when('request.auth.claims[realm][role]', ['admin']), token({ iss, sub: 'a', realm: null }))).toBe(false);
    expect(matches(when('request.auth.claims[realm][role]', ['admin']), token({ iss, sub: 'a', realm: 'admin' }))).toBe(false);
    expect(matches(when('request.auth.claims[realm][role]', ['admin']), token({ iss, sub: 'a' }))).toBe(false);
    expect(matches(when('request.auth.claims[groups]', ['admin']), token({ iss, sub: 'a', groups: [1, 'admin'] }))).toBe(true);
    expect(matches(when('request.auth.claims[groups]', ['1']), token({ iss, sub: 'a', groups: [1] }))).toBe(false);
    expect(matches(when('request.auth.claims[groups]', ['1*']), token({ iss, sub: 'a', groups: [1] }))).toBe(false);
    expect(matches(when('request.auth.claims[level]', ['*']), token({ iss, sub: 'a', level: 3 }))).toBe(false);
    expect(matches(when('request.auth.claims[group]', ['admin']))).toBe(false);
  });

  test('a top-level scope or permission string is a space-separated list; other claims are not split', () => {
    expect(matches(when('request.auth.claims[scope]', ['write']), token({ iss, sub: 'a', scope: 'read write' }))).toBe(true);
    expect(matches(when('request.auth.claims[permission]', ['write']), token({ iss, sub: 'a', permission: 'read write' }))).toBe(true);
    expect(matches(when('request.auth.claims[roles]', ['write']), token({ iss, sub: 'a', roles: 'read write' }))).toBe(false);
    expect(matches(when('request.auth.claims[ext][scope]', ['write']), token({ iss, sub: 'a', ext: { scope: 'read write' } }))).toBe(false);
    expect(matches(when('request.auth.claims[scope][granted]', ['write']), token({ iss, sub: 'a', scope: { granted: 'read write' } }))).toBe(false);
  });

  test('claim keys: `request.auth.claims[a][b]` exactly, nothing before or after', () => {
    expect(claimPath('request.auth.claims[a][b]')).toEqual(['a', 'b']);
    expect(claimPath('xrequest.auth.claims[a]')).toBeUndefined();
    expect(claimPath('request.auth.claims[a]x')).toBeUndefined();
  });

  test('header keys: `request.headers[name]` exactly', () => {
    expect(matches(when('request.headers[x-a]', ['1']), { headers: { 'x-a': '1' } })).toBe(true);
    expect(matches(when('xrequest.headers[x-a]', ['1']), { headers: { 'x-a': '1' } })).toBe(false);
    expect(matches(when('request.headers[x-a]x', ['1']), { headers: { 'x-a': '1' } })).toBe(false);
  });

  test('audiences (a string or a list), presenter and SNI need a non-empty value for `*`', () => {
    expect(matches(when('request.auth.audiences', ['mesh']), token({ iss, sub: 'a', aud: 'mesh' }))).toBe(true);
    expect(matches(when('request.auth.audiences', ['mesh']), token({ iss, sub: 'a', aud: ['web', 'mesh'] }))).toBe(true);
    expect(matches(when('request.auth.audiences', ['*']), token({ iss, sub: 'a', aud: '' }))).toBe(false);
    expect(matches(when('request.auth.audiences', ['mesh']))).toBe(false);
    expect(matches(when('request.auth.audiences', ['*']), token({ iss, sub: 'a' }))).toBe(false);
    expect(matches(when('request.auth.presenter', ['*']), token({ iss, sub: 'a', azp: '' }))).toBe(false);
    expect(matches(when('request.auth.presenter', ['web']), token({ iss, sub: 'a', azp: 'web' }))).toBe(true);
    expect(matches(when('request.auth.presenter', ['web']))).toBe(false);
    expect(matches(when('connection.sni', ['*']), { sni: '' })).toBe(false);
    expect(matches(when('connection.sni', ['outbound_.80_._.orders.prod.svc.cluster.local']), { sni: 'outbound_.80_._.orders.prod.svc.cluster.local' })).toBe(true);
  });
});
