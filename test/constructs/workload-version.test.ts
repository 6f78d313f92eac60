import { EnvValue, MeshIngress, MeshWorkload, MeshWorkloadProps, ServicePort, ZeroTrustNamespace } from '../../constructs/index.js';
import { expectConfigError, find, findAll, newNamespace, synth } from './util.js';

const HTTP = ServicePort.http(9080);
const SELF = 'MeshWorkload "shop/reviews"';

function reviews(ns: ZeroTrustNamespace, props: Partial<MeshWorkloadProps> = {}): MeshWorkload {
  return new MeshWorkload(ns, 'reviews', {
    image: 'example/reviews:1', ports: [HTTP],
    versions: [{ name: 'v1' }, { name: 'v2', image: 'example/reviews:2', replicas: 2 }],
    ...props,
  });
}

describe('versions of a workload', () => {
  test('one ServiceAccount and Service; a Deployment per version selecting only its own pods', () => {
    const ns = newNamespace();
    reviews(ns, { replicas: 3, env: { MODE: EnvValue.fromValue('a') } });
    const objects = synth(ns.mesh);
    expect(findAll(objects, 'ServiceAccount').map((o) => o.metadata.name)).toEqual(['reviews']);
    expect(find(objects, 'Service', 'reviews').spec.selector).toEqual({ app: 'reviews' });
    expect(findAll(objects, 'Deployment', 'reviews')).toEqual([]);
    const v1 = find(objects, 'Deployment', 'reviews-v1');
    const v2 = find(objects, 'Deployment', 'reviews-v2');
    expect(v1.spec.selector.matchLabels).toEqual({ app: 'reviews', version: 'v1' });
    expect(v2.spec.template.metadata.labels).toMatchObject({ app: 'reviews', version: 'v2' });
    expect(v1.spec.template.spec.containers[0].image).toBe('example/reviews:1');
    expect(v2.spec.template.spec.containers[0].image).toBe('example/reviews:2');
    // A version's replicas override the workload's.
    expect([v1.spec.replicas, v2.spec.replicas]).toEqual([3, 2]);
    expect(v1.spec.template.spec.serviceAccountName).toBe('reviews');
    expect(v2.spec.template.spec.serviceAccountName).toBe('reviews');
  });

  test('a DestinationRule with a subset per version and no TLS block (auto mTLS stays in charge)', () => {
    const ns = newNamespace();
    reviews(ns);
    expect(find(synth(ns.mesh), 'DestinationRule', 'reviews').spec).toEqual({
      host: 'reviews.shop.svc.cluster.local',
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    });
  });

  test('no routes: no VirtualService, the Service balances over every version', () => {
    const ns = newNamespace();
    reviews(ns);
    expect(findAll(synth(ns.mesh), 'VirtualService')).toEqual([]);
  });

  test('a version adds its own environment variables to the workload\'s', () => {
    const ns = newNamespace();
    new MeshWorkload(ns, 'reviews', {
      image: 'example/reviews:1', ports: [HTTP],
      env: { COLOR: EnvValue.fromValue('black'), STARS: EnvValue.fromValue('false') },
      versions: [{ name: 'v1' }, { name: 'v3', env: { COLOR: EnvValue.fromValue('red') } }],
    });
    const objects = synth(ns.mesh);
    expect(find(objects, 'Deployment', 'reviews-v3').spec.template.spec.containers[0].env).toEqual([
      { name: 'COLOR', value: 'red' }, { name: 'STARS', value: 'false' },
    ]);
    expect(find(objects, 'Deployment', 'reviews-v1').spec.template.spec.containers[0].env).toEqual([
      { name: 'COLOR', value: 'black' }, { name: 'STARS', value: 'false' },
    ]);
  });

  test('routes become the mesh\'s VirtualService for the Service host, in order', () => {
    const ns = newNamespace();
    reviews(ns, { routes: [{ headers: { 'end-user': 'jason' }, weights: { v2: 100 } }, { weights: { v1: 90, v2: 10 } }] });
    const host = 'reviews.shop.svc.cluster.local';
    const vs = find(synth(ns.mesh), 'VirtualService', 'reviews');
    expect(vs.spec).toEqual({
      hosts: [host],
      http: [
        { name: 'route-0', match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host, subset: 'v2' } }] },
        { name: 'route-1', route: [{ destination: { host, subset: 'v1' }, weight: 90 }, { destination: { host, subset: 'v2' }, weight: 10 }] },
      ],
    });
    // Bound to the mesh only: no gateways field.
    expect(vs.spec.gateways).toBeUndefined();
  });

  test('a version with weight 0 is left out of the route', () => {
    const ns = newNamespace();
    reviews(ns, { routes: [{ weights: { v1: 100, v2: 0 } }] });
    const host = 'reviews.shop.svc.cluster.local';
    expect(find(synth(ns.mesh), 'VirtualService', 'reviews').spec.http).toEqual([{ name: 'route-0', route: [{ destination: { host, subset: 'v1' } }] }]);
  });

  test('the ingress follows the same split, matched under its path prefixes, to the routed port', () => {
    const ns = newNamespace();
    const svc = reviews(ns, { routes: [{ name: 'tester', headers: { 'x-tester': 'yes' }, weights: { v2: 100 } }, { name: 'stable', weights: { v1: 100 } }] });
    new MeshIngress(ns, 'reviews', { host: 'reviews.example.com', service: svc, pathPrefixes: ['/reviews'] });
    const host = 'reviews.shop.svc.cluster.local';
    const vs = findAll(synth(ns.mesh), 'VirtualService').find((v) => v.spec.gateways)!;
    expect(vs.spec.http).toEqual([
      { name: 'reviews-tester', match: [{ uri: { prefix: '/reviews' }, headers: { 'x-tester': { exact: 'yes' } } }], route: [{ destination: { host, subset: 'v2', port: { number: 9080 } } }] },
      { name: 'reviews-stable', match: [{ uri: { prefix: '/reviews' } }], route: [{ destination: { host, subset: 'v1', port: { number: 9080 } } }] },
    ]);
  });

  test('grants stay per service: one policy selecting every version', () => {
    const ns = newNamespace();
    const svc = reviews(ns);
    const client = new MeshWorkload(ns, 'client', { image: 'example/client:1' });
    svc.allowFrom(client);
    const policies = findAll(synth(ns.mesh), 'AuthorizationPolicy').filter((p) => p.metadata.name === 'reviews');
    expect(policies).toHaveLength(1);
    expect(policies[0]!.spec.selector).toEqual({ matchLabels: { app: 'reviews' } });
  });
});

describe('versions and routes are refused when they could not work', () => {
  test.each<[string, Partial<MeshWorkloadProps>, string, RegExp]>([
    ['a duplicate version', { versions: [{ name: 'v1' }, { name: 'v1' }] }, 'versions[1].name', /declared twice/],
    ['a version name that is no label', { versions: [{ name: 'V1!' }] }, 'versions[0].name', /DNS-1123/],
    ['version together with versions', { version: 'v9' }, 'version', /drop version/],
    ['routes without versions', { versions: undefined, routes: [{ weights: { v1: 100 } }] }, 'routes', /declares none/],
    ['a weight for an unknown version', { routes: [{ weights: { v9: 100 } }] }, 'routes[0].weights.v9', /not a version of this workload \(it has v1, v2\)/],
    ['weights that do not add up to 100', { routes: [{ weights: { v1: 90, v2: 20 } }] }, 'routes[0].weights', /add up to 110/],
    ['a fractional weight', { routes: [{ weights: { v1: 99.5, v2: 0.5 } }] }, 'routes[0].weights.v1', /not a percentage/],
    ['a last route with headers (the rest would get 404)', { routes: [{ headers: { 'end-user': 'jason' }, weights: { v2: 100 } }] }, 'routes[0].headers', /404/],
    ['a catch-all route before another', { routes: [{ weights: { v1: 100 } }, { weights: { v2: 100 } }] }, 'routes[0].headers', /could never be used/],
    ['an upper-case header name', { routes: [{ headers: { 'End-User': 'jason' }, weights: { v2: 100 } }, { weights: { v1: 100 } }] }, 'routes[0].headers.End-User', /write "end-user"/],
    ['an empty header value', { routes: [{ headers: { 'end-user': '' }, weights: { v2: 100 } }, { weights: { v1: 100 } }] }, 'routes[0].headers.end-user', /non-empty/],
    ['routes on a TCP-only workload', { ports: [ServicePort.tcp(3306)], routes: [{ weights: { v1: 100 } }] }, 'routes', /no HTTP port/],
    ['a version with a secret-looking literal', { versions: [{ name: 'v1', env: { DB_PASSWORD: EnvValue.fromValue('x') } }] }, 'versions[0].env.DB_PASSWORD', /fromSecretKey/],
    ['a version with a bad image', { versions: [{ name: 'v1', image: 'has space' }] }, 'versions[0].image', /not an image reference/],
  ])('%s', (_, props, field, message) => {
    expectConfigError(() => reviews(newNamespace(), props), SELF, field, message);
  });
});
