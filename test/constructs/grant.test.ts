import { Callers, JwtIssuer, JwtProtectedService, JwtProtectedServiceProps, MeshWorkload, MtlsMode, ServicePort } from '../../constructs/index.js';
import { expectConfigError, find, newNamespace, synth } from './util.js';

function setup() {
  const ns = newNamespace();
  const client = new MeshWorkload(ns, 'client', { image: 'curl:8' });
  const api = new JwtProtectedService(ns, 'api', {
    image: 'api:1', ports: [ServicePort.http(8000, { targetPort: 8080 })],
    issuers: [JwtIssuer.okta({ domain: 'corp.okta.com', audiences: ['x'] })],
  });
  return { client, api };
}

describe('Grant', () => {
  test('records callee, caller, container ports, methods, paths, end-user requirement and reason', () => {
    const { client, api } = setup();
    const grant = api.allowFrom(client, { ports: [8000], methods: ['GET'], paths: ['/a'], endUser: 'either', reason: 'why' });
    expect(grant).toMatchObject({
      callee: 'shop/api', targetPorts: [8080], methods: ['GET'], paths: ['/a'], endUser: 'either', reason: 'why',
    });
    expect(grant.caller).toEqual(client.toCallerIdentity());
    expect(grant.rules).toHaveLength(2);
  });

  test.each([
    [{}, 'from workload shop/client: with end-user token'],
    [{ endUser: 'none' as const }, 'from workload shop/client'],
    [{ endUser: 'either' as const, methods: ['GET', 'POST'] }, 'from workload shop/client: GET,POST or any end-user token'],
    [{ ports: [8000], paths: ['/a', '/b/*'], reason: 'r' }, 'from workload shop/client: /a,/b/* port 8080 with end-user token (r)'],
  ])('summary of %j', (options, summary) => {
    const { client, api } = setup();
    expect(api.allowFrom(client, options).summary).toBe(summary);
  });

  test('a caller not defined in this program, by ServiceAccount', () => {
    const { api } = setup();
    const grant = api.allowFrom(Callers.serviceAccount('batch', 'reporter'), { endUser: 'none' });
    expect(grant.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/batch/sa/reporter'] } }] }]);
    expect(grant.summary).toBe('from service account batch/reporter');
  });

  test('any authenticated workload: principals ["*"] on the ports named, each in the summary', () => {
    const ns = newNamespace();
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000, { targetPort: 8080 }), ServicePort.http(8001, { targetPort: 9090, suffix: 'admin' }), ServicePort.tcp(5432)] });
    const grant = api.allowFrom(Callers.anyAuthenticatedWorkload(), { ports: [8000, 8001], methods: ['GET'] });
    // `*` admits any mTLS peer and no plaintext one: the principal exists only over mTLS.
    expect(find(synth(ns.mesh), 'AuthorizationPolicy', 'api').spec.rules).toEqual([
      { from: [{ source: { principals: ['*'] } }], to: [{ operation: { ports: ['8080', '9090'], methods: ['GET'] } }] },
    ]);
    // The network path opens from every pod of the cluster, to the two ports and not to 5432.
    expect(find(synth(ns.mesh), 'NetworkPolicy', 'api', 'shop').spec.ingress).toEqual([
      { from: [{ namespaceSelector: {} }], ports: [8080, 9090, 15008].map((port) => ({ protocol: 'TCP', port })) },
    ]);
    expect(grant.caller.kind).toBe('any-authenticated-workload');
    expect(grant.summary).toBe('from any authenticated mesh workload: GET port 8080,9090');
  });
});

describe('claims per grant, denials, and tokens that cannot arrive', () => {
  const OIDC = JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['shop'] });

  function shopWithApi(apiProps: Partial<JwtProtectedServiceProps> = {}) {
    const ns = newNamespace();
    const api = new JwtProtectedService(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000, { targetPort: 8080 }), ServicePort.tcp(9000, { suffix: 'raw' })], issuers: [OIDC], ...apiProps });
    const web = new JwtProtectedService(ns, 'web', { image: 'web:1', ports: [ServicePort.http(8080)], issuers: [OIDC], forwardOriginalToken: true });
    return { ns, api, web };
  }

  test('a grant\'s claims are ANDed with the service\'s requiredClaims, on that grant only', () => {
    const { ns, api, web } = shopWithApi({ requiredClaims: { tenant: ['acme'] } });
    const admin = api.allowFrom(web, { methods: ['DELETE'], claims: { groups: ['admin', 'ops'] } });
    api.allowFrom(web, { methods: ['GET'] });
    const rules = find(synth(ns.mesh), 'AuthorizationPolicy', 'api').spec.rules;
    expect(rules[0].when).toEqual([
      { key: 'request.auth.claims[tenant]', values: ['acme'] },
      { key: 'request.auth.claims[groups]', values: ['admin', 'ops'] },
    ]);
    expect(rules[1].when).toEqual([{ key: 'request.auth.claims[tenant]', values: ['acme'] }]);
    expect(admin.claims).toEqual({ groups: ['admin', 'ops'] });
    expect(admin.summary).toBe('from workload shop/web: DELETE with end-user token groups in [admin,ops]');
  });

  test('claims on a grant that does not require the token are refused', () => {
    const { api, web } = shopWithApi();
    expectConfigError(() => api.allowFrom(web, { endUser: 'either', claims: { groups: ['admin'] } }), 'JwtProtectedService "shop/api"', 'allowFrom.claims', /bypass them/);
    expectConfigError(() => api.allowFrom(web, { endUser: 'none', ports: [9000], claims: { groups: ['admin'] } }), 'JwtProtectedService "shop/api"', 'allowFrom.claims', /requires no token/);
    expectConfigError(() => api.allowFrom(web, { claims: { 'bad claim': ['x'] } }), 'JwtProtectedService "shop/api"', 'allowFrom.claims.bad claim', /plain claim name/);
    expectConfigError(() => api.allowFrom(web, { claims: { groups: [] } }), 'JwtProtectedService "shop/api"', 'allowFrom.claims.groups', /at least one/);
  });

  test('requiring the token from a caller whose proxy strips it is refused (the analyzer\'s ZT309)', () => {
    const { ns, api } = shopWithApi();
    const stripping = new JwtProtectedService(ns, 'front', { image: 'front:1', ports: [ServicePort.http(8080)], issuers: [OIDC] });
    expectConfigError(() => api.allowFrom(stripping), 'JwtProtectedService "shop/api"', 'allowFrom(caller)',
      /removes it \(no forwardOriginalToken\).*Fix: set forwardOriginalToken: true on workload shop\/front/);
    // By identity alone it is fine; so is a caller that forwards the token.
    api.allowFrom(stripping, { endUser: 'none' });
  });

  test('denyFrom: a DENY policy named <workload>-deny, scoped to HTTP ports when it names paths', () => {
    const { ns, api, web } = shopWithApi();
    api.allowFrom(web);
    const denial = api.denyFrom(Callers.anyone(), { paths: ['/admin/*'], reason: 'admin only from the bastion' });
    api.denyFrom(web, { methods: ['DELETE'] });
    const policy = find(synth(ns.mesh), 'AuthorizationPolicy', 'api-deny');
    expect(policy.spec).toEqual({
      selector: { matchLabels: { app: 'api' } },
      action: 'DENY',
      rules: [
        { to: [{ operation: { ports: ['8080'], paths: ['/admin/*'] } }] },
        { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['8080'], methods: ['DELETE'] } }] },
      ],
    });
    expect(policy.metadata.annotations!['zero-trust-mesh.io/denials']).toBe('rule[0] deny anyone (no identity required): /admin/* port 8080 (admin only from the bastion)\nrule[1] deny workload shop/web: DELETE port 8080');
    expect(api.denials).toEqual([denial, expect.anything()]);
    expect(ns.mesh.synthesize().findings.filter((f) => f.severity === 'error' || f.severity === 'warning')).toEqual([]);
  });

  test('denyFrom by identity on a port that accepts plaintext is refused; HTTP conditions on TCP ports too', () => {
    const ns = newNamespace({ acknowledgements: { nonStrictMtls: 'migration' } }, { mtls: MtlsMode.PERMISSIVE });
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8080), ServicePort.tcp(9000)] });
    const web = new MeshWorkload(ns, 'web', { image: 'web:1' });
    expectConfigError(() => api.denyFrom(web), 'MeshWorkload "shop/api"', 'denyFrom(caller)', /accept plaintext.*slip past/);
    // Denying everyone needs no identity.
    api.denyFrom(Callers.anyone(), { paths: ['/debug/*'] });
    expectConfigError(() => api.denyFrom(Callers.anyone(), { ports: [9000], paths: ['/x'] }), 'MeshWorkload "shop/api"', 'denyFrom', /only TCP ports/);
  });
});

describe('callers named by service account are resolved against the mesh', () => {
  const OIDC = JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['shop'] });

  test('a service account whose workloads all run without a sidecar is refused, like the workload itself', () => {
    const ns = newNamespace();
    new MeshWorkload(ns, 'legacy', { image: 'legacy:1', sidecar: false });
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8080)] });
    expectConfigError(() => api.allowFrom(Callers.serviceAccount('shop', 'legacy')), 'MeshWorkload "shop/api"', 'allowFrom(caller)', /has no sidecar/);
    // A service account this mesh does not define is taken at its word.
    api.allowFrom(Callers.serviceAccount('elsewhere', 'robot'));
  });

  test('a token required from a service account whose workload strips it is refused', () => {
    const ns = newNamespace();
    new JwtProtectedService(ns, 'front', { image: 'front:1', ports: [ServicePort.http(8080)], issuers: [OIDC] });
    const api = new JwtProtectedService(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8080)], issuers: [OIDC] });
    expectConfigError(() => api.allowFrom(Callers.serviceAccount('shop', 'front')), 'JwtProtectedService "shop/api"', 'allowFrom(caller)', /removes it/);
  });

  test('a token-checking service none of whose grants requires the token is refused at synth', () => {
    const ns = newNamespace();
    const api = new JwtProtectedService(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8080)], issuers: [OIDC] });
    api.allowFrom(new MeshWorkload(ns, 'probe', { image: 'probe:1' }), { endUser: 'none' });
    expectConfigError(() => synth(ns.mesh), 'JwtProtectedService "shop/api"', 'allowFrom.endUser', /request without a token passes.*Fix: require the token/);
    api.allowFrom(new MeshWorkload(ns, 'web', { image: 'web:1' }));
    expect(() => ns.mesh.synthesize()).not.toThrow();
  });
});
