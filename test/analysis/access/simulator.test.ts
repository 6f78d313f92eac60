import { AccessRequest, AccessRequestError, AccessSimulator, Client, Outcome, SimulatorOptions, symbolicValidToken } from '../../../analysis/access/simulator.js';
import { MeshModel } from '../../../analysis/model.js';
import { testIssuer } from './tokens.js';
import type { Manifest } from '../../../manifests/index.js';

/**
 * The simulator's request pipeline (analysis/access/simulator.ts) where the other suites leave it
 * unexercised: the public answers the access matrix builds on (callerScoped, sidecarBlocks,
 * symbolicValidToken), request defaults, usage errors, and the transport and RBAC stages' corner
 * cases (ISTIO.md §0, §2, §8, §11.2). Each case states the verdict Istio gives.
 */

const ns = (name: string, injected = true): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(injected ? { labels: { 'istio-injection': 'enabled' } } : {}) } });
interface PortSpec { readonly name: string; readonly port: number; readonly targetPort?: number }
function app(namespace: string, name: string, ports: PortSpec[] = [], labels: Record<string, string> = { app: name }): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: name, containers: [{ name, image: `example/${name}:1`, ports: ports.map((p) => ({ containerPort: p.targetPort ?? p.port })) }] } } },
    },
    ...(ports.length > 0 ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: labels, ports } } as Manifest] : []),
  ];
}
const istio = (kind: string, namespace: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Manifest => ({
  apiVersion: ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication'].includes(kind) ? 'security.istio.io/v1' : 'networking.istio.io/v1',
  kind, metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec,
});
const onHttpbin = { selector: { matchLabels: { app: 'httpbin' } } };
const policy = (name: string, spec: Record<string, unknown>) => istio('AuthorizationPolicy', 'foo', name, { ...onHttpbin, ...spec });

/** foo and bar injected, legacy not; httpbin in foo on Service port 8000 → container port 8080; tcp-echo on 9000. */
const base: Manifest[] = [
  ns('istio-system'), ns('foo'), ns('bar'), ns('legacy', false),
  ...app('foo', 'httpbin', [{ name: 'http', port: 8000, targetPort: 8080 }]),
  ...app('foo', 'tcp-echo', [{ name: 'tcp', port: 9000 }]),
  ...app('foo', 'sleep'), ...app('bar', 'sleep'), ...app('legacy', 'sleep'),
];

const simulate = (manifests: readonly Manifest[], options: SimulatorOptions = {}) =>
  new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest }))), options);
const from = (ref: string): AccessRequest['from'] => (ref === 'outside' ? { outside: true } : ref === 'ingress' ? { ingress: true } : { workload: ref });
const get = (source: string, extra: Partial<AccessRequest> = {}): AccessRequest => ({ from: from(source), to: 'foo/httpbin', port: 8000, ...extra });
async function outcome(sim: AccessSimulator, request: AccessRequest): Promise<Outcome> {
  return (await sim.check(request)).outcome;
}

// ---- what the access matrix asks of the simulator ----------------------------------------------

describe('callerScoped: whether callers can differ in more than their identity', () => {
  test('false for Istio policies alone; true with a NetworkPolicy, a Sidecar, REGISTRY_ONLY or a Service exportTo', () => {
    expect(simulate(base).callerScoped).toBe(false);
    expect(simulate([...base, policy('p', { action: 'ALLOW', rules: [{}] })]).callerScoped).toBe(false);
    expect(simulate([...base, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'd', namespace: 'foo' }, spec: { podSelector: {} } }]).callerScoped).toBe(true);
    expect(simulate([...base, istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['./*'] }] })]).callerScoped).toBe(true);
    expect(simulate(base, { outboundTrafficPolicy: 'REGISTRY_ONLY' }).callerScoped).toBe(true);
    expect(simulate(base, { outboundTrafficPolicy: 'ALLOW_ANY' }).callerScoped).toBe(false);
    const exported = base.map((m) => (m.kind === 'Service' && m.metadata.name === 'httpbin' ? { ...m, metadata: { ...m.metadata, annotations: { 'networking.istio.io/exportTo': '.' } } } : m));
    expect(simulate(exported).callerScoped).toBe(true);
  });
});

describe('sidecarBlocks: the caller\'s own sidecar refuses exactly when sidecarOutbound says blocked', () => {
  const onlyOwn = istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['./*'] }] });
  const hidden = base.map((m) => (m.kind === 'Service' && m.metadata.name === 'httpbin' ? { ...m, metadata: { ...m.metadata, annotations: { 'networking.istio.io/exportTo': '.' } } } : m));
  // Blocked: only sidecar callers are scoped; under REGISTRY_ONLY a pod IP is in no registry.
  const cases: [string, readonly Manifest[], SimulatorOptions, string[]][] = [
    ['default scope, ALLOW_ANY', base, {}, []],
    ['default scope, REGISTRY_ONLY', base, { outboundTrafficPolicy: 'REGISTRY_ONLY' }, ['foo/sleep workload', 'bar/sleep workload']],
    ['Sidecar importing only its namespace, ALLOW_ANY', [...base, onlyOwn], {}, []],
    ['Sidecar importing only its namespace, REGISTRY_ONLY', [...base, onlyOwn], { outboundTrafficPolicy: 'REGISTRY_ONLY' }, ['foo/sleep workload', 'bar/sleep service', 'bar/sleep workload']],
    ['Service exported to its namespace only, REGISTRY_ONLY', hidden, { outboundTrafficPolicy: 'REGISTRY_ONLY' }, ['foo/sleep workload', 'bar/sleep service', 'bar/sleep workload']],
  ];
  test.each(cases)('%s', (_name, manifests, options, expected) => {
    const sim = simulate(manifests, options);
    const { service, port } = sim.target('foo/httpbin', 8000);
    const [target] = sim.targetsOf(service, port);
    const callers: Client[] = [sim.meshClient('foo/sleep'), sim.meshClient('bar/sleep'), sim.meshClient('legacy/sleep'), sim.gatewayClient(), { kind: 'plain', label: 'outside' }];
    const blocked: string[] = [];
    for (const client of callers) {
      for (const addressing of ['service', 'workload'] as const) {
        const outbound = sim.sidecarOutbound(client, target!, addressing);
        const refused = 'result' in outbound && outbound.result.outcome === 'blocked';
        expect(sim.sidecarBlocks(client, target!, addressing)).toBe(refused);
        if (refused) blocked.push(`${client.label} ${addressing}`);
      }
    }
    expect(blocked).toEqual(expected);
    // A target without a Service port (a pod as `prepare` gives it) is no registry host, however addressed.
    const pod = sim.prepare(target!.workload, 8080, true, 'foo/httpbin:8080');
    for (const client of callers) {
      for (const addressing of ['service', 'workload'] as const) {
        const outbound = sim.sidecarOutbound(client, pod, addressing);
        expect(sim.sidecarBlocks(client, pod, addressing)).toBe('result' in outbound && outbound.result.outcome === 'blocked');
      }
    }
    if (options.outboundTrafficPolicy === 'REGISTRY_ONLY') {
      const outbound = sim.sidecarOutbound(sim.meshClient('foo/sleep'), pod, 'service');
      expect('result' in outbound && outbound.result.reason).toContain('foo/sleep dials the pod IP of foo/httpbin:8080, which is no host in its registry');
    }
  });
});

describe('symbolicValidToken: the valid token the matrix assumes where it has no signing key', () => {
  const ISSUER = 'https://issuer.example.com';
  const requestAuth = (rule: Record<string, unknown> = {}) => istio('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: [{ issuer: ISSUER, jwksUri: 'https://issuer.example.com/jwks', ...rule }] });
  const assumed = async (manifests: readonly Manifest[], extra: Partial<AccessRequest> = {}) => (await simulate(manifests).check(get('foo/sleep', extra), { assumeValidToken: true })).outcome;

  test('none without a RequestAuthentication: the request then carries no principal', async () => {
    const sim = simulate(base);
    const { service, port } = sim.target('foo/httpbin', 8000);
    expect(symbolicValidToken(sim.targetsOf(service, port)[0]!)).toBeUndefined();
    expect(await assumed([...base, policy('p', { action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] })])).toBe('deny-403');
  });

  test('its principal is the issuer\'s, its audiences the rule\'s, and it satisfies the ALLOW rules\' claim conditions', async () => {
    const requireIssuer = policy('p', { action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }] }] });
    expect(await assumed([...base, requestAuth(), requireIssuer])).toBe('allow');
    const requireOther = policy('p', { action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: ['https://other.example.com/*'] } }] }] });
    expect(await assumed([...base, requestAuth(), requireOther])).toBe('deny-403');

    const audience = policy('p', { action: 'ALLOW', rules: [{ when: [{ key: 'request.auth.audiences', values: ['api'] }] }] });
    expect(await assumed([...base, requestAuth({ audiences: ['api'] }), audience])).toBe('allow');
    expect(await assumed([...base, requestAuth(), audience])).toBe('deny-403');

    const nested = policy('p', { action: 'ALLOW', rules: [{ when: [{ key: 'request.auth.claims[org][team]', values: ['payments'] }, { key: 'request.auth.claims[org][region]', values: ['eu'] }] }] });
    expect(await assumed([...base, requestAuth(), nested])).toBe('allow');
    const top = policy('p', { action: 'ALLOW', rules: [{ when: [{ key: 'request.auth.claims[groups]', values: ['admin', 'ops'] }] }] });
    expect(await assumed([...base, requestAuth(), top])).toBe('allow');
  });

  test('the claims it carries: nested maps, one value per condition, wildcard values and non-claim keys skipped', () => {
    const sim = simulate([...base, requestAuth({ audiences: ['a', 'b'], forwardOriginalToken: true }), policy('p', {
      action: 'ALLOW', rules: [{ when: [
        { key: 'request.auth.claims[org][team]', values: ['payments', 'other'] },
        { key: 'request.auth.claims[org][region]', values: ['eu'] },
        { key: 'request.auth.claims[role]', values: ['adm*'] },
        { key: 'request.headers[x-a]', values: ['1'] },
      ] }],
    })]);
    const { service, port } = sim.target('foo/httpbin', 8000);
    const verdict = symbolicValidToken(sim.targetsOf(service, port)[0]!);
    expect(verdict).toMatchObject({ kind: 'valid', principal: `${ISSUER}/matrix-user`, forwarded: true });
    expect(verdict?.kind === 'valid' && { ...verdict.claims, org: { ...(verdict.claims.org as object) } }).toEqual({
      iss: ISSUER, sub: 'matrix-user', aud: ['a', 'b'], org: { team: ['payments'], region: ['eu'] },
    });
  });
});

// ---- request defaults and usage errors ---------------------------------------------------------

describe('a request\'s defaults', () => {
  test('GET on / with the Service\'s FQDN and port as Host', async () => {
    const sim = simulate([...base, policy('p', { action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'], paths: ['/'], hosts: ['httpbin.foo.svc.cluster.local:8000'] } }] }] })]);
    expect(await outcome(sim, get('foo/sleep'))).toBe('allow');
    expect(await outcome(sim, get('foo/sleep', { method: 'POST' }))).toBe('deny-403');
    expect(await outcome(sim, get('foo/sleep', { path: '/x' }))).toBe('deny-403');
    expect(await outcome(sim, get('foo/sleep', { headers: { Host: 'other' } }))).toBe('deny-403');
  });

  test('header names are case-insensitive and a token goes in as `Authorization: Bearer`', async () => {
    const sim = simulate([...base, policy('p', { action: 'ALLOW', rules: [{ when: [{ key: 'request.headers[x-team]', values: ['a'] }, { key: 'request.headers[authorization]', values: ['Bearer t'] }] }] })]);
    expect(await outcome(sim, get('foo/sleep', { headers: { 'X-Team': 'a' }, token: 't' }))).toBe('allow');
    expect(await outcome(sim, get('foo/sleep', { headers: { 'X-Team': 'a' } }))).toBe('deny-403');
  });
});

describe('usage errors', () => {
  const sim = simulate(base);
  test('the destination: both or neither of to and toHost; an unknown Service, port or caller', async () => {
    await expect(sim.check({ from: from('foo/sleep'), to: 'foo/httpbin', toHost: 'example.com', port: 443 })).rejects.toThrow(/not both/);
    await expect(sim.check({ from: from('foo/sleep'), port: 8000 })).rejects.toThrow(AccessRequestError);
    await expect(sim.check(get('foo/sleep', { to: 'foo/nothing' }))).rejects.toThrow(/known: foo\/httpbin, foo\/tcp-echo/);
    await expect(sim.check(get('foo/sleep', { to: 'httpbin' }))).rejects.toThrow(AccessRequestError);
    await expect(sim.check(get('foo/sleep', { port: 80 }))).rejects.toThrow(/no port 80 \(ports: 8000\)/);
    await expect(sim.check(get('foo/nobody'))).rejects.toThrow(/not a workload.*known: bar\/sleep, foo\/httpbin, foo\/sleep, foo\/tcp-echo, legacy\/sleep/);
    await expect(sim.check(get('ingress', { addressing: 'workload', to: 'foo/httpbin', port: 8080 }))).rejects.toThrow(/ingress gateway calls Services only/);
    await expect(sim.check(get('foo/sleep', { addressing: 'workload', to: 'foo/nothing', port: 8080 }))).rejects.toThrow(/neither a workload nor a Service with pods/);
  });

  test('the errors say what is missing and list what exists, sorted', async () => {
    await expect(sim.check({ from: from('foo/sleep'), port: 8000 })).rejects.toMatchObject({ name: 'AccessRequestError', message: expect.stringMatching(/^give the destination as "to"/) });
    await expect(sim.check(get('foo/sleep', { port: 80 }))).rejects.toThrow(/^Service foo\/httpbin has no port 80 \(ports: 8000\)\.$/);
    // A Service defined twice: the last definition counts, and the error says so.
    const again: Manifest = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin', namespace: 'foo' }, spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000, targetPort: 8080 }, { name: 'grpc', port: 9090 }] } };
    await expect(simulate([...base, again]).check(get('foo/sleep', { port: 80 }))).rejects.toThrow(/no port 80 \(ports: 8000, 9090\) \(it is defined more than once; the last definition counts/);
    // A Service of the same name in another namespace is another Service.
    await expect(simulate([...base, ...app('bar', 'httpbin', [{ name: 'http', port: 8000 }])]).check(get('foo/sleep', { port: 80 }))).rejects.toThrow(/\(ports: 8000\)\.$/);
    const portless: Manifest = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'headless', namespace: 'foo' }, spec: { clusterIP: 'None', selector: { app: 'httpbin' } } };
    await expect(simulate([...base, portless]).check(get('foo/sleep', { to: 'foo/headless' }))).rejects.toThrow(/no port 8000 \(ports: none\)\.$/);
    // Known names sorted, whatever the manifests' order.
    await expect(simulate([...base, ...app('bar', 'api', [{ name: 'http', port: 80 }])]).check(get('foo/sleep', { to: 'foo/nothing' }))).rejects.toThrow(/\(known: bar\/api, foo\/httpbin, foo\/tcp-echo\)/);
    await expect(simulate([ns('foo')]).check(get('foo/sleep'))).rejects.toThrow(/\(known: none\)/);
    const serviceOnly = base.filter((m) => m.kind === 'Namespace' || (m.kind === 'Service' && m.metadata.name === 'httpbin'));
    await expect(simulate(serviceOnly).check(get('foo/sleep'))).rejects.toThrow(/"foo\/sleep" is not a workload.*\(known: none\)/);
    // Dialled by pod IP, a Service is looked up in the namespace named: bar has no httpbin.
    await expect(sim.check(get('foo/sleep', { addressing: 'workload', to: 'bar/httpbin', port: 8080 }))).rejects.toThrow(/"bar\/httpbin" is neither a workload nor a Service/);
  });
});

// ---- one hop to a Service ------------------------------------------------------------------------

describe('one hop: every pod behind the Service is asked', () => {
  /** Service foo/web selects two Deployments, web-a and web-b (own service accounts); `locked` gets label tier=locked. */
  const web = (locked: 'web-a' | 'web-b'): Manifest[] => [
    ...['web-a', 'web-b'].flatMap((name) => app('foo', name, [], { app: 'web', ...(name === locked ? { tier: 'locked' } : {}) })),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'foo' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    istio('AuthorizationPolicy', 'foo', 'locked', { selector: { matchLabels: { tier: 'locked' } } }),
  ];

  test('pods that disagree: the refusal is reported, whichever pod it is (nothing looks more open than it is)', async () => {
    for (const locked of ['web-a', 'web-b'] as const) {
      const verdict = await simulate([...base, ...web(locked)]).check({ from: from('foo/sleep'), to: 'foo/web', port: 80 });
      expect(verdict.outcome).toBe('deny-403');
      expect(verdict.reason).toContain(`foo/${locked}:8080`);
    }
    // Dialled by pod IP, the Service's pods are asked the same way.
    for (const locked of ['web-a', 'web-b'] as const) {
      expect(await outcome(simulate([...base, ...web(locked)]), { from: from('foo/sleep'), to: 'foo/web', port: 8080, addressing: 'workload' })).toBe('deny-403');
    }
  });

  test('dialled by pod IP, the container port\'s protocol decides: HTTP semantics on an HTTP port, TCP on a TCP one', async () => {
    const getOnly = { action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] };
    const sim = simulate([...base, policy('get', getOnly), istio('AuthorizationPolicy', 'foo', 'get-tcp', { selector: { matchLabels: { app: 'tcp-echo' } }, ...getOnly })]);
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/httpbin', port: 8080, addressing: 'workload' })).toBe('allow');
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/httpbin', port: 8080, addressing: 'workload', method: 'POST' })).toBe('deny-403');
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/tcp-echo', port: 9000, addressing: 'workload' })).toBe('reset');
    // A port no Service declares: the inbound passthrough chains sniff, so HTTP is read as HTTP (ISTIO.md §1.9).
    const onSleep = simulate([...base, istio('AuthorizationPolicy', 'bar', 'get', { selector: { matchLabels: { app: 'sleep' } }, ...getOnly })]);
    expect(await outcome(onSleep, { from: from('foo/sleep'), to: 'bar/sleep', port: 7000, addressing: 'workload' })).toBe('allow');
    expect(await outcome(onSleep, { from: from('foo/sleep'), to: 'bar/sleep', port: 7000, addressing: 'workload', method: 'POST' })).toBe('deny-403');
    // An explicit TLS scheme hides HTTP from the proxies: the method-only rule is dropped (TCP semantics).
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/httpbin', port: 8080, addressing: 'workload', scheme: 'https' })).toBe('reset');
  });

  test('dialled by pod IP, a request without a path asks for `/`; the pods of a Service are reported in name order', async () => {
    const rootOnly = policy('root', { action: 'ALLOW', rules: [{ to: [{ operation: { paths: ['/'] } }] }] });
    const sim = simulate([...base, rootOnly]);
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/httpbin', port: 8080, addressing: 'workload' })).toBe('allow');
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/httpbin', port: 8080, addressing: 'workload', path: '/x' })).toBe('deny-403');
    // web-b comes first in the manifests; both allow, and the first pod by name speaks for them.
    const pods = [...app('foo', 'web-b', [], { app: 'web' }), ...app('foo', 'web-a', [], { app: 'web' }),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'foo' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } as Manifest];
    const both = await simulate([...base, ...pods]).check({ from: from('foo/sleep'), to: 'foo/web', port: 8080, addressing: 'workload' });
    expect(both.outcome).toBe('allow');
    expect(both.reason).toContain('foo/web-a:8080');
    expect(both.reason).not.toContain('web-b');
    // Through the Service as well.
    const viaService = await simulate([...base, ...pods]).check({ from: from('foo/sleep'), to: 'foo/web', port: 80 });
    expect(viaService.reason).toContain('foo/web-a:8080');
    expect(viaService.reason).not.toContain('web-b');
  });

  test('a Service that selects no pod: no route (503)', async () => {
    const empty: Manifest = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: 'foo' }, spec: { selector: { app: 'none' }, ports: [{ name: 'http', port: 80 }] } };
    const verdict = await simulate([...base, empty]).check({ from: from('foo/sleep'), to: 'foo/empty', port: 80 });
    expect(verdict).toEqual({ outcome: 'no-route', reason: expect.stringContaining('selects no workload (503') });
  });

  test('a client speaking its own TLS or raw TCP on an HTTP port gets TCP semantics at the sidecar (ISTIO.md §1.9)', async () => {
    const sim = simulate([...base, policy('get', { action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })]);
    expect(await outcome(sim, get('foo/sleep'))).toBe('allow');
    expect(await outcome(sim, get('foo/sleep', { scheme: 'http' }))).toBe('allow');
    // The ALLOW rule with methods is dropped on TCP: the policy allows nothing and the connection is closed.
    expect(await outcome(sim, get('foo/sleep', { scheme: 'https' }))).toBe('reset');
    expect(await outcome(sim, get('foo/sleep', { scheme: 'tcp' }))).toBe('reset');
  });

  test('a port name with an unknown prefix is sniffed: HTTP traffic gets HTTP semantics', async () => {
    const sniffed: Manifest[] = [...app('foo', 'api', [{ name: 'web', port: 8000 }])];
    const allowGet = istio('AuthorizationPolicy', 'foo', 'get', { selector: { matchLabels: { app: 'api' } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });
    const sim = simulate([...base, ...sniffed, allowGet]);
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/api', port: 8000 })).toBe('allow');
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/api', port: 8000, method: 'POST' })).toBe('deny-403');
  });
});

describe('the ingress gateway as a caller', () => {
  const route = [
    istio('Gateway', 'istio-system', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }),
    istio('VirtualService', 'foo', 'httpbin', { hosts: ['*'], gateways: ['istio-system/gw'], http: [{ route: [{ destination: { host: 'httpbin.foo.svc.cluster.local', port: { number: 8000 } } }] }] }),
  ];

  test('no Sidecar resource scopes it: a mesh-wide REGISTRY_ONLY Sidecar importing only its own namespace does not block it', async () => {
    const everywhere = istio('Sidecar', 'istio-system', 'default', { egress: [{ hosts: ['~/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    const sim = simulate([...base, ...route, everywhere]);
    expect(await outcome(sim, get('ingress'))).toBe('allow');
    expect(await outcome(sim, get('foo/sleep'))).toBe('blocked');
  });

  test('its own policies come first, on HTTP: a refusal there ends the request at the gateway', async () => {
    const onGateway = (spec: Record<string, unknown>) => istio('AuthorizationPolicy', 'istio-system', 'edge', { selector: { matchLabels: { istio: 'ingressgateway' } }, ...spec });
    const publicOnly = onGateway({ action: 'ALLOW', rules: [{ to: [{ operation: { paths: ['/public*'] } }] }] });
    const sim = simulate([...base, ...route, publicOnly]);
    expect(await outcome(sim, get('ingress', { path: '/public/x' }))).toBe('allow');
    const refused = await sim.check(get('ingress', { path: '/private' }));
    expect(refused.outcome).toBe('deny-403');
    expect(refused.reason).toMatch(/^at the ingress gateway: ingress gateway istio-system\/istio-ingressgateway: denied \(403\): no rule of ns\[istio-system\]-policy\[edge\]/);
    // The service behind it would allow: the refusal is the gateway's alone.
    expect(await outcome(sim, get('foo/sleep', { path: '/private' }))).toBe('allow');
  });

  test('it calls with mTLS and its own identity, istio-ingressgateway in the root namespace by default', async () => {
    const strict = istio('PeerAuthentication', 'foo', 'default', { mtls: { mode: 'STRICT' } });
    const byGateway = policy('gw', { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] } }] }] });
    expect(await outcome(simulate([...base, ...route, strict, byGateway]), get('ingress'))).toBe('allow');
    expect(await outcome(simulate([...base, ...route, strict, byGateway]), get('foo/sleep'))).toBe('deny-403');
    const custom = { ingressGateway: { namespace: 'gateways', serviceAccount: 'edge', labels: { istio: 'ingressgateway' } } };
    expect(await outcome(simulate([...base, ...route, strict, byGateway], custom), get('ingress'))).toBe('deny-403');
    // Its default pods carry both labels of Istio's chart, app and istio: a Gateway may select either.
    const byApp = istio('Gateway', 'istio-system', 'gw', { selector: { app: 'istio-ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] });
    expect(await outcome(simulate([...base, byApp, route[1]!]), get('ingress'))).toBe('allow');
  });
});

describe('external hosts: the wire port', () => {
  /** bar's egress to any address on one port. */
  const egressOn = (port: number): Manifest => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'out', namespace: 'bar' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port }] }] } });
  const request: AccessRequest = { from: from('bar/sleep'), toHost: 'api.example.com', port: 443 };

  test('a ServiceEntry targetPort is the port NetworkPolicy egress must admit', async () => {
    const se = istio('ServiceEntry', 'bar', 'api', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS', targetPort: 8443 }], resolution: 'DNS' });
    expect(await outcome(simulate([...base, se, egressOn(8443)]), request)).toBe('allow');
    expect(await outcome(simulate([...base, se, egressOn(443)]), request)).toBe('dropped');
  });

  test('the targetPort is the one of the ServiceEntry port asked for; 0 (unset in the API) or none leaves the port', async () => {
    const twoPorts = istio('ServiceEntry', 'bar', 'api', {
      hosts: ['api.example.com'], resolution: 'DNS',
      ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }, { number: 443, name: 'tls', protocol: 'TLS', targetPort: 8443 }],
    });
    expect(await outcome(simulate([...base, twoPorts, egressOn(8443)]), request)).toBe('allow');
    expect(await outcome(simulate([...base, twoPorts, egressOn(8080)]), request)).toBe('dropped');
    const unset = istio('ServiceEntry', 'bar', 'api', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS', targetPort: 0 }], resolution: 'DNS' });
    expect(await outcome(simulate([...base, unset, egressOn(443)]), request)).toBe('allow');
    // A ServiceEntry without ports matches every port (analysis/egress.ts serviceEntriesFor): the port is the wire port.
    const portless = istio('ServiceEntry', 'bar', 'api', { hosts: ['api.example.com'], resolution: 'DNS' });
    const sidecar = istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['./*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    const open = await simulate([...base, portless, sidecar, egressOn(443)]).check(request);
    expect(open.outcome).toBe('allow');
    expect(open.reason).toBe('api.example.com:443: ServiceEntry bar/api is imported by Sidecar bar/default of bar/sleep; NetworkPolicy bar/out egress[0] admits 443/TCP');
  });
});

// ---- transport: what the reasons must say --------------------------------------------------------

describe('transport reasons name what decided', () => {
  const strictFoo = istio('PeerAuthentication', 'foo', 'default', { mtls: { mode: 'STRICT' } });

  test('an mTLS refusal names the server sidecar and the PeerAuthentication that set the mode', async () => {
    const byPa = await simulate([...base, strictFoo]).check(get('legacy/sleep'));
    expect(byPa.outcome).toBe('reset');
    expect(byPa.reason).toMatch(/^sidecar foo\/httpbin:8080: plaintext from legacy\/sleep \(no sidecar\) against mTLS STRICT \(PeerAuthentication foo\/default\)/);
    const disable = istio('PeerAuthentication', 'foo', 'default', { mtls: { mode: 'DISABLE' } });
    const mutual = istio('DestinationRule', 'foo', 'dr', { host: 'httpbin.foo.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
    const handshake = await simulate([...base, disable, mutual]).check(get('foo/sleep'));
    expect(handshake.outcome).toBe('reset');
    expect(handshake.reason).toMatch(/^sidecar foo\/httpbin:8080: DestinationRule foo\/dr sets tls.mode ISTIO_MUTUAL against mTLS DISABLE \(PeerAuthentication foo\/default\)/);
    const meshDefault = await simulate(base, {}).check(get('legacy/sleep'));
    expect(meshDefault.outcome).toBe('allow');
  });

  test('a pod without a sidecar enforces nothing; a namespace missing from the manifests is assumed not injected, and the reason says so', async () => {
    const stray = app('elsewhere', 'httpbin', [{ name: 'http', port: 8000 }]);
    const unknown = await simulate([...base, ...stray, istio('AuthorizationPolicy', 'elsewhere', 'deny', {})]).check({ from: from('foo/sleep'), to: 'elsewhere/httpbin', port: 8000 });
    expect(unknown.outcome).toBe('allow');
    expect(unknown.reason).toContain('no sidecar (namespace elsewhere is not in the manifests: assumed not injected), so Istio enforces nothing');
    const legacy = await simulate([...base, ...app('legacy', 'httpbin', [{ name: 'http', port: 8000 }])]).check({ from: from('foo/sleep'), to: 'legacy/httpbin', port: 8000 });
    expect(legacy.outcome).toBe('allow');
    expect(legacy.reason).toContain('legacy/httpbin:8000: no sidecar, so Istio enforces nothing');
  });

  test('NetworkPolicy: a drop names the isolated pod and its caller; an admitting rule is named in the allowed reason', async () => {
    const isolate: Manifest = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'in', namespace: 'foo' }, spec: { podSelector: { matchLabels: { app: 'httpbin' } }, policyTypes: ['Ingress'] } };
    const dropped = await simulate([...base, isolate]).check(get('bar/sleep'));
    expect(dropped.outcome).toBe('dropped');
    expect(dropped.reason).toMatch(/^foo\/httpbin:8080: dropped by NetworkPolicy foo\/in: ingress of foo\/httpbin \(from bar\/sleep\) is isolated/);
    const admit: Manifest = { ...isolate, spec: { ...isolate.spec as object, ingress: [{ ports: [{ port: 8080 }] }] } };
    const allowed = await simulate([...base, admit]).check(get('bar/sleep'));
    expect(allowed.outcome).toBe('allow');
    expect(allowed.reason).toContain('auto mTLS from bar/sleep; NetworkPolicy foo/in ingress[0] admits 8080/TCP');
  });

  test('the caller\'s sidecar: a Service not exported to it, and a TCP port, are named in the blocked reason', async () => {
    const hidden = base.map((m) => (m.kind === 'Service' ? { ...m, metadata: { ...m.metadata, annotations: { 'networking.istio.io/exportTo': '.' } } } : m));
    const sim = simulate(hidden, { outboundTrafficPolicy: 'REGISTRY_ONLY' });
    const http = await sim.check(get('bar/sleep'));
    expect(http.outcome).toBe('blocked');
    expect(http.reason).toContain('Service foo/httpbin is not exported to namespace bar; outboundTrafficPolicy REGISTRY_ONLY (the mesh\'s outboundTrafficPolicy): blocked by the caller\'s sidecar (502)');
    const tcp = await sim.check({ from: from('bar/sleep'), to: 'foo/tcp-echo', port: 9000 });
    expect(tcp.outcome).toBe('blocked');
    expect(tcp.reason).toContain('(connection closed)');
    const bySidecar = await simulate([...hidden, istio('Sidecar', 'bar', 'default', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })]).check(get('bar/sleep'));
    expect(bySidecar.reason).toContain('outboundTrafficPolicy REGISTRY_ONLY (Sidecar bar/default)');
    const passthrough = await simulate(hidden).check(get('bar/sleep'));
    expect(passthrough.outcome).toBe('allow');
    expect(passthrough.reason).toContain('plaintext passthrough from bar/sleep, no identity (Service foo/httpbin is not exported to namespace bar; outboundTrafficPolicy ALLOW_ANY');
  });

  test('NetworkPolicy notes: none when nothing isolates the pods, both sides when both are isolated', async () => {
    const netpol = (namespace: string, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
    const elsewhere = netpol('legacy', 'in', { podSelector: {}, policyTypes: ['Ingress'] });
    const open = await simulate([...base, elsewhere]).check(get('bar/sleep'));
    expect(open.reason).toMatch(/\(auto mTLS from bar\/sleep\)$/);
    const out = netpol('bar', 'out', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 8080 }] }] });
    const into = netpol('foo', 'in', { podSelector: { matchLabels: { app: 'httpbin' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080 }] }] });
    const both = await simulate([...base, out, into]).check(get('bar/sleep'));
    expect(both.outcome).toBe('allow');
    expect(both.reason).toContain('(auto mTLS from bar/sleep; NetworkPolicy bar/out egress[0] admits 8080/TCP; NetworkPolicy foo/in ingress[0] admits 8080/TCP)');
  });

  test('only a sidecar that knows the host applies its DestinationRule: a plain client and a passthrough send plaintext', async () => {
    const legacyHttpbin = app('legacy', 'httpbin', [{ name: 'http', port: 8000 }]);
    const mutual = (namespace: string) => istio('DestinationRule', namespace, 'dr', { host: 'httpbin.legacy.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
    const toLegacy = { to: 'legacy/httpbin', port: 8000 };
    // The sidecar that knows the host sends Istio mTLS, which a pod without a sidecar cannot terminate.
    expect(await outcome(simulate([...base, ...legacyHttpbin, mutual('legacy')]), get('bar/sleep', toLegacy))).toBe('reset');
    expect(await outcome(simulate([...base, ...legacyHttpbin, mutual('legacy')]), get('legacy/sleep', toLegacy))).toBe('allow');
    const onlyOwn = istio('Sidecar', 'bar', 'default', { egress: [{ hosts: ['./*'] }] });
    const passthrough = await simulate([...base, ...legacyHttpbin, mutual('bar'), onlyOwn]).check(get('bar/sleep', toLegacy));
    expect(passthrough.outcome).toBe('allow');
    expect(passthrough.reason).toContain('plaintext passthrough from bar/sleep');
  });

  test('a caller without a pod (a stand-in) is not judged by NetworkPolicy; its identity still counts', async () => {
    const denyAll: Manifest = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'in', namespace: 'foo' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    const byIdentity = policy('p', { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/bar/sa/sleep'] } }] }] });
    const sim = simulate([...base, denyAll, byIdentity]);
    const { service, port } = sim.target('foo/httpbin', 8000);
    const request = { method: 'GET', path: '/', host: 'httpbin.foo.svc.cluster.local:8000', headers: {} };
    expect((await sim.hop({ kind: 'mesh', label: 'bar/*', namespace: 'bar', serviceAccount: 'sleep' }, service, port, request)).outcome).toBe('allow');
    expect((await sim.hop({ kind: 'mesh', label: 'bar/*', namespace: 'bar', serviceAccount: 'other' }, service, port, request)).outcome).toBe('deny-403');
    expect((await sim.hop(sim.meshClient('bar/sleep'), service, port, request)).outcome).toBe('dropped');
  });
});

// ---- the JWT stage and RBAC ----------------------------------------------------------------------

describe('the JWT stage and RBAC', () => {
  const ISSUER = 'https://issuer.example.com';
  const requestAuth = (selector: Record<string, string>) => istio('RequestAuthentication', 'foo', 'jwt', { selector: { matchLabels: selector }, jwtRules: [{ issuer: ISSUER, jwksUri: 'https://issuer.example.com/jwks' }] });

  test('a TCP port has no JWT stage: a bad token is never 401 there (ISTIO.md §0)', async () => {
    const sim = simulate([...base, requestAuth({ app: 'tcp-echo' }), requestAuth({ app: 'httpbin' })]);
    expect(await outcome(sim, { from: from('foo/sleep'), to: 'foo/tcp-echo', port: 9000, token: 'invalid.token' })).toBe('allow');
    expect(await outcome(sim, get('foo/sleep', { token: 'invalid.token' }))).toBe('deny-401');
    // An HTTP port spoken to as raw TCP: no HTTP, so no token either.
    expect(await outcome(sim, get('foo/sleep', { token: 'invalid.token', scheme: 'tcp' }))).toBe('allow');
  });

  test('the deciding rule is named as Envoy names it: ns[<ns>]-policy[<name>]-rule[<index>]', async () => {
    const rules = [{ to: [{ operation: { paths: ['/a'] } }] }, { to: [{ operation: { paths: ['/b'] } }] }];
    const sim = simulate([...base, policy('deny-some', { action: 'DENY', rules }), policy('allow-some', { action: 'ALLOW', rules: [...rules].reverse() })]);
    const denied = await sim.check(get('foo/sleep', { path: '/b' }));
    expect(denied).toEqual({ outcome: 'deny-403', reason: expect.stringMatching(/^sidecar foo\/httpbin:8080: denied \(403\) by ns\[foo\]-policy\[deny-some\]-rule\[1\] \(auto mTLS from foo\/sleep\)$/) });
    const other = simulate([...base, policy('allow-some', { action: 'ALLOW', rules })]);
    expect((await other.check(get('foo/sleep', { path: '/b' }))).reason).toContain('allowed by ns[foo]-policy[allow-some]-rule[1]');
    const tcp = simulate([...base, istio('AuthorizationPolicy', 'foo', 'deny-tcp', { selector: { matchLabels: { app: 'tcp-echo' } }, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['foo'] } }] }] })]);
    const closed = await tcp.check({ from: from('foo/sleep'), to: 'foo/tcp-echo', port: 9000 });
    expect(closed).toEqual({ outcome: 'reset', reason: expect.stringContaining('closed by policy by ns[foo]-policy[deny-tcp]-rule[0]') });
  });

  test('no ALLOW rule matches: the reason lists the policies and the identities the request carried', async () => {
    const byPeer = policy('only-bar', { action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['bar'] } }] }] });
    const mtls = await simulate([...base, byPeer]).check(get('foo/sleep'));
    expect(mtls.outcome).toBe('deny-403');
    expect(mtls.reason).toContain('denied (403): no rule of ns[foo]-policy[only-bar] matches (auto mTLS from foo/sleep; peer cluster.local/ns/foo/sa/sleep; no request principal)');
    const plain = await simulate([...base, byPeer]).check(get('legacy/sleep'));
    expect(plain.reason).toContain('no peer identity; no request principal');
    const tcp = await simulate([...base, istio('AuthorizationPolicy', 'foo', 'only-bar', { selector: { matchLabels: { app: 'tcp-echo' } }, action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['bar'] } }] }] })])
      .check({ from: from('foo/sleep'), to: 'foo/tcp-echo', port: 9000 });
    expect(tcp).toEqual({ outcome: 'reset', reason: expect.stringContaining('closed by policy: no rule of ns[foo]-policy[only-bar] matches') });
  });

  test('a signed token without sub is named iss/ (Istio\'s request.auth.principal); only CUSTOM policies add the not-simulated note', async () => {
    const issuer = await testIssuer(ISSUER);
    const jwks = { 'https://issuer.example.com/jwks': issuer.jwks };
    const ra = istio('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: [{ issuer: ISSUER, jwksUri: 'https://issuer.example.com/jwks' }] });
    const requireSub = policy('p', { action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }] }] });
    const noSub = await simulate([...base, ra, requireSub], { jwks }).check(get('foo/sleep', { token: await issuer.sign({}) }));
    expect(noSub.outcome).toBe('deny-403');
    expect(noSub.reason).toMatch(/; request principal https:\/\/issuer\.example\.com\/\)$/);
    const allowed = await simulate([...base, ra, requireSub], { jwks }).check(get('foo/sleep', { token: await issuer.sign({ sub: 'alice' }) }));
    expect(allowed.outcome).toBe('allow');
    expect(allowed.reason).not.toContain('CUSTOM');
  });

  test('a token where no RequestAuthentication applies is ignored, however malformed', async () => {
    expect(await outcome(simulate(base), get('foo/sleep', { token: 'invalid.token' }))).toBe('allow');
    expect(await outcome(simulate([...base, requestAuth({ app: 'tcp-echo' })]), get('foo/sleep', { token: 'invalid.token' }))).toBe('allow');
  });

  test('what the app receives with a symbolic valid token: Authorization removed unless forwardOriginalToken', async () => {
    for (const forward of [false, true]) {
      const sim = simulate([...base, istio('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: [{ issuer: ISSUER, jwksUri: 'https://issuer.example.com/jwks', forwardOriginalToken: forward }] })]);
      const { service, port } = sim.target('foo/httpbin', 8000);
      const request = { method: 'GET', path: '/', host: 'httpbin.foo.svc.cluster.local:8000', headers: { authorization: 'Bearer x', 'x-keep': '1' } };
      const hop = await sim.hop(sim.meshClient('foo/sleep'), service, port, request, true);
      expect(hop.outcome).toBe('allow');
      expect(hop.appHeaders).toEqual(forward ? request.headers : { 'x-keep': '1' });
    }
  });

  test('a claim condition with notValues only: the symbolic token carries no such claim and passes it', async () => {
    const sim = simulate([...base, istio('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: [{ issuer: ISSUER, jwksUri: 'https://issuer.example.com/jwks' }] }),
      policy('p', { action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: ['*'] } }], when: [{ key: 'request.auth.claims[groups]', notValues: ['banned'] }] }] })]);
    expect((await sim.check(get('foo/sleep'), { assumeValidToken: true })).outcome).toBe('allow');
    expect((await sim.check(get('foo/sleep'))).outcome).toBe('deny-403');
  });

  test('several CUSTOM or ALLOW policies are all named in the reason', async () => {
    const custom = (name: string) => policy(name, { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] });
    const allow = (name: string) => policy(name, { action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['bar'] } }] }] });
    const verdict = await simulate([...base, custom('ext-a'), custom('ext-b'), allow('only-bar'), allow('also-bar')]).check(get('foo/sleep'));
    expect(verdict.outcome).toBe('deny-403');
    expect(verdict.reason).toContain('no rule of ns[foo]-policy[only-bar], ns[foo]-policy[also-bar] matches');
    expect(verdict.reason).toContain('(CUSTOM policies ns[foo]-policy[ext-a], ns[foo]-policy[ext-b] not simulated: assumed to allow)');
  });

  test('a symbolic valid token is named as its request principal when no rule matches', async () => {
    const sim = simulate([...base, istio('RequestAuthentication', 'foo', 'jwt', { ...onHttpbin, jwtRules: [{ issuer: ISSUER, jwksUri: 'https://issuer.example.com/jwks' }] }),
      policy('p', { action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: ['https://other.example.com/*'] } }] }] })]);
    const verdict = await sim.check(get('foo/sleep'), { assumeValidToken: true });
    expect(verdict.outcome).toBe('deny-403');
    expect(verdict.reason).toContain(`request principal ${ISSUER}/matrix-user`);
  });
});

describe('external hosts: the caller\'s Sidecar must import the host asked for', () => {
  // Each ServiceEntry host is a service of its own in the registry; a Sidecar imports them by
  // name (https://istio.io/latest/docs/reference/config/networking/sidecar/ IstioEgressListener.hosts).
  const twoHosts = istio('ServiceEntry', 'bar', 'apis', { hosts: ['api.stripe.com', 'api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' });
  const importing = (host: string) => istio('Sidecar', 'bar', 'default', { egress: [{ hosts: [`./${host}`] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
  const request: AccessRequest = { from: from('bar/sleep'), toHost: 'api.stripe.com', port: 443 };

  test('a ServiceEntry with two hosts: importing the other one does not import this one', async () => {
    expect(await outcome(simulate([...base, twoHosts, importing('api.stripe.com')]), request)).toBe('allow');
    const other = await simulate([...base, twoHosts, importing('api.example.com')]).check(request);
    expect(other.outcome).toBe('blocked');
    expect(other.reason).toContain('Sidecar bar/default does not import api.stripe.com (ServiceEntry bar/apis)');
  });

  test('a wildcard ServiceEntry host is imported by a Sidecar host that covers it', async () => {
    const wildcard = istio('ServiceEntry', 'bar', 'stripe', { hosts: ['*.stripe.com', 'api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'NONE' });
    expect(await outcome(simulate([...base, wildcard, importing('*.stripe.com')]), request)).toBe('allow');
    expect(await outcome(simulate([...base, wildcard, importing('api.example.com')]), request)).toBe('blocked');
  });
});
