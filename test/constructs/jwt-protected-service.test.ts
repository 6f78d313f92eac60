import {
  Callers, Dataplane, JwtIssuer, JwtProtectedService, JwtProtectedServiceProps, MeshProps, MeshWorkload, ServicePort, ZeroTrustNamespace,
} from '../../constructs/index.js';
import { expectConfigError, find, findAll, newNamespace, synth } from './util.js';

const AUTH0 = JwtIssuer.auth0({ domain: 'tenant.eu.auth0.com', audiences: ['https://api.example.com'] });
const OKTA = JwtIssuer.okta({ domain: 'corp.okta.com', audiences: ['api://products'] });
const HTTP = ServicePort.http(8000, { targetPort: 8080 });
const CLIENT_PRINCIPAL = 'cluster.local/ns/shop/sa/client';

function service(ns: ZeroTrustNamespace, props: Partial<JwtProtectedServiceProps> = {}, name = 'api'): JwtProtectedService {
  return new JwtProtectedService(ns, name, { image: 'api:1.0', ports: [HTTP], issuers: [AUTH0], ...props });
}

function shop(props: Partial<JwtProtectedServiceProps> = {}, meshProps: MeshProps = {}) {
  const ns = newNamespace(meshProps);
  const client = new MeshWorkload(ns, 'client', { image: 'curl:8' });
  return { ns, mesh: ns.mesh, api: service(ns, props), client };
}

describe('JwtProtectedService grants', () => {
  test('the default grant asks for the caller principal AND a request principal, in one source', () => {
    const { mesh, api, client } = shop();
    const grant = api.allowFrom(client);
    expect(grant.endUser).toBe('required');
    const rules = find(synth(mesh), 'AuthorizationPolicy', 'api', 'shop').spec.rules;
    expect(rules).toEqual([{
      from: [{ source: { principals: [CLIENT_PRINCIPAL], requestPrincipals: ['https://tenant.eu.auth0.com//*'] } }],
    }]);
  });

  test('each issuer is a request principal of the rule', () => {
    const { mesh, api, client } = shop({ issuers: [AUTH0, OKTA] });
    api.allowFrom(client);
    const source = find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules[0].from[0].source;
    expect(source.requestPrincipals).toEqual(['https://tenant.eu.auth0.com//*', 'https://corp.okta.com/oauth2/default/*']);
  });

  test('requiredClaims become a when condition on the rule', () => {
    const { mesh, api, client } = shop({ requiredClaims: { groups: ['group1', 'group2'], 'https://example.com/roles': ['reader'] } });
    api.allowFrom(client);
    const rule = find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules[0];
    expect(rule.when).toEqual([
      { key: 'request.auth.claims[groups]', values: ['group1', 'group2'] },
      { key: 'request.auth.claims[https://example.com/roles]', values: ['reader'] },
    ]);
    expect(rule.from[0].source.principals).toEqual([CLIENT_PRINCIPAL]);
  });

  test('"either" is two rules: the principal alone, or a request principal alone', () => {
    const { mesh, api, client } = shop({ requiredClaims: { groups: ['group1'] } });
    const grant = api.allowFrom(client, { endUser: 'either', methods: ['GET'] });
    expect(grant.rules).toHaveLength(2);
    const rules = find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules;
    expect(rules).toEqual([
      { from: [{ source: { principals: [CLIENT_PRINCIPAL] } }], to: [{ operation: { methods: ['GET'] } }] },
      {
        from: [{ source: { requestPrincipals: ['https://tenant.eu.auth0.com//*'] } }],
        to: [{ operation: { methods: ['GET'] } }],
        when: [{ key: 'request.auth.claims[groups]', values: ['group1'] }],
      },
    ]);
  });

  test('"none" asks for the principal alone', () => {
    const { mesh, api, client } = shop();
    api.allowFrom(client, { endUser: 'none' });
    // Beside a grant that does require the token (a service where none does is refused at synth).
    api.allowFrom(Callers.serviceAccount('web', 'web'));
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules[0]).toEqual({ from: [{ source: { principals: [CLIENT_PRINCIPAL] } }] });
  });

  test('"required" on a TCP port only is refused; "none" there is accepted', () => {
    const ns = newNamespace();
    const client = new MeshWorkload(ns, 'client', { image: 'curl:8' });
    const api = service(ns, { ports: [HTTP, ServicePort.tcp(9000, { suffix: 'raw' })] });
    expectConfigError(() => api.allowFrom(client, { ports: [9000] }), 'JwtProtectedService "shop/api"', 'allowFrom',
      /requires an end-user token \(endUser: "required"\).*only TCP ports \(9000\).*Fix: for TCP, grant by identity and port only/);
    expectConfigError(() => api.allowFrom(client, { ports: [9000], endUser: 'either' }), 'JwtProtectedService "shop/api"', 'allowFrom', /Fix: for TCP/);
    const grant = api.allowFrom(client, { ports: [9000], endUser: 'none' });
    expect(grant.rules).toEqual([{ from: [{ source: { principals: [CLIENT_PRINCIPAL] } }], to: [{ operation: { ports: ['9000'] } }] }]);
  });

  test('"either" with Callers.anyone() is refused', () => {
    const { api } = shop();
    expectConfigError(() => api.allowFrom(Callers.anyone(), { endUser: 'either' }), 'JwtProtectedService "shop/api"', 'allowFrom.endUser',
      /Callers\.anyone\(\) has no identity to offer.*Fix: use endUser: "required" .* or "none"/);
  });

  test('Callers.anyone() with a required token is allowed in prod without acknowledgement', () => {
    const { mesh, api } = shop({}, { stage: 'prod' });
    api.allowFrom(Callers.anyone(), { endUser: 'required' });
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'api');
    expect(policy.spec.rules).toEqual([{ from: [{ source: { requestPrincipals: ['https://tenant.eu.auth0.com//*'] } }] }]);
    expect(policy.metadata.annotations!['zero-trust-mesh.io/acknowledged-open-to-anyone']).toBeUndefined();
  });

  test('Callers.anyone() without a token is refused in prod', () => {
    const { api } = shop({}, { stage: 'prod' });
    expectConfigError(() => api.allowFrom(Callers.anyone(), { endUser: 'none' }), 'JwtProtectedService "shop/api"',
      'allowFrom(Callers.anyone())', /acknowledgements\.openToAnyone/);
  });

  test('the grant summary says a token is required', () => {
    const { api, client } = shop();
    expect(api.allowFrom(client, { methods: ['GET'], reason: 'r' }).summary).toBe('from workload shop/client: GET with end-user token (r)');
  });
});

describe('JwtProtectedService RequestAuthentication', () => {
  test('one jwtRule per issuer, with camelCase jwksUri and audiences, selecting the workload', () => {
    const { mesh } = shop({ issuers: [AUTH0, OKTA] });
    const ra = find(synth(mesh), 'RequestAuthentication', 'api', 'shop');
    expect(ra.apiVersion).toBe('security.istio.io/v1');
    expect(ra.spec.selector).toEqual({ matchLabels: { app: 'api' } });
    expect(ra.spec.jwtRules).toEqual([
      { issuer: 'https://tenant.eu.auth0.com/', jwksUri: 'https://tenant.eu.auth0.com/.well-known/jwks.json', audiences: ['https://api.example.com'] },
      { issuer: 'https://corp.okta.com/oauth2/default', jwksUri: 'https://corp.okta.com/oauth2/default/v1/keys', audiences: ['api://products'] },
    ]);
    expect(ra.spec.jwtRules[0]).not.toHaveProperty('jwks_uri');
    expect(ra.spec.jwtRules[0]).not.toHaveProperty('forwardOriginalToken');
  });

  test('forwardOriginalToken is written only when set', () => {
    const ns = newNamespace();
    service(ns, { forwardOriginalToken: true }, 'forwarding');
    service(ns, { forwardOriginalToken: false }, 'stripping');
    const objects = synth(ns.mesh);
    expect(find(objects, 'RequestAuthentication', 'forwarding').spec.jwtRules[0].forwardOriginalToken).toBe(true);
    expect(find(objects, 'RequestAuthentication', 'stripping').spec.jwtRules[0]).not.toHaveProperty('forwardOriginalToken');
  });

  test('an issuer without audiences writes none; inline keys are written as jwks', () => {
    const jwks = JSON.stringify({ keys: [{ kty: 'RSA', kid: 'k1', n: 'abc', e: 'AQAB' }] });
    const { mesh } = shop({ issuers: [JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwks })] });
    expect(find(synth(mesh), 'RequestAuthentication', 'api').spec.jwtRules).toEqual([{ issuer: 'https://idp.example.com', jwks }]);
  });

  test('it is still a mesh workload: ServiceAccount, Deployment, Service, and no policy until granted', () => {
    const { mesh } = shop();
    const objects = synth(mesh);
    expect(find(objects, 'ServiceAccount', 'api', 'shop')).toBeDefined();
    expect(find(objects, 'Deployment', 'api', 'shop')).toBeDefined();
    expect(find(objects, 'Service', 'api', 'shop').spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 8080, protocol: 'TCP' }]);
    expect(findAll(objects, 'AuthorizationPolicy', 'api')).toHaveLength(0);
  });
});

describe('JwtProtectedService validation', () => {
  test('refuses no issuers', () => {
    expectConfigError(() => service(newNamespace(), { issuers: [] }), 'JwtProtectedService "shop/api"', 'issuers',
      /no issuer is given.*Fix: pass the environment's issuer/);
  });

  test('refuses a service with only TCP ports', () => {
    expectConfigError(() => service(newNamespace(), { ports: [ServicePort.tcp(5432)] }), 'JwtProtectedService "shop/api"', 'ports',
      /has no HTTP port.*Fix: declare an HTTP port \(ServicePort\.http\), or use a plain MeshWorkload for TCP/);
  });

  test('refuses a service with no ports', () => {
    expectConfigError(() => service(newNamespace(), { ports: [] }), 'JwtProtectedService "shop/api"', 'ports', /Fix: declare an HTTP port/);
  });

  test('accepts a gRPC port', () => {
    expect(() => service(newNamespace(), { ports: [ServicePort.grpc(9090)] })).not.toThrow();
  });

  test('refuses the same issuer twice', () => {
    const again = JwtIssuer.auth0({ domain: 'tenant.eu.auth0.com', audiences: ['other'] });
    expectConfigError(() => service(newNamespace(), { issuers: [AUTH0, OKTA, again] }), 'JwtProtectedService "shop/api"', 'issuers[2]',
      /"https:\/\/tenant\.eu\.auth0\.com\/" is listed twice.*Fix: list each issuer once/);
  });

  test('refuses a claim name that is not plain', () => {
    expectConfigError(() => service(newNamespace(), { requiredClaims: { 'groups[0]': ['a'] } }), 'JwtProtectedService "shop/api"',
      'requiredClaims.groups[0]', /Fix: name a top-level claim/);
  });

  test.each([[[]], [['']]])('refuses required claim values %j', (values) => {
    expectConfigError(() => service(newNamespace(), { requiredClaims: { groups: values } }), 'JwtProtectedService "shop/api"',
      'requiredClaims.groups', /Fix: list the accepted values/);
  });

  test('its name is checked like any workload name', () => {
    expectConfigError(() => service(newNamespace(), {}, 'Api'), 'JwtProtectedService "shop/Api"', 'name', /Fix: use a name like "api"/);
  });
});

describe('JwtProtectedService guard rails', () => {
  const HTTP_JWKS = JwtIssuer.oidc({ issuer: 'https://idp.internal.example.com', jwksUri: 'http://idp.internal.example.com/keys' });
  const INSECURE_ACK = 'zero-trust-mesh.io/acknowledged-insecure-issuer';
  const DEMO_ACK = 'zero-trust-mesh.io/acknowledged-demo-issuer';

  test.each(['staging', 'prod'] as const)('refuses an http jwksUri in %s', (stage) => {
    expectConfigError(() => service(newNamespace({ stage }), { issuers: [HTTP_JWKS] }), 'JwtProtectedService "shop/api"', 'issuers[0].jwksUri',
      new RegExp(`"http://idp\\.internal\\.example\\.com/keys" is not an https URL.*\\(stage ${stage}\\) refuses this\\. Fix: use the identity provider's https issuer and JWKS URLs\\..*acknowledgements\\.insecureIssuer`));
  });

  test('refuses an http issuer in staging', () => {
    const issuer = JwtIssuer.oidc({ issuer: 'http://idp.example.com', jwksUri: 'https://idp.example.com/keys' });
    expectConfigError(() => service(newNamespace({ stage: 'staging' }), { issuers: [issuer] }), 'JwtProtectedService "shop/api"',
      'issuers[0].issuer', /acknowledgements\.insecureIssuer/);
  });

  test('allows an http jwksUri in dev, recorded as permitted by the stage', () => {
    const { mesh } = shop({ issuers: [HTTP_JWKS] }, { stage: 'dev' });
    const ra = find(synth(mesh), 'RequestAuthentication', 'api');
    expect(ra.spec.jwtRules[0].jwksUri).toBe('http://idp.internal.example.com/keys');
    expect(ra.metadata.annotations).toEqual({ 'zero-trust-mesh.io/acknowledged-insecure-issuer': 'permitted by stage dev (no reason given in acknowledgements.insecureIssuer)' });
  });

  test.each(['staging', 'prod'] as const)('allows an http jwksUri in %s with the insecureIssuer acknowledgement, recorded', (stage) => {
    const { mesh } = shop({ issuers: [HTTP_JWKS] }, { stage, acknowledgements: { insecureIssuer: 'in-cluster IdP, OPS-9' } });
    expect(find(synth(mesh), 'RequestAuthentication', 'api').metadata.annotations).toEqual({ [INSECURE_ACK]: 'in-cluster IdP, OPS-9' });
  });

  test.each(['staging', 'prod'] as const)('refuses the demo issuer in %s', (stage) => {
    expectConfigError(() => service(newNamespace({ stage }), { issuers: [JwtIssuer.istioDemo()] }), 'JwtProtectedService "shop/api"', 'issuers[0]',
      /private key is public.*Fix: use the environment's real identity provider.*acknowledgements\.demoIssuer: "<reason>"/);
  });

  test('allows the demo issuer in dev, recorded as permitted by the stage', () => {
    const { mesh } = shop({ issuers: [JwtIssuer.istioDemo()] }, { stage: 'dev' });
    const ra = find(synth(mesh), 'RequestAuthentication', 'api');
    expect(ra.spec.jwtRules[0].issuer).toBe('testing@secure.istio.io');
    expect(ra.metadata.annotations).toEqual({ [DEMO_ACK]: 'permitted by stage dev (no reason given in acknowledgements.demoIssuer)' });
  });

  test('an https issuer needs no acknowledgement in prod', () => {
    const { mesh } = shop({}, { stage: 'prod' });
    expect(find(synth(mesh), 'RequestAuthentication', 'api').metadata.annotations).toBeUndefined();
  });
});

describe('JwtProtectedService demo issuer outside dev', () => {
  test('is accepted with a demoIssuer acknowledgement alone, and the acknowledgement is recorded', () => {
    const ns = newNamespace({ stage: 'staging', acknowledgements: { demoIssuer: 'load test with public tokens' } });
    new JwtProtectedService(ns, 'api', { image: 'api:1.0', ports: [HTTP], issuers: [JwtIssuer.istioDemo()] });
    const ra = find(synth(ns.mesh), 'RequestAuthentication', 'api');
    expect(ra.metadata.annotations).toEqual({ 'zero-trust-mesh.io/acknowledged-demo-issuer': 'load test with public tokens' });
  });

  test('is refused without it, naming the demo issuer rule', () => {
    const ns = newNamespace({ stage: 'prod' });
    expectConfigError(() => new JwtProtectedService(ns, 'api', { image: 'api:1.0', ports: [HTTP], issuers: [JwtIssuer.istioDemo()] }),
      'JwtProtectedService "shop/api"', 'issuers[0]', /private key is public.*acknowledgements\.demoIssuer/);
  });
});

describe('JwtProtectedService in ambient mode', () => {
  function ambient() {
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT });
    const api = service(ns);
    const client = new MeshWorkload(ns, 'client', { image: 'client:1.0' });
    return { ns, api, client };
  }

  test('the token is checked at the Service\'s waypoint: bound from the start, RequestAuthentication by targetRefs', () => {
    const { ns, api, client } = ambient();
    api.allowFrom(client);
    const objects = synth(ns.mesh);
    expect(api.waypoint).toBeDefined();
    const ra = find(objects, 'RequestAuthentication', 'api', 'shop');
    expect(ra.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'api' }]);
    expect(ra.spec.selector).toBeUndefined();
    expect(ra.spec.jwtRules[0].issuer).toBe(AUTH0.issuer);
    // Identity and token in one rule, at the waypoint, which sees the client's own identity.
    expect(find(objects, 'AuthorizationPolicy', 'api', 'shop').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: [CLIENT_PRINCIPAL], requestPrincipals: [`${AUTH0.issuer}/*`] } }] }],
    });
    expect(find(objects, 'AuthorizationPolicy', 'api-require-waypoint', 'shop').spec.rules)
      .toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }] }]);
    ns.mesh.synthesize();
  });

  test('a token-checking service in a namespace without automatic waypoints must name one', () => {
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT }, { automaticWaypoint: false });
    expectConfigError(() => service(ns), 'JwtProtectedService "shop/api"', 'issuers', /it checks end-user tokens, which in ambient mode only a waypoint enforces/);
  });
});
