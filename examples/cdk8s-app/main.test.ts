import { Testing } from 'cdk8s';
import { JwtIssuer } from 'zero-trust-mesh';
import { MeshTesting } from 'zero-trust-mesh/testing';
import { ShopMesh } from './main';

describe('the shop mesh', () => {
  const mesh = new ShopMesh(Testing.app(), 'test', {
    stage: 'prod', host: 'shop.example.com', tlsCredentialName: 'shop-tls',
    issuer: JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['shop'] }),
  });

  test('cdk8s renders every object (Testing.synth)', () => {
    const kinds = Testing.synth(mesh).map((o: { kind: string }) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(['Namespace', 'Deployment', 'AuthorizationPolicy', 'RequestAuthentication', 'Gateway']));
  });

  test('only the intended callers get through: ingress → web → api (with a token) → db', async () => {
    const synthesized = MeshTesting.synth(mesh);
    expect(synthesized.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(await synthesized.allowedEdges()).toEqual([
      'ingress -> shop/web:8080',
      'shop/api -> shop/db:5432',
      'shop/web -> shop/api:8080 (valid token)',
    ]);
  });

  test('web needs the user\'s token to call api; api cannot be reached from outside', async () => {
    const synthesized = MeshTesting.synth(mesh);
    const orders = { from: { workload: 'shop/web' }, to: 'shop/api', port: 8080, method: 'GET', path: '/orders' } as const;
    expect((await synthesized.check(orders)).outcome).toBe('deny-403');
    expect((await synthesized.check(orders, { assumeValidToken: true })).outcome).toBe('allow');
    expect((await synthesized.check({ from: { outside: true }, to: 'shop/api', port: 8080 })).outcome).toBe('dropped'); // its NetworkPolicy admits only web's pods
  });
});
