import { ApiObject, Testing } from 'cdk8s';
import { Callers, JwtIssuer, JwtProtectedService, Mesh, MeshAnalysisError, MeshIngress, MeshWorkload, ServicePort, ZeroTrustNamespace } from 'zero-trust-mesh';
import { MeshTesting } from 'zero-trust-mesh/testing';
import { testIssuer } from '../analysis/access/tokens.js';

const ISSUER = 'https://login.example.com';

/** web (behind the ingress) → api (with a token); metrics open to every mesh workload. */
function mesh(): Mesh {
  const m = new Mesh(Testing.app(), 'test', { stage: 'prod' });
  const ns = new ZeroTrustNamespace(m, 'shop');
  const web = new MeshWorkload(ns, 'web', { image: 'ghcr.io/acme/web:1.0.0', ports: [ServicePort.http(8080)] });
  const api = new JwtProtectedService(ns, 'api', {
    image: 'ghcr.io/acme/api:1.0.0', ports: [ServicePort.http(8080)],
    issuers: [JwtIssuer.oidc({ issuer: ISSUER, jwksUri: `${ISSUER}/jwks`, audiences: ['shop'] })],
  });
  const metrics = new MeshWorkload(ns, 'metrics', { image: 'ghcr.io/acme/metrics:1.0.0', ports: [ServicePort.http(9090)] });
  api.allowFrom(web, { methods: ['GET'], paths: ['/orders'] });
  metrics.allowFrom(Callers.anyAuthenticatedWorkload());
  new MeshIngress(ns, 'shop', { host: 'shop.example.com', service: web, tlsCredentialName: 'shop-tls' });
  return m;
}

describe('MeshTesting.synth', () => {
  // The ingress gateway reaches only what it routes to (web), though metrics admits any mesh identity.
  test('lists who may reach whom, every allowed edge and nothing else', async () => {
    expect(await MeshTesting.synth(mesh()).allowedEdges()).toEqual([
      'ingress -> shop/web:8080',
      'shop/api -> shop/metrics:9090',
      'shop/metrics -> shop/metrics:9090',
      'shop/web -> shop/api:8080 (valid token)',
      'shop/web -> shop/metrics:9090',
    ]);
  });

  test('checks one request: no token 403, a symbolic valid one allowed, a real one signed by the test verified', async () => {
    const idp = await testIssuer(ISSUER);
    const token = await idp.sign({ sub: 'alice' }, { audience: ['shop'] });
    const synthesized = MeshTesting.synth(mesh(), { jwks: { [`${ISSUER}/jwks`]: idp.jwks } });
    const orders = { from: { workload: 'shop/web' }, to: 'shop/api', port: 8080, path: '/orders' } as const;
    expect((await synthesized.check(orders)).outcome).toBe('deny-403');
    expect((await synthesized.check(orders, { assumeValidToken: true })).outcome).toBe('allow');
    expect(await synthesized.check({ ...orders, token })).toMatchObject({ outcome: 'allow' });
    expect((await synthesized.check({ ...orders, token: 'not.a.jwt' })).outcome).toBe('deny-401');
  });

  test('finds objects by kind and name, and says which exist when one does not', () => {
    const synthesized = MeshTesting.synth(mesh());
    expect(synthesized.object('AuthorizationPolicy', 'shop/api').spec).toBeDefined();
    expect(synthesized.object('Namespace', 'shop').kind).toBe('Namespace');
    expect(synthesized.objectsOfKind('RequestAuthentication').map((m) => m.metadata.name)).toEqual(['api']);
    expect(() => synthesized.object('AuthorizationPolicy', 'shop/db')).toThrow(/no AuthorizationPolicy "shop\/db" in the mesh; there are: shop\/allow-nothing, shop\/web, shop\/api, shop\/metrics\./);
  });

  test('runs the analyzer gate: a mesh with an analyzer error throws', () => {
    const m = mesh();
    new ApiObject(m, 'legacy', {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'legacy', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { principals: ['spiffe://cluster.local/ns/shop/sa/api'] } }] }] },
    });
    expect(() => MeshTesting.synth(m)).toThrow(MeshAnalysisError);
  });
});
