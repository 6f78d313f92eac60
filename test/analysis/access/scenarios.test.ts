import { JwtIssuer } from '../../../constructs/index.js';
import { ENVIRONMENTS } from '../../../infra/environment.js';
import { synthesizeEnvironment } from '../../infra/reference.js';
import { AccessRequest, AccessSimulator, Outcome } from '../../../analysis/access/simulator.js';
import { MeshModel } from '../../../analysis/model.js';
import { testIssuer, TestIssuer } from './tokens.js';

/**
 * Every row of SCENARIOS.md, evaluated by the simulator on the manifests synth writes for each
 * environment, with tokens signed by keys this test makes (their JWKS is handed to the simulator
 * under the JWKS URI the manifests name).
 */

type TokenKind = 'none' | 'valid' | 'invalid' | 'foreign' | 'expired';
interface Row {
  readonly id: string;
  readonly from: AccessRequest['from'];
  /** A Service (`namespace/name`), or with `toHost` nothing. */
  readonly to?: string;
  /** An external host, by environment (SCENARIOS.md's E rows). */
  readonly toHost?: (env: string) => string;
  readonly port: number;
  readonly path?: string;
  readonly token?: TokenKind;
  readonly demo?: boolean;
  /** SCENARIOS.md's outcome: Istio's decision at the proxies. */
  readonly outcome: Outcome | ((env: string) => Outcome);
  /**
   * The outcome with the L3/L4 and egress layer in force, where it decides first: the
   * NetworkPolicies drop what no grant opens, a caller's Sidecar blocks a host it does not import.
   * @default - the same as `outcome`
   */
  readonly layered?: Outcome | ((env: string) => Outcome);
}

const ambient = (env: string) => ENVIRONMENTS[env]!.dataplane === 'ambient';
const sleep = { workload: 'sleep/sleep' };
const a = { workload: 'products/service-a' };
const b = { workload: 'products/service-b' };
const c = { workload: 'products/service-c' };
const rows: Row[] = [
  { id: 'D1', demo: true, from: sleep, to: 'jwt/httpbin', port: 8000, path: '/status/200', token: 'none', outcome: 'deny-403' },
  { id: 'D2', demo: true, from: sleep, to: 'jwt/httpbin', port: 8000, path: '/status/200', token: 'invalid', outcome: 'deny-401' },
  { id: 'D3', demo: true, from: sleep, to: 'jwt/httpbin', port: 8000, path: '/status/200', token: 'valid', outcome: 'allow' },
  { id: 'D4', demo: true, from: sleep, to: 'mtls-strict/httpbin', port: 8000, path: '/status/200', outcome: 'allow' },
  { id: 'D5', demo: true, from: sleep, to: 'mtls-permissive/httpbin', port: 8000, path: '/status/200', outcome: 'allow' },
  { id: 'D6', demo: true, from: sleep, to: 'mtls-disable/httpbin', port: 8000, path: '/status/200', outcome: 'allow' },
  { id: 'D7', demo: true, from: { outside: true }, to: 'mtls-strict/httpbin', port: 8000, path: '/status/200', outcome: 'reset', layered: 'dropped' },
  { id: 'D8', demo: true, from: { outside: true }, to: 'mtls-permissive/httpbin', port: 8000, path: '/status/200', outcome: 'allow' },
  { id: 'D9', demo: true, from: { outside: true }, to: 'mtls-disable/httpbin', port: 8000, path: '/status/200', outcome: 'allow' },
  { id: 'P1', from: { ingress: true }, to: 'products/service-a', port: 8000, token: 'valid', outcome: 'allow' },
  { id: 'P2', from: { ingress: true }, to: 'products/service-a', port: 8000, token: 'none', outcome: 'deny-403' },
  { id: 'P3', from: { ingress: true }, to: 'products/service-a', port: 8000, token: 'invalid', outcome: 'deny-401' },
  { id: 'P4', from: { ingress: true }, to: 'products/service-a', port: 8000, token: 'foreign', outcome: 'deny-401' },
  { id: 'P5', from: { ingress: true }, to: 'products/service-a', port: 8000, token: 'expired', outcome: 'deny-401' },
  { id: 'P6', from: a, to: 'products/service-c', port: 8000, token: 'valid', outcome: 'allow' },
  { id: 'P7', from: c, to: 'products/service-b', port: 8000, token: 'valid', outcome: 'allow' },
  { id: 'P8', from: c, to: 'products/service-b', port: 8000, token: 'none', outcome: 'deny-403' },
  // On ambient, a reaches its namespace's waypoint (it calls c through it), which serves b too:
  // NetworkPolicy cannot tell the destinations behind one waypoint apart, so the waypoint refuses.
  { id: 'P9', from: a, to: 'products/service-b', port: 8000, token: 'valid', outcome: 'deny-403', layered: (env) => (ambient(env) ? 'deny-403' : 'dropped') },
  { id: 'P10', demo: true, from: sleep, to: 'products/service-c', port: 8000, token: 'valid', outcome: 'deny-403', layered: 'blocked' },
  { id: 'P11', from: b, to: 'products/mysql', port: 3306, outcome: 'allow' },
  { id: 'P12', from: a, to: 'products/mysql', port: 3306, outcome: 'reset', layered: 'dropped' },
  { id: 'P13', from: { outside: true }, to: 'products/service-c', port: 8000, token: 'valid', outcome: (env) => (ENVIRONMENTS[env]!.mtls === 'STRICT' ? 'reset' : 'deny-403'), layered: 'dropped' },
  { id: 'P14', from: { ingress: true }, to: 'products/service-c', port: 8000, token: 'valid', outcome: 'no-route' },
  // Defense in depth and egress. E3 (a pod without its sidecar) is in test/infra/defense-in-depth.test.ts.
  // Ambient has no outbound traffic policy: ztunnel passes an unknown host through (ISTIO.md §9.2),
  // and only the NetworkPolicy stops it; no caller-side proxy blocks anything.
  { id: 'E1', from: b, toHost: () => 'example.com', port: 443, outcome: (env) => (ambient(env) ? 'allow' : 'blocked'), layered: (env) => (ambient(env) ? 'dropped' : 'blocked') },
  { id: 'E2', from: { workload: 'products/mysql' }, to: 'products/service-a', port: 8000, outcome: 'deny-403', layered: (env) => (ambient(env) ? 'dropped' : 'blocked') },
  { id: 'E4', from: a, toHost: (env) => ENVIRONMENTS[env]!.egress.paymentsApiHost, port: 443, outcome: 'allow' },
  { id: 'E5', from: b, to: 'products/mysql', port: 3306, outcome: 'allow' },
];

const ISSUERS = Object.fromEntries(Object.values(ENVIRONMENTS).map((env) => [env.name, JwtIssuer.fromConfig(env.issuer)]));

describe.each(Object.keys(ENVIRONMENTS))('SCENARIOS.md on the manifests of %s', (name) => {
  const env = ENVIRONMENTS[name]!;
  const synth = synthesizeEnvironment(env);
  const model = new MeshModel(synth.manifests.map((manifest) => ({ manifest })), { rootNamespace: synth.rootNamespace, trustDomain: env.trustDomain });
  // The same mesh without its L3/L4 and egress layer: what the proxies alone decide.
  const proxiesOnly = new MeshModel(synth.manifests.filter((m) => m.kind !== 'NetworkPolicy' && m.kind !== 'Sidecar').map((manifest) => ({ manifest })),
    { rootNamespace: synth.rootNamespace, trustDomain: env.trustDomain });
  let proxiesOnlySimulator: AccessSimulator;
  const issuer = ISSUERS[name]!;
  const foreignEnv = name === 'prod' ? 'staging' : 'prod';
  let own: TestIssuer;
  let foreign: TestIssuer;
  let simulator: AccessSimulator;
  const tokens = new Map<TokenKind, string | undefined>();

  beforeAll(async () => {
    own = await testIssuer(issuer.issuer);
    foreign = await testIssuer(ISSUERS[foreignEnv]!.issuer, 'foreign-key');
    // The JWKS URI the manifests name, answered with this test's public key.
    // meshConfig's outbound traffic policy: the Mesh's default, which the Pulumi stack installs.
    simulator = new AccessSimulator(model, { jwks: { [issuer.jwksUri!]: own.jwks }, outboundTrafficPolicy: 'REGISTRY_ONLY' });
    proxiesOnlySimulator = new AccessSimulator(proxiesOnly, { jwks: { [issuer.jwksUri!]: own.jwks }, outboundTrafficPolicy: 'REGISTRY_ONLY' });
    const claims = { sub: 'user-1', groups: [env.demos.requiredGroup] };
    tokens.set('none', undefined);
    tokens.set('valid', await own.sign(claims, { audience: issuer.audiences }));
    tokens.set('invalid', 'invalid.token');
    tokens.set('foreign', await foreign.sign(claims, { audience: ISSUERS[foreignEnv]!.audiences }));
    tokens.set('expired', await own.sign(claims, { audience: issuer.audiences, expiresInSeconds: -3600 }));
  });

  const applicable = rows.filter((row) => !row.demo || env.demos.enabled);
  test.each(applicable.map((row) => [row.id, row] as const))('%s', async (_id, row) => {
    const token = tokens.get(row.token ?? 'none');
    const request: AccessRequest = {
      from: row.from, ...(row.toHost ? { toHost: row.toHost(name) } : { to: row.to! }), port: row.port, method: 'GET', path: row.path ?? '/products',
      ...(token !== undefined ? { token } : {}),
    };
    const expected = typeof row.outcome === 'function' ? row.outcome(name) : row.outcome;
    const atProxies = await proxiesOnlySimulator.check(request);
    expect({ outcome: atProxies.outcome, reason: atProxies.reason }).toEqual({ outcome: expected, reason: expect.any(String) });
    const verdict = await simulator.check(request);
    expect({ outcome: verdict.outcome, reason: verdict.reason }).toEqual({ outcome: (typeof row.layered === 'function' ? row.layered(name) : row.layered) ?? expected, reason: expect.any(String) });
    expect(verdict.reason.length).toBeGreaterThan(10);
    if (process.env.SHOW_REASONS) console.log(`${name} ${row.id} ${verdict.outcome}: ${verdict.reason}`);
  });

  // Where the environment's ingress is a Kubernetes Gateway API Gateway, the ingress rows again as
  // an outside client sees them: a request to the gateway Istio deploys (`<gateway>-istio`) with
  // the site's Host header, through listener, HTTPRoute and the gateway's own policies.
  const viaGatewayApi = env.ingress.api === 'gateway-api' ? rows.filter((row) => 'ingress' in row.from && row.to === 'products/service-a') : [];
  if (viaGatewayApi.length > 0) test.each(viaGatewayApi.map((row) => [row.id, row] as const))('%s through the Gateway API gateway products/products-istio', async (_id, row) => {
    const token = tokens.get(row.token ?? 'none');
    const port = env.ingress.tlsCredentialName ? 443 : 80;
    const request: AccessRequest = {
      from: { outside: true }, to: 'products/products-istio', port, method: 'GET', path: row.path ?? '/products',
      headers: { Host: env.ingress.host }, ...(token !== undefined ? { token } : {}),
    };
    const expected = typeof row.outcome === 'function' ? row.outcome(name) : row.outcome;
    for (const sim of [proxiesOnlySimulator, simulator]) {
      const verdict = await sim.check(request);
      expect({ outcome: verdict.outcome, reason: verdict.reason }).toEqual({ outcome: expected, reason: expect.stringContaining('Gateway products/products listener "https"') });
    }
    // The same answer as the `{"ingress": true}` form, which finds the route to service-a.
    const ingress = await simulator.check({ ...request, from: { ingress: true }, to: 'products/service-a', port: 8000 });
    expect(ingress.outcome).toBe(expected);
    expect(ingress.reason).toContain('Gateway products/products listener');
  });

  test('a JWKS URI with no mapping behaves like an unreachable JWKS: every token 401, no token still 403', async () => {
    const blind = new AccessSimulator(model);
    const request = { from: { ingress: true } as const, to: 'products/service-a', port: 8000, method: 'GET', path: '/products' };
    const valid = await blind.check({ ...request, token: tokens.get('valid')! });
    expect(valid.outcome).toBe('deny-401');
    expect(valid.reason).toMatch(/unreachable offline/);
    expect((await blind.check(request)).outcome).toBe('deny-403');
  });
});
