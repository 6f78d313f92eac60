import { App } from 'cdk8s';
import { JwtIssuer } from 'zero-trust-mesh';
import { MeshTesting, SynthesizedMesh } from 'zero-trust-mesh/testing';
import { BookinfoMesh } from '../../examples/bookinfo/bookinfo.js';
import { schemaErrors } from '../helpers/schema.js';

/** The spec of a synthesized object, for asserting on its fields. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spec = (m: object): any => (m as { spec?: unknown }).spec;

const issuer = JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/.well-known/jwks.json', audiences: ['bookinfo'] });

describe('Bookinfo built with the constructs', () => {
  let mesh: SynthesizedMesh;
  beforeAll(() => {
    mesh = MeshTesting.synth(new BookinfoMesh(new App(), 'prod', { issuer, host: 'bookinfo.example.com', tlsCredentialName: 'bookinfo-tls' }));
  });

  test('every object validates against the Kubernetes and Istio schemas', () => {
    expect(mesh.manifests.flatMap((m) => schemaErrors(m).map((e) => `${m.kind}/${m.metadata.name}: ${e}`))).toEqual([]);
  });

  test('the analyzer finds nothing to warn about (versions sharing one identity are one service)', () => {
    expect(mesh.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  test('the access matrix allows exactly the declared grants', async () => {
    expect(await mesh.allowedEdges()).toEqual([
      'bookinfo/productpage -> bookinfo/details:9080',
      'bookinfo/productpage -> bookinfo/reviews:9080',
      'bookinfo/ratings -> bookinfo/mysqldb:3306',
      // The grant is to the service, so every version of reviews may call ratings.
      'bookinfo/reviews-v1 -> bookinfo/ratings:9080',
      'bookinfo/reviews-v2 -> bookinfo/ratings:9080',
      'bookinfo/reviews-v3 -> bookinfo/ratings:9080',
      'ingress -> bookinfo/productpage:9080 (valid token)',
    ]);
  });

  test('reviews: one Service, one identity, a Deployment per version, a subset per version', () => {
    expect(mesh.objectsOfKind('Service').filter((s) => s.metadata.name.startsWith('reviews')).map((s) => s.metadata.name)).toEqual(['reviews']);
    expect(mesh.objectsOfKind('ServiceAccount').filter((s) => s.metadata.name.startsWith('reviews')).map((s) => s.metadata.name)).toEqual(['reviews']);
    const versions = mesh.objectsOfKind('Deployment').filter((d) => d.metadata.name.startsWith('reviews-'));
    expect(versions.map((d) => [d.metadata.name, spec(d).selector.matchLabels, spec(d).template.spec.serviceAccountName, spec(d).template.spec.containers[0].image])).toEqual([
      ['reviews-v1', { app: 'reviews', version: 'v1' }, 'reviews', 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.2'],
      ['reviews-v2', { app: 'reviews', version: 'v2' }, 'reviews', 'docker.io/istio/examples-bookinfo-reviews-v2:1.20.2'],
      ['reviews-v3', { app: 'reviews', version: 'v3' }, 'reviews', 'docker.io/istio/examples-bookinfo-reviews-v3:1.20.2'],
    ]);
    expect(mesh.object('DestinationRule', 'bookinfo/reviews').spec).toEqual({
      host: 'reviews.bookinfo.svc.cluster.local',
      subsets: ['v1', 'v2', 'v3'].map((v) => ({ name: v, labels: { version: v } })),
    });
    // The grant is per service: its policy selects every version's pods.
    expect(spec(mesh.object('AuthorizationPolicy', 'bookinfo/reviews')).selector).toEqual({ matchLabels: { app: 'reviews' } });
  });

  test('reviews routes: jason gets v2, everyone else 80/20 between v1 and v3', () => {
    const host = 'reviews.bookinfo.svc.cluster.local';
    expect(mesh.object('VirtualService', 'bookinfo/reviews').spec).toEqual({
      hosts: [host],
      http: [
        { name: 'jason', match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host, subset: 'v2' } }] },
        { name: 'canary', route: [{ destination: { host, subset: 'v1' }, weight: 80 }, { destination: { host, subset: 'v3' }, weight: 20 }] },
      ],
    });
  });

  test('the database is a StatefulSet whose data directory is on a PersistentVolumeClaim', () => {
    const db = spec(mesh.object('StatefulSet', 'bookinfo/mysqldb'));
    expect(db.serviceName).toBe('mysqldb');
    expect(db.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '5Gi' } } },
    }]);
    expect(db.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/mysql' });
  });

  test('productpage autoscales from 2 to 6; the Deployment carries no replica count; every multi-pod service has a budget', () => {
    const hpa = mesh.object('HorizontalPodAutoscaler', 'bookinfo/productpage');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'productpage' },
      minReplicas: 2, maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    expect(spec(mesh.object('Deployment', 'bookinfo/productpage')).replicas).toBeUndefined();
    // reviews runs one pod per version, three in all: one budget over every version.
    expect(mesh.objectsOfKind('PodDisruptionBudget').map((b) => [b.metadata.name, b.spec]).sort()).toEqual([
      ['details', { maxUnavailable: 1, selector: { matchLabels: { app: 'details' } } }],
      ['productpage', { maxUnavailable: 1, selector: { matchLabels: { app: 'productpage' } } }],
      ['reviews', { maxUnavailable: 1, selector: { matchLabels: { app: 'reviews' } } }],
    ]);
  });

  test('requests: no token at the ingress is refused; ratings cannot reach details (not even its network); reviews reach ratings', async () => {
    const page = { from: { ingress: true }, to: 'bookinfo/productpage', port: 9080, method: 'GET', path: '/productpage' } as const;
    expect((await mesh.check(page)).outcome).toBe('deny-403');
    expect((await mesh.check(page, { assumeValidToken: true })).outcome).toBe('allow');
    expect((await mesh.check({ from: { workload: 'bookinfo/ratings' }, to: 'bookinfo/details', port: 9080, method: 'GET', path: '/details/0' })).outcome).toBe('dropped');
    expect((await mesh.check({ from: { workload: 'bookinfo/reviews-v3' }, to: 'bookinfo/ratings', port: 9080, method: 'GET', path: '/ratings/0' })).outcome).toBe('allow');
  });
});
