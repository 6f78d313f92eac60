import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  IngressGateway, Mesh, MeshWorkload, MtlsMode, ServicePort, ZeroTrustConfigError, ZeroTrustNamespace,
} from '../../constructs/index.js';
import { expectConfigError, find, findAll, newMesh, synth } from './util.js';

const ACK = 'zero-trust-mesh.io/acknowledged-non-strict-mtls';

describe('Mesh objects', () => {
  test('emits the mesh-wide PeerAuthentication "default" in istio-system, without selector', () => {
    const pa = find(synth(newMesh()), 'PeerAuthentication', 'default', 'istio-system');
    expect(pa.apiVersion).toBe('security.istio.io/v1');
    expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(pa.spec.selector).toBeUndefined();
    expect(pa.metadata.annotations).toBeUndefined();
  });

  test('the mesh PeerAuthentication carries the mesh mode', () => {
    const pa = find(synth(newMesh({ mtls: MtlsMode.PERMISSIVE })), 'PeerAuthentication', 'default', 'istio-system');
    expect(pa.spec.mtls.mode).toBe('PERMISSIVE');
  });

  test('defaults to STRICT mTLS when mtls is unset', () => {
    const mesh = new Mesh(new App(), 'test', { stage: 'dev' });
    expect(mesh.mtls).toBe(MtlsMode.STRICT);
    expect(find(synth(mesh), 'PeerAuthentication', 'default', 'istio-system').spec.mtls.mode).toBe('STRICT');
  });

  test('emits Telemetry "mesh-default" with the envoy access log provider', () => {
    const telemetry = find(synth(newMesh()), 'Telemetry', 'mesh-default', 'istio-system');
    expect(telemetry.apiVersion).toBe('telemetry.istio.io/v1');
    expect(telemetry.spec).toEqual({ accessLogging: [{ providers: [{ name: 'envoy' }] }] });
  });

  test('emits no Telemetry when accessLogging is false', () => {
    const objects = synth(newMesh({ accessLogging: false }));
    expect(findAll(objects, 'Telemetry')).toHaveLength(0);
    expect(objects).toHaveLength(1);
  });

  test('writes mesh-wide objects to a custom root namespace', () => {
    const objects = synth(newMesh({ rootNamespace: 'istio-root' }));
    expect(find(objects, 'PeerAuthentication', 'default').metadata.namespace).toBe('istio-root');
    expect(find(objects, 'Telemetry', 'mesh-default').metadata.namespace).toBe('istio-root');
  });

  test('exposes its settings and defaults', () => {
    const mesh = new Mesh(new App(), 'staging-eu');
    expect(mesh.environment).toBe('staging-eu');
    expect(mesh.trustDomain).toBe('cluster.local');
    expect(mesh.rootNamespace).toBe('istio-system');
    expect(mesh.posture.stage).toBe('prod');
    expect(mesh.ingressGateway.selector).toEqual({ istio: 'ingressgateway' });
    expect(mesh.ingressGateway.serviceAccount).toBe('istio-ingressgateway');
    expect(new Mesh(new App(), 'x', { environment: 'named' }).environment).toBe('named');
  });

  test('uses a given ingress gateway', () => {
    const mesh = newMesh({ ingressGateway: IngressGateway.istioctl() });
    expect(mesh.ingressGateway.serviceAccount).toBe('istio-ingressgateway-service-account');
  });

  test('a custom trust domain is the first segment of workload principals', () => {
    const mesh = newMesh({ trustDomain: 'corp.example' });
    const ns = new ZeroTrustNamespace(mesh, 'shop');
    const client = new MeshWorkload(ns, 'client', { image: 'curl:8' });
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8080)] });
    api.allowFrom(client);
    expect(client.principal).toBe('corp.example/ns/shop/sa/client');
    expect(client.spiffeId).toBe('spiffe://corp.example/ns/shop/sa/client');
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'api', 'shop');
    expect(policy.spec.rules[0].from[0].source.principals).toEqual(['corp.example/ns/shop/sa/client']);
  });

  test('Mesh.of finds the mesh from a nested construct', () => {
    const mesh = newMesh();
    const ns = new ZeroTrustNamespace(mesh, 'shop');
    expect(Mesh.of(ns)).toBe(mesh);
  });
});

describe('Mesh validation', () => {
  test('Mesh.of refuses a construct outside any mesh', () => {
    const chart = new Chart(new App(), 'plain');
    const orphan = new Construct(chart, 'orphan');
    expectConfigError(() => Mesh.of(orphan), 'plain/orphan', 'scope', /Fix: create it under a Mesh/);
  });

  test('refuses an invalid trust domain', () => {
    expectConfigError(() => newMesh({ trustDomain: 'Corp_Example' }), 'Mesh "test"', 'trustDomain', /Fix: use a name like "corp-example"/);
  });

  test('refuses an invalid root namespace', () => {
    expectConfigError(() => newMesh({ rootNamespace: 'Istio.System' }), 'Mesh "test"', 'rootNamespace', /Fix: use a name like "istio-system"/);
  });

  test('refuses an unknown mTLS mode', () => {
    expectConfigError(() => newMesh({ mtls: 'OFF' as MtlsMode }), 'Mesh "test"', 'mtls', /Fix: use STRICT, PERMISSIVE or DISABLE/);
  });

  test('refuses a ZeroTrustNamespace named like the root namespace', () => {
    const mesh = newMesh();
    expectConfigError(() => new ZeroTrustNamespace(mesh, 'istio-system'),
      'ZeroTrustNamespace "istio-system"', 'name', /root namespace.*Fix: put workloads in a namespace of their own/);
  });

  test('refuses a namespace named like a custom root namespace, and allows istio-system then', () => {
    const mesh = newMesh({ rootNamespace: 'mesh-root' });
    expectConfigError(() => new ZeroTrustNamespace(mesh, 'mesh-root'), 'ZeroTrustNamespace "mesh-root"', 'name', /Fix: put workloads/);
    expect(() => new ZeroTrustNamespace(mesh, 'istio-system')).not.toThrow();
  });

  test('registerNamespace refuses a name the mesh already has', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'shop');
    expectConfigError(() => mesh.registerNamespace('shop', 'ZeroTrustNamespace "shop"'),
      'ZeroTrustNamespace "shop"', 'name', /already has a namespace "shop".*Fix: add workloads to the existing ZeroTrustNamespace/);
  });

  test('the same namespace name is fine in two meshes', () => {
    const app = new App();
    new ZeroTrustNamespace(new Mesh(app, 'dev', { stage: 'dev' }), 'shop');
    expect(() => new ZeroTrustNamespace(new Mesh(app, 'prod', { stage: 'prod' }), 'shop')).not.toThrow();
  });
});

describe('Mesh guard rails', () => {
  test.each([MtlsMode.PERMISSIVE, MtlsMode.DISABLE])('refuses mesh mtls %s in prod', (mode) => {
    const error = expectConfigError(() => newMesh({ stage: 'prod', mtls: mode }), 'Mesh "test"', 'mtls',
      /stage prod.*Fix: set mtls to STRICT\. .*acknowledgements\.nonStrictMtls/);
    expect(error).toBeInstanceOf(ZeroTrustConfigError);
  });

  test('the default stage is prod, so a PERMISSIVE mesh without stage is refused', () => {
    expectConfigError(() => new Mesh(new App(), 'test', { mtls: MtlsMode.PERMISSIVE }), 'Mesh "test"', 'mtls', /Fix: set mtls to STRICT/);
  });

  test('accepts a PERMISSIVE mesh in prod when acknowledged, and records the reason', () => {
    const mesh = newMesh({ stage: 'prod', mtls: MtlsMode.PERMISSIVE, acknowledgements: { nonStrictMtls: 'legacy clients, OPS-1' } });
    const pa = find(synth(mesh), 'PeerAuthentication', 'default', 'istio-system');
    expect(pa.metadata.annotations).toEqual({ [ACK]: 'legacy clients, OPS-1' });
    expect(pa.spec.mtls.mode).toBe('PERMISSIVE');
  });

  test('a STRICT mesh records no acknowledgement even when one is configured', () => {
    const mesh = newMesh({ stage: 'prod', acknowledgements: { nonStrictMtls: 'unused' } });
    expect(find(synth(mesh), 'PeerAuthentication', 'default', 'istio-system').metadata.annotations).toBeUndefined();
  });

  test.each(['dev', 'staging'] as const)('accepts a PERMISSIVE mesh in %s without acknowledgement, recorded as permitted by the stage', (stage) => {
    const mesh = newMesh({ stage, mtls: MtlsMode.PERMISSIVE });
    expect(find(synth(mesh), 'PeerAuthentication', 'default', 'istio-system').metadata.annotations)
      .toEqual({ 'zero-trust-mesh.io/acknowledged-non-strict-mtls': `permitted by stage ${stage} (no reason given in acknowledgements.nonStrictMtls)` });
  });
});
