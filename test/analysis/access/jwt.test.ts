import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AccessRequest, AccessSimulator, SimulatorOptions } from '../../../analysis/access/simulator.js';
import { MeshModel } from '../../../analysis/model.js';
import type { Manifest } from '../../../manifests/index.js';

/**
 * The JWT stage (analysis/access/jwt.ts) through the simulator's public API, edge by edge:
 * audiences, token locations, JWKS sources and failures, the exp/nbf clock skew, and what reaches
 * the app. Semantics from ISTIO.md §3 (Istio's policy_applier.go and Envoy's jwt_authn filter).
 * These close the gaps mutation testing found (README, "Mutation testing").
 */

const ISSUER = 'https://issuer.example.com';
const JWKS_URI = 'https://issuer.example.com/jwks';
/** A fixed clock, so the exp/nbf edges are exact to the second. */
const NOW = 1_900_000_000;

interface Signer { readonly jwks: string; sign(claims: Record<string, unknown>): Promise<string> }
/** A test-made key: `sign` sets exactly the claims given (iss defaults to ISSUER), no iat/exp of its own. */
async function signer(kid = 'k1'): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return {
    jwks: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] }),
    sign: (claims) => new SignJWT({ iss: ISSUER, ...claims }).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey),
  };
}

const ns = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });
function app(namespace: string, name: string, port?: number): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name, image: `example/${name}:1`, ...(port ? { ports: [{ containerPort: port }] } : {}) }] } } },
    },
    ...(port ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port }] } } as Manifest] : []),
  ];
}
const on = (name: string) => ({ selector: { matchLabels: { app: name } } });
const ra = (name: string, workload: string, jwtRules: Record<string, unknown>[]): Manifest => ({
  apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name, namespace: 'foo' }, spec: { ...on(workload), jwtRules },
});
/** ALLOW only requests with a valid token (ISTIO.md §3.4): no token → 403. */
const requireJwt = (workload: string): Manifest => ({
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: `require-jwt-${workload}`, namespace: 'foo' },
  spec: { ...on(workload), action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] },
});
const base: Manifest[] = [ns('istio-system'), ns('foo'), ...app('foo', 'api', 8000), ...app('foo', 'web', 8000), ...app('foo', 'sleep')];

const simulate = (extra: Manifest[], options: SimulatorOptions = {}) =>
  new AccessSimulator(new MeshModel([...base, ...extra].map((manifest) => ({ manifest }))), { now: new Date(NOW * 1000), ...options });
/** One rule on `api`, a token required there, the rule's JWKS mapped. */
const withRule = (s: Signer, rule: Record<string, unknown> = {}) =>
  simulate([ra('jwt', 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI, ...rule }]), requireJwt('api')], { jwks: { [JWKS_URI]: s.jwks } });
const get = (extra: Partial<AccessRequest> = {}, to = 'foo/api'): AccessRequest => ({ from: { workload: 'foo/sleep' }, to, port: 8000, method: 'GET', path: '/', ...extra });
const outcome = async (sim: AccessSimulator, request: AccessRequest) => (await sim.check(request)).outcome;
/** The headers that reach api's container after its sidecar. */
async function appHeaders(sim: AccessSimulator, headers: Record<string, string>, path = '/') {
  const { service, port } = sim.target('foo/api', 8000);
  const hop = await sim.hop(sim.meshClient('foo/sleep'), service, port, { method: 'GET', path, host: 'api', headers });
  expect(hop.outcome).toBe('allow');
  return hop.appHeaders;
}

let key: Signer;
let other: Signer;
beforeAll(async () => {
  key = await signer();
  other = await signer('k2');
});

describe('audiences (ISTIO.md §3.3: aud must hold at least one of them, else 403)', () => {
  test('an aud list with one accepted audience and one other passes; with none accepted, 403', async () => {
    const s = withRule(key, { audiences: ['api'] });
    expect(await outcome(s, get({ token: await key.sign({ sub: 'a', aud: ['other', 'api'] }) }))).toBe('allow');
    expect(await outcome(s, get({ token: await key.sign({ sub: 'a', aud: ['api', 'other'] }) }))).toBe('allow');
    const refused = await s.check(get({ token: await key.sign({ sub: 'a', aud: ['other', 'third'] }) }));
    expect(refused.outcome).toBe('deny-403');
    expect(refused.reason).toContain('Audiences in Jwt are not allowed (token aud ["other","third"], accepted ["api"]; ns[foo]-requestauthentication[jwt]-rule[0])');
  });

  test('aud as a single string, and a rule accepting several audiences', async () => {
    expect(await outcome(withRule(key, { audiences: ['api'] }), get({ token: await key.sign({ sub: 'a', aud: 'api' }) }))).toBe('allow');
    expect(await outcome(withRule(key, { audiences: ['web', 'api'] }), get({ token: await key.sign({ sub: 'a', aud: 'api' }) }))).toBe('allow');
    expect(await outcome(withRule(key, { audiences: ['api'] }), get({ token: await key.sign({ sub: 'a', aud: 'apis' }) }))).toBe('deny-403');
  });

  test('a token without aud is 403 where the rule names audiences, and passes where it names none', async () => {
    const token = await key.sign({ sub: 'a' });
    expect(await outcome(withRule(key, { audiences: ['api'] }), get({ token }))).toBe('deny-403');
    expect(await outcome(withRule(key), get({ token }))).toBe('allow');
  });

  test('two rules for one issuer: a token one accepts passes whichever comes first', async () => {
    const token = await key.sign({ sub: 'a', aud: ['api'] });
    for (const names of [['a-accepts', 'z-refuses'], ['z-accepts', 'a-refuses']]) {
      const s = simulate([
        ra(names[0]!, 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI, audiences: ['api'] }]),
        ra(names[1]!, 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI, audiences: ['other'] }]),
        requireJwt('api'),
      ], { jwks: { [JWKS_URI]: key.jwks } });
      expect(await outcome(s, get({ token }))).toBe('allow');
    }
  });

  test('one simulator, two workloads with different audiences: a verdict on one is not reused for the other', async () => {
    const s = simulate([
      ra('api-jwt', 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI, audiences: ['api'] }]),
      ra('web-jwt', 'web', [{ issuer: ISSUER, jwksUri: JWKS_URI, audiences: ['web'] }]),
    ], { jwks: { [JWKS_URI]: key.jwks } });
    const token = await key.sign({ sub: 'a', aud: ['api'] });
    expect(await outcome(s, get({ token }))).toBe('allow');
    expect(await outcome(s, get({ token }, 'foo/web'))).toBe('deny-403');
    expect(await outcome(s, get({ token }))).toBe('allow');
  });
});

describe('issuers', () => {
  test('a token whose issuer no rule names is 401 "issuer is not configured", even beside a rule with audiences', async () => {
    const s = withRule(key, { audiences: ['api'] });
    const refused = await s.check(get({ token: await key.sign({ iss: 'https://elsewhere.example.com', sub: 'a', aud: ['x'] }) }));
    expect(refused.outcome).toBe('deny-401');
    expect(refused.reason).toContain('token in header authorization: Jwt issuer is not configured ("https://elsewhere.example.com" matches no jwtRules issuer)');
  });

  test('a token without iss matches no rule: 401', async () => {
    const refused = await withRule(key).check(get({ token: await key.sign({ iss: undefined, sub: 'a' }) }));
    expect(refused.outcome).toBe('deny-401');
    expect(refused.reason).toContain('Jwt issuer is not configured ("undefined" matches no jwtRules issuer)');
  });

  test('a token signed with another key: 401 "Jwt verification fails", naming the rule', async () => {
    const refused = await withRule(key).check(get({ token: await other.sign({ sub: 'a' }) }));
    expect(refused.outcome).toBe('deny-401');
    expect(refused.reason).toMatch(/token in header authorization: Jwt verification fails: .+ \(ns\[foo\]-requestauthentication\[jwt\]-rule\[0\]\)$/);
  });

  test('two issuers with their own JWKS URIs on one workload: each token verifies against its own keys', async () => {
    const second = 'https://second.example.com';
    const s = simulate([
      ra('jwt', 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI }, { issuer: second, jwksUri: `${second}/jwks` }]),
      requireJwt('api'),
    ], { jwks: { [JWKS_URI]: key.jwks, [`${second}/jwks`]: other.jwks } });
    expect(await outcome(s, get({ token: await key.sign({ sub: 'a' }) }))).toBe('allow');
    expect(await outcome(s, get({ token: await other.sign({ iss: second, sub: 'b' }) }))).toBe('allow');
    // Signed with the first issuer's key but naming the second: its JWKS does not verify it.
    expect(await outcome(s, get({ token: await key.sign({ iss: second, sub: 'c' }) }))).toBe('deny-401');
  });
});

describe('token locations (ISTIO.md §3.3 fromHeaders, fromParams, fromCookies)', () => {
  test('fromCookies alone replaces the defaults: a Bearer header or access_token is then no token', async () => {
    const s = withRule(key, { fromCookies: ['session'] });
    const token = await key.sign({ sub: 'a' });
    expect(await outcome(s, get({ headers: { cookie: `theme=dark; session=${token}` } }))).toBe('allow');
    expect(await outcome(s, get({ headers: { cookie: `session=${token}; theme=dark` } }))).toBe('allow');
    expect(await outcome(s, get({ token }))).toBe('deny-403');
    expect(await outcome(s, get({ path: `/?access_token=${token}` }))).toBe('deny-403');
  });

  test('a cookie header without the rule\'s cookie, or with it empty, carries no token', async () => {
    const s = withRule(key, { fromCookies: ['session'] });
    expect(await outcome(s, get())).toBe('deny-403');
    expect(await outcome(s, get({ headers: { cookie: 'theme=dark' } }))).toBe('deny-403');
    expect(await outcome(s, get({ headers: { cookie: 'session=; flag' } }))).toBe('deny-403');
    // No AuthorizationPolicy: tokenless requests pass the JWT stage (ISTIO.md §3.2).
    const alone = simulate([ra('jwt', 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI, fromCookies: ['session'] }])], { jwks: { [JWKS_URI]: key.jwks } });
    expect(await outcome(alone, get({ headers: { cookie: 'theme=dark' } }))).toBe('allow');
  });

  test('a bad token in a cookie or a query parameter is 401, and the reason names where it was', async () => {
    const cookie = await withRule(key, { fromCookies: ['session'] }).check(get({ headers: { cookie: 'session=not.a.jwt' } }));
    expect(cookie.outcome).toBe('deny-401');
    expect(cookie.reason).toContain('token in cookie session: Jwt is not in the form of Header.Payload.Signature (malformed)');
    const param = await withRule(key, { fromParams: ['token'] }).check(get({ path: '/?token=not.a.jwt' }));
    expect(param.outcome).toBe('deny-401');
    expect(param.reason).toContain('token in query parameter token: Jwt is not in the form');
    const header = await withRule(key).check(get({ token: 'abc' }));
    expect(header.reason).toContain('token in header authorization: Jwt is not in the form');
  });

  test('fromParams reads the query string only, not a path segment that looks like one', async () => {
    const s = withRule(key, { fromParams: ['token'] });
    const token = await key.sign({ sub: 'a' });
    expect(await outcome(s, get({ path: `/items?page=2&token=${token}` }))).toBe('allow');
    expect(await outcome(s, get({ path: `/items?token=${token}` }))).toBe('allow');
    expect(await outcome(s, get({ path: `/token=${token}` }))).toBe('deny-403');
    expect(await outcome(withRule(key), get({ path: `/access_token=${token}` }))).toBe('deny-403');
  });

  test('the token ends at the first character outside base64url (Envoy extractor.cc extractJWT)', async () => {
    const token = await key.sign({ sub: 'a' });
    const s = withRule(key);
    expect(await outcome(s, get({ headers: { authorization: `Bearer ${token}, Basic Zm9vOmJhcg==` } }))).toBe('allow');
    expect(await outcome(s, get({ headers: { authorization: `Bearer "${token}"` } }))).toBe('allow');
    expect(await outcome(s, get({ headers: { authorization: `Bearer  ${token}` } }))).toBe('allow');
    // A prefix followed by nothing token-like: the whole value is the token, which is malformed.
    expect(await outcome(s, get({ headers: { authorization: 'Bearer !!!' } }))).toBe('deny-401');
  });

  test('a header location without a prefix takes the whole value', async () => {
    const s = withRule(key, { fromHeaders: [{ name: 'x-jwt' }] });
    const token = await key.sign({ sub: 'a' });
    expect(await outcome(s, get({ headers: { 'x-jwt': token } }))).toBe('allow');
    expect(await outcome(s, get({ headers: { 'x-jwt': `"${token}"` } }))).toBe('deny-401');
  });
});

describe('JWKS sources and failures (ISTIO.md §3.2: an unfetchable JWKS fails every token closed)', () => {
  test('an inline jwks verifies tokens; a jwksUri the options do not map is unreachable: every token 401, no token still passes', async () => {
    const token = await key.sign({ sub: 'a' });
    const inline = simulate([ra('jwt', 'api', [{ issuer: ISSUER, jwks: key.jwks }]), requireJwt('api')]);
    expect(await outcome(inline, get({ token }))).toBe('allow');
    const unreachable = simulate([ra('jwt', 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI }])]);
    const refused = await unreachable.check(get({ token }));
    expect(refused.outcome).toBe('deny-401');
    expect(refused.reason).toContain(`JWKS ${JWKS_URI} is unreachable offline (map it with --jwks ${JWKS_URI}=<file>)`);
    expect(await outcome(unreachable, get())).toBe('allow');
  });

  test('JWKS that is not JSON, or has no keys array: 401 saying so', async () => {
    const token = await key.sign({ sub: 'a' });
    const notJson = await withRule({ ...key, jwks: '{"keys": [' }).check(get({ token }));
    expect(notJson.outcome).toBe('deny-401');
    expect(notJson.reason).toContain('Jwt verification fails: the JWKS is not valid JSON');
    for (const jwks of ['{"key": []}', '[]', 'null']) {
      const noKeys = await withRule({ ...key, jwks }).check(get({ token }));
      expect(noKeys.outcome).toBe('deny-401');
      expect(noKeys.reason).toContain('Jwt verification fails: the JWKS has no "keys" array');
    }
    const inlineBad = await simulate([ra('jwt', 'api', [{ issuer: ISSUER, jwks: 'nope' }])]).check(get({ token }));
    expect(inlineBad.reason).toContain('the JWKS is not valid JSON');
  });

  test('a rule with neither jwks nor jwksUri verifies nothing (OIDC discovery is not simulated)', async () => {
    const refused = await simulate([ra('jwt', 'api', [{ issuer: ISSUER }])]).check(get({ token: await key.sign({ sub: 'a' }) }));
    expect(refused.outcome).toBe('deny-401');
    expect(refused.reason).toContain('the rule has neither jwks nor jwksUri');
  });

  test('two rules with different inline jwks keep their own keys', async () => {
    const second = 'https://second.example.com';
    const s = simulate([ra('jwt', 'api', [{ issuer: ISSUER, jwks: key.jwks }, { issuer: second, jwks: other.jwks }]), requireJwt('api')]);
    expect(await outcome(s, get({ token: await key.sign({ sub: 'a' }) }))).toBe('allow');
    expect(await outcome(s, get({ token: await other.sign({ iss: second, sub: 'b' }) }))).toBe('allow');
  });

  test('an inline jwks and a jwksUri on two rules keep their own keys', async () => {
    const second = 'https://second.example.com';
    const s = simulate([ra('jwt', 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI }, { issuer: second, jwks: other.jwks }]), requireJwt('api')], { jwks: { [JWKS_URI]: key.jwks } });
    expect(await outcome(s, get({ token: await other.sign({ iss: second, sub: 'b' }) }))).toBe('allow');
    expect(await outcome(s, get({ token: await key.sign({ sub: 'a' }) }))).toBe('allow');
  });
});

describe('exp and nbf, 60 s of clock skew (Envoy jwt_authn clock_skew_seconds)', () => {
  test('exp: accepted up to 60 s past it, refused from 61 s on', async () => {
    const s = withRule(key);
    expect(await outcome(s, get({ token: await key.sign({ sub: 'a', exp: NOW - 60 }) }))).toBe('allow');
    const expired = await s.check(get({ token: await key.sign({ sub: 'a', exp: NOW - 61 }) }));
    expect(expired.outcome).toBe('deny-401');
    expect(expired.reason).toContain('Jwt is expired (ns[foo]-requestauthentication[jwt]-rule[0])');
  });

  test('nbf: accepted up to 60 s before it, refused earlier', async () => {
    const s = withRule(key);
    expect(await outcome(s, get({ token: await key.sign({ sub: 'a', nbf: NOW + 60 }) }))).toBe('allow');
    const early = await s.check(get({ token: await key.sign({ sub: 'a', nbf: NOW + 61 }) }));
    expect(early.outcome).toBe('deny-401');
    expect(early.reason).toContain('Jwt not yet valid (ns[foo]-requestauthentication[jwt]-rule[0])');
  });
});

describe('what reaches the app (ISTIO.md §3.3 forwardOriginalToken)', () => {
  test('without forwardOriginalToken the Authorization header is removed; with it the token stays', async () => {
    const token = await key.sign({ sub: 'a' });
    expect((await appHeaders(withRule(key), { authorization: `Bearer ${token}`, 'x-other': '1' }))).toEqual({ 'x-other': '1' });
    expect((await appHeaders(withRule(key, { forwardOriginalToken: true }), { authorization: `Bearer ${token}` })).authorization).toBe(`Bearer ${token}`);
  });

  test('a cookie token stays in the Cookie header either way (envoy#17985)', async () => {
    const token = await key.sign({ sub: 'a' });
    expect((await appHeaders(withRule(key, { fromCookies: ['session'] }), { cookie: `session=${token}` })).cookie).toBe(`session=${token}`);
  });
});

describe('claims as RBAC reads them', () => {
  test('scope and permission are split on spaces; other string claims are not unless spaceDelimitedClaims names them', async () => {
    const token = await key.sign({ sub: 'a', scope: 'read write', permission: 'admin audit', roles: 'x y' });
    const when = (claim: string, value: string, rule: Record<string, unknown> = {}) => simulate([
      ra('jwt', 'api', [{ issuer: ISSUER, jwksUri: JWKS_URI, ...rule }]),
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'claim', namespace: 'foo' }, spec: { ...on('api'), action: 'ALLOW', rules: [{ when: [{ key: `request.auth.claims[${claim}]`, values: [value] }] }] } },
    ], { jwks: { [JWKS_URI]: key.jwks } });
    expect(await outcome(when('scope', 'write'), get({ token }))).toBe('allow');
    expect(await outcome(when('permission', 'audit'), get({ token }))).toBe('allow');
    expect(await outcome(when('roles', 'y'), get({ token }))).toBe('deny-403');
    expect(await outcome(when('roles', 'x y'), get({ token }))).toBe('allow');
    expect(await outcome(when('roles', 'y', { spaceDelimitedClaims: ['roles'] }), get({ token }))).toBe('allow');
  });
});

describe('the JWT stage verdict (AccessSimulator.jwtStage, public API)', () => {
  const stageOf = (s: AccessSimulator) => {
    const { service, port } = s.target('foo/api', 8000);
    const [target] = s.targetsOf(service, port);
    return (headers: Record<string, string>, path = '/') => s.jwtStage(target!, { method: 'GET', path, host: 'api', headers });
  };

  test('no token: absent; a valid one: principal iss/sub, where it was, and the rule that accepted it', async () => {
    const stage = stageOf(withRule(key));
    expect(await stage({})).toEqual({ kind: 'absent', reason: 'no token where the RequestAuthentication rules look for one' });
    expect(await stage({ authorization: `Bearer ${await key.sign({ sub: 'alice' })}` })).toMatchObject({
      kind: 'valid', principal: `${ISSUER}/alice`, forwarded: false, location: { kind: 'header', name: 'authorization' },
      reason: `valid token of ${ISSUER} (ns[foo]-requestauthentication[jwt]-rule[0])`,
    });
    // No sub: the principal is "iss/" (Istio's request.auth.principal is iss/sub).
    expect(await stage({}, `/?access_token=${await key.sign({})}`)).toMatchObject({ kind: 'valid', principal: `${ISSUER}/`, location: { kind: 'param', name: 'access_token' } });
  });

  test('claims as RBAC reads them: scope and permission split on spaces, empty elements dropped; other claims untouched', async () => {
    const verdict = await stageOf(withRule(key))({ authorization: `Bearer ${await key.sign({ sub: 'a', scope: 'read  write', permission: 'admin', roles: 'x y' })}` });
    expect(verdict?.kind).toBe('valid');
    const claims = verdict?.kind === 'valid' ? verdict.claims : {};
    expect(claims.scope).toEqual(['read', 'write']);
    expect(claims.permission).toEqual(['admin']);
    expect(claims.roles).toBe('x y');
  });
});
