import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Dataplane, MeshWorkload, MtlsMode, ServicePort, ZeroTrustNamespace } from '../../constructs/index.js';
import { expectConfigError, find, findAll, newMesh, synth } from './util.js';

const ACK = 'zero-trust-mesh.io/acknowledged-non-strict-mtls';

describe('ZeroTrustNamespace objects', () => {
  test('the Namespace is enrolled in sidecar injection', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'shop');
    const namespace = find(synth(mesh), 'Namespace', 'shop');
    expect(namespace.apiVersion).toBe('v1');
    expect(namespace.metadata.labels).toEqual({ 'istio-injection': 'enabled' });
    expect(namespace.metadata.namespace).toBeUndefined();
  });

  test('extra labels are added, but cannot turn injection off', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'shop', { labels: { team: 'web', 'istio-injection': 'disabled' }, dataplane: Dataplane.SIDECAR });
    expect(find(synth(mesh), 'Namespace', 'shop').metadata.labels).toEqual({ team: 'web', 'istio-injection': 'enabled' });
  });

  test('writes PeerAuthentication "default" with the mesh mode when unset', () => {
    const mesh = newMesh({ mtls: MtlsMode.PERMISSIVE });
    const ns = new ZeroTrustNamespace(mesh, 'shop');
    expect(ns.mtls).toBe(MtlsMode.PERMISSIVE);
    const pa = find(synth(mesh), 'PeerAuthentication', 'default', 'shop');
    expect(pa.spec).toEqual({ mtls: { mode: 'PERMISSIVE' } });
    expect(pa.spec.selector).toBeUndefined();
  });

  test.each([MtlsMode.STRICT, MtlsMode.PERMISSIVE, MtlsMode.DISABLE])('writes its own mode %s over the mesh mode', (mode) => {
    const mesh = newMesh({ mtls: mode === MtlsMode.STRICT ? MtlsMode.PERMISSIVE : MtlsMode.STRICT });
    new ZeroTrustNamespace(mesh, 'shop', { mtls: mode });
    const objects = synth(mesh);
    expect(find(objects, 'PeerAuthentication', 'default', 'shop').spec.mtls.mode).toBe(mode);
    expect(find(objects, 'PeerAuthentication', 'default', 'istio-system').spec.mtls.mode).not.toBe(mode);
  });

  test('writes an allow-nothing AuthorizationPolicy with an empty spec', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'shop');
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'allow-nothing', 'shop');
    expect(policy.apiVersion).toBe('security.istio.io/v1');
    expect(policy.spec).toEqual({});
  });

  test('each namespace gets its own Namespace, PeerAuthentication and allow-nothing', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'shop');
    new ZeroTrustNamespace(mesh, 'billing');
    const objects = synth(mesh);
    for (const name of ['shop', 'billing']) {
      expect(find(objects, 'Namespace', name)).toBeDefined();
      expect(find(objects, 'PeerAuthentication', 'default', name)).toBeDefined();
      expect(find(objects, 'AuthorizationPolicy', 'allow-nothing', name)).toBeDefined();
    }
    expect(findAll(objects, 'AuthorizationPolicy')).toHaveLength(2);
  });

  test('as a caller, it is matched by namespace', () => {
    const mesh = newMesh();
    const shop = new ZeroTrustNamespace(mesh, 'shop');
    const frontend = new ZeroTrustNamespace(mesh, 'frontend');
    expect(frontend.toCallerIdentity()).toEqual({ kind: 'namespaces', namespaces: ['frontend'], description: 'any workload in namespace frontend' });
    const api = new MeshWorkload(shop, 'api', { image: 'api:1', ports: [ServicePort.http(8080)] });
    api.allowFrom(frontend);
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'api', 'shop');
    expect(policy.spec.rules).toEqual([{ from: [{ source: { namespaces: ['frontend'] } }] }]);
  });

  test('ZeroTrustNamespace.of finds the namespace of a workload, and refuses a construct outside one', () => {
    const mesh = newMesh();
    const ns = new ZeroTrustNamespace(mesh, 'shop');
    const api = new MeshWorkload(ns, 'api', { image: 'api:1' });
    expect(ZeroTrustNamespace.of(api)).toBe(ns);
    const orphan = new Construct(new Chart(new App(), 'c'), 'orphan');
    expectConfigError(() => ZeroTrustNamespace.of(orphan), 'c/orphan', 'scope', /Fix: create workloads inside a ZeroTrustNamespace/);
  });
});

describe('ZeroTrustNamespace validation', () => {
  test.each([
    ['Products', 'products'],
    ['my_app', 'my-app'],
    ['-shop', 'shop'],
    ['a'.repeat(64), 'a'.repeat(63)],
  ])('refuses the name %s and suggests %s', (name, suggestion) => {
    expectConfigError(() => new ZeroTrustNamespace(newMesh(), name), `ZeroTrustNamespace "${name}"`, 'name',
      new RegExp(`not a valid DNS-1123 label.*Fix: use a name like "${suggestion}"`));
  });

  test('registerWorkload refuses a workload name the namespace already has', () => {
    const ns = new ZeroTrustNamespace(newMesh(), 'shop');
    new MeshWorkload(ns, 'api', { image: 'api:1' });
    expectConfigError(() => ns.registerWorkload('api', 'other-sa', 'MeshWorkload "shop/api"'),
      'MeshWorkload "shop/api"', 'name', /already has a workload named "api".*Fix: give each workload a unique name/);
  });

  test('registerWorkload refuses a ServiceAccount another workload uses', () => {
    const ns = new ZeroTrustNamespace(newMesh(), 'shop');
    new MeshWorkload(ns, 'api', { image: 'api:1' });
    expectConfigError(() => ns.registerWorkload('api-v2', 'api', 'MeshWorkload "shop/api-v2"'),
      'MeshWorkload "shop/api-v2"', 'serviceAccountName', /Fix: give each workload its own ServiceAccount/);
  });
});

describe('ZeroTrustNamespace guard rails', () => {
  test.each([MtlsMode.PERMISSIVE, MtlsMode.DISABLE])('refuses namespace mtls %s in prod', (mode) => {
    const mesh = newMesh({ stage: 'prod' });
    expectConfigError(() => new ZeroTrustNamespace(mesh, 'legacy', { mtls: mode }), 'ZeroTrustNamespace "legacy"', 'mtls',
      /Environment "test" \(stage prod\) refuses this\. Fix: set mtls to STRICT.*acknowledgements\.nonStrictMtls: "<reason>"/);
  });

  test('accepts a PERMISSIVE namespace in prod when acknowledged, and annotates its PeerAuthentication', () => {
    const mesh = newMesh({ stage: 'prod', acknowledgements: { nonStrictMtls: 'batch job without sidecar, OPS-7' } });
    new ZeroTrustNamespace(mesh, 'legacy', { mtls: MtlsMode.PERMISSIVE });
    new ZeroTrustNamespace(mesh, 'shop');
    const objects = synth(mesh);
    const pa = find(objects, 'PeerAuthentication', 'default', 'legacy');
    expect(pa.spec.mtls.mode).toBe('PERMISSIVE');
    expect(pa.metadata.annotations).toEqual({ [ACK]: 'batch job without sidecar, OPS-7' });
    expect(find(objects, 'PeerAuthentication', 'default', 'shop').metadata.annotations).toBeUndefined();
    expect(find(objects, 'PeerAuthentication', 'default', 'istio-system').metadata.annotations).toBeUndefined();
  });

  test('a namespace inheriting an acknowledged PERMISSIVE mesh mode is annotated too', () => {
    const mesh = newMesh({ stage: 'prod', mtls: MtlsMode.PERMISSIVE, acknowledgements: { nonStrictMtls: 'migration' } });
    new ZeroTrustNamespace(mesh, 'shop');
    expect(find(synth(mesh), 'PeerAuthentication', 'default', 'shop').metadata.annotations).toEqual({ [ACK]: 'migration' });
  });

  test.each(['dev', 'staging'] as const)('accepts a PERMISSIVE namespace in %s, recorded as permitted by the stage', (stage) => {
    const mesh = newMesh({ stage });
    new ZeroTrustNamespace(mesh, 'legacy', { mtls: MtlsMode.PERMISSIVE });
    // Recorded, so the analyzer reports it as an acknowledged warning rather than an error.
    expect(find(synth(mesh), 'PeerAuthentication', 'default', 'legacy').metadata.annotations)
      .toEqual({ 'zero-trust-mesh.io/acknowledged-non-strict-mtls': `permitted by stage ${stage} (no reason given in acknowledgements.nonStrictMtls)` });
  });
});

describe('ZeroTrustNamespace duplicates', () => {
  test('a second namespace of the same name gets advice, not a construct-tree error', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'shop');
    expectConfigError(() => new ZeroTrustNamespace(mesh, 'shop'), 'ZeroTrustNamespace "shop"', 'name',
      /already has a namespace "shop".*Fix: add workloads to the existing ZeroTrustNamespace/);
  });
});

describe('ZeroTrustNamespace in ambient mode', () => {
  test('enrolled by label, STRICT, denying by default at ztunnel and at L3/L4 (kubelet probes from 169.254.7.127 allowed), no Sidecar', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'shop', { dataplane: Dataplane.AMBIENT });
    const objects = synth(mesh);
    expect(find(objects, 'Namespace', 'shop').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
    expect(find(objects, 'PeerAuthentication', 'default', 'shop').spec).toEqual({ mtls: { mode: 'STRICT' } });
    // No selector in the namespace: ztunnel takes it as the namespace's policy (allow-nothing).
    expect(find(objects, 'AuthorizationPolicy', 'allow-nothing', 'shop').spec).toEqual({});
    const netpol = find(objects, 'NetworkPolicy', 'default-deny', 'shop').spec;
    expect(netpol.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(netpol.ingress).toEqual([{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }]);
    // A Sidecar configures sidecars only (istioctl IST0167).
    expect(findAll(objects, 'Sidecar')).toEqual([]);
    mesh.synthesize();
  });

  test('the mesh denies by default at every waypoint: an ALLOW with no rules on the istio-waypoint GatewayClass, in the root namespace', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'a', { dataplane: Dataplane.AMBIENT });
    new ZeroTrustNamespace(mesh, 'b', { dataplane: Dataplane.AMBIENT });
    const policies = findAll(synth(mesh), 'AuthorizationPolicy', 'allow-nothing-at-waypoints');
    expect(policies).toEqual([{
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'allow-nothing-at-waypoints', namespace: 'istio-system' },
      spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] },
    }]);
  });

  test('a sidecar mesh writes no waypoint default deny', () => {
    const mesh = newMesh();
    new ZeroTrustNamespace(mesh, 'shop');
    expect(findAll(synth(mesh), 'AuthorizationPolicy', 'allow-nothing-at-waypoints')).toEqual([]);
  });

  test('refuses DISABLE, which ambient ignores (ztunnel keeps mTLS and accepts plaintext as if PERMISSIVE)', () => {
    const mesh = newMesh();
    expectConfigError(() => new ZeroTrustNamespace(mesh, 'legacy', { dataplane: Dataplane.AMBIENT, mtls: MtlsMode.DISABLE }),
      'ZeroTrustNamespace "legacy"', 'mtls', /DISABLE has no effect on ambient pods.*Fix: use STRICT/);
  });

  test('refuses automaticWaypoint on a sidecar namespace', () => {
    expectConfigError(() => new ZeroTrustNamespace(newMesh(), 'shop', { automaticWaypoint: false }),
      'ZeroTrustNamespace "shop"', 'automaticWaypoint', /sidecar namespace.*Fix: drop automaticWaypoint/);
  });

  test('the automatic waypoint is made once, on the first grant that needs L7, and shared by the namespace\'s Services', () => {
    const mesh = newMesh();
    const ns = new ZeroTrustNamespace(mesh, 'shop', { dataplane: Dataplane.AMBIENT });
    const client = new MeshWorkload(ns, 'client', { image: 'client:1.0' });
    const a = new MeshWorkload(ns, 'a', { image: 'a:1.0', ports: [ServicePort.http(8080)] });
    const b = new MeshWorkload(ns, 'b', { image: 'b:1.0', ports: [ServicePort.http(8080)] });
    expect(ns.waypoint).toBeUndefined();
    a.allowFrom(client, { methods: ['GET'] });
    b.allowFrom(client, { paths: ['/b'] });
    expect(findAll(synth(mesh), 'Gateway')).toHaveLength(1);
    expect(ns.waypoint!.services).toEqual(['shop/a', 'shop/b']);
  });
});
