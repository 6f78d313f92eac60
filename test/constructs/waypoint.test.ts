import { readFileSync } from 'node:fs';
import { Dataplane, MeshWorkload, ServicePort, Waypoint, ZeroTrustNamespace } from '../../constructs/index.js';
import { crdErrors, type CrdFixture } from '../helpers/crd-schema.js';
import { expectConfigError, find, newMesh, synth } from './util.js';

const GATEWAY_CRD = JSON.parse(readFileSync('test/fixtures/gateway-api-crds/gateways.gateway.networking.k8s.io.json', 'utf8')) as CrdFixture;

function ambientNamespace(name = 'shop') {
  const mesh = newMesh({ dataplane: Dataplane.AMBIENT });
  return new ZeroTrustNamespace(mesh, name);
}

describe('Waypoint', () => {
  test('is a Gateway of class istio-waypoint, for Service traffic, with exactly one HBONE listener on 15008', () => {
    const ns = ambientNamespace();
    new Waypoint(ns, 'edge');
    const gateway = find(synth(ns.mesh), 'Gateway', 'edge', 'shop');
    expect(gateway).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'shop', labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    expect(crdErrors(gateway, GATEWAY_CRD)).toEqual([]);
  });

  test('its identity is the ServiceAccount Istio names like the Gateway (no -istio suffix for waypoints)', () => {
    const waypoint = new Waypoint(ambientNamespace(), 'edge');
    expect(waypoint.principal).toBe('cluster.local/ns/shop/sa/edge');
    expect(waypoint.toCallerIdentity()).toMatchObject({ kind: 'workloads', identities: [{ namespace: 'shop', serviceAccount: 'edge' }] });
    expect(waypoint.podLabels).toEqual({ 'gateway.networking.k8s.io/gateway-name': 'edge' });
  });

  test('its name is reserved like a workload\'s: Istio creates a Deployment, Service and ServiceAccount of that name', () => {
    const ns = ambientNamespace();
    new MeshWorkload(ns, 'edge', { image: 'edge:1.0' });
    expectConfigError(() => new Waypoint(ns, 'edge'), 'Waypoint "shop/edge"', 'name', /already has a workload named "edge"/);
  });

  test('is refused in a sidecar namespace, where nothing would use it', () => {
    const ns = new ZeroTrustNamespace(newMesh(), 'shop');
    expectConfigError(() => new Waypoint(ns, 'waypoint'), 'Waypoint "shop/waypoint"', 'scope', /runs sidecars.*Fix: create the waypoint in an ambient namespace/);
  });

  test('a workload of another namespace cannot bind to it: use-waypoint looks in the Service\'s own namespace', () => {
    const ns = ambientNamespace();
    const other = new ZeroTrustNamespace(ns.mesh, 'other');
    const waypoint = new Waypoint(ns, 'waypoint');
    expectConfigError(() => new MeshWorkload(other, 'api', { image: 'api:1.0', ports: [ServicePort.http(8080)], waypoint }),
      'MeshWorkload "other/api"', 'waypoint', /in another namespace.*none would be found.*Fix: bind to a waypoint of namespace "other"/);
  });

  test('a waypoint of another mesh does not exist where the Service runs', () => {
    const waypoint = new Waypoint(ambientNamespace(), 'waypoint');
    const ns = ambientNamespace();
    expectConfigError(() => new MeshWorkload(ns, 'api', { image: 'api:1.0', ports: [ServicePort.http(8080)], waypoint }),
      'MeshWorkload "shop/api"', 'waypoint', /belongs to another mesh/);
  });

  test('its NetworkPolicy admits callers of bound Services on 15008 and lets it reach their pods on 15008 only', () => {
    const ns = ambientNamespace();
    const waypoint = new Waypoint(ns, 'edge');
    const api = new MeshWorkload(ns, 'api', { image: 'api:1.0', ports: [ServicePort.http(8000, { targetPort: 8080 })], waypoint });
    const web = new MeshWorkload(ns, 'web', { image: 'web:1.0' });
    api.allowFrom(web);
    const policy = find(synth(ns.mesh), 'NetworkPolicy', 'edge', 'shop');
    const pods = (app: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app } } });
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'edge' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [pods('web')], ports: [{ protocol: 'TCP', port: 15008 }] }],
      egress: [{ to: [pods('api')], ports: [{ protocol: 'TCP', port: 15008 }] }],
    });
    expect(waypoint.services).toEqual(['shop/api']);
  });
});
