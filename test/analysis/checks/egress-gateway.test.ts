// ZT757–ZT758: an egress gateway tells callers apart only over Istio mTLS it terminates.
import { App } from 'cdk8s';
import { analyze } from '../../../analysis/analyze.js';
import { EgressGateway, ExternalHost, Mesh, MeshWorkload, MtlsMode, ServicePort, ZeroTrustNamespace } from '../../../constructs/index.js';
import type { Manifest } from '../../../manifests/index.js';

function egressMesh(): any[] {
  const mesh = new Mesh(new App(), 'test', { stage: 'dev', mtls: MtlsMode.STRICT, egressGateway: EgressGateway.helmChart() });
  const shop = new ZeroTrustNamespace(mesh, 'shop');
  const api = new MeshWorkload(shop, 'api', { image: 'registry.example.com/api:1.0', ports: [ServicePort.http(8000)] });
  api.allowTo(ExternalHost.https('api.stripe.com'));
  return structuredClone(mesh.synthesize().manifests) as any[];
}

const findings = (manifests: readonly unknown[], code: string) =>
  analyze(manifests as Manifest[], { rootNamespace: 'istio-system', trustDomain: 'cluster.local' }).filter((f) => f.code === code);
const passthrough = (manifests: any[]) => manifests.map((m) => (m.kind === 'Gateway'
  ? { ...m, spec: { ...m.spec, servers: m.spec.servers.map((s: any) => ({ ...s, tls: { mode: 'PASSTHROUGH' } })) } } : m));

test('what the constructs write is clean: ISTIO_MUTUAL on both ends', () => {
  const manifests = egressMesh();
  expect(findings(manifests, 'ZT757')).toEqual([]);
  expect(findings(manifests, 'ZT758')).toEqual([]);
});

test('ZT757: an ALLOW by principal on a PASSTHROUGH egress server never matches', () => {
  const [finding, ...rest] = findings(passthrough(egressMesh()), 'ZT757');
  expect(rest).toEqual([]);
  expect(finding).toMatchObject({ kind: 'AuthorizationPolicy', namespace: 'istio-system', name: 'egress-api-stripe-com-443', severity: 'error' });
  expect(finding!.message).toContain('tls.mode PASSTHROUGH');
  expect(finding!.message).toContain('every call through that server is denied');
});

test('ZT757: a DENY by namespace there never applies (fails open)', () => {
  const manifests = passthrough(egressMesh()).map((m) => (m.kind === 'AuthorizationPolicy' && m.metadata.namespace === 'istio-system'
    ? { ...m, spec: { ...m.spec, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['ops'] } }] }] } } : m));
  const [finding] = findings(manifests, 'ZT757');
  expect(finding!.message).toContain('the DENY never applies');
});

test('ZT757: a policy on SNI alone is fine on a PASSTHROUGH server', () => {
  const manifests = passthrough(egressMesh()).map((m) => (m.kind === 'AuthorizationPolicy' && m.metadata.namespace === 'istio-system'
    ? { ...m, spec: { ...m.spec, rules: [{ when: [{ key: 'connection.sni', values: ['api.stripe.com'] }] }] } } : m));
  expect(findings(manifests, 'ZT757')).toEqual([]);
});

test('ZT758: an ISTIO_MUTUAL egress server without the callers\' DestinationRule', () => {
  const manifests = egressMesh().filter((m) => m.kind !== 'DestinationRule');
  const [finding, ...rest] = findings(manifests, 'ZT758');
  expect(rest).toEqual([]);
  expect(finding).toMatchObject({ kind: 'VirtualService', name: 'egress-api-stripe-com-443', severity: 'warning' });
  expect(finding!.message).toContain('sidecars in istio-system and shop have no DestinationRule ISTIO_MUTUAL');
});
