// The simulator on hostile input (issue 20): patterns from manifests matched in linear time with
// Istio's semantics, keys from manifests and requests never read from Object.prototype, and a
// Service defined twice read as kubectl apply leaves it.
import { globMatches, templateMatches } from '../../../analysis/access/match.js';
import { AccessRequest, AccessRequestError, AccessSimulator, Outcome, SimulatorOptions } from '../../../analysis/access/simulator.js';
import { accessMatrix } from '../../../analysis/access/matrix.js';
import { MeshModel } from '../../../analysis/model.js';
import type { Manifest } from '../../../manifests/index.js';
import { testIssuer } from './tokens.js';

const ns = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });
function app(namespace: string, name: string, port?: number, serviceAccount = name): Manifest[] {
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: serviceAccount, containers: [{ name, image: `example/${name}:1`, ...(port ? { ports: [{ containerPort: port }] } : {}) }] } } },
    },
    ...(port ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port }] } } as Manifest] : []),
  ];
}
const obj = (kind: string, namespace: string, name: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion: ['Gateway', 'VirtualService'].includes(kind) ? 'networking.istio.io/v1' : 'security.istio.io/v1', kind, metadata: { name, namespace }, spec,
});
const onHttpbin = { selector: { matchLabels: { app: 'httpbin' } } };

/** A long namespace and service account: the values that made backtracking regexes explode. */
const LONG_NS = 'a'.repeat(60);
const LONG_SA = 'a'.repeat(200);
const base: Manifest[] = [ns('istio-system'), ns('foo'), ns(LONG_NS), ...app('foo', 'httpbin', 8000), ...app('foo', 'sleep'), ...app(LONG_NS, 'client', undefined, LONG_SA)];
const simulate = (manifests: Manifest[], options: SimulatorOptions = {}) => new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest }))), options);
const get = (from: string, extra: Partial<AccessRequest> = {}): AccessRequest => ({ from: { workload: from }, to: 'foo/httpbin', port: 8000, method: 'GET', path: '/', ...extra });
const outcome = async (manifests: Manifest[], request: AccessRequest, options: SimulatorOptions = {}): Promise<Outcome> => (await simulate(manifests, options).check(request)).outcome;
const allow = (rule: Record<string, unknown>) => obj('AuthorizationPolicy', 'foo', 'probe', { ...onHttpbin, action: 'ALLOW', rules: [rule] });

describe('patterns from manifests are matched without backtracking', () => {
  test('`namespaces: ["*a*a…*c"]` (21 stars) against a long namespace decides at once, with the regex\'s answer', async () => {
    const stars = `${'*a'.repeat(20)}*c`;
    expect(await outcome([...base, allow({ from: [{ source: { namespaces: [stars] } }] })], get(`${LONG_NS}/client`))).toBe('deny-403');
    // The same shape that can match: `*` runs over the whole SPIFFE ID, past the namespace.
    expect(await outcome([...base, allow({ from: [{ source: { namespaces: [`${'*a'.repeat(20)}*`] } }] })], get(`${LONG_NS}/client`))).toBe('allow');
    expect(await outcome([...base, allow({ from: [{ source: { namespaces: ['f*o'] } }] })], get('foo/sleep'))).toBe('allow');
  });

  test('globMatches: `*` is any run of characters, everything else literal', () => {
    expect(globMatches('*/ns/f*/*', 'spiffe://td/ns/foo/sa/x')).toBe(true);
    expect(globMatches('*/ns/f.o/*', 'spiffe://td/ns/foo/sa/x')).toBe(false);
    expect(globMatches('a*b*a', 'aba')).toBe(true);
    expect(globMatches('ab*ba', 'aba')).toBe(false);
    expect(globMatches(`${'*a'.repeat(40)}*c`, 'a'.repeat(10_000))).toBe(false);
  });

  test('a path template with many `{**}` against a long path decides at once', async () => {
    const template = `${'/{**}'.repeat(30)}/end`;
    const long = `/${Array.from({ length: 500 }, () => 'x').join('/')}`;
    expect(templateMatches(template, long)).toBe(false);
    expect(templateMatches(template, `${long}/end`)).toBe(true);
    expect(await outcome([...base, allow({ to: [{ operation: { paths: [template] } }] })], get('foo/sleep', { path: long }))).toBe('deny-403');
  });

  test('templates: `{*}` one non-empty segment, `{**}` one or more segments', () => {
    expect(templateMatches('/api/{*}/x', '/api/v1/x')).toBe(true);
    expect(templateMatches('/api/{*}/x', '/api//x')).toBe(false);
    expect(templateMatches('/api/{**}', '/api/a/b/c')).toBe(true);
    expect(templateMatches('/api/{**}', '/api')).toBe(false);
    expect(templateMatches('/{**}/b/{**}', '/a/b/c')).toBe(true);
    expect(templateMatches('/{**}/b/{**}', '/b/c')).toBe(false);
  });

  describe('VirtualService uri.regex: RE2, as Envoy matches it', () => {
    const services = app('foo', 'svc', 8000);
    const gateway = obj('Gateway', 'istio-system', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/api.example.com'] }] });
    const vs = (uri: Record<string, unknown>, extra: Record<string, unknown> = {}) => obj('VirtualService', 'foo', 'vs', {
      hosts: ['api.example.com'], gateways: ['istio-system/gw'], http: [{ match: [{ uri, ...extra }], route: [{ destination: { host: 'svc' } }] }],
    });
    const ingress = (uri: Record<string, unknown>, path: string, extra: Record<string, unknown> = {}) =>
      outcome([...base, ...services, gateway, vs(uri, extra)], { from: { ingress: true }, to: 'foo/svc', port: 8000, method: 'GET', path });

    test('`/(a+)+b` on a long path of a\'s is no route, at once (a backtracking RegExp never returns)', async () => {
      expect(await ingress({ regex: '/(a+)+b' }, `/${'a'.repeat(5000)}`)).toBe('no-route');
      expect(await ingress({ regex: '/(a+)+b' }, `/${'a'.repeat(5000)}b`)).toBe('allow');
    });

    test('a full match; ignoreUriCase folds case; syntax RE2 refuses (lookahead, backreferences) matches nothing', async () => {
      expect(await ingress({ regex: '/r/[0-9]+' }, '/r/12x')).toBe('no-route');
      expect(await ingress({ regex: '/Products/.*' }, '/products/a', { ignoreUriCase: true })).toBe('allow');
      expect(await ingress({ regex: '/(?=p)p' }, '/p')).toBe('no-route');
      expect(await ingress({ regex: '/(a)\\1' }, '/aa')).toBe('no-route');
    });
  });
});

describe('header, claim and label names from manifests never read Object.prototype', () => {
  const jwksUri = 'https://issuer.example.com/jwks';
  const ra = (fromHeaders: Record<string, unknown>[]) => obj('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri, fromHeaders }] });

  test.each(['constructor', '__proto__', 'toString'])('fromHeaders `%s`: no header sent is no token (allowed), not a crash or a 401', async (name) => {
    for (const prefix of [undefined, 'Bearer ']) {
      expect([name, prefix, await outcome([...base, ra([{ name, ...(prefix ? { prefix } : {}) }])], get('foo/sleep'))]).toEqual([name, prefix, 'allow']);
    }
  });

  test('fromHeaders `constructor`: a real token in that header is still found and verified', async () => {
    const issuer = await testIssuer('https://issuer.example.com');
    const token = await issuer.sign({ sub: 'alice' });
    const manifests = [...base, ra([{ name: 'constructor' }]), allow({ from: [{ source: { requestPrincipals: ['*'] } }] })];
    expect(await outcome(manifests, get('foo/sleep', { headers: { constructor: token } }), { jwks: { [jwksUri]: issuer.jwks } })).toBe('allow');
    expect(await outcome(manifests, get('foo/sleep', { headers: { constructor: 'not-a-jwt' } }), { jwks: { [jwksUri]: issuer.jwks } })).toBe('deny-401');
    expect(await outcome(manifests, get('foo/sleep'), { jwks: { [jwksUri]: issuer.jwks } })).toBe('deny-403');
  });

  test.each(['constructor', '__proto__', 'hasOwnProperty'])('`when: request.headers[%s]` does not allow a request without that header', async (name) => {
    const manifests = [...base, allow({ when: [{ key: `request.headers[${name}]`, values: ['*'] }] })];
    expect(await outcome(manifests, get('foo/sleep'))).toBe('deny-403');
    expect(await outcome(manifests, get('foo/sleep', { headers: { [name]: 'x' } }))).toBe('allow');
  });

  test('a claim path through `__proto__` in a symbolic token neither pollutes Object.prototype nor matches by accident', async () => {
    const manifests = [...base, obj('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri }] }),
      allow({ when: [{ key: 'request.auth.claims[__proto__][polluted]', values: ['yes'] }] })];
    const simulator = simulate(manifests);
    expect((await simulator.check(get('foo/sleep'), { assumeValidToken: true })).outcome).toBe('allow');
    expect((await simulator.check(get('foo/sleep'))).outcome).toBe('deny-403');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await simulate([...base, allow({ when: [{ key: 'request.auth.claims[constructor]', values: ['*'] }] })]).check(get('foo/sleep'), { assumeValidToken: true })).outcome).toBe('deny-403');
  });
});

describe('a Service defined twice (with different ports)', () => {
  const first: Manifest = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'foo' }, spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 80 }] } };
  const last: Manifest = { ...first, spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 81 }] } };
  const model = () => new MeshModel([...base.map((manifest) => ({ manifest })), { manifest: first, file: 'one.yaml' }, { manifest: last, file: 'two.yaml' }]);

  test('the simulator and the matrix use the last definition (as ZT003 says kubectl apply does): no abort', async () => {
    const simulator = new AccessSimulator(model());
    expect((await simulator.check({ from: { workload: 'foo/sleep' }, to: 'foo/s', port: 81 })).outcome).toBe('allow');
    const cells = await accessMatrix(simulator);
    expect([...new Set(cells.filter((c) => c.to === 'foo/s').map((c) => c.port))]).toEqual([81]);
  });

  test('a port only the replaced definition had is an error naming the file and the duplicate', async () => {
    const simulator = new AccessSimulator(model());
    await expect(simulator.check({ from: { workload: 'foo/sleep' }, to: 'foo/s', port: 80 })).rejects.toThrow(AccessRequestError);
    await expect(simulator.check({ from: { workload: 'foo/sleep' }, to: 'foo/s', port: 80 })).rejects.toThrow(
      'Service foo/s as defined in two.yaml has no port 80 (ports: 81) (it is defined more than once; the last definition counts, as kubectl apply leaves it, see ZT003).',
    );
  });
});

describe('a policy naming thousands of methods and paths', () => {
  const many = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i));

  test('2,000 methods × 2,000 paths: the matrix decides it (one probe per class of requests), with the grant\'s answer', async () => {
    const grant = allow({ from: [{ source: { principals: ['cluster.local/ns/foo/sa/sleep'] } }], to: [{ operation: { methods: many(2000, (i) => `M${i}`), paths: many(2000, (i) => `/p${i}/*`) } }] });
    const cells = await accessMatrix(simulate([...base, grant]));
    const toHttpbin = (from: string) => cells.find((c) => c.to === 'foo/httpbin' && c.from === from)!;
    expect(toHttpbin('foo/sleep')).toMatchObject({ outcome: 'allow', reason: expect.stringMatching(/^M0 \/p0\/x: /) });
    expect(toHttpbin(`${LONG_NS}/client`).outcome).toBe('deny-403');
  });

  /**
   * Everything that reads a request's method and path: ALLOW and DENY operations, and the ingress
   * gateway's routes. `ingressGranted`: whether the ALLOW admits the gateway's identity.
   */
  function manifests(ingressGranted: boolean): Manifest[] {
    const methods = many(12, (i) => `M${i}`);
    const paths = many(12, (i) => `/p${i}/*`);
    const principals = ['cluster.local/ns/foo/sa/sleep', ...(ingressGranted ? ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] : [])];
    return [
      ...base,
      allow({ from: [{ source: { principals } }], to: [{ operation: { methods, paths } }] }),
      // One method and two paths denied, and all but two methods on one path: the classes must
      // keep them apart from their neighbours.
      obj('AuthorizationPolicy', 'foo', 'deny-some', { ...onHttpbin, action: 'DENY', rules: [{ to: [{ operation: { methods: ['M3'], paths: ['/p3/*', '/p7/*'] } }] }] }),
      obj('AuthorizationPolicy', 'foo', 'deny-not', { ...onHttpbin, action: 'DENY', rules: [{ to: [{ operation: { notMethods: methods.slice(0, 10), paths: ['/p11/*'] } }] }] }),
      obj('Gateway', 'istio-system', 'public', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }),
      // The gateway routes only some paths: M3 on /p3/ (which DENY refuses), and any method on
      // /p1/, /p5/ and /p11/ by a regex (so no routed path is probed first). /p1/ and /p5/ are
      // alike to the policies, and neither is the first or last of them: only the route tells them apart.
      obj('VirtualService', 'foo', 'httpbin', {
        hosts: ['*'], gateways: ['istio-system/public'],
        http: [{ match: [{ uri: { prefix: '/p3/' }, method: { exact: 'M3' } }, { uri: { regex: '/p(1|5|11)/.*' } }], route: [{ destination: { host: 'httpbin.foo.svc.cluster.local', port: { number: 8000 } } }] }],
      }),
    ];
  }

  test.each([true, false])('the classes give every cell, reason included, that probing every method with every path gives (ingress granted: %s)', async (ingressGranted) => {
    const grouped = await accessMatrix(simulate(manifests(ingressGranted)));
    const exhaustive = await accessMatrix(simulate(manifests(ingressGranted)), { everyCaller: true });
    expect(grouped.length).toBe(exhaustive.length);
    for (const [i, cell] of exhaustive.entries()) expect(grouped[i]).toEqual(cell);
    const toHttpbin = (from: string) => grouped.find((c) => c.to === 'foo/httpbin' && c.from === from)!;
    expect(toHttpbin('foo/sleep').outcome).toBe('allow');
    if (ingressGranted) {
      // Where the routes lead and the grant and no DENY hold: the first such probe is M0 on /p1/
      // (GET is not granted).
      expect(toHttpbin('ingress')).toMatchObject({ outcome: 'allow', reason: expect.stringContaining('M0 /p1/x') });
    } else {
      // Refused everywhere it is routed; the cell reports the last such probe, M11 on /p11/.
      expect(toHttpbin('ingress')).toMatchObject({ outcome: 'deny-403', reason: expect.stringContaining('route M11 /p11/x') });
    }
  });
});
