// The RequestAuthentication (JWT) checks (analysis/checks/jwt.ts) finding by finding: which
// object each reports, at which severity, and what the message says, on small manifests beside
// BASE. The table in test/analysis/checks.test.ts shows that each fires and a near-identical
// manifest is clean; these pin the branches a mutation run found untested (issue 21).
import { JWT_CHECKS } from '../../../analysis/checks/jwt.js';
import { app, BASE, foundIn as found, istio, join } from '../fixtures.js';

const ap = (name: string, spec: string, annotations?: string) => istio('AuthorizationPolicy', 'shop', name, spec, annotations);
const ra = (name: string, spec: string, annotations?: string) => istio('RequestAuthentication', 'shop', name, spec, annotations);
const WEB = '"cluster.local/ns/shop/sa/web"';
const DB = '"cluster.local/ns/shop/sa/db"';
const IDP = 'https://idp.example.com';
const DEMO = 'testing@secure.istio.io';
const ON_API = '{selector: {matchLabels: {app: api}}, ';
/** A RequestAuthentication on api with the given jwtRules (flow YAML). */
const raApi = (rules: string, annotations?: string) => ra('api', `${ON_API}jwtRules: ${rules}}`, annotations);
const RA_API = raApi(`[{issuer: "${IDP}", jwksUri: "${IDP}/keys"}]`);
/** An ALLOW on api with the given rules. */
const onApi = (rules: string, name = 'x') => ap(name, `${ON_API}rules: ${rules}}`);
/** web's calls to api with a token of the IdP: what ZT301 wants. */
const WEB_WITH_TOKEN = `{from: [{source: {principals: [${WEB}], requestPrincipals: ["${IDP}/*"]}}]}`;
/** BASE with its db pods outside the mesh (no sidecar). */
const PLAIN_DB = BASE.replace(app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }), app('shop', 'db', { port: 3306, portName: 'tcp-mysql', podLabels: 'sidecar.istio.io/inject: "false"' }));

const messages = (yaml: string, code: string) => found(yaml, code).map((f) => f.message);
/** The messages of `code` on BASE plus the given documents. */
const on = (code: string, ...docs: string[]) => messages(join(BASE, ...docs), code);

test('each JWT check has a title (named when it fails, ZT009) and the jwt area', () => {
  for (const c of JWT_CHECKS) {
    expect([c.code, c.area]).toEqual([c.code, 'jwt']);
    expect(c.title.length).toBeGreaterThan(15);
  }
});

describe('ZT301: a RequestAuthentication that no policy turns into a requirement', () => {
  const open = (workloads: string) => `RequestAuthentication shop/api validates tokens on ${workloads}, but no AuthorizationPolicy there requires one: a request without a token passes (only an invalid token is rejected).`;

  test('the finding: error, on the RequestAuthentication, naming the workload and the two ways to require a token', () => {
    expect(found(join(BASE, RA_API, onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`)), 'ZT301')).toEqual([{
      severity: 'error', object: 'RequestAuthentication shop/api', message: open('shop/api'),
      fix: 'add an ALLOW rule with from.source.requestPrincipals ["<issuer>/*"] (together with the caller\'s principals in the same source), or a DENY rule with notRequestPrincipals ["*"].',
    }]);
  });

  test('a namespace-wide RequestAuthentication lists every open workload with a sidecar, and only those', () => {
    const nsWide = ra('api', `{jwtRules: [{issuer: "${IDP}"}]}`);
    const grants = ap('x', `{rules: [{from: [{source: {principals: [${WEB}]}}]}]}`);
    expect(on('ZT301', nsWide, grants)).toEqual([open('shop/api, shop/web and shop/db')]);
    expect(messages(join(PLAIN_DB, nsWide, grants), 'ZT301')).toEqual([open('shop/api and shop/web')]);
    // api requires the token: it drops out of the list.
    expect(on('ZT301', nsWide, grants, onApi(`[${WEB_WITH_TOKEN}]`, 'token'))).toEqual([open('shop/web and shop/db')]);
  });

  test('a DENY of requests without a principal, or with a request.auth condition\'s notValues, requires the token', () => {
    const grant = onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`);
    const deny = (rules: string) => onApi(rules, 'deny').replace(ON_API, `${ON_API}action: DENY, `);
    expect(on('ZT301', RA_API, grant, deny('[{from: [{source: {notRequestPrincipals: ["*"]}}]}]'))).toEqual([]);
    expect(on('ZT301', RA_API, grant, deny(`[{when: [{key: "request.auth.claims[iss]", notValues: ["${IDP}"]}]}]`))).toEqual([]);
    // Other DENY rules leave tokenless requests alone.
    expect(on('ZT301', RA_API, grant, deny('[{from: [{source: {requestPrincipals: ["*"]}}]}]'))).toEqual([open('shop/api')]);
    expect(on('ZT301', RA_API, grant, deny(`[{when: [{key: "request.auth.claims[iss]", values: ["${IDP}"]}]}]`))).toEqual([open('shop/api')]);
    expect(on('ZT301', RA_API, grant, deny('[{when: [{key: source.ip, notValues: ["10.0.0.1"]}]}]'))).toEqual([open('shop/api')]);
    // One such rule among others, or one such condition among others, is enough.
    expect(on('ZT301', RA_API, grant, deny('[{to: [{operation: {paths: ["/admin"]}}]}, {from: [{source: {notRequestPrincipals: ["*"]}}]}]'))).toEqual([]);
    expect(on('ZT301', RA_API, grant, deny(`[{when: [{key: "request.auth.claims[aud]", values: [shop]}, {key: "request.auth.claims[iss]", notValues: ["${IDP}"]}]}]`))).toEqual([]);
  });

  test('only ALLOW and DENY policies count: a CUSTOM or AUDIT rule with requestPrincipals requires nothing', () => {
    const grant = onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`);
    const withAction = (action: string) => onApi(`[{from: [{source: {requestPrincipals: ["${IDP}/*"]}}]}]`, 'other').replace(ON_API, `${ON_API}action: ${action}, `);
    expect(on('ZT301', RA_API, grant, withAction('AUDIT'))).toEqual([open('shop/api')]);
    // An AUDIT of tokenless requests only logs them.
    expect(on('ZT301', RA_API, grant, onApi('[{from: [{source: {notRequestPrincipals: ["*"]}}]}]', 'audit').replace(ON_API, `${ON_API}action: AUDIT, `))).toEqual([open('shop/api')]);
    expect(on('ZT301', RA_API, grant, withAction('ALLOW'))).toEqual([]);
  });

  test('a workload that only allow-nothing policies govern admits nothing; one ALLOW with a rule opens it', () => {
    expect(on('ZT301', RA_API, onApi('[]', 'empty'))).toEqual([]);
    // A DENY with rules opens nothing: only ALLOW policies decide whether anything gets in.
    expect(on('ZT301', RA_API, onApi('[{to: [{operation: {paths: ["/admin"]}}]}]', 'deny').replace(ON_API, `${ON_API}action: DENY, `))).toEqual([]);
    expect(on('ZT301', RA_API, onApi('[]', 'empty'), onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`))).toEqual([open('shop/api')]);
  });
});

describe('ZT302: an identity-only rule beside token rules', () => {
  const TOKEN_AND_DB = `[${WEB_WITH_TOKEN}, {from: [{source: {principals: [${DB}]}}]}]`;

  test('the finding: warning, on the policy, naming the rule and the workload', () => {
    expect(found(join(BASE, RA_API, onApi(TOKEN_AND_DB)), 'ZT302')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[1] admits callers of shop/api by identity alone, while other rules there require an end-user token; rules are ORed, so those callers get through without a token.',
      fix: 'put the identity and the token in one source (principals and requestPrincipals together), or add a DENY rule with notRequestPrincipals ["*"].',
    }]);
  });

  test('the token rule may be in another ALLOW policy of the workload; each identity-only rule is reported', () => {
    expect(on('ZT302', RA_API, onApi(`[${WEB_WITH_TOKEN}]`, 'token'), onApi(`[{from: [{source: {principals: [${DB}]}}]}, {from: [{source: {namespaces: [shop]}}]}]`, 'peers')))
      .toEqual([expect.stringMatching(/^AuthorizationPolicy shop\/peers rules\[0\] /), expect.stringMatching(/^AuthorizationPolicy shop\/peers rules\[1\] /)]);
  });

  test('silent without a RequestAuthentication on the workload, without a token rule, or for a rule that names no identity', () => {
    expect(on('ZT302', onApi(TOKEN_AND_DB))).toEqual([]);
    expect(on('ZT302', RA_API, onApi(`[{from: [{source: {principals: [${WEB}]}}]}, {from: [{source: {principals: [${DB}]}}]}]`))).toEqual([]);
    expect(on('ZT302', RA_API, onApi(`[${WEB_WITH_TOKEN}, {to: [{operation: {paths: ["/health"]}}]}]`))).toEqual([]);
    // A DENY's token rule is no ALLOW token rule, and a DENY's identity rule admits nobody.
    const deny = onApi(`[${WEB_WITH_TOKEN}]`, 'deny').replace(ON_API, `${ON_API}action: DENY, `);
    expect(on('ZT302', RA_API, deny, onApi(`[{from: [{source: {principals: [${DB}]}}]}]`))).toEqual([]);
    expect(on('ZT302', RA_API, onApi(`[${WEB_WITH_TOKEN}]`), onApi(`[{from: [{source: {principals: [${DB}]}}]}]`, 'deny').replace(ON_API, `${ON_API}action: DENY, `))).toEqual([]);
  });

  test('pods without a sidecar are not reported', () => {
    const onDb = (s: string) => s.replace(ON_API, '{selector: {matchLabels: {app: db}}, ');
    expect(messages(join(BASE, onDb(RA_API), onDb(onApi(TOKEN_AND_DB))), 'ZT302')).toHaveLength(1);
    expect(messages(join(PLAIN_DB, onDb(RA_API), onDb(onApi(TOKEN_AND_DB))), 'ZT302')).toEqual([]);
  });
});

describe('ZT303: JWT rules the webhook rejects', () => {
  const rejected = (problem: string) => `RequestAuthentication shop/api: ${problem}. The API server (or istiod) rejects it, so no token is validated.`;
  const problems = (rules: string) => on('ZT303', raApi(rules));

  test('the finding: error, on the RequestAuthentication, with the fix', () => {
    expect(found(join(BASE, raApi(`[{issuer: "${IDP}", jwksUri: "idp.example.com/keys"}]`)), 'ZT303')).toEqual([{
      severity: 'error', object: 'RequestAuthentication shop/api', message: rejected('jwtRules[0].jwksUri "idp.example.com/keys" is not an http(s) URL'),
      fix: 'correct it as the RequestAuthentication reference describes; `istioctl validate -f` shows the same error.',
    }]);
  });

  test('the selector and the shape of jwtRules', () => {
    expect(on('ZT303', ra('api', `{selector: {matchLabels: {app: "*"}}, jwtRules: [{issuer: "${IDP}"}]}`))).toEqual([rejected('selector.matchLabels "app: *" contains "*"; selectors take no wildcards')]);
    expect(on('ZT303', ra('api', `{jwtRules: {issuer: "${IDP}"}}`))).toEqual([rejected('jwtRules is not a list')]);
    expect(on('ZT303', ra('api', '{}'))).toEqual([]);
    expect(problems(`[{issuer: "${IDP}"}, x, {}]`)).toEqual([rejected('jwtRules[1] is empty or not a map'), rejected('jwtRules[2] has neither issuer nor jwksUri')]);
  });

  test('issuer and JWKS source', () => {
    expect(problems('[{issuer: ""}]')).toEqual([rejected('jwtRules[0] has neither issuer nor jwksUri'), rejected('jwtRules[0].issuer is empty')]);
    expect(problems(`[{issuer: "", jwksUri: "${IDP}/keys"}]`)).toEqual([rejected('jwtRules[0].issuer is empty')]);
    expect(problems(`[{jwksUri: "${IDP}/keys"}]`)).toEqual([]);
    expect(problems(`[{issuer: "${IDP}", jwks: '{"keys": []}', jwksUri: "${IDP}/keys"}]`)).toEqual([rejected('jwtRules[0] sets both jwks and jwksUri; only one may be set')]);
  });

  test('jwksUri: an http(s) URL with a host, at most 2048 characters', () => {
    const uri = (u: string) => problems(`[{issuer: "${IDP}", jwksUri: "${u}"}]`);
    expect(uri('HTTPS://IDP.example.com/keys')).toEqual([]);
    expect(uri('http://idp.example.com/keys')).toEqual([]);
    expect(uri('https:///keys')).toEqual([rejected('jwtRules[0].jwksUri "https:///keys" is not an http(s) URL')]);
    expect(uri('ftp://idp.example.com/keys')).toEqual([rejected('jwtRules[0].jwksUri "ftp://idp.example.com/keys" is not an http(s) URL')]);
    expect(uri('see https://idp.example.com/keys')).toEqual([rejected('jwtRules[0].jwksUri "see https://idp.example.com/keys" is not an http(s) URL')]);
    const long = (n: number) => `${IDP}/${'k'.repeat(n - IDP.length - 1)}`;
    expect(uri(long(2048))).toEqual([]);
    expect(uri(long(2049))).toEqual([rejected('jwtRules[0].jwksUri is longer than 2048 characters')]);
  });

  test('audiences, fromHeaders and fromParams without empty entries', () => {
    expect(problems(`[{issuer: "${IDP}", audiences: [shop, ""]}]`)).toEqual([rejected('jwtRules[0].audiences contains an empty value')]);
    expect(problems(`[{issuer: "${IDP}", audiences: [shop, 7]}]`)).toEqual([rejected('jwtRules[0].audiences contains an empty value')]);
    expect(problems(`[{issuer: "${IDP}", audiences: [shop], fromHeaders: [{name: x-jwt, prefix: "Bearer "}], fromParams: [token]}]`)).toEqual([]);
    expect(problems(`[{issuer: "${IDP}", fromHeaders: [{name: x-jwt}, {prefix: "Bearer "}]}]`)).toEqual([rejected('jwtRules[0].fromHeaders has an entry without name')]);
    expect(problems(`[{issuer: "${IDP}", fromParams: [token, ""]}]`)).toEqual([rejected('jwtRules[0].fromParams contains an empty name')]);
  });

  test('outputClaimToHeaders: a valid header name and a claim in each entry', () => {
    const out = (entries: string) => problems(`[{issuer: "${IDP}", outputClaimToHeaders: [${entries}]}]`);
    expect(out('{header: x-Tenant_1, claim: tenant}')).toEqual([]);
    expect(out('{header: "x tenant", claim: tenant}')).toEqual([rejected('jwtRules[0].outputClaimToHeaders header "x tenant" is not a valid header name')]);
    expect(out('{header: "x-tenant:", claim: tenant}')).toEqual([rejected('jwtRules[0].outputClaimToHeaders header "x-tenant:" is not a valid header name')]);
    expect(out('{claim: tenant}')).toEqual([rejected('jwtRules[0].outputClaimToHeaders header "" is not a valid header name')]);
    expect(out('{header: x-tenant}')).toEqual([rejected('jwtRules[0].outputClaimToHeaders has an entry without claim')]);
  });

  test('inline jwks: JSON with a "keys" list', () => {
    const jwks = (text: string) => problems(`[{issuer: "${IDP}", jwks: '${text}'}]`);
    expect(jwks('{"keys": []}')).toEqual([]);
    expect(jwks('{"keys": {}}')).toEqual([rejected('jwtRules[0].jwks is not a JSON Web Key Set (no "keys" list)')]);
    expect(jwks('[]')).toEqual([rejected('jwtRules[0].jwks is not a JSON Web Key Set (no "keys" list)')]);
    expect(jwks('{"keys": [}')).toEqual([rejected('jwtRules[0].jwks is not valid JSON')]);
  });
});

describe('ZT304: the demo issuer', () => {
  const DEMO_RA = raApi(`[{issuer: "${IDP}"}, {issuer: "${DEMO}", jwksUri: "${IDP}/keys"}]`);

  test('the finding: error, on the RequestAuthentication, naming the issuer whose key is public', () => {
    expect(found(join(BASE, DEMO_RA), 'ZT304')).toEqual([{
      severity: 'error', object: 'RequestAuthentication shop/api',
      message: `RequestAuthentication shop/api trusts Istio's demo issuer "${DEMO}", whose private key is published with Istio: anyone can mint a valid token with any claims.`,
      fix: 'trust your identity provider\'s issuer; for a demo environment, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-demo-issuer: "<reason>".',
    }]);
  });

  test('acknowledged with its own annotation, a warning that quotes the reason', () => {
    const acknowledged = (annotation: string) => found(join(BASE, DEMO_RA.replace('name: api, namespace: shop', `name: api, namespace: shop, annotations: {${annotation}}`)), 'ZT304')
      .map((f) => [f.severity, f.message.endsWith('Acknowledged: "demo cluster".')]);
    expect(acknowledged('zero-trust-mesh.io/acknowledged-demo-issuer: "demo cluster"')).toEqual([['warning', true]]);
    expect(acknowledged('zero-trust-mesh.io/acknowledged-insecure-issuer: "demo cluster"')).toEqual([['error', false]]);
  });

  test('silent for other issuers, even one that contains the demo issuer\'s name', () => {
    expect(on('ZT304', RA_API, raApi(`[{issuer: "${DEMO}.example"}]`).replace('name: api', 'name: other'))).toEqual([]);
  });
});

describe('ZT305: audiences required of demo tokens', () => {
  test('the finding: warning, quoting the audiences', () => {
    expect(found(join(BASE, raApi(`[{issuer: "${DEMO}", audiences: [shop, api]}]`)), 'ZT305')).toEqual([{
      severity: 'warning', object: 'RequestAuthentication shop/api',
      message: 'RequestAuthentication shop/api requires audiences "shop", "api" from the demo issuer, but Istio\'s demo tokens carry no "aud" claim: every demo token is rejected with 403.',
      fix: 'remove audiences for the demo issuer, or use an identity provider that issues tokens for your audience.',
    }]);
  });

  test('silent for the demo issuer without audiences, and for audiences of another issuer', () => {
    expect(on('ZT305', raApi(`[{issuer: "${DEMO}", audiences: []}, {issuer: "${IDP}", audiences: [shop]}]`))).toEqual([]);
  });

  test('one finding per demo rule with audiences', () => {
    expect(on('ZT305', raApi(`[{issuer: "${DEMO}", audiences: [a]}, {issuer: "${IDP}"}, {issuer: "${DEMO}", audiences: [b]}]`)))
      .toEqual([expect.stringContaining('audiences "a" from'), expect.stringContaining('audiences "b" from')]);
  });
});

describe('ZT306: issuer or JWKS URI over plain http', () => {
  test('the finding: error, naming the rule and the field', () => {
    expect(found(join(BASE, raApi(`[{issuer: "${IDP}"}, {issuer: "${IDP}", jwksUri: "http://idp.example.com/keys"}]`)), 'ZT306')).toEqual([{
      severity: 'error', object: 'RequestAuthentication shop/api',
      message: 'RequestAuthentication shop/api jwtRules[1]: jwksUri "http://idp.example.com/keys" is plain http, so the signing keys (or discovery document) can be replaced on the way and forged tokens accepted.',
      fix: 'use the identity provider\'s https URLs; if an in-cluster http endpoint is unavoidable, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-insecure-issuer: "<reason>".',
    }]);
  });

  test('both fields over http, in any case: one finding that names both', () => {
    expect(on('ZT306', raApi('[{issuer: "HTTP://idp.example.com", jwksUri: "Http://idp.example.com/keys"}]'))).toEqual([
      'RequestAuthentication shop/api jwtRules[0]: issuer "HTTP://idp.example.com" and jwksUri "Http://idp.example.com/keys" are plain http, so the signing keys (or discovery document) can be replaced on the way and forged tokens accepted.',
    ]);
    expect(on('ZT306', raApi('[{issuer: "http://idp.example.com"}]'))).toEqual([expect.stringContaining('jwtRules[0]: issuer "http://idp.example.com" is plain http,')]);
  });

  test('silent for https, and for an issuer that only mentions http:// later', () => {
    expect(on('ZT306', raApi(`[{issuer: "${IDP}", jwksUri: "${IDP}/keys?next=http://x"}, {issuer: "idp.example.com/http://"}]`))).toEqual([]);
  });

  test('acknowledged with its own annotation, a warning', () => {
    const insecure = (annotation: string) => found(join(BASE, raApi('[{issuer: "http://idp.example.com"}]', annotation)), 'ZT306').map((f) => f.severity);
    expect(insecure('zero-trust-mesh.io/acknowledged-insecure-issuer: "in-cluster IdP"')).toEqual(['warning']);
    expect(insecure('zero-trust-mesh.io/acknowledged-demo-issuer: "in-cluster IdP"')).toEqual(['error']);
  });
});

describe('ZT307: presence', () => {
  test('the finding: warning, naming the rule and the value, for each rule that sets it', () => {
    expect(found(join(BASE, raApi(`[{issuer: "${IDP}"}, {issuer: "${IDP}/2", presence: REQUIRED}]`)), 'ZT307')).toEqual([{
      severity: 'warning', object: 'RequestAuthentication shop/api',
      message: 'RequestAuthentication shop/api jwtRules[1] sets presence: REQUIRED, which istiod never reads: a request without a token still passes the JWT stage.',
      fix: 'remove presence and require the token with an AuthorizationPolicy (requestPrincipals ["<issuer>/*"]).',
    }]);
    expect(on('ZT307', raApi(`[{issuer: "${IDP}", presence: false}]`))).toEqual([expect.stringContaining('jwtRules[0] sets presence: false, which')]);
  });
});

describe('ZT308: a request principal of an issuer the workload does not accept', () => {
  const grant = (principal: string) => onApi(`[{from: [{source: {principals: [${WEB}], requestPrincipals: ["${principal}"]}}]}]`);

  test('the finding: error, on the policy, with the accepted issuers and one to use', () => {
    expect(found(join(BASE, RA_API, grant('https://other.example.com/alice')), 'ZT308')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: `AuthorizationPolicy shop/x rules[0]: request principal "https://other.example.com/alice" means issuer "https://other.example.com" (split at the last "/"), but shop/api accepts only "${IDP}", so it never matches.`,
      fix: `use one of the accepted issuers, e.g. "${IDP}/*".`,
    }]);
  });

  test('an issuer that differs by a trailing slash: the principal to write instead', () => {
    expect(found(join(BASE, raApi(`[{issuer: "${IDP}/"}]`), grant(`${IDP}/alice`)), 'ZT308').map((f) => [f.message, f.fix])).toEqual([[
      `AuthorizationPolicy shop/x rules[0]: request principal "${IDP}/alice" means issuer "${IDP}" (split at the last "/"), but shop/api accepts only "${IDP}/"; they differ by a trailing slash, so it never matches.`,
      `write "${IDP}//alice" (issuer, "/", subject).`,
    ]]);
  });

  test('the other way round: a principal whose issuer has the trailing slash the accepted one lacks', () => {
    expect(found(join(BASE, RA_API, grant(`${IDP}//alice`)), 'ZT308').map((f) => [f.message, f.fix])).toEqual([[
      `AuthorizationPolicy shop/x rules[0]: request principal "${IDP}//alice" means issuer "${IDP}/" (split at the last "/"), but shop/api accepts only "${IDP}"; they differ by a trailing slash, so it never matches.`,
      `write "${IDP}/alice" (issuer, "/", subject).`,
    ]]);
  });

  test('a request.auth.principal condition is a request principal too; one finding per value', () => {
    const when = onApi(`[{from: [{source: {principals: [${WEB}], requestPrincipals: ["https://other.example.com/*"]}}], when: [{key: request.auth.principal, values: ["https://other.example.com/*", "https://third.example.com/bob"]}]}]`);
    expect(on('ZT308', RA_API, when)).toEqual([expect.stringContaining('principal "https://other.example.com/*" means'), expect.stringContaining('principal "https://third.example.com/bob" means')]);
    expect(on('ZT308', RA_API, onApi('[{when: [{key: "request.auth.claims[iss]", values: ["https://other.example.com/x"]}]}]'))).toEqual([]);
  });

  test('silent for an accepted issuer, a wildcard or empty issuer, a value without "/", or a workload without issuers', () => {
    for (const p of [`${IDP}/alice`, `${IDP}/*`, '*', '*/alice', 'https://*.example.com/alice', '/alice', 'alice']) expect([p, on('ZT308', RA_API, grant(p))]).toEqual([p, []]);
    expect(on('ZT308', grant('https://other.example.com/alice'))).toEqual([]);
    // A rule with only jwksUri names no issuer to compare with.
    expect(on('ZT308', raApi(`[{jwksUri: "${IDP}/keys"}]`), grant('https://other.example.com/alice'))).toEqual([]);
  });

  test('each workload the policy selects is judged by its own issuers; pods without a sidecar are skipped', () => {
    const nsGrant = ap('x', `{rules: [{from: [{source: {requestPrincipals: ["${IDP}/*"]}}]}]}`);
    const raOn = (name: string, issuer: string) => ra(name, `{selector: {matchLabels: {app: ${name}}}, jwtRules: [{issuer: "${issuer}"}]}`);
    expect(on('ZT308', nsGrant, raOn('api', IDP), raOn('web', 'https://web.example.com'), raOn('db', 'https://db.example.com')))
      .toEqual([expect.stringContaining('but shop/db accepts only "https://db.example.com"'), expect.stringContaining('but shop/web accepts only "https://web.example.com"')]);
    expect(messages(join(PLAIN_DB, nsGrant, raOn('db', 'https://db.example.com')), 'ZT308')).toEqual([]);
  });
});

describe('ZT309: the caller\'s proxy removes the token the callee requires', () => {
  const RA_WEB = (rules: string) => ra('web', `{selector: {matchLabels: {app: web}}, jwtRules: ${rules}}`);
  const NEEDS = (principals: string, requestPrincipals = `"${IDP}/*"`) => onApi(`[{from: [{source: {principals: [${principals}], requestPrincipals: [${requestPrincipals}]}}]}]`);

  test('the finding: error, on the caller\'s RequestAuthentication, naming the rules to change', () => {
    expect(found(join(BASE, RA_API, RA_WEB(`[{issuer: "${IDP}"}, {issuer: "https://other.example.com"}]`), NEEDS(WEB)), 'ZT309')).toEqual([{
      severity: 'error', object: 'RequestAuthentication shop/web',
      message: 'RequestAuthentication shop/web validates the end-user token on shop/web without forwardOriginalToken, so its proxy removes the token before the app sees it; but AuthorizationPolicy shop/x requires that token on the app\'s onward calls: they arrive without one and are denied.',
      fix: `set forwardOriginalToken: true on the jwtRules for "${IDP}", and have the app pass the Authorization header on.`,
    }]);
  });

  test('a wildcard issuer in the requirement matches every rule of the caller; forwardOriginalToken: true is no problem', () => {
    const rules = `[{issuer: "${IDP}"}, {issuer: "https://other.example.com", forwardOriginalToken: false}, {issuer: "https://third.example.com", forwardOriginalToken: true}]`;
    expect(found(join(BASE, RA_WEB(rules), NEEDS(WEB, '"*"')), 'ZT309').map((f) => f.fix))
      .toEqual([`set forwardOriginalToken: true on the jwtRules for "${IDP}" and "https://other.example.com", and have the app pass the Authorization header on.`]);
    expect(on('ZT309', RA_WEB(`[{issuer: "${IDP}", forwardOriginalToken: true}]`), NEEDS(WEB))).toEqual([]);
    // A rule with only jwksUri has no issuer to name: it is quoted empty.
    expect(found(join(BASE, RA_WEB(`[{jwksUri: "${IDP}/keys"}]`), NEEDS(WEB, '"*"')), 'ZT309').map((f) => f.fix))
      .toEqual(['set forwardOriginalToken: true on the jwtRules for "", and have the app pass the Authorization header on.']);
  });

  test('silent when the caller validates another issuer, when no principal names a workload, or for a DENY', () => {
    expect(on('ZT309', RA_WEB('[{issuer: "https://other.example.com"}]'), NEEDS(WEB))).toEqual([]);
    // Any one of the required issuers is enough for the caller's rule to strip the token.
    expect(on('ZT309', RA_WEB('[{issuer: "https://other.example.com"}]'), NEEDS(WEB, `"${IDP}/*", "https://other.example.com/*"`))).toHaveLength(1);
    for (const p of ['"cluster.local/ns/shop/sa/*"', '"*"', '"cluster.local/ns/shop/sa/web/x"', '"spiffe://cluster.local/ns/shop/sa/web"']) expect([p, on('ZT309', RA_WEB(`[{issuer: "${IDP}"}]`), NEEDS(p))]).toEqual([p, []]);
    expect(on('ZT309', RA_WEB(`[{issuer: "${IDP}"}]`), NEEDS(WEB).replace(ON_API, `${ON_API}action: DENY, `))).toEqual([]);
    expect(on('ZT309', RA_WEB(`[{issuer: "${IDP}"}]`), onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`))).toEqual([]);
  });

  test('one finding per caller RequestAuthentication and policy, however many rules name the caller', () => {
    const twice = onApi(`[{from: [{source: {principals: [${WEB}], requestPrincipals: ["${IDP}/*"]}}]}, {from: [{source: {principals: [${WEB}], requestPrincipals: ["${IDP}/alice"]}}]}]`);
    expect(on('ZT309', RA_WEB(`[{issuer: "${IDP}"}]`), twice)).toHaveLength(1);
    expect(on('ZT309', RA_WEB(`[{issuer: "${IDP}"}]`), twice, twice.replace('name: x,', 'name: y,'))).toHaveLength(2);
  });
});

describe('ZT310: an inline JWKS with private key material', () => {
  const jwks = (keys: string) => raApi(`[{issuer: "${IDP}"}, {issuer: "${IDP}/2", jwks: '{"keys": [${keys}]}'}]`);
  const PUBLIC = '{"kty": "RSA", "n": "abc", "e": "AQAB"}';

  test('the finding: warning, naming the rule and the number of private keys', () => {
    expect(found(join(BASE, jwks(`${PUBLIC}, {"kty": "RSA", "n": "abc", "e": "AQAB", "d": "x"}`)), 'ZT310')).toEqual([{
      severity: 'warning', object: 'RequestAuthentication shop/api',
      message: 'RequestAuthentication shop/api jwtRules[1].jwks holds private key material (1 key with "d" or symmetric "k"): whoever reads the manifest can sign tokens.',
      fix: 'publish only the public keys (kty, n, e / crv, x, y, kid, alg) and rotate the exposed key.',
    }]);
    expect(on('ZT310', jwks('{"kty": "oct", "k": "x"}, {"kty": "EC", "d": "x"}'))).toEqual([expect.stringContaining('(2 keys with "d" or symmetric "k")')]);
  });

  test('every private member of an RSA, EC or symmetric key counts', () => {
    for (const f of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect([f, on('ZT310', jwks(`{"kty": "RSA", "${f}": "x"}`))]).toEqual([f, [expect.stringContaining('(1 key with')]]);
  });

  test('silent for public keys, and for a jwks that is not JSON (ZT303 reports that)', () => {
    expect(on('ZT310', jwks(`${PUBLIC}, {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}`))).toEqual([]);
    expect(on('ZT310', raApi(`[{issuer: "${IDP}", jwks: '{"keys": [{"d": "x"}'}]`))).toEqual([]);
  });
});
